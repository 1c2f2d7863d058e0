"""Records keyed by name rather than by column: JSON (an array of objects, or one
object), JSON Lines (one object a line), and the one record of an XFDF or FDF file.

They share :class:`_JsonBase`: a file's keys are checked all at once, up front, so an
unknown key is a file error as in a sheet, and each record is then planned by its own
keys, since records may leave fields out. Nested objects are joined with dots, as the
fields' full names are."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..i18n import N_
from ..spec import FormSpec
from .base import SourceReader
from .encodings import utf8_text
from .headers import (
    SourceRow,
    _HeaderProblem,
    _is_empty,
    _Mapping,
    _Plan,
    _plan,
    _RowProblem,
    normalize_header,
)
from .interchange import _fdf_fields, _xfdf_fields

#: A flat record, or the problem that kept a row from being one (a row error).
_FlatRecord = dict[str, object] | str


class _DuplicateKey(ValueError):
    pass


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads`: a key given twice in one object is an
    error (``json`` would silently keep the last value)."""
    out = dict(pairs)
    if len(out) == len(pairs):  # no key twice (the usual object): made in one step
        return out
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means a key twice")


def _said(error: json.JSONDecodeError) -> str:
    """The JSON error's message without the "at" some end with ("Invalid control character
    at"), as the place follows it."""
    return error.msg.removesuffix(" at")


