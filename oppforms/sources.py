"""Sources: rows from CSV, XLSX, JSON, JSON Lines, XFDF and FDF files → raw records keyed by
field name.

:func:`read_records` checks a file's header (or keys) once, up front, and returns a
:class:`SourceReader` that streams one :class:`SourceRow` per data row. Problems come in two
sizes:

- a file-level problem (unreadable file, unknown encoding, unknown or doubled columns, no
  header) raises :class:`~oppforms.errors.InputError` naming the file and the columns;
- a row-level problem (a bad JSON line, a value under a column without header) is a
  ``SourceRow`` with an ``error``, and the batch goes on.

Values are *not* coerced here (that is :mod:`oppforms.values`); they keep the type the file
gave them: CSV cells are always text (leading zeros survive), XLSX cells are text, numbers or
dates (a date cell becomes a ``datetime.date``), JSON values are what JSON has (lists stay
lists, for numbered lines). A CSV cell that starts with an apostrophe before ``=``, ``+``,
``-``, ``@`` (and the other characters :data:`oppforms.exports.FORMULA_TRIGGERS` names) is
read without that apostrophe: it is how an export protects such cells from being run as
formulas (:func:`oppforms.exports.protect_cell`). An XFDF or FDF file (Acrobat's and
pdftk's interchange formats, as ``oppforms extract`` or ``pdftk generate_fdf`` write them)
holds one record, row 1, its fields named by their full (dotted) names.

Row numbers (``SourceRow.row``) are what a user finds the row by: for CSV and XLSX the row
number Excel shows (the header is usually row 1, the first data row row 2; a CSV record
with a multi-line cell is one row, as in Excel); for a JSON array the 1-based index of the
record; for JSON Lines the 1-based line number. Blank rows (every cell empty) are skipped,
wherever they are, and keep their number.

Headers match a field when, after :func:`normalize_header`, they equal its name, label or
one of its aliases. How other columns are treated:

- a mapping (``{"Column header": "field.name"}``, see :func:`load_mapping`) comes first;
  mapping a column to ``""`` ignores it on purpose;
- composite columns of the spec (``Roepnaam``, ``Tussenvoegsel``, ``Achternaam``) make their
  field when it has no column of its own and at least two of its parts have one: the
  non-empty parts joined with one space. A lone part column is an unknown column;
- columns naming a signature field are passed on (``values`` accepts only nothing or a
  true/false mark there: a filled form is never signed), with a notice;
- the non-field columns of an extract export (``source``, ``form``, ``version``, …, taken
  from the record schema) are ignored with a notice, except that a ``form`` other than this
  form's id is a row error; a JSON record in the extract format (``{"form": …, "fields":
  {…}}``) is read from its ``fields``;
- a column with no header must stay empty (a value there is a row error);
- any other column is unknown: an InputError naming all of them, or, with
  ``ignore_unknown``, a notice naming them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from .errors import InputError, RecordError, UsageError
from .exports import unprotect_cell
from .records import record_schema
from .spec import FormSpec

__all__ = [
    "FORMATS",
    "SourceReader",
    "SourceRow",
    "load_mapping",
    "normalize_header",
    "read_records",
]

#: File name extensions and the format they are read as.
FORMATS: Mapping[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xfdf": "xfdf",
    ".fdf": "fdf",
}
_REFUSED = {
    ".xls": "the old Excel format (.xls) cannot be read: save it as .xlsx",
    ".ods": "OpenDocument spreadsheets cannot be read: save it as .xlsx or CSV",
}
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Well-formed multi-byte UTF-8 sequences: found in a file that is not valid UTF-8, they
#: mean the file mixes UTF-8 with another encoding (reading it as Windows-1252 would turn
#: every ë into Ã«).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_SEP_LINE = re.compile(r'"?sep=(.)"?[,;\t]*', re.IGNORECASE)
#: ``="0123"``: how some exports keep leading zeros in a CSV opened by Excel.
_EXCEL_TEXT_FORMULA = re.compile(r'="(.*)"', re.DOTALL)


#: Prefix of the raw-record keys that carry an extra column (see ``extra_columns``).
EXTRA = "@"


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: ``raw`` (keys are field names, values uncoerced) or ``error``."""

    source: str
    row: int
    raw: dict[str, object] | None
    error: RecordError | None


