"""Comparing what a scan reads with what was issued, and turning OCR lines into values.

Pure functions, no images: easy to test on their own.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..fonts import FontMetrics
from ..typeset import line_offsets, typed_breaks, wrap

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


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A box's text as typed, rebuilt from the lines it shows: the text, the size (points)
    whose wrapping gives those lines, and whether the lines' baselines stand where the
    form's own typesetter puts them (then a line end without a paragraph gap is a wrap
    for certain, not a typed break)."""

    text: str
    size: float
    laid_out: bool


#: How far (in points) a baseline may stand from where the form's layout puts it.
BASELINE_TOLERANCE = 1.2


def rebuild_paragraphs(
    lines: Sequence[str],
    metrics: FontMetrics,
    width: float,
    sizes: Sequence[float],
    *,
    near: float | None = None,
    drops: Sequence[float] | None = None,
    leading: float = 0.0,
    paragraph: float = 0.0,
) -> Rebuilt | None:
    """The text as typed from the lines a box shows. ``drops`` (points, one per line
    after the first) are how far each line's baseline lies below the one before: a drop
    of a pitch and a paragraph gap is a typed line break (``\n``; several for empty lines
    between, see :func:`oppforms.typeset.typed_breaks`). Where the drop shows no break, or
    is not known: when the next line's first word would have fitted on the line, the
    typist pressed Enter (a form filled by another program sets no gap), else the line was
    wrapped (a space). Returns the text whose wrapping, at one of ``sizes`` (points) and
    ``width`` (points), gives exactly ``lines``; None when no size does (the lines are not
    what the wrapping of any text would give: a misread, or a hand). Sizes are tried
    nearest to ``near`` first (the size the print measures); one whose layout puts the
    baselines where they are is preferred."""
    lines = [line.strip() for line in lines]
    if not lines:
        return Rebuilt("", sizes[0], False)
    if drops is not None and len(drops) != len(lines) - 1:
        raise ValueError("one drop per line after the first")
    if near is not None:
        sizes = sorted(sizes, key=lambda s: abs(s - near))
    fallback: Rebuilt | None = None
    for size in sizes:
        pitch, gap = size * leading, size * paragraph
        parts = [lines[0]]
        for i, (prev, line) in enumerate(zip(lines, lines[1:], strict=False)):
            breaks = typed_breaks(drops[i], pitch, gap) if drops is not None else 0
            if breaks:
                parts.append("\n" * breaks + line)
                continue
            first = line.split(" ")[0] if line else ""
            fits = metrics.width(prev, size) + metrics.width(" " + first, size) <= width + 1e-6
            parts.append(("\n" if fits or not line else " ") + line)
        text = "".join(parts)
        again = wrap(text, metrics, size, width)
        shown = [(w.text.strip(), y) for w, y in zip(again, line_offsets([w.para for w in again], pitch, gap), strict=True) if w.text.strip()]
        if [t for t, _ in shown] != lines:
            continue
        if drops is not None and pitch > 0:
            seen = [0.0]
            for d in drops:
                seen.append(seen[-1] + d)
            if all(abs((y - shown[0][1]) - at) <= BASELINE_TOLERANCE for (_, y), at in zip(shown, seen, strict=True)):
                return Rebuilt(text, size, True)
        fallback = fallback or Rebuilt(text, size, False)
    return fallback


def join_by_drops(lines: Sequence[str], drops: Sequence[float] | None, pitch: float, gap: float) -> str:
    """The lines joined by what their baselines show alone: the typed breaks a drop holds
    (see :func:`oppforms.typeset.typed_breaks`), else a space. The best guess for a box
    whose lines :func:`rebuild_paragraphs` cannot confirm (a person checks it)."""
    lines = [line.strip() for line in lines]
    if not lines:
        return ""
    parts = [lines[0]]
    for i, line in enumerate(lines[1:]):
        breaks = typed_breaks(drops[i], pitch, gap) if drops is not None and i < len(drops) else 0
        parts.append(("\n" * breaks if breaks else " ") + line)
    return "".join(parts)


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


def stray_tail(lines: Sequence[str], drops: Sequence[float], pitch: float, *, signs: int = 2, apart: float = 3.5) -> int:
    """How many of the last ``lines`` read are specks rather than text: a line of at most
    ``signs`` characters standing more than ``apart`` line pitches below the line before
    it (``drops``: each line's distance below the one before, as ``pitch``)."""
    k = 0
    while len(lines) - k > 1 and len(lines[-1 - k].replace(" ", "")) <= signs and drops[len(lines) - 2 - k] > apart * pitch:
        k += 1
    return k