class _JsonBase(SourceReader):
    """A file of keyed records. A subclass reads its file in :meth:`_flat_records`, calls
    :meth:`_check_keys` once its constructor can read them, and is iterated here."""

    __slots__ = ("_extract_notice", "_ignore_unknown", "_mapping", "_plans")

    def __init__(self, path: Path, spec: FormSpec, fmt: str, *, mapping: _Mapping, ignore_unknown: bool) -> None:
        super().__init__(path, spec, fmt)
        self._mapping = mapping
        self._ignore_unknown = ignore_unknown
        self._plans: dict[tuple[str, ...], _Plan | str] = {}
        self._extract_notice = False

    def _flat_records(self) -> Iterator[tuple[int, _FlatRecord]]:
        """(row number, flat record or the row's problem) of every record of the file, in
        order; read afresh on each call, so a file can be streamed more than once."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[SourceRow]:
        for row, flat in self._flat_records():
            if isinstance(flat, str):
                yield self._row_error(row, flat)
                continue
            result = self._record_row(flat, row)
            if result is not None:
                yield result

    def _flat(self, obj: object) -> dict[str, object]:
        """One JSON value → a flat record (nested objects joined with dots); raises
        ``_RowProblem`` for what cannot be a record."""
        if not isinstance(obj, dict):
            raise _RowProblem(N_("not a JSON object"))
        m = self._matcher
        if m.fields_key is not None and isinstance(obj.get(m.fields_key), dict):
            # A record of an extract export: its values are under "fields"; the envelope
            # (source, method, signed marks, review, …) is not filled in.
            form = next((v for k, v in obj.items() if normalize_header(k) == m.form_key), None)
            if form not in (None, "", m.form_id):
                raise _RowProblem(N_("a record of another form (not {form})").format(form=m.form_id))
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
                self.notices.append(N_("{source}: extract records: only their fields are filled in").format(source=self.source))
            return flat
        # the values come from json (JSON and JSON Lines files), whose objects are dicts
        # exactly, so a type test finds a nested object (in one step, in C)
        if dict not in map(type, obj.values()):
            return dict(obj)  # already flat (the usual record): the same as _flatten, in one copy
        flat = {}
        _flatten(obj, flat, "")
        return flat

    def _check_keys(self) -> None:
        """All keys of the file at once, so an unknown key is a file error, as in a sheet."""
        seen: dict[str, None] = {}
        for _, flat in self._flat_records():
            if isinstance(flat, dict):
                seen.update(dict.fromkeys(flat))
        try:
            plan = self._key_plan(list(seen), union=True)
        except _HeaderProblem as exc:
            raise self._fail(str(exc)) from None
        self._adopt(plan)

    def _key_plan(self, keys: Sequence[str], *, union: bool = False) -> _Plan:
        return _plan(
            keys,
            self._matcher,
            self._mapping,
            ignore_unknown=self._ignore_unknown,
            describe=lambda i: '"' + keys[i] + '"',
            noun="key",
            union=union,
        )

    def _record_row(self, flat: dict[str, object], row: int) -> SourceRow | None:
        """The row of one flat record; None for an empty one (skipped, like a blank row)."""
        if all(_is_empty(v) for v in flat.values()):
            return None
        keys = tuple(flat)
        plan = self._plans.get(keys)
        if plan is None:
            try:
                plan = self._key_plan(keys)
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
            raise _RowProblem(N_('the key "{key}" is given twice (nested and dotted)').format(key=name))
        into[name] = value


class _JsonReader(_JsonBase):
    """A JSON file is parsed whole (JSON cannot be streamed with the standard library);
    its records are kept flat, row numbers being their 1-based index."""

    __slots__ = ("_parsed",)

    def __init__(
        self, path: Path, spec: FormSpec, *, encoding: str | None, mapping: _Mapping, ignore_unknown: bool
    ) -> None:
        super().__init__(path, spec, "json", mapping=mapping, ignore_unknown=ignore_unknown)
        try:
            # bytes decoded as they are: JSON takes any line ends as whitespace, and the text
            # mode's newline translation was a fifth of reading the file
            text = utf8_text(path.read_bytes()) if encoding is None else None
        except OSError:
            text = None  # the encoding's detection below says what is wrong with the file
        try:
            if text is None:
                enc = self._detect(encoding)  # first: it names what is wrong with a missing file
                text = path.read_bytes().decode(enc)
            data = json.loads(text, object_pairs_hook=_object_pairs)
        except OSError as exc:
            raise self._unreadable(exc) from exc
        except _DuplicateKey as exc:
            raise self._fail(N_('the key "{key}" appears twice in one object').format(key=exc)) from None
        except json.JSONDecodeError as exc:
            raise self._fail(N_("not valid JSON ({error} at line {line}, column {column})").format(error=_said(exc), line=exc.lineno, column=exc.colno)) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise self._fail(N_("expected an array of objects, or one object"))
        parsed: list[_FlatRecord] = []
        for item in data:
            try:
                parsed.append(self._flat(item))
            except _RowProblem as exc:
                parsed.append(str(exc))
        del data
        self._parsed = parsed
        self._check_keys()

    def _flat_records(self) -> Iterator[tuple[int, _FlatRecord]]:
        return enumerate(self._parsed, 1)


class _JsonLinesReader(_JsonBase):
    """JSON Lines is streamed from the file on every pass; a line that is no JSON object
    is a row error, the line number its row."""

    __slots__ = ("_encoding",)

    def __init__(
        self, path: Path, spec: FormSpec, *, encoding: str | None, mapping: _Mapping, ignore_unknown: bool
    ) -> None:
        super().__init__(path, spec, "jsonl", mapping=mapping, ignore_unknown=ignore_unknown)
        self._encoding = self._detect(encoding)
        self._check_keys()

    def _flat_records(self) -> Iterator[tuple[int, _FlatRecord]]:
        try:
            fh = open(self.path, encoding=self._encoding, newline=None)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise self._unreadable(exc) from exc
        with fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield line_no, self._flat(json.loads(line, object_pairs_hook=_object_pairs))
                except _DuplicateKey as exc:
                    yield line_no, f'the key "{exc}" appears twice'
                except json.JSONDecodeError as exc:
                    yield line_no, f"not valid JSON ({_said(exc)} at column {exc.colno})"
                except _RowProblem as exc:
                    yield line_no, str(exc)


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
                raise self._fail(N_("too large for an {format} file ({size} bytes)").format(format=fmt.upper(), size=size))
            data = path.read_bytes()
        except OSError as exc:
            raise self._unreadable(exc) from exc
        pairs = _xfdf_fields(data, self._fail) if fmt == "xfdf" else _fdf_fields(data, self._fail)
        record: dict[str, object] = {}
        for name, value in pairs:
            if name in record and record[name] != value:
                raise self._fail(N_('the field "{field}" is given twice').format(field=name))
            record[name] = value
        if not record:
            raise self._fail(N_("holds no field values"))
        self._record = record
        self._check_keys()

    def _flat_records(self) -> Iterator[tuple[int, _FlatRecord]]:
        yield 1, dict(self._record)
