"""XLSX workbooks: one worksheet, read streaming (openpyxl's read-only mode), its cells
kept as text, numbers or dates, and its rows numbered as Excel shows them. The workbook
opened to check the header stays open for the first pass, so a large sheet is not
unzipped twice; :meth:`SourceReader.close` releases it when no pass comes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..i18n import N_
from ..spec import FormSpec
from .base import SourceReader
from .headers import SourceRow, _is_empty, _Mapping


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
