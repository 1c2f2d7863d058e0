"""Values: one raw record (from a spreadsheet, JSON or the API) → the exact text that goes
on the form (contract §3).

Every text and date field of the spec comes out as a string; a missing or empty value is
``""``. A value that cannot be put on the form whole is an error for that field, never cut
or silently changed. What *is* changed, always the same way:

- text is stored as NFC;
- line breaks ``\\r\\n``, ``\\r``, vertical tab and form feed (Word's manual line break),
  NEL and the Unicode line and paragraph separators become ``\\n``;
- a tab becomes one space (a PDF text field has no tab stops, and its width would depend
  on the viewer);
- one-line fields lose leading and trailing whitespace; multiline fields lose the trailing
  whitespace of every line and blank lines at the start and the end, and keep their
  indentation and inner spaces;
- a list of strings for a multiline field becomes numbered lines ``1. …``, ``2. …``
  (empty items are left out of the numbering);
- an integer becomes its decimal text; a float with an integral value (how spreadsheets
  store 4512) too, other floats their shortest round-trip text;
- a date becomes ISO ``YYYY-MM-DD`` (see :func:`to_iso_date` for what is accepted).

Refused, each as a :class:`~oppforms.errors.RecordError` naming the source, the row and the
field (and never the value): a line break in a one-line field, more characters than the
field's ``max_length``, a character the form's font cannot draw (named as ``U+XXXX`` and its
Unicode name), an impossible or unreadable date, a two-digit year, a value of the wrong
type (true/false, a date in a text field, a nested object), and keys that are no field.

Signature fields cannot be filled from data: a key naming one may only hold nothing or a
true/false mark (as in an extract export), which is ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .i18n import N_
from .errors import RecordError
from .fonts import GLYPH_STAND_INS, INVISIBLE
from .spec import FieldKind, FormSpec

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "Coercer",
    "check_record",
    "coerce_record",
    "coercer_for",
    "to_iso_date",
    "trim_multiline",
]

#: The range of years a date on the form may have; anything else is a typing mistake
#: (``15-02-0227``) or a number that is no date.
MIN_YEAR = 1900
MAX_YEAR = 2099

_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_OTHER_BREAK_CHARS = "\x0b\x0c\x85\u2028\u2029"

_SEP = r"([-/.])"
_ISO = re.compile(r"(\d{4})" + _SEP + r"(\d{1,2})\2(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?", re.ASCII)
_DMY = re.compile(r"(\d{1,2})" + _SEP + r"(\d{1,2})\2(\d{4})(?: 00:00(?::00)?)?", re.ASCII)
_SHORT_YEAR = re.compile(r"\d{1,2}" + _SEP + r"\d{1,2}\1\d{2}", re.ASCII)
_WORDS = re.compile(r"(\d{1,2})\.? +([^\W\d_]+)\.? +(\d{4})")
_SHORT_YEAR_WORDS = re.compile(r"\d{1,2}\.? +[^\W\d_]+\.? +'?\d{2}")
#: Dutch month names and their usual abbreviations (``15 februari 2027``, ``3 okt. 2026``).
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "jan"),
            ("februari", "feb"),
            ("maart", "mrt", "mar"),
            ("april", "apr"),
            ("mei",),
            ("juni", "jun"),
            ("juli", "jul"),
            ("augustus", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
#: Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is the 29th of February
#: 1900 that never was (kept by Excel for Lotus 1-2-3 compatibility).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = (dt.date(9999, 12, 31) - _EXCEL_EPOCH).days
#: What a signature column may hold: nothing, or the true/false mark of an extract export.
_SIGNATURE_MARKS = frozenset({"", "true", "false", "ja", "nee", "waar", "onwaar", "yes", "no", "1", "0"})


class _Problem(Exception):
    """What is wrong with one value; turned into a RecordError with source, row and field."""


@dataclass(frozen=True, slots=True)
class _TextRule:
    name: str
    multiline: bool
    max_length: int


@dataclass(frozen=True, slots=True)
class _DateRule:
    name: str


_Rule = _TextRule | _DateRule


class Coercer:
    """Coerces raw records for one spec. Build it once (or get the shared one with
    :func:`coercer_for`); per record it only does the work the values need.

    ``raw`` maps contract field names to values: ``str``, ``int``, ``float``,
    ``datetime.date``/``datetime.datetime`` (date fields), a list of strings (multiline
    fields) or ``None``. Missing keys are empty fields.
    """

    __slots__ = ("_ascii_drawable", "_drawable", "_names", "_order", "_rules", "_signatures", "_undrawable")

    def __init__(self, spec: FormSpec) -> None:
        rules: dict[str, _Rule] = {}
        for f in spec.value_fields:
            if f.kind is FieldKind.DATE:
                rules[f.name] = _DateRule(f.name)
            else:
                rules[f.name] = _TextRule(f.name, f.multiline, f.max_length)
        self._rules = rules
        self._names = tuple(rules)
        self._order = {name: i for i, name in enumerate(rules)}
        self._signatures = frozenset(f.name for f in spec.signature_fields)
        drawable = set(spec.coverage) | set(GLYPH_STAND_INS) | set(INVISIBLE) | {"\n"}
        self._drawable = frozenset(drawable)
        self._undrawable = re.compile(f"[^{_char_class(drawable)}]")
        # the ASCII characters a value may hold, as bytes: an ASCII text is checked by
        # deleting these from its bytes (a C loop, quicker than the pattern's search)
        self._ascii_drawable = bytes(code for code in range(128) if chr(code) in drawable)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The text and date fields, in form order (the keys of every coerced record)."""
        return self._names

    def can_draw(self, ch: str) -> bool:
        """Whether one character may appear in a value (the font draws it, stands in for
        it, or it is invisible, or it is ``\\n``)."""
        return ch in self._drawable

    def coerce(self, raw: Mapping[str, object], *, row: int, source: str) -> dict[str, str]:
        """All text and date fields of ``raw`` as form text; the first problem raises
        :class:`RecordError` (``row``, ``field`` set; ``field`` is None for unknown keys)."""
        values, errors = self.check(raw, row=row, source=source, first_only=True)
        if errors:
            raise errors[0]
        assert values is not None
        return values

    def check(
        self, raw: Mapping[str, object], *, row: int, source: str, first_only: bool = False, given_only: bool = False
    ) -> tuple[dict[str, str] | None, list[RecordError]]:
        """Like :meth:`coerce`, but collects every bad field (one error per field, in form
        order, unknown keys last): ``(values, [])`` or ``(None, errors)``.

        ``given_only`` checks only the fields that are keys of ``raw`` and returns only
        those (in form order): for a record's key or file-name fields, looked at before the
        record is filled, without going over every field of the form."""
        errors: list[RecordError] = []
        values: dict[str, str] = {}
        rules = self._rules
        for name, rule in (self._given(raw) if given_only else rules.items()):
            value = raw.get(name)
            if value is None or value == "":
                values[name] = ""
                continue
            try:
                values[name] = self._text(rule, value) if isinstance(rule, _TextRule) else _date(value)
            except _Problem as exc:
                errors.append(_error(source, row, name, str(exc)))
                if first_only:
                    return None, errors
        if any(k not in rules for k in raw):
            errors.extend(self._extra_keys(raw, row=row, source=source))
        return (None, errors) if errors else (values, [])

    def _given(self, raw: Mapping[str, object]) -> list[tuple[str, _Rule]]:
        """The (name, rule) pairs of the fields that are keys of ``raw``, in form order."""
        rules = self._rules
        given = [name for name in raw if name in rules]
        if len(given) > 1:
            given.sort(key=self._order.__getitem__)
        return [(name, rules[name]) for name in given]

    def _extra_keys(self, raw: Mapping[str, object], *, row: int, source: str) -> list[RecordError]:
        errors = []
        unknown = []
        for key, value in raw.items():
            if key in self._rules:
                continue
            if key in self._signatures:
                if not _is_signature_mark(value):
                    errors.append(
                        _error(
                            source,
                            row,
                            key,
                            N_(
                                "a signature cannot be filled in from data (it is signed on paper or "
                                "in the PDF); leave it empty"
                            ),
                        )
                    )
                continue
            unknown.append(key)
        if unknown:
            errors.append(
                RecordError(N_("{source}, row {row}: unknown field(s) {fields}").format(source=source, row=row, fields=", ".join(unknown)), row=row, field=None)
            )
        return errors

    def _text(self, rule: _TextRule, value: object) -> str:
        if isinstance(value, str):
            text = value
        elif isinstance(value, list | tuple):
            if not rule.multiline:
                raise _Problem(N_("a list of values is only allowed in a multiline field"))
            text = _numbered(value)
        else:
            text = _scalar_text(value)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if any(map(text.__contains__, _OTHER_BREAK_CHARS)):  # five scans: quicker than a set's look-up per character
            text = _LINE_BREAKS.sub("\n", text)
        if not text.isascii() and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        if "\t" in text:
            text = text.replace("\t", " ")
        if rule.multiline:
            text = trim_multiline(text)
        else:
            text = text.strip()
            if "\n" in text:
                raise _Problem(N_("a line break in a one-line field"))
        if len(text) > rule.max_length:
            raise _Problem(N_("{count} characters, at most {limit} fit this field").format(count=len(text), limit=rule.max_length))
        if text.isascii() and not text.encode("ascii").translate(None, self._ascii_drawable):
            bad = None
        else:
            bad = self._undrawable.search(text)
        if bad is not None:
            chars = list(dict.fromkeys(self._undrawable.findall(text)))
            shown = ", ".join(_describe(ch) for ch in chars[:5]) + (", …" if len(chars) > 5 else "")
            if len(chars) == 1:
                raise _Problem(N_("the form's font cannot draw the character {characters}").format(characters=shown))
            raise _Problem(N_("the form's font cannot draw the characters {characters}").format(characters=shown))
        return text


