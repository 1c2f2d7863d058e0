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

from pathlib import Path

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


def packages(archive: Path) -> dict[str, PackageState]:
    """Every package the ledger knows, purged ones included, in the order added."""
    from .state import current

    return current(Store.open(Path(archive)))


__all__ = [
    "DEFAULT_RETENTION_YEARS", "INDEX_COLUMNS", "AddResult", "Change", "DueItem", "DueList", "IndexRow", "LeftFromFile",
    "PackageState", "PdfaCheck", "Problem", "PurgeResult", "Settings", "VerifyReport", "Version", "add", "add_record",
    "check_pdfa", "due", "fingerprint", "history", "history_json", "hold", "index_rows", "init_archive", "left_from_file",
    "packages", "purge", "redact_issued", "release", "set_left", "verify", "write_index",
]