def normalize_header(text: str) -> str:
    """A header as it is compared with field names, labels and aliases: compatibility
    decomposed, accents dropped, case folded, and everything that is not a letter or a digit
    (spaces, dots, underscores, dashes, slashes, colons, brackets, …) left out:
    ``" Zorg-coördinator: "`` → ``"zorgcoordinator"``."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


# ---------------------------------------------------------------------------------------
# What the spec says about headers (built once per spec)


@dataclass(frozen=True, slots=True)
class _Matcher:
    fields: Mapping[str, tuple[str, ...]]  # normalized header → field names it may mean
    names: frozenset[str]  # every field name (text, date and signature)
    signatures: frozenset[str]
    parts: Mapping[str, tuple[int, int]]  # normalized header → (composite, part)
    composites: tuple[tuple[str, int], ...]  # (field, number of parts)
    envelope: frozenset[str]  # normalized non-field keys of an extract record
    form_key: str | None  # normalized name of the record's form id key
    form_id: str
    fields_key: str | None  # the key of an extract record's field values
    signed_key: str | None


_MATCHERS: dict[int, tuple[FormSpec, _Matcher]] = {}


def _matcher(spec: FormSpec) -> _Matcher:
    entry = _MATCHERS.get(id(spec))
    if entry is None or entry[0] is not spec:
        entry = (spec, _build_matcher(spec))
        _MATCHERS[id(spec)] = entry
    return entry[1]


def _build_matcher(spec: FormSpec) -> _Matcher:
    fields: dict[str, list[str]] = {}
    for f in spec.fields:
        for text in (f.name, f.label, *f.aliases):
            key = normalize_header(text)
            if key and f.name not in fields.setdefault(key, []):
                fields[key].append(f.name)
    parts: dict[str, tuple[int, int]] = {}
    for ci, comp in enumerate(spec.records.composites):
        for pi, headers in enumerate(comp.parts):
            for h in headers:
                key = normalize_header(h)
                if key and key not in fields:
                    parts.setdefault(key, (ci, pi))
    # The extract record's envelope, from the record schema rather than from literals.
    value_names = {f.name for f in spec.value_fields}
    signature_names = {f.name for f in spec.signature_fields}
    envelope: set[str] = set()
    form_key = fields_key = signed_key = None
    for name, prop in record_schema(spec).get("properties", {}).items():
        inner = set(prop.get("properties", {})) if isinstance(prop, dict) else set()
        if inner and inner == value_names:
            fields_key = name
            continue
        if inner and inner == signature_names:
            signed_key = name
        elif isinstance(prop, dict) and prop.get("const") == spec.form_id:
            form_key = normalize_header(name)
        envelope.add(normalize_header(name))
    return _Matcher(
        fields={k: tuple(v) for k, v in fields.items()},
        names=frozenset(f.name for f in spec.fields),
        signatures=frozenset(signature_names),
        parts=parts,
        composites=tuple((c.field, len(c.parts)) for c in spec.records.composites),
        envelope=frozenset(envelope - set(fields)),
        form_key=form_key,
        form_id=spec.form_id,
        fields_key=fields_key,
        signed_key=signed_key,
    )


@dataclass(frozen=True, slots=True)
class _Mapping:
    exact: Mapping[str, str]
    normalized: Mapping[str, str]

    def get(self, header: str, key: str) -> str | None:
        if header in self.exact:
            return self.exact[header]
        return self.normalized.get(key)


def _check_mapping(mapping: Mapping[str, str] | None, matcher: _Matcher) -> _Mapping:
    if not mapping:
        return _Mapping({}, {})
    unknown = sorted({str(v) for v in mapping.values() if v and v not in matcher.names and not v.startswith(EXTRA)})
    if unknown:
        raise UsageError(f"the column mapping names unknown field(s): {', '.join(unknown)}")
    exact = {str(k).strip(): (v or "") for k, v in mapping.items()}
    normalized: dict[str, str] = {}
    for header, target in exact.items():
        key = normalize_header(header)
        if normalized.get(key, target) != target:
            raise UsageError(f'the column mapping gives "{header}" two different fields')
        normalized[key] = target
    return _Mapping(exact, normalized)


# ---------------------------------------------------------------------------------------
# A header → a plan for every row


@dataclass(frozen=True, slots=True)
class _Plan:
    width: int
    direct: tuple[tuple[int, str], ...]  # (column, field)
    composites: tuple[tuple[str, tuple[int | None, ...]], ...]  # (field, column per part)
    form_column: int | None
    blank: tuple[int, ...]  # columns without a header
    fields: tuple[str, ...]
    notices: tuple[str, ...]


def _plan(
    headers: Sequence[str],
    matcher: _Matcher,
    mapping: _Mapping,
    *,
    ignore_unknown: bool,
    describe: Callable[[int], str],
    noun: str = "column",
    union: bool = False,
) -> _Plan:
    """Assign every column; raise ``_HeaderProblem`` with all problems found.

    ``union`` is for the keys of a whole JSON file: different records may name a field
    differently and composites are decided per record, so only unknown and ambiguous keys
    are problems there. When no column matches a field at all, the headers are not listed:
    the first row is then most likely data, and messages never show values."""
    targets: dict[str, list[int]] = {}
    parts: dict[tuple[int, int], list[int]] = {}
    blank: list[int] = []
    envelope: list[int] = []
    unknown: list[int] = []
    ambiguous: list[str] = []
    form_column = None
    for i, header in enumerate(headers):
        text = header.strip()
        if not text:
            blank.append(i)
            continue
        key = normalize_header(text)
        target = mapping.get(text, key)
        if target is not None:
            if target:
                targets.setdefault(target, []).append(i)
            continue
        names = matcher.fields.get(key)
        if names and len(names) == 1:
            targets.setdefault(names[0], []).append(i)
        elif names:
            ambiguous.append(f"{describe(i)} could be {' or '.join(names)}")
        elif key in matcher.parts:
            parts.setdefault(matcher.parts[key], []).append(i)
        elif key in matcher.envelope:
            envelope.append(i)
            if key == matcher.form_key:
                form_column = i
        else:
            unknown.append(i)

    problems: list[str] = list(ambiguous)
    composites: list[tuple[str, tuple[int | None, ...]]] = []
    composed: list[str] = []
    for ci, (field, count) in enumerate(matcher.composites):
        present = {pi: cols for (c, pi), cols in parts.items() if c == ci}
        if union:
            if len(present) >= 2:
                composed.append(field)
            continue
        if not present:
            continue
        if field in targets or len(present) < 2:
            unknown.extend(col for cols in present.values() for col in cols)
            continue
        for cols in present.values():
            if len(cols) > 1:
                problems.append(f"{_and(describe(c) for c in cols)} hold the same part of {field}")
        composites.append((field, tuple(present[pi][0] if pi in present else None for pi in range(count))))
        composed.append(field)
    if not union:
        for field, cols in targets.items():
            if len(cols) > 1:
                problems.append(f"{_and(describe(c) for c in cols)} all give {field}")
    fields = tuple(
        dict.fromkeys([*(f for f in targets if f not in matcher.signatures and not f.startswith(EXTRA)), *composed])
    )
    if not fields:
        raise _HeaderProblem(f"no {noun} matches a field of the form (is the first row the header?)")
    notices: list[str] = []
    if unknown:
        listed = _and(describe(c) for c in sorted(unknown))
        if ignore_unknown:
            notices.append(f"ignored {noun}(s) that are no field of the form: {listed}")
        else:
            problems.append(
                f"unknown {noun}(s) {listed} (map them to fields with a column mapping, or ignore unknown {noun}s)"
            )
    if problems:
        raise _HeaderProblem("; ".join(problems))
    signature_cols = [c for f, cols in targets.items() if f in matcher.signatures for c in cols]
    if signature_cols:
        notices.append(
            f"{_and(describe(c) for c in sorted(signature_cols))}: signature field(s), not filled in "
            "(a filled form is unsigned; sign on paper or in the PDF)"
        )
    if envelope:
        notices.append(f"{_and(describe(c) for c in envelope)}: not filled in (not a field of the form)")
    return _Plan(
        width=len(headers),
        direct=tuple((c, f) for f, cols in targets.items() for c in cols[:1]),
        composites=tuple(composites),
        form_column=form_column,
        blank=tuple(blank),
        fields=fields,
        notices=tuple(notices),
    )


class _HeaderProblem(Exception):
    pass


class _RowProblem(Exception):
    pass


def _and(items: Iterable[str]) -> str:
    listed = list(items)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]


def _column_letters(index: int) -> str:
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _part_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.strip() if isinstance(value, str) else str(value)


def _apply(plan: _Plan, cells: Sequence[object], matcher: _Matcher) -> dict[str, object]:
    """The raw record of one non-blank row; a value in a column without header, or a
    record of another form, raises ``_RowProblem``."""
    n = len(cells)
    raw: dict[str, object] = {f: (cells[c] if c < n else None) for c, f in plan.direct}
    for field, cols in plan.composites:
        texts = [_part_text(cells[c]) if c is not None and c < n else "" for c in cols]
        raw[field] = " ".join(t for t in texts if t)
    stray = [c for c in plan.blank if c < n and not _is_empty(cells[c])]
    stray += [c for c in range(plan.width, n) if not _is_empty(cells[c])]
    if stray:
        where = _and(f"column {_column_letters(c)}" for c in stray)
        raise _RowProblem(f"a value in {where}, which has no header")
    if plan.form_column is not None and plan.form_column < n:
        form = cells[plan.form_column]
        if not _is_empty(form) and str(form).strip() != matcher.form_id:
            raise _RowProblem(f"a record of another form (not {matcher.form_id})")
    if all(_is_empty(v) for v in raw.values()):
        raise _RowProblem("no value in any of the form's columns")
    return raw


# ---------------------------------------------------------------------------------------
# Readers


class SourceReader:
    """The rows of one input file. Iterate it for :class:`SourceRow` s (streamed, once or
    again); ``fields`` are the fields the file gives, ``notices`` the things a user should
    know about how it was read (an encoding fallback, ignored columns). Notices never hold
    values, only file, column and row names. Use it as a context manager, or call
    :meth:`close`, to release a file kept open between construction and iteration."""

    __slots__ = ("_matcher", "extras", "fields", "format", "notices", "path", "source")

    def __init__(self, path: Path, spec: FormSpec, fmt: str) -> None:
        self.path = path
        #: The file as named by the caller: in messages and in ``SourceRow.source``.
        self.source = str(path)
        self.format = fmt
        self.fields: tuple[str, ...] = ()
        #: The extra columns found (``"@" + header``), see ``read_records(extra_columns=…)``.
        self.extras: tuple[str, ...] = ()
        self.notices: list[str] = []
        self._matcher = _matcher(spec)

    def __iter__(self) -> Iterator[SourceRow]:
        raise NotImplementedError

    def close(self) -> None:
        """Release anything kept open; iterating again reopens the file."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _fail(self, message: str) -> InputError:
        return InputError(f"{self.source}: {message}")

    def _row_error(self, row: int, message: str) -> SourceRow:
        return SourceRow(self.source, row, None, RecordError(f"{self.source}, row {row}: {message}", row=row))

    def _row(self, plan: _Plan, cells: Sequence[object], row: int) -> SourceRow:
        try:
            return SourceRow(self.source, row, _apply(plan, cells, self._matcher), None)
        except _RowProblem as exc:
            return self._row_error(row, str(exc))

    def _header(self, headers: Sequence[str], mapping: _Mapping, ignore_unknown: bool) -> _Plan:
        def describe(i: int) -> str:
            return f'"{headers[i].strip()}" (column {_column_letters(i)})'

        try:
            plan = _plan(headers, self._matcher, mapping, ignore_unknown=ignore_unknown, describe=describe)
        except _HeaderProblem as exc:
            raise self._fail(str(exc)) from None
        self.fields = plan.fields
        self.extras = tuple(f for _, f in plan.direct if f.startswith(EXTRA))
        self.notices.extend(f"{self.source}: {n}" for n in plan.notices)
        return plan


