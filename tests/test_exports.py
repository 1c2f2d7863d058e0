"""Records out, and back in: spreadsheets a school corrects and feeds to `oppforms fill`,
safe to open in Excel; JSON that matches the record schema; XFDF and FDF for Acrobat and
pdftk."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oppforms.errors import UsageError
from oppforms.exports import (
    FORMULA_TRIGGERS,
    RecordWriter,
    columns,
    open_writer,
    protect_cell,
    record_fdf,
    record_xfdf,
    row_of,
    unprotect_cell,
)
from oppforms.records import Record, ReviewItem, record_schema
from oppforms.sources import read_records
from oppforms.spec import FormSpec
from oppforms.values import coerce_record

from .test_extract_live import LONG, SAMPLES, expected, fill_pdf

#: Values a spreadsheet would run as formulas, and their neighbours (all can be filled).
RISKY = {
    "leerling.naam": "=HYPERLINK(\"http://example.invalid\",\"klik\")",
    "leerling.klas": "+31 6 12345678",
    "schooljaar": "-2026-2027",
    "begeleiding.mentor": "@mentor",
    "begeleiding.zorgcoordinator": "'=al beschermd",
    "doelen.leerling": "=1+1\n- een lijstje\n@iemand",
    "wijzer.suggestie.3": "'",
}
#: Values a read form may hold that filling would refuse or change (a tab, a character
#: the form's font has no glyph for): they must still be safe in a CSV.
ODD = {"wijzer.suggestie.1": "\t=tab eerst", "wijzer.suggestie.2": "＝volbreed"}


def record_of(values: dict[str, str], spec: FormSpec, *, source: str = "terug/004512.pdf") -> Record:
    fields = coerce_record(values, spec, row=1, source="test") if values else {f.name: "" for f in spec.value_fields}
    return Record(
        source=source,
        form=spec.form_id,
        version=spec.version,
        method="acroform",
        fields=fields,
        signed={f.name: f.name == "akkoord.leerling.start.handtekening" for f in spec.signature_fields},
        review=(ReviewItem("doelen.school: handwriting added on paper", "doelen.school", 1),),
        warnings=("leerling.klas: the box shows something else than the field's value",),
        document="ABCD-EFGH",
    )


def risky_record(spec: FormSpec, *, odd: bool = False) -> Record:
    record = record_of({**SAMPLES[0], **RISKY}, spec)
    return dataclasses.replace(record, fields={**record.fields, **ODD}) if odd else record


def refill(path: Path, spec: FormSpec) -> list[dict[str, str]]:
    """What `oppforms fill` reads from an export, coerced as it fills."""
    with read_records(path, spec) as reader:
        rows = list(reader)
    assert all(r.error is None for r in rows), [str(r.error) for r in rows]
    return [coerce_record(r.raw or {}, spec, row=r.row, source=r.source) for r in rows]


def write(path: Path, records: list[Record], spec: FormSpec, **kw: object) -> Path:
    with open_writer(path, spec, **kw) as writer:  # type: ignore[arg-type]
        for r in records:
            writer.write(r)
    return path


# ---------------------------------------------------------------------------------------
# CSV


@given(st.text(max_size=30))
def test_protecting_a_csv_cell_is_undone_exactly_by_reading_it(text: str) -> None:
    assert unprotect_cell(protect_cell(text)) == text


@given(st.sampled_from(sorted(FORMULA_TRIGGERS)), st.text(max_size=10), st.integers(0, 3))
def test_no_protected_cell_starts_with_a_formula_character(first: str, rest: str, quotes: int) -> None:
    cell = protect_cell("'" * quotes + first + rest)
    assert cell[0] not in FORMULA_TRIGGERS


def test_a_csv_export_holds_no_cell_a_spreadsheet_would_run(spec: FormSpec, tmp_path: Path) -> None:
    path = write(tmp_path / "terug.csv", [risky_record(spec, odd=True)], spec)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 that Excel recognises
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == columns(spec)
    for cell in rows[1]:
        assert cell[:1] not in FORMULA_TRIGGERS, cell
    by_name = dict(zip(rows[0], rows[1], strict=True))
    assert by_name["leerling.naam"] == "'" + RISKY["leerling.naam"]
    assert by_name["begeleiding.zorgcoordinator"] == "''=al beschermd"
    assert by_name["wijzer.suggestie.3"] == "'"
    assert by_name["akkoord.leerling.start.handtekening"] == "ja"
    # every cell quoted (OWASP), CRLF between records
    assert raw.decode("utf-8-sig").startswith('"source";"leerling.naam";')
    assert b'"\r\n"' in raw


def test_a_csv_export_round_trips_through_fill_exactly(spec: FormSpec, tmp_path: Path) -> None:
    records = [risky_record(spec), record_of(LONG, spec, source="terug/115024.pdf")]
    back = refill(write(tmp_path / "terug.csv", records, spec), spec)
    assert back == [records[0].fields, expected(LONG)]


# ---------------------------------------------------------------------------------------
# XLSX


def test_an_xlsx_export_holds_only_text_cells_and_no_formula(spec: FormSpec, tmp_path: Path) -> None:
    path = write(tmp_path / "terug.xlsx", [risky_record(spec, odd=True)], spec)
    with zipfile.ZipFile(path) as z:
        sheet_xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row]
    assert cells and all(c.data_type == "s" for c in cells if c.value is not None)
    header = [c.value for c in next(ws.iter_rows())]
    assert header == columns(spec)
    row = {h: c.value for h, c in zip(header, next(ws.iter_rows(min_row=2)), strict=True)}
    assert row["leerling.naam"] == RISKY["leerling.naam"]  # the exact value, no apostrophe
    assert row["doelen.leerling"] == RISKY["doelen.leerling"]
    assert row["wijzer.suggestie.2"] == ODD["wijzer.suggestie.2"]
    assert row["review"] == "doelen.school: handwriting added on paper (pagina 1)"
    assert all(ws.cell(2, col).number_format == "@" for col in range(1, len(header) + 1))


def test_an_xlsx_export_with_values_starting_with_formula_characters_round_trips_through_fill(
    spec: FormSpec, tmp_path: Path
) -> None:
    records = [risky_record(spec), record_of(LONG, spec, source="terug/115024.pdf")]
    back = refill(write(tmp_path / "terug.xlsx", records, spec), spec)
    assert back == [records[0].fields, expected(LONG)]
    assert back[0]["leerling.naam"] == RISKY["leerling.naam"]


def test_forms_read_back_export_to_a_spreadsheet_that_fills_the_same_forms(spec: FormSpec, tmp_path: Path) -> None:
    """The whole loop a school runs: fill → (parents) → extract → xlsx → fill again."""
    from oppforms.extract import read_pdf_bytes

    records = [read_pdf_bytes(fill_pdf(r), source=f"{r['leerling.nummer']}.pdf").records[0] for r in SAMPLES]
    back = refill(write(tmp_path / "opp.xlsx", records, spec), spec)
    assert back == [expected(r) for r in SAMPLES]


# ---------------------------------------------------------------------------------------
# JSON, JSON Lines


def test_json_and_json_lines_exports_are_valid_records(spec: FormSpec, tmp_path: Path) -> None:
    records = [risky_record(spec, odd=True), record_of(LONG, spec)]
    schema = record_schema(spec)
    as_json = json.loads(write(tmp_path / "r.json", records, spec).read_text(encoding="utf-8"))
    as_lines = [json.loads(line) for line in write(tmp_path / "r.jsonl", records, spec).read_text(encoding="utf-8").splitlines()]
    assert as_json == as_lines == [r.to_json() for r in records]
    for item in as_json:
        jsonschema.validate(item, schema)
    assert json.loads(write(tmp_path / "leeg.json", [], spec).read_text(encoding="utf-8")) == []


def test_a_json_export_round_trips_through_fill(spec: FormSpec, tmp_path: Path) -> None:
    back = refill(write(tmp_path / "r.json", [record_of(LONG, spec)], spec), spec)
    assert back == [expected(LONG)]


# ---------------------------------------------------------------------------------------
# XFDF and FDF


@pytest.mark.parametrize("kind", ["xfdf", "fdf"])
def test_an_interchange_export_round_trips_through_fill(kind: str, spec: FormSpec, tmp_path: Path) -> None:
    record = record_of({**LONG, "leerling.naam": "Şahin „Ali” – Çelik"}, spec)
    back = refill(write(tmp_path / f"r.{kind}", [record], spec), spec)
    assert back == [record.fields]


def test_an_xfdf_export_is_acrobats_format_with_dates_as_the_form_shows_them(spec: FormSpec) -> None:
    import xml.etree.ElementTree as ET

    data = record_xfdf(record_of(SAMPLES[0], spec), spec)
    root = ET.fromstring(data)
    ns = {"x": "http://ns.adobe.com/xfdf/"}
    assert root.tag == "{http://ns.adobe.com/xfdf/}xfdf"
    assert root.find("x:f", ns).get("href") == "004512.pdf"  # type: ignore[union-attr]
    leerling = root.find("x:fields/x:field[@name='akkoord']/x:field[@name='leerling']/x:field[@name='start']", ns)
    assert leerling is not None
    datum = leerling.find("x:field[@name='datum']/x:value", ns)
    year, month, day = SAMPLES[0]["akkoord.leerling.start.datum"].split("-")
    assert datum is not None and datum.text == f"{day}-{month}-{year}"
    assert not any(e.get("name") == "handtekening" for e in root.iter())


def test_an_fdf_export_is_pdf_syntax_pdftk_and_acrobat_read(spec: FormSpec) -> None:
    data = record_fdf(record_of(SAMPLES[0], spec), spec)
    assert data.startswith(b"%FDF-1.2\n") and data.rstrip().endswith(b"%%EOF")
    assert b"/T (leerling) /Kids [" in data and b"/V (004512)" in data


@pytest.mark.skipif(shutil.which("pdftk") is None, reason="pdftk (pdftk-java) is not installed")
def test_an_fdf_that_pdftk_generates_from_a_filled_form_fills_the_form_again(spec: FormSpec, tmp_path: Path) -> None:
    pdf = tmp_path / "115024.pdf"
    pdf.write_bytes(fill_pdf(LONG))
    fdf = tmp_path / "115024.fdf"
    subprocess.run(["pdftk", str(pdf), "generate_fdf", "output", str(fdf)], check=True, timeout=120)
    assert refill(fdf, spec) == [expected(LONG)]


def test_one_interchange_file_holds_one_record_and_a_folder_holds_one_per_record(
    spec: FormSpec, tmp_path: Path
) -> None:
    records = [record_of(SAMPLES[0], spec, source="a/004512.pdf"), record_of(SAMPLES[1], spec, source="b/004512.pdf")]
    with pytest.raises(UsageError, match="holds one form; for one file per form give a folder"):
        write(tmp_path / "een.xfdf", records, spec)
    assert not (tmp_path / "een.xfdf").exists()  # nothing half-written
    folder = tmp_path / "xfdf"
    folder.mkdir()
    write(folder, records, spec, fmt="xfdf")
    assert sorted(p.name for p in folder.iterdir()) == ["004512-2.xfdf", "004512.xfdf"]


def test_a_new_path_without_the_extension_becomes_a_folder_when_a_second_record_comes(
    spec: FormSpec, tmp_path: Path
) -> None:
    records = [record_of(SAMPLES[0], spec, source="a/004512.pdf"), record_of(SAMPLES[1], spec, source="b/118237.pdf")]
    write(tmp_path / "nieuw", records, spec, fmt="fdf")
    assert sorted(p.name for p in (tmp_path / "nieuw").iterdir()) == ["004512.fdf", "118237.fdf"]
    assert [p.name for p in tmp_path.iterdir()] == ["nieuw"]  # no temporary file left beside it
    write(tmp_path / "map" / "sub", records, spec, fmt="xfdf", folder=True)
    assert sorted(p.name for p in (tmp_path / "map" / "sub").iterdir()) == ["004512.xfdf", "118237.xfdf"]


def test_csv_and_xlsx_rows_say_which_file_and_page_each_page_came_from(spec: FormSpec) -> None:
    from oppforms.records import PageOrigin

    record = dataclasses.replace(
        record_of(SAMPLES[0], spec, source="terug/IMG_2231.jpg"),
        pages=(PageOrigin(1, "terug/IMG_2231.jpg", 1), PageOrigin(2, "terug/scan-7.pdf", 3)),
    )
    cells = dict(zip(columns(spec), row_of(record, spec), strict=True))
    assert cells["pages"] == "pagina 1: terug/IMG_2231.jpg (pagina 1)\npagina 2: terug/scan-7.pdf (pagina 3)"
    assert record.to_json()["pages"][1] == {"page": 2, "source": "terug/scan-7.pdf", "source_page": 3}
    assert record.sources == ("terug/IMG_2231.jpg", "terug/scan-7.pdf")


# ---------------------------------------------------------------------------------------
# Atomic


def test_an_export_interrupted_halfway_leaves_no_file(spec: FormSpec, tmp_path: Path) -> None:
    target = tmp_path / "terug.xlsx"
    with pytest.raises(KeyboardInterrupt), open_writer(target, spec) as writer:
        writer.write(record_of(SAMPLES[0], spec))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_the_format_follows_the_extension_or_is_refused(spec: FormSpec, tmp_path: Path) -> None:
    assert isinstance(open_writer(tmp_path / "x.JSONL", spec), RecordWriter)
    with pytest.raises(UsageError, match="extension"):
        open_writer(tmp_path / "x.ods", spec)
