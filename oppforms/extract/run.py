"""Many inputs → one :class:`~.reader.FileResult` per file, in order.

Inputs are files and folders (searched recursively, hidden files and folders left out,
symbolic links to folders not followed). PDFs are read in the sandbox (:mod:`.sandbox`);
PDFs whose pages are only images, and image files (PNG, JPEG, TIFF, HEIC), go to the
scanned-forms reader through one seam: the function ``read_scanned_files([(path, source),
…], spec, *, issued, jobs, review_dir)`` of the package ``oppforms.scan`` when it is
installed, called once per run with every scanned input, so that the pages of one form are
assembled across files (and with ``passwords=`` the passwords given, when there are any).
Without it they end with the status "needs OCR".
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ..i18n import N_
from .._io import shown_name
from ..errors import MissingDependencyError, NotThisFormError, OppformsError
from ..executor import Executor
from ..records import FileStatus, Record, ScanRun
from ..spec import FormSpec, current_spec
from .reader import EncryptedPdfError, FileResult, status_of
from .sandbox import Limits, Sandbox

__all__ = ["IMAGE_SUFFIXES", "Input", "documents", "extract_many", "find_inputs", "scanned_reader"]

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif"})
#: ISO base media brands of HEIF images (HEIC photos from phones).
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
#: The seam to the scanned-forms reader: module and function.
SCAN_MODULE = "oppforms.scan"
SCAN_FUNCTION = "read_scanned_files"

Kind = Literal["pdf", "image", "other"]
ScanReader = Callable[..., ScanRun]


@dataclass(frozen=True, slots=True)
class Input:
    """One input file: its path, how it is named in records and messages, and its kind."""

    path: Path
    source: str
    kind: Kind


def _kind(path: Path) -> Kind:
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError:
        return "pdf" if path.suffix.lower() in PDF_SUFFIXES else "other"
    if b"%PDF-" in head or path.suffix.lower() in PDF_SUFFIXES:
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:  # a phone's HEIC photo
        return "image"
    return "other"


def find_inputs(paths: Iterable[Path]) -> list[Input]:
    """The input files named by ``paths``: files as given; folders searched recursively
    for PDFs and images (sorted by path). A path that does not exist is an input too (its
    result says it was not found)."""
    out: list[Input] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found: list[Path] = []
            for folder, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if name.startswith("."):
                        continue
                    suffix = os.path.splitext(name)[1].lower()
                    if suffix in PDF_SUFFIXES or suffix in IMAGE_SUFFIXES:
                        found.append(Path(folder) / name)
            for p in sorted(found):
                out.append(Input(p, shown_name(p), "pdf" if p.suffix.lower() in PDF_SUFFIXES else "image"))
        else:
            out.append(Input(path, shown_name(path), _kind(path)))
    return out


def scanned_reader() -> ScanReader | MissingDependencyError | None:
    """The scanned-forms reader when it is installed; a :class:`MissingDependencyError`
    when it is but cannot load (a library it needs is missing); None when it is not."""
    try:
        module = importlib.import_module(SCAN_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == SCAN_MODULE or SCAN_MODULE.startswith(exc.name + ".")):
            return None
        return MissingDependencyError(N_("reading scanned forms needs {module}: pip install \"oppforms[scan]\"").format(module=exc.name))
    except ImportError as exc:
        return MissingDependencyError(N_("reading scanned forms cannot start ({error})").format(error=exc))
    function = getattr(module, SCAN_FUNCTION, None)
    return cast(ScanReader, function) if callable(function) else None


@dataclass(frozen=True, slots=True)
class _Scan:
    """The scanned inputs of one run, read together (their pages are assembled into forms
    across files) and reported per file."""

    spec: FormSpec
    issued: Path | None
    jobs: int
    review_dir: Path | None = None
    executor: Executor | None = None
    passwords: tuple[str, ...] = ()

    def read(self, items: Sequence[tuple[Input, FileResult | None]]) -> list[FileResult]:
        """One result per item, in order. A form whose pages came in several files is
        one record, held by the result of the file of its first page (its ``source``); the
        other files' results hold no record but name it in ``part_of``, and take the
        status of the forms their pages went into."""
        reader = scanned_reader()
        if reader is None or isinstance(reader, MissingDependencyError):
            return [self._unread(item, earlier, reader) for item, earlier in items]
        more: dict[str, object] = {"executor": self.executor} if self.executor is not None else {}
        if self.passwords:
            more["passwords"] = self.passwords
        try:
            run = cast(
                ScanRun,
                reader([(i.path, i.source) for i, _ in items], self.spec, issued=self.issued, jobs=self.jobs,
                       review_dir=self.review_dir, **more),
            )
        except MissingDependencyError as exc:
            return [FileResult(i.source, FileStatus.NEEDS_OCR, reason=str(exc), dependency=str(exc)) for i, _ in items]
        except OppformsError as exc:  # the run as a whole (an unusable --issued folder)
            return [FileResult(i.source, FileStatus.MALFORMED, reason=str(exc)) for i, _ in items]
        held: set[int] = set()
        out = []
        for (item, earlier), file in zip(items, run.files, strict=True):
            notes = earlier.notes if earlier else ()
            pages = file.pages or (earlier.pages if earlier else 0)
            if file.error is not None:
                out.append(_failed(item, file.error, notes, pages))
                continue
            own = [i for i in file.records if i not in held and run.records[i].source == item.source]
            held.update(own)
            records = tuple(run.records[i] for i in own)
            others = [run.records[i] for i in file.records if i not in own]
            part_of = tuple(dict.fromkeys(r.source for r in others))
            if not file.records:
                reason = "; ".join(file.warnings) or N_("no form found on the scanned pages")
                out.append(FileResult(item.source, FileStatus.NOT_THIS_FORM, reason=reason, notes=notes, pages=pages))
                continue
            reason = ""
            if part_of:
                reason = (
                    N_("its page(s) belong to the form whose first page is in {file}").format(file=part_of[0])
                    if len(others) == 1
                    else N_("its pages belong to {count} forms whose first pages are in {files}").format(
                        count=len(others), files=", ".join(part_of)
                    )
                )
            mine = [run.records[i] for i in file.records]
            warnings = bool(notes) or bool(file.warnings) or any(r.warnings for r in mine)
            out.append(
                FileResult(
                    item.source, status_of(mine, warnings=warnings), records, reason=reason, notes=notes, pages=pages,
                    part_of=part_of,
                )
            )
        # never lose a form: one whose first page's file was given twice, or named otherwise,
        # goes with the first file that holds a page of it
        for index in sorted(set(range(len(run.records))) - held):
            at = next(k for k, file in enumerate(run.files) if index in file.records and file.error is None)
            out[at] = dataclasses.replace(out[at], records=(*out[at].records, run.records[index]))
        return out

    @staticmethod
    def _unread(item: Input, earlier: FileResult | None, reader: MissingDependencyError | None) -> FileResult:
        if isinstance(reader, MissingDependencyError):
            return FileResult(item.source, FileStatus.NEEDS_OCR, reason=str(reader), dependency=str(reader))
        what = earlier.reason if earlier is not None and earlier.reason else N_("an image file")
        return FileResult(
            item.source,
            FileStatus.NEEDS_OCR,
            reason=N_("{what}; reading scanned forms is not installed").format(what=what),
            notes=earlier.notes if earlier else (),
            pages=earlier.pages if earlier else 0,
        )


def _failed(item: Input, error: Exception, notes: tuple[str, ...], pages: int) -> FileResult:
    if isinstance(error, EncryptedPdfError):
        # the status and reason a form with fields gets (the result names the file); without
        # the notes, which say the file opened for triage (qpdf did; the scan's reader did not)
        return FileResult(item.source, FileStatus.ENCRYPTED, reason=error.reason, pages=pages)
    if isinstance(error, MissingDependencyError):
        return FileResult(item.source, FileStatus.NEEDS_OCR, reason=str(error), dependency=str(error), notes=notes)
    if isinstance(error, NotThisFormError):
        return FileResult(item.source, FileStatus.NOT_THIS_FORM, reason=str(error), notes=notes, pages=pages)
    return FileResult(item.source, FileStatus.MALFORMED, reason=str(error), notes=notes, pages=pages)


def extract_many(
    paths: Iterable[Path | Input],
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    passwords: Sequence[str] = (),
    issued: Path | None = None,
    spec: FormSpec | None = None,
    review_dir: Path | None = None,
    executor: Executor | None = None,
) -> Iterator[FileResult]:
    """Read every input (paths as :func:`find_inputs` takes them, or inputs it found);
    yield one result per file, in order.

    ``jobs`` worker processes read PDFs, each file under ``limits``; ``passwords`` are
    tried on encrypted files; ``issued`` (the output folder of an earlier ``oppforms
    fill``) is passed to the scanned-forms reader to verify scans against what was
    issued; ``review_dir`` is where the scanned-forms reader saves the crops a person must
    look at; ``executor`` runs the files and the scanned pages elsewhere (a cluster, see
    :func:`oppforms.executor.connect`) instead of in ``jobs`` local processes. A file that
    cannot be read is a result, never an exception.

    Scanned inputs (image files, and PDFs whose pages are only images) are read together
    once every input has been looked at, and their pages are assembled into forms across
    all of them: a form photographed one page per JPEG, or scanned one PDF per page, is
    one record (see :attr:`FileResult.part_of`). Results stream in order until the first
    scanned input; from there they come when the scanned pages have been read. Forms with
    fields (and text) are read per file, as they come."""
    items = [x for p in paths for x in ([p] if isinstance(p, Input) else find_inputs([p]))]
    scan = _Scan(spec or current_spec(), issued, jobs, review_dir, executor, tuple(passwords))
    sandbox = Sandbox(jobs=jobs, limits=limits or Limits(), passwords=passwords, executor=executor)
    pdf_results: Generator[FileResult, None, None] = sandbox.read((i.path, i.source) for i in items if i.kind == "pdf")
    slots: list[FileResult | None] = []  # in input order; None: waits for the scanned pages
    scanned: list[tuple[int, Input, FileResult | None]] = []
    try:
        for item in items:
            result: FileResult | None
            if item.kind == "pdf":
                result = next(pdf_results)
                if result.status is FileStatus.NEEDS_OCR:
                    scanned.append((len(slots), item, result))
                    result = None
            elif not item.path.exists():
                result = FileResult(item.source, FileStatus.MALFORMED, reason=N_("file not found"))
            elif item.kind == "image":
                scanned.append((len(slots), item, None))
                result = None
            else:
                result = FileResult(item.source, FileStatus.NOT_THIS_FORM, reason=N_("not a PDF or an image"))
            if not scanned:
                assert result is not None
                yield result
            else:
                slots.append(result)
    finally:
        pdf_results.close()  # its worker processes end before the scanned pages take the cores
    if not scanned:
        return
    start = scanned[0][0]
    for (index, _, _), result in zip(scanned, scan.read([(i, e) for _, i, e in scanned]), strict=True):
        slots[index] = result
    for result in slots[start:]:
        assert result is not None
        yield result


def documents(results: Iterable[FileResult]) -> Iterator[Record]:
    """Every form of ``results`` (as :func:`extract_many` yields them) once, in order, each
    with where its pages came from (:attr:`Record.pages`: the form's page, the input file as
    given, the page within that file), whatever files its pages came in."""
    for result in results:
        yield from result.records
