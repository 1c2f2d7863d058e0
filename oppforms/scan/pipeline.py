"""``read_scanned``: scanned pages in, one record per form out.

The pages of the input are read one by one (in worker processes with ``jobs`` > 1, each
with its own OCR engine and one tesseract thread), then assembled into forms by document
id (:mod:`oppforms.scan.assemble`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from ..i18n import N_
from ..errors import InputError, NotThisFormError, UsageError
from ..issued import read_issued
from ..records import Record
from ..spec import FormSpec
from .assemble import assemble
from .engines import engine, set_engine_factory
from .images import PageRef, expand_inputs, list_pages
from .ocr import OcrEngine, default_engine
from .page import read_page
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


def _read(args: tuple[PageRef, Settings]) -> PageResult:
    return read_page(*args)


def read_pages(
    refs: list[PageRef], settings: Settings, *, jobs: int, ocr: Callable[[], OcrEngine] | None
) -> Iterator[PageResult]:
    """Every page read, in input order."""
    set_engine_factory(ocr or default_engine)
    if jobs <= 1 or len(refs) <= 1:
        for ref in refs:
            yield read_page(ref, settings)
        return
    # a forked worker whose parent's OpenCV thread pool was busy can hang: keep OpenCV in
    # this process on one thread (workers read the pages; this process only assembles)
    import cv2

    cv2.setNumThreads(1)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(ocr,)) as pool:
        futures = [pool.submit(_read, (ref, settings)) for ref in refs]
        try:
            for ref, fut in zip(refs, futures, strict=True):
                try:
                    yield fut.result(timeout=settings.page_timeout * 2 + 60)
                except FutureTimeout:
                    yield PageResult(ref.path, ref.page_index, "refused", warnings=(N_("{label}: reading took too long").format(label=ref.label),))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def read_scanned(
    path: Path,
    spec: FormSpec,
    *,
    issued: Path | None,
    jobs: int = 1,
    review_dir: Path | None = None,
    ocr: Callable[[], OcrEngine] | None = None,
    accept_confidence: float = 90.0,
) -> list[Record]:
    """See :func:`oppforms.scan.read_scanned`."""
    if jobs < 1:
        raise UsageError("jobs must be 1 or more")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    registry = load_issued(Path(issued), spec) if issued is not None else None
    files = expand_inputs(Path(path))
    if not files:
        raise InputError(N_("{file}: no PDF or image files in it").format(file=Path(path).name))
    settings = Settings(
        spec=spec,
        issued=registry,
        review_dir=str(review_dir) if review_dir is not None else None,
        accept_confidence=accept_confidence,
    )
    records: list[Record] = []
    results_all: list[PageResult] = []
    for file in files:
        refs = list_pages(file)
        results = list(read_pages(refs, settings, jobs=jobs, ocr=ocr))
        results_all.extend(results)
        alphabet = _alphabet(ocr) if any(r.kind == "form" for r in results) else None
        records.extend(assemble(results, spec, issued=registry, alphabet=alphabet, source=str(file)))
    if not records:
        kinds = {r.kind for r in results_all}
        if kinds <= {"refused"} and results_all:
            raise InputError(results_all[0].warnings[0] if results_all[0].warnings else N_("{file}: unreadable").format(file=Path(path).name))
        raise NotThisFormError(N_("{file}: no page of the form {form} found").format(file=Path(path).name, form=spec.form_id))
    log.info(
        "scan: %d page(s), %d form(s), %d review item(s)",
        len(results_all),
        len(records),
        sum(len(r.review) for r in records),
    )
    return records


def _alphabet(ocr: Callable[[], OcrEngine] | None) -> frozenset[str] | None:
    set_engine_factory(ocr or default_engine)
    return engine().alphabet


def summary(records: list[Record]) -> Mapping[str, int]:
    return {"forms": len(records), "review": sum(len(r.review) for r in records)}
