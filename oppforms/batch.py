"""Filling many forms: streaming, parallel, resumable, one result per record.

:func:`fill_many` takes an iterable of records and yields a :class:`FillResult` per record,
in input order; a bad record is a ``failed`` result, never an abort. Memory stays bounded
whatever the number of records: only a window of records is in flight at once.

What lives in the output folder besides the PDFs:

- ``.oppforms/secret``: a random key made on the first run. Document ids are derived from
  it and the record's key (``leerling.nummer``), so they are opaque (nobody can go from an
  id back to a pupil without the folder) and stable between runs into the same folder.
- ``.oppforms/issued/*.jsonl``: what was issued, one JSON line per document (each process
  appends to a file of its own): the document id, the file, the row, the form version, the
  values, and hashes of the record and of the PDF. A later run that finds the same record
  already issued with its PDF intact skips it (so an interrupted batch resumes where it
  stopped and ends with the same files); ``oppforms extract --issued`` verifies scanned
  pages against it. A line cut short by a kill is ignored.

Every file is written atomically (:mod:`oppforms._io`): an interrupted run leaves whole
files or none.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .i18n import N_
from ._io import TargetExists, atomic_write_bytes, file_sha256, sync_folder
from .errors import OppformsError, OutputError, UsageError
from .fill import FilledForm, Template
from .issued import (  # document_id, record_hash, read_issued: also this module's, as they were
    append_entry, canonical_json, close_registries, document_id, folder_secret, password_mac,
    read_issued, record_digest, record_hash,
)
from .spec import FormSpec, current_spec, load_spec, spec_path
from .intake import RecordIn
from .naming import Namer
from .deliver import encrypt, merge_for_print, print_copy_path, write_report  # also this module's, as they were
from .smart import check_smart
from .values import coercer_for

Status = Literal["ok", "skipped", "failed"]



@dataclass(frozen=True, slots=True)
class FillResult:
    """What happened to one record. ``file`` is relative to the output folder; ``reason``
    says why a record failed or was skipped (never with pupil data in it)."""

    source: str
    row: int
    status: Status
    file: str = ""
    reason: str = ""
    document: str = ""
    pages: int = 0
    continued: tuple[str, ...] = ()
    #: the SMART check's warnings for the record's goals and actions (never a refusal)
    warnings: tuple[str, ...] = ()
    #: filled without a records key (leerlingnummer): its file is named by its row, and
    #: returned forms, the signature list and the archive cannot find the pupil by number
    keyless: bool = False


@dataclass(frozen=True, slots=True)
class _Job:
    source: str
    row: int
    raw: Mapping[str, object]
    rel: str
    doc_id: str
    password: str | None
    flatten: bool
    overwrite: bool
    out_dir: str
    spec_source: str
    earlier: _Issued | None
    print_copy: bool
    #: the document the registry says the file ``rel`` holds, when another one's
    owner: str | None = None
    #: :func:`password_mac` of ``password`` ("" without one)
    password_mac: str = ""


# ---------------------------------------------------------------------------------------
# What earlier runs issued


@dataclass(frozen=True, slots=True)
class _Issued:
    record_sha256: str
    file: str
    pdf_sha256: str
    #: HMAC of the form's password with the folder's key ("" when not encrypted, or filled
    #: by an oppforms that did not keep it: then a changed password goes unnoticed, as before)
    password_mac: str = ""


def _already_issued(job: _Job, digest: str) -> bool:
    """The same record was filled into the same file by an earlier run, and the file is intact."""
    earlier = job.earlier
    if earlier is None or earlier.record_sha256 != digest or earlier.file != job.rel:
        return False
    if earlier.password_mac and earlier.password_mac != job.password_mac:  # the same values, a new password
        return False
    return _file_sha256(os.path.join(job.out_dir, job.rel)) == earlier.pdf_sha256


def _file_sha256(path: str) -> str:
    """The SHA-256 (hex) of a file, "" when it cannot be read."""
    try:
        return file_sha256(path)
    except OSError:
        return ""


def _same_form(target: str, template: Template, values: Mapping[str, str], job: _Job) -> FilledForm | None:
    """The form this record fills when ``target`` holds it byte for byte (filling is
    deterministic: the same values, document id and template give the same bytes), else None."""
    existing = _file_sha256(target)
    try:
        filled = template.fill(values, doc_id=job.doc_id, flatten=job.flatten, row=job.row)
    except OppformsError:
        return None
    return filled if existing and filled.sha256 == existing else None


def _entry(job: _Job, template: Template, filled: FilledForm, digest: str, pdf_sha256: str) -> dict[str, object]:
    """The registry entry of a form filled for ``job`` (without the values, written after it)."""
    entry: dict[str, object] = {
        "document": job.doc_id,
        "file": job.rel,
        "source": job.source,
        "row": job.row,
        "form": template.spec.form_id,
        "version": template.spec.version,
        "pages": filled.page_count,
        "record_sha256": digest,
        "pdf_sha256": pdf_sha256,
    }
    if job.password_mac:
        entry["password_mac"] = job.password_mac
    return entry


# ---------------------------------------------------------------------------------------
# The work of records: checked, filled and written in passes (in a worker process when jobs > 1)


def _template_for(spec_source: str) -> Template:
    """The template of a shipped spec, by its file name (worker processes get names, not
    objects, and parse each template once)."""
    spec = current_spec()
    if spec.source != spec_source:
        spec = _load_shipped(spec_source)
    return Template.for_spec(spec)


_SPECS: dict[str, FormSpec] = {}


def _load_shipped(name: str) -> FormSpec:
    if name not in _SPECS:
        _SPECS[name] = load_spec(spec_path(name))
    return _SPECS[name]


@dataclass(slots=True)
class _Ready:
    """A record checked and found to need filling: what the fill and the write need."""

    job: _Job
    template: Template
    values: dict[str, str]
    values_json: bytes
    digest: str
    warnings: tuple[str, ...]
    target: str


def _failed(job: _Job, reason: str) -> FillResult:
    return FillResult(job.source, job.row, "failed", job.rel, reason, job.doc_id)


def _prepare(job: _Job) -> FillResult | _Ready:
    """The checks before a record's fill: its values, what earlier runs left in its file,
    and the SMART check. A result when the record is not to be filled."""
    template = _template_for(job.spec_source)
    values, errors = coercer_for(template.spec).check(job.raw, row=job.row, source=job.source)
    if values is None:
        return FillResult(job.source, job.row, "failed", reason="; ".join(str(e) for e in errors))
    values_json = canonical_json(values)
    digest = record_digest(values_json, flatten=job.flatten, version=template.spec.version, encrypted=bool(job.password))
    out_dir = job.out_dir
    if job.print_copy:
        try:
            flat = template.fill(values, doc_id=job.doc_id, flatten=True, row=job.row)
            atomic_write_bytes(print_copy_path(Path(out_dir), job.doc_id), flat.data, durable=False)
        except OppformsError as exc:
            return _failed(job, str(exc))
    if _already_issued(job, digest):
        return FillResult(job.source, job.row, "skipped", job.rel, N_("already filled by an earlier run"), job.doc_id)
    target = os.path.join(out_dir, job.rel)
    if os.path.exists(target):
        if not job.overwrite:
            same = _same_form(target, template, values, job) if not job.password and job.owner is None else None
            if same is not None:
                # the very form, byte for byte: another run filled it (at the same time, or
                # with its registry lost); only the registry line is written again
                try:
                    append_entry(out_dir, _entry(job, template, same, digest, same.sha256), values_json)
                except OSError as exc:
                    return _failed(job, str(exc))
                return FillResult(job.source, job.row, "skipped", job.rel, N_("already filled by another run"),
                                  job.doc_id, same.page_count)
            return _failed(job, N_("the file exists already (from another run or record); use --overwrite to replace it"))
        if job.owner is not None:  # --overwrite replaces a form by a newer one of the same record, never another's
            return _failed(job, N_(
                "the file is the form of another record (document {document}: another pupil, or a row without "
                "leerlingnummer), not replaced: give this record its leerlingnummer, or another name with --name"
            ).format(document=job.owner))
    warnings = tuple(str(w) for w in check_smart(values, template.spec))
    return _Ready(job, template, values, values_json, digest, warnings, target)


def _fill(ready: _Ready) -> FilledForm | FillResult:
    job = ready.job
    try:
        return ready.template.fill(ready.values, doc_id=job.doc_id, flatten=job.flatten, row=job.row)
    except OppformsError as exc:
        return _failed(job, str(exc))


def _write(ready: _Ready, filled: FilledForm) -> FillResult:
    """The registry line and the file of a filled form; its result."""
    job = ready.job
    try:
        data = encrypt(filled.data, job.password) if job.password else filled.data
        entry = _entry(job, ready.template, filled, ready.digest,
                       hashlib.sha256(data).hexdigest() if job.password else filled.sha256)
        # the registry first: a run killed between the two writes finds the entry without
        # its file, and simply fills the record again
        append_entry(job.out_dir, entry, ready.values_json)
        atomic_write_bytes(ready.target, data, overwrite=job.overwrite, durable=False)
    except TargetExists as exc:  # another run placed it meanwhile: the very same form is no failure
        if not job.password and _file_sha256(ready.target) == filled.sha256:
            return FillResult(job.source, job.row, "skipped", job.rel, N_("already filled by another run"),
                              job.doc_id, filled.page_count)
        return _failed(job, str(exc))
    except OppformsError as exc:
        return _failed(job, str(exc))
    reason = ""
    if filled.continued:
        reason = N_("continued on added pages: {fields}").format(fields=", ".join(filled.continued))
    return FillResult(job.source, job.row, "ok", job.rel, reason, job.doc_id, filled.page_count, filled.continued,
                      ready.warnings, keyless=not ready.values.get(ready.template.spec.records.key))


def _run_jobs(items: list[_Job | FillResult]) -> Iterator[FillResult]:
    """The results of ``items`` (jobs, and results decided in planning), in order. The work
    is done in passes over them: every record checked, then every form filled, then every
    file written. The fill's code and data then stay in the processor's caches while it
    runs form after form, instead of being pushed out by the checks and writes between two
    fills: in one process, in turns with the same 200 records done one by one,
    :func:`fill_many` took 0.91-0.93 of the CPU time in passes of 16 (medians of 30 and 40
    rounds; in passes of 8, 32 and 64: 0.94, 0.96 and 0.91). The instructions are the same.
    Each result is given as soon as its file is written."""
    prepared = [i if isinstance(i, FillResult) else _prepare(i) for i in items]
    filled = [_fill(p) if isinstance(p, _Ready) else None for p in prepared]
    for p, f in zip(prepared, filled, strict=True):
        if isinstance(p, FillResult):
            yield p
        elif isinstance(f, FillResult):
            yield f
        else:
            assert f is not None
            yield _write(p, f)


# ---------------------------------------------------------------------------------------
# The batch


@dataclass(slots=True)
class _Plan:
    """Turns records into jobs in the main process: values, names, document ids."""

    spec: FormSpec
    out_dir: Path
    namer: Namer
    secret: bytes
    flatten: bool
    overwrite: bool
    identity_by_row: bool
    seen_keys: dict[str, int] = field(default_factory=dict)
    name_fields: tuple[str, ...] = ()
    issued: dict[str, _Issued] = field(default_factory=dict)
    print_copies: bool = False
    #: file (as the namer compares names: NFC, case folded) → the document last issued in it
    owners: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name_fields = (self.spec.records.key, *self.namer.fields)

    def job(self, record: RecordIn) -> _Job | FillResult:
        """Only what must be decided in order is done here (the key, the file name, the
        document id); the rest of the record is checked by the worker that fills it."""
        if record.error is not None:
            return FillResult(record.source, record.row, "failed", reason=str(record.error))
        needed = {k: record.raw.get(k) for k in self.name_fields}
        values, errors = coercer_for(self.spec).check(needed, row=record.row, source=record.source, given_only=True)
        if values is None:
            return FillResult(record.source, record.row, "failed", reason="; ".join(str(e) for e in errors))
        key_field = self.spec.records.key
        key = values.get(key_field, "")
        if key and not self.identity_by_row:
            first = self.seen_keys.setdefault(key, record.row)
            if first != record.row:
                return FillResult(
                    record.source,
                    record.row,
                    "failed",
                    reason=N_("{field} is the same as in row {first} (duplicate; see --on-duplicate)").format(field=key_field, first=first),
                )
        identity = f"{self.spec.form_id}|{key}" if key and not self.identity_by_row else f"{record.source}|{record.row}|{key}"
        rel = self.namer.name(values, record.row)
        doc_id = document_id(self.secret, identity)
        owner = self.owners.get(unicodedata.normalize("NFC", rel).casefold())
        return _Job(
            source=record.source,
            row=record.row,
            raw=record.raw,
            rel=rel,
            doc_id=doc_id,
            earlier=self.issued.get(doc_id),
            owner=owner if owner is not None and owner != doc_id else None,
            password_mac=password_mac(self.secret, record.password) if record.password else "",
            print_copy=self.print_copies,
            password=record.password,
            flatten=self.flatten,
            overwrite=self.overwrite,
            out_dir=str(self.out_dir),
            spec_source=self.spec.source,
        )


def _clean_stale_parts(out_dir: Path) -> None:
    """Remove temporary files a killed run left behind (never whole files)."""
    for path in out_dir.rglob(".*.part"):
        try:
            path.unlink()
        except OSError:
            pass


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: the main process handles it and shuts
    # the pool down; workers finish or drop their current file atomically.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def fill_many(
    records: Iterable[RecordIn | Mapping[str, object]],
    out_dir: Path,
    *,
    spec: FormSpec | None = None,
    name: str | None = None,
    flatten: bool = False,
    overwrite: bool = False,
    jobs: int = 1,
    identity_by_row: bool = False,
    print_copies: bool = False,
    progress: Callable[[FillResult], None] | None = None,
) -> Iterator[FillResult]:
    """Fill one PDF per record into ``out_dir``; yield a result per record, in order.

    ``records`` are :class:`RecordIn` or plain mappings of field names to values (then the
    source is ``"records"`` and the row the 1-based position). ``name`` is the file name
    pattern (default from the spec: ``{leerling.nummer}``, never the pupil's name).
    ``jobs`` > 1 fills in that many worker processes. A record whose key repeats an
    earlier record's key fails unless ``identity_by_row`` (then documents are told apart
    by row). ``print_copies`` also keeps a flattened copy of each form for
    :func:`merge_for_print` (see :func:`print_copy_path`). Streaming: records are read as
    they are needed.
    """
    spec = spec or current_spec()
    if jobs < 1:
        raise UsageError(N_("--jobs must be at least 1"))
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(N_("{folder}: cannot create the output folder ({error})").format(folder=out_dir, error=exc.strerror)) from exc
    _clean_stale_parts(out_dir)
    issued = {
        str(e["document"]): _Issued(str(e.get("record_sha256")), str(e.get("file")), str(e.get("pdf_sha256")),
                                    str(e.get("password_mac") or ""))
        for e in read_issued(out_dir)
    }
    owners = {unicodedata.normalize("NFC", i.file).casefold(): doc for doc, i in issued.items()}
    plan = _Plan(
        spec=spec,
        out_dir=out_dir,
        namer=Namer(name or spec.records.file_name, spec),
        secret=folder_secret(out_dir),
        flatten=flatten,
        overwrite=overwrite,
        identity_by_row=identity_by_row,
        issued=issued,
        print_copies=print_copies,
        owners=owners,
    )

    def planned() -> Iterator[_Job | FillResult]:
        for i, r in enumerate(records, 1):
            yield plan.job(r if isinstance(r, RecordIn) else RecordIn("records", i, r))

    def report(result: FillResult) -> FillResult:
        if progress is not None:
            progress(result)
        return result

    try:
        if jobs == 1:
            for chunk in _chunks(planned(), PASS):
                for result in _run_jobs(chunk):
                    yield report(result)
        else:
            yield from _parallel(planned(), jobs, report)
    finally:
        try:
            close_registries()
        finally:
            sync_folder(out_dir)  # the batch's files reach the disk once, not one fsync per file


def _parallel(
    planned: Iterator[_Job | FillResult], jobs: int, report: Callable[[FillResult], FillResult]
) -> Iterator[FillResult]:

    # Records go to the workers in chunks (fewer round trips), and at most a few chunks per
    # worker are in flight, so memory stays bounded however long the input is.
    window: deque[Future[list[FillResult]] | list[FillResult]] = deque()
    pending: deque[FillResult] = deque()  # the results of the chunk being given

    def take() -> Iterator[FillResult]:
        pending.extend(_resolve(window[0]))  # left in the window until its results are in hand
        window.popleft()
        while pending:
            yield report(pending.popleft())

    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) as pool:
        try:
            chunk: list[_Job | FillResult] = []
            for item in planned:
                chunk.append(item)
                if len(chunk) == CHUNK:
                    window.append(_submit(pool, chunk))
                    chunk = []
                while len(window) >= jobs * 3:
                    yield from take()
            if chunk:
                window.append(_submit(pool, chunk))
            while window:
                yield from take()
        except BaseException as exc:
            pool.shutdown(wait=True, cancel_futures=True)
            if isinstance(exc, GeneratorExit):  # the caller stopped asking: nothing more to give
                raise
            # Interrupted (Ctrl-C): the chunks the workers finished meanwhile wrote their
            # files, so their results are given first (in order, up to the first chunk that
            # did not run), and the report has every row done
            while pending:
                yield report(pending.popleft())
            for item in window:
                if isinstance(item, Future) and (item.cancelled() or item.exception() is not None):
                    break
                for result in _resolve(item):
                    yield report(result)
            raise


CHUNK = 8


def _submit(pool: ProcessPoolExecutor, chunk: list[_Job | FillResult]) -> Future[list[FillResult]] | list[FillResult]:
    if all(isinstance(i, FillResult) for i in chunk):
        return [i for i in chunk if isinstance(i, FillResult)]
    return pool.submit(_run_chunk, chunk)


def _run_chunk(chunk: list[_Job | FillResult]) -> list[FillResult]:
    return list(_run_jobs(chunk))


#: Records done together in passes (see :func:`_run_jobs`); their forms are in memory at once
PASS = 16


def _chunks(items: Iterator[_Job | FillResult], size: int) -> Iterator[list[_Job | FillResult]]:
    """``items`` in lists of ``size``. When reading the next record fails, the records
    read before it are given first."""
    chunk: list[_Job | FillResult] = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except Exception:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _resolve(item: Future[list[FillResult]] | list[FillResult]) -> list[FillResult]:
    return item.result() if isinstance(item, Future) else item
