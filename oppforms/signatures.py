"""Who still has to sign: per pupil, each signature box ``getekend``, ``ontbreekt`` or
``controleren``, from records read back (contract §5, ``oppforms signatures``).

A box is ``getekend`` when a record of the pupil has it signed and no review item
concerns it, ``controleren`` when a review item concerns it (the reader was unsure, or
text was typed into it) and no other record of the pupil has it signed, else
``ontbreekt``. A pupil is known by ``leerling.nummer`` (the records key), else by the
document id, else by the source file; several records of one pupil (a form returned
twice, a later scan with the evaluation signatures) are combined box by box.

Given the issued registry of the fill output folder (``issued``, as
:func:`oppforms.issued.read_issued` gives it), every pupil whose form was issued but of
whom no record came back is listed too, every box ``ontbreekt`` and ``returned`` false:
they are the pupils a school must chase first. A record without a leerlingnummer but
with the document id of an issued form counts as that form's pupil.

The web app's signature page and the command line both call :func:`signature_overview`;
:func:`write_signatures_xlsx` writes the list as a spreadsheet (text cells only).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .errors import InputError
from .issued import latest_values
from .records import Record, record_from_json
from .spec import FormSpec, current_spec

if TYPE_CHECKING:
    from .extract import FileResult

__all__ = [
    "SIGNED",
    "MISSING",
    "CHECK",
    "BoxColumn",
    "PupilSignatures",
    "box_columns",
    "load_records",
    "school_years",
    "signature_overview",
    "write_signatures_xlsx",
]

SignatureStatus = Literal["getekend", "ontbreekt", "controleren"]
SIGNED: SignatureStatus = "getekend"
MISSING: SignatureStatus = "ontbreekt"
CHECK: SignatureStatus = "controleren"

_NAME = "leerling.naam"
_CLASS = "leerling.klas"
_YEAR = "schooljaar"


@dataclass(frozen=True, slots=True)
class BoxColumn:
    """One signature box as a column: its field name, the moment and who signs, as the
    form's label says them (``Start``, ``leerling``)."""

    field: str
    moment: str
    who: str

    @property
    def heading(self) -> str:
        return f"{self.moment}: {self.who}"


def box_columns(spec: FormSpec) -> list[BoxColumn]:
    """The signature boxes grouped by moment (start, tussenevaluatie, eindevaluatie), in
    the form's order within each moment; the words come from the fields' labels
    (``Handtekening Leerling, start``)."""
    columns = []
    moments: list[str] = []
    for f in spec.signature_fields:
        who, _, moment = f.label.removeprefix("Handtekening").strip().rpartition(",")
        moment = moment.strip().capitalize() or f.label
        who = (who.strip() or f.label).lower()
        if moment not in moments:
            moments.append(moment)
        columns.append(BoxColumn(f.name, moment, who))
    return sorted(columns, key=lambda c: moments.index(c.moment))


@dataclass(frozen=True, slots=True)
class PupilSignatures:
    """One pupil's boxes: ``boxes`` maps each signature field to its status, in the
    order of :func:`box_columns`; ``sources`` are the files its records came from;
    ``returned`` is false for a pupil whose form was issued but of whom nothing came back
    (then every box is ``ontbreekt`` and ``sources`` is empty)."""

    key: str
    nummer: str
    naam: str
    klas: str
    boxes: dict[str, SignatureStatus]
    sources: tuple[str, ...]
    returned: bool = True

    @property
    def complete(self) -> bool:
        return all(s == SIGNED for s in self.boxes.values())


def _school_year(record: Record, issued_values: Mapping[str, Mapping[str, str]]) -> str:
    """The record's schooljaar: as read, else as issued for its document (the page with it
    may not have come back)."""
    year = record.fields.get(_YEAR, "").strip()
    if not year and record.document:
        year = issued_values.get(record.document.strip().upper(), {}).get(_YEAR, "").strip()
    return year


def _entry_year(entry: Mapping[str, object]) -> str:
    values = entry.get("values")
    return str(values.get(_YEAR) or "").strip() if isinstance(values, Mapping) else ""