class _CsvReader(SourceReader):
    __slots__ = ("_delimiter", "_encoding", "_plan", "_skip")

    def __init__(
        self,
        path: Path,
        spec: FormSpec,
        *,
        delimiter: str | None,
        encoding: str | None,
        mapping: _Mapping,
        ignore_unknown: bool,
    ) -> None:
        super().__init__(path, spec, "csv")
        self._encoding, notice = _detect_encoding(path, self.source, encoding)
        if notice:
            self.notices.append(notice)
        with self._open() as fh:
            head = fh.read(1 << 16)
        sep, body = _sep_line(head)
        self._delimiter = delimiter or sep or _sniff_delimiter(body, self.source, self._known(mapping))
        with self._open() as fh:
            reader = self._reader(fh)
            if sep:
                next(reader)
            row = 0
            for cells in self._records(reader):
                row += 1
                if any(c.strip() for c in cells):
                    break
            else:
                raise self._fail("no header row (the file holds no data)")
        # Excel hides a sep= line, so rows are numbered as if it were not there.
        self._skip = (1 if sep else 0, row)
        self._plan = self._header([_cell_text(c) for c in cells], mapping, ignore_unknown)

    def _known(self, mapping: _Mapping) -> Callable[[str], bool]:
        m = self._matcher

        def known(header: str) -> bool:
            key = normalize_header(header)
            return bool(key) and (
                mapping.get(header.strip(), key) is not None or key in m.fields or key in m.parts or key in m.envelope
            )

        return known

    def _open(self) -> IO[str]:
        try:
            return open(self.path, encoding=self._encoding, newline="")
        except OSError as exc:
            raise self._fail(f"cannot read the file ({exc.strerror})") from exc

    def _reader(self, fh: IO[str]) -> Iterator[list[str]]:
        return csv.reader(fh, delimiter=self._delimiter, quotechar='"', doublequote=True, strict=False)

    def _records(self, reader: Iterator[list[str]]) -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise self._fail(f"not readable as CSV ({exc})") from exc

    def __iter__(self) -> Iterator[SourceRow]:
        sep_lines, header_row = self._skip
        with self._open() as fh:
            records = self._records(self._reader(fh))
            for _ in zip(range(sep_lines + header_row), records):
                pass
            for row, cells in enumerate(records, header_row + 1):
                if not any(c.strip() for c in cells):
                    continue
                yield self._row(self._plan, [_cell_text(c) for c in cells], row)


