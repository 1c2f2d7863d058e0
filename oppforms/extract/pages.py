"""What is on a page, read with pdfplumber: glyphs, drawn marks and images.

Everything comes out in PDF points with the origin at the bottom-left of the page's media
box (:class:`~oppforms.geometry.PdfRect`), the system of the form spec; glyphs by their
origin on the baseline (see :mod:`.layout`). The blank form is read the same way once per
process (:func:`template_model`), for the printed words to align pages on and for what the
form itself draws inside the signature boxes.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..i18n import N_
from ..errors import MissingDependencyError
from ..geometry import PdfRect
from ..spec import FormSpec, shipped_pdf_path
from .align import Anchor
from .layout import Glyph, lines_of, words_of

__all__ = ["PageContent", "TemplateModel", "box_of", "drawn_inside", "page_anchors", "read_pages", "template_model"]

#: An image covering this share of a page makes it a scanned page.
SCAN_COVER = 0.6
#: Marks covering this share of a box or more are its frame or background, not drawing.
FRAME_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class PageContent:
    """One page: its 0-based index, size, glyphs, drawn marks (rectangles, lines and
    curves, by their bounding boxes) and images."""

    index: int
    width: float
    height: float
    glyphs: tuple[Glyph, ...]
    marks: tuple[PdfRect, ...]
    images: tuple[PdfRect, ...]

    @property
    def has_text(self) -> bool:
        """Whether the page has a usable text layer (glyphs that map to characters)."""
        real = [g for g in self.glyphs if g.text.strip()]
        unmapped = sum(1 for g in real if g.text.startswith("(cid:") or g.text == "\ufffd")
        return len(real) > 0 and unmapped < len(real) / 2

    @property
    def scanned(self) -> bool:
        """A page that is (mostly) one image: a scan, even when it has an OCR text layer."""
        area = self.width * self.height
        return area > 0 and any(r.width * r.height >= SCAN_COVER * area for r in self.images)

    @property
    def blank(self) -> bool:
        return not any(g.text.strip() for g in self.glyphs) and not self.images and not self.marks


def box_of(rect: PdfRect) -> tuple[float, float, float, float]:
    """A rectangle as a review item's box (PDF points, origin bottom-left)."""
    return (rect.x0, rect.y0, rect.x1, rect.y1)


def drawn_inside(box: PdfRect, marks: tuple[PdfRect, ...], inset: float = 3.0) -> int:
    """How many marks are drawn inside ``box`` (their centre inside it, less ``inset``),
    not counting frames and backgrounds (marks about as large as the box)."""
    inner = box.inset(inset)
    count = 0
    for m in marks:
        cx, cy = (m.x0 + m.x1) / 2, (m.y0 + m.y1) / 2
        inside = inner.x0 <= cx <= inner.x1 and inner.y0 <= cy <= inner.y1
        if inside and m.width * m.height < FRAME_SHARE * box.width * box.height:
            count += 1
    return count


def _rect(x0: float, y0: float, x1: float, y1: float) -> PdfRect:
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    if x1 - x0 < 0.01:
        x1 = x0 + 0.01
    if y1 - y0 < 0.01:
        y1 = y0 + 0.01
    return PdfRect(x0, y0, x1, y1)


def _content(index: int, page: Any) -> PageContent:
    mb_x0 = float(page.mediabox[0])
    glyphs = []
    for c in page.chars:
        if not c.get("upright", True):
            continue
        matrix = c.get("matrix") or (1, 0, 0, 1, c["x0"] - mb_x0, c["y0"])
        glyphs.append(
            Glyph(
                str(c["text"]),
                float(matrix[4]),
                float(matrix[5]),
                float(c["x1"]) - float(c["x0"]),
                float(c["size"]),
                str(c.get("fontname", "")),
            )
        )
    marks = [
        _rect(float(o["x0"]) - mb_x0, float(o["y0"]), float(o["x1"]) - mb_x0, float(o["y1"]))
        for o in (*page.rects, *page.lines, *page.curves)
    ]
    images = [
        _rect(float(o["x0"]) - mb_x0, float(o["y0"]), float(o["x1"]) - mb_x0, float(o["y1"])) for o in page.images
    ]
    return PageContent(index, float(page.width), float(page.height), tuple(glyphs), tuple(marks), tuple(images))


