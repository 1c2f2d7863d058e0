"""Retention: when a pupil left (and so when each package is due), legal holds, what is
due, and purging what is due and not held (as of today or an earlier day; a later day only
in a dry run, to look ahead).

The term is the archive's (``archive init --retention-years``, default 2: the sector
guideline for the leerlingdossier keeps it until two years after the pupil left school).
A package is due on its pupil's leaving date plus that many years; without a leaving date
it is never due. A held package is never purged. Each change is a ledger event holding
package ids and dates only; a hold's reason (typed by staff, so it may name people) is kept
in ``holds.json`` while the hold lasts, and only its SHA-256 in the ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .._io import atomic_write_bytes
from ..errors import InputError, RecordError, UsageError
from ..issued import STATE_DIR, issued_folder
from .packages import recover
from .state import PackageState, current, packages_of_pupil, pupil_of, read_record
from .._io import file_sha256
from .store import Store, private_dir


@dataclass(frozen=True, slots=True)
class Change:
    """The packages a retention command changed (empty when the pupil has none)."""

    packages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LeftFromFile:
    """``left --from FILE``: rows read, pupils found in the archive, packages changed, rows
    whose pupil has no package, and the rows that could not be used (file, row, field)."""

    rows: int
    pupils: int
    packages: tuple[str, ...]
    not_archived: int
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DueItem:
    package: str
    document: str
    leerlingnummer: str
    klas: str
    left: str
    due: str
    held: bool


@dataclass(frozen=True, slots=True)
class DueList:
    on: str
    due: tuple[DueItem, ...]
    held: tuple[DueItem, ...]


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """``purged`` the packages deleted (or, in a dry run, that would be), ``held`` those due
    but held; ``redacted`` fill registry entries redacted, ``issued_files`` issued PDFs
    removed from the fill output folder."""

    on: str
    executed: bool
    purged: tuple[DueItem, ...]
    held: tuple[DueItem, ...]
    redacted: int = 0
    issued_files: int = 0


def _iso(value: str, what: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{what}: not a date YYYY-MM-DD") from None


def set_left(archive: Path, pupil: str, date: str, *, document: str | None = None) -> Change:
    """The pupil left school on ``date`` (YYYY-MM-DD): every package of theirs is due that
    date plus the archive's retention term. With ``document`` (a document id, as the index
    lists it) instead of ``pupil``: that document's packages, for a form without a
    leerlingnummer, which no pupil number reaches."""
    left = _iso(date, "--date")
    if document is None and not pupil.strip():
        raise UsageError("--pupil: give the leerlingnummer")
    store = Store.open(archive)
    with store.locked():
        recover(store)
        states = current(store)
        if document is not None:
            wanted = _document_key(document)
            ids = [pid for pid, s in states.items()
                   if not s.purged and s.document and _document_key(s.document) == wanted]
        else:
            ids = packages_of_pupil(store, states, pupil)
        if ids:
            store.append({"event": "left", "packages": ids, "left": left})
    return Change(tuple(ids))


def _document_key(document: str) -> str:
    """A document id as it is compared: without its dash, in capitals (``6fyf2o72`` is ``6FYF-2O72``)."""
    return document.replace("-", "").strip().upper()


def left_from_file(
    archive: Path, path: Path, *, sheet: str | None = None, delimiter: str | None = None, encoding: str | None = None,
) -> LeftFromFile:
    """Leaving dates from an administration export (CSV or XLSX, read as ``fill`` reads
    them: a ``leerlingnummer``/``stamnummer`` column and an ``uitschrijfdatum`` column,
    other columns ignored). A row without a date is skipped; a bad date is reported with
    its file, row and column, and the other rows are used."""
    from ..sources import read_records
    from ..spec import current_spec
    from ..values import to_iso_date

    spec = current_spec()
    reader = None
    for column in DATE_COLUMNS:
        try:
            reader = read_records(path, spec, sheet=sheet, delimiter=delimiter, encoding=encoding,
                                  ignore_unknown=True, extra_columns=(column,))
            break
        except InputError as exc:
            if "no column" not in str(exc):
                raise
    if reader is None:
        raise InputError(f"{path}: no column {' or '.join(repr(c) for c in DATE_COLUMNS)}")
    dates: dict[str, str] = {}
    row_of: dict[str, int] = {}
    problems: list[str] = []
    rows = 0
    with reader:
        for row in reader:
            rows += 1
            if row.raw is None:
                problems.append(str(row.error))
                continue
            number = str(row.raw.get("leerling.nummer") or "").strip()
            value = next((v for k, v in row.raw.items() if k.startswith("@")), None)
            if value is None or str(value).strip() == "":
                continue
            if not number:
                problems.append(str(RecordError(f"{path.name}: row {row.row}: leerlingnummer: empty", row=row.row)))
                continue
            try:
                dates[number] = to_iso_date(value)
                row_of[number] = row.row
            except (RecordError, ValueError):
                problems.append(f"{path.name}: row {row.row}: uitschrijfdatum: not a date")
    store = Store.open(archive)
    changed: list[str] = []
    found = 0
    with store.locked():
        recover(store)
        states = current(store)
        by_pupil: dict[str, list[str]] = {}
        for pid, s in states.items():
            if s.purged or not store.package_dir(pid).exists():
                continue
            by_pupil.setdefault(pupil_of(read_record(store, pid)), []).append(pid)
        unpadded: dict[str, list[str]] = {}  # a number without its leading zeros → the pupils it may be
        for known in by_pupil:
            unpadded.setdefault(known.lstrip("0"), []).append(known)
        for number, left in dates.items():
            ids = by_pupil.get(number, [])
            if ids:
                found += 1
                store.append({"event": "left", "packages": ids, "left": left})
                changed.extend(ids)
            elif any(len(k) > len(number) for k in unpadded.get(number.lstrip("0"), [])):
                problems.append(f"{path.name}: row {row_of[number]}: leerlingnummer: no package of this number, but "
                                "one of the same number with leading zeros: the column lost its zeros (format it as "
                                "text, or as 000000, and export again); this row was not used")
    return LeftFromFile(rows, found, tuple(changed), len(dates) - found, tuple(problems))


#: Column headers of the leaving date in administration exports (Magister, SOMtoday …).
DATE_COLUMNS = ("uitschrijfdatum", "datum uitschrijving", "datum uitgeschreven", "einddatum inschrijving", "vertrekdatum")


def hold(archive: Path, pupil: str, reason: str) -> Change:
    """A legal hold on every package of the pupil: none is purged until released."""
    if not reason.strip():
        raise UsageError("--reason: say why (it stays with the hold, not in the ledger)")
    store = Store.open(archive)
    with store.locked():
        recover(store)
        ids = packages_of_pupil(store, current(store), pupil)
        if ids:
            holds = store.holds()
            since = dt.date.today().isoformat()
            for pid in ids:
                holds[pid] = {"reason": reason.strip(), "since": since}
            store.write_holds(holds)
            store.append({"event": "hold", "packages": ids,
                          "reason_sha256": hashlib.sha256(reason.strip().encode("utf-8")).hexdigest()})
    return Change(tuple(ids))


def release(archive: Path, pupil: str) -> Change:
    """Lift the holds on the pupil's packages (the reasons are forgotten)."""
    store = Store.open(archive)
    with store.locked():
        recover(store)
        states = current(store)
        ids = [pid for pid in packages_of_pupil(store, states, pupil) if states[pid].held]
        if ids:
            store.append({"event": "release", "packages": ids})
            holds = store.holds()
            for pid in ids:
                holds.pop(pid, None)
            store.write_holds(holds)
    return Change(tuple(ids))