def _cell_text(cell: str) -> str:
    if cell.startswith("'"):
        return unprotect_cell(cell)
    if cell.startswith('="'):
        m = _EXCEL_TEXT_FORMULA.fullmatch(cell)
        if m and '"' not in m.group(1).replace('""', ""):
            return m.group(1).replace('""', '"')
    return cell


def _sep_line(head: str) -> tuple[str | None, str]:
    """Excel's ``sep=;`` first line: the delimiter it names and the text after it."""
    first, _, rest = head.partition("\n")
    m = _SEP_LINE.fullmatch(first.rstrip("\r"))
    return (m.group(1), rest) if m else (None, head)


def _sniff_delimiter(text: str, source: str, known: Callable[[str], bool]) -> str:
    """The delimiter of the header record (the first line that is not blank).

    Each candidate (comma, semicolon, tab) is scored by how many header cells it splits out
    that ``known`` recognises, then by how often it occurs outside quotes: labels with a
    comma in a semicolon file do not fool it, nor does a lone column whose label has one.
    csv.Sniffer is not used: it guesses from data rows and is easily fooled by commas in
    free text."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    start: int | None = None
    end = len(text)
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            if ch in "\r\n":
                if start is not None:
                    end = i
                    break
                continue
            if ch in counts:
                counts[ch] += 1
            if start is None and (not ch.isspace() or ch == "\t"):
                start = i
    header = text[start or 0 : end]
    scores = {}
    for candidate, count in counts.items():
        if count:
            cells = next(csv.reader(io.StringIO(header), delimiter=candidate), [])
            scores[candidate] = (sum(1 for c in cells if known(c)), count)
    absent = [c for c in _DELIMITERS if c not in scores]
    if not scores:
        return ","  # one column: any delimiter reads it
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if absent and known(header.strip().strip('"')) and ranked[0][1][0] == 0:
        return absent[0]  # one column whose header holds a comma (or a semicolon)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        a, b = _DELIMITER_NAMES[ranked[0][0]], _DELIMITER_NAMES[ranked[1][0]]
        raise InputError(f"{source}: cannot tell whether the columns are separated by {a} or {b}; name the delimiter")
    return ranked[0][0]


class _XlsxReader(SourceReader):
    __slots__ = ("_header_row", "_pending", "_plan", "_sheet")

    def __init__(
        self, path: Path, spec: FormSpec, *, sheet: str | None, mapping: _Mapping, ignore_unknown: bool
    ) -> None:
        super().__init__(path, spec, "xlsx")
        self._sheet = sheet
        self._pending: tuple[Any, Iterator[tuple[object, ...]]] | None = None
        workbook, rows = self._open()
        try:
            for row, cells in enumerate(rows, 1):
                if not all(_is_empty(c) for c in cells):
                    break
            else:
                raise self._fail("no header row (the sheet holds no data)")
            self._header_row = row
            self._plan = self._header([_header_text(c) for c in cells], mapping, ignore_unknown)
        except BaseException:
            workbook.close()
            raise
        self._pending = (workbook, rows)

    def _open(self) -> tuple[Any, Iterator[tuple[object, ...]]]:
        try:
            import openpyxl
            from openpyxl.utils.exceptions import InvalidFileException
        except ImportError as exc:  # pragma: no cover - a core dependency
            from .errors import MissingDependencyError

            raise MissingDependencyError("reading .xlsx needs openpyxl: pip install openpyxl") from exc
        import zipfile

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except FileNotFoundError as exc:
            raise self._fail("file not found") from exc
        except OSError as exc:
            raise self._fail(f"cannot read the file ({exc.strerror})") from exc
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
            raise self._fail("not a readable .xlsx workbook") from exc
        try:
            sheet = self._pick_sheet(workbook)
            sheet.reset_dimensions()  # some writers store a wrong size; read what is there
            rows: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
        except BaseException:
            workbook.close()
            raise
        return workbook, rows

    def _pick_sheet(self, workbook: Any) -> Any:
        names: list[str] = list(workbook.sheetnames)
        if self._sheet is None:
            if not workbook.worksheets:
                raise self._fail("the workbook has no worksheet")
            return workbook.worksheets[0]
        chosen = self._sheet if self._sheet in names else None
        if chosen is None:
            folded = [n for n in names if n.strip().casefold() == self._sheet.strip().casefold()]
            chosen = folded[0] if len(folded) == 1 else None
        if chosen is None:
            listed = ", ".join(f'"{n}"' for n in names)
            raise self._fail(f'no sheet "{self._sheet}" (the sheets are {listed})')
        sheet = workbook[chosen]
        if not hasattr(sheet, "iter_rows"):
            raise self._fail(f'sheet "{chosen}" is a chart, not a worksheet')
        return sheet

    def close(self) -> None:
        if self._pending is not None:
            self._pending[0].close()
            self._pending = None

    def __iter__(self) -> Iterator[SourceRow]:
        if self._pending is not None:
            (workbook, rows), self._pending = self._pending, None
            start = self._header_row + 1
        else:
            workbook, rows = self._open()
            start = 1
        try:
            for row, cells in enumerate(rows, start):
                if row <= self._header_row or all(_is_empty(c) for c in cells):
                    continue
                yield self._row(self._plan, [_cell_value(c) for c in cells], row)
        finally:
            workbook.close()


def _header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cell_value(value: object) -> object:
    """An XLSX cell for ``values``: a date cell at midnight becomes a ``datetime.date``."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value


