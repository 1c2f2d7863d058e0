"""The SMART check: goals without a measurable criterion or a time frame, and actions
without a frequency. It warns, it never refuses: a goal is the school's to write.

The form asks that goals ("Begeleidingsdoelen") be formulated SMART. What a program can
see in a sentence is narrow, so the check looks for two things only, per goal:

- a **measurable criterion**: a number (``een 6``, ``5,5``, ``80%``, ``3 keer``), a
  number word (``drie keer``, ``twee``), a grade word (``voldoende``, ``onvoldoende``),
  a percentage or a share (``de helft``, ``9 van de 10``), a count (``alle toetsen``,
  ``geen enkele keer``, ``minimaal``, ``hooguit``);
- a **time frame**: a date (``1 oktober 2026``, ``15-01-2027``), a month, a period or
  week (``periode 2``, ``na 6 weken``, ``toetsweek``), a school moment (``kerstvakantie``,
  ``eind van het schooljaar``, ``tussenevaluatie``), or ``vanaf``/``vóór``/``uiterlijk``
  with one of those.

A number that is part of the time frame (the 6 of ``na 6 weken``) is no measurable
criterion. For the actions (``acties.<wie>.*``), a filled-in action whose
``frequentie`` cell is empty or names no frequency or moment (``wekelijks``, ``elke
les``, ``op maandag``, ``2 keer per week``) is warned about.

What it cannot judge: whether the goal is specific, acceptable or realistic (the S, A
and R), whether the number measures the right thing, whether a date is sensible, or
anything said in other words than these. A goal that passes is not thereby SMART, and a
warning may be wrong for a goal phrased in a way the check does not know.

Goals are the numbered items of a cell (``1. …``, ``2) …``); text before the first
number is an introduction and is not checked. A cell without numbers is one goal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .spec import FormSpec, current_spec

__all__ = ["SmartWarning", "check_smart", "split_goals"]

Missing = Literal["measure", "time", "frequency"]

_NUMBER_WORDS = (
    "een half|half|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|"
    "vijftien|twintig|dertig|veertig|vijftig|honderd|eerste|tweede|derde|vierde|vijfde"
)
_MONTHS = (
    "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
    "jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec"
)
_WEEKDAYS = "maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag"
_UNITS = (
    r"(?:minuut|minuten|uur|uren|dag|dagen|schooldag|schooldagen|week|weken|maand|maanden|jaar|jaren|"
    r"periode|periodes|perioden|lesweek|lesweken|schoolweek|schoolweken)"
)

#: Time frames. Each found span is removed before looking for a measurable criterion.
_TIME_PARTS = (
    r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b",  # 15-01-2027
    r"\b\d{4}-\d{2}-\d{2}\b",  # 2027-01-15
    rf"\b(?:\d{{1,2}}\s+)?(?:{_MONTHS})\b(?:\s+\d{{4}})?",  # (1) oktober (2026)
    r"\b(?:school)?jaar\s*\d{4}(?:\s*[-/–]\s*\d{2,4})?\b",
    r"\b\d{4}\s*[-/–]\s*\d{4}\b",  # 2026-2027
    rf"\b(?:na|binnen|over|in|per|elke|iedere|om de)\s+(?:\d+|een|{_NUMBER_WORDS})\s+{_UNITS}\b",
    rf"\b(?:per|elke|iedere|elk|ieder)\s+{_UNITS}\b",  # elke week, per periode
    r"\b(?:na|bij|voor|vóór|tijdens)\s+(?:elke|iedere|elk|ieder)\s+\w+",  # na elke toets
    r"\b(?:periode|trimester|semester|blok|kwartaal|leerjaar|klas)\s*\d+\b",
    rf"\b(?:{_NUMBER_WORDS})\s+(?:periode|trimester|semester|kwartaal)\b",
    r"\bweek\s*\d+\b",
    r"\b(?:toetsweek|toetsweken|rapport\w*|tussenevaluatie|eindevaluatie|evaluatie\w*|"
    r"herfstvakantie|kerstvakantie|voorjaarsvakantie|meivakantie|zomervakantie|vakantie|"
    r"schooljaar|schooljaren|periode|trimester|semester|kwartaal|dagelijks|wekelijks|"
    r"maandelijks|jaarlijks|deadline|datum|morgen|vandaag|leerjaar)\b",
    rf"\b(?:{_WEEKDAYS})\w*\b",
    rf"\b(?:eind|einde|begin|start|halverwege|midden)\s+(?:van\s+)?(?:de\s+|het\s+)?(?:{_UNITS}|schooljaar|jaar)\b(?:\s*\d+\b)?",
)
_TIME = re.compile("|".join(_TIME_PARTS), re.IGNORECASE)

#: Measurable criteria, looked for after the time frames are taken out.
_MEASURE_PARTS = (
    r"\d",  # any number left: a grade, a count, a score
    r"%",
    r"\bprocent\b",
    rf"\b(?:{_NUMBER_WORDS})\b",
    r"\b(?:voldoende|onvoldoende|ruim voldoende|goed|zeer goed|uitstekend)\b",
    r"\b(?:minimaal|maximaal|minstens|hooguit|hoogstens|ten minste|tenminste|niet meer dan|"
    r"niet minder dan|meer dan|minder dan|alle|elke|iedere|geen enkele|nooit|altijd|"
    r"de helft|een kwart|gemiddeld|score|cijfer|niveau|keer|aantal)\b",
)
_MEASURE = re.compile("|".join(_MEASURE_PARTS), re.IGNORECASE)

#: A frequency or a moment for an action.
_FREQUENCY_PARTS = (
    r"\d",
    rf"\b(?:{_NUMBER_WORDS})\b",
    r"\b(?:dagelijks|wekelijks|maandelijks|jaarlijks|tweewekelijks|elke|iedere|per|om de|"
    r"keer|keren|altijd|steeds|telkens|na|voor|vóór|bij|tijdens|wanneer|als|zodra|"
    r"periode|week|weken|maand|les|lessen|uur|pauze|ochtend|middag|avond|toetsweek|"
    r"evaluatie|tussenevaluatie|vakantie|schooltijd)\b",
    rf"\b(?:{_WEEKDAYS})\w*\b",
    rf"\b(?:{_MONTHS})\b",
)
_FREQUENCY = re.compile("|".join(_FREQUENCY_PARTS), re.IGNORECASE)

_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-•*–])\s+", re.MULTILINE)

# The patterns above are what the check means; it runs them on text folded to lower case
# (:func:`_fold`), case-sensitively: matching every character without regard to case took
# most of the check's time. Folding keeps every character's place, so the spans found are
# the same. Every time frame starts a word with a word character, so its leading ``\b``
# is written as "no word character before": the same places, found faster.
_FOLD_FIXES = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def _fold(text: str) -> str:
    """``text`` in lower case, one character for one, as the patterns' IGNORECASE sees it:
    ``İ`` (whose ``lower()`` is two characters), dotless ``ı`` and long ``ſ`` become ``i``,
    ``i`` and ``s``, which they match when case is ignored."""
    if not text.isascii() and ("\u0130" in text or "\u0131" in text or "\u017f" in text):
        text = text.translate(_FOLD_FIXES)
    return text.lower()


def _folded(parts: tuple[str, ...]) -> re.Pattern[str]:
    """``parts`` as one pattern for folded text: those that start with ``\\b`` (each then
    starts with a word character) grouped behind one "no word character before", after
    the others. The same spans for the time frames (all of them start so, in their
    order); for the others only whether there is a match counts. The grouped parts are
    written as a tree on their first two characters (:func:`_tree`): the regex engine tries
    the alternatives of a group one by one at every word, and a hundred words tried at
    every word was most of the check's time."""
    loose = [p for p in parts if not p.startswith(r"\b")]
    words = [a for p in parts if p.startswith(r"\b") for a in _expand(p[2:])]
    return re.compile("|".join([*loose, r"(?<!\w)(?=\w)(?:" + _tree(words, 2) + ")"]))


