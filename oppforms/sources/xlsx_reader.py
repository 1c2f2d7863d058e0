"""XLSX workbooks: one worksheet, read streaming (openpyxl's read-only mode), its cells
kept as text, numbers or dates, and its rows numbered as Excel shows them. The workbook
opened to check the header stays open for the first pass, so a large sheet is not
unzipped twice; :meth:`SourceReader.close` releases it when no pass comes.

A cell's value is what the file holds as its result. A formula whose result the file does
not hold (a program such as a script wrote it without a spreadsheet to calculate it) and a
formula's error (``#N/A``) would otherwise be read as an empty cell or as the error's text;
a row with such a cell in a column that is read fails, naming the cell."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from xml.etree import ElementTree
from pathlib import Path
from typing import Any

from ..i18n import N_
from ..spec import FormSpec
from .base import SourceReader
from .headers import SourceRow, _column_letters, _is_empty, _Mapping


class _XlsxReader(SourceReader):
    __slots__ = ("_header_row", "_pending", "_plan", "_sheet", "_unread")

    def __init__(
        self, path: Path, spec: FormSpec, *, sheet: str | None, mapping: _Mapping, ignore_unknown: bool
    ) -> None:
        super().__init__(path, spec, "xlsx")
        self._sheet = sheet
        self._pending: tuple[Any, Iterator[tuple[object, ...]]] | None = None
        self._unread: dict[int, dict[int, str]] = {}
        workbook, rows = self._open()
        try:
            self._unread = _cells_without_result(self._pick_sheet(workbook))
            for row, cells in enumerate(rows, 1):
                if not all(_is_empty(c) for c in cells):
                    break
            else:
                raise self._fail(N_("no header row (the sheet holds no data)"))
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

            raise MissingDependencyError(N_("reading .xlsx needs openpyxl: pip install openpyxl")) from exc
        import zipfile

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except FileNotFoundError as exc:
            raise self._fail(N_("file not found")) from exc
        except OSError as exc:
            raise self._unreadable(exc) from exc
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
            raise self._fail(N_("not a readable .xlsx workbook")) from exc
        try:
            sheet = self._pick_sheet(workbook)
            sheet.reset_dimensions()  # some writers store a wrong size; read what is there
            rows: Iterator[tuple[object, ...]] = (tuple(map(_shown, cells)) for cells in sheet.iter_rows())
        except BaseException:
            workbook.close()
            raise
        return workbook, rows

    def _pick_sheet(self, workbook: Any) -> Any:
        names: list[str] = list(workbook.sheetnames)
        if self._sheet is None:
            if not workbook.worksheets:
                raise self._fail(N_("the workbook has no worksheet"))
            return workbook.worksheets[0]
        chosen = self._sheet if self._sheet in names else None
        if chosen is None:
            folded = [n for n in names if n.strip().casefold() == self._sheet.strip().casefold()]
            chosen = folded[0] if len(folded) == 1 else None
        if chosen is None:
            listed = ", ".join(f'"{n}"' for n in names)
            raise self._fail(N_('no sheet "{sheet}" (the sheets are {sheets})').format(sheet=self._sheet, sheets=listed))
        sheet = workbook[chosen]
        if not hasattr(sheet, "iter_rows"):
            raise self._fail(N_('sheet "{sheet}" is a chart, not a worksheet').format(sheet=chosen))
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
                unread = self._unread.get(row)
                problem = _unread_cells(unread, row, self._plan) if unread else None
                if problem:
                    yield self._row_error(row, problem)
                    continue
                yield self._row(self._plan, [_cell_value(c) for c in cells], row)
        finally:
            workbook.close()


_FORMULA_OR_ERROR = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]|\st=[\"']e[\"']")
_CHUNK = 1 << 20


def _cells_without_result(sheet: Any) -> dict[int, dict[int, str]]:
    """The cells of ``sheet`` that hold no result to read: row → column (0-based) → what
    is there instead (``""``: a formula without its result; else the error, ``#N/A``).
    The sheet's XML is first scanned for any formula or error at all (most sheets have
    none); only then is it parsed cell by cell."""
    with sheet._get_source() as src:  # openpyxl's read-only sheet: its part of the zip
        tail = b""
        while chunk := src.read(_CHUNK):
            if _FORMULA_OR_ERROR.search(tail + chunk):
                break
            tail = chunk[-32:]
        else:
            return {}
    found: dict[int, dict[int, str]] = {}
    row = column = 0
    with sheet._get_source() as src:
        for event, element in ElementTree.iterparse(src, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    row = int(element.get("r") or row + 1)
                    column = 0
                continue
            if tag == "row":
                element.clear()
            if tag != "c":
                continue
            ref = element.get("r")
            column = _column_index(ref) if ref else column + 1
            kind = element.get("t", "n")
            children = {child.tag.rpartition("}")[2]: child for child in element}
            value = children.get("v")
            text = value.text if value is not None else None
            if kind == "e":
                found.setdefault(row, {})[column - 1] = text or "#ERROR"
            elif "f" in children and not text and kind not in ("str", "inlineStr"):
                found.setdefault(row, {})[column - 1] = ""  # a computed empty text is t="str"
            element.clear()
    return found


def _column_index(ref: str) -> int:
    """The 1-based column of a cell reference (``C12`` → 3)."""
    index = 0
    for ch in ref:
        if not ch.isalpha():
            break
        index = index * 26 + ord(ch.upper()) - 64
    return index


def _unread_cells(unread: dict[int, str], row: int, plan: Any) -> str | None:
    """The row's error when a column that is read holds a formula without its result or
    an error; None when those cells are in columns left aside."""
    used = {c for c, _ in plan.direct} | {c for _, parts in plan.composites for c in parts if c is not None}
    if plan.form_column is not None:
        used.add(plan.form_column)
    problems = []
    for column in sorted(unread):
        if column not in used:
            continue
        cell = f"{_column_letters(column)}{row}"
        if unread[column]:
            problems.append(N_("cell {cell} holds the error {error}, not a value").format(cell=cell, error=unread[column]))
        else:
            problems.append(N_(
                "cell {cell} holds a formula whose result the file does not hold (saved by a program that does not "
                "calculate): open the file in Excel or LibreOffice and save it"
            ).format(cell=cell))
    return "; ".join(problems) or None


def _header_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _shown(cell: Any) -> object:
    """A cell's value, but a whole number whose format is only zeros (``000000``: how a
    number column keeps the leading zeros of a leerlingnummer in Excel) as the text Excel
    shows (``004512``), not the number (4512)."""
    value = cell.value
    if type(value) in (int, float) and value >= 0 and float(value).is_integer():
        number_format = getattr(cell, "number_format", "General")
        if len(number_format) > 1 and not number_format.strip("0"):
            return str(int(value)).zfill(len(number_format))
    return value


def _cell_value(value: object) -> object:
    """An XLSX cell for ``values``: a date cell at midnight becomes a ``datetime.date``."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value