class _DuplicateKey(ValueError):
    pass


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _JsonBase(SourceReader):
    __slots__ = ("_extract_notice", "_ignore_unknown", "_mapping", "_plans")

    def __init__(self, path: Path, spec: FormSpec, fmt: str, *, mapping: _Mapping, ignore_unknown: bool) -> None:
        super().__init__(path, spec, fmt)
        self._mapping = mapping
        self._ignore_unknown = ignore_unknown
        self._plans: dict[tuple[str, ...], _Plan | str] = {}
        self._extract_notice = False

    def _flat(self, obj: object) -> dict[str, object]:
        """One JSON value → a flat record (nested objects joined with dots); raises
        ``_RowProblem`` for what cannot be a record."""
        if not isinstance(obj, dict):
            raise _RowProblem("not a JSON object")
        m = self._matcher
        if m.fields_key is not None and isinstance(obj.get(m.fields_key), dict):
            # A record of an extract export: its values are under "fields"; the envelope
            # (source, method, signed marks, review, …) is not filled in.
            form = next((v for k, v in obj.items() if normalize_header(k) == m.form_key), None)
            if form not in (None, "", m.form_id):
                raise _RowProblem(f"a record of another form (not {m.form_id})")
            flat: dict[str, object] = {}
            _flatten(obj[m.fields_key], flat, "")
            rest = {
                k: v
                for k, v in obj.items()
                if k not in (m.fields_key, m.signed_key) and normalize_header(k) not in m.envelope
            }
            _flatten(rest, flat, "")
            if not self._extract_notice:
                self._extract_notice = True
                self.notices.append(f"{self.source}: extract records: only their fields are filled in")
            return flat
        flat = {}
        _flatten(obj, flat, "")
        return flat

    def _check_keys(self, keys: Sequence[str]) -> None:
        """All keys of the file at once, so an unknown key is a file error, as in a sheet."""
        try:
            plan = _plan(
                keys,
                self._matcher,
                self._mapping,
                ignore_unknown=self._ignore_unknown,
                describe=lambda i: f'"{keys[i]}"',
                noun="key",
                union=True,
            )
        except _HeaderProblem as exc:
            raise self._fail(str(exc)) from None
        self.notices.extend(f"{self.source}: {n}" for n in plan.notices)
        self.fields = plan.fields
        self.extras = tuple(f for _, f in plan.direct if f.startswith(EXTRA))

    def _record_row(self, flat: dict[str, object], row: int) -> SourceRow | None:
        """The row of one flat record; None for an empty one (skipped, like a blank row)."""
        if all(_is_empty(v) for v in flat.values()):
            return None
        keys = tuple(flat)
        plan = self._plans.get(keys)
        if plan is None:
            try:
                plan = _plan(
                    keys,
                    self._matcher,
                    self._mapping,
                    ignore_unknown=self._ignore_unknown,
                    describe=lambda i: f'"{keys[i]}"',
                    noun="key",
                )
            except _HeaderProblem as exc:
                plan = str(exc)
            self._plans[keys] = plan
        if isinstance(plan, str):
            return self._row_error(row, plan)
        return self._row(plan, list(flat.values()), row)


