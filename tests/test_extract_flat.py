"""Reading forms without fields: flattened, printed to PDF, re-distilled, scanned.

The form is filled by oppforms, flattened (oppforms itself, or qpdf's
``--flatten-annotations=all``), then re-distilled by Ghostscript's ``pdfwrite`` as a
"print to PDF" does, sometimes scaled and shifted as a printer driver's "fit to page" does.
Values come back exactly up to white space: where a line ended, the page cannot always
tell whether the writer pressed Enter or the box was full.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from oppforms.extract import FileResult, read_pdf_bytes
from oppforms.records import FileStatus, Record
from oppforms.spec import FormSpec

from .test_extract_live import LONG, SAMPLES, expected, fill_pdf, only_record

needs_gs = pytest.mark.skipif(
    shutil.which("gs") is None or shutil.which("qpdf") is None, reason="Ghostscript and qpdf are not installed"
)


def read(data: bytes) -> FileResult:
    return read_pdf_bytes(data, source="terug.pdf")


def assert_same_up_to_white_space(got: Record, values: dict[str, str]) -> None:
    """The same words in the same order: no word lost, changed, split or glued to the next."""
    want = expected(values)
    for name, value in want.items():
        assert got.fields[name].split() == value.split(), name


def assert_exact(got: Record, values: dict[str, str]) -> None:
    """Every value exactly as filled, line breaks and all: the form's layout sets a line
    after a typed break a paragraph gap lower, so the print shows every break."""
    want = expected(values)
    for name, value in want.items():
        assert got.fields[name] == value, name


def strip_metadata(data: bytes) -> bytes:
    """Without the oppforms stamp, so the form must be recognised from its pages."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        if "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def redistill(data: bytes, tmp: Path, *, transform: str = "") -> bytes:
    """qpdf flattens every annotation into the page, then Ghostscript re-distills it (the
    way printing to PDF rewrites a file); ``transform`` is PostScript run at each page's
    start (a printer driver's scaling and shifting)."""
    src, flat, out = tmp / "in.pdf", tmp / "flat.pdf", tmp / "out.pdf"
    src.write_bytes(data)
    subprocess.run(["qpdf", "--flatten-annotations=all", str(src), str(flat)], check=True, timeout=120)
    cmd = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={out}"]
    if transform:
        cmd += ["-c", f"<</BeginPage {{{transform}}}>> setpagedevice", "-f"]
    subprocess.run([*cmd, str(flat)], check=True, timeout=120)
    return strip_metadata(out.read_bytes())


# ---------------------------------------------------------------------------------------
# Flattened by oppforms


@pytest.mark.parametrize("record", SAMPLES, ids=[r["leerling.nummer"] for r in SAMPLES])
def test_every_flattened_sample_reads_back_exactly(record: dict[str, str]) -> None:
    result = read(fill_pdf(record, flatten=True))
    got = only_record(result)
    assert got.method == "text"
    assert result.status is FileStatus.OK, (got.warnings, got.review)
    assert_exact(got, record)
    assert got.document == "TEST-CASE"


def test_numbered_lines_and_blank_lines_keep_their_breaks() -> None:
    values = {
        "leerling.nummer": "000001",
        "doelen.leerling": "1. Eerste doel\n2. Tweede doel\n\nEvaluatie in januari",
        "wijzer.informatie": "Kort.\nNog een regel.",
    }
    got = only_record(read(fill_pdf(values, flatten=True)))
    assert got.fields["doelen.leerling"] == values["doelen.leerling"]
    assert got.fields["wijzer.informatie"] == values["wijzer.informatie"]


def test_a_form_recognised_only_by_its_page_text_is_read() -> None:
    data = strip_metadata(fill_pdf(SAMPLES[1], flatten=True))
    got = only_record(read(data))
    assert_exact(got, SAMPLES[1])


