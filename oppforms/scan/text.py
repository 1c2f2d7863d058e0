"""Comparing what a scan reads with what was issued, and turning OCR lines into values.

Pure functions, no images: easy to test on their own.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Sequence

from ..fonts import FontMetrics
from ..typeset import wrap

#: Typographic variants a reader cannot be asked to tell apart on paper: quotes, dashes,
#: ellipsis, spaces. Compared as their plain form (the value kept is always the issued one).
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u2007": " ", "\u202f": " ",
    }
)
_DATE = re.compile(r"^\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{4})\s*$")


def normalise_space(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """White space collapsed, typographic quotes and dashes made plain, ``…`` as ``...``."""
    return normalise_space(text).translate(_FOLD).replace("\u2026", "...")


def agrees(read: str, issued: str, alphabet: frozenset[str] | None) -> bool:
    """True when the text read from a scan agrees with the issued value: equal after
    :func:`fold`, except where the issued text has characters the OCR engine cannot
    produce at all (``alphabet``): there the engine's guess (at most one character more)
    is not held against it. Every character the engine can produce must match."""
    a, b = fold(read), fold(issued)
    if a == b:
        return True
    if alphabet is None or not a or not b:
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        issued_part = b[j1:j2]
        if not issued_part or any(ch in alphabet for ch in issued_part):
            return False
        if i2 - i1 > j2 - j1 + 1:
            return False
    return True


def first_difference(read: str, issued: str, context: int = 24) -> tuple[str, str]:
    """The two texts around where they first differ (after folding), for a reviewer."""
    a, b = fold(read), fold(issued)
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    start = max(0, i - context)

    def cut(s: str) -> str:
        piece = s[start : i + context]
        return ("…" if start else "") + piece + ("…" if i + context < len(s) else "")

    return cut(a), cut(b)


def parse_date(text: str) -> str | None:
    """``DD-MM-YYYY`` as printed on the form → ISO ``YYYY-MM-DD``; None when it is not a
    real date."""
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    except ValueError:
        return None


def shown_date(iso: str) -> str:
    """ISO → ``DD-MM-YYYY`` as the form shows it."""
    if len(iso) == 10 and iso[4] == "-" and iso[7] == "-":
        return f"{iso[8:10]}-{iso[5:7]}-{iso[0:4]}"
    return iso


def marker_pattern(marker: str) -> re.Pattern[str]:
    """A pattern for the continuation marker (``» vervolg op pagina {page}``) at the end
    of a box's text, tolerant of how OCR renders the guillemet and spacing."""
    before, _, after = marker.partition("{page}")
    words = re.escape(before.strip().lstrip("»").strip()).replace(r"\ ", r"\s+")
    return re.compile(r"\s*[»>«]*\s*" + words + r"\s*(\d+)\s*" + re.escape(after.strip()) + r"\s*$", re.IGNORECASE)


def rebuild_paragraphs(
    lines: Sequence[str], metrics: FontMetrics, width: float, sizes: Sequence[float], *, near: float | None = None
) -> tuple[str, float] | None:
    """The text as typed from the lines a box shows: where a line ends although the next
    line's first word would have fitted on it, the typist pressed Enter (``\\n``); else the
    line was wrapped (a space). Returns the text whose wrapping, at one of ``sizes`` (in
    points) and ``width`` (points), gives exactly ``lines``; None when no size does (then
    the lines are not what the wrapping of any text would give: a misread, or a hand),
    with the size that gives them. Sizes are tried nearest to ``near`` first (the size the
    print measures), since several sizes may wrap a text the same way."""
    lines = [line.strip() for line in lines]
    if not lines:
        return "", sizes[0]
    if near is not None:
        sizes = sorted(sizes, key=lambda s: abs(s - near))
    for size in sizes:
        limit = width
        parts = [lines[0]]
        for prev, line in zip(lines, lines[1:], strict=False):
            first = line.split(" ")[0] if line else ""
            gap = metrics.width(" " + first, size)
            fits = metrics.width(prev, size) + gap <= limit + 1e-6
            parts.append(("\n" if fits or not line else " ") + line)
        text = "".join(parts)
        again = [w.text for w in wrap(text, metrics, size, width)]
        if [a.strip() for a in again] == lines:
            return text, size
    return None


_SENTENCE_END = re.compile(r"[.!?:;)]$")
_NEW_START = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞİŁŞÇ]|\d+[.)]|[-•–—*])")


def unsure_breaks(lines: Sequence[str], metrics: FontMetrics, width: float, size: float) -> int:
    """How many line ends that :func:`rebuild_paragraphs` reads as wrapping (a space) could
    as well be a typed Enter: the next word would not have fitted anyway, the line ends a
    sentence and the next begins like a new one (a capital, ``2.``, a dash). The paper
    cannot show the difference there."""
    count = 0
    lines = [line.strip() for line in lines]
    for prev, line in zip(lines, lines[1:], strict=False):
        if not line:
            continue
        first = line.split(" ")[0]
        fits = metrics.width(prev, size) + metrics.width(" " + first, size) <= width + 1e-6
        if not fits and _SENTENCE_END.search(prev) and _NEW_START.match(line):
            count += 1
    return count
