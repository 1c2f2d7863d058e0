"""``read_scanned`` and ``read_scanned_files``: scanned pages in, one record per form out.

The pages of all the input files are read one by one (:func:`read_pages`: in worker
processes with ``jobs`` > 1, each with its own OCR engine and one tesseract thread), then
assembled into forms by document id across all the files (:mod:`oppforms.scan.assemble`):
a form photographed one page per JPEG, or scanned one PDF per page, is one record.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .._io import atomic_write_bytes
from ..i18n import N_
from ..errors import InputError, NotThisFormError, OppformsError, UsageError
from ..executor import Executor, LocalPool, Lost
from ..issued import read_issued
from ..records import Record, ScanRun, ScannedFile
from ..spec import FormSpec, current_spec, shipped_pdf_path
from .assemble import assemble_run
from .engines import engine, second_engine, set_engine_factory
from .images import PageRef, expand_inputs, list_pages, page_bytes
from .lexicon import dutch
from .ocr import OcrEngine, default_engine
from .page import read_page
from .readings import DPI
from .render import blank_pages
from .results import PageResult, Settings

log = logging.getLogger(__name__)


def load_issued(folder: Path, spec: FormSpec) -> dict[str, dict[str, str]]:
    """document id → the values issued for it (the latest entry wins), for this form."""
    if not folder.is_dir():
        raise InputError(N_("{folder}: not a folder (--issued takes the output folder of oppforms fill)").format(folder=folder))
    out: dict[str, dict[str, str]] = {}
    for entry in read_issued(folder):
        if entry.get("form", spec.form_id) != spec.form_id:
            continue
        values = entry.get("values")
        doc = entry.get("document")
        if isinstance(doc, str) and isinstance(values, dict):
            out[doc] = {str(k): str(v) for k, v in values.items()}
    if not out:
        raise InputError(N_("{folder}: no issued forms found (expected the output folder of oppforms fill)").format(folder=folder))
    log.info("issued registry: %d documents", len(out))
    return out


def _worker_init(factory: Callable[[], OcrEngine] | None) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import cv2

    cv2.setNumThreads(1)
    set_engine_factory(factory or default_engine)


def prepare_worker() -> None:
    """Load, once in this process, what reading pages needs: OpenCV on one thread,
    tesseract's models (with one thread), the Dutch word list, the blank form's pages. A
    cluster's workers run this when they start (:func:`oppforms.executor.connect`), so the
    seconds it takes (the word list alone takes about two) are not spent on a run's
    first pages."""
    _worker_init(None)
    spec = current_spec()
    try:
        engine()
        second_engine()
    except OppformsError as exc:  # said again on every page, and by `cluster check`
        log.warning("this worker cannot read scans: %s", exc)
    dutch()
    blank_pages(str(shipped_pdf_path(spec)), DPI, spec.page_count)


@dataclass(frozen=True, slots=True)
class _PageJob:
    """One page for a worker: the page (with its bytes when shipped), the OCR engine's
    factory, and whether the crops come back as bytes (a worker elsewhere may not see the
    client's review folder)."""

    ref: PageRef
    ocr: Callable[[], OcrEngine] | None
    crops_back: bool


def _read_job(job: _PageJob, settings: Settings) -> tuple[PageResult, dict[str, bytes]]:
    """What a worker runs per page: the page read, and its crops when they come back."""
    if not job.crops_back:
        set_engine_factory(job.ocr or default_engine)
        return read_page(job.ref, settings), {}
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one tesseract thread per single-threaded worker
    import cv2

    cv2.setNumThreads(1)
    set_engine_factory(job.ocr or default_engine)
    if settings.review_dir is None:
        return read_page(job.ref, settings), {}
    with tempfile.TemporaryDirectory(prefix="oppforms-crops-") as tmp:
        result = read_page(job.ref, replace(settings, review_dir=tmp))
        crops = {p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()}
    return _rebase_crops(result, settings.review_dir), crops


def _rebase_crops(result: PageResult, folder: str) -> PageResult:
    """The result with its crops' paths in ``folder`` (the client's review folder)."""

    def moved(crop: str | None) -> str | None:
        return None if crop is None else str(Path(folder) / Path(crop).name)

    return replace(
        result,
        fields=tuple(replace(f, crop=moved(f.crop)) for f in result.fields),
        signatures=tuple(replace(s, crop=moved(s.crop)) for s in result.signatures),
        review=tuple(replace(r, crop=moved(r.crop)) for r in result.review),
    )


def _jobs(refs: list[PageRef], ocr: Callable[[], OcrEngine] | None, executor: Executor) -> Iterator[_PageJob]:
    """The pages as jobs: with the page's bytes when the executor ships them, else with
    the file's absolute path when the workers are elsewhere (their working folder is not
    this one)."""
    for ref in refs:
        if executor.ship:
            ref = replace(ref, load_from=page_bytes(ref), password=None)  # the page comes decrypted
        elif executor.remote:
            ref = replace(ref, load_from=str(Path(ref.path).resolve()))
        yield _PageJob(ref, ocr, executor.remote)


def read_pages(
    refs: list[PageRef],
    settings: Settings,
    *,
    jobs: int,
    ocr: Callable[[], OcrEngine] | None,
    executor: Executor | None = None,
) -> Iterator[PageResult]:
    """Every page read, in input order: in this process (``jobs`` 1), in ``jobs`` worker
    processes, or by ``executor`` (a cluster: see :mod:`oppforms.executor`).

    A page that the worker processes died on again and again (the pool or Dask gave it
    up) is ``lost``: its file ends ``malformed`` (:func:`read_scanned_files`); a page read
    past its time is ``refused``."""
    set_engine_factory(ocr or default_engine)
    if executor is None:
        if jobs <= 1 or len(refs) <= 1:
            for ref in refs:
                yield read_page(ref, settings)
            return
        # a forked worker whose parent's OpenCV thread pool was busy can hang: keep OpenCV in
        # this process on one thread (workers read the pages; this process only assembles)
        import cv2

        cv2.setNumThreads(1)
        executor = LocalPool(jobs, initializer=_worker_init, initargs=(ocr,))
    out = executor.run(_read_job, _jobs(refs, ocr, executor), common=settings, timeout=settings.page_timeout * 2 + 60)
    try:
        for ref, got in zip(refs, out, strict=True):
            if isinstance(got, Lost):
                if got.died:
                    log.warning("scan: a page was given up after the processes reading it died: %s", got.reason)
                    why = N_("{label}: the processes reading it died again and again (a crash, or out of memory)")
                    yield PageResult(ref.path, ref.page_index, "lost", warnings=(why.format(label=ref.label),))
                    continue
                yield PageResult(ref.path, ref.page_index, "refused", warnings=(N_("{label}: reading took too long").format(label=ref.label),))
                continue
            result, crops = got
            if crops and settings.review_dir is not None:
                for name, data in crops.items():
                    atomic_write_bytes(Path(settings.review_dir) / name, data, durable=False)
            yield result
    finally:
        out.close()


def read_scanned(
    path: Path,
    spec: FormSpec,
    *,
    issued: Path | None,
    jobs: int = 1,
    review_dir: Path | None = None,
    ocr: Callable[[], OcrEngine] | None = None,
    accept_confidence: float = 90.0,
    executor: Executor | None = None,
    passwords: Sequence[str] = (),
) -> list[Record]:
    """See :func:`oppforms.scan.read_scanned`."""
    files = expand_inputs(Path(path))
    if not files:
        raise InputError(N_("{file}: no PDF or image files in it").format(file=Path(path).name))
    run, results = _read_files(
        [(f, str(f)) for f in files],
        spec,
        issued=issued,
        jobs=jobs,
        review_dir=review_dir,
        ocr=ocr,
        accept_confidence=accept_confidence,
        executor=executor,
        passwords=passwords,
    )
    for file in run.files:
        if file.error is not None:
            raise file.error
    if not run.records:
        if results and all(r.kind == "refused" for r in results):
            raise InputError(results[0].warnings[0] if results[0].warnings else N_("{file}: unreadable").format(file=Path(path).name))
        raise NotThisFormError(N_("{file}: no page of the form {form} found").format(file=Path(path).name, form=spec.form_id))
    return list(run.records)


def read_scanned_files(
    files: Sequence[tuple[Path, str]],
    spec: FormSpec,
    *,
    issued: Path | None,
    jobs: int = 1,
    review_dir: Path | None = None,
    ocr: Callable[[], OcrEngine] | None = None,
    accept_confidence: float = 90.0,
    executor: Executor | None = None,
    passwords: Sequence[str] = (),
) -> ScanRun:
    """See :func:`oppforms.scan.read_scanned_files`."""
    return _read_files(
        files,
        spec,
        issued=issued,
        jobs=jobs,
        review_dir=review_dir,
        ocr=ocr,
        accept_confidence=accept_confidence,
        executor=executor,
        passwords=passwords,
    )[0]


def _read_files(
    files: Sequence[tuple[Path, str]],
    spec: FormSpec,
    *,
    issued: Path | None,
    jobs: int,
    review_dir: Path | None,
    ocr: Callable[[], OcrEngine] | None,
    accept_confidence: float,
    executor: Executor | None = None,
    passwords: Sequence[str] = (),
) -> tuple[ScanRun, list[PageResult]]:
    if jobs < 1:
        raise UsageError("jobs must be 1 or more")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    registry = load_issued(Path(issued), spec) if issued is not None else None
    settings = Settings(
        spec=spec,
        issued=registry,
        review_dir=str(review_dir) if review_dir is not None else None,
        accept_confidence=accept_confidence,
    )
    refs: list[PageRef] = []
    counts: list[int] = []
    errors: list[Exception | None] = []
    names: dict[str, str] = {}
    for path, name in files:
        try:
            mine = list_pages(Path(path), passwords)
        except OppformsError as exc:  # MissingDependencyError too: said for this file
            mine, error = [], exc
        else:
            error = None
        refs.extend(mine)
        counts.append(len(mine))
        errors.append(error)
        names[str(path)] = name
    # every page of every file in one go: the workers stay busy however the pages are
    # spread over files (one photo per page is one page per file)
    results = list(read_pages(refs, settings, jobs=jobs, ocr=ocr, executor=executor))
    # a file with a page lost (the processes reading it died) is malformed as a whole, and
    # its pages take no part in the assembly: the other files' forms come out as they are
    lost = {r.source: r.warnings[0] for r in reversed(results) if r.kind == "lost"}  # its first such page
    if lost:
        for k, (path, _) in enumerate(files):
            if str(path) in lost and errors[k] is None:
                errors[k] = InputError(lost[str(path)])
        results = [r for r in results if r.source not in lost]
    alphabet = _alphabet(ocr) if any(r.kind == "form" for r in results) else None
    assembly = assemble_run(results, spec, issued=registry, alphabet=alphabet, names=names)
    refused: dict[str, list[str]] = {}  # file → why each page was refused; None once a page of it was read
    for r in results:
        if r.kind == "refused":
            refused.setdefault(str(r.source), []).extend(r.warnings)
    readable = {str(r.source) for r in results if r.kind != "refused"}
    out = []
    for (path, name), count, error in zip(files, counts, errors, strict=True):
        key = str(path)
        if error is None and key in refused and key not in readable and not assembly.files.get(key):
            # no page of it could be read at all (a JPEG cut short, say): unreadable, not "not this form"
            error = InputError(refused[key][0] if refused[key] else N_("{file}: unreadable").format(file=Path(path).name))
        out.append(
            ScannedFile(
                name,
                pages=count,
                records=assembly.files.get(key, ()),
                warnings=assembly.warnings.get(key, ()),
                error=error,
            )
        )
    log.info(
        "scan: %d file(s), %d page(s), %d form(s), %d review item(s)",
        len(files),
        len(results),
        len(assembly.records),
        sum(len(r.review) for r in assembly.records),
    )
    return ScanRun(tuple(assembly.records), tuple(out)), results


def _alphabet(ocr: Callable[[], OcrEngine] | None) -> frozenset[str] | None:
    set_engine_factory(ocr or default_engine)
    return engine().alphabet


def summary(records: list[Record]) -> Mapping[str, int]:
    return {"forms": len(records), "review": sum(len(r.review) for r in records)}
