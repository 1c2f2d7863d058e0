"""Verifying an archive: every payload byte of every package against both manifests, the
tag manifests, the bag's structure and ``Payload-Oxum``, each package's tag manifests
against the digests the ledger recorded when it was added (so a package whose files *and*
manifests were rewritten is found out), and the ledger's hash chain.

What this cannot see: a ledger that was rewritten as a whole, chain and all, together with
the packages. :attr:`VerifyReport.ledger_head` is the hash of the ledger's last line; keep
it somewhere else (a letter, an e-mail to the school's privacy officer) to anchor it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .packages import CHECKSUMS, TAG_MANIFESTS, recover
from .state import replay
from .._io import file_sha256
from .store import LedgerEntry, Store

BAG_INFO_REQUIRED = ("Source-Organization", "Bagging-Date", "Payload-Oxum")
PAYLOAD = ("original.pdf", "pdfa.pdf", "record.json", "provenance.json")


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one package (``package`` is ``ledger`` for the ledger itself)."""

    package: str
    what: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    packages: int
    intact: int
    purged: int
    problems: tuple[Problem, ...]
    ledger_head: str
    seconds: float
    recovered: tuple[str, ...] = ()
    #: packages the ledger records as purged that were still there, and were removed
    removed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.package for p in self.problems))


def verify(archive: Path, *, jobs: int = 1) -> VerifyReport:
    """Check the whole archive (see the module's docstring); ``jobs`` worker processes
    check packages in parallel. Problems are results, not exceptions; only an archive that
    is none raises."""
    start = time.perf_counter()
    store = Store.open(archive)
    with store.locked():
        removed: list[str] = []
        moved = tuple(_recover(store, removed))
        problems: list[Problem] = []
        entries: list[LedgerEntry] = []
        for item in store.scan_ledger():
            if isinstance(item, str):
                problems.append(Problem("ledger", item))
            else:
                entries.append(item)
        states = replay(entries, store.settings().retention_years)
        live = {pid: s for pid, s in states.items() if not s.purged}
        on_disk = {p.name for p in store.packages.iterdir()} if store.packages.exists() else set()
        for name in sorted(on_disk - set(live)):
            why = "purged according to the ledger, but still present" if name in states else "not in the ledger (not added by oppforms)"
            problems.append(Problem(name, why))
        todo = [(str(store.package_dir(pid)), dict(s.tag_digests)) for pid, s in live.items()]
        results = _map(_check_package, todo, jobs)
        bad = set()
        for (path, _), found in zip(todo, results, strict=True):
            for what in found:
                problems.append(Problem(Path(path).name, what))
                bad.add(Path(path).name)
        head = store.head()
    return VerifyReport(
        len(live), len(live) - len(bad), len(states) - len(live), tuple(problems), head,
        time.perf_counter() - start, moved, tuple(removed),
    )


def _recover(store: Store, removed: list[str]) -> list[str]:
    try:
        return recover(store, removed)
    except Exception:  # a damaged ledger: verify reports it below
        return []


def _map(fn: object, items: list[tuple[str, dict[str, str]]], jobs: int) -> Iterable[list[str]]:
    if jobs <= 1 or len(items) < 2 * jobs:
        return [_check_package(i) for i in items]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(_check_package, items, chunksize=max(1, len(items) // (jobs * 8))))


def _check_package(item: tuple[str, dict[str, str]]) -> list[str]:
    """Everything wrong with one package, as texts (file names, never contents)."""
    import bagit

    path_s, recorded = item
    path = Path(path_s)
    if not path.is_dir():
        return ["missing (the ledger records it, the folder is gone)"]
    out: list[str] = []
    expected_root = {"bagit.txt", "bag-info.txt", "data", *(f"manifest-{a}.txt" for a in CHECKSUMS), *TAG_MANIFESTS}
    for child in sorted(path.iterdir()):
        if child.name not in expected_root:
            out.append(f"added file: {child.name}")
    for name in TAG_MANIFESTS:
        f = path / name
        if not f.is_file():
            out.append(f"missing file: {name}")
        elif file_sha256(f) != recorded.get(name):
            out.append(f"manifests regenerated: {name} is not the one the ledger recorded when the package was added")
    try:
        bag = bagit.Bag(str(path))
        info = bag.info
        for key in BAG_INFO_REQUIRED:
            if not info.get(key):
                out.append(f"bag-info.txt: {key} is missing")
        if sorted(bag.algorithms) != sorted(CHECKSUMS):
            out.append("manifests: not the SHA-256 and SHA-512 pair")
        bag._validate_structure()
        bag._validate_bagittxt()
        # bagit's validate() stops at the first failing step (a resized file fails the
        # Payload-Oxum before the checksums name it); each step here reports on its own
        for step in (bag._validate_oxum, bag._validate_completeness, lambda: bag._validate_entries(1)):
            try:
                step()
            except bagit.BagValidationError as exc:
                out.extend(_details(exc))
    except bagit.BagValidationError as exc:
        out.extend(_details(exc))
    except bagit.BagError as exc:
        out.append(_message(exc))
    for name in PAYLOAD:
        if not (path / "data" / name).is_file() and not any(name in t for t in out):
            out.append(f"missing file: data/{name}")
    return list(dict.fromkeys(out))


def _details(exc: Exception) -> list[str]:
    import bagit

    details = list(getattr(exc, "details", []) or [])
    out = []
    for d in details:
        if isinstance(d, bagit.ChecksumMismatch):
            out.append(f"changed: {d.path}")
        elif isinstance(d, bagit.FileMissing):
            out.append(f"missing file: {d.path}")
        elif isinstance(d, bagit.UnexpectedFile):
            out.append(f"added file: {d.path}")
        else:
            out.append(str(d))
    return out or [_message(exc)]


def _message(exc: Exception) -> str:
    text = str(getattr(exc, "message", "") or exc) or type(exc).__name__
    if "Payload-Oxum" in text or "Oxum" in text:
        return "Payload-Oxum does not match the payload (a file was added, removed or resized)"
    return f"not a valid bag: {text}"
