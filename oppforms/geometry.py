"""Rectangles, each typed by its coordinate system, and the only conversions between them.

- :class:`PdfRect`: PDF points (1/72 inch), origin at the bottom-left of the page. This is
  the system of the form spec, of ``oppforms fields`` and of PDF annotations.
- :class:`TopLeftBox`: PDF points, origin at the top-left (pdfplumber's ``x0, top, x1,
  bottom``), used when finding text on flattened pages.
- :class:`PixelBox`: image pixels of a rendered or scanned page, origin top-left.

The types never mix: a function takes one of them and converts explicitly here.
"""

from __future__ import annotations

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
