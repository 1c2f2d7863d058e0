"""The archive on disk: its layout, its settings, its lock and its ledger.

::

    ARCHIVE/
      archive.json        the settings: organisation, retention term (years after leaving)
      ledger.jsonl        append-only, hash-chained: every add, retention change and purge
      holds.json          the reasons of the legal holds in force (typed by staff)
      packages/<id>/      one BagIt bag per document (see :mod:`.packages`)
      .staging/           packages being made; never looked at by verify
      .lock               taken by every command that writes

Everything in it is its owner's only, whatever the umask: folders 0700, files 0600 (it holds
special-category data about minors), as the filled PDFs are.

Each ledger line is one JSON object with ``seq`` (1, 2, …), ``at`` (UTC, ISO 8601),
``event`` and ``prev``: the SHA-256 of the previous line's bytes (64 zeros for the first).
It holds package ids, document ids, dates and digests, never a pupil's name, number or
values. Appending takes the lock, so two processes never interleave or fork the chain.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._io import atomic_write_bytes
from ..errors import InputError, OutputError, UsageError

SETTINGS = "archive.json"
LEDGER = "ledger.jsonl"
HOLDS = "holds.json"
PACKAGES = "packages"
STAGING = ".staging"
LOCK = ".lock"
FORMAT = "oppforms-archive/1"
GENESIS = "0" * 64
#: The sector guideline for the leerlingdossier: kept until two years after the pupil left.
DEFAULT_RETENTION_YEARS = 2
#: The modes of the archive's folders and files: its owner's only, whatever the umask.
DIR_MODE = 0o700
FILE_MODE = 0o600

_THREAD_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class Settings:
    organization: str
    retention_years: int
    created: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One ledger line, parsed: ``data`` is the whole object, ``digest`` the SHA-256 of
    the line's bytes (what the next line's ``prev`` must hold)."""

    line_no: int
    data: Mapping[str, Any]
    digest: str

    @property
    def event(self) -> str:
        return str(self.data.get("event", ""))


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_package_id() -> str:
    """An opaque package id: 80 random bits in lower-case base32 (16 characters)."""
    import base64

    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class Store:
    """One archive folder. Creating the object touches nothing; :meth:`open` checks that
    the folder is an archive."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- layout -----------------------------------------------------------------------
    @property
    def packages(self) -> Path:
        return self.root / PACKAGES

    @property
    def staging(self) -> Path:
        return self.root / STAGING

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER

    def package_dir(self, package: str) -> Path:
        return self.packages / package

    @classmethod
    def create(cls, root: Path, *, organization: str, retention_years: int) -> Store:
        if not organization.strip():
            raise UsageError("the organisation's name must not be empty")
        if not 1 <= retention_years <= 100:
            raise UsageError("the retention term must be 1 to 100 years")
        root = Path(root)
        if (root / SETTINGS).exists():
            raise UsageError(f"{root}: is an archive already")
        if root.exists() and any(p.name not in {".lock"} for p in root.iterdir()):
            raise UsageError(f"{root}: exists and is not empty; give a new or empty folder")
        store = cls(root)
        private_dir(root)  # a folder given (empty) keeps its mode; packages/ and .staging/ are private
        private_dir(root / PACKAGES)
        private_dir(root / STAGING)
        settings = {"format": FORMAT, "organization": organization.strip(), "retention_years": retention_years, "created": utc_now()}
        with store.locked():
            atomic_write_bytes(root / SETTINGS, json.dumps(settings, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
            store.append({"event": "init", "retention_years": retention_years})
        return store

    @classmethod
    def open(cls, root: Path) -> Store:
        store = cls(root)
        store.settings()  # raises when it is no archive
        return store

    def settings(self) -> Settings:
        path = self.root / SETTINGS
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{self.root}: not an archive (no {SETTINGS}; make one with 'oppforms archive init')") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: unreadable ({exc})") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{path}: not an oppforms archive of a format this version knows")
        return Settings(str(data["organization"]), int(data["retention_years"]), str(data["created"]))

    # -- the lock ---------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the archive's lock (waits for another process that holds it)."""
        import fcntl

        private_dir(self.root)
        with _THREAD_LOCK:
            fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    # -- the ledger -------------------------------------------------------------------
    def entries(self) -> list[LedgerEntry]:
        """Every ledger line, parsed, oldest first. A line that is no JSON object raises
        :class:`InputError` naming its line number (verify reports it instead)."""
        out: list[LedgerEntry] = []
        for entry in self.scan_ledger():
            if isinstance(entry, str):
                raise InputError(f"{self.ledger_path}: {entry}")
            out.append(entry)
        return out

    def scan_ledger(self) -> Iterator[LedgerEntry | str]:
        """Ledger lines as entries, or as a problem text (bad JSON, broken chain)."""
        try:
            raw = self.ledger_path.read_bytes()
        except FileNotFoundError:
            yield "the ledger is missing"
            return
        prev = GENESIS
        lines = raw.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        elif lines:
            yield f"line {len(lines)}: cut short (no line end)"
        for i, line in enumerate(lines, 1):
            digest = hashlib.sha256(line).hexdigest()
            try:
                data = json.loads(line)
            except ValueError:
                yield f"line {i}: not JSON"
                prev = digest
                continue
            if not isinstance(data, dict):
                yield f"line {i}: not a JSON object"
            elif data.get("prev") != prev:
                yield f"line {i}: the hash chain is broken (the line before it was changed, removed or inserted)"
            elif data.get("seq") != i:
                yield f"line {i}: numbered {data.get('seq')!r}: a line was removed or inserted"
            else:
                yield LedgerEntry(i, data, digest)
            prev = digest

    def head(self) -> str:
        """The SHA-256 of the last ledger line (write it down to anchor the ledger)."""
        try:
            raw = self.ledger_path.read_bytes()
        except FileNotFoundError:
            return GENESIS
        lines = raw.rstrip(b"\n").split(b"\n")
        return hashlib.sha256(lines[-1]).hexdigest() if lines and lines[-1] else GENESIS

    def append(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Append one event (the caller holds the lock). Written with one ``write`` on an
        ``O_APPEND`` descriptor and fsynced."""
        raw = self.ledger_path.read_bytes() if self.ledger_path.exists() else b""
        lines = raw.rstrip(b"\n").split(b"\n") if raw.strip() else []
        prev = hashlib.sha256(lines[-1]).hexdigest() if lines else GENESIS
        if raw and not raw.endswith(b"\n"):
            raise OutputError(f"{self.ledger_path}: its last line is cut short; run 'oppforms archive verify'")
        entry = {"seq": len(lines) + 1, "at": utc_now(), **event, "prev": prev}
        data = canonical(entry) + b"\n"
        try:
            fd = os.open(self.ledger_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise OutputError(f"{self.ledger_path}: cannot write ({exc.strerror})") from exc
        return entry

    # -- holds ------------------------------------------------------------------------
    def holds(self) -> dict[str, dict[str, str]]:
        """package id → {"reason", "since"} of the holds in force."""
        try:
            data = json.loads((self.root / HOLDS).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.root / HOLDS}: unreadable ({exc})") from exc
        return {str(k): dict(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def write_holds(self, holds: Mapping[str, Mapping[str, str]]) -> None:
        atomic_write_bytes(self.root / HOLDS, json.dumps(holds, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n")


def private_dir(path: Path) -> None:
    """Make the folder ``path`` when it is missing (its parents as ``mkdir -p`` does), its
    owner's only (0700) whatever the umask; an existing folder is left as it is."""
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            return
    os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask


def make_private(path: Path) -> None:
    """Give an existing folder 0700 (or a file 0600) when it has another mode: the next
    command that writes protects a folder an older oppforms made with the umask's mode.
    A folder this user cannot change (another owner's) is left as it is."""
    try:
        mode = path.stat().st_mode
        want = DIR_MODE if stat.S_ISDIR(mode) else FILE_MODE
        if stat.S_IMODE(mode) != want:
            os.chmod(path, want)
    except OSError:
        pass
