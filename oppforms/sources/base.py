"""The reader every format shares: one file's rows as :class:`SourceRow` s, and how a
header (or a file's keys) becomes the plan that turns cells into raw records.

The format modules only find cells and row numbers; the messages that name file, row
and field are made here, so they read the same whatever the format."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from ..i18n import N_
from .._io import shown_name
from ..errors import InputError, RecordError
from ..spec import FormSpec
from .encodings import _detect_encoding
from .headers import (
    EXTRA,
    SourceRow,
    _apply,
    _column_letters,
    _HeaderProblem,
    _Mapping,
    _matcher,
    _Plan,
    _plan,
    _RowProblem,
)


class SourceReader:
    """The rows of one input file. Iterate it for :class:`SourceRow` s (streamed, once or
    again); ``fields`` are the fields the file gives, ``notices`` the things a user should
    know about how it was read (an encoding fallback, ignored columns). Notices never hold
    values, only file, column and row names. Use it as a context manager, or call
    :meth:`close`, to release a file kept open between construction and iteration."""

    __slots__ = ("_matcher", "extras", "fields", "format", "notices", "path", "source")

    def __init__(self, path: Path, spec: FormSpec, fmt: str) -> None:
        self.path = path
        #: The file as named by the caller: in messages and in ``SourceRow.source``. A name
        #: whose bytes are not UTF-8 (Python keeps those as lone surrogates, which no text
        #: file, registry line or report can hold) shows them as U+FFFD.
        self.source = shown_name(path)
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
        return InputError(N_("{source}: {problem}").format(source=self.source, problem=message))

    def _unreadable(self, exc: OSError) -> InputError:
        return self._fail(N_("cannot read the file ({error})").format(error=exc.strerror))

    def _detect(self, encoding: str | None) -> str:
        """The text encoding to read the file in (``encoding``, or detected when None); a
        fallback the user should know about becomes a notice."""
        found, notice = _detect_encoding(self.path, self.source, encoding)
        if notice:
            self.notices.append(notice)
        return found

    def _row_error(self, row: int, message: str) -> SourceRow:
        return SourceRow(self.source, row, None, RecordError(N_("{source}, row {row}: {problem}").format(source=self.source, row=row, problem=message), row=row))

    def _row(self, plan: _Plan, cells: Sequence[object], row: int) -> SourceRow:
        try:
            return SourceRow(self.source, row, _apply(plan, cells, self._matcher), None)
        except _RowProblem as exc:
            return self._row_error(row, str(exc))

    def _header(self, headers: Sequence[str], mapping: _Mapping, ignore_unknown: bool) -> _Plan:
        """The plan of a sheet's header row; a header that cannot be read as fields is a
        file error naming the columns by header and letter, as Excel shows them."""

        def describe(i: int) -> str:
            return N_('"{header}" (column {column})').format(header=headers[i].strip(), column=_column_letters(i))

        try:
            plan = _plan(headers, self._matcher, mapping, ignore_unknown=ignore_unknown, describe=describe)
        except _HeaderProblem as exc:
            raise self._fail(str(exc)) from None
        self._adopt(plan)
        return plan

    def _adopt(self, plan: _Plan) -> None:
        """Take the fields, extra columns and notices of the plan that covers the file."""
        self.fields = plan.fields
        self.extras = tuple(f for _, f in plan.direct if f.startswith(EXTRA))
        self.notices.extend(f"{self.source}: {n}" for n in plan.notices)
