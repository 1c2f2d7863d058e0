"""Looking at the archive: the index (one row per package, no health data) and a pupil's
history of versions, with the fields that changed and whether the parents must agree again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io import atomic_write_bytes
from ..errors import InputError, UsageError
from .state import current, packages_of_pupil, read_record
from .store import Store

#: The index's columns (Dutch: school staff read it). No hulpvraag, doelen, acties or
#: handelingswijzer text: the index is an overview that may be shared more widely.
INDEX_COLUMNS = (
    "pakket", "leerlingnummer", "klas", "schooljaar", "document", "formulierversie", "gearchiveerd",
    "handtekeningen", "uitgeschreven", "te verwijderen op", "bewaarplicht",
)
#: The fields an index row may take from a record: nothing about the pupil's needs.
INDEX_FIELDS = ("leerling.nummer", "leerling.klas", "schooljaar")
#: The handelingsdeel: what the parents agree to when they sign.
HANDELINGSDEEL = ("doelen.", "acties.")
PARENTS = "akkoord.opvoeders."
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class IndexRow:
    package: str
    leerlingnummer: str
    klas: str
    schooljaar: str
    document: str
    form_version: str
    archived: str
    signatures: tuple[str, ...]
    left: str
    due: str
    held: bool

    def cells(self) -> list[str]:
        return [self.package, self.leerlingnummer, self.klas, self.schooljaar, self.document, self.form_version,
                self.archived, ", ".join(self.signatures), self.left, self.due, "ja" if self.held else "nee"]


@dataclass(frozen=True, slots=True)
class Version:
    """One package in a pupil's history. ``signed``: the signature boxes signed;
    ``changed``: the fields whose value differs from the version before (all non-empty
    fields for the first); ``consent_needed``: the handelingsdeel (doelen, acties) differs
    from the last version the parents (opvoeders) signed, or they signed none yet."""

    package: str
    document: str
    archived: str
    schooljaar: str
    signed: tuple[str, ...]
    changed: tuple[str, ...]
    consent_needed: bool

    def to_json(self) -> dict[str, Any]:
        return {"package": self.package, "document": self.document, "archived": self.archived,
                "schooljaar": self.schooljaar, "signed": list(self.signed), "changed": list(self.changed),
                "consent_needed": self.consent_needed}


def signature_label(name: str) -> str:
    """``akkoord.opvoeders.start.handtekening`` → ``opvoeders start``."""
    parts = name.split(".")
    return " ".join(parts[1:3]) if len(parts) >= 4 else name


def index_rows(archive: Path) -> list[IndexRow]:
    """One row per package in the archive (purged ones are gone), in the order added."""
    store = Store.open(archive)
    rows = []
    for pid, s in current(store).items():
        if s.purged:
            continue
        try:
            record = read_record(store, pid)
        except InputError:
            record = {}
        fields = record.get("fields") or {}
        signed = record.get("signed") or {}
        rows.append(IndexRow(
            pid, str(fields.get("leerling.nummer", "")), str(fields.get("leerling.klas", "")),
            str(fields.get("schooljaar", "")), s.document, s.form_version, s.archived,
            tuple(signature_label(k) for k, v in signed.items() if v), s.left, s.due, s.held,
        ))
    return rows


def write_index(archive: Path, output: Path, *, delimiter: str = ";") -> int:
    """Write the index as ``.xlsx`` (text cells) or ``.csv`` (UTF-8 with BOM, every cell
    quoted, formula-like cells protected with an apostrophe); returns the row count."""
    rows = index_rows(archive)
    suffix = output.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(INDEX_COLUMNS)
        for r in rows:
            w.writerow([_protect(c) for c in r.cells()])
        atomic_write_bytes(output, ("\ufeff" + buf.getvalue()).encode("utf-8"))
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "archief"
        ws.append(list(INDEX_COLUMNS))
        for r in rows:
            ws.append(r.cells())
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.data_type = "s"
                cell.number_format = "@"
        buf2 = io.BytesIO()
        wb.save(buf2)
        atomic_write_bytes(output, buf2.getvalue())
    else:
        raise UsageError(f"{output}: give a .xlsx or .csv file")
    return len(rows)


def _protect(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def history(archive: Path, pupil: str) -> list[Version]:
    """The pupil's packages, oldest first (see :class:`Version`)."""
    if not pupil.strip():
        raise UsageError("--pupil: give the leerlingnummer")
    store = Store.open(archive)
    states = current(store)
    out: list[Version] = []
    before: Mapping[str, str] | None = None
    parents_signed: Mapping[str, str] | None = None
    for pid in packages_of_pupil(store, states, pupil):
        record = read_record(store, pid)
        fields: dict[str, str] = {k: str(v) for k, v in (record.get("fields") or {}).items()}
        signed = tuple(k for k, v in (record.get("signed") or {}).items() if v)
        if before is None:
            changed = tuple(k for k, v in fields.items() if v)
        else:
            changed = tuple(k for k in fields if fields.get(k, "") != before.get(k, ""))
        if any(k.startswith(PARENTS) for k in signed):
            parents_signed = fields
            consent = False
        elif parents_signed is None:
            consent = any(fields.get(k) for k in fields if k.startswith(HANDELINGSDEEL))
        else:
            consent = _handelingsdeel(fields) != _handelingsdeel(parents_signed)
        s = states[pid]
        out.append(Version(pid, s.document, s.archived, fields.get("schooljaar", ""), signed, changed, consent))
        before = fields
    return out


def _handelingsdeel(fields: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k.startswith(HANDELINGSDEEL)}


def history_json(versions: Sequence[Version]) -> list[dict[str, Any]]:
    return [v.to_json() for v in versions]
