"""The entry points: :func:`read_records` picks a file's reader by its extension and
checks the options against the format before anything is read; :func:`load_mapping`
reads a column mapping file.

The readers themselves live with their format (:mod:`oppforms.sources.csv_reader`,
:mod:`~oppforms.sources.xlsx_reader`, :mod:`~oppforms.sources.json_reader`), on the shared
:class:`~oppforms.sources.base.SourceReader`; the public names stay importable from here."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..i18n import N_
from ..errors import InputError, UsageError
from ..spec import FormSpec
from .base import SourceReader
from .csv_reader import _CsvReader, _sep_line, _sniff_delimiter
from .encodings import _detect_encoding
from .headers import EXTRA, SourceRow, _and, _check_mapping, _matcher, normalize_header
from .json_reader import (
    _DuplicateKey,
    _InterchangeReader,
    _JsonLinesReader,
    _JsonReader,
    _object_pairs,
)
from .xlsx_reader import _XlsxReader

__all__ = ["EXTRA", "FORMATS", "SourceReader", "SourceRow", "load_mapping", "normalize_header", "read_records"]

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
    ".xls": N_("the old Excel format (.xls) cannot be read: save it as .xlsx"),
    ".ods": N_("OpenDocument spreadsheets cannot be read: save it as .xlsx or CSV"),
}


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
        raise InputError(N_("{source}: {problem}").format(source=path, problem=_REFUSED[suffix]))
    fmt = FORMATS.get(suffix)
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise InputError(N_("{source}: unknown kind of data file (expected {known})").format(source=path, known=known))
    if not path.exists():
        raise InputError(N_("{source}: file not found").format(source=path))
    if path.is_dir():
        raise InputError(N_("{source}: is a folder, not a data file").format(source=path))
    if sheet is not None and fmt != "xlsx":
        raise UsageError(N_("{source}: a sheet can only be chosen in an .xlsx workbook").format(source=path))
    if delimiter is not None and fmt != "csv":
        raise UsageError(N_("{source}: a delimiter only applies to CSV files").format(source=path))
    if encoding is not None and fmt == "xlsx":
        raise UsageError(N_("{source}: an encoding does not apply to .xlsx workbooks").format(source=path))
    if encoding is not None and fmt in ("xfdf", "fdf"):
        raise UsageError(N_("{source}: an encoding does not apply to {format} files (they say their own)").format(source=path, format=fmt.upper()))
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
        raise InputError(N_("{source}: no column {columns}").format(source=path, columns=_and(repr(c) for c in missing)))
    return reader


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    value = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(value, value)
    if len(value) != 1 or value in '"\r\n':
        raise UsageError(N_("the delimiter must be one character other than a quote or a line break, not {value}").format(value=repr(value)))
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
        raise InputError(N_("{source}: mapping file not found").format(source=source))
    if path.suffix.lower() not in {".json", ".csv", ".tsv", ".txt"}:
        raise UsageError(N_("{source}: a column mapping is a .json or a two-column .csv file").format(source=source))
    enc, _ = _detect_encoding(path, source, None)
    try:
        text = path.read_text(encoding=enc)
    except OSError as exc:
        raise InputError(N_("{source}: cannot read the file ({error})").format(source=source, error=exc.strerror)) from exc
    mapping: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text, object_pairs_hook=_object_pairs)
        except _DuplicateKey as exc:
            raise UsageError(N_('{source}: the column "{header}" is mapped twice').format(source=source, header=exc)) from None
        except json.JSONDecodeError as exc:
            raise UsageError(N_("{source}: not valid JSON ({error} at line {line})").format(source=source, error=exc.msg, line=exc.lineno)) from None
        if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
            raise UsageError(N_('{source}: expected a JSON object {{"column header": "field.name", …}}').format(source=source))
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
                raise UsageError(N_("{source}, line {line}: expected two columns (column header, field name)").format(source=source, line=line))
            if target and target not in matcher.names:
                raise UsageError(N_("{source}, line {line}: {field} is no field of the form").format(source=source, line=line, field=repr(target)))
            if header in mapping and mapping[header] != target:
                raise UsageError(N_('{source}, line {line}: the column "{header}" is mapped twice').format(source=source, line=line, header=header))
            mapping[header] = target
    _check_mapping(mapping, matcher)
    return mapping
