"""Line breaking and PDF text drawing, shared by the form builder and the filler so that
labels and values are measured and drawn by the same rules.

Units are PDF points; ``y`` grows upwards (PDF user space).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, repeat
from math import floor
from typing import Any, NamedTuple
from operator import add, itemgetter

from .fonts import FontMetrics

_WORD = re.compile(r"[^ ]+")


@dataclass(frozen=True, slots=True)
class WrappedLine:
    """One drawn line: its text, and where it starts in the source string (so the rest
    of a text can be continued elsewhere without losing or repeating a character)."""

    text: str
    start: int
    end: int
    split: bool = False  # the line ends inside a word too long for a line of its own
    para: bool = False  # the line follows a typed line break (it starts a paragraph, not the text)


class _Measured:
    """A text measured once for line breaking at any size: per paragraph, its words'
    places and the running sum of their widths with the spaces before them.

    Widths are whole numbers of font units (:class:`~oppforms.fonts.FontMetrics` rounds
    every advance), so every sum here is exact and a line fits ``limit`` exactly when its
    sum is at most ``floor(limit)``: breaking at a size is a binary search per line over
    the running sums, not a walk over every word, with the same lines as a walk.
    """

    __slots__ = ("text", "paras", "space", "char_width")

    def __init__(self, text: str, metrics: FontMetrics) -> None:
        self.text = text
        self.space = space = metrics.char_width.get(" ", 250.0)
        self.char_width = metrics.char_width
        # per paragraph: where it starts in the text, its text, its words' widths, their
        # running sums, and the words' places: either ``(None, cum, words)`` when single
        # spaces part them (word ``i`` ends at ``cum[i] + i``, the running sum of the words'
        # lengths plus the spaces between: worked out for the few words that start or end
        # a line), or ``(starts, ends, None)``
        self.paras: list[tuple[int, str, list[float], list[float], Any, Any, Any]] = []
        base = 0
        word_widths = metrics.word_widths
        for para in text.split("\n"):
            tokens = para.split(" ")
            if "" in tokens:
                spans = [m.span() for m in _WORD.finditer(para)]
                starts = [a for a, _ in spans]
                ends = [b for _, b in spans]
                widths = word_widths([para[a:b] for a, b in spans])
                gaps = [0.0] + [(a - e) * space for a, e in zip(starts[1:], ends)]
                sums = list(accumulate(map(add, widths, gaps)))  # type: ignore[arg-type]
                self.paras.append((base, para, widths, sums, starts, ends, None))
            else:  # single spaces only: the places follow from the lengths
                widths = word_widths(tokens)
                # each word's width with one space before it; a line's width is a
                # difference of these sums, so the first word's extra space cancels out
                sums = list(accumulate(map(add, widths, repeat(space))))
                self.paras.append((base, para, widths, sums, None, list(accumulate(map(len, tokens))), tokens))
            base += len(para) + 1

    def lines(self, limit: float, most: int = -1) -> list[tuple[int, int, bool, bool, bool]]:
        """The lines at ``limit`` (font units per line) as ``(start, end, split, para,
        blank)`` in the text (``blank``: a paragraph without words, drawn as nothing).
        With ``most`` >= 0, breaking stops after ``most + 1`` lines (the text needs more
        than ``most`` lines; only the first ones are given)."""
        top = float(floor(limit))
        space = self.space
        cw = self.char_width
        out: list[tuple[int, int, bool, bool, bool]] = []
        for number, (base, para, widths, sums, starts, ends, words) in enumerate(self.paras):
            first_line = True
            n = len(widths)
            if not n:
                out.append((base, base + len(para), False, number > 0, True))
            i = 0
            if words is not None and n:
                # single spaces: while each line's first word fits on a line of its own, a
                # line is one search. Word ``i`` starts a line that ends after word ``j``
                # when ``widths[i] + sums[j] - sums[i] <= top``; ``sums[i] - widths[i]`` is
                # the previous line's last running sum plus a space (all whole numbers, so
                # exact), and a word is too wide alone when no word past it fits (j < i).
                reach = top + space
                start = 0
                flag = number > 0
                while True:
                    j = bisect_right(sums, reach, i) - 1
                    if j < i:
                        break
                    end = ends[j] + j
                    out.append((base + start, base + end, False, flag, False))
                    flag = first_line = False
                    i = j + 1
                    if 0 <= most < len(out):
                        return out[: most + 1]
                    if i == n:
                        break
                    reach = top + space + sums[j]
                    start = end + 1
            while i < n:
                w = widths[i]
                if words is None:
                    a, end = starts[i], ends[i]
                else:
                    end = ends[i] + i
                    a = end - len(words[i])
                if first_line and a * space + w <= top:
                    start, used = 0, a * space + w  # the first line keeps its indentation
                elif w <= top:
                    start, used = a, w
                else:  # the word does not fit on a line of its own: break it between characters
                    pos, used = a, 0.0
                    for k in range(a, end):
                        cwk = cw.get(para[k], space)
                        if used + cwk > top and k > pos:
                            out.append((base + pos, base + k, True, number > 0 and first_line, False))
                            first_line = False
                            pos, used = k, 0.0
                        used += cwk
                    start = pos
                j = bisect_right(sums, top - used + sums[i], i + 1) - 1
                out.append((base + start, base + (ends[j] if words is None else ends[j] + j), False, number > 0 and first_line, False))
                first_line = False
                i = j + 1
                if 0 <= most < len(out):
                    return out[: most + 1]
            if 0 <= most < len(out):
                return out[: most + 1]
        return out

    def texts(self, lines: Sequence[tuple[int, int, bool, bool, bool]]) -> tuple[str, ...]:
        text = self.text
        return tuple([text[a:b] if not blank else "" for a, b, _, _, blank in lines])


def wrap(text: str, metrics: FontMetrics, size: float, width: float) -> list[WrappedLine]:
    """Break ``text`` into lines no wider than ``width`` points at ``size``.

    Explicit ``\\n`` always breaks; otherwise lines break at spaces, and a word longer
    than a whole line is broken between characters. Spaces at a break are not drawn;
    indentation at the start of a paragraph is. ``start``/``end`` give each line's place
    in ``text``, so what follows a line is exactly ``text[line.end:]``.
    """
    lines = _Measured(text, metrics).lines(width * 1000.0 / size + 1e-6)
    return [WrappedLine("" if blank else text[a:b], a, b, split, para) for a, b, split, para, blank in lines]


#: How much a value shrinks per step when it does not fit its box (points).
SHRINK_STEP = 0.5


class Fitted(NamedTuple):
    """A value laid out in its box: the size used, the lines drawn, and the text that
    did not fit (empty when all of it did). A named tuple: a form makes one per filled
    widget, and a frozen dataclass took four times as long to make."""

    size: float
    lines: tuple[str, ...]
    rest: str
    #: per line: it follows a typed line break (drawn after a paragraph gap)
    paras: tuple[bool, ...] = ()
    #: ``rest`` follows a typed line break (its first line, on the continuation page, too)
    rest_para: bool = False


_SPLIT, _PARA = itemgetter(2), itemgetter(3)
#: ``_fitted((size, lines, rest, paras, rest_para))``: a Fitted without the Python-level
#: ``__new__`` of a named tuple (half the time; filling makes one per widget)
_fitted = partial(tuple.__new__, Fitted)


def fit_text(
    text: str,
    metrics: FontMetrics,
    *,
    width: float,
    height: float,
    size: float,
    min_size: float,
    leading: float,
    multiline: bool,
    paragraph: float = 0.0,
) -> Fitted:
    """Lay ``text`` out in a box of ``width`` x ``height`` points (inside the padding).

    Tries the form's size first, then shrinks in half points down to ``min_size``. For a
    multiline box whose text still does not fit, the lines that fit are kept less one,
    which the caller fills with the continuation marker, and ``rest`` holds exactly what
    follows them. A one-line value is never wrapped: ``rest`` is the whole value when it
    is too wide even at ``min_size``. Lines that follow a typed line break are set
    ``paragraph`` times the size lower (see :func:`~oppforms.typeset.line_offsets`).

    The words are measured once; each size then breaks lines by a search over their
    running widths and stops as soon as more lines than the box can hold are made, so a
    long text costs a box's worth of lines per size, not its whole length.
    """
    if not multiline:
        units = metrics.width(text, 1000.0)  # the sum of the advances, measured once
        s = size
        while True:
            if units * s / 1000.0 <= width + 1e-6:
                return _fitted((s, (text,), "", (), False))
            if s - SHRINK_STEP < min_size - 1e-9:
                return Fitted(s, (), text)
            s -= SHRINK_STEP
    quick = _fit_single_spaced(text, metrics, width, height, size, min_size, leading, paragraph)
    if quick is not None:
        return quick
    measured = _Measured(text, metrics)
    breaks = text.count("\n")  # one paragraph gap per typed line break
    s = size
    fallback: Fitted | None = None  # the largest size that fits only by splitting a word
    while True:
        pitch = s * leading
        most = floor((height + 1e-6) / pitch) + 1  # more lines than this never fit
        lines = measured.lines(width * 1000.0 / s + 1e-6, most)
        if len(lines) <= most and pitch * len(lines) + s * paragraph * breaks <= height + 1e-6:
            fitted = Fitted(s, measured.texts(lines), "", tuple(map(_PARA, lines)))
            if not any(map(_SPLIT, lines)):
                return fitted
            fallback = fallback or fitted
        if s - SHRINK_STEP < min_size - 1e-9:
            break
        s -= SHRINK_STEP
    if fallback is not None:
        return fallback
    # keep the lines that fit with one line more for the continuation marker (``lines``
    # holds at least as many lines as fit)
    paras = [line[3] for line in lines]
    keep = 0
    while keep < len(lines) and text_height(paras[: keep + 1] + [False], s * leading, s * paragraph) <= height + 1e-6:
        keep += 1
    while keep and lines[keep - 1][4]:
        keep -= 1  # an empty line at the end of a box would not show: it goes with the rest
    kept = lines[:keep]
    cut = kept[-1][1] if kept else 0
    rest = text[cut:].lstrip(" ") if kept else text.lstrip(" \n")
    rest_para = rest.startswith("\n")
    if rest_para:
        rest = rest[1:]
    return Fitted(s, measured.texts(kept), rest, tuple(paras[:keep]), rest_para)


def _fit_single_spaced(
    text: str, metrics: FontMetrics, width: float, height: float, size: float, min_size: float, leading: float, paragraph: float
) -> Fitted | None:
    """:func:`fit_text` of a multiline text for the usual case, quicker: every paragraph
    is words parted by single spaces (no blank line, no indentation) and the text fits
    at some size without a word split between characters (a size where a word is wider
    than a line is passed over: :func:`fit_text` takes a smaller size that needs no split
    over it). The same lines as :class:`_Measured` breaks (the same sums and searches),
    made as the words joined, without places in the text. None when the case is
    another: the caller then does the general work."""
    space = metrics.char_width.get(" ", 250.0)
    running = metrics.running_widths  # each word's width with one space before it, summed
    measured = []
    for para in text.split("\n"):
        tokens = para.split(" ")
        if "" in tokens:
            return None
        measured.append((tokens, running(tokens), len(tokens) - 1))
    breaks = len(measured) - 1  # one paragraph gap per typed line break
    join = " ".join
    s = size
    while True:
        pitch = s * leading
        most = floor((height + 1e-6) / pitch)  # no more lines than this fit
        if most * pitch + s * paragraph * breaks > height + 1e-6:
            most -= 1
        reach_first = float(floor(width * 1000.0 / s + 1e-6)) + space
        # a line holds words whose running sums differ by at most ``reach_first``, so a
        # paragraph needs at least ceil(total / reach_first) lines (whole numbers: exact);
        # checked when shrinking (at the form's size most texts fit)
        if s != size and sum([-(-sums[-1] // reach_first) for _, sums, _ in measured]) > most:
            if s - SHRINK_STEP < min_size - 1e-9:
                return None
            s -= SHRINK_STEP
            continue
        lines: list[str] = []
        append = lines.append
        starts: list[int] = []  # each paragraph's first line
        for tokens, sums, last in measured:
            starts.append(len(lines))
            i = 0
            reach = reach_first
            while True:
                j = bisect_right(sums, reach, i) - 1
                if j <= i:
                    if j < i:  # a word wider than a line: this size fits only by splitting it
                        break
                    append(tokens[i])
                else:
                    append(join(tokens[i : j + 1]))
                if j == last or len(lines) > most:
                    break
                i = j + 1
                reach = reach_first + sums[j]
            if j != last or len(lines) > most:
                break
        else:
            if pitch * len(lines) + s * paragraph * breaks <= height + 1e-6:
                paras = [False] * len(lines)
                for first in starts[1:]:
                    paras[first] = True  # the line follows a typed line break
                return _fitted((s, tuple(lines), "", tuple(paras), False))
        if s - SHRINK_STEP < min_size - 1e-9:
            return None
        s -= SHRINK_STEP


def line_offsets(paras: Sequence[bool], pitch: float, gap: float) -> list[float]:
    """How far below the first line's baseline each line's baseline lies: ``pitch`` per
    line, plus ``gap`` before a line that follows a typed line break (``paras``, see
    :attr:`WrappedLine.para`). The gap makes a typed break visible on paper where the
    text would have wrapped anyway, so a scan or a print can be read back exactly."""
    out: list[float] = []
    y = 0.0
    for i, para in enumerate(paras):
        if i:
            y += pitch + (gap if para else 0.0)
        out.append(y)
    return out


def text_height(paras: Sequence[bool], pitch: float, gap: float) -> float:
    """The height ``len(paras)`` lines take: a pitch each, and the paragraph gaps between
    them (a gap before the first line is the caller's)."""
    return pitch * len(paras) + gap * sum(1 for p in paras[1:] if p)


def typed_breaks(drop: float, pitch: float, gap: float) -> int:
    """How many line breaks were typed between two lines whose baselines lie ``drop``
    apart, when the typesetter sets lines ``pitch`` apart and a line after a typed break a
    ``gap`` lower (see :func:`oppforms.typeset.line_offsets`; other producers set no gap,
    and an empty line is a pitch of its own). 0 when the lines are a pitch apart (then
    the drop cannot tell a wrap from a break). The drop is matched to
    the nearest layout either way: ``n`` breaks are ``n × (pitch + gap)`` with the gap and
    ``n × pitch`` without it."""
    if pitch <= 0 or drop < pitch * 1.5 and (gap <= 0 or drop < pitch + gap / 2):
        return 0
    options = [(abs(drop - n * pitch), n) for n in range(1, 1 + round(drop / pitch) + 1)]
    if gap > 0:
        step = pitch + gap
        options += [(abs(drop - n * step), n) for n in range(1, 1 + round(drop / step) + 1)]
    return max(1, min(options)[1])


def pdf_string_hex(metrics: FontMetrics, text: str) -> str:
    return "<" + metrics.hex(text) + ">"


def text_ops(
    metrics: FontMetrics,
    font_resource: str,
    size: float,
    x: float,
    baseline: float,
    text: str,
) -> str:
    """Content-stream operators drawing one line of ``text`` at (x, baseline)."""
    return f"BT /{font_resource} {_n(size)} Tf {_n(x)} {_n(baseline)} Td <{metrics.hex(text)}> Tj ET\n"


_NUMBERS: dict[float, str] = {}


def _n(value: float) -> str:
    """A compact PDF number (remembered: a form's few sizes, pitches and places repeat)."""
    text = _NUMBERS.get(value)
    if text is None:
        if value == int(value):
            text = str(int(value))
        else:
            text = f"{value:.3f}".rstrip("0").rstrip(".")
        if len(_NUMBERS) > 4096:
            _NUMBERS.clear()
        _NUMBERS[value] = text
    return text


fmt = _n
