"""Regenerate the sample spreadsheets from ``opp-leerlingen.json``.

Usage::

    python samples/make_samples.py

Reads ``samples/opp-leerlingen.json`` (the canonical, entirely fictional data)
and writes, next to it and byte-for-byte reproducibly:

* ``opp-leerlingen.xlsx``          -- one sheet "Leerlingen"; text cells ("@"),
                                      the akkoord.*.datum cells as real dates.
* ``opp-leerlingen.csv``           -- as Dutch Excel saves "CSV UTF-8 (door
                                      komma's gescheiden)": UTF-8 with BOM, ";",
                                      CRLF, dates DD-MM-YYYY.
* ``opp-leerlingen-win1252.csv``   -- as classic Dutch Excel saves "CSV
                                      (gescheiden door lijstscheidingsteken)":
                                      Windows-1252, ";", CRLF, dates D-M-YYYY;
                                      only the records that fit in cp1252.
* ``magister-export.csv``          -- a pupil list as a school administration
                                      system exports it (UTF-8 with BOM, ";").

Python 3.11+, standard library plus openpyxl. After writing, every file is read
back and compared with the JSON; a mismatch raises an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
import unicodedata
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "opp-leerlingen.json"
OUT_XLSX = HERE / "opp-leerlingen.xlsx"
OUT_CSV = HERE / "opp-leerlingen.csv"
OUT_CSV_1252 = HERE / "opp-leerlingen-win1252.csv"
OUT_MAGISTER = HERE / "magister-export.csv"

#: Fixed timestamp for workbook properties and zip entries (reproducible output).
FIXED_TIME = dt.datetime(2026, 9, 1, 8, 0, 0)

_WHO = ("leerling", "school", "opvoeders", "extern")
_COLS = ("acties", "uitleg", "nodig", "frequentie")
_SIGNERS = ("leerling", "opvoeders", "zorgcoordinator")
_MOMENTS = ("start", "tussen", "eind")

#: The contract's 39 text and date fields, in form order (no signature fields).
FIELDS: tuple[str, ...] = (
    "leerling.naam",
    "leerling.nummer",
    "leerling.klas",
    "schooljaar",
    "begeleiding.mentor",
    "begeleiding.zorgcoordinator",
    "hulpvraag.leerling",
    "hulpvraag.school",
    "doelen.leerling",
    "doelen.school",
    *(f"acties.{w}.{c}" for w in _WHO for c in _COLS),
    *(f"akkoord.{w}.{m}.datum" for w in _SIGNERS for m in _MOMENTS),
    "wijzer.informatie",
    "wijzer.suggestie.1",
    "wijzer.suggestie.2",
    "wijzer.suggestie.3",
)
assert len(FIELDS) == 39
DATE_FIELDS = frozenset(f for f in FIELDS if f.endswith(".datum"))
ONE_LINE_FIELDS = frozenset(
    {
        "leerling.naam",
        "leerling.nummer",
        "leerling.klas",
        "schooljaar",
        "begeleiding.mentor",
        "begeleiding.zorgcoordinator",
    }
)

MAGISTER_COLUMNS = (
    "Stamnummer",
    "Roepnaam",
    "Tussenvoegsel",
    "Achternaam",
    "Klas",
    "Mentor",
)
#: Words that make up a Dutch tussenvoegsel ("van der", "van 't", "de", ...).
TUSSENVOEGSEL_WORDS = frozenset(
    {
        "van",
        "von",
        "de",
        "der",
        "den",
        "het",
        "'t",
        "te",
        "ter",
        "ten",
        "in",
        "op",
        "aan",
        "bij",
        "la",
        "le",
        "du",
        "d'",
        "'s",
        "el",
        "al",
    }
)


# --------------------------------------------------------------------------- data


def load_records(path: Path = SOURCE) -> list[dict[str, str]]:
    """Load and validate the canonical JSON records."""
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list) or not records:
        raise ValueError(f"{path}: expected a non-empty JSON array")
    for i, rec in enumerate(records, start=1):
        where = f"{path.name} record {i}"
        if set(rec) != set(FIELDS):
            missing = sorted(set(FIELDS) - set(rec))
            extra = sorted(set(rec) - set(FIELDS))
            raise ValueError(f"{where}: missing {missing}, unexpected {extra}")
        for name in FIELDS:
            value = rec[name]
            if not isinstance(value, str):
                raise TypeError(f"{where}, {name}: not a string")
            if value != unicodedata.normalize("NFC", value):
                raise ValueError(f"{where}, {name}: not NFC")
            if "\r" in value:
                raise ValueError(f"{where}, {name}: use \\n for line breaks")
            if name in ONE_LINE_FIELDS and "\n" in value:
                raise ValueError(f"{where}, {name}: must be one line")
            if name in DATE_FIELDS and value:
                dt.date.fromisoformat(value)  # raises on a bad date
    return records


def as_date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def date_ddmmyyyy(value: str) -> str:
    d = as_date(value)
    return f"{d.day:02d}-{d.month:02d}-{d.year:04d}" if d else ""


def date_dmyyyy(value: str) -> str:
    d = as_date(value)
    return f"{d.day}-{d.month}-{d.year:04d}" if d else ""


def fits_cp1252(rec: dict[str, str]) -> bool:
    try:
        for value in rec.values():
            value.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def split_name(full: str) -> tuple[str, str, str]:
    """Split "IJsbrand van 't Hof" into ("IJsbrand", "van 't", "Hof")."""
    words = full.split()
    if len(words) < 2:
        raise ValueError(f"cannot split name {full!r}")
    roepnaam, rest = words[0], words[1:]
    tussen: list[str] = []
    while len(rest) > 1 and rest[0].lower() in TUSSENVOEGSEL_WORDS:
        tussen.append(rest.pop(0))
    return roepnaam, " ".join(tussen), " ".join(rest)


def _sort_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --------------------------------------------------------------------------- xlsx


class _ReproducibleZip(zipfile.ZipFile):
    """A ZipFile that stamps every entry with FIXED_TIME and fixed permissions."""

    def _info(self, arcname: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        name = arcname if arcname is not None else Path(filename).name
        self.writestr(name, Path(filename).read_bytes(), compress_type, compresslevel)


def _column_width(name: str, values: list[str]) -> float:
    if name in DATE_FIELDS:
        return max(12, len(name) + 2)
    longest = max([len(name)] + [len(line) for v in values for line in v.split("\n")])
    return float(min(max(longest + 2, 10), 60))


def build_workbook(records: list[dict[str, str]]) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "Leerlingen"

    bold = Font(bold=True)
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)

    for col, name in enumerate(FIELDS, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font = bold
        cell.number_format = "@"

    for row, rec in enumerate(records, start=2):
        for col, name in enumerate(FIELDS, start=1):
            value = rec[name]
            cell = ws.cell(row=row, column=col)
            if name in DATE_FIELDS:
                cell.value = as_date(value)  # None when empty
                cell.number_format = "dd-mm-yyyy"
                cell.alignment = top
            else:
                cell.value = value if value else None
                cell.number_format = "@"
                cell.alignment = top if name in ONE_LINE_FIELDS else wrap

    for col, name in enumerate(FIELDS, start=1):
        width = _column_width(name, [r[name] for r in records])
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"

    props = wb.properties
    props.creator = "oppforms samples"
    props.lastModifiedBy = "oppforms samples"
    props.title = "OPP korte versie – fictieve voorbeeldleerlingen"
    props.description = "Fictieve voorbeelddata voor oppforms; gegenereerd door samples/make_samples.py."
    props.language = "nl-NL"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    return wb


def write_xlsx(records: list[dict[str, str]], path: Path) -> None:
    wb = build_workbook(records)
    buffer = io.BytesIO()
    # openpyxl's save() stamps "modified" with the current time; drive the
    # writer directly so the file is byte-for-byte reproducible.
    archive = _ReproducibleZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    _atomic_write(path, buffer.getvalue())


# --------------------------------------------------------------------------- csv


def _csv_bytes(header, rows, encoding: str) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(
        text,
        delimiter=";",
        quotechar='"',
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)  # strict: never a '?' replacement


def write_csv_utf8(records, path: Path) -> None:
    rows = [
        [date_ddmmyyyy(r[f]) if f in DATE_FIELDS else r[f] for f in FIELDS]
        for r in records
    ]
    _atomic_write(path, _csv_bytes(FIELDS, rows, "utf-8-sig"))


def write_csv_win1252(records, path: Path) -> list[dict[str, str]]:
    kept = [r for r in records if fits_cp1252(r)]
    rows = [
        [date_dmyyyy(r[f]) if f in DATE_FIELDS else r[f] for f in FIELDS] for r in kept
    ]
    _atomic_write(path, _csv_bytes(FIELDS, rows, "cp1252"))
    return kept


def magister_rows(records) -> list[list[str]]:
    rows = []
    for r in records:
        roepnaam, tussen, achternaam = split_name(r["leerling.naam"])
        rows.append(
            [
                r["leerling.nummer"],
                roepnaam,
                tussen,
                achternaam,
                r["leerling.klas"],
                r["begeleiding.mentor"],
            ]
        )
    # An administration export lists pupils by class, then surname.
    rows.sort(key=lambda row: (row[4], _sort_key(row[3]), _sort_key(row[1])))
    return rows


def write_magister(records, path: Path) -> None:
    _atomic_write(
        path, _csv_bytes(MAGISTER_COLUMNS, magister_rows(records), "utf-8-sig")
    )


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# --------------------------------------------------------------------------- check


def _read_csv(path: Path, encoding: str) -> list[list[str]]:
    raw = path.read_bytes()
    if encoding == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
        raise AssertionError(f"{path.name}: no UTF-8 BOM")
    if raw.replace(b"\r\n", b"").count(b"\r"):
        raise AssertionError(f"{path.name}: stray CR")
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh, delimiter=";", quotechar='"'))


def verify(records) -> None:
    """Read every output back and compare it with the JSON records."""

    def expect(cond, msg):
        if not cond:
            raise AssertionError(msg)

    # xlsx
    wb = load_workbook(OUT_XLSX)
    ws = wb["Leerlingen"]
    rows = list(ws.iter_rows(values_only=False))
    expect([c.value for c in rows[0]] == list(FIELDS), "xlsx: header differs")
    expect(len(rows) - 1 == len(records), "xlsx: row count differs")
    for rec, row in zip(records, rows[1:]):
        for name, cell in zip(FIELDS, row):
            if name in DATE_FIELDS:
                got = cell.value.date().isoformat() if cell.value is not None else ""
                expect(
                    cell.value is None or cell.is_date, f"xlsx {name}: not a date cell"
                )
            else:
                got = cell.value if cell.value is not None else ""
                expect(cell.number_format == "@", f"xlsx {name}: not a text cell")
            expect(
                got == rec[name], f"xlsx {rec['leerling.naam']} {name}: value differs"
            )

    # utf-8 csv
    table = _read_csv(OUT_CSV, "utf-8-sig")
    expect(
        table[0] == list(FIELDS) and len(table) - 1 == len(records),
        "csv: shape differs",
    )
    for rec, row in zip(records, table[1:]):
        expect(
            row
            == [date_ddmmyyyy(rec[f]) if f in DATE_FIELDS else rec[f] for f in FIELDS],
            f"csv {rec['leerling.naam']}: row differs",
        )

    # cp1252 csv
    kept = [r for r in records if fits_cp1252(r)]
    table = _read_csv(OUT_CSV_1252, "cp1252")
    expect(
        table[0] == list(FIELDS) and len(table) - 1 == len(kept),
        "win1252 csv: shape differs",
    )
    for rec, row in zip(kept, table[1:]):
        expect(
            row
            == [date_dmyyyy(rec[f]) if f in DATE_FIELDS else rec[f] for f in FIELDS],
            f"win1252 csv {rec['leerling.naam']}: row differs",
        )

    # magister export
    table = _read_csv(OUT_MAGISTER, "utf-8-sig")
    expect(table[0] == list(MAGISTER_COLUMNS), "magister: header differs")
    by_nr = {r["leerling.nummer"]: r for r in records}
    expect(
        len(table) - 1 == len(records) and {row[0] for row in table[1:]} == set(by_nr),
        "magister: pupils differ",
    )
    for nr, roep, tussen, achter, klas, mentor in table[1:]:
        rec = by_nr[nr]
        expect(
            " ".join(p for p in (roep, tussen, achter) if p) == rec["leerling.naam"],
            f"magister {nr}: name differs",
        )
        expect(
            klas == rec["leerling.klas"] and mentor == rec["begeleiding.mentor"],
            f"magister {nr}: klas/mentor differs",
        )


# --------------------------------------------------------------------------- main


def main() -> int:
    records = load_records()
    write_xlsx(records, OUT_XLSX)
    write_csv_utf8(records, OUT_CSV)
    kept = write_csv_win1252(records, OUT_CSV_1252)
    write_magister(records, OUT_MAGISTER)
    verify(records)
    for path, count in (
        (OUT_XLSX, len(records)),
        (OUT_CSV, len(records)),
        (OUT_CSV_1252, len(kept)),
        (OUT_MAGISTER, len(records)),
    ):
        print(
            f"wrote {path.relative_to(HERE.parent)} ({count} records)", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
