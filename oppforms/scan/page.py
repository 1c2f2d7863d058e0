"""Reading one scanned page: identify, align, read every box, look for added ink.

:func:`read_page` is what a worker process runs per page. It loads the page image, finds
its page code (or its layout), aligns it, and reads each field box with the OCR engine:
with the issued values at hand it verifies them, without it accepts a value only when the
engine is sure and the lines are consistent with how the form wraps text. It measures the
ink in the signature boxes and looks for ink the form does not account for. The result is
a small, picklable :class:`PageResult`; crops of what needs review are saved as PNG files
in the review folder.
"""

from __future__ import annotations

import logging
import math
import re
import time

import cv2
import numpy as np

from ..i18n import N_
from ..geometry import PdfRect, PixelBox, to_pixels
from ..pagecode import PageCode
from ..records import ReviewItem
from ..spec import FormSpec, shipped_pdf_path
from .boxes import PageReader, _Clock, _PageTimeout
from .engines import engine, second_engine, set_engine_factory
from .images import PageRef, PageRefused, load_page
from .ink import remove_scanner_streaks
from .locate import BLANK_INK, Alignment, align, code_points, find_codes, from_codes, ink_share, locate_by_layout, upright, warp
from .ocr import Gray, OcrMode, OcrTimeout
from .readings import DPI, _looks_alike, _pad, footer_document
from .results import ContinuationRead, FieldRead, PageResult, Settings, SignatureRead

