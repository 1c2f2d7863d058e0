"""Line breaking and PDF text drawing, shared by the form builder and the filler so that
labels and values are measured and drawn by the same rules.

Units are PDF points; ``y`` grows upwards (PDF user space).
"""

from __future__ import annotations

import re
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


def wrap(text: str, metrics: FontMetrics, size: float, width: float) -> list[WrappedLine]:
    """Break ``text`` into lines no wider than ``width``.

    Explicit ``\\n`` always breaks; otherwise lines break at spaces, and a word longer
    than a whole line is broken between characters. Spaces at a break are not drawn;
    indentation at the start of a paragraph is. ``start``/``end`` give each line's place
    in ``text``, so what follows a line is exactly ``text[line.end:]``.
    """
    lines: list[WrappedLine] = []
    measure = metrics.width
    offset = 0
    for para in text.split("\n"):
        base = offset
        offset += len(para) + 1
        start: int | None = None
        end = 0
        for match in _WORD.finditer(para):
            a, b = match.span()
            if start is None:
                # the first word of a paragraph keeps the indentation before it
                if measure(para[:b], size) <= width:
                    start, end = 0, b
                    continue
                start = a
            elif measure(para[start:b], size) <= width:
                end = b
                continue
            else:
                lines.append(WrappedLine(para[start:end], base + start, base + end))
                start, end = a, b
                if measure(para[a:b], size) <= width:
                    continue
            # the word does not fit on a line of its own: break it between characters
            pos = a
            while pos < b:
                cut = pos + 1
                while cut < b and measure(para[pos : cut + 1], size) <= width:
                    cut += 1
                if cut >= b:
                    break
                lines.append(WrappedLine(para[pos:cut], base + pos, base + cut))
                pos = cut
            start, end = pos, b
        if start is None:
            lines.append(WrappedLine("", base, base + len(para)))
        else:
            lines.append(WrappedLine(para[start:end], base + start, base + end))
    return lines


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