def _flatten(obj: Mapping[str, object], into: dict[str, object], prefix: str) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, into, f"{name}.")
            continue
        if name in into:
            raise _RowProblem(f'the key "{name}" is given twice (nested and dotted)')
        into[name] = value


class _JsonReader(_JsonBase):
    __slots__ = ("_records",)

    def __init__(
        self, path: Path, spec: FormSpec, *, encoding: str | None, mapping: _Mapping, ignore_unknown: bool
    ) -> None:
        super().__init__(path, spec, "json", mapping=mapping, ignore_unknown=ignore_unknown)
        enc, notice = _detect_encoding(path, self.source, encoding)
        if notice:
            self.notices.append(notice)
        try:
            data = json.loads(path.read_text(encoding=enc), object_pairs_hook=_object_pairs)
        except OSError as exc:
            raise self._fail(f"cannot read the file ({exc.strerror})") from exc
        except _DuplicateKey as exc:
            raise self._fail(f'the key "{exc}" appears twice in one object') from None
        except json.JSONDecodeError as exc:
            raise self._fail(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise self._fail("expected an array of objects, or one object")
        records: list[dict[str, object] | str] = []
        keys: dict[str, None] = {}
        for item in data:
            try:
                flat = self._flat(item)
            except _RowProblem as exc:
                records.append(str(exc))
                continue
            keys.update(dict.fromkeys(flat))
            records.append(flat)
        del data
        self._check_keys(list(keys))
        self._records = records

    def __iter__(self) -> Iterator[SourceRow]:
        for row, flat in enumerate(self._records, 1):
            if isinstance(flat, str):
                yield self._row_error(row, flat)
                continue
            result = self._record_row(flat, row)
            if result is not None:
                yield result


class _JsonLinesReader(_JsonBase):
    __slots__ = ("_encoding",)

    def __init__(
        self, path: Path, spec: FormSpec, *, encoding: str | None, mapping: _Mapping, ignore_unknown: bool
    ) -> None:
        super().__init__(path, spec, "jsonl", mapping=mapping, ignore_unknown=ignore_unknown)
        self._encoding, notice = _detect_encoding(path, self.source, encoding)
        if notice:
            self.notices.append(notice)
        keys: dict[str, None] = {}
        for _, flat in self._lines():
            if isinstance(flat, dict):
                keys.update(dict.fromkeys(flat))
        self._check_keys(list(keys))

    def _lines(self) -> Iterator[tuple[int, dict[str, object] | str]]:
        try:
            fh = open(self.path, encoding=self._encoding, newline=None)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise self._fail(f"cannot read the file ({exc.strerror})") from exc
        with fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield line_no, self._flat(json.loads(line, object_pairs_hook=_object_pairs))
                except _DuplicateKey as exc:
                    yield line_no, f'the key "{exc}" appears twice'
                except json.JSONDecodeError as exc:
                    yield line_no, f"not valid JSON ({exc.msg} at column {exc.colno})"
                except _RowProblem as exc:
                    yield line_no, str(exc)

    def __iter__(self) -> Iterator[SourceRow]:
        for row, flat in self._lines():
            if isinstance(flat, str):
                yield self._row_error(row, flat)
                continue
            result = self._record_row(flat, row)
            if result is not None:
                yield result


class _InterchangeReader(_JsonBase):
    """XFDF and FDF: one record per file, keys are the fields' full names."""

    __slots__ = ("_record",)
    #: Larger interchange files are refused unread (a form's values are a few kilobytes).
    MAX_BYTES = 16 << 20

    def __init__(self, path: Path, spec: FormSpec, fmt: str, *, mapping: _Mapping, ignore_unknown: bool) -> None:
        super().__init__(path, spec, fmt, mapping=mapping, ignore_unknown=ignore_unknown)
        try:
            size = path.stat().st_size
            if size > self.MAX_BYTES:
                raise self._fail(f"too large for an {fmt.upper()} file ({size} bytes)")
            data = path.read_bytes()
        except OSError as exc:
            raise self._fail(f"cannot read the file ({exc.strerror})") from exc
        pairs = _xfdf_fields(data, self._fail) if fmt == "xfdf" else _fdf_fields(data, self._fail)
        record: dict[str, object] = {}
        for name, value in pairs:
            if name in record and record[name] != value:
                raise self._fail(f'the field "{name}" is given twice')
            record[name] = value
        if not record:
            raise self._fail("holds no field values")
        self._check_keys(list(record))
        self._record = record

    def __iter__(self) -> Iterator[SourceRow]:
        row = self._record_row(dict(self._record), 1)
        if row is not None:
            yield row


def _xfdf_fields(data: bytes, fail: Callable[[str], InputError]) -> list[tuple[str, str]]:
    """(full name, value) of every field in an XFDF document; several values (a list box)
    are joined with line breaks."""
    import xml.etree.ElementTree as ET

    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise fail("not accepted: the XML declares a document type or entities")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise fail(f"not valid XFDF ({exc})") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    if local(root.tag) != "xfdf":
        raise fail("not an XFDF document (no <xfdf> element)")
    out: list[tuple[str, str]] = []

    def walk(element: ET.Element, prefix: str) -> None:
        for child in element:
            if local(child.tag) != "field":
                continue
            name = child.get("name", "")
            full = f"{prefix}.{name}" if prefix and name else (name or prefix)
            values = [v.text or "" for v in child if local(v.tag) == "value"]
            if values:
                out.append((full, "\n".join(values)))
            walk(child, full)

    for fields in (c for c in root if local(c.tag) == "fields"):
        walk(fields, "")
    return out


def _fdf_fields(data: bytes, fail: Callable[[str], InputError]) -> list[tuple[str, str]]:
    """(full name, value) of every field in an FDF document (its objects read with pypdf's
    object parser; references resolved among the file's own objects)."""
    from pypdf.errors import PdfReadError
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
        read_object,
    )

    if not data.lstrip()[:5] == b"%FDF-":
        raise fail("not an FDF file (no %FDF- header)")
    objects: dict[int, object] = {}
    for m in re.finditer(rb"(?<![\d.])(\d+)\s+(\d+)\s+obj\b", data):
        stream = io.BytesIO(data)
        start = m.end()
        while start < len(data) and data[start : start + 1] in b" \t\r\n\x0c\x00":
            start += 1
        stream.seek(start)
        try:
            objects[int(m.group(1))] = read_object(stream, None)
        except (PdfReadError, ValueError, KeyError, RecursionError) as exc:
            raise fail(f"not a readable FDF file (object {int(m.group(1))}: {type(exc).__name__})") from None

    def resolve(obj: object, depth: int = 0) -> object:
        while isinstance(obj, IndirectObject) and depth < 32:
            obj = objects.get(obj.idnum)
            depth += 1
        return obj

    def text(obj: object) -> str:
        obj = resolve(obj)
        if isinstance(obj, NameObject):
            return str(obj)[1:]
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, bytes):
            return obj.decode("latin-1")
        if isinstance(obj, ArrayObject):
            return "\n".join(text(item) for item in obj)
        return ""

    root = next(
        (o for o in objects.values() if isinstance(o, DictionaryObject) and isinstance(resolve(o.get("/FDF")), DictionaryObject)),
        None,
    )
    if root is None:
        raise fail("not an FDF file (no /FDF dictionary)")
    fdf = resolve(root.get("/FDF"))
    assert isinstance(fdf, DictionaryObject)
    out: list[tuple[str, str]] = []
    seen: set[int] = set()

    def walk(items: object, prefix: str, depth: int) -> None:
        items = resolve(items)
        if not isinstance(items, ArrayObject) or depth > 32:
            return
        for item in items:
            node = resolve(item)
            if not isinstance(node, DictionaryObject) or id(node) in seen:
                continue
            seen.add(id(node))
            partial = text(node.get("/T")) if "/T" in node else ""
            full = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
            if "/V" in node:
                out.append((full, text(node.get("/V"))))
            walk(node.get("/Kids"), full, depth + 1)

    walk(fdf.get("/Fields"), "", 0)
    return out


