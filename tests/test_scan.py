"""Reading scanned forms (issue 5) with a fake OCR engine plugged in at the seam.

The scans are made by the benchmark's generator (benchmarks/scangen.py) from fictional
records whose values the fake engine "reads" back, so these tests check everything but
the OCR itself: page identity and orientation, assembly, blank backs, alignment,
verification against the issued registry, signatures, handwriting and the review list.
The real engine is tested in test_scan_tesseract.py.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest

from benchmarks.scangen import Batch, Scenario, draw_signature, generate, render, write_pdf
from oppforms.errors import InputError, NotThisFormError
from oppforms.extract import FileResult, Input, extract_many
from oppforms.extract import run as extract_run
from oppforms.extract.reader import EncryptedPdfError
from oppforms.geometry import Homography, PdfRect, map_rect, pdf_to_image, to_pixels
from oppforms.records import FileStatus, Record
from oppforms.scan import read_scanned, read_scanned_files, write_review_html
from oppforms.scan.images import PageRefused, check_size
from oppforms.scan.ink import SignatureVerdict, judge_signature, remove_scanner_streaks, signature_evidence
from oppforms.scan.ocr import Gray, OcrLine, OcrMode, OcrText, OcrWord, model_alphabet, parse_tsv, tessdata_dir
from oppforms.scan.text import agrees, fold, marker_pattern, parse_date, rebuild_paragraphs
from oppforms.fonts import FontMetrics
from oppforms.geometry import PixelBox
from oppforms.spec import FormSpec

NAME = "Abc Def"
LINE = "Tekst"
BLOCK = "Een korte tekst"
DATE_ISO = "2026-09-24"
DATE_SHOWN = "24-09-2026"


def uniform_record(n: int, spec: FormSpec) -> dict[str, str]:
    """A fictional record whose every one-line field holds LINE, every multiline field
    BLOCK and every date DATE_ISO, so a fake engine can answer by the kind of box."""
    rec: dict[str, str] = {}
    for f in spec.value_fields:
        rec[f.name] = DATE_ISO if f.kind.value == "date" else BLOCK if f.multiline else LINE
    rec["leerling.nummer"] = LINE  # documents are told apart by row (identity_by_row)
    rec["leerling.naam"] = LINE
    return rec


@dataclass
class FakeEngine:
    """Answers every box by its reading mode, as if it read the uniform record."""

    line: str = LINE
    block: str = BLOCK
    date: str = DATE_SHOWN
    confidence: float = 96.0

    @property
    def name(self) -> str:
        return "fake"

    @property
    def alphabet(self) -> frozenset[str] | None:
        return None

    def read(self, image: Gray, mode: OcrMode, *, timeout: float) -> OcrText:
        """The answer for the mode, placed where the image has ink (as an engine would)."""
        text = {OcrMode.LINE: self.line, OcrMode.WORD: self.line, OcrMode.BLOCK: self.block, OcrMode.DATE: self.date}[mode]
        ys, xs = np.nonzero(image < 128)
        if len(xs) == 0:
            return OcrText(())
        box = PixelBox(int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        parts = text.split()
        step = (box.right - box.left) / len(parts)
        words = tuple(
            OcrWord(w, PixelBox(int(box.left + k * step), box.top, int(box.left + (k + 1) * step), box.bottom), self.confidence)
            for k, w in enumerate(parts)
        )
        return OcrText((OcrLine(words, box, box.bottom),))


class Reading(FakeEngine):
    pass


class MisReading(FakeEngine):
    def __init__(self) -> None:
        super().__init__(line="Tekct")


class Unsure(FakeEngine):
    def __init__(self) -> None:
        super().__init__(confidence=50.0)


SCENARIO = Scenario(forms=2, dpi=200, profile="office", seed=5, handwriting_pages=0.3, long_text=False)


@pytest.fixture(scope="module")
def batch(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    out = tmp_path_factory.mktemp("scans")
    return generate(SCENARIO, out, spec=spec, records=[uniform_record(i + 1, spec) for i in range(SCENARIO.forms)])


@pytest.fixture(scope="module")
def verified(batch: Batch, spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Record], Path]:
    review = tmp_path_factory.mktemp("review")
    return read_scanned(batch.pdf, spec, issued=batch.issued, review_dir=review, ocr=Reading), review


def by_doc(records: list[Record]) -> dict[str, Record]:
    return {r.document: r for r in records}


# ---------------------------------------------------------------------------------------
# Pages, assembly


def test_every_form_comes_back_once_whatever_the_page_order(batch: Batch, verified: tuple[list[Record], Path]) -> None:
    records, _ = verified
    assert sorted(r.document for r in records) == sorted(batch.forms)
    assert all(r.method == "scan" and r.form == "opp-kort" for r in records)


def test_a_missing_page_and_a_page_scanned_twice_are_reported(batch: Batch, verified: tuple[list[Record], Path]) -> None:
    records = by_doc(verified[0])
    for doc, form in batch.forms.items():
        missing = sorted(i.page or 0 for i in records[doc].review if i.reason.startswith("page ") and "missing" in i.reason)
        assert missing == sorted(form.missing)
        twice = sorted(int(w.split()[1]) for w in records[doc].warnings if "more than once" in w)
        assert twice == sorted(form.duplicated)
    assert sum(len(f.missing) for f in batch.forms.values()) == 1
    assert sum(len(f.duplicated) for f in batch.forms.values()) == 1


def test_blank_backs_are_dropped_and_counted(batch: Batch, verified: tuple[list[Record], Path]) -> None:
    backs = sum(1 for p in batch.pages if not p.document)
    assert backs > 0
    warning = next(w for w in verified[0][0].warnings if "blank page" in w)
    assert warning.startswith(f"{backs} blank page(s) dropped")


def test_text_that_agrees_with_the_issued_value_gets_that_value_verified(
    batch: Batch, verified: tuple[list[Record], Path], spec: FormSpec
) -> None:
    for rec in verified[0]:
        form = batch.forms[rec.document]
        present = set(range(1, form.pages + 1)) - set(form.missing)
        marked = {m.field for m in batch.marks if m.document == rec.document and m.field}
        for f in spec.value_fields:
            if all(w.page_no in present for w in f.widgets) and f.name not in marked:
                assert rec.fields[f.name] == form.values[f.name], f.name
                assert not any(i.field == f.name for i in rec.review), f.name


def test_signatures_are_found_and_empty_boxes_with_dust_are_never_signed(
    batch: Batch, verified: tuple[list[Record], Path], spec: FormSpec
) -> None:
    for rec in verified[0]:
        form = batch.forms[rec.document]
        if 3 in form.missing:
            continue
        assert rec.signed == form.signed
    assert any(any(f.signed.values()) for f in batch.forms.values())


def test_handwriting_is_flagged_with_its_crop(batch: Batch, verified: tuple[list[Record], Path]) -> None:
    records = by_doc(verified[0])
    marks = [m for m in batch.marks if m.page_no not in batch.forms[m.document].missing]
    assert marks
    for m in marks:
        items = [i for i in records[m.document].review if i.page == m.page_no and i.box is not None]
        hit = [
            i for i in items
            if i.box is not None and i.box[0] - 4 < m.rect.x1 and m.rect.x0 - 4 < i.box[2] and i.box[1] - 4 < m.rect.y1 and m.rect.y0 - 4 < i.box[3]
        ]
        assert hit, m
        assert hit[0].crop and Path(hit[0].crop).is_file()


def test_crops_are_saved_under_names_without_pupil_data(verified: tuple[list[Record], Path]) -> None:
    records, review = verified
    files = list(review.iterdir())
    assert files
    for f in files:
        assert re.fullmatch(r"[A-Z2-7]{8}-p\d+-[a-z0-9.]+-[0-9a-f]{6}-\d+\.png", f.name), f.name


def test_the_review_page_is_dutch_worst_first_and_links_its_crops_beside_it(
    verified: tuple[list[Record], Path], tmp_path: Path
) -> None:
    import html as htmllib

    from oppforms.i18n import translate

    records, review = verified
    out = review.parent / "controle.html"  # beside the crops' folder, as extract writes it
    write_review_html(records, out)
    page = out.read_text(encoding="utf-8")
    assert "data:image" not in page and "<script" not in page and "http" not in page
    links = re.findall(r"<img src='([^']+)'", page)
    assert links and all(not link.startswith("/") and (out.parent / htmllib.unescape(link)).is_file() for link in links)
    reasons = [item.reason for rec in records for item in rec.review]
    for reason in reasons:  # every reason in Dutch, none left in English
        assert translate(reason) != reason, reason
        assert htmllib.escape(translate(reason)) in page
        assert htmllib.escape(reason) not in page
    missing = page.find("ontbreekt in de scan")
    hand = page.find("handschrift of tekens op papier toegevoegd")
    assert 0 < missing < hand
    assert "<html lang='nl'>" in page and "OPP-scans: te controleren" in page
    assert len(page.encode()) < 60_000  # the crops are files, not inline
    english = tmp_path / "review.html"
    write_review_html(records, english, lang="en")
    assert "handwriting or marks added on paper" in english.read_text(encoding="utf-8")


def test_text_that_disagrees_goes_to_review_with_both_values(batch: Batch, spec: FormSpec, tmp_path: Path) -> None:
    records = read_scanned(batch.pdf, spec, issued=batch.issued, review_dir=tmp_path, ocr=MisReading)
    rec = records[0]
    reasons = [i for i in rec.review if i.field == "leerling.klas" and "differently" in i.reason]
    if 4 in batch.forms[rec.document].missing:
        pytest.skip("the page is missing in this batch")
    assert reasons and "Tekct" in reasons[0].reason and "Tekst" in reasons[0].reason
    assert rec.fields["leerling.klas"] == LINE  # the issued value, flagged, never the misreading
    assert reasons[0].crop and Path(reasons[0].crop).is_file()


def test_without_the_issued_values_an_unsure_reading_goes_to_review(batch: Batch, spec: FormSpec, tmp_path: Path) -> None:
    records = read_scanned(batch.pdf, spec, issued=None, review_dir=tmp_path, ocr=Unsure)
    for rec in records:
        filled = [f.name for f in spec.value_fields if rec.fields[f.name]]
        assert filled
        reviewed = {i.field for i in rec.review}
        assert set(filled) <= reviewed


def test_pages_in_parallel_give_the_same_records(batch: Batch, spec: FormSpec, verified: tuple[list[Record], Path], tmp_path: Path) -> None:
    records = read_scanned(batch.pdf, spec, issued=batch.issued, jobs=2, review_dir=tmp_path, ocr=Reading)
    one = {r.document: (r.fields, r.signed, len(r.review)) for r in verified[0]}
    two = {r.document: (r.fields, r.signed, len(r.review)) for r in records}
    assert one == two


# ---------------------------------------------------------------------------------------
# Single pages: orientation, show-through, layout, streaks, refusals


@pytest.fixture(scope="module")
def page_images(batch: Batch) -> list[np.ndarray]:
    form = next(iter(batch.forms.values()))
    return render(batch.issued / form.file, 150)


def _read_images(images: list[np.ndarray], spec: FormSpec, tmp: Path, name: str, issued: Path | None = None) -> list[Record]:
    path = tmp / name
    write_pdf(images, path, 150, 90)
    return read_scanned(path, spec, issued=issued, review_dir=tmp / "review", ocr=Reading)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_pages_turned_a_quarter_half_or_three_quarters_are_read(
    turns: int, page_images: list[np.ndarray], spec: FormSpec, batch: Batch, tmp_path: Path
) -> None:
    turned = [np.ascontiguousarray(np.rot90(p, turns)) for p in page_images[:3]]
    records = _read_images(turned, spec, tmp_path, "turned.pdf", issued=batch.issued)
    assert len(records) == 1
    assert records[0].fields["schooljaar"] == LINE
    assert records[0].fields["akkoord.leerling.start.datum"] == DATE_ISO


def test_a_mirror_image_scan_is_turned_back_and_read(
    page_images: list[np.ndarray], spec: FormSpec, batch: Batch, tmp_path: Path
) -> None:
    mirrored = [np.ascontiguousarray(cv2.flip(p, 1)) for p in page_images[:3]]
    records = _read_images(mirrored, spec, tmp_path, "spiegel.pdf", issued=batch.issued)
    assert len(records) == 1
    assert records[0].fields["schooljaar"] == LINE
    assert any("mirror image" in w for w in records[0].warnings)


def test_a_faint_mirrored_code_showing_through_is_not_a_page(page_images: list[np.ndarray], spec: FormSpec, tmp_path: Path) -> None:
    ghost = 255.0 - (255.0 - cv2.flip(page_images[0], 1).astype(np.float32)) * 0.15
    records = _read_images([page_images[0], np.clip(ghost, 0, 255).astype(np.uint8)], spec, tmp_path, "ghost.pdf")
    assert len(records) == 1
    assert any("1 blank page(s) dropped" in w and "showing through" in w for w in records[0].warnings)


def test_a_page_without_readable_codes_is_found_by_its_layout_and_sent_to_review(
    page_images: list[np.ndarray], spec: FormSpec, tmp_path: Path
) -> None:
    page = page_images[1].copy()
    for r in spec.marks.qr_rects():
        b = to_pixels(r.inset(-3), spec.page_height, 150)
        page[b.top : b.bottom, b.left : b.right] = 255
    records = _read_images([page_images[0], page], spec, tmp_path, "nocode.pdf")
    items = [i for r in records for i in r.review if i.reason.startswith("no readable page code")]
    assert len(items) == 1 and items[0].page == 2
    # the fake engine cannot read the footer's document id, so the page stands on its own
    # (with tesseract it joins its form: see test_scan_tesseract.py)
    loose = [r for r in records if not r.document]
    assert len(loose) == 1 and any(i.reason.startswith("no readable page code") for i in loose[0].review)


def test_a_copier_streak_is_removed_and_not_taken_for_a_signature() -> None:
    page = np.full((1200, 900), 240, np.uint8)
    page[:, 400:403] = 60
    cleaned, n = remove_scanner_streaks(page)
    assert n >= 1 and int((cleaned < 150).sum()) == 0
    box = np.full((390, 470), 240, np.uint8)
    cv2.line(box, (200, 0), (215, 389), 40, 3)  # a streak, tilted by the page's skew
    e = signature_evidence(box, 300 / 25.4)
    assert judge_signature(e) is SignatureVerdict.EMPTY


def test_an_empty_box_with_dust_is_never_signed_and_a_signature_is() -> None:
    rng = np.random.default_rng(1)
    for _ in range(20):
        box = np.full((390, 470), 245, np.uint8)
        for _ in range(8):
            cv2.circle(box, (int(rng.integers(10, 460)), int(rng.integers(10, 380))), int(rng.integers(0, 3)), int(rng.integers(60, 160)), -1)
        assert judge_signature(signature_evidence(box, 300 / 25.4)) is SignatureVerdict.EMPTY
    import random

    from oppforms.spec import current_spec

    spec = current_spec()
    img = np.full((3508, 2480), 245, np.uint8)
    field = spec.signature_fields[0]
    draw_signature(img, field.rect, spec, 300, random.Random(3))
    b = to_pixels(field.rect.inset(2.5), spec.page_height, 300)
    assert judge_signature(signature_evidence(img[b.top : b.bottom, b.left : b.right], 300 / 25.4)) is SignatureVerdict.SIGNED


def test_an_absurd_image_is_refused_with_a_clear_message() -> None:
    with pytest.raises(PageRefused, match="million"):
        check_size(40_000, 30_000, "x.png page 1")
    with pytest.raises(PageRefused, match="200 dpi"):
        check_size(300, 400, "x.png page 1")


def test_an_image_that_is_not_the_form_is_not_this_form(spec: FormSpec, tmp_path: Path) -> None:
    img = np.full((1754, 1240), 255, np.uint8)
    cv2.putText(img, "Geen formulier", (100, 400), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 6)
    path = tmp_path / "other.png"
    cv2.imwrite(str(path), img)
    with pytest.raises(NotThisFormError):
        read_scanned(path, spec, issued=None, ocr=Reading)


def test_an_unreadable_file_is_an_input_error(spec: FormSpec, tmp_path: Path) -> None:
    path = tmp_path / "kapot.pdf"
    path.write_bytes(b"%PDF-1.7 not really")
    with pytest.raises(InputError):
        read_scanned(path, spec, issued=None, ocr=Reading)


def test_a_png_and_a_multipage_tiff_are_read(page_images: list[np.ndarray], spec: FormSpec, tmp_path: Path) -> None:
    from PIL import Image

    png = tmp_path / "p.png"
    Image.fromarray(page_images[0]).save(png)
    assert len(read_scanned(png, spec, issued=None, ocr=Reading)) == 1
    tif = tmp_path / "p.tif"
    frames = [Image.fromarray(p) for p in page_images[:2]]
    frames[0].save(tif, save_all=True, append_images=frames[1:], compression="tiff_deflate")
    assert len(read_scanned(tif, spec, issued=None, ocr=Reading)) == 1


# Encrypted scanner PDFs: copiers encrypt with AES-256 and a password, or set only an owner
# password (the file opens in any viewer without asking)

PASSWORD = "Geheim-301"


@pytest.fixture(scope="module")
def plain_scan(page_images: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two pages of a form as a scanner's PDF, not encrypted."""
    path = tmp_path_factory.mktemp("encrypted") / "kopie.pdf"
    write_pdf(page_images[:2], path, 150, 90)
    return path


