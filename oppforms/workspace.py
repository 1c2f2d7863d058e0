"""A workspace: everything one school's OPP cycle keeps between runs, in one folder, with
its state in SQLite (the standard library's ``sqlite3``). This module alone owns the
database's schema and its migrations.

The folder::

    oppforms.sqlite   uploads, jobs, fill results, returned files, records, review
                      decisions and a log of who did what when
    uploads/          uploaded files, each under a random name (the name a person gave
                      it is kept in the database for display only, never used as a path)
    issued/           the output folder of every fill (oppforms fill's registry lives
                      in issued/.oppforms/, so scans are verified against it)
    jobs/<id>/        what one job made besides the forms: the report, the print PDF,
                      the crops a person must check

Every change is committed before the call returns (WAL journal, ``synchronous=FULL``), so
a decision made survives a reload, a second tab, a crash or a kill. Each call opens its
own connection, so the web server's threads and a background job can share a workspace.
Nothing here logs pupil data: the log says what was done to which record number and
field name, never the values.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import secrets
import sqlite3
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ._io import file_sha256
from .errors import OutputError
from .i18n import status_label
from .records import FileStatus, Record, record_from_json
from .review import Decision
from .spec import FormSpec
from .workspace_schema import MIGRATIONS  # also this module's, as it was

__all__ = ["Workspace", "default_workspace", "Job", "ReturnedFile", "StoredRecord", "QueueItem", "Upload"]

DB_NAME = "oppforms.sqlite"

#: The statuses of a returned file that was read (a form, or pages of one, came out of it).
_READ_STATUSES = tuple(str(s) for s in (FileStatus.OK, FileStatus.WARNINGS, FileStatus.REVIEW))

JobKind = Literal["fill", "read", "archive"]
#: The log is read by school staff: it speaks Dutch.
_KIND_NL = {"fill": "invullen", "read": "lezen", "archive": "archiveren"}
_ARCHIVE_NL = {"added": "gearchiveerd", "new version": "nieuwe versie", "duplicate": "stond er al",
               "part of": "hoort bij een ander formulier", "purged": "eerder verwijderd", "failed": "mislukt"}
_STATE_NL = {"waiting": "wacht", "running": "bezig", "done": "klaar", "stopped": "gestopt", "failed": "mislukt"}
JobState = Literal["waiting", "running", "done", "stopped", "failed"]


def default_workspace() -> Path:
    """The user's data folder for oppforms: ``%APPDATA%\\oppforms`` on Windows,
    ``~/Library/Application Support/oppforms`` on macOS, ``$XDG_DATA_HOME/oppforms``
    (``~/.local/share/oppforms``) elsewhere; ``werkruimte`` inside it."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "oppforms" / "werkruimte"


