"""The archive: one verifiable BagIt package per returned OPP, kept as long as the
school's retention term says and then gone (issue 10).

Every function takes the archive's folder and returns frozen dataclasses; nothing prints.
The forms are read by :mod:`oppforms.extract` (never here); :mod:`pikepdf` copies pages
and makes the PDF/A copy; the ``bagit`` library writes and checks the bags.

- :func:`init_archive`, :func:`add` / :func:`add_record` (:mod:`.packages`);
- :func:`verify` (:mod:`.checking`);
- :func:`write_index`, :func:`index_rows`, :func:`history` (:mod:`.listing`);
- :func:`set_left`, :func:`left_from_file`, :func:`hold`, :func:`release`, :func:`due`,
  :func:`purge` (:mod:`.retention`);
- :func:`check_pdfa` (:mod:`.preservation`).

Inside: :mod:`.store` (layout, settings, lock, ledger), :mod:`.state` (the ledger
replayed), :mod:`.originals` (``original.pdf``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checking import Problem, VerifyReport, verify
from .listing import INDEX_COLUMNS, IndexRow, Version, history, history_json, index_rows, write_index
from .packages import AddResult, add, add_record, fingerprint
from .preservation import PdfaCheck, check_pdfa
from .retention import (
    Change,
    DueItem,
    DueList,
    LeftFromFile,
    PurgeResult,
    due,
    hold,
    left_from_file,
    purge,
    redact_issued,
    release,
    set_left,
)
from .state import PackageState
from .store import DEFAULT_RETENTION_YEARS, Settings, Store


def init_archive(archive: Path, *, organization: str, retention_years: int = DEFAULT_RETENTION_YEARS) -> Settings:
    """Make a new archive in ``archive`` (a new or empty folder)."""
    return Store.create(Path(archive), organization=organization, retention_years=retention_years).settings()


@dataclass(frozen=True, slots=True)
class PackageFiles:
    """One package's files and its record and provenance, as stored (for showing it)."""

    package: str
    state: PackageState
    record: Mapping[str, Any]
    provenance: Mapping[str, Any]
    original: Path
    pdfa: Path


def open_package(archive: Path, package: str) -> PackageFiles:
    """A package of the archive by its id; :class:`~oppforms.errors.InputError` when the
    archive has no such package (or it was purged)."""
    import json

    from ..errors import InputError
    from .state import current, read_record

    store = Store.open(Path(archive))
    state = current(store).get(package)
    folder = store.package_dir(package)
    if state is None or state.purged or not folder.is_dir():
        raise InputError(f"{archive}: no package {package!r}")
    try:
        provenance = json.loads((folder / "data" / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"package {package}: provenance.json unreadable") from exc
    return PackageFiles(package, state, read_record(store, package), provenance,
                        folder / "data" / "original.pdf", folder / "data" / "pdfa.pdf")


def packages(archive: Path) -> dict[str, PackageState]:
    """Every package the ledger knows, purged ones included, in the order added."""
    from .state import current

    return current(Store.open(Path(archive)))


__all__ = [
    "DEFAULT_RETENTION_YEARS", "INDEX_COLUMNS", "AddResult", "Change", "DueItem", "DueList", "IndexRow", "LeftFromFile",
    "PackageFiles", "PackageState", "PdfaCheck", "Problem", "PurgeResult", "Settings", "VerifyReport", "Version", "add", "add_record",
    "check_pdfa", "due", "fingerprint", "history", "history_json", "hold", "index_rows", "init_archive", "left_from_file",
    "open_package", "packages", "purge", "redact_issued", "release", "set_left", "verify", "write_index",
]
