"""Who still has to sign: the library call and `oppforms signatures`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from oppforms.batch import fill_many
from oppforms.issued import read_issued
from oppforms.records import Record, ReviewItem, empty_values
from oppforms.signatures import PupilSignatures, box_columns, school_years, signature_overview
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
    assert rows[0][:4] == ["Leerlingnummer", "Naam", "Klas", "Teruggekomen"] and rows[0][-1] == "Compleet"
    assert rows[0][4] == "Start: leerling" and len(rows[0]) == 14
    assert rows[1][:4] == ["000007", "=cmd|' /C calc'!A0", "2C", "ja"]  # text, never a formula
    assert sheet.cell(2, 2).data_type == "s"
    assert rows[1][4:13] == ["ontbreekt"] * 9 and rows[1][13] == "nee"
    assert rows[2][3:] == ["ja"] + ["getekend"] * 9 + ["ja"]
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


def _issued(tmp_path: Path, spec: FormSpec, pupils: list[tuple[str, str, str]]) -> Path:
    """A fill output folder with one form per (nummer, naam, klas); all fictional."""
    out = tmp_path / "out"
    rows = [{"leerling.nummer": n, "leerling.naam": naam, "leerling.klas": klas} for n, naam, klas in pupils]
    assert all(r.status == "ok" for r in fill_many(rows, out, spec=spec))
    return out


def test_issued_pupils_without_a_returned_form_are_listed_with_every_box_missing(spec: FormSpec, tmp_path: Path) -> None:
    """The pupils whose form never came back are the ones to chase first: with the issued
    registry they are in the list, every box ontbreekt, ``returned`` false; a returned one
    is matched by leerlingnummer, or by document id when its number was not read."""
    out = _issued(tmp_path, spec, [("000011", "Noor Terug", "1A"), ("000012", "Sem Weg", "1B"),
                                   ("000013", "Lot Zonder", "1C")])
    entries = list(read_issued(out))
    by_nummer = {str(e["values"]["leerling.nummer"]): str(e["document"]) for e in entries}  # type: ignore[index]
    back = record(spec, "000011", "Noor Terug", signed=("akkoord.leerling.start.handtekening",))
    unread_number = record(spec, "", "Lot Zonder", source="lot.pdf")
    unread_number = Record(unread_number.source, unread_number.form, unread_number.version, unread_number.method,
                           unread_number.fields, unread_number.signed, document=by_nummer["000013"].lower())
    rows = signature_overview([back, unread_number], spec, issued=entries)
    assert [(r.nummer, r.naam, r.klas, r.returned) for r in rows] == [
        ("000011", "Noor Terug", "1A", True), ("000012", "Sem Weg", "1B", False), ("000013", "Lot Zonder", "1A", True)]
    sem = rows[1]
    assert set(sem.boxes.values()) == {"ontbreekt"} and len(sem.boxes) == 9 and not sem.complete
    assert sem.sources == () and sem.key == "000012"
    assert rows[0].boxes["akkoord.leerling.start.handtekening"] == "getekend"
    # without the registry, as before: only what came back
    assert [r.nummer for r in signature_overview([back], spec)] == ["000011"]
    # the old constructor still works, and means "returned"
    assert PupilSignatures("k", "1", "A", "1A", {}, ()).returned


def test_several_issued_documents_of_one_pupil_make_one_row_and_the_latest_entry_counts(spec: FormSpec) -> None:
    def entry(document: str, nummer: str, naam: str, klas: str, form: str = spec.form_id) -> dict[str, object]:
        return {"document": document, "form": form, "file": f"{document}.pdf",
                "values": {"leerling.nummer": nummer, "leerling.naam": naam, "leerling.klas": klas}}

    entries = [entry("AAAA-1111", "000021", "Fien Oud", "1A"), entry("BBBB-2222", "000021", "Fien Nieuw", "2A"),
               entry("AAAA-1111", "000021", "Fien Nieuw", "2A"), entry("CCCC-3333", "", "Zonder Nummer", "3A"),
               entry("DDDD-4444", "000022", "Ander Formulier", "1A", form="another-form")]
    rows = signature_overview([], spec, issued=entries)
    assert [(r.key, r.naam, r.klas, r.returned) for r in rows] == [
        ("000021", "Fien Nieuw", "2A", False), ("CCCC-3333", "Zonder Nummer", "3A", False)]
    # one of the pupil's documents came back: the pupil is returned, and listed once
    back = record(spec, "000021", "Fien Nieuw")
    rows = signature_overview([back], spec, issued=entries)
    assert [(r.key, r.returned) for r in rows] == [("000021", True), ("CCCC-3333", False)]


def test_the_command_with_issued_lists_the_pupils_whose_form_did_not_come_back(spec: FormSpec, tmp_path: Path) -> None:
    out = _issued(tmp_path, spec, [("000031", "Daan Terug", "2A"), ("000032", "Isa Niet", "2B")])
    returned = tmp_path / "terug"
    returned.mkdir()
    pdf = next(p for p in out.glob("*.pdf") if "000031" in p.name)
    (returned / pdf.name).write_bytes(pdf.read_bytes())
    target = tmp_path / "lijst.xlsx"
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(returned), "--issued", str(out),
                          "--incomplete", "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "2 pupil(s), 0 with every box signed, 1 not returned" in run.stderr
    rows = [[c.value for c in row] for row in load_workbook(target).active.iter_rows()]
    assert rows[0][3] == "Teruggekomen"
    assert rows[1][:4] == ["000031", "Daan Terug", "2A", "ja"]
    assert rows[2][:4] == ["000032", "Isa Niet", "2B", "nee"] and rows[2][4:] == ["ontbreekt"] * 9 + ["nee"]
    # without --issued the command lists only what came back
    subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(returned), "-o", str(target)],
                   check=True, capture_output=True, timeout=120)
    assert [r[0].value for r in load_workbook(target).active.iter_rows(min_row=2)] == ["000031"]
    # a folder that is no fill output folder is refused, not silently taken as "nothing issued"
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(returned), "--issued", str(returned),
                          "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "no issued forms found" in run.stderr


def test_a_schooljaar_leaves_out_the_pupils_of_other_years(spec: FormSpec, tmp_path: Path) -> None:
    """Over several school years the issued folder holds every pupil ever issued: the list
    of one schooljaar has only its forms (a record's schooljaar as read, else as issued for
    its document), and the command refuses a schooljaar it has no form of."""
    out = tmp_path / "out"
    rows = [{"leerling.nummer": "000041", "leerling.naam": "Oud Jaar", "leerling.klas": "1A", "schooljaar": "2025-2026"},
            {"leerling.nummer": "000042", "leerling.naam": "Dit Jaar", "leerling.klas": "2A", "schooljaar": "2026-2027"},
            {"leerling.nummer": "000043", "leerling.naam": "Ook Dit Jaar", "leerling.klas": "2B", "schooljaar": "2026-2027"}]
    assert all(r.status == "ok" for r in fill_many(rows, out, spec=spec))
    entries = list(read_issued(out))
    doc = {str(e["values"]["leerling.nummer"]): str(e["document"]) for e in entries}  # type: ignore[index]
    back = record(spec, "000042", "Dit Jaar", signed=("akkoord.leerling.start.handtekening",))
    back.fields["schooljaar"] = "2026-2027"
    unread = record(spec, "", "", source="alleen-handtekeningen.jpg")  # its schooljaar as issued
    unread = Record(unread.source, unread.form, unread.version, unread.method, unread.fields, unread.signed,
                    document=doc["000043"])
    assert school_years([back, unread], entries, spec) == ["2026-2027", "2025-2026"]
    this_year = signature_overview([back, unread], spec, issued=entries, school_year="2026-2027")
    assert [(r.nummer, r.returned) for r in this_year] == [("000042", True), ("000043", True)]
    last_year = signature_overview([back, unread], spec, issued=entries, school_year="2025-2026")
    assert [(r.nummer, r.returned) for r in last_year] == [("000041", False)]
    assert [r.nummer for r in signature_overview([back, unread], spec, issued=entries)] == ["000041", "000042", "000043"]
    records = tmp_path / "terug.json"
    records.write_text(json.dumps([back.to_json()]), encoding="utf-8")
    target = tmp_path / "lijst.xlsx"
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(records), "--issued", str(out),
                          "--schooljaar", "2026-2027", "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert [r[0].value for r in load_workbook(target).active.iter_rows(min_row=2)] == ["000042", "000043"]
    run = subprocess.run([sys.executable, "-m", "oppforms", "signatures", str(records), "--issued", str(out),
                          "--schooljaar", "2024-2025", "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "no form of that schooljaar (there are: 2026-2027, 2025-2026)" in run.stderr


def test_a_pupil_issued_again_next_year_stays_on_this_years_list(spec: FormSpec, tmp_path: Path) -> None:
    """A pupil's document id is the same every year, so the registry's latest entry for it
    may be next year's form: this year's list still has the pupil whose form of this year
    did not come back."""
    out = tmp_path / "out"
    this_year = [{"leerling.nummer": n, "leerling.naam": f"Leerling {n}", "leerling.klas": "2A", "schooljaar": "2026-2027"}
                 for n in ("000071", "000072")]
    next_year = [dict(this_year[0], schooljaar="2027-2028", **{"leerling.klas": "3A"})]
    for rows in (this_year, next_year):
        assert all(r.status == "ok" for r in fill_many(rows, out, spec=spec, name="{schooljaar}/{leerling.nummer}"))
    entries = list(read_issued(out))
    assert school_years([], entries, spec) == ["2027-2028", "2026-2027"]
    rows = signature_overview([], spec, issued=entries, school_year="2026-2027")
    assert [(r.nummer, r.klas, r.returned) for r in rows] == [("000071", "2A", False), ("000072", "2A", False)]
    rows = signature_overview([], spec, issued=entries, school_year="2027-2028")
    assert [(r.nummer, r.klas) for r in rows] == [("000071", "3A")]
