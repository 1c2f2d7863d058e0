"""CSV (and TSV): the delimiter, from Excel's ``sep=`` line or sniffed from the header,
and the cells as text, so leading zeros and dates stay as the user typed them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ..i18n import N_
from ..errors import InputError
from ..exports import unprotect_cell
from ..spec import FormSpec
from .base import SourceReader
from .headers import SourceRow, _Mapping, normalize_header

_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SEP_LINE = re.compile(r'"?sep=(.)"?[,;\t]*', re.IGNORECASE)
#: ``="0123"``: how some exports keep leading zeros in a CSV opened by Excel.
_EXCEL_TEXT_FORMULA = re.compile(r'="(.*)"', re.DOTALL)


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
        self._encoding = self._detect(encoding)
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
                raise self._fail(N_("no header row (the file holds no data)"))
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
            raise self._unreadable(exc) from exc

    def _reader(self, fh: IO[str]) -> Iterator[list[str]]:
        return csv.reader(fh, delimiter=self._delimiter, quotechar='"', doublequote=True, strict=False)

    def _records(self, reader: Iterator[list[str]]) -> Iterator[list[str]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise self._fail(N_("not readable as CSV ({error})").format(error=exc)) from exc

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
        raise InputError(
            N_("{source}: cannot tell whether the columns are separated by {a} or {b}; name the delimiter").format(
                source=source, a=a, b=b
            )
        )
    return ranked[0][0]