def trim_multiline(text: str) -> str:
    """A multiline value as it is kept: no trailing white space on any line, no blank lines
    at the start or the end; indentation and inner spaces stay."""
    if "\n" not in text:
        return text.rstrip()
    lines = [line.rstrip() for line in text.split("\n")]
    start, end = 0, len(lines)
    while start < end and not lines[start]:
        start += 1
    while end > start and not lines[end - 1]:
        end -= 1
    return "\n".join(lines[start:end])


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        raise _Problem(N_("a true/false value where text is expected"))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Problem(N_("a number that is not finite where text is expected"))
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        raise _Problem(N_("a date or time cell in a text field (format the cell as text)"))
    raise _Problem(N_("a value of type {type} where text is expected").format(type=type(value).__name__))


def _numbered(items: Sequence[object]) -> str:
    texts = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, list | tuple | dict):
            raise _Problem(N_("a list item is itself a list or an object"))
        text = item if isinstance(item, str) else _scalar_text(item)
        text = _LINE_BREAKS.sub("\n", text).strip()
        if text:
            texts.append(text)
    return "\n".join(f"{i}. {text}" for i, text in enumerate(texts, 1))


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _error(source: str, row: int, field: str, problem: str) -> RecordError:
    return RecordError(N_("{source}, row {row}, {field}: {problem}").format(source=source, row=row, field=field, problem=problem), row=row, field=field)


