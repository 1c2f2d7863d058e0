"""From data files to records to fill: open and check every file first, find duplicate
keys in a first pass, then stream the rows as :class:`RecordIn` (a refused row carries its
error, so the batch reports it and goes on)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .i18n import N_
from .errors import RecordError
from .sources import EXTRA, SourceReader, read_records
from .spec import FormSpec
from .values import coercer_for

OnDuplicate = Literal["error", "first", "last", "all"]


@dataclass(frozen=True, slots=True)
class RecordIn:
    """One record to fill: where it came from, its raw values (contract field names as
    keys), an optional password to encrypt its PDF with, or the error that made it
    unusable before filling (then ``raw`` is ignored)."""

    source: str
    row: int
    raw: Mapping[str, object]
    password: str | None = None
    error: RecordError | None = None



@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How data files are read (see :func:`oppforms.sources.read_records`)."""

    delimiter: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    mapping: Mapping[str, str] | None = None
    ignore_unknown: bool = False
    password_column: str | None = None


def open_sources(paths: Iterable[Path], spec: FormSpec, options: ReadOptions) -> list[SourceReader]:
    """Open every data file and check its header before anything is filled: a file that
    cannot be read as records stops the batch at once (:class:`InputError`)."""
    readers = []
    try:
        for path in paths:
            readers.append(
                read_records(
                    Path(path),
                    spec,
                    delimiter=options.delimiter,
                    sheet=options.sheet,
                    encoding=options.encoding,
                    mapping=options.mapping,
                    ignore_unknown=options.ignore_unknown,
                    extra_columns=(options.password_column,) if options.password_column else (),
                )
            )
    except BaseException:
        for r in readers:
            r.close()
        raise
    return readers


def duplicate_verdicts(
    readers: Iterable[SourceReader], spec: FormSpec, on_duplicate: OnDuplicate
) -> tuple[int, dict[tuple[str, int], str]]:
    """A first pass over the data: the number of rows, and the rows that must not be
    filled because their key (``leerling.nummer``) repeats, with the reason."""
    key_field = spec.records.key
    coercer = coercer_for(spec)
    rows_of: dict[str, list[tuple[str, int]]] = {}
    count = 0
    for reader in readers:
        for row in reader:
            count += 1
            if row.raw is None:
                continue
            values, _ = coercer.check({key_field: row.raw.get(key_field)}, row=row.row, source=row.source, given_only=True)
            key = values.get(key_field, "") if values else ""
            if key:
                rows_of.setdefault(key, []).append((row.source, row.row))
    verdicts: dict[tuple[str, int], str] = {}
    if on_duplicate == "all":
        return count, verdicts
    for places in rows_of.values():
        if len(places) < 2:
            continue
        rows = ", ".join(N_("{file} row {row}").format(file=Path(s).name, row=r) for s, r in places)
        if on_duplicate == "error":
            for place in places:
                verdicts[place] = N_("{field} appears more than once ({rows}); none of them filled (see --on-duplicate)").format(
                    field=key_field, rows=rows
                )
        else:
            keep = places[0] if on_duplicate == "first" else places[-1]
            for place in places:
                if place != keep:
                    verdicts[place] = N_(
                        "{field} appears more than once ({rows}); this row is left out for {file} row {row} (--on-duplicate {choice})"
                    ).format(field=key_field, rows=rows, file=Path(keep[0]).name, row=keep[1], choice=on_duplicate)
    return count, verdicts


def records_from(
    readers: Iterable[SourceReader],
    verdicts: Mapping[tuple[str, int], str],
    *,
    password_column: str | None = None,
) -> Iterator[RecordIn]:
    """The rows of the data files as records to fill; rows refused by the duplicate pass
    or by the reader come through as errors."""
    for reader in readers:
        for row in reader:
            verdict = verdicts.get((row.source, row.row))
            if row.error is not None or row.raw is None:
                yield RecordIn(row.source, row.row, {}, error=row.error)
            elif verdict:
                yield RecordIn(row.source, row.row, {}, error=RecordError(verdict, row=row.row))
            else:
                raw = dict(row.raw)
                password = None
                if password_column is not None:
                    password = str(raw.pop(EXTRA + password_column, "") or "")
                    if not password.strip():  # only spaces: no password anyone would type
                        yield RecordIn(
                            row.source,
                            row.row,
                            {},
                            error=RecordError(N_("{source}, row {row}: no password in the password column").format(source=row.source, row=row.row), row=row.row),
                        )
                        continue
                yield RecordIn(row.source, row.row, raw, password)
        reader.close()