def school_years(records: Iterable[Record], issued: Iterable[Mapping[str, object]] | None = None,
                 spec: FormSpec | None = None) -> list[str]:
    """The schooljaren of ``records`` and of the forms ``issued`` (as
    :func:`signature_overview` takes them; every entry, not only a document's latest),
    newest first; an empty one is left out."""
    spec = spec or current_spec()
    entries = list(issued) if issued is not None else []
    issued_values = latest_values(entries, spec.form_id)
    years = {_school_year(r, issued_values) for r in records} | {
        _entry_year(e) for e in entries if e.get("form", spec.form_id) == spec.form_id}
    return sorted((y for y in years if y), reverse=True)


def signature_overview(
    records: Iterable[Record], spec: FormSpec | None = None, *, issued: Iterable[Mapping[str, object]] | None = None,
    school_year: str | None = None,
) -> list[PupilSignatures]:
    """Per pupil (sorted by leerlingnummer, then name) the status of every signature box.

    ``issued``: the entries of a fill output folder's registry
    (:func:`oppforms.issued.read_issued`; the latest entry of a document counts, entries of
    another form are passed over). Each issued pupil of whom no record came back (by
    leerlingnummer, else document id) is added with every box ``ontbreekt`` and
    ``returned=False``; several documents of one pupil make one row. ``school_year``: only
    the forms of that schooljaar (a record's as read, else as issued for its document), so
    pupils of earlier years whose forms never came back are not in this year's list."""
    spec = spec or current_spec()
    columns = box_columns(spec)
    key_field = spec.records.key
    wanted = school_year.strip() if school_year else None
    if wanted is not None and issued is not None:
        # a pupil's document id is the same every year: what was issued for that year
        # counts, not the document's latest entry (perhaps next year's form)
        issued = [e for e in issued if _entry_year(e) == wanted]
    issued_values = latest_values(issued, spec.form_id) if issued is not None else {}
    returned_documents: set[str] = set()
    found: dict[str, dict[str, object]] = {}
    if wanted is not None:  # a record's schooljaar as read, else: its document was issued for that year
        records = [r for r in records if _school_year(r, issued_values) == wanted]
    for record in records:
        nummer = record.fields.get(key_field, "").strip()
        document = record.document.strip().upper()
        if document:
            returned_documents.add(document)
            if not nummer:  # the number was not read: the issued form's pupil
                nummer = issued_values.get(document, {}).get(key_field, "").strip()
        key = nummer or record.document or record.source
        entry = found.setdefault(
            key,
            {"nummer": nummer, "naam": "", "klas": "", "signed": set(), "check": set(), "sources": []},
        )
        issued_as = issued_values.get(document, {}) if document else {}  # a page with them may not have come back
        entry["naam"] = entry["naam"] or record.fields.get(_NAME, "") or issued_as.get(_NAME, "")
        entry["klas"] = entry["klas"] or record.fields.get(_CLASS, "") or issued_as.get(_CLASS, "")
        entry["sources"].append(record.source)  # type: ignore[attr-defined]
        in_review = {item.field for item in record.review if item.field}
        for column in columns:
            if column.field in in_review:
                entry["check"].add(column.field)  # type: ignore[attr-defined]
            elif record.signed.get(column.field):
                entry["signed"].add(column.field)  # type: ignore[attr-defined]
    out = []
    for key, e in found.items():
        signed, check = e["signed"], e["check"]
        boxes: dict[str, SignatureStatus] = {}
        for column in columns:
            boxes[column.field] = (
                SIGNED if column.field in signed else CHECK if column.field in check else MISSING  # type: ignore[operator]
            )
        out.append(
            PupilSignatures(
                key=key,
                nummer=str(e["nummer"]),
                naam=str(e["naam"]),
                klas=str(e["klas"]),
                boxes=boxes,
                sources=tuple(dict.fromkeys(e["sources"])),  # type: ignore[call-overload]
            )
        )
    missing: dict[str, PupilSignatures] = {}
    for document, values in issued_values.items():
        nummer = values.get(key_field, "").strip()
        key = nummer or document
        if document in returned_documents or key in found:
            continue
        earlier = missing.get(key)
        missing[key] = PupilSignatures(
            key=key,
            nummer=nummer,
            naam=values.get(_NAME, "") or (earlier.naam if earlier else ""),
            klas=values.get(_CLASS, "") or (earlier.klas if earlier else ""),
            boxes={column.field: MISSING for column in columns},
            sources=(),
            returned=False,
        )
    out.extend(missing.values())
    return sorted(out, key=lambda p: (p.nummer == "", p.nummer, p.naam.casefold(), p.key))