def _encrypted(plain: Path, out: Path, *, user: str, owner: str) -> Path:
    with pikepdf.open(plain) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner=owner, R=6))  # AES-256
    with pikepdf.open(out, password=owner) as pdf:
        assert pdf.is_encrypted and (pdf.encryption.R, pdf.encryption.bits) == (6, 256)
    return out


def _extract(path: Path, spec: FormSpec, issued: Path, passwords: tuple[str, ...] = ()) -> FileResult:
    """``oppforms extract`` of one file, with the fake engine behind the scanned-forms seam."""
    reader = functools.partial(read_scanned_files, ocr=Reading)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extract_run, "scanned_reader", lambda: reader)
        (result,) = extract_many([path], issued=issued, spec=spec, passwords=passwords)
    return result


@pytest.fixture(scope="module")
def plain_result(plain_scan: Path, spec: FormSpec, batch: Batch) -> FileResult:
    result = _extract(plain_scan, spec, batch.issued)
    assert len(result.records) == 1 and result.records[0].fields["schooljaar"] == LINE
    return result


def _same_reading(got: FileResult, want: FileResult) -> None:
    assert len(got.records) == len(want.records) == 1
    a, b = got.records[0], want.records[0]
    assert (a.document, a.fields, a.signed, a.review) == (b.document, b.fields, b.signed, b.review)
    assert [(p.page, p.source_page) for p in a.pages] == [(p.page, p.source_page) for p in b.pages]


