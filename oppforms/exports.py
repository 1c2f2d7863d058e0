"""Records out: JSON, JSON Lines, CSV, XLSX, XFDF and FDF files (contract §4).

Every format holds each record's values exactly, and the spreadsheet and interchange
formats can be fed straight back to ``oppforms fill`` (:mod:`oppforms.sources` reads them):

- **JSON** (an array) and **JSON Lines** (one record per line): the records as
  :meth:`~oppforms.records.Record.to_json` gives them.
- **CSV** and **XLSX**: one row per record; the columns are ``source``, the 39 text and
  date fields, the 9 signature fields (``ja``/``nee``), then ``form``, ``version``,
  ``method``, ``document``, ``review`` and ``warnings`` (one item per line). The header
  names are the contract's, so ``fill`` knows every column (the non-field ones it
  ignores). Dates are ISO ``YYYY-MM-DD``.

  *XLSX* cells are always text cells (type ``s``, number format ``@``), never formulas,
  whatever a value starts with, so a value like ``=1+1`` stays that text in Excel and in
  LibreOffice. *CSV* has no cell types, and a spreadsheet runs a cell that starts with
  ``=``, ``+``, ``-`` or ``@`` as a formula (CSV or formula injection). Following OWASP,
  such a cell (and one starting with a tab, carriage return, line feed or NUL, or a
  full-width ``＝ ＋ － ＠``) gets a leading apostrophe ``'``, which spreadsheets show and
  never evaluate, and every cell is quoted. ``oppforms fill`` removes exactly that
  apostrophe again (:func:`unprotect_cell`), so values survive the round trip; a value
  that itself starts with apostrophes before such a character gets one more, so the rule
  is reversible. The file is UTF-8 with a byte order mark (Excel then reads it as UTF-8),
  ``;``-separated (what Dutch Excel expects), with CRLF line ends.
- **XFDF** and **FDF**, the interchange formats of Acrobat and pdftk: one record per
  file, the field values only (signature boxes are never filled from data), dates as the
  form shows them (``DD-MM-YYYY``), names as nested fields (``leerling`` → ``naam``), the
  source PDF as the file reference. Import one into the blank form in Acrobat, or
  ``pdftk opp-leeg.pdf fill_form record.xfdf output ingevuld.pdf``.

All files are written atomically (a temporary file in the target's folder, renamed when
complete): an interrupted export leaves the old file or none, never half of one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from xml.sax.saxutils import escape, quoteattr

from .i18n import N_
from ._pdfsyntax import pdf_text
from .errors import MissingDependencyError, OutputError, UsageError
from .records import Record
from .spec import FieldKind, FormSpec

__all__ = [
    "EXPORT_FORMATS",
    "FORMULA_TRIGGERS",
    "RecordWriter",
    "columns",
    "export_format",
    "open_writer",
    "protect_cell",
    "record_fdf",
    "record_xfdf",
    "row_of",
    "unprotect_cell",
]

#: File name extensions and the format they are written as.
EXPORT_FORMATS: Mapping[str, str] = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xfdf": "xfdf",
    ".fdf": "fdf",
}
#: Formats that hold one record per file.
SINGLE_RECORD = frozenset({"xfdf", "fdf"})
#: First characters that make a spreadsheet treat a CSV cell as a formula (OWASP, "CSV
#: Injection"; plus line feed, NUL and the full-width forms some spreadsheets also accept).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20")
YES, NO = "ja", "nee"
CSV_DELIMITER = ";"
XFDF_NAMESPACE = "http://ns.adobe.com/xfdf/"
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


# ---------------------------------------------------------------------------------------
# CSV formula protection


def _triggered(text: str) -> bool:
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in FORMULA_TRIGGERS


def protect_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs as a formula: an apostrophe before a
    value that starts (after any apostrophes) with a formula character."""
    return "'" + text if _triggered(text) else text


def unprotect_cell(text: str) -> str:
    """The value of a CSV cell written by :func:`protect_cell` (the inverse: one leading
    apostrophe removed where protect_cell adds one; any other text as it is)."""
    return text[1:] if text[:1] == "'" and _triggered(text[1:]) else text


# ---------------------------------------------------------------------------------------
# Rows


def columns(spec: FormSpec) -> list[str]:
    """The header of a CSV or XLSX export (contract names)."""
    return [
        "source",
        *(f.name for f in spec.value_fields),
        *(f.name for f in spec.signature_fields),
        "form",
        "version",
        "method",
        "document",
        "review",
        "warnings",
    ]


def _review_text(record: Record) -> str:
    lines = []
    for item in record.review:
        where = f" (pagina {item.page})" if item.page else ""
        lines.append(item.reason + where)
    return "\n".join(lines)


