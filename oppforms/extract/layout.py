"""Text on a page without form fields: glyphs → lines → the text of a box.

Coordinates are PDF points with the origin at the bottom-left of the page's media box
(the system of :class:`~oppforms.geometry.PdfRect` and of the form spec); a glyph is placed
by its origin on the baseline, which, unlike its bounding box, does not move when a PDF is
re-distilled with other font metrics.

A box's lines are joined back into the value it was typeset from: where a line ends
because the next word did not fit, the break was the typesetter's (a space); where the next
word would have fitted, the writer broke the line (``\\n``); a larger gap is a blank line.
Whether a word fits is measured with the metrics of the form's own font when the page uses
it (exactly as :func:`oppforms.typeset.wrap` decided), else from the glyph positions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..geometry import PdfRect
from ..typeset import typed_breaks

__all__ = ["Glyph", "Line", "Measure", "break_between_lines", "join_lines", "lines_of", "words_of"]

_SPACE = " "
#: A gap between two glyphs wider than this share of the font size is a word space.
WORD_GAP = 0.15


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character: its text, origin (x on the baseline y), advance width and size in
    points, and the font it is drawn in."""

    text: str
    x: float
    y: float
    width: float
    size: float
    font: str = ""

    @property
    def x1(self) -> float:
        return self.x + self.width