# ---------------------------------------------------------------------------------------
# Encodings


def _detect_encoding(path: Path, source: str, encoding: str | None) -> tuple[str, str | None]:
    """The encoding to read a text file with, and a notice when it is a fallback.

    A byte order mark decides (UTF-8, UTF-16, UTF-32); otherwise the file must be strict
    UTF-8, or else cleanly Windows-1252 (which leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D
    undefined) without any UTF-8 sequence in it. The whole file is checked up front,
    streamed, so reading never stops halfway on a bad byte and never yields U+FFFD."""
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}") from None
        if name == "utf-8":
            name = "utf-8-sig"  # a byte order mark is never part of the data
        line = _first_bad_line(path, source, name)
        if line is not None:
            raise InputError(f"{source}: not valid {encoding} (line {line})")
        return name, None
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file ({exc.strerror})") from exc
    for bom, name in _BOMS:
        if head.startswith(bom):
            if _first_bad_line(path, source, name) is not None:
                label = name.upper().removesuffix("-SIG")
                raise InputError(f"{source}: starts with a {label} byte order mark but is not valid {label}")
            return name, None
    line = _first_bad_line(path, source, "utf-8", nul=True)
    if line is None:
        return "utf-8", None
    if _has_utf8_sequences(path):
        raise InputError(
            f"{source}: mixes UTF-8 with another encoding (line {line} is not UTF-8); save it again as UTF-8"
        )
    bad = _first_bad_line(path, source, "cp1252")
    if bad is not None:
        raise InputError(
            f"{source}: neither UTF-8 nor Windows-1252 (line {bad}); save it as UTF-8 (in Excel: CSV UTF-8)"
        )
    return "cp1252", f"{source}: not UTF-8; read as Windows-1252 (the first non-UTF-8 character is on line {line})"


