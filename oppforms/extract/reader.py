"""One PDF → its records and a status: triage first, then the cheapest method that works.

1. Open it (qpdf, through pikepdf: damaged cross-reference tables are repaired; an
   encrypted file opens with one of the passwords given, or is reported at once).
2. Note what it would have a viewer run (:mod:`.actions`); nothing is ever run.
3. Which form is it (:mod:`.detect`): the metadata stamp, else the field names, else the
   page text.
4. Fields present → values from the field tree (:mod:`.live`, method ``acroform``); no
   fields → the text inside each box (:mod:`.flat`, method ``text``); pages that are only
   images → status "needs OCR" (the caller hands the file to the scanned-forms reader).

This runs in-process and unbounded: :mod:`.sandbox` runs it in worker processes with time
and memory limits, which is how the command line and :func:`oppforms.extract.extract_many`
use it. Messages (``reason``, ``notes``) name files, fields and pages, never values.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from ..i18n import N_
from .._io import shown_name
from ..errors import InputError
from ..records import FileStatus, PageOrigin, Record
from ..spec import FormSpec, current_spec
from .acroform import FieldTree, field_tree
from .actions import find_actions
from .detect import metadata_stamp, shipped_spec
from .flat import read_text_forms
from .live import digital_findings, read_live
from .pages import PageContent, read_pages

__all__ = ["EncryptedPdfError", "FileResult", "encrypted_reason", "passwords_to_try", "read_pdf", "status_of"]

#: Share of the form's fields a field tree must hold to be read as that form.
FIELD_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class FileResult:
    """How reading one input file ended: its status, the records read from it (none, one,
    or several for a PDF of several forms), why it ended so, notes (things found on the
    way, such as actions), its page count, when a missing library or program stopped it,
    what to install, and how many of its record's warnings (the first ones) are notices,
    not problems (who signed digitally, and when; they name the signer). ``reason`` and
    ``notes`` never hold pupil data, so they may be shown and logged.

    Scanned files are read together: a form whose pages came in several files is one
    record, in the result of the file of its first page; the results of its other files
    hold no record for it but name that file in ``part_of``, and take the status of the
    forms their pages went into (``needs review`` when one of them does)."""

    source: str
    status: FileStatus
    records: tuple[Record, ...] = ()
    reason: str = ""
    notes: tuple[str, ...] = ()
    pages: int = 0
    dependency: str = ""
    notices: int = 0
    part_of: tuple[str, ...] = ()


def status_of(records: Sequence[Record], *, warnings: bool) -> FileStatus:
    """The status of a file that gave ``records``: needs review when a person must look
    at something, ok with warnings when something is worth knowing, else ok."""
    if any(r.review for r in records):
        return FileStatus.REVIEW
    if warnings:
        return FileStatus.WARNINGS
    return FileStatus.OK


class _Input:
    """A PDF to read: a file (opened by qpdf directly, which is much faster than through a
    Python stream) or bytes in memory; its bytes are read only when needed (signature byte
    ranges, the text layer)."""

    __slots__ = ("_data", "path")

    def __init__(self, *, path: Path | None = None, data: bytes | None = None) -> None:
        self.path = path
        self._data = data

    def data(self) -> bytes:
        if self._data is None:
            assert self.path is not None
            self._data = self.path.read_bytes()
        return self._data

    def open(self, password: str) -> pikepdf.Pdf:
        if self.path is not None and shown_name(self.path) == str(self.path):
            return pikepdf.open(self.path, password=password)
        # in memory, as is a file whose name is not UTF-8: pikepdf cannot pass such a name on
        return pikepdf.open(io.BytesIO(self.data()), password=password)


def passwords_to_try(passwords: Sequence[str]) -> list[str]:
    """The passwords to try on an encrypted PDF, in order: those given, then none (a file
    with only an owner password, as copiers often set, opens without one). The scanned-forms
    reader opens its PDFs with the same ones (:func:`oppforms.scan.images.list_pages`)."""
    return list(dict.fromkeys([*passwords, ""]))


def encrypted_reason(passwords: Sequence[str]) -> str:
    """Why an encrypted PDF that none of :func:`passwords_to_try` opens is not read (its
    status is ``encrypted``)."""
    if passwords:
        return N_("encrypted, and none of the passwords given opens it")
    return N_("encrypted with a password (give it with --password)")


class EncryptedPdfError(InputError):
    """An encrypted PDF that none of the passwords given opens: its file's status is
    ``encrypted``, for the ``reason`` :func:`encrypted_reason` gives (the message names
    the file too)."""

    def __init__(self, file: str, passwords: Sequence[str]) -> None:
        self.file, self.passwords_given = file, bool(passwords)
        self.reason = encrypted_reason(passwords)
        super().__init__(N_("{file}: {reason}").format(file=file, reason=self.reason))

    def __reduce__(self) -> tuple[type, tuple[str, tuple[str, ...]]]:  # never the passwords themselves
        return type(self), (self.file, ("",) if self.passwords_given else ())


def _open(source: _Input, passwords: Sequence[str]) -> pikepdf.Pdf | FileResult:
    for password in passwords_to_try(passwords):
        try:
            return source.open(password)
        except pikepdf.PasswordError:
            continue
        except OSError as exc:
            return FileResult("", FileStatus.MALFORMED, reason=N_("cannot read the file ({error})").format(error=exc.strerror or exc))
        except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
            return FileResult("", FileStatus.MALFORMED, reason=N_("not a readable PDF ({error})").format(error=_short(exc, source.path)))
    return FileResult("", FileStatus.ENCRYPTED, reason=encrypted_reason(passwords))


_QPDF_INPUT = re.compile(r"^(?:stream\s+)?<[^>]*>\s*(?:\(object \d+ \d+\))?\s*:?\s*|^in-memory file:?\s*")


_OBJECT = re.compile(r"^\s*\(object \d+ \d+(?:, offset \d+)?\)\s*:?\s*")


def _short(exc: BaseException, path: Path | None = None) -> str:
    """qpdf's message without the name of the input (the file is named beside it anyway):
    it is about the file's structure, no content of the file."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if path is not None and text.startswith(str(path)):
        text = _OBJECT.sub("", text[len(str(path)) :].lstrip(": "))
    return _QPDF_INPUT.sub("", text).strip(" :")[:160] or type(exc).__name__


