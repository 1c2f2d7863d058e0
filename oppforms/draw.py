"""Drawing on PDF pages: the content-stream canvas shared by the form builder and the
filler, and the marks stream every page carries (corner marks, running header, footer).

Units are PDF points, origin bottom-left.
"""

from __future__ import annotations

from binascii import hexlify
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pypdf.generic import IndirectObject

from .fonts import FontMetrics
from .geometry import PdfRect
from .pagecode import page_code_texts
from .qr import qr_rows
from .spec import Align, FormSpec, Marks, Run, Style
from .typeset import fmt, wrap

#: Resource names of the two fonts in every content stream and in the AcroForm /DR.
FONT_RESOURCE = {"regular": "F1", "bold": "F2"}


@dataclass(frozen=True, slots=True)
class EmbeddedFont:
    key: str
    metrics: FontMetrics
    ref: IndirectObject


def _text_op(style: Style, metrics: FontMetrics, x: float, baseline: float, text: str) -> str:
    """Operators drawing one line of ``text`` in ``style`` at (x, baseline)."""
    return (
        f"BT {fmt(style.gray)} g /{FONT_RESOURCE[style.font]} {fmt(style.size)} Tf "
        f"{fmt(x)} {fmt(baseline)} Td <{metrics.hex(text)}> Tj ET\n"
    )


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
        self.ops.append(_text_op(style, self.fonts[style.font].metrics, x, baseline, text))

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


def qr_ops(text: str, rect: PdfRect) -> str:
    """Operators drawing ``text`` as a QR code (error correction Q) filling ``rect``: a
    1-bit inline image mask, one module per sample, painted black (crisp at any scale,
    and a single operator rather than hundreds of rectangles)."""
    return (_qr_place(rect) + _qr_image(text)).decode("ascii")


@lru_cache(maxsize=16)
def _qr_place(rect: PdfRect) -> bytes:
    """The start of :func:`qr_ops` for ``rect``: the same on every page."""
    return f"q 0 g {fmt(rect.width)} 0 0 {fmt(rect.height)} {fmt(rect.x0)} {fmt(rect.y0)} cm ".encode("ascii")


def _qr_image(text: str) -> bytes:
    """The rest of :func:`qr_ops`: the inline image of the QR code of ``text`` (the packed
    1-bit rows as hex, 1 = white)."""
    cols, rows, packed = qr_rows(text)
    return b"BI /W %d /H %d /IM true /BPC 1 /F /AHx ID %s> EI Q\n" % (cols, rows, hexlify(packed).upper())


@lru_cache(maxsize=8)
def _qr_places(marks: Marks) -> tuple[bytes, ...]:
    return tuple(_qr_place(r) for r in marks.qr_rects())


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
    adds continuation pages. What is the same on every page (the corner marks) or on every
    page of one form (the header) is made once.
    """
    return marks_contents(spec, (page_no,), fonts=fonts, pages=pages, document=document, person=person)[0]


def marks_contents(
    spec: FormSpec,
    page_nos: Sequence[int],
    *,
    fonts: dict[str, EmbeddedFont],
    pages: int,
    document: str = "",
    person: str = "",
) -> list[bytes]:
    """:func:`marks_content` of each of ``page_nos`` of one form (what its pages share
    is made once)."""
    codes = page_code_texts(spec.form_id, spec.version, document, page_nos, pages)
    m = spec.marks
    header_style = spec.styles[m.header_style]
    header = _text_ops(fonts[header_style.font].metrics, header_style, m.header_x, m.header_baseline,
                       m.header_text + (f" · {person}" if person else ""))
    start = _corner_ops(m, spec.page_width, spec.page_height)
    places = _qr_places(m)
    style = spec.styles[m.footer_style]
    metrics = fonts[style.font].metrics
    document_text = f" · document {document}" if document else ""
    out = []
    for page_no, code in zip(page_nos, codes):
        footer = m.footer_text.format(form=spec.form_id, version=spec.version, page=page_no, pages=pages) + document_text
        x = m.footer_right - metrics.width(footer, style.size)
        footer_ops = _text_op(style, metrics, x, m.footer_baseline, footer)
        image = _qr_image(code)  # the same code in every place
        out.append(b"".join((start, *(place + image for place in places), header, footer_ops.encode("ascii"))))
    return out


@lru_cache(maxsize=8)
def _corner_ops(marks: Marks, page_width: float, page_height: float) -> bytes:
    canvas = Canvas({})
    for r in marks.corner_rects(page_width, page_height):
        canvas.fill_rect(r, 0.0)
    return canvas.bytes()


@lru_cache(maxsize=16)
def _text_ops(metrics: FontMetrics, style: Style, x: float, baseline: float, text: str) -> bytes:
    """One line of text as :meth:`Canvas.text` draws it, remembered: the running header
    is the same on every page of a form."""
    canvas = Canvas({style.font: EmbeddedFont(style.font, metrics, None)})  # type: ignore[arg-type]
    canvas.text(style, x, baseline, text)
    return canvas.bytes()
