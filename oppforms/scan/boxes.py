"""Reading the boxes of one aligned page: each field box read (and verified against the
issued value, or judged from the paper alone by :class:`~oppforms.scan.judging.PaperJudge`),
each signature box measured, a continuation page's text, and the ink the form and the
typed values do not explain. :func:`oppforms.scan.page.read_page` identifies and aligns the
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
from ..continuation import layout_for
from ..spec import Field, FieldKind, FormSpec, shipped_pdf_path
from ..typeset import fit_text, line_offsets, typed_breaks
from .engines import engine, second_engine
from .images import PageRef, encode_png
from .ink import SignatureVerdict, added_ink, drop_specks, ink_mask, judge_signature, signature_evidence
from .judging import PaperJudge, drops_of, value_metrics
from .ocr import Gray, OcrEngine, OcrLine, OcrMode, OcrText
from .readings import _PAD, DPI, PX_PER_MM, PX_PER_PT, _clean_edges, _pad
from .render import blank_pages
from .results import ContinuationRead, FieldRead, Settings, SignatureRead
from .text import agrees, first_difference, marker_pattern, normalise_space, parse_date, rebuild_paragraphs, shown_date, stray_tail

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
        tag = hashlib.sha1(f"{self.ref.path}:{self.ref.page_index}".encode()).hexdigest()[:6]
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
            self.read_continuation()
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

    def read_continuation(self) -> None:
        """A continuation page: its sections where the layout puts them (derived from the
        issued values when they are known, else from the headings the page shows), each
        section's text read as a field's."""
        spec = self.spec
        c = spec.marks.content
        parts = self.issued_sections()
        derived = parts is not None
        if parts is None:
            parts = self.printed_sections()
        layout = layout_for(spec)
        ascent = spec.values.size * layout.metrics.descriptor.ascent / 1000.0
        for i, (field, head_top, body_top, bottom) in enumerate(parts):
            last = self.read_section(field, head_top, body_top, bottom)
            if derived or i + 1 == len(parts):
                continue
            # the next heading stands where the layout puts it after this text's last
            # line; elsewhere, a line was missed or one read that is not the text's
            after = parts[i + 1][1]
            expected = last + ascent - layout.pitch - spec.continuation.section_gap if last is not None else None
            if expected is None or abs(after - expected) > layout.pitch / 2:
                self.continuations[-1] = replace(self.continuations[-1], sure=False)
        self.continuation = self.continuations[0] if self.continuations else None
        if not parts or any(field is None for field, *_ in parts):
            head_rect = PdfRect(c.x0, c.y1 - 2 * spec.styles[spec.continuation.heading_style].leading - 2, c.x1, c.y1 + 2)
            self.review.append(
                ReviewItem(
                    N_("a continuation page whose heading names no field of the form"),
                    page=self.page_no,
                    crop=self.save_crop("vervolg", self.canvas, self.box(head_rect), margin=6),
                )
            )

    def issued_sections(self) -> list[tuple[Field | None, float, float, float]] | None:
        """The sections of this page as the filler laid them out from the issued values
        (packed, or one page per field as before packing: the layout whose page count the
        page code gives), each heading checked on the page; None without issued values or
        when the page does not show that layout."""
        if self.expected is None or self.code is None:
            return None
        layout = layout_for(self.spec)
        for packed in (True, False):
            pages = layout.plan(self.expected, packed=packed)
            if self.spec.page_count + len(pages) != self.code.pages:
                continue
            page = next((p for p in pages if p.page_no == self.page_no), None)
            if page is None:
                return None
            parts = _with_bottoms([(part.field, part.head_top, part.body_top) for part in page.sections], self.spec)
            if all(self.heading_shows(part.field, part.head_top, part.again) for part in page.sections):
                return parts
        return None

    def heading_shows(self, f: Field, head_top: float, again: bool) -> bool:
        """Whether the heading hanging from ``head_top`` names ``f``."""
        c = self.spec.marks.content
        layout = layout_for(self.spec)
        n = layout.heading_lines(f, again)
        rect = PdfRect(c.x0, head_top - n * layout.heading.leading - 1, c.x1, head_top + 2)
        text = self.ocr(self.crop(self.box(rect)), OcrMode.LINE if n == 1 else OcrMode.BLOCK).text
        return _field_by_heading(self.spec, text) is f

    def printed_sections(self) -> list[tuple[Field | None, float, float, float]]:
        """The sections of this page from the headings it shows ("Vervolg van: …", read
        from the page at half resolution): each heading names its field, and the layout
        puts its text below it (a page's first section as every continuation page has it)."""
        spec = self.spec
        c = spec.marks.content
        layout = layout_for(spec)
        box = self.box(PdfRect(c.x0 - 2, c.y0, c.x1 + 2, c.y1 + 4))
        crop = self.crop(box)
        half = np.asarray(cv2.resize(crop, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        result = self.ocr(half, OcrMode.BLOCK)
        ascent = layout.heading.size * layout.heading_metrics.descriptor.ascent / 1000.0
        found: list[tuple[Field | None, float, float]] = []
        lines = result.lines
        for i, line in enumerate(lines):
            if not _HEADING.match(normalise_space(line.text)):
                continue
            following = lines[i + 1].text if i + 1 < len(lines) else ""
            f = _field_by_heading(spec, line.text, line.text + " " + following)
            baseline = spec.page_height - (box.top + 2 * (line.baseline - _PAD)) / PX_PER_PT
            head_top = baseline + ascent
            first = not found and head_top > c.y1 - layout.heading.leading
            if first:
                head_top = c.y1
            body_top = layout.body_top(f, head_top, first=first) if f is not None else head_top - 2 * layout.heading.leading
            found.append((f, head_top, body_top))
        return _with_bottoms(found, spec)

    def read_section(self, field: Field | None, head_top: float, body_top: float, bottom: float) -> float | None:
        """One section's text: read as a block from where the layout puts it (``body_top``)
        down to ``bottom``, with the marker that says where it goes on. Returns the
        baseline of its last line (None when it shows none)."""
        spec = self.spec
        c = spec.marks.content
        head_rect = PdfRect(c.x0, body_top, c.x1, head_top)
        text_rect = PdfRect(c.x0 - 2, bottom, c.x1 + 2, body_top + 4)
        top = body_top
        tb = self.box(text_rect)
        result = self.ocr(_clean_edges(self.crop(tb)), OcrMode.BLOCK)
        specks: set[int] = set()  # lines read that are specks far below the text
        self.explained.append(self.box(head_rect))
        text = result.text
        next_page = 0
        m = self.marker.search(text)
        if m:
            next_page = int(m.group(1))
            text = text[: m.start()]
        lines = [line for line in text.strip().split("\n") if line.strip()]
        lead = ""
        sure = False
        last: float | None = None
        confidence = result.confidence
        if lines:
            vs = spec.values
            metrics = value_metrics(spec)
            pitch = vs.size * vs.leading
            drops = drops_of(result, len(lines))
            stray = stray_tail(lines, drops, pitch) if drops else 0
            # ink cut by the crop's side (a mark in the margin beside the text) read as the
            # last lines: the text stands inside the content area, never on its edge
            stray = max(stray, _cut_at_sides(result.lines[: len(lines)], tb.right - tb.left))
            if stray:  # a speck far below the text: not the text's, nor explained by it; not sure
                specks = set(range(len(lines) - stray, len(lines)))
                lines, drops = lines[: len(lines) - stray], (drops or [])[: len(lines) - stray - 1]
                text = "\n".join(lines)
            shown = OcrText(result.lines[: len(lines)])
            confidence = shown.confidence
            # with the issued values the joined text is checked against them (see assemble)
            printed = self.paper.check_print(_clean_edges(self.crop(tb)), shown, vs.size) if drops is not None and self.expected is None else None
            rebuilt = rebuild_paragraphs(
                printed.lines if printed is not None else lines,
                metrics,
                c.width,
                [vs.size],
                drops=drops,
                leading=vs.leading,
                paragraph=vs.paragraph,
            )
            if rebuilt is not None:
                text = rebuilt.text
            # sure: every word matches the print, the lines stand where the layout puts
            # them, and the engine is sure of each word
            sure = (
                not stray
                and not self.rough
                and field is not None
                and printed is not None
                and printed.sure
                and rebuilt is not None
                and rebuilt.laid_out
                and confidence >= self.settings.accept_confidence
                and not any(_HEADING.match(normalise_space(line)) for line in lines)
            )
            last = spec.page_height - (tb.top + result.lines[len(lines) - 1].baseline - _PAD) / PX_PER_PT
            # the first line stands a paragraph gap lower when a line break was typed
            # before it (in the box or on the page before)
            expected = (spec.page_height - spec.first_baseline(top, vs.size, metrics.descriptor.ascent)) * PX_PER_PT
            seen = tb.top + result.lines[0].baseline - _PAD
            lead = "\n" * typed_breaks((seen - expected) / PX_PER_PT + pitch, pitch, vs.size * vs.paragraph)
        for i, line in enumerate(result.lines):
            for word in line.words if i not in specks else ():
                self.explained.append(
                    PixelBox(tb.left + word.box.left - 15, tb.top + word.box.top - 15, tb.left + word.box.right - 9, tb.top + word.box.bottom - 9)
                )
        self.continuations.append(ContinuationRead(field.name if field else None, text.strip(), confidence, next_page, lead, sure))
        return last

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


_HEADING = re.compile(r"^\W*vervolg\s*van\b", re.IGNORECASE)


def _cut_at_sides(lines: tuple[OcrLine, ...], width: int) -> int:
    """How many of the last ``lines`` read from a crop ``width`` pixels wide (and padded by
    :data:`_PAD`) are ink its left or right edge cuts through, every word of them, while a
    line above stays inside: a mark beside the text rather than the text."""
    k = 0
    while len(lines) - k > 1 and all(w.box.left <= _PAD + 1 or w.box.right >= _PAD + width - 1 for w in lines[-1 - k].words):
        k += 1
    return k


def _with_bottoms(
    parts: list[tuple[Field | None, float, float]], spec: FormSpec
) -> list[tuple[Field | None, float, float, float]]:
    """Each section with where its text ends at the latest: just above the next heading,
    or the foot of the content area."""
    out = []
    for i, (f, head_top, body_top) in enumerate(parts):
        bottom = parts[i + 1][1] + 4 if i + 1 < len(parts) else spec.marks.content.y0
        out.append((f, head_top, body_top, bottom))
    return out


def _field_by_heading(spec: FormSpec, *headings: str) -> Field | None:
    """The multiline field whose heading ("Vervolg van: <label>", perhaps "(vervolg)") the
    text read is most like, trying each of ``headings`` (a heading's first line, or it
    with the line after it); None when none is like any heading closely enough."""
    import difflib

    best: tuple[float, Field] | None = None
    for heading in headings:
        text = " ".join(normalise_space(heading).split())
        text = re.sub(r"^\W*vervolg\s+van\s*:?\s*", "", text, flags=re.IGNORECASE)
        text = re.sub(r"\(vervolg\)", "", text).strip()
        for f in spec.value_fields:
            if not f.multiline:
                continue
            ratio = difflib.SequenceMatcher(None, text.lower(), f.label.lower()).ratio()
            head = difflib.SequenceMatcher(None, text.lower()[: len(f.label) + 5], f.label.lower()).ratio()
            score = max(ratio, head)
            if best is None or score > best[0]:
                best = (score, f)
    if best is None or best[0] < 0.8:
        return None
    return best[1]
