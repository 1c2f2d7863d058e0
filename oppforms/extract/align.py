"""Where the form's boxes are on a page that was printed to PDF or re-distilled.

A page that went through a printer driver or Ghostscript may be scaled (“fit to page”)
and shifted by a few points. Absolute coordinates are not trusted: the words printed by
the form itself (headings, table headers, row labels, instructions) are found on the page,
paired with where they stand on the blank form, and a scale and offset per axis is fitted
to the pairs by least squares, dropping pairs that disagree (a word of a value that
happens to equal a label). Both sides are PDF points, origin bottom-left
(:class:`~oppforms.geometry.PdfRect`): the fit maps *form* points to *page* points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..geometry import PdfRect

__all__ = ["Anchor", "Placement", "fit_placement"]

#: Pairs further than this from the fit (page points) are dropped as mismatches.
OUTLIER = 2.0
#: Fewer pairs than this, or a scale outside this range, and the page is not trusted.
MIN_ANCHORS = 4
SCALE_RANGE = (0.6, 1.4)


@dataclass(frozen=True, slots=True)
class Anchor:
    """A word printed by the form, where it starts on the baseline (form points)."""

    text: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Placement:
    """Form points → page points: ``x' = sx·x + dx``, ``y' = sy·y + dy``; ``anchors`` is
    how many printed words agreed, ``residual`` their largest distance from the fit."""

    sx: float = 1.0
    dx: float = 0.0
    sy: float = 1.0
    dy: float = 0.0
    anchors: int = 0
    residual: float = 0.0

    def rect(self, r: PdfRect) -> PdfRect:
        """A form rectangle on the page."""
        x0, x1 = sorted((self.sx * r.x0 + self.dx, self.sx * r.x1 + self.dx))
        y0, y1 = sorted((self.sy * r.y0 + self.dy, self.sy * r.y1 + self.dy))
        return PdfRect(x0, y0, x1, y1)

    @property
    def scale(self) -> float:
        return (abs(self.sx) + abs(self.sy)) / 2


def _fit_axis(pairs: Sequence[tuple[float, float]], scale: float | None = None) -> tuple[float, float, bool]:
    """Least squares of ``b = s·a + d``, and whether the scale could be told. When the
    ``a`` hardly vary (all anchors in one column or row) only the shift is fitted, with
    ``scale`` (the other axis's) or 1."""
    n = len(pairs)
    ma = sum(a for a, _ in pairs) / n
    mb = sum(b for _, b in pairs) / n
    var = sum((a - ma) ** 2 for a, _ in pairs)
    if var < 100.0 * n:
        s = 1.0 if scale is None else scale
        return s, mb - s * ma, False
    s = sum((a - ma) * (b - mb) for a, b in pairs) / var
    return s, mb - s * ma, True


def fit_placement(template: Sequence[Anchor], found: Sequence[Anchor]) -> Placement | None:
    """The placement that carries ``template`` anchors onto ``found`` ones (matched by
    text; only words that occur once on each side count), or None when too few agree."""
    def unique(anchors: Sequence[Anchor]) -> dict[str, Anchor]:
        seen: dict[str, Anchor | None] = {}
        for a in anchors:
            seen[a.text] = None if a.text in seen else a
        return {k: v for k, v in seen.items() if v is not None}

    t, f = unique(template), unique(found)
    pairs = [(t[k], f[k]) for k in t.keys() & f.keys()]
    if len(pairs) < MIN_ANCHORS:
        return None
    placement = Placement()
    for _ in range(3):
        xs = [(a.x, b.x) for a, b in pairs]
        ys = [(a.y, b.y) for a, b in pairs]
        sx, dx, x_known = _fit_axis(xs)
        sy, dy, y_known = _fit_axis(ys, sx if x_known else None)
        if y_known and not x_known:  # printers scale both axes alike
            sx, dx, _ = _fit_axis(xs, sy)
        residuals = [max(abs(sx * a.x + dx - b.x), abs(sy * a.y + dy - b.y)) for a, b in pairs]
        placement = Placement(sx, dx, sy, dy, len(pairs), max(residuals))
        kept = [p for p, r in zip(pairs, residuals, strict=True) if r <= OUTLIER]
        if len(kept) == len(pairs):
            break
        if len(kept) < MIN_ANCHORS:
            return None
        pairs = kept
    if placement.residual > OUTLIER or not all(SCALE_RANGE[0] <= s <= SCALE_RANGE[1] for s in (placement.sx, placement.sy)):
        return None
    return placement
