"""Continuation pages packed: as few as the overflow needs, every word once and in order,
the layout's rules kept, and every way back (live fields, flattened and printed copies,
scans with and without the issued values) exact; forms filled before packing (one page
per field) still read.

All data is fictional."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oppforms.continuation import ContPage, fit_value, layout_for
from oppforms.extract import read_pdf_bytes
from oppforms.fill import Template
from oppforms.records import FileStatus
from oppforms.spec import FieldKind, FormSpec, current_spec
from oppforms.values import coerce_record

from .conftest import DATA
from .legacy_record import legacy_record
from .test_extract_flat import needs_gs, redistill

WORDS = (
    "de het een leerling school mentor plannen huiswerk begeleiding ondersteuning afspraken "
    "Zoë Şahin Wiśniewski İlayda „lezen” – 7½ voorleessoftware leerplichtambtenaar"
).split()


#: Words the Dutch model reads (the scans' long texts: what is tested there is the layout)
PLAIN = "de het een leerling school mentor plannen huiswerk begeleiding ondersteuning afspraken rustig lezen".split()


def text_of(length: int, seed: int, words: list[str] = WORDS) -> str:
    """About ``length`` characters of words, with a typed line break now and then (and
    sometimes an empty line)."""
    out: list[str] = []
    used = 0
    k = seed
    while used < length:
        k = (k * 1103515245 + 12345) % 2**31
        word = words[k % len(words)]
        sep = "\n\n" if k % 53 == 0 else "\n" if k % 17 == 0 else " "
        out.append(word + sep)
        used += len(word) + len(sep)
    return "".join(out).strip()


def record_with(lengths: dict[str, int], seed: int, spec: FormSpec) -> dict[str, str]:
    rec: dict[str, str] = {"leerling.naam": "Noor de Wit", "leerling.nummer": "004512"}
    for f in spec.value_fields:
        n = lengths.get(f.name, 0)
        if f.name in rec or not n:
            continue
        if f.kind is FieldKind.DATE:
            rec[f.name] = f"2026-09-{1 + n % 28:02d}"
        elif f.multiline:
            rec[f.name] = text_of(n, seed + len(f.name))
        else:
            rec[f.name] = " ".join(text_of(min(n, 12), seed).split())[: min(f.max_length, 12)].strip()
    return rec


def long_record() -> dict[str, str]:
    """A pupil whose action cells are each a little too long, one goal much too long, and
    one action with empty lines: the overflow of six fields."""
    spec = current_spec()
    rec = legacy_record()
    for name in ("acties.leerling.uitleg", "acties.school.acties", "acties.opvoeders.nodig"):
        rec[name] = text_of(520, len(name), PLAIN)
    rec["hulpvraag.school"] = text_of(1600, 7, PLAIN)
    assert sum(1 for f in spec.value_fields if f.multiline and rec.get(f.name)) >= 8
    return rec


# ---------------------------------------------------------------------------------------
# Packing


def check_packing(values: dict[str, str], spec: FormSpec) -> list[ContPage]:
    layout = layout_for(spec)
    sections = layout.overflow(values)
    pages = layout.pack(sections, spec.page_count + 1)
    # as few pages as the text needs, and at most one more
    assert len(pages) <= math.ceil(layout.lines_needed(sections) - 1e-9) + 1
    assert bool(pages) == bool(sections)
    parts = [part for page in pages for part in page.sections]
    # every word of every value on paper exactly once, in order: in its box, then on the
    # continuation pages
    for f in spec.value_fields:
        value = values.get(f.name, "")
        if not value or not f.multiline:
            continue
        fitted = fit_value(spec, layout.metrics, f, value)
        shown = [w for line in fitted.lines for w in line.split()]
        shown += [w for part in parts if part.field is f for line in part.lines for w in line.text.split()]
        assert shown == value.split(), f.name
    # sections in form order, each part where the rules put it
    order = [f.name for f in spec.value_fields]
    names = list(dict.fromkeys(p.field.name for p in parts))
    assert names == sorted(names, key=order.index)
    cont = spec.continuation
    total = {s.field.name: len(s.lines) for s in sections}
    for page in pages:
        assert page.sections and page.sections[0].first and page.sections[0].head_top == spec.marks.content.y1
        for i, part in enumerate(page.sections):
            assert part.page_no == page.page_no and part.lines
            # a line's room at the foot for the marker
            assert part.bottom - layout.pitch >= spec.marks.content.y0 - 1e-6
            if i:
                prev = page.sections[i - 1]
                assert not part.first and not part.again and prev.next_page == 0
                assert part.head_top == pytest.approx(prev.bottom - cont.section_gap)
                # no heading at the foot of a page: it keeps lines with it
                assert len(part.lines) >= min(cont.keep_lines, total[part.field.name])
            if part.next_page:
                assert i == len(page.sections) - 1
                nxt = next(p for p in pages if p.page_no == part.next_page).sections[0]
                assert nxt.field is part.field and nxt.again and nxt.lines[0].start >= part.lines[-1].end
    return pages


lengths = st.fixed_dictionaries(
    {f.name: st.one_of(st.just(0), st.integers(1, 600), st.integers(600, 4000)) for f in current_spec().value_fields}
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lengths=lengths, seed=st.integers(0, 10_000))
def test_any_overflow_is_packed_on_as_few_pages_as_it_needs_with_every_word_once_in_order(
    lengths: dict[str, int], seed: int
) -> None:
    spec = current_spec()
    values = coerce_record(record_with(lengths, seed, spec), spec, row=1, source="test")
    check_packing(values, spec)


def test_action_cells_each_a_little_too_long_share_one_continuation_page(spec: FormSpec) -> None:
    rec = {"leerling.naam": "Noor de Wit", "leerling.nummer": "004512"}
    actions = [f for f in spec.value_fields if f.name.startswith("acties.")]
    for i, f in enumerate(actions[:7]):
        rec[f.name] = text_of(480, i)
    values = coerce_record(rec, spec, row=1, source="test")
    layout = layout_for(spec)
    assert len(layout.plan(values, packed=False)) == 7  # a page per field, as before
    pages = check_packing(values, spec)
    assert len(pages) == 1 and len(pages[0].sections) == 7


# ---------------------------------------------------------------------------------------
# Filling: what the pages show


def page_texts(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [" ".join((p.extract_text() or "").split()) for p in pdf.pages]


@pytest.fixture(scope="module")
def packed() -> tuple[dict[str, str], bytes, bytes]:
    spec = current_spec()
    values = coerce_record(long_record(), spec, row=1, source="test")
    template = Template.for_spec()
    live = template.fill(values, doc_id="ABCD-EFGH")
    flat = template.fill(values, doc_id="ABCD-EFGH", flatten=True)
    return values, live.data, flat.data


def test_each_box_names_the_page_its_text_goes_on_and_that_page_shows_its_heading(
    packed: tuple[dict[str, str], bytes, bytes], spec: FormSpec
) -> None:
    values, _, flat = packed
    pages = page_texts(flat)
    plan = layout_for(spec).plan(values)
    assert len(pages) == spec.page_count + len(plan)
    assert len(plan) < len(layout_for(spec).plan(values, packed=False))
    assert any(len(p.sections) >= 3 for p in plan)
    for part in (p for page in plan for p in page.sections if not p.again):
        f = part.field
        box_page = pages[f.widgets[0].page_no - 1]
        assert f"» vervolg op pagina {part.page_no}" in box_page
        assert f"Vervolg van: {f.label}" in pages[part.page_no - 1]
    n = len(pages)
    assert all(f"pagina {i} van {n} · document ABCD-EFGH" in p for i, p in enumerate(pages, 1))


# ---------------------------------------------------------------------------------------
# Reading back


def assert_exact(fields: dict[str, str], values: dict[str, str], spec: FormSpec) -> None:
    for f in spec.value_fields:
        assert fields[f.name] == values.get(f.name, ""), f.name


def test_live_fields_hold_the_whole_text(packed: tuple[dict[str, str], bytes, bytes], spec: FormSpec) -> None:
    values, live, _ = packed
    result = read_pdf_bytes(live, source="terug.pdf")
    assert result.status is FileStatus.OK
    assert_exact(dict(result.records[0].fields), values, spec)


def test_a_flattened_packed_form_reads_back_exactly(packed: tuple[dict[str, str], bytes, bytes], spec: FormSpec) -> None:
    values, _, flat = packed
    result = read_pdf_bytes(flat, source="terug.pdf")
    assert result.status is FileStatus.OK, (result.records[0].review, result.records[0].warnings)
    assert_exact(dict(result.records[0].fields), values, spec)


@needs_gs
def test_a_packed_form_printed_to_pdf_reads_back_exactly(
    packed: tuple[dict[str, str], bytes, bytes], spec: FormSpec, tmp_path: Path
) -> None:
    values, live, _ = packed
    result = read_pdf_bytes(redistill(live, tmp_path), source="terug.pdf")
    assert result.status is FileStatus.OK, (result.records[0].review, result.records[0].warnings)
    assert_exact(dict(result.records[0].fields), values, spec)


def test_a_section_whose_page_is_missing_goes_to_review(packed: tuple[dict[str, str], bytes, bytes], spec: FormSpec) -> None:
    import pikepdf

    _, _, flat = packed
    with pikepdf.open(io.BytesIO(flat)) as pdf:
        del pdf.pages[spec.page_count]  # the first continuation page
        out = io.BytesIO()
        pdf.save(out)
    record = read_pdf_bytes(out.getvalue(), source="terug.pdf").records[0]
    assert any("continues on page" in i.reason for i in record.review)


# ---------------------------------------------------------------------------------------
# Forms filled before packing


LEGACY = DATA / "legacy-continuation.pdf"


def test_the_old_rule_lays_out_pages_as_the_version_before_packing_did(spec: FormSpec) -> None:
    """The fixture was filled by the version before packing (one page per field);
    ``packed=False`` keeps that rule, word for word and place for place."""
    values = coerce_record(legacy_record(), spec, row=1, source="test")
    again = Template.for_spec().fill(values, doc_id="ABCD-EFGH", flatten=True, packed=False).data

    def words(data: bytes) -> list[list[tuple[str, float, float]]]:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [[(w["text"], round(w["x0"], 1), round(w["top"], 1)) for w in p.extract_words()] for p in pdf.pages]

    old = words(LEGACY.read_bytes())
    assert len(old) == spec.page_count + 3
    assert words(again) == old


def test_a_form_filled_before_packing_reads_back_exactly(spec: FormSpec) -> None:
    values = coerce_record(legacy_record(), spec, row=1, source="test")
    result = read_pdf_bytes(LEGACY.read_bytes(), source="oud.pdf")
    assert result.status is FileStatus.OK, (result.records[0].review, result.records[0].warnings)
    assert_exact(dict(result.records[0].fields), values, spec)


@needs_gs
def test_a_form_filled_before_packing_and_printed_to_pdf_reads_back_exactly(spec: FormSpec, tmp_path: Path) -> None:
    values = coerce_record(legacy_record(), spec, row=1, source="test")
    result = read_pdf_bytes(redistill(LEGACY.read_bytes(), tmp_path), source="oud.pdf")
    assert result.status is FileStatus.OK, (result.records[0].review, result.records[0].warnings)
    assert_exact(dict(result.records[0].fields), values, spec)


# ---------------------------------------------------------------------------------------
# Scans (assembly here; the engine in the tesseract tests below)


def test_several_sections_of_one_page_are_joined_to_their_boxes(spec: FormSpec) -> None:
    from oppforms.pagecode import PageCode
    from oppforms.scan.assemble import assemble
    from oppforms.scan.page import ContinuationRead, FieldRead, PageResult

    total = spec.page_count + 2
    a, b = spec.field("doelen.school"), spec.field("acties.leerling.acties")

    def code(no: int) -> PageCode:
        return PageCode(spec.form_id, spec.version, "ABCD-EFGH", no, total)

    by_page: dict[int, list[FieldRead]] = {}
    for f, text in ((a, "Eerste deel."), (b, "Actie begint")):
        home = f.widgets[0].page_no
        by_page.setdefault(home, []).append(FieldRead(f.name, home, "accepted", text, text, 96.0, "", f.rect, None, spec.page_count + 1))
    results = [
        PageResult("scan.pdf", n - 1, "form", code=code(n), page_no=n, fields=tuple(by_page.get(n, ())))
        for n in range(1, spec.page_count + 1)
    ]
    first = (
        ContinuationRead(a.name, "Tweede deel.", 95.0, 0, "\n", True),
        ContinuationRead(b.name, "en loopt", 95.0, spec.page_count + 2, "", True),
    )
    second = (ContinuationRead(b.name, "door.", 95.0, 0, "", True),)
    for no, sections in ((spec.page_count + 2, second), (spec.page_count + 1, first)):
        results.append(PageResult("scan.pdf", no - 1, "form", code=code(no), page_no=no, continuation=sections[0], continuations=sections))
    (record,) = assemble(results, spec, issued=None, alphabet=None)
    assert record.fields[a.name] == "Eerste deel.\nTweede deel."
    assert record.fields[b.name] == "Actie begint en loopt door."
    assert not {a.name, b.name} & {i.field for i in record.review}


def scan_of(pdf: bytes, tmp: Path, dpi: int = 300) -> Path:
    from benchmarks.scangen import render, write_pdf

    src = tmp / "form.pdf"
    src.write_bytes(pdf)
    pages = render(src, dpi)
    out = tmp / "scan.pdf"
    write_pdf([np.ascontiguousarray(p) for p in pages], out, dpi, 92)
    return out


def read_scan(path: Path, spec: FormSpec, issued: dict[str, dict[str, str]] | None, tmp: Path):  # type: ignore[no-untyped-def]
    from oppforms.scan.assemble import assemble
    from oppforms.scan.images import list_pages
    from oppforms.scan.page import Settings, engine
    from oppforms.scan.pipeline import read_pages

    settings_ = Settings(spec=spec, issued=issued, review_dir=str(tmp / "review"))
    results = list(read_pages(list_pages(path), settings_, jobs=1, ocr=None))
    (record,) = assemble(results, spec, issued=issued, alphabet=engine().alphabet)
    return results, record


def needs_tesseract() -> None:
    from oppforms.scan.ocr import tessdata_dir

    if tessdata_dir() is None:
        pytest.skip("tesseract with the Dutch model (tesseract-ocr-nld) is not installed")


def continued(values: dict[str, str], spec: FormSpec, *, packed: bool = True) -> list[str]:
    return list(dict.fromkeys(p.field.name for page in layout_for(spec).plan(values, packed=packed) for p in page.sections))


@pytest.mark.tesseract
@pytest.mark.parametrize("form", ["packed", "before packing"])
@pytest.mark.parametrize("with_issued", [True, False], ids=["issued", "paper-only"])
def test_a_scanned_form_with_continuation_pages_reads_back(
    form: str, with_issued: bool, packed: tuple[dict[str, str], bytes, bytes], spec: FormSpec, tmp_path: Path
) -> None:
    needs_tesseract()
    if form == "packed":
        values, _, pdf = packed
    else:
        values, pdf = coerce_record(legacy_record(), spec, row=1, source="test"), LEGACY.read_bytes()
    names = continued(values, spec, packed=form == "packed")
    assert len(names) >= 3
    issued = {"ABCD-EFGH": dict(values)} if with_issued else None
    results, record = read_scan(scan_of(pdf, tmp_path), spec, issued, tmp_path)
    sections = [s for r in results for s in r.sections]
    assert [s.field for s in sections if s.field] == [s.field for s in sections]  # every heading named its field
    assert {s.field for s in sections} == set(names)
    reviewed = {i.field for i in record.review}
    for name in names:
        if with_issued:
            assert record.fields[name] == values[name] and name not in reviewed, name
        else:
            # from the paper alone: exact, or sent to a person; never a wrong text accepted
            assert record.fields[name] == values[name] or name in reviewed, name
    if not with_issued:
        exact = [n for n in names if record.fields[n] == values[n]]
        assert len(exact) >= len(names) - 1, [n for n in names if n not in exact]


def test_a_heading_of_two_lines_after_another_section_names_its_field(spec: FormSpec) -> None:
    """Both hulpvraag labels wrap to two heading lines and begin alike: the second, under
    the first on one page, is still told apart and its text read exactly."""
    rec = {
        "leerling.naam": "Noor de Wit",
        "leerling.nummer": "004512",
        "hulpvraag.leerling": text_of(1100, 3, PLAIN),
        "hulpvraag.school": text_of(1200, 5, PLAIN),
        "doelen.leerling": text_of(900, 9, PLAIN),
    }
    values = coerce_record(rec, spec, row=1, source="test")
    (page,) = layout_for(spec).plan(values)
    assert [p.field.name for p in page.sections] == ["hulpvraag.leerling", "hulpvraag.school", "doelen.leerling"]
    assert layout_for(spec).heading_lines(page.sections[1].field, False) == 2
    flat = Template.for_spec().fill(values, doc_id="ABCD-EFGH", flatten=True).data
    result = read_pdf_bytes(flat, source="terug.pdf")
    assert result.status is FileStatus.OK
    assert_exact(dict(result.records[0].fields), values, spec)


def test_an_old_layout_text_over_several_pages_with_repeated_headings_reads_back(spec: FormSpec) -> None:
    """The rule before packing (kept as ``packed=False``, which lays the fixture out word
    for word) with a text over three pages: "(vervolg)" headings, a page per field."""
    rec = legacy_record()
    rec["doelen.school"] = text_of(9000, 21, PLAIN)
    values = coerce_record(rec, spec, row=1, source="test")
    plan = layout_for(spec).plan(values, packed=False)
    assert sum(1 for p in plan if p.sections[0].field.name == "doelen.school") >= 3
    assert all(len(p.sections) == 1 for p in plan)
    flat = Template.for_spec().fill(values, doc_id="ABCD-EFGH", flatten=True, packed=False).data
    assert "Vervolg van: Begeleidingsdoelen – vanuit school, opvoeders, externe instanties (vervolg)" in page_texts(flat)[spec.page_count + 1]
    result = read_pdf_bytes(flat, source="oud.pdf")
    assert result.status is FileStatus.OK
    assert_exact(dict(result.records[0].fields), values, spec)


def test_a_wrapped_line_on_a_continuation_page_that_starts_with_a_dash_is_no_typed_break(spec: FormSpec) -> None:
    """Lines there are set with the paragraph gap after every typed break, so a line
    without it follows a wrap, even when it starts like a list item ("– …")."""
    values = coerce_record(
        {"leerling.naam": "Noor de Wit", "leerling.nummer": "004512", "wijzer.suggestie.1": text_of(1800, 45)},
        spec,
        row=1,
        source="test",
    )
    (page,) = layout_for(spec).plan(values)
    assert any(ln.text.startswith("–") and not ln.para for ln in page.sections[0].lines[1:])
    flat = Template.for_spec().fill(values, doc_id="ABCD-EFGH", flatten=True).data
    got = read_pdf_bytes(flat, source="terug.pdf").records[0]
    assert got.fields["wijzer.suggestie.1"] == values["wijzer.suggestie.1"]
