"""The line breaking and fitting of oppforms 0.1, kept verbatim as the reference the
property tests hold the faster :mod:`oppforms.typeset` to: the same lines, sizes and
rests, character for character, on any text."""

from __future__ import annotations

import re

from oppforms.fonts import FontMetrics
from oppforms.typeset import Fitted, WrappedLine, text_height

_WORD = re.compile(r"[^ ]+")


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


SHRINK_STEP = 0.5


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
