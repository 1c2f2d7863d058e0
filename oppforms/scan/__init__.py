"""Reading scanned-in forms back (issue 5): pages identified by their QR codes, aligned on
their corner marks, read with OCR and, with the issued registry of a fill output folder,
verified against what was issued.

The seam for ``oppforms extract``::

    read_scanned_files([(path, source), ...], spec, *, issued=None, jobs=1, review_dir=None, passwords=()) -> ScanRun
    read_scanned(path, spec, *, issued=None, jobs=1, review_dir=None, passwords=()) -> list[Record]
    write_review_html(records, path, *, lang="nl")

A path is a PDF from a scanner, a (multi-page) TIFF, a PNG, JPEG or HEIC photo, or (for
``read_scanned``) a folder of them. The pages of all the files given are assembled into
forms together: a form photographed one page per file is one record.
Every record has ``method == "scan"``; what a person must check is in its ``review`` (with
crops saved in ``review_dir``). The OCR engine sits behind :class:`OcrEngine`; pass
``ocr=`` a factory to plug in another (tests use a fake).

OpenCV, numpy and the OCR engine are imported on first use: importing this package is
cheap, and a missing dependency is a :class:`~oppforms.errors.MissingDependencyError`
saying what to install.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import N_
from ..errors import MissingDependencyError
from ..records import Record, ScanRun
from ..spec import FormSpec

if TYPE_CHECKING:
    from ..executor import Executor
    from .ocr import OcrEngine

__all__ = ["read_scanned", "read_scanned_files", "write_review_html"]

_HINT = N_('reading scanned forms needs OpenCV and numpy: pip install "oppforms[scan]"')


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
    """One record per form found in the scanned pages of ``path`` (a file, or a folder whose
    files are assembled together as :func:`read_scanned_files` does).

    ``issued``: the output folder of an earlier ``oppforms fill``; a box whose OCR text
    agrees with the issued value (white space, quotes and dashes aside) gets that value
    exactly; one that disagrees goes to review with both. Without it a value is accepted
    only when read with at least ``accept_confidence`` (0-100) and consistent with how the
    form lays text out; the rest goes to review. Pages run in ``jobs`` worker processes.
    ``review_dir`` receives the crops the review items point at (PNG). ``executor``
    reads the pages elsewhere instead (a Dask cluster, :func:`oppforms.executor.connect`):
    the same records; the crops come back to ``review_dir``. ``passwords`` open encrypted
    PDFs as ``oppforms extract --password`` does for forms with fields: each is tried, then
    none (a PDF with only an owner password, as copiers set, needs none).

    Raises :class:`~oppforms.errors.InputError` for unreadable input (an
    :class:`~oppforms.extract.reader.EncryptedPdfError` for an encrypted PDF no password opens),
    :class:`~oppforms.errors.NotThisFormError` when no page of the form is found.
    """
    try:
        from .pipeline import read_scanned as impl
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise MissingDependencyError(_HINT) from exc
    return impl(
        path,
        spec,
        issued=issued,
        jobs=jobs,
        review_dir=review_dir,
        ocr=ocr,
        accept_confidence=accept_confidence,
        executor=executor,
        passwords=passwords,
    )


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
    """The forms on the scanned pages of ``files`` (each a path and the name records give
    it), assembled across all of them by document id and page number: one record per form,
    whatever files and order its pages came in, with ``source`` naming the file of its
    first page and ``pages`` every page's file and page. Missing pages (a review item),
    pages scanned twice (a warning; the clearer scan is used) and pages of other forms are
    reported per form, across the files. Per file, in the order given: the records its
    pages went into, its own warnings (blank backs, pages of another form), and the error
    when it could not be read at all (one bad file never stops the others; an
    :class:`~oppforms.extract.reader.EncryptedPdfError` for an encrypted PDF that none of
    ``passwords`` opens).

    Options as for :func:`read_scanned`; raises only for the run as a whole (an unusable
    ``issued`` folder, a missing library)."""
    try:
        from .pipeline import read_scanned_files as impl
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise MissingDependencyError(_HINT) from exc
    return impl(
        files,
        spec,
        issued=issued,
        jobs=jobs,
        review_dir=review_dir,
        ocr=ocr,
        accept_confidence=accept_confidence,
        executor=executor,
        passwords=passwords,
    )


def write_review_html(records: Sequence[Record], path: Path, *, lang: str = "nl") -> None:
    """An HTML page of every review item of ``records``, worst first, in ``lang`` (Dutch by
    default), written atomically; the crops are linked, relative to the page, from the
    review folder they were saved in (keep the two together)."""
    from .report import write_review_html as impl

    impl(records, path, lang=lang)