def row_of(record: Record, spec: FormSpec) -> list[str]:
    """One record as the cells of an export row, in :func:`columns` order (all text)."""
    return [
        record.source,
        *(record.fields.get(f.name, "") for f in spec.value_fields),
        *(YES if record.signed.get(f.name) else NO for f in spec.signature_fields),
        record.form,
        record.version,
        record.method,
        record.document,
        _review_text(record),
        "\n".join(record.warnings),
    ]


# ---------------------------------------------------------------------------------------
# XFDF and FDF


def _shown(kind: FieldKind, value: str) -> str:
    """A value as the form shows it (and keeps it in /V): dates DD-MM-YYYY."""
    if kind is FieldKind.DATE:
        m = _ISO_DATE.fullmatch(value)
        if m:
            return f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
    return value


def _tree(record: Record, spec: FormSpec) -> dict[str, Any]:
    """The values as a tree of partial names: {"leerling": {"naam": "…"}, …}."""
    root: dict[str, Any] = {}
    for f in spec.value_fields:
        *parents, leaf = f.name.split(".")
        node = root
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = _shown(f.kind, record.fields.get(f.name, ""))
    return root


def _xml_text(value: str) -> str:
    # XML 1.0 cannot hold most control characters; records never have them (extract
    # removes them), but a record from elsewhere might
    cleaned = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    return escape(cleaned).replace("\r", "&#13;")


def record_xfdf(record: Record, spec: FormSpec) -> bytes:
    """One record as an XFDF document (UTF-8)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<xfdf xmlns="{XFDF_NAMESPACE}" xml:space="preserve">']
    if record.source:
        out.append(f"  <f href={quoteattr(Path(record.source).name)}/>")
    out.append("  <fields>")

    def emit(node: Mapping[str, Any], depth: int) -> None:
        pad = "  " * depth
        for name, value in node.items():
            if isinstance(value, dict):
                out.append(f"{pad}<field name={quoteattr(name)}>")
                emit(value, depth + 1)
                out.append(f"{pad}</field>")
            else:
                out.append(f"{pad}<field name={quoteattr(name)}><value>{_xml_text(value)}</value></field>")

    emit(_tree(record, spec), 2)
    out.append("  </fields>")
    out.append("</xfdf>")
    return ("\n".join(out) + "\n").encode("utf-8")


def record_fdf(record: Record, spec: FormSpec) -> bytes:
    """One record as an FDF document."""

    def fields(node: Mapping[str, Any]) -> bytes:
        items = []
        for name, value in node.items():
            if isinstance(value, dict):
                items.append(b"<</T " + pdf_text(name) + b" /Kids [" + fields(value) + b"]>>")
            else:
                items.append(b"<</T " + pdf_text(name) + b" /V " + pdf_text(value) + b">>")
        return b"\n".join(items)

    file_ref = b" /F " + pdf_text(Path(record.source).name) if record.source else b""
    body = b"<</FDF <</Fields [\n" + fields(_tree(record, spec)) + b"\n]" + file_ref + b">>>>"
    return b"%FDF-1.2\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + body + b"\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n"


# ---------------------------------------------------------------------------------------
# Writers


def export_format(path: Path, name: str | None = None) -> str:
    """The format to write ``path`` in: ``name`` when given, else by its extension."""
    if name is not None:
        if name not in set(EXPORT_FORMATS.values()):
            raise UsageError(
                N_("unknown export format {format} (known: {known})").format(
                    format=repr(name), known=", ".join(sorted(set(EXPORT_FORMATS.values())))
                )
            )
        return name
    fmt = EXPORT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXPORT_FORMATS))
        raise UsageError(N_("{file}: cannot tell the format from the extension (use one of {known})").format(file=path, known=known))
    return fmt


class _Atomic:
    """A file written through a temporary file beside it, renamed on :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
        except OSError as exc:
            raise OutputError(N_("{file}: cannot write ({error})").format(file=path, error=exc.strerror)) from exc
        self.tmp = Path(name)
        self.fh: IO[bytes] = os.fdopen(fd, "wb")

    def commit(self) -> None:
        try:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise OutputError(N_("{file}: cannot write ({error})").format(file=self.path, error=exc.strerror)) from exc

    def abort(self) -> None:
        try:
            self.fh.close()
        finally:
            if self.tmp.exists():
                self.tmp.unlink()