@dataclass(frozen=True, slots=True)
class Line:
    """Glyphs on one baseline, left to right, and their text with word spaces."""

    glyphs: tuple[Glyph, ...]
    text: str
    y: float

    @property
    def x0(self) -> float:
        return self.glyphs[0].x

    @property
    def x1(self) -> float:
        return max(g.x1 for g in self.glyphs)

    @property
    def size(self) -> float:
        sizes = sorted(g.size for g in self.glyphs if g.text.strip())
        return sizes[len(sizes) // 2] if sizes else self.glyphs[0].size

    @property
    def font(self) -> str:
        fonts = [g.font for g in self.glyphs if g.text.strip()]
        return max(set(fonts), key=fonts.count) if fonts else ""


def _gap_between(prev: Glyph, g: Glyph) -> bool:
    """Whether a word space stands between two glyphs that are no spaces themselves."""
    return g.text != _SPACE and prev.text != _SPACE and g.x - prev.x1 > WORD_GAP * max(g.size, prev.size)


def _line_text(glyphs: Sequence[Glyph]) -> str:
    parts: list[str] = []
    prev: Glyph | None = None
    for g in glyphs:
        if prev is not None and _gap_between(prev, g):
            parts.append(_SPACE)
        parts.append(g.text)
        prev = g
    return "".join(parts)


def lines_of(glyphs: Iterable[Glyph]) -> list[Line]:
    """The glyphs grouped into lines, top to bottom; a glyph belongs to a line when its
    baseline lies within a third of its size of the line's."""
    ordered = sorted(glyphs, key=lambda g: (-g.y, g.x))
    groups: list[list[Glyph]] = []
    for g in ordered:
        if groups and abs(groups[-1][0].y - g.y) <= 0.35 * max(g.size, groups[-1][0].size):
            groups[-1].append(g)
        else:
            groups.append([g])
    lines = []
    for group in groups:
        group.sort(key=lambda g: g.x)
        lines.append(Line(tuple(group), _line_text(group), group[0].y))
    return lines


_WORD = re.compile(r"\S+")
_NOT_PROSE = re.compile(r"[/@_\\=&?#%\d]|[.:]\w")
_LONG_WORD = 40
_LIST_ITEM = re.compile(r"(?:\d{1,2}[.)]|[-•–*])\s")


def words_of(line: Line) -> list[tuple[str, float, float]]:
    """The words of a line with the x where each starts and ends."""
    out: list[tuple[str, float, float]] = []
    # map text offsets to glyphs: the text is the glyphs' texts with spaces inserted
    positions: list[Glyph | None] = []
    prev: Glyph | None = None
    for g in line.glyphs:
        if prev is not None and _gap_between(prev, g):
            positions.append(None)
        positions.extend([g] * len(g.text))
        prev = g
    for m in _WORD.finditer(line.text):
        first, last = positions[m.start()], positions[m.end() - 1]
        if first is not None and last is not None:
            out.append((m.group(), first.x, last.x1))
    return out


#: Measures a text at a size in the units of the box (points of the form, not the page).
Measure = Callable[[str, float], float]


@dataclass(frozen=True, slots=True)
class _Fit:
    measure: Measure | None
    scale: float
    limit: float
    left: float
    min_size: float

    def width(self, line: Line, size: float) -> float:
        if self.measure is not None:
            return self.measure(line.text, size)
        return (line.x1 - self.left) / self.scale

    def word(self, text: str, x0: float, x1: float, size: float) -> float:
        if self.measure is not None:
            return self.measure(text, size)
        return (x1 - x0) / self.scale

    def space(self, size: float) -> float:
        return self.measure(_SPACE, size) if self.measure is not None else 0.226 * size


def join_lines(
    lines: Sequence[Line],
    *,
    box: PdfRect,
    scale: float,
    leading: float,
    measure: Measure | None,
    size_of: Callable[[Line], float],
    min_size: float,
    paragraph: float = 0.0,
    gaps_shown: bool = False,
) -> str:
    """The text ``lines`` were typeset from, in a box whose lines may be ``box.width``
    points long (form points; ``scale`` is page points per form point, ``box`` is in page
    points for the left edge). ``leading`` is the line pitch as a multiple of the size,
    ``paragraph`` the extra drop after a typed line break (see :func:`typed_breaks`);
    ``size_of`` gives a line's size in form points; ``measure`` measures text in the form's
    font (None: use the glyph positions); ``min_size`` is the smallest size the typesetter
    would have shrunk the text to before breaking a word. ``gaps_shown``: the lines were
    set by this typesetter with its paragraph gap, so a line without the gap above it
    follows a wrap even when it starts like a list item (a continuation page)."""
    if not lines:
        return ""
    fit = _Fit(measure, scale, box.width / scale, box.x0, min_size)
    out = [lines[0].text.rstrip()]
    for prev, line in pairwise(lines):
        size = size_of(prev)
        breaks = typed_breaks(prev.y - line.y, size * leading * scale, size * paragraph * scale)
        text = line.text.rstrip()
        if breaks:
            out.append("\n" * breaks + text)
            continue
        out.append(_break(prev, line, fit=fit, size=size, lists=not gaps_shown) + text)
    return "".join(out)


#: How far (a share of the line pitch) a drop may be from the form's layout's and still be it.
_LAID_OUT = 0.1


def set_with_gaps(lines: Sequence[Line], *, scale: float, leading: float, paragraph: float, size_of: Callable[[Line], float]) -> bool:
    """Whether ``lines`` stand as this typesetter sets a box's text: every baseline a
    pitch below the one before, or ``n`` pitches and paragraph gaps (``n`` typed breaks).
    Then a line a pitch below the one before follows a wrap, even when it starts like a
    list item (see :func:`join_lines`' ``gaps_shown``). Another program (a viewer that
    made the box's appearance anew) sets its own pitch and no gap: False."""
    if paragraph <= 0:
        return False
    for prev, line in pairwise(lines):
        size = size_of(prev)
        pitch, step = size * leading * scale, size * (leading + paragraph) * scale
        drop = prev.y - line.y
        n = max(1, round(drop / step))
        if abs(drop - pitch) > _LAID_OUT * pitch and abs(drop - n * step) > _LAID_OUT * pitch:
            return False
    return True


def break_between_lines(
    prev: Line,
    line: Line,
    *,
    box: PdfRect,
    scale: float,
    measure: Measure | None,
    size: float,
    min_size: float,
    gaps_shown: bool = False,
) -> str:
    """What stood between ``prev`` (the last line in ``box``, see :func:`join_lines`) and
    ``line``, which continues it elsewhere (another box or page), typeset at ``size``."""
    fit = _Fit(measure, scale, box.width / scale, box.x0, min_size)
    return _break(prev, line, fit=fit, size=size, lists=not gaps_shown)


def _break(prev: Line, line: Line, *, fit: _Fit, size: float, lists: bool = True) -> str:
    """What stood between two lines that follow each other: ``"\\n"`` when the first word
    of the second would have fitted on the first (the writer broke the line), ``""`` when
    a word too long for a line was split, else ``" "`` (the typesetter wrapped)."""
    words = words_of(line)
    if not words:
        return "\n"
    first, wx0, wx1 = words[0]
    used = fit.width(prev, size)
    if line.text[:1] == _SPACE:
        return "\n"  # an indented line starts a paragraph
    if used + fit.space(size) + fit.word(first, wx0, wx1, size) <= fit.limit + 1e-3:
        return "\n"
    if lists and _LIST_ITEM.match(line.text):
        return "\n"  # numbered or bulleted lines: the form's way to list goals and actions
    prev_text = prev.text.strip()
    if _SPACE not in prev_text and prev_text[-1:].isalnum() and first[:1].isalnum():
        # A word longer than a line is broken between characters, and only when no size
        # down to the minimum would have kept it whole: the joined word must be too long
        # even then, and the first line as full as a character more would overflow.
        first_char = line.glyphs[0]
        # Ambiguous with a long word that happens to fill a line, so a break inside a word
        # is only assumed for what is no prose: links, addresses, codes, very long words.
        full = used + fit.word(first_char.text, first_char.x, first_char.x1, size) > fit.limit + 1e-3
        joined = (used + fit.word(first, wx0, wx1, size)) * fit.min_size / size
        word = prev_text + first.rstrip(".,;:!?)\"'’”")
        if full and joined > fit.limit + 1e-3 and (len(word) >= _LONG_WORD or _NOT_PROSE.search(word)):
            return ""
    return " "