@pytest.mark.parametrize("joint", [" ", "\n", "\n\n"], ids=["wrapped", "typed-break", "blank-line"])
def test_a_break_typed_where_the_text_would_wrap_anyway_is_read_back(spec: FormSpec, joint: str) -> None:
    """A sentence that ends exactly where the line is full: with a space after it the
    text wraps there, with Enter it breaks there; only the paragraph gap tells them apart."""
    from oppforms.fonts import FontMetrics
    from oppforms.typeset import wrap

    f = spec.field("wijzer.informatie")
    vs = spec.values
    metrics = FontMetrics.shipped(spec.fonts[vs.font])
    width = f.widgets[0].rect.width - 2 * vs.padding
    words = "De mentor bespreekt de planning elke week met haar ouders en zij".split()
    sentence = ""
    for w in words * 3:  # the longest start that still fits on one line, ended by a full stop
        if metrics.width(sentence + " " + w + ".", vs.size) > width:
            break
        sentence = (sentence + " " + w).strip()
    first = sentence + "."
    text = first + joint + "Volgende zin op de nieuwe regel."
    assert wrap(text, metrics, vs.size, width)[0].text == first  # the line is full after it
    got = only_record(read(fill_pdf({"leerling.nummer": "000002", f.name: text}, flatten=True)))
    assert got.fields[f.name] == text


def test_a_merged_print_file_gives_one_record_per_form(tmp_path: Path) -> None:
    merged = pikepdf.new()
    for i, record in enumerate(SAMPLES[:3]):
        with pikepdf.open(io.BytesIO(fill_pdf(record, flatten=True, doc_id=f"DOC{i}-AAAA"))) as pdf:
            merged.pages.extend(pdf.pages)
            if len(pdf.pages) % 2:
                merged.add_blank_page()
    out = io.BytesIO()
    merged.save(out)
    result = read(out.getvalue())
    assert [r.document for r in result.records] == ["DOC0-AAAA", "DOC1-AAAA", "DOC2-AAAA"]
    for got, record in zip(result.records, SAMPLES[:3], strict=True):
        assert_same_up_to_white_space(got, record)


def test_pages_in_another_order_are_put_back_by_their_footer() -> None:
    with pikepdf.open(io.BytesIO(fill_pdf(LONG, flatten=True))) as pdf:
        n = len(pdf.pages)
        assert n > 5  # with a continuation page
        order = [n - 1, 2, 0, 4, 1, *range(5, n - 1), 3]
        pages = [pdf.pages[i] for i in order]
        shuffled = pikepdf.new()
        shuffled.pages.extend(pages)
        out = io.BytesIO()
        shuffled.save(out)
    got = only_record(read(out.getvalue()))
    assert_same_up_to_white_space(got, LONG)


def test_a_missing_page_is_handed_to_a_person(spec: FormSpec) -> None:
    with pikepdf.open(io.BytesIO(fill_pdf(SAMPLES[0], flatten=True))) as pdf:
        del pdf.pages[1]
        out = io.BytesIO()
        pdf.save(out)
    result = read(out.getvalue())
    got = only_record(result)
    assert result.status is FileStatus.REVIEW
    assert [(r.page, r.reason) for r in got.review] == [(2, "page 2 of the form is missing")]
    assert got.fields["acties.leerling.acties"] == ""
    assert got.fields["wijzer.informatie"] == expected(SAMPLES[0])["wijzer.informatie"]


def _image_pdf(data: bytes, tmp: Path) -> bytes:
    """The pages as images only, as a scanner makes them."""
    from PIL import Image

    src = tmp / "form.pdf"
    src.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(src), str(tmp / "p")], check=True, timeout=120)
    images = [Image.open(p).convert("RGB") for p in sorted(tmp.glob("p-*.png"))]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=40)
    return out.getvalue()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_pages_without_a_text_layer_need_ocr(tmp_path: Path) -> None:
    result = read(_image_pdf(fill_pdf(SAMPLES[0], flatten=True), tmp_path))
    assert result.status is FileStatus.NEEDS_OCR and not result.records
    assert "scanned" in result.reason


def test_a_shape_drawn_in_a_signature_box_of_a_flattened_form_signs_it(spec: FormSpec) -> None:
    box = spec.field("akkoord.opvoeders.start.handtekening").rect
    x, y = box.x0 + 10, box.y0 + 20
    ink = f"q 0 0 1 RG 1.5 w {x} {y} m {x + 30} {y + 25} {x + 50} {y - 5} {x + 80} {y + 15} c S Q".encode()
    with pikepdf.open(io.BytesIO(fill_pdf(SAMPLES[0], flatten=True))) as pdf:
        pdf.pages[2].contents_add(pikepdf.Stream(pdf, ink))
        out = io.BytesIO()
        pdf.save(out)
    got = only_record(read(out.getvalue()))
    assert got.signed["akkoord.opvoeders.start.handtekening"] is True
    assert sum(got.signed.values()) == 1


