"""Reading the boxes of one aligned page: each field box read (and verified against the
issued value, or judged from the paper alone by :class:`~oppforms.scan.judging.PaperJudge`),
each signature box measured, a continuation page's text (its sections:
:mod:`oppforms.scan.sections`), and the ink the form and the typed values do not explain. :func:`oppforms.scan.page.read_page` identifies and aligns the
page and runs a :class:`PageReader` on it."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from ..i18n import N_
from ..errors import OppformsError
from ..geometry import PdfRect, PixelBox, from_pixels, mm, to_pixels
from ..pagecode import PageCode
from ..records import ReviewItem
from ..spec import Field, FieldKind, FormSpec, shipped_pdf_path
from ..typeset import fit_text, line_offsets
from .engines import engine, second_engine
from .images import PageRef, encode_png
from .ink import SignatureVerdict, added_ink, drop_specks, ink_mask, judge_signature, signature_evidence
from .judging import PaperJudge, value_metrics
from .ocr import Gray, OcrEngine, OcrMode, OcrText
from .readings import DPI, PX_PER_MM, PX_PER_PT, _clean_edges, _pad
from .render import blank_pages
from .results import ContinuationRead, FieldRead, Settings, SignatureRead
from .sections import read_continuation
from .text import agrees, first_difference, marker_pattern, parse_date, shown_date

_engine = engine  # under another name where a parameter is called ``engine``


class _Clock:
    def __init__(self, limit: float) -> None:
        self.start = time.monotonic()
        self.limit = limit
        self.ocr = 0.0

    def left(self) -> float:
        return self.limit - (time.monotonic() - self.start)


class _PageTimeout(OppformsError):
    exit_code = 3


class PageReader:
    def __init__(
        self,
        ref: PageRef,
        spec: FormSpec,
        settings: Settings,
        canvas: Gray,
        page_no: int,
        code: PageCode | None,
        clock: _Clock,
        *,
        rough: bool = False,
        ours: bool | None = None,
    ) -> None:
        self.ref = ref
        self.spec = spec
        self.settings = settings
        self.canvas = canvas
        self.page_no = page_no
        self.code = code
        self.clock = clock
        self.fields: list[FieldRead] = []
        self.signatures: list[SignatureRead] = []
        self.review: list[ReviewItem] = []
        self.continuation: ContinuationRead | None = None
        self.continuations: list[ContinuationRead] = []
        self.explained: list[PixelBox] = []
        self.rough = rough  # aligned without the corner marks: a box may show its neighbour's text
        self.crops = 0
        doc = code.document if code else ""
        self.expected: Mapping[str, str] | None = None
        if settings.issued is not None and doc:
            self.expected = settings.issued.get(doc)
        self.marker = marker_pattern(spec.continuation.marker)
        self.paper = PaperJudge(
            spec,
            ocr=self.ocr,
            second=second_engine,
            marker=self.marker,
            accept_confidence=settings.accept_confidence,
            ours=bool(code and code.document) if ours is None else ours,
        )

    # -- helpers ----------------------------------------------------------------------

    def box(self, rect: PdfRect) -> PixelBox:
        return to_pixels(rect, self.spec.page_height, DPI)

    def crop(self, b: PixelBox) -> Gray:
        h, w = self.canvas.shape
        return self.canvas[max(0, b.top) : min(h, b.bottom), max(0, b.left) : min(w, b.right)]

    def save_crop(self, what: str, image: Gray, b: PixelBox, *, margin: int = 0, scale: float = 1.0) -> str | None:
        """Save the crop of ``b`` (plus ``margin`` pixels) as PNG in the review folder, for a
        person to look at: at most :data:`CROP_DPI`, the paper's grain made white (see
        :func:`for_people`); its name holds the document id, page and field, never pupil data."""
        if self.settings.review_dir is None:
            return None
        h, w = image.shape
        part = image[max(0, b.top - margin) : min(h, b.bottom + margin), max(0, b.left - margin) : min(w, b.right + margin)]
        scale = min(scale, CROP_DPI / DPI)
        if scale != 1.0:
            part = np.asarray(cv2.resize(part, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        part = for_people(part)
        self.crops += 1
        doc = (self.code.document if self.code and self.code.document else "onbekend").replace("-", "")
        tag = hashlib.sha1(f"{self.ref.path}:{self.ref.page_index}".encode("utf-8", "surrogateescape")).hexdigest()[:6]
        name = f"{doc}-p{self.page_no}-{what}-{tag}-{self.crops}.png"
        folder = Path(self.settings.review_dir)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(encode_png(part))
        return str(folder / name)

    def ocr(self, image: Gray, mode: OcrMode, *, engine: OcrEngine | None = None) -> OcrText:
        left = self.clock.left()
        if left <= 0:
            raise _PageTimeout("page time limit")
        t0 = time.monotonic()
        try:
            return (engine or _engine()).read(_pad(image), mode, timeout=min(self.settings.box_timeout, left))
        finally:
            self.clock.ocr += time.monotonic() - t0

    # -- the page ---------------------------------------------------------------------

    def run(self) -> None:
        if self.page_no > self.spec.page_count:
            read_continuation(self)
            self.look_for_added_ink(expected=None)
            return
        for f, w in self.spec.widgets_on(self.page_no):
            if f.is_signature:
                self.read_signature(f, w.rect)
            else:
                self.read_field(f, w.rect)
        blank = blank_pages(str(shipped_pdf_path(self.spec)), DPI, self.spec.page_count)
        expected = blank[self.page_no - 1] if self.page_no <= len(blank) else None
        self.look_for_added_ink(expected)

    def read_signature(self, f: Field, rect: PdfRect) -> None:
        inner = self.box(rect.inset(2.5))
        evidence = signature_evidence(self.crop(inner), PX_PER_MM)
        verdict = judge_signature(evidence)
        why = (
            N_("signature box: not clearly signed nor clearly empty (a streak through it was ignored)")
            if evidence.streak
            else N_("signature box: not clearly signed nor clearly empty")
        )
        if self.rough and verdict is not SignatureVerdict.UNSURE:
            # the box may be cut a little off: a neighbour's line or text in it, or a
            # signature half outside it
            verdict = SignatureVerdict.UNSURE
            why = N_("signature box: the page was aligned without its corner marks; check the box")
        self.explained.append(self.box(rect.inset(-1.0)))
        crop = None
        if verdict is SignatureVerdict.UNSURE:
            crop = self.save_crop(f.name, self.canvas, self.box(rect), margin=6)
            self.review.append(
                ReviewItem(
                    why,
                    field=f.name,
                    page=self.page_no,
                    box=tuple(rect.as_list()),  # type: ignore[arg-type]
                    crop=crop,
                )
            )
        self.signatures.append(SignatureRead(f.name, self.page_no, verdict, evidence.ink, evidence.streak, rect, crop))

    def read_field(self, f: Field, rect: PdfRect) -> None:
        inner = self.box(rect.inset(2.0))
        crop = _clean_edges(self.crop(inner))
        mask = drop_specks(ink_mask(crop), max(6, round((0.3 * PX_PER_MM) ** 2)))
        issued = self.expected.get(f.name, "") if self.expected is not None else None
        if int(mask.sum()) < 0.5 * PX_PER_MM**2:
            if issued:
                self.add(f, "review", "", "", 100.0, N_("the box is empty on the scan, but a value was issued"), rect)
            else:
                self.add(f, "verified" if issued is not None else "empty", "", "", 100.0, "", rect)
            return
        mode = OcrMode.DATE if f.kind is FieldKind.DATE else OcrMode.BLOCK if f.multiline else OcrMode.LINE
        result = self.ocr(crop, mode)
        pad = 12
        for line in result.lines:
            for word in line.words:
                self.explained.append(
                    PixelBox(
                        inner.left + word.box.left - pad - 3,
                        inner.top + word.box.top - pad - 3,
                        inner.left + word.box.right - pad + 3,
                        inner.top + word.box.bottom - pad + 3,
                    )
                )
        lines = [line.text for line in result.lines]
        continued_on = 0
        if f.multiline and lines:
            m = self.marker.search("\n".join(lines))
            if m:
                continued_on = int(m.group(1))
                lines = "\n".join(lines)[: m.start()].split("\n")
        read = "\n".join(lines).strip()
        conf = result.confidence
        if f.kind is FieldKind.DATE:
            if issued is not None:
                for again in self.retries(crop, mode, read, shown_date(issued)):
                    if parse_date(again.replace(" ", "")) == issued or agrees(again, shown_date(issued), None):
                        self.add(f, "verified", issued, again, conf, "", rect)
                        return
                self.disagree(f, read, shown_date(issued), issued, conf, rect, inner)
                return
            self.judge_unverified(f, rect, inner, crop, result, lines, conf, 0)
            return
        if issued is not None:
            if continued_on:
                # the box shows only the start; the whole text is checked when the
                # continuation pages are joined to it (see assemble)
                self.add(f, "verified", issued, read, conf, "", rect, continued_on=continued_on)
                return
            for again in self.retries(crop, mode, read, issued):
                if agrees(again, issued, self.alphabet()):
                    self.add(f, "verified", issued, again, conf, "", rect)
                    return
            self.disagree(f, read, issued, issued, conf, rect, inner)
            return
        self.judge_unverified(f, rect, inner, crop, result, lines, conf, continued_on)

    def judge_unverified(
        self,
        f: Field,
        rect: PdfRect,
        inner: PixelBox,
        crop: Gray,
        result: OcrText,
        lines: list[str],
        conf: float,
        continued_on: int,
    ) -> None:
        """A box read without an issued value: accepted, or sent to review with the best
        guess, as :class:`~oppforms.scan.judging.PaperJudge` decides."""
        read = "\n".join(lines).strip()
        best = self.paper.decide(f, rect, crop, result, lines, conf, continued_on)
        if not best.reason and self.rough:
            reason = N_("the page was aligned without its corner marks: check that the value read is this box's")
            best = replace(best, reason=reason)
        if best.reason:
            self.add_review(f, best.value, read, best.confidence, best.reason, rect, inner, continued_on=continued_on)
        else:
            # a text that continues is accepted only with its continuation (see assemble)
            self.add(f, "accepted", best.value, read, best.confidence, "", rect, continued_on=continued_on)


    def retries(self, crop: Gray, mode: OcrMode, first: str, issued: str) -> Iterator[str]:
        """The text read first, then read again from other versions of the crop while it
        disagrees with ``issued``: a misread is rarely repeated the same way, and agreeing
        with the issued value by chance is far less likely than misreading it."""
        yield first
        if not issued:
            return
        for again in self.paper.other_readings(crop, mode):
            yield again.text

    def alphabet(self) -> frozenset[str] | None:
        return engine().alphabet

    def add(
        self,
        f: Field,
        status: str,
        value: str,
        read: str,
        conf: float,
        reason: str,
        rect: PdfRect,
        *,
        crop: str | None = None,
        continued_on: int = 0,
    ) -> None:
        self.fields.append(FieldRead(f.name, self.page_no, status, value, read, conf, reason, rect, crop, continued_on))
        if status in {"verified", "accepted"} and value:
            self.explain_print(f, rect, shown_date(value) if f.kind is FieldKind.DATE else value, continued=bool(continued_on))

    def explain_print(self, f: Field, rect: PdfRect, value: str, *, continued: bool) -> None:
        """The ink a value known to be on the paper was printed as: its lines where the
        filler's layout put them (the same fitting, in the same font), and the continuation
        marker below them. Ink there is no handwriting; ink beside it still is. A box whose
        text continues was set at the smallest size (``value`` may be only its part)."""
        vs = self.spec.values
        metrics = value_metrics(self.spec)
        d = metrics.descriptor
        fitted = fit_text(
            value,
            metrics,
            width=rect.width - 2 * vs.padding,
            height=rect.height - 2 * vs.padding,
            size=vs.min_size if continued else vs.size,
            min_size=vs.min_size,
            leading=vs.leading,
            multiline=f.multiline,
            paragraph=vs.paragraph,
        )
        size = fitted.size
        lines = list(fitted.lines)
        if f.multiline:
            first = self.spec.first_baseline(rect.y1 - vs.padding, size, d.ascent)
            paras = list(fitted.paras) or [False] * len(lines)
            if fitted.rest or continued:  # the marker, a line below the last one kept
                lines.append(self.spec.continuation.marker.format(page=99))
                paras.append(False)
            baselines = [first - y for y in line_offsets(paras, size * vs.leading, size * vs.paragraph)]
        else:
            baselines = [rect.y0 + (rect.height - size * d.cap_height / 1000.0) / 2]
        for line, base in zip(lines, baselines, strict=True):
            x0 = rect.x0 + vs.padding
            low, high = base + size * d.descent / 1000.0 - 1.5, base + size * d.ascent / 1000.0 + 1.5
            for word in re.finditer(r"\S+", line):  # word by word: a stroke between words still shows
                left = x0 + metrics.width(line[: word.start()], size)
                right = left + metrics.width(word.group(), size)
                self.explained.append(self.box(PdfRect(left - 1.5, low, right + 1.5, high)))

    def add_review(
        self, f: Field, value: str, read: str, conf: float, reason: str, rect: PdfRect, inner: PixelBox, *, continued_on: int = 0
    ) -> None:
        crop = self.save_crop(f.name, self.canvas, inner, margin=8)
        self.add(f, "review", value, read, conf, reason, rect, crop=crop, continued_on=continued_on)

    def disagree(
        self,
        f: Field,
        read: str,
        shown: str,
        issued: str,
        conf: float,
        rect: PdfRect,
        inner: PixelBox,
        *,
        continued_on: int = 0,
    ) -> None:
        a, b = first_difference(read, shown)
        crop = self.save_crop(f.name, self.canvas, inner, margin=8)
        self.add(
            f,
            "review",
            issued,
            read,
            conf,
            N_("the scan reads differently from the issued value: scan «{scan}», issued «{issued}»").format(scan=a, issued=b),
            rect,
            crop=crop,
            continued_on=continued_on,
        )

    def look_for_added_ink(self, expected: Gray | None) -> None:
        spec = self.spec
        m = spec.marks
        ignore = [self.box(r.inset(-4)) for r in m.qr_rects()]
        ignore += [self.box(r.inset(-3)) for r in m.corner_rects(spec.page_width, spec.page_height)]
        header = spec.styles[m.header_style]
        footer = spec.styles[m.footer_style]
        qr_left = min(r.x0 for r in m.qr_rects() if r.y0 > spec.page_height / 2) if any(r.y0 > spec.page_height / 2 for r in m.qr_rects()) else m.content.x1
        ignore.append(self.box(PdfRect(m.header_x - 2, m.header_baseline - header.size * 0.5, qr_left - 2, m.header_baseline + header.size * 1.2)))
        footer_left = max((r.x1 for r in m.qr_rects() if r.y1 < spec.page_height / 2), default=m.content.x0)
        ignore.append(self.box(PdfRect(footer_left + 2, m.footer_baseline - footer.size * 0.5, m.footer_right + 2, m.footer_baseline + footer.size * 1.2)))
        found = added_ink(
            self.canvas,
            expected,
            ignore=ignore,
            explained=self.explained,
            pixels_per_mm=PX_PER_MM,
            min_size_mm=self.settings.handwriting_mm,
        )
        for b in found:
            rect = from_pixels(b, spec.page_height, DPI)
            name = None
            for f, w in spec.widgets_on(self.page_no) if self.page_no <= spec.page_count else ():
                if w.rect.overlaps(rect):
                    name = f.name
                    break
            self.review.append(
                ReviewItem(
                    N_("handwriting or marks added on paper"),
                    field=name,
                    page=self.page_no,
                    box=(round(rect.x0, 1), round(rect.y0, 1), round(rect.x1, 1), round(rect.y1, 1)),
                    crop=self.save_crop("hand", self.canvas, b, margin=round(mm(4) * PX_PER_PT)),
                )
            )


#: The resolution crops are saved at: 8 pt text stays easy to read (an x-height of about 11
#: pixels), at a tenth of the bytes of the 300 dpi page.
CROP_DPI = 200.0
#: Grey within this many levels of the paper's is the paper's grain (scanner noise, JPEG
#: ripples): made white in a saved crop. Ink, pencil included, is far darker.
PAPER_GRAIN = 16


def for_people(crop: Gray) -> Gray:
    """``crop`` with the paper's grain made white, so the PNG holds the marks and not the
    noise (a 300 dpi box of a noisy scan shrinks from about 800 KB to about 50 KB at
    :data:`CROP_DPI`). The paper's level is the crop's brightest common grey; nothing
    darker than it by more than :data:`PAPER_GRAIN` changes."""
    if crop.size == 0:
        return crop
    paper = float(np.percentile(crop, 75))
    out = crop.copy()
    out[out >= paper - PAPER_GRAIN] = 255
    return out