def _first_bad_line(path: Path, source: str, encoding: str, *, nul: bool = False) -> int | None:
    """The 1-based line of the first byte ``encoding`` cannot decode, or None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line = 1
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                if nul and b"\x00" in chunk:
                    raise InputError(f"{source}: holds NUL bytes (UTF-16 without a byte order mark?); save it as UTF-8")
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return line + exc.object[: exc.start].count(b"\n")
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file ({exc.strerror})") from exc
    return None


def _has_utf8_sequences(path: Path) -> bool:
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            if _UTF8_SEQUENCE.search(tail + chunk):
                return True
            tail = chunk[-3:]
    return False


# ---------------------------------------------------------------------------------------
# Entry points


def read_records(
    path: Path,
    spec: FormSpec,
    *,
    delimiter: str | None = None,
    sheet: str | None = None,
    mapping: Mapping[str, str] | None = None,
    ignore_unknown: bool = False,
    encoding: str | None = None,
    extra_columns: Sequence[str] = (),
) -> SourceReader:
    """Open one data file (format by extension, see :data:`FORMATS`) and check its header.

    ``delimiter`` (CSV: ``,``, ``;``, tab as ``"\\t"`` or ``"tab"``, or any one character;
    sniffed from the header line when None), ``sheet`` (XLSX: by name, case-insensitive when
    unique; the first sheet when None), ``encoding`` (CSV and JSON; detected when None) and
    ``mapping`` (column header → field name, ``""`` to ignore a column) refine how it is read.
    ``extra_columns`` are columns that are no field but are needed (a password column):
    each row's raw record has them as ``"@" + header``, and a file without one of them is
    an :class:`InputError`.
    Raises :class:`UsageError` for options that do not fit the file or a mapping to unknown
    fields, :class:`InputError` for a file that cannot be read as records.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        raise InputError(f"{path}: {_REFUSED[suffix]}")
    fmt = FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"{path}: unknown kind of data file (expected {known})")
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a data file")
    if sheet is not None and fmt != "xlsx":
        raise UsageError(f"{path}: a sheet can only be chosen in an .xlsx workbook")
    if delimiter is not None and fmt != "csv":
        raise UsageError(f"{path}: a delimiter only applies to CSV files")
    if encoding is not None and fmt == "xlsx":
        raise UsageError(f"{path}: an encoding does not apply to .xlsx workbooks")
    if encoding is not None and fmt in ("xfdf", "fdf"):
        raise UsageError(f"{path}: an encoding does not apply to {fmt.upper()} files (they say their own)")
    if extra_columns:
        mapping = {**(mapping or {}), **{c: EXTRA + c for c in extra_columns}}
    checked = _check_mapping(mapping, _matcher(spec))
    if fmt == "csv":
        reader: SourceReader = _CsvReader(
            path,
            spec,
            delimiter=_delimiter(delimiter),
            encoding=encoding,
            mapping=checked,
            ignore_unknown=ignore_unknown,
        )
    elif fmt == "xlsx":
        reader = _XlsxReader(path, spec, sheet=sheet, mapping=checked, ignore_unknown=ignore_unknown)
    elif fmt == "json":
        reader = _JsonReader(path, spec, encoding=encoding, mapping=checked, ignore_unknown=ignore_unknown)
    elif fmt in ("xfdf", "fdf"):
        reader = _InterchangeReader(path, spec, fmt, mapping=checked, ignore_unknown=ignore_unknown)
    else:
        reader = _JsonLinesReader(path, spec, encoding=encoding, mapping=checked, ignore_unknown=ignore_unknown)
    missing = [c for c in extra_columns if EXTRA + c not in reader.extras]
    if missing:
        reader.close()
        raise InputError(f"{path}: no column {_and(repr(c) for c in missing)}")
    return reader


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    value = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(value, value)
    if len(value) != 1 or value in '"\r\n':
        raise UsageError(f"the delimiter must be one character other than a quote or a line break, not {value!r}")
    return value


def load_mapping(path: Path, spec: FormSpec) -> dict[str, str]:
    """A column mapping file → ``{"Column header": "field.name"}``.

    Either a JSON object (a ``null`` or ``""`` value ignores that column) or a two-column
    CSV (column header, field name; delimiter sniffed; a first row whose second cell is no
    field name is taken as its header). An unreadable file is an :class:`InputError`; a
    field name the form does not have, or a header given twice, a :class:`UsageError`
    naming the line."""
    path = Path(path)
    source = str(path)
    matcher = _matcher(spec)
    if not path.is_file():
        raise InputError(f"{source}: mapping file not found")
    if path.suffix.lower() not in {".json", ".csv", ".tsv", ".txt"}:
        raise UsageError(f"{source}: a column mapping is a .json or a two-column .csv file")
    enc, _ = _detect_encoding(path, source, None)
    try:
        text = path.read_text(encoding=enc)
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file ({exc.strerror})") from exc
    mapping: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_object_pairs)
        except _DuplicateKey as exc:
            raise UsageError(f'{source}: the column "{exc}" is mapped twice') from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
            raise UsageError(f'{source}: expected a JSON object {{"column header": "field.name", …}}')
        mapping = {str(k): v or "" for k, v in data.items()}
    else:
        _, body = _sep_line(text)
        delimiter = _sniff_delimiter(body, source, lambda cell: cell.strip() in matcher.names)
        first = True
        for line, cells in enumerate(csv.reader(body.splitlines(), delimiter=delimiter), 1):
            cells = [c.strip() for c in cells]
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                continue
            header, target = cells[0], (cells[1] if len(cells) > 1 else "")
            if first and target not in matcher.names and target:
                first = False
                continue  # a header row such as "kolom;veld"
            first = False
            if len(cells) > 2:
                raise UsageError(f"{source}, line {line}: expected two columns (column header, field name)")
            if target and target not in matcher.names:
                raise UsageError(f"{source}, line {line}: {target!r} is no field of the form")
            if header in mapping and mapping[header] != target:
                raise UsageError(f'{source}, line {line}: the column "{header}" is mapped twice')
            mapping[header] = target
    _check_mapping(mapping, matcher)
    return mapping