def test_a_name_typed_into_a_signature_box_is_no_signature_but_is_shown_to_a_person(spec: FormSpec) -> None:
    box = spec.field("akkoord.leerling.eind.handtekening").rect
    text = f"BT /F1 11 Tf {box.x0 + 8} {box.y0 + 30} Td <0017002C> Tj ET".encode()
    with pikepdf.open(io.BytesIO(fill_pdf(SAMPLES[0], flatten=True))) as pdf:
        pdf.pages[2].contents_add(pikepdf.Stream(pdf, text))
        out = io.BytesIO()
        pdf.save(out)
    got = only_record(read(out.getvalue()))
    assert got.signed["akkoord.leerling.eind.handtekening"] is False
    assert [r.field for r in got.review] == ["akkoord.leerling.eind.handtekening"]


# ---------------------------------------------------------------------------------------
# Flattened by qpdf and re-distilled by Ghostscript


def dash_at_a_line_start(spec: FormSpec, name: str) -> str:
    """A text for box ``name`` whose wrapping (no typed break) puts "–" at the start of its
    second line: a list item to a rule that knows no paragraph gaps."""
    from oppforms.fonts import FontMetrics
    from oppforms.typeset import wrap

    vs = spec.values
    metrics = FontMetrics.shipped(spec.fonts[vs.font])
    width = spec.field(name).widgets[0].rect.width - 2 * vs.padding
    words = "De mentor bespreekt de planning elke week met haar ouders en zij".split()
    start = ""
    for w in words * 3:  # the longest start on which " –" no longer fits
        if metrics.width(start + " " + w, vs.size) > width:
            break
        start = (start + " " + w).strip()
    while metrics.width(start + " –", vs.size) <= width:
        start += "."
    text = start + " – lezen met voorleessoftware en rustig werken – in de klas.\n– Tweede punt op een nieuwe regel."
    lines = [ln.text.strip() for ln in wrap(text, metrics, vs.size, width)]
    assert lines[1].startswith("–") and len(lines) >= 3, lines  # a wrap puts the dash there
    return text


@pytest.mark.parametrize("printed", [False, pytest.param(True, marks=needs_gs)], ids=["flattened", "printed-to-pdf"])
def test_a_wrapped_line_in_a_box_that_starts_with_a_dash_is_no_typed_break(spec: FormSpec, printed: bool, tmp_path: Path) -> None:
    """oppforms sets a line after a typed break a paragraph gap lower, in the form's boxes as
    on continuation pages: a line a pitch below the one before follows a wrap, even when it
    starts like a list item ("– …"); the typed break before "– Tweede" stays one."""
    name = "wijzer.informatie"
    text = dash_at_a_line_start(spec, name)
    values = {"leerling.nummer": "000003", name: text}
    data = redistill(fill_pdf(values), tmp_path) if printed else fill_pdf(values, flatten=True)
    got = only_record(read(data))
    assert got.fields[name] == text


@needs_gs
@pytest.mark.parametrize("record", [SAMPLES[0], LONG, SAMPLES[5]], ids=lambda r: r["leerling.nummer"])
def test_a_form_flattened_and_printed_to_pdf_reads_back_exactly(record: dict[str, str], tmp_path: Path) -> None:
    data = redistill(fill_pdf(record), tmp_path)
    result = read(data)
    got = only_record(result)
    assert got.method == "text"
    assert result.status is FileStatus.OK, (got.warnings, got.review)
    assert_exact(got, record)


@needs_gs
@pytest.mark.parametrize("transform", ["12 -9 translate 0.96 0.96 scale", "-6 14 translate 1.02 1.02 scale"])
def test_a_printed_page_that_was_scaled_and_shifted_is_aligned_on_the_forms_own_print(
    transform: str, tmp_path: Path
) -> None:
    data = redistill(fill_pdf(LONG), tmp_path, transform=transform)
    got = only_record(read(data))
    assert not got.review
    assert_exact(got, LONG)
