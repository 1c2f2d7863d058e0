"""Drawing on PDF pages: the content-stream canvas shared by the form builder and the
filler, and the marks stream every page carries (corner marks, running header, footer).

Units are PDF points, origin bottom-left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast
from functools import lru_cache

from pypdf.generic import IndirectObject

from .fonts import FontMetrics
from .geometry import PdfRect
from .pagecode import PageCode
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


_BITS = bytes.maketrans(bytes(range(256)), b"0" * 128 + b"1" * 128)


@lru_cache(maxsize=64)
def _qr_image(text: str) -> tuple[int, int, str]:
    """Columns, rows and the hex of the packed 1-bit rows (1 = white) of a QR code."""
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    view = memoryview(code.to_image(scale=1, add_quiet_zones=False))  # type: ignore[arg-type]
    rows, cols = cast(tuple[int, int], view.shape)
    bits = view.tobytes().translate(_BITS).decode("ascii")
    width = (cols + 7) // 8
    packed = b"".join(
        int(bits[r * cols : (r + 1) * cols].ljust(width * 8, "0"), 2).to_bytes(width, "big") for r in range(rows)
    )
    return cols, rows, packed.hex().upper()


def qr_ops(text: str, rect: PdfRect) -> str:
    """Operators drawing ``text`` as a QR code (error correction Q) filling ``rect``: a
    1-bit inline image mask, one module per sample, painted black (crisp at any scale,
    and a single operator rather than hundreds of rectangles)."""
    cols, rows, data = _qr_image(text)
    return (
        f"q 0 g {fmt(rect.width)} 0 0 {fmt(rect.height)} {fmt(rect.x0)} {fmt(rect.y0)} cm "
        f"BI /W {cols} /H {rows} /IM true /BPC 1 /F /AHx ID {data}> EI Q\n"
    )


def marks_content(
    spec: FormSpec,
    page_no: int,
    *,
    fonts: dict[str, EmbeddedFont],
    pages: int,
    document: str = "",
    person: str = "",
) -> bytes:
    """The marks stream of one page: corner marks, two QR codes with the page code
    (:mod:`oppforms.pagecode`), the running header (with ``person``, the pupil's name, on
    filled forms) and the footer (with the ``document`` id).

    ``pages`` is the page count to print ("pagina N van M"), which grows when filling
    adds continuation pages.
    """
    canvas = Canvas(fonts)
    for r in spec.marks.corner_rects(spec.page_width, spec.page_height):
        canvas.fill_rect(r, 0.0)
    code = PageCode(spec.form_id, spec.version, document, page_no, pages).text()
    for r in spec.marks.qr_rects():
        canvas.ops.append(qr_ops(code, r))
    header_suffix = f" · {person}" if person else ""
    footer_suffix = f" · document {document}" if document else ""
    m = spec.marks
    canvas.text(spec.styles[m.header_style], m.header_x, m.header_baseline, m.header_text + header_suffix)
    footer = m.footer_text.format(form=spec.form_id, version=spec.version, page=page_no, pages=pages) + footer_suffix
    style = spec.styles[m.footer_style]
    width = fonts[style.font].metrics.width(footer, style.size)
    canvas.text(style, m.footer_right - width, m.footer_baseline, footer)
    return canvas.bytes()
