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
import time
from collections.abc import Callable

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
from .printed import Footer, Printed, crop_rect, id_rect, identify_by_print, read_print, resolve_document
from .readings import DPI
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
    found: Printed | None = None
    footer: Footer | None = None
    person = ""
    pages_printed = 0
    id_print: Gray | None = None
    ours: bool | None = None
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
        # no readable code: the corner marks and the printed footer say which page it is
        # (continuation pages too); else the printed layout (the form's own pages only)
        found = identify_by_print(image, spec, _line_reader(clock))
        if found is not None:
            image, coarse, footer, person = found.image, found.alignment, found.footer, found.person
            page_no = footer.page_no
        else:
            match = locate_by_layout(image, spec, str(shipped_pdf_path(spec)))
            if match is None:
                return PageResult(
                    ref.path,
                    ref.page_index,
                    "unknown",
                    warnings=(N_("{label}: no readable page code, and neither its footer nor its layout is the form's").format(label=ref.label),),
                )
            coarse = match.alignment
            page_no = match.page_no
        anchors = ([], [])
        by_layout = True
    image, _ = remove_scanner_streaks(image)
    alignment = coarse if coarse.method == "marks" else align(image, spec, coarse, anchors)
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
    notes: list[ReviewItem] = []
    if by_layout:
        if found is None:  # found by its layout: its footer and header read on the aligned page
            footer, person = read_print(canvas, spec, _line_reader(clock))
            if footer is not None and footer.page_no != page_no and page_no <= spec.page_count:
                footer = None  # the layout and the footer disagree: neither is trusted for the document
        if footer is not None and footer.version != spec.version:
            return PageResult(
                ref.path,
                ref.page_index,
                "foreign",
                warnings=(N_("{label}: a page of another version of the form ({form} {version}, by its footer)").format(label=ref.label, form=footer.form_id, version=footer.version),),
            )
        code, note = _footer_code(footer, person, spec, settings)
        if footer is not None and footer.document:
            id_print = crop_rect(canvas, spec, id_rect(spec, footer.document))
        if note:
            notes.append(ReviewItem(note, page=page_no))
        if footer is not None:
            pages_printed = footer.pages
            ours = footer.document is None or bool(footer.document)
    reader = PageReader(ref, spec, settings, canvas, page_no, code, clock, rough=alignment.method != "marks", ours=ours)
    try:
        reader.run()
    except (_PageTimeout, OcrTimeout):
        reader.review.append(
            ReviewItem(N_("reading the page took longer than {seconds:g} s; the rest of it was not read").format(seconds=settings.page_timeout), page=page_no)
        )
    if by_layout:
        how = N_("printed footer") if found is not None else N_("printed layout")
        if code and code.document:
            where = N_("document {document} by its footer").format(document=code.document)
        elif footer is not None and footer.document is None:
            where = N_("a document whose id its footer shows unreadably")
        else:
            where = N_("an unknown document")
        reader.review[:0] = [
            ReviewItem(
                N_(
                    "no readable page code: found as page {page} of the form by its {how}, "
                    "belonging to {where}; check the page"
                ).format(page=page_no, how=how, where=where),
                page=page_no,
                crop=reader.save_crop("page", canvas, PixelBox(0, 0, canvas.shape[1], canvas.shape[0]), scale=0.25),
            ),
            *notes,
        ]
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
        person=person,
        pages_printed=pages_printed,
        quality=quality,
        alignment=alignment.method,
        residual_pt=alignment.residual_pt if math.isfinite(alignment.residual_pt) else -1.0,
        fields=tuple(reader.fields),
        signatures=tuple(reader.signatures),
        continuation=reader.continuation,
        continuations=tuple(reader.continuations),
        review=tuple(reader.review),
        warnings=tuple(warnings),
        show_through=show_through,
        seconds=time.monotonic() - clock.start,
        ocr_seconds=clock.ocr,
        id_print=id_print,
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


def _line_reader(clock: _Clock) -> Callable[..., str]:
    """One line of print read with this process's engine (the footer, the header),
    counted in the page's OCR time."""

    def read(crop: Gray, mode: OcrMode = OcrMode.LINE) -> str:
        t0 = time.monotonic()
        try:
            return engine().read(crop, mode, timeout=min(10.0, max(clock.left(), 1.0))).text
        except OcrTimeout:
            return ""
        finally:
            clock.ocr += time.monotonic() - t0

    return read


def _footer_code(footer: Footer | None, person: str, spec: FormSpec, settings: Settings) -> tuple[PageCode | None, str]:
    """The page code a page without a readable code gets from its footer, and a note when
    its document id was read otherwise than printed; None when the footer names no
    document that can be read (assembly may still place the page by its header's name).
    With the issued registry, the id is checked against it (see
    :func:`~oppforms.scan.printed.resolve_document`)."""
    if footer is None or footer.document is None:
        return None, ""
    doc, note = footer.document, ""
    if not doc and person:
        return None, ""  # a name in the header, but no id read in the footer: not a blank form
    if doc and settings.issued is not None:
        doc, note = resolve_document(doc, person, settings.issued, spec.records.person)
    return PageCode(spec.form_id, spec.version, doc, footer.page_no, footer.pages), note