def _is_signature_mark(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return value in (0, 1)
    return isinstance(value, str) and value.strip().casefold() in _SIGNATURE_MARKS


def _char_class(chars: set[str]) -> str:
    """A regex character class body matching exactly ``chars``, as ranges."""
    codes = sorted(ord(c) for c in chars)
    parts = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# Dates


def to_iso_date(value: object) -> str:
    """A date value as ISO ``YYYY-MM-DD``; ``None`` and blank text give ``""``.

    Accepted: ``datetime.date`` / ``datetime.datetime`` (an Excel date cell; the time of day
    is ignored); an Excel serial day number as ``int`` or ``float`` (1900 date system);
    text ``YYYY-MM-DD``, ``DD-MM-YYYY`` or ``D-M-YYYY`` with ``-``, ``/`` or ``.`` (one
    separator throughout; day before month, as in Dutch, never month first), optionally
    followed by a midnight time (``2027-02-15 00:00:00``, as some exports write dates);
    and a Dutch month name (``15 februari 2027``, ``15 feb. 2027``). Years must be
    written in full and lie in ``MIN_YEAR``–``MAX_YEAR``.

    Raises ``ValueError`` with a message that does not repeat the value.
    """
    try:
        return _date(value)
    except _Problem as exc:
        raise ValueError(str(exc)) from None


def _date(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise _Problem(N_("a true/false value where a date is expected"))
    if isinstance(value, dt.datetime):
        return _checked(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return _checked(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return _excel_serial(value)
    if not isinstance(value, str):
        raise _Problem(N_("a value of type {type} where a date is expected").format(type=type(value).__name__))
    text = value.strip()
    if not text:
        return ""
    if m := _ISO.fullmatch(text):
        return _checked(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    if m := _DMY.fullmatch(text):
        return _checked(int(m.group(4)), int(m.group(3)), int(m.group(1)))
    if _SHORT_YEAR.fullmatch(text) or _SHORT_YEAR_WORDS.fullmatch(text):
        raise _Problem(N_("a date with a two-digit year; write the year in full (DD-MM-YYYY)"))
    if (m := _WORDS.fullmatch(text)) and m.group(2).casefold() in _MONTHS:
        return _checked(int(m.group(3)), _MONTHS[m.group(2).casefold()], int(m.group(1)))
    raise _Problem(N_("not a date in a known format (write YYYY-MM-DD or DD-MM-YYYY)"))


def _checked(year: int, month: int, day: int) -> str:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Problem(N_("a date outside the years {start}–{end}").format(start=MIN_YEAR, end=MAX_YEAR))
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise _Problem(N_("an impossible date (no such day in that month)")) from None
    return date.isoformat()


def _excel_serial(serial: float) -> str:
    if isinstance(serial, float) and not math.isfinite(serial):
        raise _Problem(N_("a number that is no date"))
    days = math.floor(serial)
    if days < 1 or days > _EXCEL_MAX_SERIAL or days == 60:
        raise _Problem(N_("a number that is no Excel date"))
    if days < 60:
        days += 1  # before Excel's phantom 1900-02-29
    date = _EXCEL_EPOCH + dt.timedelta(days=days)
    return _checked(date.year, date.month, date.day)


# ---------------------------------------------------------------------------------------
# Shared per-spec coercers

_COERCERS: dict[int, tuple[FormSpec, Coercer]] = {}


def coercer_for(spec: FormSpec) -> Coercer:
    """The shared :class:`Coercer` of ``spec`` (built on first use, then reused)."""
    # FormSpec holds mappings and is not hashable; key on identity and keep the spec alive
    # with its coercer, so the id is never reused by another spec.
    entry = _COERCERS.get(id(spec))
    if entry is None or entry[0] is not spec:
        entry = (spec, Coercer(spec))
        _COERCERS[id(spec)] = entry
    return entry[1]


def coerce_record(raw: Mapping[str, object], spec: FormSpec, *, row: int, source: str) -> dict[str, str]:
    """Every text and date field of ``spec`` as the exact text for the form (missing → "");
    the first bad value raises :class:`RecordError` naming ``source``, ``row`` and the field."""
    return coercer_for(spec).coerce(raw, row=row, source=source)


def check_record(
    raw: Mapping[str, object], spec: FormSpec, *, row: int, source: str
) -> tuple[dict[str, str] | None, list[RecordError]]:
    """Like :func:`coerce_record`, but reports every bad field: ``(values, [])`` when the
    record is good, ``(None, errors)`` with one error per bad field otherwise."""
    return coercer_for(spec).check(raw, row=row, source=source)
