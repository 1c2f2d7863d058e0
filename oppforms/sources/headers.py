"""Headers → fields: what the spec says about column names, and a plan per header row
that turns every row's cells into a raw record."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..i18n import N_
from ..errors import RecordError, UsageError
from ..records import record_schema
from ..spec import FormSpec


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
        raise UsageError(N_("the column mapping names unknown field(s): {fields}").format(fields=", ".join(unknown)))
    exact = {str(k).strip(): (v or "") for k, v in mapping.items()}
    normalized: dict[str, str] = {}
    for header, target in exact.items():
        key = normalize_header(header)
        if normalized.get(key, target) != target:
            raise UsageError(N_('the column mapping gives "{header}" two different fields').format(header=header))
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
            ambiguous.append(N_("{columns} could be {fields}").format(columns=describe(i), fields=" or ".join(names)))
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
                problems.append(N_("{columns} hold the same part of {field}").format(columns=_and(describe(c) for c in cols), field=field))
        composites.append((field, tuple(present[pi][0] if pi in present else None for pi in range(count))))
        composed.append(field)
    if not union:
        for field, cols in targets.items():
            if len(cols) > 1:
                problems.append(N_("{columns} all give {field}").format(columns=_and(describe(c) for c in cols), field=field))
    fields = tuple(
        dict.fromkeys([*(f for f in targets if f not in matcher.signatures and not f.startswith(EXTRA)), *composed])
    )
    if not fields:
        raise _HeaderProblem(
            N_("no key matches a field of the form (is the first row the header?)") if noun == "key"
            else N_("no column matches a field of the form (is the first row the header?)")
        )
    notices: list[str] = []
    if unknown:
        listed = _and(describe(c) for c in sorted(unknown))
        if ignore_unknown:
            notices.append(
                (N_("ignored key(s) that are no field of the form: {columns}") if noun == "key"
                 else N_("ignored column(s) that are no field of the form: {columns}")).format(columns=listed)
            )
        else:
            problems.append(
                (N_("unknown key(s) {columns} (map them to fields with a column mapping, or ignore unknown keys)")
                 if noun == "key"
                 else N_("unknown column(s) {columns} (map them to fields with a column mapping, or ignore unknown columns)")
                 ).format(columns=listed)
            )
    if problems:
        raise _HeaderProblem("; ".join(problems))
    signature_cols = [c for f, cols in targets.items() if f in matcher.signatures for c in cols]
    if signature_cols:
        notices.append(
            N_(
                "{columns}: signature field(s), not filled in (a filled form is unsigned; sign on paper or in the PDF)"
            ).format(columns=_and(describe(c) for c in sorted(signature_cols)))
        )
    if envelope:
        notices.append(N_("{columns}: not filled in (not a field of the form)").format(columns=_and(describe(c) for c in envelope)))
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
    return listed[0] if len(listed) == 1 else N_("{items} and {last}").format(items=", ".join(listed[:-1]), last=listed[-1])


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
        where = _and(N_("column {column}").format(column=_column_letters(c)) for c in stray)
        raise _RowProblem(N_("a value in {columns}, which has no header").format(columns=where))
    if plan.form_column is not None and plan.form_column < n:
        form = cells[plan.form_column]
        if not _is_empty(form) and str(form).strip() != matcher.form_id:
            raise _RowProblem(N_("a record of another form (not {form})").format(form=matcher.form_id))
    if all(_is_empty(v) for v in raw.values()):
        raise _RowProblem(N_("no value in any of the form's columns"))
    return raw