def read_pdf(
    path: Path,
    *,
    passwords: Sequence[str] = (),
    source: str | None = None,
    on_pages: Callable[[int], None] | None = None,
) -> FileResult:
    """Read one PDF file into records (see the module). ``source`` is how the file is
    named in records and messages (default: the path as given); ``on_pages`` is called
    with the page count once the file is open (the sandbox grants more time to longer
    files). Never raises for a bad input file: the status says what happened."""
    name = str(path) if source is None else source
    return _read_input(_Input(path=Path(path)), source=name, passwords=passwords, on_pages=on_pages)


def read_pdf_bytes(
    data: bytes,
    *,
    source: str,
    passwords: Sequence[str] = (),
    on_pages: Callable[[int], None] | None = None,
) -> FileResult:
    """Like :func:`read_pdf`, for a PDF in memory."""
    return _read_input(_Input(data=data), source=source, passwords=passwords, on_pages=on_pages)


def _read_input(
    source_input: _Input, *, source: str, passwords: Sequence[str], on_pages: Callable[[int], None] | None
) -> FileResult:
    opened = _open(source_input, passwords)
    if isinstance(opened, FileResult):
        return FileResult(source, opened.status, reason=opened.reason)
    with opened as pdf:
        notes: list[str] = []
        try:
            page_count = len(pdf.pages)
        except (pikepdf.PdfError, RuntimeError, RecursionError) as exc:
            return FileResult(
                source, FileStatus.MALFORMED, reason=N_("a broken page tree ({error})").format(error=_short(exc, source_input.path))
            )
        if on_pages is not None:
            on_pages(page_count)
        tree = field_tree(pdf)
        for kind in find_actions(pdf, tree.action_nodes):
            notes.append(N_("holds {kind}, which was not run").format(kind=kind))
        repaired = bool(pdf.get_warnings())  # (reading them clears them)
        if pdf.is_encrypted:
            notes.append(N_("encrypted; opened with a password given") if passwords else N_("encrypted; opened with no password"))
        if repaired:
            notes.append(N_("damaged; repaired while reading"))
        rewrite = pdf.is_encrypted or repaired
        saved: list[bytes] = []

        def text_data() -> bytes:
            """The bytes for the text layer: decrypted and repaired when it had to be."""
            if not rewrite:
                return source_input.data()
            if not saved:
                buf = io.BytesIO()
                pdf.save(buf)
                saved.append(buf.getvalue())
            return saved[0]

        result = _read(pdf, tree, source_input.data, text_data, source, notes)
        if result.records and all(r.method == "acroform" and not r.pages for r in result.records):
            # a form with fields is the whole file, page for page
            pages = tuple(PageOrigin(n, source, n) for n in range(1, page_count + 1))
            result = dataclasses.replace(result, records=tuple(dataclasses.replace(r, pages=pages) for r in result.records))
        return FileResult(
            source, result.status, result.records, result.reason, tuple(notes), page_count, notices=result.notices
        )


Bytes = Callable[[], bytes]