def test_an_aes_encrypted_scan_is_read_with_its_password_as_the_scan_itself(
    plain_scan: Path, plain_result: FileResult, spec: FormSpec, batch: Batch, tmp_path: Path
) -> None:
    path = _encrypted(plain_scan, tmp_path / "versleuteld.pdf", user=PASSWORD, owner=PASSWORD)
    result = _extract(path, spec, batch.issued, passwords=("fout", PASSWORD))
    _same_reading(result, plain_result)
    assert (result.status, result.reason) == (plain_result.status, "")
    assert result.notes == ("encrypted; opened with a password given",)  # as for a form with fields


def test_a_scan_with_only_an_owner_password_is_read_without_one(
    plain_scan: Path, plain_result: FileResult, spec: FormSpec, batch: Batch, tmp_path: Path
) -> None:
    path = _encrypted(plain_scan, tmp_path / "kopieerapparaat.pdf", user="", owner="beheerder-7")
    result = _extract(path, spec, batch.issued)
    _same_reading(result, plain_result)
    assert (result.status, result.reason) == (plain_result.status, "")
    assert result.notes == ("encrypted; opened with no password",)


def test_an_encrypted_scan_without_its_password_is_encrypted_as_a_form_with_fields_is(
    plain_scan: Path, spec: FormSpec, batch: Batch, tmp_path: Path
) -> None:
    none_opens = "encrypted, and none of the passwords given opens it"
    path = _encrypted(plain_scan, tmp_path / "versleuteld.pdf", user=PASSWORD, owner=PASSWORD)
    wrong = _extract(path, spec, batch.issued, passwords=("fout",))
    assert (wrong.status, wrong.reason, wrong.records) == (FileStatus.ENCRYPTED, none_opens, ())
    missing = _extract(path, spec, batch.issued)
    assert (missing.status, missing.reason) == (FileStatus.ENCRYPTED, "encrypted with a password (give it with --password)")
    # the scanned-forms reader says the same when it is given the file itself
    run = read_scanned_files([(path, "versleuteld.pdf")], spec, issued=None, ocr=Reading, passwords=("fout",))
    error = run.files[0].error
    assert isinstance(error, EncryptedPdfError) and not run.records
    assert str(error) == f"versleuteld.pdf: {none_opens}"
    with pytest.raises(EncryptedPdfError, match=r"^versleuteld.pdf: encrypted with a password \(give it with --password\)$"):
        read_scanned(path, spec, issued=None, ocr=Reading)
    # ... and extract reports that as the status "encrypted", its reason without the file's name
    reader = functools.partial(read_scanned_files, ocr=Reading)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extract_run, "scanned_reader", lambda: reader)
        (result,) = extract_run._Scan(spec, None, 1, passwords=("fout",)).read([(Input(path, "versleuteld.pdf", "pdf"), None)])
    assert (result.status, result.reason, result.notes) == (FileStatus.ENCRYPTED, none_opens, ())