def _group_end(pattern: str, start: int) -> int:
    """The index of the ``)`` that closes the group opening at ``start``."""
    depth, i = 0, start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: up to its unescaped "]" (a "]" first in it is a member)
            i += 2 if pattern[i + 1 : i + 2] == "]" else 1
            while pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(pattern)


def _split(body: str) -> list[str]:
    """The top-level alternatives of a group's body."""
    out, depth, i, last = [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = body.index("]", i + 2 if body[i + 1 : i + 2] == "]" else i + 1)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(body[last:i])
            last = i + 1
        i += 1
    return [*out, body[last:]]


def _expand(pattern: str) -> list[str]:
    """``pattern`` as a list of alternatives, in the order the engine tries them, none
    starting with a group: ``(?:a|b)c`` is ``ac|bc``, ``(?:a)?b`` is ``ab|b`` (tried in
    that order, backtracking the same way: the same first match)."""
    if not pattern.startswith("(?:"):
        return [pattern]
    end = _group_end(pattern, 0)
    body, rest = pattern[3:end], pattern[end + 1 :]
    if rest[:1] in {"*", "+", "{"} or rest[:2] in {"??", "?+"}:
        return [pattern]
    if rest[:1] == "?":
        return [*(a for alt in _split(body) for a in _expand(alt + rest[1:])), *_expand(rest[1:])]
    return [a for alt in _split(body) for a in _expand(alt + rest)]


def _first(alternative: str) -> str | None:
    """What an alternative starts with for :func:`_tree`: a literal character (not
    quantified), ``\\d``, or None when it is anything else."""
    if alternative.startswith(r"\d"):
        return r"\d"
    if not alternative or alternative[0] in "\\[](){}|.^$*+?" or alternative[1:2] in {"*", "+", "?", "{"}:
        return None
    return alternative[0]


_DIGITS = re.compile(r"\\d(?:\{(\d+)(?:,(\d+))?\}|(\+)|(\*))?")


def _after_digit(alternative: str) -> str:
    """An alternative that starts with ``\\d`` (and a greedy count) less one digit:
    ``\\d{1,2}x`` is ``\\d\\d?x``, ``\\d{4}x`` is ``\\d\\d{3}x``, ``\\d+x`` is ``\\d\\d*x``, tried
    the same way. So the group of the alternatives that start with a digit can start with
    ``\\d`` itself, which the engine checks before it enters the group: a word that starts
    with a letter then costs one look at its first character, not four tries."""
    m = _DIGITS.match(alternative)
    if m is None or alternative[m.end() : m.end() + 1] in {"?", "+"}:  # not greedy, or possessive
        raise ValueError(alternative)
    low, high, plus, star = m.groups()
    rest = alternative[m.end() :]
    if star:
        raise ValueError(alternative)  # "\\d*" may match no digit at all
    if plus:
        return r"\d*" + rest
    if low is None:
        return rest
    lo = int(low) - 1
    if lo < 0:
        raise ValueError(alternative)
    hi = lo if high is None else int(high) - 1
    if hi == lo:
        return (r"\d" * lo if lo < 2 else rf"\d{{{lo}}}") + rest
    return (r"\d?" if (lo, hi) == (0, 1) else rf"\d{{{lo},{hi}}}") + rest


def _tree(alternatives: list[str], depth: int) -> str:
    """``a1|a2|…`` grouped on the first character, ``x(?:…)|y(?:…)``, to ``depth``
    levels. At a given place only the alternatives starting with the character there can
    match, so grouping them, each group in the original order, finds the same first match;
    when any alternative starts with something else the list is left as it is."""
    firsts = [_first(a) for a in alternatives]
    if depth == 0 or len(alternatives) < 2 or None in firsts:
        return "|".join(alternatives)
    if r"\d" in firsts and any(f.isdecimal() for f in firsts if f != r"\d"):  # type: ignore[union-attr]
        return "|".join(alternatives)
    groups: dict[str, list[str]] = {}
    for first, alternative in zip(firsts, alternatives, strict=True):
        groups.setdefault(first, []).append(alternative)  # type: ignore[arg-type]
    out = []
    for first, members in groups.items():
        if first == r"\d":
            out.append(r"\d(?:" + "|".join(_after_digit(m) for m in members) + ")")
        else:
            out.append(first + "(?:" + _tree([m[1:] for m in members], depth - 1) + ")")
    return "|".join(out)


class _Presence:
    """Whether folded text holds any of ``parts`` (measures, frequencies: only presence
    counts). The one-character parts (``\\d``, ``%``) are one character class, which the
    engine finds by its quick scan for a class; the other parts, as :func:`_folded` groups
    them, are looked for only when none of those characters is there. The same answer as
    one pattern of all the parts (a text holds one of several alternatives when it holds
    one of them). The check runs its bytes form (:class:`_BytesPresence`), made from this
    one; this one is what the tests hold to the patterns as written."""

    __slots__ = ("chars", "words")

    def __init__(self, parts: tuple[str, ...]) -> None:
        single = [p for p in parts if p in (r"\d", "%")]
        self.chars = re.compile("[" + "".join(single) + "]") if single else None
        self.words = _folded(tuple(p for p in parts if p not in single))

    def search(self, text: str) -> bool:
        return (self.chars is not None and self.chars.search(text) is not None) or self.words.search(text) is not None


_TIME_FOLDED = _folded(_TIME_PARTS)
_MEASURE_FOLDED = _Presence(_MEASURE_PARTS)
_FREQUENCY_FOLDED = _Presence(_FREQUENCY_PARTS)


# The check runs the folded patterns on bytes. Most of its time went to the regex engine
# trying the patterns at every character and asking the Unicode database of each whether
# it is a letter, a digit or a space. So every character of the folded text becomes one
# byte that the patterns compiled for bytes (where \w, \d and \s are ASCII classes, looked
# up in a table) see as the str patterns see the character: ASCII as it is, each
# character the patterns name (é, ó, –) a byte of its own, any other its class ("0" a
# digit, "X" another word character, " " white space, DEL anything else). And a pattern
# is tried only after a byte that is no word character (the engine finds those with a
# table), not at every character. The same spans and answers as the str patterns (tested
# against the patterns as written). With the digit alternatives grouped (_after_digit), a third
# fewer instructions on the sample goals (0.81 million a record against 1.26, valgrind), a fifth
# less time.

_WORD_CHAR, _DIGIT_CHAR, _SPACE_CHAR = re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")


def _named_bytes() -> dict[str, str]:
    """The characters beyond ASCII the patterns name, each with its byte: a letter an
    upper-case ASCII letter (folded text has none; "X" is kept for other letters), any
    other a control character."""
    named = sorted({ch for p in (*_TIME_PARTS, *_MEASURE_PARTS, *_FREQUENCY_PARTS) for ch in p if not ch.isascii()})
    letters, controls = iter("ABCDEFGHIJKLMNOPQRSTUVW"), iter(map(chr, range(1, 9)))
    return {ch: next(letters) if _WORD_CHAR.match(ch) else next(controls) for ch in named}


_NAMED = _named_bytes()
_PLACEHOLDERS = tuple(b for b in _NAMED.values() if not b.isalpha())  # control bytes standing for named signs


def _class_byte(ch: str) -> str:
    """The byte for one folded character. The text's own control bytes that stand for
    named signs are DEL (a sign the patterns do not name, like DEL)."""
    if ch in _NAMED:
        return _NAMED[ch]
    if ch in _PLACEHOLDERS:
        return "\x7f"
    if ch.isascii():  # as it is, but for \x1c-\x1f: white space to str patterns, not to bytes ones
        return " " if _SPACE_CHAR.match(ch) else ch
    if _DIGIT_CHAR.match(ch):
        return "0"
    if _WORD_CHAR.match(ch):
        return "X"
    return " " if _SPACE_CHAR.match(ch) else "\x7f"


#: Latin-1 text as the patterns read it, folded and classed in one step
_FOLD_TABLE = bytes(ord(_class_byte(_fold(chr(b)))) for b in range(256))
_WIDE: dict[str, int] = {}  # characters beyond Latin-1 → their byte


def _to_bytes(text: str) -> bytes:
    """``_fold(text)`` as the bytes patterns read it, one byte for one character."""
    try:
        return text.encode("latin-1").translate(_FOLD_TABLE)
    except UnicodeEncodeError:
        pass
    # Each character beyond Latin-1 (a name's ş, a typed ’) is a "?" in Latin-1, and its
    # byte is put in its place: folded and classed on its own, as _FOLD_TABLE does those
    # of Latin-1 (the patterns see each character alone: folding the text whole gives every
    # character the same class, İ, whose lower case is two characters, folded to i). Folding
    # the text whole and an encoding error handler for these characters took 3.6 times the
    # instructions on the sample goals, most of which have one (valgrind).
    latin = text.encode("latin-1", "replace")
    data = bytearray(latin.translate(_FOLD_TABLE))
    at = latin.find(b"?")
    while at >= 0:
        ch = text[at]
        if ch != "?":
            byte = _WIDE.get(ch)
            if byte is None:
                byte = _WIDE[ch] = ord(_class_byte(_fold(ch)))
            data[at] = byte
        at = latin.find(b"?", at + 1)
    return bytes(data)


def _on_bytes(pattern: re.Pattern[str]) -> re.Pattern[bytes]:
    """A grouped pattern of :func:`_folded` (all of whose parts start at a word) for the
    bytes of :func:`_to_bytes`, starting with the byte before the word: searched in the
    text with a space in front, it finds the same words, one byte earlier."""
    head = r"(?<!\w)(?=\w)(?:"
    if not pattern.pattern.startswith(head):
        raise ValueError("only a pattern whose every part starts at a word")
    body = pattern.pattern[len(head) :]
    for ch, byte in _NAMED.items():
        body = body.replace(ch, byte)
    return re.compile(rb"[^0-9A-Za-z_](?:" + body.encode("ascii"))


class _BytesPresence:
    """:class:`_Presence` on bytes with a space in front: the one-character parts as a
    class, the others after a byte that is no word character."""

    __slots__ = ("chars", "words")

    def __init__(self, presence: _Presence) -> None:
        chars = presence.chars.pattern if presence.chars is not None else None
        if chars not in (None, r"[\d%]", r"[\d]"):
            raise ValueError(chars)
        self.chars = None if chars is None else re.compile(b"[0-9%]" if "%" in chars else b"[0-9]")
        self.words = _on_bytes(presence.words)

    def search(self, data: bytes) -> bool:
        return (self.chars is not None and self.chars.search(data) is not None) or self.words.search(data) is not None


_TIME_BYTES = _on_bytes(_TIME_FOLDED)
_MEASURE_BYTES = _BytesPresence(_MEASURE_FOLDED)
_FREQUENCY_BYTES = _BytesPresence(_FREQUENCY_FOLDED)


_FIELDS: dict[int, tuple[FormSpec, tuple[str, ...], tuple[tuple[str, str], ...]]] = {}


def _checked_fields(spec: FormSpec) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The goal fields, and the (actions, frequency) field pairs, of ``spec`` (worked out
    once; keyed on identity as :func:`oppforms.values.coercer_for` does, the spec kept alive)."""
    entry = _FIELDS.get(id(spec))
    if entry is not None and entry[0] is spec:
        return entry[1], entry[2]
    names = [f.name for f in spec.value_fields]
    goals = tuple(name for name in names if name.startswith("doelen."))
    actions = tuple(
        (name, name.removesuffix(".acties") + ".frequentie")
        for name in names
        if name.startswith("acties.") and name.endswith(".acties") and name.removesuffix(".acties") + ".frequentie" in names
    )
    _FIELDS[id(spec)] = (spec, goals, actions)
    return goals, actions


@dataclass(frozen=True, slots=True)
class SmartWarning:
    """A goal or action that may not be SMART. ``goal`` is the 1-based goal within the
    cell (0 for an action), ``missing`` what was not found. The message names the field
    and the goal's number, never its text, so it may be shown and logged."""

    field: str
    goal: int
    missing: Missing

    def __str__(self) -> str:
        where = f"{self.field}, goal {self.goal}" if self.goal else self.field
        what = {
            "measure": "no measurable criterion (a number, grade, percentage or count)",
            "time": "no time frame (a date, period or week, such as 'na 6 weken' or 'eind periode 2')",
            "frequency": "the action says not how often or when (such as 'wekelijks' or 'op maandag')",
        }[self.missing]
        return f"{where}: {what}"


def _items(text: str) -> list[tuple[int, int]]:
    """The spans of the item markers in ``text``, as ``_ITEM.finditer`` finds them: tried
    only where a line starts (``^`` holds nowhere else), from where the last one ended."""
    spans: list[tuple[int, int]] = []
    start = until = 0
    while True:
        if start >= until and (m := _ITEM.match(text, start)) is not None:
            spans.append(m.span())
            until = m.end()
        newline = text.find("\n", start)
        if newline < 0:
            return spans
        start = newline + 1


def split_goals(text: str) -> list[str]:
    """The goals of one cell: its numbered (or bulleted) items, or the whole text when it
    has none. Text before the first item is an introduction and is left out."""
    text = text.strip()
    if not text:
        return []
    starts = [a for a, _ in _items(text)]
    if not starts:
        return [text]
    return [text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def _bodies(value: str) -> list[bytes]:
    """What :func:`_missing` looks at in each goal of a cell, as the bytes patterns read it:
    ``[_to_bytes(_ITEM.sub("", goal, count=1)) for goal in split_goals(value)]``, with the
    cell made bytes once and each goal's text after its marker taken from them (the
    marker's trailing whitespace runs to the goal's text, so that is the same text; a
    marker with nothing after it is the one case it is not, and is done as written)."""
    text = value.strip()
    if not text:
        return []
    items = _items(text)
    data = _to_bytes(text)  # one byte for each character: the same places
    if not items:
        return [data]  # no marker anywhere: the substitution changes nothing
    out = []
    for (start, end), stop in zip(items, [*(a for a, _ in items[1:]), len(text)], strict=True):
        body = data[end:stop].rstrip()  # white space is white space in bytes too (" " or as it was)
        out.append(body or _to_bytes(_ITEM.sub("", text[start:stop].strip(), count=1)))
    return out


def _missing(body: bytes) -> list[Missing]:
    """What one goal (from :func:`_bodies`) lacks: each time frame is taken out (as
    ``_TIME_FOLDED.sub(" ", …)`` does) before a measure is looked for."""
    data = b" " + body
    pieces, last = [], 0
    for m in _TIME_BYTES.finditer(data):  # each match starts with the byte before the time frame
        start = m.start() + 1
        pieces.append(data[last:start])
        last = m.end()
    out: list[Missing] = []
    if not _MEASURE_BYTES.search(b" ".join([*pieces, data[last:]]) if pieces else data):
        out.append("measure")
    if not pieces:
        out.append("time")
    return out


def check_smart(values: Mapping[str, object], spec: FormSpec | None = None) -> list[SmartWarning]:
    """Warnings for one record's goals (every ``doelen.*`` field) and actions (every
    ``acties.<wie>`` whose actions are filled in but whose ``frequentie`` names no
    frequency or moment). ``values`` are raw or coerced values by field name; lists (as
    JSON input gives multiline fields) count as numbered goals. Never raises for a value."""
    goal_fields, action_fields = _checked_fields(spec or current_spec())
    warnings: list[SmartWarning] = []
    for name in goal_fields:
        value = values.get(name)
        if isinstance(value, list):
            bodies = [_to_bytes(_ITEM.sub("", str(v), count=1)) for v in value if str(v).strip()]
        else:
            bodies = _bodies(str(value or ""))
        for i, body in enumerate(bodies, 1):
            warnings.extend(SmartWarning(name, i, m) for m in _missing(body))
    for name, frequency_field in action_fields:
        if not str(values.get(name) or "").strip():
            continue
        frequency = values.get(frequency_field)
        text = " ".join(map(str, frequency)) if isinstance(frequency, list) else str(frequency or "")
        if not _FREQUENCY_BYTES.search(b" " + _to_bytes(text)):
            warnings.append(SmartWarning(frequency_field, 0, "frequency"))
    return warnings
