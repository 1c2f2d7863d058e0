"""Reading scanned forms with the real engine (tesseract, Dutch model): a small version
of the scan benchmark (benchmarks/scan_bench.py) on two generated forms of seeded Dutch
text, scanned the way an office copier does (skew, scale, blur, noise, JPEG), shuffled,
turned, with a page missing and one twice, blank backs, signatures and handwriting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.scan_bench import Score, score
from benchmarks.scangen import Batch, Scenario, generate, render, write_pdf
from oppforms.geometry import to_pixels
from oppforms.records import Record
from oppforms.scan import read_scanned
from oppforms.scan.ocr import tessdata_dir
from oppforms.scan.page import engine
from oppforms.scan.pipeline import load_issued, read_pages
from oppforms.scan.assemble import assemble
from oppforms.scan.images import list_pages
from oppforms.scan.page import Settings
from oppforms.spec import FormSpec

pytestmark = pytest.mark.tesseract

SCENARIO = Scenario(forms=2, dpi=300, profile="office", seed=11)


@pytest.fixture(scope="module", autouse=True)
def needs_tesseract() -> None:
    if tessdata_dir() is None:
        pytest.skip("tesseract with the Dutch model (tesseract-ocr-nld) is not installed")


@pytest.fixture(scope="module")
def batch(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    return generate(SCENARIO, tmp_path_factory.mktemp("scans"), spec=spec)


def _score(batch: Batch, spec: FormSpec, *, with_issued: bool, tmp: Path) -> tuple[Score, list[Record]]:
    registry = load_issued(batch.issued, spec) if with_issued else None
    settings = Settings(spec=spec, issued=registry, review_dir=str(tmp))
    results = list(read_pages(list_pages(batch.pdf), settings, jobs=2, ocr=None))
    records = assemble(results, spec, issued=registry, alphabet=engine().alphabet)
    return score(batch, spec, results, records, "test"), records


@pytest.fixture(scope="module")
def with_issued(batch: Batch, spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Score, list[Record]]:
    return _score(batch, spec, with_issued=True, tmp=tmp_path_factory.mktemp("review"))


@pytest.fixture(scope="module")
def paper_only(batch: Batch, spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Score, list[Record]]:
    return _score(batch, spec, with_issued=False, tmp=tmp_path_factory.mktemp("review"))


def test_every_page_is_identified_and_every_form_assembled(with_issued: tuple[Score, list[Record]]) -> None:
    s, _ = with_issued
    assert s.pages_right == s.pages
    assert s.forms_assembled == s.forms


def test_with_the_issued_values_every_typed_field_comes_back_exact(with_issued: tuple[Score, list[Record]]) -> None:
    s, _ = with_issued
    assert s.fields >= 50
    assert s.exact == s.fields
    assert s.wrong_accepted == 0


def test_from_the_paper_alone_no_wrong_text_is_accepted(paper_only: tuple[Score, list[Record]]) -> None:
    s, _ = paper_only
    assert s.wrong_text_accepted == 0 and s.wrong_accepted == 0
    assert s.accepted > s.fields // 2  # most of it is read without a person


def test_from_the_paper_alone_every_typed_line_break_comes_back(paper_only: tuple[Score, list[Record]]) -> None:
    """The paragraph gap shows each typed break on paper: a field whose words were read
    right has its line breaks right too."""
    s, _ = paper_only
    assert s.exact == s.exact_text


def test_signatures_and_handwriting_are_found(with_issued: tuple[Score, list[Record]]) -> None:
    s, _ = with_issued
    assert s.signatures_right == s.signatures and s.empty_signed == 0
    assert s.marks and s.marks_flagged == s.marks
    assert s.false_hand == 0


def test_a_page_whose_codes_are_unreadable_joins_its_form_by_the_footer(
    batch: Batch, spec: FormSpec, tmp_path: Path
) -> None:
    form = next(iter(batch.forms.values()))
    pages = render(batch.issued / form.file, 200)[:2]
    for r in spec.marks.qr_rects():
        b = to_pixels(r.inset(-3), spec.page_height, 200)
        pages[1][b.top : b.bottom, b.left : b.right] = 255
    path = tmp_path / "nocode.pdf"
    write_pdf([np.ascontiguousarray(p) for p in pages], path, 200, 90)
    records = read_scanned(path, spec, issued=batch.issued, review_dir=tmp_path / "review")
    assert [r.document for r in records] == [form.document]
    assert any(i.reason.startswith("no readable page code") and i.page == 2 for i in records[0].review)


def test_a_short_value_on_grey_noisy_paper_is_read(spec: FormSpec) -> None:
    """A harsh copier's grey, grainy ground: the crop is padded with its own paper grey,
    since a white border makes tesseract read the edge and miss the text."""
    from oppforms.fonts import FontMetrics
    from oppforms.scan.ocr import OcrMode
    from oppforms.scan.readings import _pad
    from oppforms.scan.verify import render_word

    metrics = FontMetrics.shipped(spec.fonts[spec.values.font])
    word = render_word("1B4", metrics, spec.fonts[spec.values.font], 10 * 300 / 72)
    rng = np.random.default_rng(5)
    crop = np.full((70, 1400), 225.0)
    h, w = word.shape
    crop[20 : 20 + h, 15 : 15 + w] = np.minimum(crop[20 : 20 + h, 15 : 15 + w], word)
    crop = np.clip(crop + rng.normal(0, 12, crop.shape), 0, 255).astype(np.uint8)
    assert engine().read(_pad(crop), OcrMode.LINE, timeout=10).text == "1B4"


def test_a_page_aligned_without_its_corner_marks_accepts_nothing_from_the_paper_alone(
    batch: Batch, spec: FormSpec, tmp_path: Path
) -> None:
    """Aligned on its QR codes alone, a box may be cut a little off and show part of its
    neighbour's text, which the print would confirm: from the paper alone, every value of
    such a page goes to review."""
    form = next(iter(batch.forms.values()))
    pages = render(batch.issued / form.file, 200)[:1]
    for r in spec.marks.corner_rects(spec.page_width, spec.page_height):
        b = to_pixels(r.inset(-3), spec.page_height, 200)
        pages[0][b.top : b.bottom, b.left : b.right] = 255
    path = tmp_path / "nomarks.pdf"
    write_pdf([np.ascontiguousarray(pages[0])], path, 200, 90)
    (rec,) = read_scanned(path, spec, issued=None, review_dir=tmp_path / "review")
    filled = {f.name for f, _ in spec.widgets_on(1) if not f.is_signature and rec.fields[f.name]}
    assert filled
    assert filled <= {i.field for i in rec.review if i.field}
    assert any("aligned without its corner marks" in i.reason for i in rec.review)