def due(archive: Path, *, on: str | None = None) -> DueList:
    """What is due on ``on`` (today when None), and what of that is held."""
    store = Store.open(archive)
    return _due(store, current(store), on)


def _due(store: Store, states: dict[str, PackageState], on: str | None) -> DueList:
    day = _iso(on, "--on") if on else dt.date.today().isoformat()
    items = []
    for pid, s in states.items():
        if s.purged or not s.due or s.due > day:
            continue
        try:
            fields = read_record(store, pid).get("fields", {})
        except InputError:
            fields = {}
        items.append(DueItem(pid, s.document, str(fields.get("leerling.nummer", "")), str(fields.get("leerling.klas", "")),
                             s.left, s.due, s.held))
    return DueList(day, tuple(i for i in items if not i.held), tuple(i for i in items if i.held))


def purge(archive: Path, *, on: str | None = None, execute: bool = False, issued: Path | None = None) -> PurgeResult:
    """Delete what is due on ``on`` and not held — only with ``execute``; otherwise say
    what would be deleted and change nothing. The ledger keeps that a package id was
    purged on a date. With ``issued`` (a fill output folder), the registry entries of every
    purged document lose their file name, row and values, and the issued PDF is removed
    when it is still the file that was issued. ``on`` after today is for a dry run only
    (a preview): executed, it would delete packages whose retention has not ended
    (:class:`UsageError`)."""
    store = Store.open(archive)
    if execute and on:
        day, today = _iso(on, "--on"), dt.date.today().isoformat()
        if day > today:
            raise UsageError(f"--on {day} is after today ({today}): --execute deletes only what is due today or "
                             "earlier; without --execute it shows what would be due then")
    if not execute:
        listing = _due(store, current(store), on)
        return PurgeResult(listing.on, False, listing.due, listing.held)
    with store.locked():
        recover(store)
        states = current(store)
        listing = _due(store, states, on)
        for item in listing.due:
            store.append({"event": "purge", "package": item.package, "date": listing.on})
            _remove(store, item.package)
        recover(store)
        documents = {s.document for s in current(store).values() if s.purged and s.document}
    redacted = removed = 0
    if issued is not None:
        redacted, removed = redact_issued(issued, documents)
    return PurgeResult(listing.on, True, listing.due, listing.held, redacted, removed)