# ---------------------------------------------------------------------------------------
# Text rules and geometry


def test_agreement_forgives_typography_and_letters_the_engine_cannot_read_only() -> None:
    alphabet = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ -'.")
    assert agrees("Zoe's  plan - klaar", "Zoe’s plan – klaar", alphabet)
    assert agrees("Emre Gelik", "Emre Çelik", alphabet)  # Ç is beyond the engine
    assert not agrees("Emre Celik", "Emre Delik", alphabet)  # D is not
    assert not agrees("Emre Gelik", "Emre Çelik", None)
    assert fold("a\u00a0b  “c”") == 'a b "c"'


def test_dates_are_read_as_printed_and_impossible_ones_refused() -> None:
    assert parse_date("24-09-2026") == "2026-09-24"
    assert parse_date("31-02-2026") is None
    assert parse_date("24-09") is None


def test_the_continuation_marker_is_recognised_at_the_end_of_a_box() -> None:
    pattern = marker_pattern("» vervolg op pagina {page}")
    m = pattern.search("tekst tekst\n» vervolg op pagina 6")
    assert m and m.group(1) == "6"
    assert pattern.search("vervolg op pagina 7 en meer") is None


def test_paragraphs_are_rebuilt_from_the_wrapped_lines(spec: FormSpec) -> None:
    from oppforms.typeset import wrap

    metrics = FontMetrics.shipped(spec.fonts[spec.values.font])
    text = "Eerste alinea met wat woorden die over meer regels lopen dan er passen.\nKort.\nNog een alinea."
    lines = [w.text for w in wrap(text, metrics, 10, 150)]
    rebuilt = rebuild_paragraphs(lines, metrics, 150, [10, 9.5, 9])
    assert rebuilt is not None and rebuilt.text == text and rebuilt.size == 10
    assert rebuild_paragraphs(["een", "heel lange regel die niet in honderdvijftig punten past"], metrics, 150, [10]) is None


