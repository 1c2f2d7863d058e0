"""Line breaking and PDF text drawing, shared by the form builder and the filler so that
labels and values are measured and drawn by the same rules.

Units are PDF points; ``y`` grows upwards (PDF user space).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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


def wrap(text: str, metrics: FontMetrics, size: float, width: float) -> list[WrappedLine]:
    """Break ``text`` into lines no wider than ``width`` points at ``size``.

    Explicit ``\\n`` always breaks; otherwise lines break at spaces, and a word longer
    than a whole line is broken between characters. Spaces at a break are not drawn;
    indentation at the start of a paragraph is. ``start``/``end`` give each line's place
    in ``text``, so what follows a line is exactly ``text[line.end:]``.

    Widths are summed in font units from cached word widths (this runs for every field
    of every filled form).
    """
    limit = width * 1000.0 / size + 1e-6
    space = metrics.char_width.get(" ", 250.0)
    word_width = metrics.word_width
    lines: list[WrappedLine] = []
    offset = 0
    for number, para in enumerate(text.split("\n")):
        first_of_para = len(lines)
        base = offset
        offset += len(para) + 1
        start = -1
        end = 0
        used = 0.0
        for match in _WORD.finditer(para):
            a, b = match.span()
            ww = word_width(match.group())
            if start < 0:
                lead = a * space  # the first word of a paragraph keeps its indentation
                if lead + ww <= limit:
                    start, end, used = 0, b, lead + ww
                    continue
                start = a
            else:
                gap = (a - end) * space
                if used + gap + ww <= limit:
                    end, used = b, used + gap + ww
                    continue
                lines.append(WrappedLine(para[start:end], base + start, base + end))
                start, end, used = a, b, ww
                if ww <= limit:
                    continue
            # the word does not fit on a line of its own: break it between characters
            cw = metrics.char_width
            pos, used = a, 0.0
            for i in range(a, b):
                w = cw.get(para[i], space)
                if used + w > limit and i > pos:
                    lines.append(WrappedLine(para[pos:i], base + pos, base + i, True))
                    pos, used = i, 0.0
                used += w
            start, end = pos, b
        if start < 0:
            lines.append(WrappedLine("", base, base + len(para)))
        else:
            lines.append(WrappedLine(para[start:end], base + start, base + end))
        if number:
            head = lines[first_of_para]
            lines[first_of_para] = WrappedLine(head.text, head.start, head.end, head.split, True)
    return lines


#: How much a value shrinks per step when it does not fit its box (points).
SHRINK_STEP = 0.5


@dataclass(frozen=True, slots=True)
class Fitted:
    """A value laid out in its box: the size used, the lines drawn, and the text that
    did not fit (empty when all of it did)."""

    size: float
    lines: tuple[str, ...]
    rest: str
    #: per line: it follows a typed line break (drawn after a paragraph gap)
    paras: tuple[bool, ...] = ()
    #: ``rest`` follows a typed line break (its first line, on the continuation page, too)
    rest_para: bool = False


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
    """
    s = size
    fallback: Fitted | None = None  # the largest size that fits only by splitting a word
    while True:
        if multiline:
            lines = wrap(text, metrics, s, width)
            paras = [line.para for line in lines]
            if text_height(paras, s * leading, s * paragraph) <= height + 1e-6:
                fitted = Fitted(s, tuple(line.text for line in lines), "", tuple(paras))
                if not any(line.split for line in lines):
                    return fitted
                fallback = fallback or fitted
        elif metrics.width(text, s) <= width + 1e-6:
            return Fitted(s, (text,), "")
        if s - SHRINK_STEP < min_size - 1e-9:
            break
        s -= SHRINK_STEP
    if fallback is not None:
        return fallback
    if not multiline:
        return Fitted(s, (), text)
    # keep the lines that fit with one line more for the continuation marker
    keep = 0
    while keep < len(lines) and text_height(paras[: keep + 1] + [False], s * leading, s * paragraph) <= height + 1e-6:
        keep += 1
    while keep and not lines[keep - 1].text:
        keep -= 1  # an empty line at the end of a box would not show: it goes with the rest
    kept: list[WrappedLine] = lines[:keep]
    cut = kept[-1].end if kept else 0
    rest = text[cut:].lstrip(" ") if kept else text.lstrip(" \n")
    rest_para = rest.startswith("\n")
    if rest_para:
        rest = rest[1:]
    return Fitted(s, tuple(line.text for line in kept), rest, tuple(paras[:keep]), rest_para)


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


def _n(value: float) -> str:
    """A compact PDF number."""
    if value == int(value):
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


fmt = _n