#: Spreadsheets, which may well be an extract's export, but whose review column cannot say
#: again which box a person must check: not read, with the way to the records
_SHEETS = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv"})


def load_records(
    paths: Sequence[Path], spec: FormSpec | None = None, *, issued: Path | None = None, jobs: int = 1,
    unread: list[FileResult] | None = None,
) -> Iterator[Record]:
    """Records from ``oppforms extract`` output (``.json``: an array or one record;
    ``.jsonl``) and from returned forms (PDFs, images, folders: read with
    :func:`oppforms.extract.extract_many`). A JSON file that is not records raises
    :class:`InputError` naming the file and the record's position. A returned file that
    gave no form (unreadable, not this form, needing OCR), and a spreadsheet (perhaps an
    extract's export, whose review column cannot say again which box to check), are added
    to ``unread`` as a :class:`~oppforms.extract.FileResult`, so the caller can say whose
    boxes are missing from the list; a file whose pages went into a form another file
    holds is not."""
    spec = spec or current_spec()
    forms: list[Path] = []
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in (".json", ".jsonl", ".ndjson"):
            yield from _json_records(path, spec)
        elif suffix in _SHEETS:
            if unread is not None:
                from .extract import FileResult
                from .records import FileStatus

                unread.append(FileResult(str(path), FileStatus.NOT_THIS_FORM, reason=(
                    "a spreadsheet, not read: give the records of 'oppforms extract' as .json or .jsonl "
                    "(extract … -o terug.jsonl), or the returned forms themselves")))
        else:
            forms.append(path)
    if forms:
        from .extract import extract_many

        for result in extract_many(forms, jobs=jobs, issued=issued, spec=spec):
            if not result.records and not result.part_of and unread is not None:
                unread.append(result)
            yield from result.records


def _json_records(path: Path, spec: FormSpec) -> Iterator[Record]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
            items = data if isinstance(data, list) else [data]
        else:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from exc
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InputError(f"{path}, record {i}: not a record (an object with 'fields' and 'signed')")
        try:
            yield record_from_json(item, spec)
        except ValueError as exc:
            raise InputError(f"{path}, record {i}: {exc}") from exc


def write_signatures_xlsx(rows: Sequence[PupilSignatures], path: Path, spec: FormSpec | None = None) -> None:
    """The overview as an XLSX sheet ``Handtekeningen``: Leerlingnummer, Naam, Klas,
    Teruggekomen (``ja``/``nee``: ``nee`` for a pupil whose form was issued but of whom
    nothing came back), a column per box, Compleet (``ja``/``nee``); every cell a text
    cell. Atomic."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    from ._io import atomic_write_bytes

    spec = spec or current_spec()
    columns = box_columns(spec)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Handtekeningen")

    def cell(value: str, *, bold: bool = False) -> WriteOnlyCell:
        # a text cell holding the exact value, never a formula (a name may start with "=")
        c = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        c.data_type = "s"
        c.number_format = "@"
        if bold:
            c.font = Font(bold=True)
        return c

    headings = ("Leerlingnummer", "Naam", "Klas", "Teruggekomen", *(c.heading for c in columns), "Compleet")
    sheet.append([cell(h, bold=True) for h in headings])
    for row in rows:
        sheet.append(
            [cell(row.nummer), cell(row.naam), cell(row.klas), cell("ja" if row.returned else "nee"),
             *(cell(row.boxes[c.field]) for c in columns), cell("ja" if row.complete else "nee")]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write_bytes(path, buffer.getvalue())