@pytest.mark.parametrize("joint", [" ", "\n", "\n\n"], ids=["wrapped", "typed-break", "blank-line"])
def test_the_baselines_tell_a_typed_break_from_a_wrap_at_a_full_line(spec: FormSpec, joint: str) -> None:
    from oppforms.typeset import line_offsets, wrap

    metrics = FontMetrics.shipped(spec.fonts[spec.values.font])
    vs = spec.values
    text = "Zij plant haar werk elke week samen met de mentor." + joint + "Daarna volgt een evaluatie."
    width = metrics.width("Zij plant haar werk elke week samen met de mentor.", 10) + 1
    wrapped = wrap(text, metrics, 10, width)
    offsets = line_offsets([w.para for w in wrapped], 10 * vs.leading, 10 * vs.paragraph)
    shown = [(w.text, y) for w, y in zip(wrapped, offsets, strict=True) if w.text]
    lines = [t for t, _ in shown]
    # baselines as a scan measures them: off by up to half a point
    drops = [b - a + (0.5 if i % 2 else -0.5) for i, ((_, a), (_, b)) in enumerate(zip(shown, shown[1:]))]
    rebuilt = rebuild_paragraphs(lines, metrics, width, [10, 9.5], drops=drops, leading=vs.leading, paragraph=vs.paragraph)
    assert rebuilt is not None and rebuilt.text == text and rebuilt.laid_out
    # without the baselines a full line hides the difference: it is read as a wrap
    blind = rebuild_paragraphs(lines, metrics, width, [10, 9.5])
    assert blind is not None and blind.text == text.replace(joint, " ") and not blind.laid_out


def test_a_homography_maps_points_and_inverts() -> None:
    h = pdf_to_image(842.0, 300.0)
    assert h.map(0.0, 842.0) == pytest.approx((0.0, 0.0))
    back = h.inverse()
    assert back.map(*h.map(100.0, 200.0)) == pytest.approx((100.0, 200.0))
    mapped, rounded = map_rect(h, PdfRect(10, 10, 20, 20)), to_pixels(PdfRect(10, 10, 20, 20), 842.0, 300.0)
    assert abs(mapped.left - rounded.left) <= 1 and abs(mapped.bottom - rounded.bottom) <= 1
    turn = Homography((0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0))
    assert h.then(turn).map(0.0, 842.0) == pytest.approx(turn.map(*h.map(0.0, 842.0)))


def test_tesseract_tsv_is_parsed_into_lines_and_words() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "5\t1\t1\t1\t1\t1\t10\t5\t40\t20\t96.5\tZoë\n"
        "5\t1\t1\t1\t1\t2\t60\t5\t40\t20\t91.0\tBerg\n"
        "5\t1\t1\t1\t2\t1\t10\t40\t40\t20\t88.0\tKlas\n"
    )
    text = parse_tsv(tsv)
    assert text.text == "Zoë Berg\nKlas"
    assert text.confidence == 88.0


def test_the_engine_alphabet_is_read_from_the_dutch_model() -> None:
    folder = tessdata_dir()
    if folder is None:
        pytest.skip("tesseract's Dutch model is not installed")
    alphabet = model_alphabet(folder / "nld.traineddata")
    assert alphabet is not None and {"ë", "ï", "é"} <= alphabet and "ş" not in alphabet