__all__ = [
    "ContinuationRead",
    "FieldRead",
    "PageResult",
    "Settings",
    "SignatureRead",
    "engine",
    "read_page",
    "second_engine",
    "set_engine_factory",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# The page


def read_page(ref: PageRef, settings: Settings) -> PageResult:
    """Read one page (see the module's description). Never raises for a bad page: the
    result says what happened."""
    clock = _Clock(settings.page_timeout)
    spec = settings.spec
    try:
        image = load_page(ref)
    except PageRefused as exc:
        return PageResult(ref.path, ref.page_index, "refused", warnings=(str(exc),))
    codes = find_codes(image, spec.form_id)
    show_through = codes.faint > 0
    by_layout = False
    code: PageCode | None = None
    warnings: list[str] = []
    scanned = image
    if codes.hits:
        image, codes, _ = upright(image, codes)
        texts = {h.code for h in codes.hits}
        code = codes.hits[0].code
        if len(texts) > 1:
            warnings.append(N_("{label}: its two page codes differ; the first one read is used").format(label=ref.label))
        coarse = from_codes(spec, codes.hits)
        if coarse is None:
            return PageResult(ref.path, ref.page_index, "unknown", warnings=(N_("{label}: the page code cannot be placed").format(label=ref.label),))
        anchors = code_points(spec, codes.hits)
        page_no = code.page_no
    else:
        if codes.foreign:
            return PageResult(
                ref.path, ref.page_index, "foreign", warnings=(N_("{label}: a page of another form ({form})").format(label=ref.label, form=codes.foreign[0]),)
            )
        if ink_share(image) < BLANK_INK:
            return PageResult(ref.path, ref.page_index, "blank", show_through=show_through)
        match = locate_by_layout(image, spec, str(shipped_pdf_path(spec)))
        if match is None:
            return PageResult(
                ref.path,
                ref.page_index,
                "unknown",
                warnings=(N_("{label}: no readable page code, and the page does not look like a page of the form").format(label=ref.label),),
            )
        coarse = match.alignment
        anchors = ([], [])
        page_no = match.page_no
        by_layout = True
    image, _ = remove_scanner_streaks(image)
    alignment = align(image, spec, coarse, anchors)
    if not by_layout and alignment.method != "marks":
        mirrored = _read_mirrored(scanned, spec)
        if mirrored is not None:
            image, alignment = mirrored
            warnings.append(N_("{label}: the scan is a mirror image; it was read mirrored back").format(label=ref.label))
    del scanned
    if alignment.method == "layout":
        warnings.append(N_("{label}: aligned on the printed layout only (corner marks not found)").format(label=ref.label))
    elif alignment.method == "qr":
        warnings.append(N_("{label}: aligned on the QR codes (the corner marks were not all found)").format(label=ref.label))
    canvas = warp(image, spec, alignment.image_from_pdf, DPI)
    del image
    if by_layout:
        code = _footer_code(canvas, spec, page_no, clock)
        if code is not None and settings.issued is not None and code.document not in settings.issued:
            known = [d for d in settings.issued if _looks_alike(d, code.document)]
            if len(known) == 1:  # read with a 5 for an S: the one issued id it can be
                code = PageCode(code.form_id, code.version, known[0], code.page_no, code.pages)
    reader = PageReader(ref, spec, settings, canvas, page_no, code, clock, rough=alignment.method != "marks")
    try:
        reader.run()
    except (_PageTimeout, OcrTimeout):
        reader.review.append(
            ReviewItem(N_("reading the page took longer than {seconds:g} s; the rest of it was not read").format(seconds=settings.page_timeout), page=page_no)
        )
    if by_layout:
        where = N_("document {document}").format(document=code.document) if code and code.document else N_("an unknown document")
        reader.review.insert(
            0,
            ReviewItem(
                N_(
                    "no readable page code: found as page {page} of the form by its printed layout, "
                    "belonging to {where} by its footer; check the page"
                ).format(page=page_no, where=where),
                page=page_no,
                crop=reader.save_crop("page", canvas, PixelBox(0, 0, canvas.shape[1], canvas.shape[0]), scale=0.25),
            ),
        )
    confs = [f.confidence for f in reader.fields if f.read]
    quality = (sum(confs) / len(confs) / 100.0 if confs else 0.5) - min(alignment.residual_pt, 5.0) / 5.0
    quality += 0.2 if alignment.method == "marks" else 0.0
    return PageResult(
        ref.path,
        ref.page_index,
        "form",
        code=code,
        page_no=page_no,
        by_layout=by_layout,
        quality=quality,
        alignment=alignment.method,
        residual_pt=alignment.residual_pt if math.isfinite(alignment.residual_pt) else -1.0,
        fields=tuple(reader.fields),
        signatures=tuple(reader.signatures),
        continuation=reader.continuation,
        review=tuple(reader.review),
        warnings=tuple(warnings),
        show_through=show_through,
        seconds=time.monotonic() - clock.start,
        ocr_seconds=clock.ocr,
    )


def _read_mirrored(image: Gray, spec: FormSpec) -> tuple[Gray, Alignment] | None:
    """The page mirrored back and aligned on its corner marks, when the scan is a mirror
    image (a QR reader reads a mirrored code as a turned one, but the marks then do not
    fit); None when mirroring does not make the marks fit either."""
    flipped = np.ascontiguousarray(np.asarray(cv2.flip(image, 1), dtype=np.uint8))
    codes = find_codes(flipped, spec.form_id)
    if not codes.hits:
        return None
    flipped, codes, _ = upright(flipped, codes)
    coarse = from_codes(spec, codes.hits)
    if coarse is None:
        return None
    flipped, _ = remove_scanner_streaks(flipped)
    alignment = align(flipped, spec, coarse)
    return (flipped, alignment) if alignment.method == "marks" else None


_FOOTER = re.compile(r"pagina\s+(\d+)\s+van\s+(\d+).*?document\s+([A-Z0-9]{4})\s*-\s*([A-Z0-9]{4})", re.IGNORECASE)
def _footer_code(canvas: Gray, spec: FormSpec, page_no: int, clock: _Clock) -> PageCode | None:
    """The page code from the printed footer ("pagina N van M · document XXXX-XXXX"), for a
    page whose QR codes cannot be read."""
    m = spec.marks
    style = spec.styles[m.footer_style]
    rect = PdfRect(m.content.x0, m.footer_baseline - style.size * 0.6, m.footer_right + 4, m.footer_baseline + style.size * 1.4)
    box = to_pixels(rect, spec.page_height, DPI)
    crop = canvas[box.top : box.bottom, box.left : box.right]
    try:
        t0 = time.monotonic()
        text = engine().read(_pad(crop), OcrMode.LINE, timeout=min(10.0, max(clock.left(), 1.0))).text
        clock.ocr += time.monotonic() - t0
    except OcrTimeout:
        return None
    found = _FOOTER.search(text.replace("·", " "))
    if not found:
        return None
    page, pages = int(found.group(1)), int(found.group(2))
    doc = footer_document(found.group(3), found.group(4))
    if doc is None or (page != page_no and page_no <= spec.page_count):
        return None
    return PageCode(spec.form_id, spec.version, doc, page, pages)
