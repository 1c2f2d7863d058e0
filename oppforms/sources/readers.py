"""The readers of each file format, and the entry points."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from ..errors import InputError, RecordError, UsageError
from ..exports import unprotect_cell
from ..spec import FormSpec
from .encodings import _detect_encoding
from .headers import (
    EXTRA,
    SourceRow,
    _and,
    _apply,
    _check_mapping,
    _column_letters,
    _HeaderProblem,
    _is_empty,
    _Mapping,
    _matcher,
    _Plan,
    _plan,
    _RowProblem,
    normalize_header,
)
from .interchange import _fdf_fields, _xfdf_fields


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
_SEP_LINE = re.compile(r'"?sep=(.)"?[,;\t]*', re.IGNORECASE)
#: ``="0123"``: how some exports keep leading zeros in a CSV opened by Excel.
_EXCEL_TEXT_FORMULA = re.compile(r'="(.*)"', re.DOTALL)



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
            from ..errors import MissingDependencyError

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