def test_scan_records_serialise_to_the_contract_schema(verified: tuple[list[Record], Path], spec: FormSpec) -> None:
    import jsonschema  # type: ignore[import-untyped]

    from oppforms.records import record_schema

    for rec in verified[0]:
        jsonschema.validate(json.loads(json.dumps(rec.to_json())), record_schema(spec))



def test_a_field_shown_twice_sends_a_person_to_the_place_that_reads_otherwise(spec: FormSpec) -> None:
    from oppforms.pagecode import PageCode
    from oppforms.scan.assemble import assemble
    from oppforms.scan.page import FieldRead, PageResult

    pages = spec.page_count
    f = spec.field("leerling.naam")

    def page(no: int, status: str, value: str, crop: str) -> PageResult:
        code = PageCode(spec.form_id, spec.version, "ABCD-EFGH", no, pages)
        read = FieldRead(f.name, no, status, value, value, 95.0, "", f.widgets[0].rect, crop)
        return PageResult("scan.pdf", no - 1, "form", code=code, page_no=no, fields=(read,) if status else ())

    results = [page(n, "", "", "") for n in range(1, pages + 1)]
    # a note written after the name on page 1; page 4 reads clean
    results[0] = page(1, "review", "Bo Jansen akkoord?", "p1.png")
    results[3] = page(4, "accepted", "Bo Jansen", "p4.png")
    (record,) = assemble(results, spec, issued=None, alphabet=None)
    item = next(i for i in record.review if i.field == f.name)
    assert item.page == 1 and item.crop == "p1.png"


@pytest.mark.parametrize("pages_there", ["all", "second-missing", "unsure"])
def test_a_text_that_continues_is_joined_and_accepted_only_when_every_part_is_sure(
    spec: FormSpec, pages_there: str
) -> None:
    from oppforms.pagecode import PageCode
    from oppforms.scan.assemble import assemble
    from oppforms.scan.page import ContinuationRead, FieldRead, PageResult

    total = spec.page_count + 2
    f = spec.field("doelen.school")
    home = f.widgets[0].page_no

    def code(no: int) -> PageCode:
        return PageCode(spec.form_id, spec.version, "ABCD-EFGH", no, total)

    results = [PageResult("scan.pdf", n - 1, "form", code=code(n), page_no=n) for n in range(1, spec.page_count + 1)]
    box = FieldRead(f.name, home, "accepted", "Eerste deel.", "Eerste deel.", 96.0, "", f.widgets[0].rect, None, spec.page_count + 1)
    results[home - 1] = PageResult("scan.pdf", home - 1, "form", code=code(home), page_no=home, fields=(box,))
    sure = pages_there != "unsure"
    cont = [
        ContinuationRead(f.name, "Tweede deel", 95.0, spec.page_count + 2, "\n", sure),
        ContinuationRead(f.name, "loopt door.", 95.0, 0, "", True),
    ]
    for i, c in enumerate(cont):
        if pages_there == "second-missing" and i == 1:
            continue
        no = spec.page_count + 1 + i
        results.append(PageResult("scan.pdf", no - 1, "form", code=code(no), page_no=no, continuation=c))
    (record,) = assemble(results, spec, issued=None, alphabet=None)
    reviewed = {i.field for i in record.review}
    if pages_there == "all":
        assert record.fields[f.name] == "Eerste deel.\nTweede deel loopt door."
        assert f.name not in reviewed
    else:
        assert f.name in reviewed


def test_a_reading_of_an_enlarged_crop_is_put_back_in_the_first_readings_pixels() -> None:
    from oppforms.geometry import PixelBox
    from oppforms.scan.ocr import OcrLine, OcrText, OcrWord
    from oppforms.scan.readings import _PAD, _rescaled

    # a word at (100, 40)-(160, 70) in the crop lies at 1.5 x that, plus the padding
    word = OcrWord("moeder", PixelBox(_PAD + 150, _PAD + 60, _PAD + 240, _PAD + 105), 91.0)
    big = OcrText((OcrLine((word,), word.box, _PAD + 99),))
    (line,) = _rescaled(big, 1.5).lines
    assert line.words[0].box == PixelBox(_PAD + 100, _PAD + 40, _PAD + 160, _PAD + 70)
    assert line.baseline == _PAD + 66 and line.words[0].text == "moeder"


def test_lines_that_do_not_rewrap_are_joined_by_what_their_baselines_show() -> None:
    from oppforms.scan.text import join_by_drops

    assert join_by_drops(["een", "twee", "drie", "vier"], [11.8, 15.8, 31.6], 11.8, 4.0) == "een twee\ndrie\n\nvier"
    assert join_by_drops(["een", "twee"], None, 11.8, 4.0) == "een twee"


def test_a_note_on_one_of_two_places_of_a_verified_field_is_shown_to_a_person(spec: FormSpec) -> None:
    from oppforms.pagecode import PageCode
    from oppforms.scan.assemble import assemble
    from oppforms.scan.page import FieldRead, PageResult

    pages = spec.page_count
    f = spec.field("leerling.naam")
    issued = {"ABCD-EFGH": {f.name: "Bo Jansen"}}

    def page(no: int, status: str, value: str, reason: str, crop: str) -> PageResult:
        code = PageCode(spec.form_id, spec.version, "ABCD-EFGH", no, pages)
        read = FieldRead(f.name, no, status, value, value, 95.0, reason, f.widgets[0].rect, crop)
        return PageResult("scan.pdf", no - 1, "form", code=code, page_no=no, fields=(read,) if status else ())

    results = [page(n, "", "", "", "") for n in range(1, pages + 1)]
    results[0] = page(1, "verified", "Bo Jansen", "", "p1.png")
    results[3] = page(4, "review", "Bo Jansen", "the scan reads differently from the issued value", "p4.png")
    (record,) = assemble(results, spec, issued=issued, alphabet=None)
    assert record.fields[f.name] == "Bo Jansen"
    item = next(i for i in record.review if i.field == f.name)
    assert item.page == 4 and item.crop == "p4.png"


