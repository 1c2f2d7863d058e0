"""Who still has to sign: the library call and `oppforms signatures`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from oppforms.batch import fill_many
from oppforms.records import Record, ReviewItem, empty_values
from oppforms.signatures import box_columns, signature_overview
from oppforms.spec import FormSpec


def record(spec: FormSpec, nummer: str, naam: str, signed: tuple[str, ...] = (), review: tuple[str, ...] = (),
           source: str = "a.pdf") -> Record:
    fields, signs = empty_values(spec)
    fields.update({"leerling.nummer": nummer, "leerling.naam": naam, "leerling.klas": "1A"})
    for name in signed:
        signs[name] = True
    items = tuple(ReviewItem("signature unsure", field=name) for name in review)
    return Record(source, spec.form_id, spec.version, "scan", fields, signs, items)


def test_boxes_are_grouped_by_moment_with_words_from_the_labels(spec: FormSpec) -> None:
    headings = [c.heading for c in box_columns(spec)]
    assert headings[:3] == ["Start: leerling", "Start: opvoeders", "Start: zorgcoördinator"]
    assert headings[-1] == "Eindevaluatie: zorgcoördinator" and len(headings) == 9


def test_each_box_is_signed_missing_or_to_check_and_records_of_one_pupil_combine(spec: FormSpec) -> None:
    start = "akkoord.leerling.start.handtekening"
    parents = "akkoord.opvoeders.start.handtekening"
    mid = "akkoord.leerling.tussen.handtekening"
    rows = signature_overview([
        record(spec, "000002", "Bea", signed=(start,), review=(parents,)),
        record(spec, "000001", "Ali"),
        record(spec, "000002", "Bea", signed=(mid, parents), source="later.pdf"),
    ], spec)
    assert [r.nummer for r in rows] == ["000001", "000002"]
    bea = rows[1]
    assert bea.boxes[start] == "getekend" and bea.boxes[mid] == "getekend" and bea.boxes[parents] == "getekend"
    assert bea.boxes["akkoord.zorgcoordinator.start.handtekening"] == "ontbreekt"
    assert bea.sources == ("a.pdf", "later.pdf")
    only_review = signature_overview([record(spec, "000003", "Cas", signed=(parents,), review=(parents,))], spec)[0]
    assert only_review.boxes[parents] == "controleren"  # signed, but the reader asks a person
    assert not any(r.complete for r in rows)


def test_the_command_writes_the_list_from_filled_forms_and_from_records(spec: FormSpec, tmp_path: Path) -> None:
    records = [{"leerling.naam": "=cmd|' /C calc'!A0", "leerling.nummer": "000007", "leerling.klas": "2C"}]
    list(fill_many(records, tmp_path / "out", spec=spec))
    jsonl = tmp_path / "terug.jsonl"
    signed = {name: True for name in (f.name for f in spec.signature_fields)}
    done = record(spec, "000008", "Klaar", signed=tuple(signed))
    jsonl.write_text(json.dumps(done.to_json()) + "\n", encoding="utf-8")
    out = tmp_path / "ontbrekend.xlsx"
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(tmp_path / "out"), str(jsonl), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "2 pupil(s), 1 with every box signed" in run.stderr
    sheet = load_workbook(out).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Leerlingnummer", "Naam", "Klas"] and rows[0][-1] == "Compleet"
    assert rows[1][:3] == ["000007", "=cmd|' /C calc'!A0", "2C"]  # text, never a formula
    assert sheet.cell(2, 2).data_type == "s"
    assert rows[1][3:12] == ["ontbreekt"] * 9 and rows[1][12] == "nee"
    assert rows[2][3:] == ["getekend"] * 9 + ["ja"]
    incomplete = tmp_path / "alleen.xlsx"
    subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(jsonl), str(tmp_path / "out"), "--incomplete",
                    "-o", str(incomplete)], check=True, capture_output=True, timeout=120)
    assert [r[0].value for r in load_workbook(incomplete).active.iter_rows(min_row=2)] == ["000007"]


def test_a_records_file_that_is_not_records_is_named_with_its_position(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('[{"fields": {}, "signed": {}}, 3]', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(bad), "-o", str(tmp_path / "o.xlsx")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3
    assert "x.json, record 2: not a record" in run.stderr


def test_a_returned_file_that_gave_no_form_is_named_and_so_is_a_spreadsheet(spec: FormSpec, tmp_path: Path) -> None:
    """A pupil whose form was not read must not just be missing from the list: each file
    that gave no form is named with its status, the list is written for the rest, and the
    exit code is 1. An extract's spreadsheet cannot say which box to check: not read, and
    said so, with the way to the records."""
    import pikepdf

    out = tmp_path / "out"
    list(fill_many([{"leerling.naam": "Anna Test", "leerling.nummer": "000009", "leerling.klas": "1B"}], out, spec=spec))
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out / "brief.pdf")
    (out / "kapot.pdf").write_bytes(b"%PDF-1.7\nniets\n")
    target = tmp_path / "lijst.xlsx"
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(out), "-o", str(target)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "brief.pdf" in run.stderr and "kapot.pdf" in run.stderr and "2 file(s) gave no form" in run.stderr
    assert "1 pupil(s)" in run.stderr
    assert [r[0].value for r in load_workbook(target).active.iter_rows(min_row=2)] == ["000009"]
    sheet = tmp_path / "terug.xlsx"
    sheet.write_bytes(b"")
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(sheet), *map(str, out.glob("0*.pdf")),
                          "-o", str(tmp_path / "x.xlsx")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "terug.xlsx: a spreadsheet, not read" in run.stderr and ".jsonl" in run.stderr
    assert [r[0].value for r in load_workbook(tmp_path / "x.xlsx").active.iter_rows(min_row=2)] == ["000009"]
