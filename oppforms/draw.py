"""Drawing on PDF pages: the content-stream canvas shared by the form builder and the
filler, and the marks stream every page carries (corner marks, running header, footer).

Units are PDF points, origin bottom-left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pypdf.generic import IndirectObject

from .fonts import FontMetrics
from .geometry import PdfRect
from .spec import Align, FormSpec, Run, Style
from .typeset import fmt, wrap

#: Resource names of the two fonts in every content stream and in the AcroForm /DR.
FONT_RESOURCE = {"regular": "F1", "bold": "F2"}


@dataclass(frozen=True, slots=True)
class EmbeddedFont:
    key: str
    metrics: FontMetrics
    ref: IndirectObject


class Canvas:
    """Collects content-stream operators for one page."""

    def __init__(self, fonts: dict[str, EmbeddedFont]) -> None:
        self.ops: list[str] = []
        self.fonts = fonts

    def fill_rect(self, r: PdfRect, gray: float) -> None:
        self.ops.append(f"{fmt(gray)} g {fmt(r.x0)} {fmt(r.y0)} {fmt(r.width)} {fmt(r.height)} re f\n")

    def stroke_rect(self, r: PdfRect, gray: float, width: float) -> None:
        self.ops.append(
            f"{fmt(gray)} G {fmt(width)} w {fmt(r.x0)} {fmt(r.y0)} {fmt(r.width)} {fmt(r.height)} re S\n"
        )

    def line(self, x0: float, y0: float, x1: float, y1: float, gray: float, width: float) -> None:
        self.ops.append(f"{fmt(gray)} G {fmt(width)} w {fmt(x0)} {fmt(y0)} m {fmt(x1)} {fmt(y1)} l S\n")

    def text(self, style: Style, x: float, baseline: float, text: str) -> None:
        font = self.fonts[style.font]
        self.ops.append(
            f"BT {fmt(style.gray)} g /{FONT_RESOURCE[style.font]} {fmt(style.size)} Tf "
            f"{fmt(x)} {fmt(baseline)} Td <{font.metrics.hex(text)}> Tj ET\n"
        )

    def runs(
        self, spec: FormSpec, runs: Iterable[Run], x: float, top: float, width: float, align: Align
    ) -> float:
        """Draw wrapped runs hanging from ``top``; return the y where the text ends."""
        y = top
        for run in runs:
            style = spec.styles[run.style]
            metrics = self.fonts[style.font].metrics
            for line in wrap(run.text, metrics, style.size, width):
                baseline = y - style.size * metrics.descriptor.ascent / 1000.0
                if line.text:
                    lx = x
                    if align is not Align.LEFT:
                        slack = width - metrics.width(line.text, style.size)
                        lx = x + (slack if align is Align.RIGHT else slack / 2)
                    self.text(style, lx, baseline, line.text)
                y -= style.leading
        return y

    def bytes(self) -> bytes:
        return "".join(self.ops).encode("ascii")


def marks_content(
    spec: FormSpec,
    page_no: int,
    *,
    fonts: dict[str, EmbeddedFont],
    pages: int,
    header_suffix: str = "",
    footer_suffix: str = "",
) -> bytes:
    """The marks stream of one page: corner marks, running header and footer.

    ``pages`` is the page count to print ("pagina N van M"), which grows when filling
    adds continuation pages; the suffixes let filling add the pupil's name to the header
    and the document id to the footer.
    """
    canvas = Canvas(fonts)
    for r in spec.marks.corner_rects(spec.page_width, spec.page_height):
        canvas.fill_rect(r, 0.0)
    m = spec.marks
    canvas.text(spec.styles[m.header_style], m.header_x, m.header_baseline, m.header_text + header_suffix)
    footer = m.footer_text.format(form=spec.form_id, version=spec.version, page=page_no, pages=pages) + footer_suffix
    style = spec.styles[m.footer_style]
    width = fonts[style.font].metrics.width(footer, style.size)
    canvas.text(style, m.footer_right - width, m.footer_baseline, footer)
    return canvas.bytes()