def test_an_unconfirmed_capital_i_between_small_letters_is_guessed_as_an_l() -> None:
    from oppforms.scan.readings import _I_IN_WORD

    assert _I_IN_WORD.sub("l", "pIanning") == "planning"
    assert _I_IN_WORD.sub("l", "Ilse IJsselmeer KIas") == "Ilse IJsselmeer KIas"


def test_a_document_id_read_from_the_footer_takes_letters_for_look_alike_digits() -> None:
    from oppforms.scan.readings import footer_document

    assert footer_document("Y271", "UBRK") == "Y27I-UBRK"  # base32 has no 1: it is an I
    assert footer_document("k7q2", "m9xd") is None  # nor a 9, which looks like no letter
    assert footer_document("0B8A", "2345") == "OBBA-2345"


def test_a_footer_id_read_with_a_look_alike_is_the_issued_id_it_can_be() -> None:
    from oppforms.scan.readings import _looks_alike

    assert _looks_alike("4SMM-C4KQ", "45MM-C4KQ")
    assert not _looks_alike("4SMM-C4KQ", "4SMM-C4KQ") and not _looks_alike("4SMM-C4KQ", "4XMM-C4KQ")


def test_a_speck_read_far_below_the_text_is_no_line_of_it() -> None:
    from oppforms.scan.text import stray_tail

    assert stray_tail(["een twee", "drie", "\\"], [11.8, 60.0], 11.8) == 1
    assert stray_tail(["een twee", "drie", "v", "."], [11.8, 60.0, 50.0], 11.8) == 2
    assert stray_tail(["een twee", "drie", "vier"], [11.8, 60.0], 11.8) == 0  # a word is text
    assert stray_tail(["een twee", "v"], [11.8], 11.8) == 0  # a line below the text: the text's
    assert stray_tail(["een", "v"], [2 * 11.8 + 4.0], 11.8) == 0  # after an empty line too
    assert stray_tail(["v"], [], 11.8) == 0


def test_a_mark_in_the_margin_cut_by_a_sections_crop_is_no_line_of_its_text() -> None:
    """A continuation section is read from a crop a little wider than the content area:
    a scribble beside it, cut by the crop's edge, read as a last line is not the text's."""
    from oppforms.scan.sections import _cut_at_sides
    from oppforms.scan.readings import _PAD

    def line(*spans: tuple[int, int]) -> OcrLine:
        words = tuple(OcrWord("w", PixelBox(_PAD + a, 10, _PAD + b, 40), 90.0) for a, b in spans)
        return OcrLine(words, PixelBox(words[0].box.left, 10, words[-1].box.right, 40), 40)

    text = line((9, 200), (215, 400))
    assert _cut_at_sides((text, line((0, 18))), 1000) == 1  # at the left edge
    assert _cut_at_sides((text, line((985, 1000))), 1000) == 1  # at the right edge
    assert _cut_at_sides((text, line((0, 18)), line((0, 30))), 1000) == 2
    assert _cut_at_sides((text, line((9, 30))), 1000) == 0  # where a line starts: text
    assert _cut_at_sides((line((0, 18)),), 1000) == 0  # nothing else read: not decided here


def test_a_page_found_by_its_layout_whose_footer_reads_a_look_alike_id_joins_the_one_form_it_can_be(spec: FormSpec) -> None:
    """Without --issued: the footer of a page without readable codes reads 5 for S; the
    scan holds one document (by its codes) that id can be, and none other like it."""
    from oppforms.pagecode import PageCode
    from oppforms.scan.assemble import assemble
    from oppforms.scan.page import PageResult

    pages = spec.page_count

    def page(no: int, doc: str, by_layout: bool = False) -> PageResult:
        return PageResult("scan.pdf", no - 1, "form", code=PageCode(spec.form_id, spec.version, doc, no, pages), page_no=no, by_layout=by_layout)

    results = [page(n, "SABC-DEFG") for n in range(1, pages + 1) if n != 2]
    results += [page(n, "KLMN-PQR2") for n in range(1, pages + 1)]
    results.append(page(2, "5ABC-DEFG", by_layout=True))
    records = assemble(results, spec, issued=None, alphabet=None)
    assert sorted(r.document for r in records) == ["KLMN-PQR2", "SABC-DEFG"]
    joined = next(r for r in records if r.document == "SABC-DEFG")
    assert not any("missing" in i.reason for i in joined.review)
    assert any("read as 5ABC-DEFG" in i.reason and i.page == 2 for i in joined.review)
    # two documents it could be (SABC-DEFG and SABC-DEF6): it stands alone, for a person to place
    results += [page(n, "SABC-DEF6") for n in range(1, pages + 1)]
    records = assemble(results, spec, issued=None, alphabet=None)
    assert sorted(r.document for r in records) == ["5ABC-DEFG", "KLMN-PQR2", "SABC-DEF6", "SABC-DEFG"]


