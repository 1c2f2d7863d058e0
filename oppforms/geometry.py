"""Rectangles, each typed by its coordinate system, and the only conversions between them.

- :class:`PdfRect`: PDF points (1/72 inch), origin at the bottom-left of the page. This is
  the system of the form spec, of ``oppforms fields`` and of PDF annotations.
- :class:`TopLeftBox`: PDF points, origin at the top-left (pdfplumber's ``x0, top, x1,
  bottom``), used when finding text on flattened pages.
- :class:`PixelBox`: image pixels of a rendered or scanned page, origin top-left.

The types never mix: a function takes one of them and converts explicitly here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

POINTS_PER_INCH = 72.0
MM_PER_INCH = 25.4


def mm(value: float) -> float:
    """Millimetres to PDF points."""
    return value * POINTS_PER_INCH / MM_PER_INCH


@dataclass(frozen=True, slots=True)
class PdfRect:
    """A rectangle in PDF points, origin bottom-left; ``x0 < x1`` and ``y0 < y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def as_list(self) -> list[float]:
        return [self.x0, self.y0, self.x1, self.y1]

    def is_valid(self) -> bool:
        return self.x0 < self.x1 and self.y0 < self.y1

    def contains(self, other: PdfRect) -> bool:
        return (
            self.x0 <= other.x0 and self.y0 <= other.y0 and other.x1 <= self.x1 and other.y1 <= self.y1
        )

    def overlaps(self, other: PdfRect) -> bool:
        """True when the interiors intersect (touching edges do not count)."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inset(self, d: float) -> PdfRect:
        return PdfRect(self.x0 + d, self.y0 + d, self.x1 - d, self.y1 - d)


@dataclass(frozen=True, slots=True)
class TopLeftBox:
    """A box in PDF points with the origin at the top-left of the page (pdfplumber)."""

    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True, slots=True)
class PixelBox:
    """A box in image pixels, origin top-left, ``right``/``bottom`` exclusive."""

    left: int
    top: int
    right: int
    bottom: int


def to_top_left(rect: PdfRect, page_height: float) -> TopLeftBox:
    return TopLeftBox(rect.x0, page_height - rect.y1, rect.x1, page_height - rect.y0)


def from_top_left(box: TopLeftBox, page_height: float) -> PdfRect:
    return PdfRect(box.x0, page_height - box.bottom, box.x1, page_height - box.top)


def to_pixels(rect: PdfRect, page_height: float, dpi: float) -> PixelBox:
    """The pixel box of ``rect`` on a page rendered at ``dpi`` without rotation."""
    scale = dpi / POINTS_PER_INCH
    return PixelBox(
        round(rect.x0 * scale),
        round((page_height - rect.y1) * scale),
        round(rect.x1 * scale),
        round((page_height - rect.y0) * scale),
    )


@dataclass(frozen=True, slots=True)
class Homography:
    """A projective mapping between two planes, as the 3 x 3 matrix ``m`` (row-major).

    Used for scanned pages: :func:`pdf_to_image` gives the mapping of a page rendered
    without rotation; a scan's mapping is estimated from its corner marks
    (:mod:`oppforms.scan.align`). Which planes it maps between is in the name of the
    variable that holds it (``image_from_pdf``, ``canvas_from_image``, …).
    """

    m: tuple[float, float, float, float, float, float, float, float, float]

    def map(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f, g, h, i = self.m
        w = g * x + h * y + i
        return (a * x + b * y + c) / w, (d * x + e * y + f) / w

    def then(self, other: Homography) -> Homography:
        """This mapping followed by ``other``."""
        p, q = other.m, self.m
        return Homography(
            tuple(  # type: ignore[arg-type]
                sum(p[r * 3 + k] * q[k * 3 + c] for k in range(3)) for r in range(3) for c in range(3)
            )
        )

    def inverse(self) -> Homography:
        a, b, c, d, e, f, g, h, i = self.m
        det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        if abs(det) < 1e-12:
            raise ValueError("the mapping cannot be inverted")
        inv = (
            (e * i - f * h), -(b * i - c * h), (b * f - c * e),
            -(d * i - f * g), (a * i - c * g), -(a * f - c * d),
            (d * h - e * g), -(a * h - b * g), (a * e - b * d),
        )
        return Homography(tuple(v / det for v in inv))  # type: ignore[arg-type]


def pdf_to_image(page_height: float, dpi: float) -> Homography:
    """PDF points (origin bottom-left) → pixels of the page rendered upright at ``dpi``
    (origin top-left): the mapping :func:`to_pixels` applies to rectangles."""
    s = dpi / POINTS_PER_INCH
    return Homography((s, 0.0, 0.0, 0.0, -s, page_height * s, 0.0, 0.0, 1.0))


def map_rect(h: Homography, rect: PdfRect) -> PixelBox:
    """The smallest pixel box holding the image of ``rect`` under ``h`` (PDF points →
    pixels): for a rectangle mapped with rotation or perspective, the box around its four
    mapped corners."""
    xs, ys = zip(*(h.map(x, y) for x, y in ((rect.x0, rect.y0), (rect.x1, rect.y0), (rect.x0, rect.y1), (rect.x1, rect.y1))), strict=True)
    return PixelBox(math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))


def from_pixels(box: PixelBox, page_height: float, dpi: float) -> PdfRect:
    """The PDF rectangle of a pixel box on a page rendered upright at ``dpi`` (the
    inverse of :func:`to_pixels`)."""
    s = POINTS_PER_INCH / dpi
    return PdfRect(box.left * s, page_height - box.bottom * s, box.right * s, page_height - box.top * s)