class RecordWriter:
    """Writes records to one file as they come (:meth:`write`), and makes the file
    appear only when :meth:`close` is called without an error; used as a context manager,
    an exception (or Ctrl-C) leaves no file behind. For XFDF and FDF the path may name a
    folder: each record then becomes a file there, named after its source PDF."""

    def __init__(self, path: Path, fmt: str, spec: FormSpec, *, delimiter: str = CSV_DELIMITER) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.spec = spec
        self.count = 0
        self.delimiter = delimiter
        self._files: list[_Atomic] = []
        self._names: set[str] = set()
        self._workbook: Any = None
        self._sheet: Any = None
        self._csv: Any = None
        self._text: io.TextIOWrapper | None = None
        self.folder = fmt in SINGLE_RECORD and (self.path.is_dir() or str(path).endswith(("/", os.sep)))
        if fmt in SINGLE_RECORD:
            return
        target = _Atomic(self.path)
        self._files.append(target)
        if fmt == "csv":
            self._text = io.TextIOWrapper(target.fh, encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._text, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            self._csv.writerow(columns(spec))
        elif fmt == "json":
            target.fh.write(b"[")
        elif fmt == "xlsx":
            self._start_workbook()

    def _start_workbook(self) -> None:
        try:
            from openpyxl import Workbook
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependencyError(N_("writing .xlsx needs openpyxl: pip install openpyxl")) from exc
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("Formulieren")
        self._sheet.freeze_panes = "B2"
        self._sheet.append([self._cell(h, bold=True) for h in columns(self.spec)])

    def _cell(self, value: str, *, bold: bool = False) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font

        cell = WriteOnlyCell(self._sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        # openpyxl reads a string starting with "=" as a formula: make every cell a text
        # cell holding the exact value, formatted as text so editing keeps it text
        cell.data_type = "s"
        cell.number_format = "@"
        if bold:
            cell.font = Font(bold=True)
        return cell

    def write(self, record: Record) -> None:
        fmt = self.fmt
        if fmt == "json":
            data = json.dumps(record.to_json(), ensure_ascii=False, indent=2).encode("utf-8")
            self._files[0].fh.write((b",\n" if self.count else b"\n") + data)
        elif fmt == "jsonl":
            self._files[0].fh.write(json.dumps(record.to_json(), ensure_ascii=False).encode("utf-8") + b"\n")
        elif fmt == "csv":
            self._csv.writerow([protect_cell(v) for v in row_of(record, self.spec)])
        elif fmt == "xlsx":
            self._sheet.append([self._cell(v) for v in row_of(record, self.spec)])
        else:
            self._write_single(record)
        self.count += 1

    def _write_single(self, record: Record) -> None:
        if not self.folder and self.count:
            raise UsageError(
                f"{self.path}: an {self.fmt.upper()} file holds one record; to write one file per record, "
                f"name a folder (for example {self.path.with_suffix('')}/) and --format {self.fmt}"
            )
        data = record_xfdf(record, self.spec) if self.fmt == "xfdf" else record_fdf(record, self.spec)
        if self.folder:
            stem = Path(record.source).stem or "formulier"
            name, n = f"{stem}.{self.fmt}", 1
            while name.casefold() in self._names:
                n += 1
                name = f"{stem}-{n}.{self.fmt}"
            self._names.add(name.casefold())
            target = _Atomic(self.path / name)
        else:
            target = _Atomic(self.path)
        self._files.append(target)
        target.fh.write(data)

    def close(self) -> None:
        """Finish the file(s) and make them appear."""
        if self.fmt == "json" and self._files:
            self._files[0].fh.write(b"\n]\n" if self.count else b"]\n")
        elif self.fmt == "csv" and self._text is not None:
            self._text.flush()
            self._text.detach()
        elif self.fmt == "xlsx" and self._workbook is not None:
            try:
                self._workbook.save(self._files[0].fh)
            except (OSError, ValueError) as exc:
                self.abort()
                raise OutputError(N_("{file}: cannot write the workbook ({error})").format(file=self.path, error=exc)) from exc
        for target in self._files:
            target.commit()

    def abort(self) -> None:
        """Drop what was written: no file appears."""
        if self._sheet is not None:
            with contextlib.suppress(Exception):  # it is being thrown away
                self._sheet.close()  # end openpyxl's streaming writer quietly
            self._sheet = None
        if self._text is not None:
            try:
                self._text.detach()
            except ValueError:
                pass
        for target in self._files:
            target.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def open_writer(path: Path, spec: FormSpec, *, fmt: str | None = None, delimiter: str = CSV_DELIMITER) -> RecordWriter:
    """A :class:`RecordWriter` for ``path``, the format from ``fmt`` or the extension."""
    return RecordWriter(path, export_format(path, fmt), spec, delimiter=delimiter)


def records_json(records: Iterable[Record]) -> str:
    """Records as a JSON array (for stdout)."""
    return json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=2)
