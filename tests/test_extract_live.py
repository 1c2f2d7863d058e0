"""Reading forms with their fields back: exact values, whatever filled them.

Round trips are composed here (fill → extract); the library keeps the two apart. All data
is fictional (samples/opp-leerlingen.json) or made up in the tests.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oppforms.exports import record_fdf, record_xfdf
from oppforms.extract import FileResult, read_pdf_bytes
from oppforms.extract.acroform import field_tree
from oppforms.extract.pdfstrings import decode_text_string, pdf_date
from oppforms.fill import Template, display_value
from oppforms.records import FileStatus, Record
from oppforms.spec import FormSpec, current_spec
from oppforms.values import coerce_record, coercer_for

from .conftest import ROOT

SAMPLES: list[dict[str, str]] = json.loads((ROOT / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))
LONG = next(r for r in SAMPLES if r["leerling.nummer"] == "115024")  # continues on added pages


def fill_pdf(values: dict[str, str], *, flatten: bool = False, doc_id: str = "TEST-CASE") -> bytes:
    """A form filled by oppforms (the test composes fill and extract)."""
    spec = current_spec()
    checked = coerce_record(values, spec, row=1, source="test")
    return Template.for_spec(spec).fill(checked, doc_id=doc_id, flatten=flatten).data


def read(data: bytes, **kw: object) -> FileResult:
    return read_pdf_bytes(data, source="test.pdf", **kw)  # type: ignore[arg-type]


def only_record(result: FileResult) -> Record:
    assert len(result.records) == 1, (result.status, result.reason)
    return result.records[0]


def expected(values: dict[str, str]) -> dict[str, str]:
    """What a record of these values holds: every field, coerced as filling coerces."""
    return coerce_record(values, current_spec(), row=1, source="test")


def edit(data: bytes, change: Callable[[pikepdf.Pdf], None]) -> bytes:
    """``data`` changed by a viewer-like program (a full rewrite with qpdf)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def field_node(pdf: pikepdf.Pdf, name: str) -> pikepdf.Dictionary:
    return field_tree(pdf).fields[name].node


@pytest.fixture(scope="module")
def filled() -> dict[str, bytes]:
    return {r["leerling.nummer"]: fill_pdf(r) for r in SAMPLES}


# ---------------------------------------------------------------------------------------
# Filled by oppforms


@pytest.mark.parametrize("record", SAMPLES, ids=[r["leerling.nummer"] for r in SAMPLES])
def test_every_sample_form_reads_back_exactly_and_cleanly(record: dict[str, str], filled: dict[str, bytes]) -> None:
    result = read(filled[record["leerling.nummer"]])
    got = only_record(result)
    assert result.status is FileStatus.OK, got.warnings
    assert got.method == "acroform" and got.form == "opp-kort" and got.version == "1"
    assert got.fields == expected(record)
    assert not any(got.signed.values())
    assert got.document == "TEST-CASE"


def test_a_value_continued_on_added_pages_reads_back_whole_without_warnings(filled: dict[str, bytes]) -> None:
    result = read(filled[LONG["leerling.nummer"]])
    assert result.pages > 5
    got = only_record(result)
    assert got.fields["doelen.school"] == LONG["doelen.school"]
    assert not got.warnings and not got.review