def _true_and_turned(spec: FormSpec, page: np.ndarray, degrees: float) -> tuple[np.ndarray, Homography]:
    """``page`` (rendered at 150 dpi) turned by ``degrees`` about its centre, and the true
    mapping from PDF points to the turned image's pixels."""
    h, w = page.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    turned = cv2.warpAffine(page, rot, (w, h), borderValue=255)
    r = np.vstack([rot, [0.0, 0.0, 1.0]])
    m = r @ np.array(pdf_to_image(spec.page_height, 150).m, dtype=np.float64).reshape(3, 3)
    return np.asarray(turned, dtype=np.uint8), Homography(tuple(float(v) for v in m.ravel()))  # type: ignore[arg-type]


def _off_by(true: Homography, at: tuple[float, float], degrees: float) -> Homography:
    """``true`` turned a further ``degrees`` about the PDF point ``at``: right near it,
    centimetres off at the other end of the page (as a mapping from one QR code is)."""
    a = math.radians(degrees)
    x, y = at
    c, s = math.cos(a), math.sin(a)
    turn = np.array([[c, -s, x - c * x + s * y], [s, c, y - s * x - c * y], [0, 0, 1]])
    m = np.array(true.m, dtype=np.float64).reshape(3, 3) @ turn
    return Homography(tuple(float(v) for v in m.ravel()))  # type: ignore[arg-type]


def _apart_pt(a: Homography, b: Homography, spec: FormSpec) -> float:
    """The largest distance (in image pixels at 150 dpi, as points ×150/72) between where
    ``a`` and ``b`` put the page's corners, in points."""
    corners = [(0.0, 0.0), (spec.page_width, 0.0), (0.0, spec.page_height), (spec.page_width, spec.page_height)]
    return max(math.dist(a.map(*p), b.map(*p)) for p in corners) * 72 / 150


def test_marks_far_from_where_a_rough_mapping_puts_them_are_found_from_the_marks_it_did_find(
    page_images: list[np.ndarray], spec: FormSpec
) -> None:
    """A page aligned first by its bottom QR code alone: the two bottom marks are where it
    says, the top ones 2 cm away. The bottom marks place the top ones; all four align it."""
    from oppforms.scan.locate import Alignment, align

    image, true = _true_and_turned(spec, page_images[1], 2.0)
    rough = _off_by(true, (spec.page_width / 2, 40.0), 3.0)
    assert _apart_pt(rough, true, spec) > 40  # the top marks are far outside where they are looked for
    got = align(image, spec, Alignment(rough, 0.0, "qr", 0))
    assert (got.method, got.marks_found) == ("marks", 4)
    assert _apart_pt(got.image_from_pdf, true, spec) < 1.5


def test_three_marks_align_a_page_whose_fourth_fell_off_the_glass(page_images: list[np.ndarray], spec: FormSpec) -> None:
    from oppforms.scan.locate import Alignment, align

    image, true = _true_and_turned(spec, page_images[1], -1.5)
    gone = spec.marks.corner_rects(spec.page_width, spec.page_height)[1]
    x0, y0 = true.map(gone.x0 - 6, gone.y1 + 6)
    x1, y1 = true.map(gone.x1 + 6, gone.y0 - 6)
    image[int(min(y0, y1)) : int(max(y0, y1)) + 1, int(min(x0, x1)) : int(max(x0, x1)) + 1] = 255
    got = align(image, spec, Alignment(_off_by(true, (spec.page_width / 2, 40.0), 0.5), 0.0, "qr", 0))
    assert (got.method, got.marks_found) == ("marks", 3)
    assert _apart_pt(got.image_from_pdf, true, spec) < 1.5


def test_signature_boxes_of_a_page_aligned_without_its_marks_go_to_review(
    page_images: list[np.ndarray], spec: FormSpec, batch: Batch, tmp_path: Path
) -> None:
    """Aligned on its QR codes alone, a box may be cut a little off (a neighbour's line in
    it, a signature half outside it): signed or empty is for a person to see."""
    page = page_images[2].copy()  # page 3 holds the signature boxes
    for r in spec.marks.corner_rects(spec.page_width, spec.page_height):
        b = to_pixels(r.inset(-3), spec.page_height, 150)
        page[b.top : b.bottom, b.left : b.right] = 255
    (rec,) = _read_images([page], spec, tmp_path, "nomarks.pdf", issued=batch.issued)
    boxes = {f.name for f, _ in spec.widgets_on(3) if f.is_signature}
    assert boxes
    reviewed = {i.field for i in rec.review if "aligned without its corner marks" in i.reason}
    assert boxes <= reviewed
    assert not any(rec.signed[name] for name in boxes)


def test_a_saved_crop_keeps_ink_and_pencil_and_makes_the_paper_grain_white() -> None:
    from oppforms.scan.boxes import PAPER_GRAIN, for_people

    rng = np.random.default_rng(3)
    paper = np.clip(rng.normal(245, 4, size=(60, 200)), 0, 255).astype(np.uint8)
    paper[20:30, 10:60] = 30  # ink
    paper[20:30, 100:150] = 245 - PAPER_GRAIN - 20  # a faint pencil line
    out = for_people(paper)
    assert (out[20:30, 10:60] == 30).all()
    assert (out[20:30, 100:150] == 245 - PAPER_GRAIN - 20).all()
    grain = np.ones_like(out, dtype=bool)
    grain[20:30, 10:60] = grain[20:30, 100:150] = False
    assert (out[grain] == 255).mean() > 0.99
