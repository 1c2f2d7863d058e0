"""Many inputs → one :class:`~.reader.FileResult` per file, in order.

Inputs are files and folders (searched recursively, hidden files and folders left out,
symbolic links to folders not followed). PDFs are read in the sandbox (:mod:`.sandbox`);
PDFs whose pages are only images, and image files (PNG, JPEG, TIFF), go to the
scanned-forms reader through one seam: the function ``read_scanned(path, spec, *,
issued, jobs)`` of the package ``oppforms.scan`` when it is installed. Without it they end
with the status "needs OCR".
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from ..i18n import N_
from ..errors import MissingDependencyError, NotThisFormError, OppformsError
from ..records import FileStatus, Record
from ..spec import FormSpec, current_spec
from .reader import FileResult, status_of
from .sandbox import Limits, Sandbox

__all__ = ["IMAGE_SUFFIXES", "Input", "extract_many", "find_inputs", "scanned_reader"]

PDF_SUFFIXES = frozenset({".pdf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
#: The seam to the scanned-forms reader: module and function.
SCAN_MODULE = "oppforms.scan"
SCAN_FUNCTION = "read_scanned"

Kind = Literal["pdf", "image", "other"]
ScanReader = Callable[..., list[Record]]


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
                out.append(Input(p, str(p), "pdf" if p.suffix.lower() in PDF_SUFFIXES else "image"))
        else:
            out.append(Input(path, str(path), _kind(path)))
    return out


def scanned_reader() -> ScanReader | MissingDependencyError | None:
    """The scanned-forms reader when it is installed; a :class:`MissingDependencyError`
    when it is but cannot load (a library it needs is missing); None when it is not."""
    try:
        module = importlib.import_module(SCAN_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == SCAN_MODULE or SCAN_MODULE.startswith(exc.name + ".")):
            return None
        return MissingDependencyError(N_("reading scanned forms needs {module}: pip install {module}").format(module=exc.name))
    except ImportError as exc:
        return MissingDependencyError(N_("reading scanned forms cannot start ({error})").format(error=exc))
    function = getattr(module, SCAN_FUNCTION, None)
    return cast(ScanReader, function) if callable(function) else None


@dataclass(frozen=True, slots=True)
class _Scan:
    spec: FormSpec
    issued: Path | None
    jobs: int
    review_dir: Path | None = None

    def read(self, item: Input, earlier: FileResult | None) -> FileResult:
        what = earlier.reason if earlier is not None and earlier.reason else N_("an image file")
        reader = scanned_reader()
        if reader is None:
            return FileResult(
                item.source,
                FileStatus.NEEDS_OCR,
                reason=N_("{what}; reading scanned forms is not installed").format(what=what),
                notes=earlier.notes if earlier else (),
                pages=earlier.pages if earlier else 0,
            )
        if isinstance(reader, MissingDependencyError):
            return FileResult(item.source, FileStatus.NEEDS_OCR, reason=str(reader), dependency=str(reader))
        try:
            if self.review_dir is not None:
                records = tuple(
                    reader(item.path, self.spec, issued=self.issued, jobs=self.jobs, review_dir=self.review_dir)
                )
            else:
                records = tuple(reader(item.path, self.spec, issued=self.issued, jobs=self.jobs))
        except MissingDependencyError as exc:
            return FileResult(item.source, FileStatus.NEEDS_OCR, reason=str(exc), dependency=str(exc))
        except NotThisFormError as exc:
            return FileResult(item.source, FileStatus.NOT_THIS_FORM, reason=str(exc))
        except OppformsError as exc:
            return FileResult(item.source, FileStatus.MALFORMED, reason=str(exc))
        notes = earlier.notes if earlier else ()
        if not records:
            return FileResult(item.source, FileStatus.NOT_THIS_FORM, reason=N_("no form found on the scanned pages"), notes=notes)
        warnings = bool(notes) or any(r.warnings for r in records)
        return FileResult(item.source, status_of(records, warnings=warnings), records, notes=notes)


def extract_many(
    paths: Iterable[Path | Input],
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    passwords: Sequence[str] = (),
    issued: Path | None = None,
    spec: FormSpec | None = None,
    review_dir: Path | None = None,
) -> Iterator[FileResult]:
    """Read every input (paths as :func:`find_inputs` takes them, or inputs it found);
    yield one result per file, in order.

    ``jobs`` worker processes read PDFs, each file under ``limits``; ``passwords`` are
    tried on encrypted files; ``issued`` (the output folder of an earlier ``oppforms
    fill``) is passed to the scanned-forms reader to verify scans against what was
    issued; ``review_dir`` is where the scanned-forms reader saves the crops a person must
    look at. A file that cannot be read is a result, never an exception."""
    items = [x for p in paths for x in ([p] if isinstance(p, Input) else find_inputs([p]))]
    scan = _Scan(spec or current_spec(), issued, jobs, review_dir)
    sandbox = Sandbox(jobs=jobs, limits=limits or Limits(), passwords=passwords)
    pdf_results: Generator[FileResult, None, None] = sandbox.read((i.path, i.source) for i in items if i.kind == "pdf")
    try:
        for item in items:
            if item.kind == "pdf":
                result = next(pdf_results)
                if result.status is FileStatus.NEEDS_OCR:
                    result = scan.read(item, result)
                yield result
            elif not item.path.exists():
                yield FileResult(item.source, FileStatus.MALFORMED, reason=N_("file not found"))
            elif item.kind == "image":
                yield scan.read(item, None)
            else:
                yield FileResult(item.source, FileStatus.NOT_THIS_FORM, reason=N_("not a PDF or an image"))
    finally:
        pdf_results.close()