_CHARS = "".join(sorted(set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?()-/'\"€%&=+@")))
_TEXT = st.text(
    alphabet=st.sampled_from(_CHARS + "ëïéèöüçÇÖÜşŞıİğĞłŁśąęńźżćó„”‘’–—½IJ"),
    min_size=0,
    max_size=60,
)
_LINES = st.lists(_TEXT, min_size=1, max_size=5).map("\n".join)
_DATES = st.dates(min_value=__import__("datetime").date(1990, 1, 1), max_value=__import__("datetime").date(2099, 12, 31))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    naam=_TEXT,
    nummer=st.from_regex(r"0[0-9]{5}", fullmatch=True),
    doelen=_LINES,
    datum=_DATES,
    nfd=st.booleans(),
)
def test_fill_then_extract_gives_the_values_back_exactly(
    naam: str, nummer: str, doelen: str, datum: object, nfd: bool
) -> None:
    if nfd:
        naam = unicodedata.normalize("NFD", naam)
    values = {
        "leerling.naam": naam,
        "leerling.nummer": nummer,
        "doelen.leerling": doelen,
        "acties.extern.uitleg": doelen[::-1],
        "akkoord.opvoeders.tussen.datum": str(datum),
    }
    checked, _ = coercer_for(current_spec()).check(values, row=1, source="test")
    if checked is None:  # a value filling refuses (too wide for its line): not a round trip
        return
    got = only_record(read(fill_pdf(values)))
    assert got.fields == checked
    assert got.fields["akkoord.opvoeders.tussen.datum"] == str(datum)


# ---------------------------------------------------------------------------------------
# Changed by viewers: values win, differences are reported without the values


def test_a_value_changed_without_its_appearance_is_taken_with_a_warning(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        field_node(pdf, "leerling.klas")[pikepdf.Name.V] = pikepdf.String("5H2")

    result = read(edit(filled["004512"], change))
    got = only_record(result)
    assert got.fields["leerling.klas"] == "5H2"
    assert result.status is FileStatus.WARNINGS
    (warning,) = got.warnings
    assert warning.startswith("leerling.klas: the box shows something else")
    assert "5H2" not in warning and "2H1" not in warning


def test_a_value_cleared_while_the_box_still_shows_text_is_reported(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        field_node(pdf, "begeleiding.mentor")[pikepdf.Name.V] = pikepdf.String("")

    got = only_record(read(edit(filled["004512"], change)))
    assert got.fields["begeleiding.mentor"] == ""
    assert any("begeleiding.mentor: the box shows text, but the field's value is empty" in w for w in got.warnings)


def test_forms_that_ask_viewers_to_redraw_are_not_compared_with_their_appearance(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        field_node(pdf, "leerling.klas")[pikepdf.Name.V] = pikepdf.String("5H2")
        pdf.Root.AcroForm[pikepdf.Name.NeedAppearances] = True

    result = read(edit(filled["004512"], change))
    assert result.status is FileStatus.OK
    assert only_record(result).fields["leerling.klas"] == "5H2"


def test_values_are_normalised_as_viewers_leave_them(filled: dict[str, bytes]) -> None:
    raw = {
        "leerling.naam": pikepdf.String("  " + unicodedata.normalize("NFD", "Zoë Çelik") + " \r"),
        "doelen.leerling": pikepdf.String("\r\n1. Eén doel  \r\n2. Twee\u2028\r\n\r\n"),
        "akkoord.leerling.start.datum": pikepdf.String("7-9-2026"),
        "wijzer.suggestie.1": pikepdf.String(b"Tab\x00 en\x07 meer"),
    }

    def change(pdf: pikepdf.Pdf) -> None:
        for name, value in raw.items():
            field_node(pdf, name)[pikepdf.Name.V] = value
        pdf.Root.AcroForm[pikepdf.Name.NeedAppearances] = True

    got = only_record(read(edit(filled["004512"], change)))
    assert got.fields["leerling.naam"] == "Zoë Çelik"
    assert unicodedata.is_normalized("NFC", got.fields["leerling.naam"])
    assert got.fields["doelen.leerling"] == "1. Eén doel\n2. Twee"
    assert got.fields["akkoord.leerling.start.datum"] == "2026-09-07"
    assert got.fields["wijzer.suggestie.1"] == "Tab en meer"
    assert "wijzer.suggestie.1: control characters removed" in got.warnings


def test_a_date_that_cannot_be_read_is_left_out_and_handed_to_a_person(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        field_node(pdf, "akkoord.leerling.start.datum")[pikepdf.Name.V] = pikepdf.String("ergens in mei")
        pdf.Root.AcroForm[pikepdf.Name.NeedAppearances] = True

    result = read(edit(filled["004512"], change))
    got = only_record(result)
    assert got.fields["akkoord.leerling.start.datum"] == ""
    (item,) = got.review
    assert item.field == "akkoord.leerling.start.datum" and item.page == 3 and item.box is not None
    assert "mei" not in item.reason
    assert result.status is FileStatus.REVIEW


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"\xfe\xff\x00Z\x00o\x00\xeb", "Zoë"),  # UTF-16BE with its mark
        (b"\xff\xfeZ\x00o\x00\xeb\x00", "Zoë"),  # UTF-16LE, as some producers write it
        (b"\xef\xbb\xbfZo\xc3\xab", "Zoë"),  # UTF-8 with its mark (PDF 2.0)
        (b"Zo\xeb \x95ukasz \x8d\x8e \x84", "Zoë Łukasz “” —"),  # PDFDocEncoding
        (b"\xfe\xff\x00\x1bnl\x00\x1b\x00J\x00a", "Ja"),  # a language escape
    ],
)
def test_text_strings_are_decoded_in_every_encoding_pdf_allows(raw: bytes, text: str) -> None:
    assert decode_text_string(raw) == text


def test_pdf_dates_become_iso_8601() -> None:
    assert pdf_date("D:20260914101200+02'00'") == "2026-09-14T10:12:00+02:00"
    assert pdf_date("D:20260914101200Z") == "2026-09-14T10:12:00Z"
    assert pdf_date("D:20260914") == "2026-09-14"
    assert pdf_date("gisteren") == ""


def test_values_and_types_inherited_from_parent_fields_are_read(filled: dict[str, bytes]) -> None:
    """A producer that keeps /V and /FT on the parent node "leerling": its kids without
    their own inherit them (PDF 32000-1, 12.7.3.1)."""

    def change(pdf: pikepdf.Pdf) -> None:
        for name in ("leerling.klas", "leerling.nummer"):
            node = field_node(pdf, name)
            del node[pikepdf.Name.V]
            del node[pikepdf.Name.FT]
        parent = field_node(pdf, "leerling.klas").Parent
        parent[pikepdf.Name.V] = pikepdf.String("3B")
        parent[pikepdf.Name.FT] = pikepdf.Name.Tx
        pdf.Root.AcroForm[pikepdf.Name.NeedAppearances] = True

    got = only_record(read(edit(filled["004512"], change)))
    assert got.fields["leerling.klas"] == "3B"
    assert got.fields["leerling.nummer"] == "3B"
    assert got.fields["leerling.naam"] == SAMPLES[0]["leerling.naam"]  # its own value stays


def test_a_loop_in_the_field_tree_is_read_as_far_as_it_goes(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        leerling = field_node(pdf, "leerling.klas").Parent
        leerling.Kids.append(pdf.Root.AcroForm.Fields[0])  # a node that is its own ancestor

    got = only_record(read(edit(filled["004512"], change)))
    assert got.fields == expected(SAMPLES[0])
    assert any("a loop in the field tree" in w for w in got.warnings)


def test_a_field_missing_from_the_tree_is_read_from_the_page_text(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        # a viewer that burned one field into the page and dropped it from the form
        page = pdf.pages[0]
        node = field_node(pdf, "schooljaar")
        rect = pikepdf.Rectangle(*(float(v) for v in node.Rect))
        page.add_overlay(node.AP.N, rect)
        page.obj.Annots = pikepdf.Array([a for a in page.obj.Annots if a.objgen != node.objgen])
        fields = pdf.Root.AcroForm.Fields
        pdf.Root.AcroForm.Fields = pikepdf.Array([f for f in fields if f.objgen != node.objgen])

    got = only_record(read(edit(filled["004512"], change)))
    assert got.fields["schooljaar"] == SAMPLES[0]["schooljaar"]
    assert "schooljaar: not a form field in this file; read from the page text" in got.warnings


# ---------------------------------------------------------------------------------------
# Which form is it


def test_a_form_whose_metadata_was_rewritten_is_recognised_by_its_fields(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        del pdf.trailer[pikepdf.Name.Info]
        del pdf.Root[pikepdf.Name.Metadata]

    result = read(edit(filled["004512"], change))
    assert result.status is FileStatus.OK
    assert only_record(result).fields == expected(SAMPLES[0])


def test_a_version_this_oppforms_does_not_know_is_not_read_as_this_one(filled: dict[str, bytes]) -> None:
    def change(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo[pikepdf.Name("/OppformsFormVersion")] = "7"

    result = read(edit(filled["004512"], change))
    assert result.status is FileStatus.NOT_THIS_FORM
    assert "version 7" in result.reason and not result.records


def test_another_pdf_is_not_this_form() -> None:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out)
    result = read(out.getvalue())
    assert result.status is FileStatus.NOT_THIS_FORM and not result.records


# ---------------------------------------------------------------------------------------
# Encrypted and active content


def _encrypted(data: bytes, user: str) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner="eigenaar-" + user, R=6))
        return out.getvalue()


def test_an_encrypted_form_opens_with_its_password_and_is_reported_at_once_without(filled: dict[str, bytes]) -> None:
    data = _encrypted(filled["004512"], "geheim")
    without = read(data)
    assert without.status is FileStatus.ENCRYPTED and "--password" in without.reason
    wrong = read(data, passwords=("fout",))
    assert wrong.status is FileStatus.ENCRYPTED and "none of the passwords" in wrong.reason
    right = read(data, passwords=("fout", "geheim"))
    assert only_record(right).fields == expected(SAMPLES[0])
    assert "encrypted; opened with a password given" in right.notes
    assert not any("geheim" in note for note in right.notes)


def test_javascript_and_launch_actions_are_reported_and_never_run(filled: dict[str, bytes], tmp_path: Path) -> None:
    canary = tmp_path / "ran"

    def change(pdf: pikepdf.Pdf) -> None:
        pdf.Root[pikepdf.Name.OpenAction] = pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String(f"app.launchURL('file://{canary}');")
        )
        node = field_node(pdf, "leerling.klas")
        node[pikepdf.Name.AA] = pikepdf.Dictionary(
            K=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String(f"touch {canary}"))
        )

    result = read(edit(filled["004512"], change))
    assert result.status is FileStatus.WARNINGS
    assert "holds JavaScript, which was not run" in result.notes
    assert "holds a launch action (runs a program or opens a file), which was not run" in result.notes
    assert only_record(result).fields == expected(SAMPLES[0])
    assert not canary.exists()


# ---------------------------------------------------------------------------------------
# Filled by other programs


def shown(values: dict[str, str]) -> dict[str, str]:
    """Values as the form shows them (dates DD-MM-YYYY), as another filler is given them."""
    spec = current_spec()
    checked = expected(values)
    return {f.name: display_value(f, checked[f.name]) for f in spec.value_fields}


@pytest.mark.parametrize("record", [SAMPLES[0], LONG], ids=["short", "long"])
def test_a_form_filled_by_pypdf_reads_back_exactly(record: dict[str, str], shipped_pdf: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(shipped_pdf))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for page in writer.pages:
            writer.update_page_form_field_values(page, shown(record), auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    got = only_record(read(out.getvalue()))
    assert got.fields == expected(record)


def test_a_form_filled_by_pypdfform_reads_back_exactly(shipped_pdf: Path) -> None:
    from PyPDFForm import PdfWrapper

    data = PdfWrapper(str(shipped_pdf), use_full_widget_name=True).fill(shown(LONG)).read()
    result = read(data)
    got = only_record(result)
    assert got.fields == expected(LONG)
    # PyPDFForm leaves the drawing to the viewer without asking it to: worth a warning
    assert any("no appearance" in w for w in got.warnings)


@pytest.mark.skipif(shutil.which("pdftk") is None, reason="pdftk (pdftk-java) is not installed")
@pytest.mark.parametrize("kind", ["xfdf", "fdf"])
def test_a_form_filled_by_pdftk_from_an_export_reads_back_exactly(
    kind: str, shipped_pdf: Path, tmp_path: Path, spec: FormSpec
) -> None:
    record = Record("115024.pdf", "opp-kort", "1", "acroform", expected(LONG), {f.name: False for f in spec.signature_fields})
    data = tmp_path / f"waarden.{kind}"
    data.write_bytes(record_xfdf(record, spec) if kind == "xfdf" else record_fdf(record, spec))
    out = tmp_path / "pdftk.pdf"
    subprocess.run(["pdftk", str(shipped_pdf), "fill_form", str(data), "output", str(out)], check=True, timeout=120)
    result = read(out.read_bytes())
    got = only_record(result)
    assert got.fields == expected(LONG)
    # pdftk cannot draw the form's font: the boxes look empty, which is said once
    assert len(got.warnings) == 1 and "appearance is empty or unreadable" in got.warnings[0]