def record_digest(record: Any) -> str:
    """The SHA-256 (hex) of a record's JSON, keys sorted: what an archive job archived."""
    text = json.dumps(record.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Upload:
    id: str
    kind: str
    name: str
    path: Path
    size: int
    created: str = ""


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: JobKind
    state: JobState
    total: int
    done: int
    message: str
    options: dict[str, Any]
    created: str
    finished: str | None

    @property
    def active(self) -> bool:
        return self.state in ("waiting", "running")


@dataclass(frozen=True, slots=True)
class ReturnedFile:
    id: int
    job: str
    name: str
    status: str
    reason: str
    notes: tuple[str, ...]
    forms: int
    #: the file read before whose bytes this one has (it was not read again), or None
    same_as: int | None = None


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record read back, as stored, and with the decisions made so far applied."""

    id: int
    file: int
    file_name: str
    record: Record
    corrected: Record


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One review item still open: its record, its index in ``record.review``, and the
    reason a person gave for "later" (empty when not put off)."""

    record_id: int
    index: int
    record: Record
    later: str


class Workspace:
    """A workspace folder (created when missing) and its database (migrated on open)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            for sub in ("uploads", "issued", "jobs"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.root}: cannot create the workspace ({exc.strerror})") from exc
        self.db_path = self.root / DB_NAME
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)

    # -- plumbing -------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], version + 1):
            db.executescript("BEGIN IMMEDIATE;" + script + f";PRAGMA user_version={number};COMMIT;")

    @property
    def schema_version(self) -> int:
        with self._connect() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def issued_dir(self) -> Path:
        return self.root / "issued"

    def job_dir(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise ValueError("not a job id")
        return self.root / "jobs" / job_id

    def log(self, what: str, db: sqlite3.Connection | None = None) -> None:
        """Add a line to the log, in Dutch (``what`` names actions, record numbers and
        field names, never values)."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "?"
        if db is None:
            with self._write() as own:
                own.execute("INSERT INTO log (at, who, what) VALUES (?, ?, ?)", (_now(), who, what))
        else:
            db.execute("INSERT INTO log (at, who, what) VALUES (?, ?, ?)", (_now(), who, what))

    def history(self, limit: int = 50) -> list[tuple[str, str, str]]:
        with self._connect() as db:
            rows = db.execute("SELECT at, who, what FROM log ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [(r["at"], r["who"], r["what"]) for r in rows]

    # -- uploads --------------------------------------------------------------------

    def add_upload(self, kind: str, name: str, suffix: str, data: bytes) -> Upload:
        """Keep an uploaded file under a random name with ``suffix`` (chosen by the
        caller from a fixed list, never taken from ``name``)."""
        upload_id = secrets.token_hex(8)
        stored = f"uploads/{upload_id}{suffix}"
        from ._io import atomic_write_bytes

        atomic_write_bytes(self.root / stored, data)
        created = _now()
        with self._write() as db:
            db.execute(
                "INSERT INTO uploads (id, kind, name, stored, size, created, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (upload_id, kind, name, stored, len(data), created, hashlib.sha256(data).hexdigest()),
            )
            what = "gegevens" if kind == "data" else "teruggekomen formulier"
            self.log(f"bestand ontvangen ({what}, {len(data)} bytes): {upload_id}", db)
        return Upload(upload_id, kind, name, self.root / stored, len(data), created)

    def upload_names(self) -> dict[str, str]:
        """What a person reads for a stored upload: its path (whole, and its random file
        name alone, as messages name it) → the name it was given; longest first, so a path
        is replaced before the file name within it (see :meth:`shown`)."""
        with self._connect() as db:
            rows = db.execute("SELECT stored, name FROM uploads").fetchall()
        names: dict[str, str] = {}
        for r in rows:
            names[str(self.root / r["stored"])] = r["name"]
            names[Path(r["stored"]).name] = r["name"]
        return dict(sorted(names.items(), key=lambda kv: -len(kv[0])))

    @staticmethod
    def shown(text: str, names: dict[str, str]) -> str:
        """``text`` with every stored upload named as it was given (``names`` from
        :meth:`upload_names`)."""
        for stored, name in names.items():
            if stored in text:
                text = text.replace(stored, name)
        return text

    def upload(self, upload_id: str) -> Upload | None:
        with self._connect() as db:
            r = db.execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        return self._upload(r) if r else None

    def _upload(self, r: sqlite3.Row) -> Upload:
        return Upload(r["id"], r["kind"], r["name"], self.root / r["stored"], r["size"], r["created"])

    def upload_sha256(self, upload_id: str) -> str:
        """The SHA-256 (hex) of an upload's bytes, as kept since it came in; for one
        stored before the workspace kept it, computed from its stored file now (and kept).
        "" when the upload or its stored file is gone."""
        with self._connect() as db:
            r = db.execute("SELECT sha256, stored FROM uploads WHERE id = ?", (upload_id,)).fetchone()
        if r is None:
            return ""
        return r["sha256"] or self._keep_sha256({upload_id: r["stored"]}).get(upload_id, "")

    def _keep_sha256(self, stored: dict[str, str]) -> dict[str, str]:
        """Compute and keep the SHA-256 of uploads that have none yet (upload id → stored
        path); the ones whose file is gone stay without."""
        digests: dict[str, str] = {}
        for upload_id, path in stored.items():
            try:
                digests[upload_id] = file_sha256(self.root / path)
            except OSError:
                continue
        if digests:
            with self._write() as db:
                db.executemany("UPDATE uploads SET sha256 = ? WHERE id = ? AND sha256 = ''",
                               [(d, i) for i, d in digests.items()])
        return digests

    def read_before(self, upload_id: str) -> tuple[int, Upload] | None:
        """The file a read job read before whose bytes are those of upload ``upload_id``
        (another upload), as its ``files`` id and its upload; the first one read, when
        there are several. A file that could not be read (malformed, encrypted, not this
        form, needing OCR) does not count: reading it again may go better. None when
        these bytes were not read before."""
        digest = self.upload_sha256(upload_id)
        if not digest:
            return None
        with self._connect() as db:  # uploads read before the workspace kept their SHA-256
            old = {r["id"]: r["stored"] for r in db.execute(
                "SELECT DISTINCT u.id, u.stored FROM uploads u JOIN files f ON f.upload = u.id WHERE u.sha256 = ''")}
        if old:
            self._keep_sha256(old)
        with self._connect() as db:
            r = db.execute(
                "SELECT f.id AS file, u.* FROM files f JOIN uploads u ON u.id = f.upload"
                " WHERE u.sha256 = ? AND u.id != ? AND f.same_as IS NULL AND f.status IN (?, ?, ?)"
                " ORDER BY f.id LIMIT 1",
                (digest, upload_id, *_READ_STATUSES),
            ).fetchone()
        return (int(r["file"]), self._upload(r)) if r else None

    # -- jobs -----------------------------------------------------------------------

    def add_job(self, kind: JobKind, uploads: Sequence[str], options: dict[str, Any], total: int = 0) -> Job:
        job_id = secrets.token_hex(8)
        with self._write() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, state, total, options, created) VALUES (?, ?, 'waiting', ?, ?, ?)",
                (job_id, kind, total, json.dumps(options), _now()),
            )
            db.executemany("INSERT INTO job_uploads (job, upload) VALUES (?, ?)", [(job_id, u) for u in uploads])
            self.log(f"taak {_KIND_NL[kind]} {job_id} gestart met {len(uploads)} bestand(en)", db)
        job = self.job(job_id)
        assert job is not None
        return job

    def job(self, job_id: str) -> Job | None:
        with self._connect() as db:
            r = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._job(r) if r else None

    def jobs(self, kind: JobKind | None = None, limit: int = 20) -> list[Job]:
        with self._connect() as db:
            if kind is None:
                rows = db.execute("SELECT * FROM jobs ORDER BY created DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
            else:
                rows = db.execute(
                    "SELECT * FROM jobs WHERE kind = ? ORDER BY created DESC, rowid DESC LIMIT ?", (kind, limit)
                ).fetchall()
        return [self._job(r) for r in rows]

    @staticmethod
    def _job(r: sqlite3.Row) -> Job:
        return Job(r["id"], r["kind"], r["state"], r["total"], r["done"], r["message"], json.loads(r["options"]),
                   r["created"], r["finished"])

    def job_uploads(self, job_id: str) -> list[Upload]:
        with self._connect() as db:
            ids = [r[0] for r in db.execute("SELECT upload FROM job_uploads WHERE job = ? ORDER BY rowid", (job_id,))]
        return [u for u in (self.upload(i) for i in ids) if u is not None]

    def update_job(self, job_id: str, *, state: JobState | None = None, total: int | None = None,
                   done: int | None = None, message: str | None = None) -> None:
        sets, args = [], []
        for column, value in (("state", state), ("total", total), ("done", done), ("message", message)):
            if value is not None:
                sets.append(f"{column} = ?")
                args.append(value)
        if state in ("done", "stopped", "failed"):
            sets.append("finished = ?")
            args.append(_now())
        if not sets:
            return
        with self._write() as db:
            db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id = ?", (*args, job_id))
            if state in ("done", "stopped", "failed"):
                self.log(f"taak {job_id}: {_STATE_NL[state]}", db)

    def stop_unfinished_jobs(self) -> int:
        """Jobs left running by a server that was stopped or killed are marked stopped
        (run them again to go on: filling resumes where it stopped)."""
        with self._write() as db:
            cur = db.execute("UPDATE jobs SET state = 'stopped', finished = ? WHERE state IN ('waiting', 'running')",
                             (_now(),))
            return cur.rowcount

    # -- fill results -----------------------------------------------------------------

    def add_fill_results(self, job_id: str, results: Sequence[tuple[int, Any]]) -> None:
        """Store fill results (``(position, FillResult)``) in one transaction: filling is
        fast, and one synced commit per form would make the disk set the pace (the fill
        registry in ``issued/`` is what a resumed fill goes by)."""
        if not results:
            return
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO fill_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(job_id, position, r.source, r.row, r.status, r.file, r.reason, r.document, r.pages,
                  json.dumps(list(r.warnings))) for position, r in results],
            )
            db.execute("UPDATE jobs SET done = ? WHERE id = ?", (max(p for p, _ in results), job_id))

    def fill_results(self, job_id: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM fill_results WHERE job = ? ORDER BY position", (job_id,)).fetchall()
        return [{**dict(r), "warnings": json.loads(r["warnings"])} for r in rows]

    # -- returned files and their records -----------------------------------------------

    def add_returned(self, job_id: str, upload: Upload, result: Any, position: int, *,
                     same_as: int | None = None) -> int:
        """Store one file's extract result (status, reason, notes, records); ``same_as``:
        the file read before with the same bytes, when this one was not read again."""
        names = self.upload_names()  # a reason may name another file of the form: as it was given
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO files (job, upload, name, status, reason, notes, same_as) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, upload.id, upload.name, str(result.status), self.shown(result.reason, names),
                 json.dumps([self.shown(n, names) for n in result.notes]), same_as),
            )
            file_id = int(cur.lastrowid or 0)
            for i, record in enumerate(result.records):
                # the record names the file as the person called it, not the stored copy
                data = {**record.to_json(), "source": upload.name}
                db.execute("INSERT INTO records (file, position, data) VALUES (?, ?, ?)",
                           (file_id, i, json.dumps(data, ensure_ascii=False)))
            db.execute("UPDATE jobs SET done = ? WHERE id = ?", (position, job_id))
            if same_as is not None:
                earlier = db.execute("SELECT upload FROM files WHERE id = ?", (same_as,)).fetchone()
                self.log(f"teruggekomen bestand {upload.id} niet opnieuw gelezen: hetzelfde als bestand "
                         f"{earlier['upload'] if earlier else '?'}", db)
            else:
                self.log(f"teruggekomen bestand {upload.id} gelezen: {status_label(str(result.status), 'nl')}, "
                         f"{len(result.records)} formulier(en)", db)
        return file_id

    def returned_files(self, job_id: str | None = None) -> list[ReturnedFile]:
        query = ("SELECT f.*, (SELECT COUNT(*) FROM records r WHERE r.file = f.id) AS forms FROM files f"
                 + (" WHERE f.job = ?" if job_id else "") + " ORDER BY f.id")
        with self._connect() as db:
            rows = db.execute(query, (job_id,) if job_id else ()).fetchall()
        return [ReturnedFile(r["id"], r["job"], r["name"], r["status"], r["reason"], tuple(json.loads(r["notes"])),
                             r["forms"], r["same_as"]) for r in rows]

    def records(self, spec: FormSpec) -> list[StoredRecord]:
        """Every record read back, oldest first, with the decisions made so far."""
        from .review import apply_decisions

        with self._connect() as db:
            rows = db.execute(
                "SELECT r.id, r.file, r.data, f.name FROM records r JOIN files f ON f.id = r.file ORDER BY r.id"
            ).fetchall()
            decided: dict[int, list[Decision]] = {}
            for d in db.execute("SELECT * FROM decisions WHERE later IS NULL"):
                decided.setdefault(d["record"], []).append(
                    Decision(d["item"], d["value"], None if d["signed"] is None else bool(d["signed"]))
                )
        out = []
        for r in rows:
            record = record_from_json(json.loads(r["data"]), spec)
            out.append(StoredRecord(r["id"], r["file"], r["name"], record,
                                    apply_decisions(record, decided.get(r["id"], ()))))
        return out

    def record(self, record_id: int, spec: FormSpec) -> Record | None:
        with self._connect() as db:
            r = db.execute("SELECT data FROM records WHERE id = ?", (record_id,)).fetchone()
        return record_from_json(json.loads(r["data"]), spec) if r else None

    def record_upload(self, record_id: int) -> Upload | None:
        """The stored upload a record was read from."""
        with self._connect() as db:
            r = db.execute("SELECT f.upload FROM records r JOIN files f ON f.id = r.file WHERE r.id = ?",
                           (record_id,)).fetchone()
        return self.upload(r["upload"]) if r else None

    @property
    def archive_dir(self) -> Path:
        return self.root / "archief"

    def add_archive_result(self, job_id: str, position: int, record_id: int, result: Any, digest: str = "") -> None:
        """An archive job's result for a record; ``digest``: :func:`record_digest` of the
        corrected record as it was archived."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO archive_results (job, position, record, status, package, reason, digest) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (job_id, position, record_id, result.status, result.package, result.reason, digest))
            db.execute("UPDATE jobs SET done = ? WHERE id = ?", (position, job_id))
            self.log(f"formulier {record_id} archiveren: {_ARCHIVE_NL.get(result.status, result.status)}", db)

    def archived_records(self) -> dict[int, set[str]]:
        """The records an archive job has put in the archive (added, as a new version, or
        found there already unchanged), each with the :func:`record_digest` of what was
        archived ('' for results from before these were kept)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT record, digest FROM archive_results WHERE status IN ('added', 'new version', 'duplicate')"
            ).fetchall()
        out: dict[int, set[str]] = {}
        for r in rows:
            out.setdefault(int(r[0]), set()).add(str(r[1]))
        return out

    @staticmethod
    def is_archived(stored: StoredRecord, archived: Mapping[int, set[str]]) -> bool:
        """Whether ``stored``, as corrected now, is in the archive (a record corrected after
        it was archived is not: archiving it again adds it as a new version)."""
        digests = archived.get(stored.id)
        return digests is not None and ("" in digests or record_digest(stored.corrected) in digests)

    def archive_results(self, job_id: str) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM archive_results WHERE job = ? ORDER BY position", (job_id,)).fetchall()
        return [dict(r) for r in rows]

    # -- review decisions -------------------------------------------------------------

    def queue(self, spec: FormSpec) -> list[QueueItem]:
        """Open review items, worst first; items put off ("later") after the others."""
        from .review import review_order

        with self._connect() as db:
            done = {(d["record"], d["item"]): d["later"] for d in db.execute("SELECT record, item, later FROM decisions")}
            rows = db.execute("SELECT id, data FROM records ORDER BY id").fetchall()
        now: list[tuple[object, Any]] = []
        put_off: list[tuple[object, Any]] = []
        for r in rows:
            record = record_from_json(json.loads(r["data"]), spec)
            for i, item in enumerate(record.review):
                key = (r["id"], i)
                if key in done and done[key] is None:
                    continue
                entry = QueueItem(r["id"], i, record, done.get(key) or "")
                (put_off if key in done else now).append((entry, item))
        return [pair[0] for pair in review_order(now) + review_order(put_off)]  # type: ignore[misc]

    def decide(self, record_id: int, index: int, *, value: str | None = None, signed: bool | None = None,
               later: str | None = None, field: str = "") -> bool:
        """Record a decision on one review item; False when it was decided already (a
        second Enter, another tab), which is then left as it was. ``later`` puts the
        item off with that reason (it can still be decided after)."""
        with self._write() as db:
            existing = db.execute("SELECT later FROM decisions WHERE record = ? AND item = ?",
                                  (record_id, index)).fetchone()
            if existing is not None and (existing["later"] is None or later is not None):
                return False
            if existing is not None:
                db.execute("DELETE FROM decisions WHERE record = ? AND item = ?", (record_id, index))
            db.execute(
                "INSERT INTO decisions (record, item, value, signed, later, decided) VALUES (?, ?, ?, ?, ?, ?)",
                (record_id, index, value, None if signed is None else int(signed), later, _now()),
            )
            what = "uitgesteld" if later is not None else "handtekening beoordeeld" if signed is not None else (
                "waarde vastgesteld" if value is not None else "gezien")
            self.log(f"controle: formulier {record_id}, punt {index + 1}{' (' + field + ')' if field else ''}: {what}", db)
        return True

    def decide_values(self, record_id: int, values: Mapping[int, str | None], *, what: str) -> int:
        """Decide several review items of one record in one step, each with its value (None:
        seen); items decided already are left as they are. They share a batch, which
        :meth:`undo_last` undoes whole; the log says ``what`` once. Returns how many were decided."""
        with self._write() as db:
            decided = {r["item"] for r in db.execute(
                "SELECT item FROM decisions WHERE record = ? AND later IS NULL", (record_id,))}
            todo = [(i, v) for i, v in values.items() if i not in decided]
            if not todo:
                return 0
            batch = int(db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM decisions").fetchone()[0])
            now = _now()
            for index, value in todo:
                db.execute("DELETE FROM decisions WHERE record = ? AND item = ?", (record_id, index))  # put off before
                db.execute(
                    "INSERT INTO decisions (record, item, value, signed, later, decided, batch) VALUES (?, ?, ?, NULL, NULL, ?, ?)",
                    (record_id, index, value, now, batch),
                )
            self.log(f"controle: formulier {record_id}: {what} ({len(todo)} punten in één keer)", db)
        return len(todo)

    def undo_last(self) -> tuple[int, int] | None:
        """Remove the most recent decision (all of them when it was taken with others in
        one step); returns its (record, item), or None."""
        with self._write() as db:
            last = db.execute("SELECT seq, record, item, batch FROM decisions ORDER BY seq DESC LIMIT 1").fetchone()
            if last is None:
                return None
            if last["batch"] is not None:
                count = db.execute("DELETE FROM decisions WHERE batch = ?", (last["batch"],)).rowcount
                self.log(f"controle: formulier {last['record']}: {count} besluiten in één keer ongedaan gemaakt", db)
            else:
                db.execute("DELETE FROM decisions WHERE seq = ?", (last["seq"],))
                self.log(f"controle: formulier {last['record']}, punt {last['item'] + 1}: besluit ongedaan gemaakt", db)
        return int(last["record"]), int(last["item"])

    def decisions_count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM decisions WHERE later IS NULL").fetchone()[0])