def _pdfplumber() -> Any:
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise MissingDependencyError(
            N_("reading flattened forms needs pdfplumber: pip install pdfplumber")
        ) from exc
    return pdfplumber


def read_pages(data: bytes, *, first: int | None = None) -> Iterator[PageContent]:
    """The pages of the PDF ``data`` in order (only the first ``first`` when given).
    Raises whatever pdfminer raises on a PDF it cannot read."""
    pdfplumber = _pdfplumber()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for index, page in enumerate(pdf.pages):
                if first is not None and index >= first:
                    return
                try:
                    yield _content(index, page)
                finally:
                    page.close()


@dataclass(frozen=True, slots=True)
class TemplateModel:
    """What the blank form prints, per page number: the words and corner marks to align
    on (page 0: only the corner marks, which every page has, continuation pages too), and
    how many marks it draws inside each signature box itself."""

    anchors: dict[int, tuple[Anchor, ...]]
    signature_marks: dict[str, int]


_MODELS: dict[str, TemplateModel] = {}


CORNERS = ("corner top-left", "corner top-right", "corner bottom-left", "corner bottom-right")


def page_anchors(content: PageContent, within: PdfRect | None = None) -> list[Anchor]:
    """The words on a page as anchors: words with a letter, of two or more characters, and
    each word with the next on its line (so a label printed several times with a number,
    "Handelingssuggestie 1", "… 2", is still told apart); plus the corner marks."""
    out = []
    for line in lines_of(content.glyphs):
        words = words_of(line)
        for i, (text, x0, _) in enumerate(words):
            if within is not None and not (within.x0 <= x0 <= within.x1 and within.y0 <= line.y <= within.y1):
                continue
            if len(text) >= 2 and any(ch.isalpha() for ch in text):
                out.append(Anchor(text, x0, line.y))
            if i + 1 < len(words):
                out.append(Anchor(f"{text} {words[i + 1][0]}", x0, line.y))
    out.extend(corner_anchors(content.marks, content.width, content.height))
    return out


def corner_anchors(marks: Iterable[PdfRect], width: float, height: float) -> list[Anchor]:
    """The four corner marks (filled squares near the page's corners) as anchors at their
    centres, named by their corner; a corner with no clear mark is left out."""
    found: dict[str, list[PdfRect]] = {}
    for m in marks:
        if not (8.0 <= m.width <= 30.0 and 0.85 <= m.height / m.width <= 1.15):
            continue
        cx, cy = (m.x0 + m.x1) / 2, (m.y0 + m.y1) / 2
        if min(cx, width - cx) > width * 0.2 or min(cy, height - cy) > height * 0.2:
            continue
        top, left = cy > height / 2, cx < width / 2
        name = CORNERS[(0 if top else 2) + (0 if left else 1)]
        found.setdefault(name, []).append(m)
    out = []
    for name, rects in found.items():
        if len(rects) == 1:
            r = rects[0]
            out.append(Anchor(name, (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2))
    return out


def template_model(spec: FormSpec) -> TemplateModel:
    """The model of ``spec``'s shipped blank form (read once per process)."""
    model = _MODELS.get(spec.source)
    if model is not None:
        return model
    data = shipped_pdf_path(spec).read_bytes()
    anchors: dict[int, tuple[Anchor, ...]] = {}
    signature_marks: dict[str, int] = {}
    corners = [
        Anchor(name, (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2)
        for name, r in zip(CORNERS, spec.marks.corner_rects(spec.page_width, spec.page_height), strict=True)
    ]
    anchors[0] = tuple(corners)  # what every page has, continuation pages too
    for content in read_pages(data):
        page_no = content.index + 1
        words = [a for a in page_anchors(content, spec.marks.content) if a.text not in CORNERS]
        anchors[page_no] = tuple(words + corners)
        for f, w in spec.widgets_on(page_no):
            if f.is_signature:
                signature_marks[f.name] = drawn_inside(w.rect, content.marks + content.images)
    model = TemplateModel(anchors, signature_marks)
    _MODELS[spec.source] = model
    return model