def _remove(store: Store, package: str) -> None:
    """Rename the package out of ``packages/`` (one atomic step), then delete it."""
    src = store.package_dir(package)
    if not src.exists():
        return
    private_dir(store.staging)
    dst = store.staging / f"purge-{package}"
    os.replace(src, dst)
    shutil.rmtree(dst, ignore_errors=True)


def redact_issued(folder: Path, documents: set[str]) -> tuple[int, int]:
    """In a fill output folder, redact the registry entries of ``documents`` (keep only
    the document id, form and version, and the date) and remove their issued PDFs and
    print copies when they are still the files issued. Returns (entries, files)."""
    folder = Path(folder)
    if not issued_folder(folder).exists():
        raise InputError(f"{folder}: no fill registry ({STATE_DIR}/issued) here")
    wanted = {d.upper() for d in documents}
    today = dt.date.today().isoformat()
    entries = files = 0
    for path in sorted(issued_folder(folder).glob("*.jsonl")):
        out_lines: list[str] = []
        changed = False
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                out_lines.append(line)
                continue
            doc = str(entry.get("document", "")).upper() if isinstance(entry, dict) else ""
            if doc in wanted and "redacted" not in entry:
                files += _remove_issued_file(folder, entry)
                entry = {"document": entry["document"], "form": entry.get("form"), "version": entry.get("version"),
                         "redacted": today}
                entries += 1
                changed = True
            out_lines.append(json.dumps(entry, ensure_ascii=False))
        if changed:
            atomic_write_bytes(path, ("\n".join(out_lines) + "\n").encode("utf-8"))
    return entries, files


def _remove_issued_file(folder: Path, entry: dict[str, object]) -> int:
    removed = 0
    rel = str(entry.get("file") or "")
    candidates: list[tuple[Path, str]] = []
    if rel:
        candidates.append((folder / rel, str(entry.get("pdf_sha256", ""))))
    candidates.append((folder / STATE_DIR / "print" / f"{entry.get('document')}.pdf", ""))
    root = folder.resolve()
    for path, sha in candidates:
        try:
            real = path.resolve()
        except OSError:
            continue
        if root not in real.parents or not real.is_file():
            continue
        if sha and file_sha256(real) != sha:
            continue  # not the file that was issued any more: left for the school to judge
        real.unlink()
        removed += 1
    return removed


__all__ = ["Change", "DueItem", "DueList", "LeftFromFile", "PurgeResult", "due", "hold", "left_from_file", "purge",
           "redact_issued", "release", "set_left"]