def _read(pdf: pikepdf.Pdf, tree: FieldTree, data: Bytes, text_data: Bytes, source: str, notes: list[str]) -> FileResult:
    current = current_spec()
    stamp = metadata_stamp(pdf, current)
    spec: FormSpec | None = None
    if stamp is not None:
        if stamp.form != current.form_id:
            return FileResult(source, FileStatus.NOT_THIS_FORM, reason=N_("another form ({form})").format(form=stamp.form))
        spec = shipped_spec(stamp.form, stamp.version)
        if spec is None:
            return FileResult(
                source,
                FileStatus.NOT_THIS_FORM,
                reason=N_("{form} version {version}, which this oppforms does not know (update oppforms)").format(form=stamp.form, version=stamp.version),
            )
    names = {f.name for f in (spec or current).fields}
    present = len(names & tree.fields.keys())
    if spec is None and present >= FIELD_SHARE * len(names):
        spec = current
    if spec is not None and present >= FIELD_SHARE * len(names):
        return _read_live(pdf, data, text_data, tree, spec, source, notes)
    return _read_text(pdf, data, text_data, spec, source, notes, tree)


def _with_digital_signatures(
    record: Record, pdf: pikepdf.Pdf, data: Bytes, tree: FieldTree
) -> tuple[tuple[Record, ...], int]:
    """``record`` (read from the page text) with what the file's digital signatures say;
    an earlier revision's values are read from its page text too."""
    spec = shipped_spec(record.form, record.version) or current_spec()

    def values_at(earlier: bytes) -> Mapping[str, str] | None:
        try:
            reading = read_text_forms(read_pages(earlier), source=record.source, spec=spec)
        except Exception:  # noqa: BLE001 - a revision that cannot be read is reported as such
            return None
        return reading.records[0].fields if len(reading.records) == 1 else None

    found = digital_findings(pdf, data, tree, spec, values_now=record.fields, values_at=values_at)
    if not found.notices:
        return (record,), 0
    signed = {**record.signed, **dict.fromkeys(found.signed, True)}
    updated = dataclasses.replace(
        record,
        signed=signed,
        review=record.review + found.review,
        warnings=tuple(dict.fromkeys([*found.notices, *record.warnings])),
    )
    return (updated,), len(dict.fromkeys(found.notices))


def _page_reader(text_data: Bytes) -> Callable[[set[int]], Mapping[int, PageContent]]:
    def read(indexes: set[int]) -> Mapping[int, PageContent]:
        if not indexes:
            return {}
        out: dict[int, PageContent] = {}
        for content in read_pages(text_data(), first=max(indexes) + 1):
            if content.index in indexes:
                out[content.index] = content
        return out

    return read


def _read_live(
    pdf: pikepdf.Pdf, data: Bytes, text_data: Bytes, tree: FieldTree, spec: FormSpec, source: str, notes: list[str]
) -> FileResult:
    def fallback(s: FormSpec) -> Record | None:
        reading = read_text_forms(read_pages(text_data()), source=source, spec=s)
        return reading.records[0] if reading.records else None

    record, notices = read_live(
        pdf, data, tree, spec, source, page_reader=_page_reader(text_data), text_fallback=fallback
    )
    problems = len(record.warnings) > notices or bool(notes)
    return FileResult(source, status_of([record], warnings=problems), (record,), notices=notices)


def _read_text(
    pdf: pikepdf.Pdf,
    data: Bytes,
    text_data: Bytes,
    spec: FormSpec | None,
    source: str,
    notes: list[str],
    tree: FieldTree,
) -> FileResult:
    reading = read_text_forms(read_pages(text_data()), source=source, spec=spec)
    if reading.problem:
        return FileResult(source, FileStatus.NOT_THIS_FORM, reason=reading.problem)
    if reading.records:
        records, notices = reading.records, 0
        if len(records) == 1 and any(f.kind == "/Sig" for f in tree.fields.values()):
            # a flattened form signed digitally afterwards: its signatures still count
            records, notices = _with_digital_signatures(records[0], pdf, data, tree)
        warnings = bool(notes) or any(len(r.warnings) > notices for r in records)
        return FileResult(source, status_of(records, warnings=warnings), records, notices=notices)
    if reading.scanned_pages and not reading.text_pages:
        return FileResult(source, FileStatus.NEEDS_OCR, reason=N_("its pages are images without a text layer (scanned)"))
    if spec is not None:
        return FileResult(
            source, FileStatus.NOT_THIS_FORM, reason=N_("marked as this form, but its pages do not show the form")
        )
    if tree.xfa and not tree.fields:
        return FileResult(source, FileStatus.NOT_THIS_FORM, reason=N_("an XFA form, not the OPP korte versie"))
    if tree.fields:
        return FileResult(source, FileStatus.NOT_THIS_FORM, reason=N_("a form with other fields, not the OPP korte versie"))
    return FileResult(source, FileStatus.NOT_THIS_FORM, reason=N_("not the OPP korte versie"))
