"""Reading a continuation page: where its sections stand (from the issued values when they
are known, else from the headings the page shows) and each section's text, read as a field's.
Run by :class:`~oppforms.scan.boxes.PageReader` on a page past the form's own."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..i18n import N_
from ..geometry import PdfRect, PixelBox
from ..records import ReviewItem
from ..continuation import layout_for
from ..spec import Field, FormSpec
from ..typeset import typed_breaks
from .judging import drops_of, value_metrics
from .ocr import OcrLine, OcrMode, OcrText
from .readings import _PAD, PX_PER_PT, _clean_edges
from .results import ContinuationRead
from .text import normalise_space, rebuild_paragraphs, stray_tail

if TYPE_CHECKING:
    from .boxes import PageReader


def read_continuation(reader: PageReader) -> None:
    """A continuation page: its sections where the layout puts them (derived from the
    issued values when they are known, else from the headings the page shows), each
    section's text read as a field's."""
    spec = reader.spec
    c = spec.marks.content
    parts = _issued_sections(reader)
    derived = parts is not None
    if parts is None:
        parts = _printed_sections(reader)
    layout = layout_for(spec)
    ascent = spec.values.size * layout.metrics.descriptor.ascent / 1000.0
    for i, (field, head_top, body_top, bottom) in enumerate(parts):
        last = _read_section(reader, field, head_top, body_top, bottom)
        if derived or i + 1 == len(parts):
            continue
        # the next heading stands where the layout puts it after this text's last
        # line; elsewhere, a line was missed or one read that is not the text's
        after = parts[i + 1][1]
        expected = last + ascent - layout.pitch - spec.continuation.section_gap if last is not None else None
        if expected is None or abs(after - expected) > layout.pitch / 2:
            reader.continuations[-1] = replace(reader.continuations[-1], sure=False)
    reader.continuation = reader.continuations[0] if reader.continuations else None
    if not parts or any(field is None for field, *_ in parts):
        head_rect = PdfRect(c.x0, c.y1 - 2 * spec.styles[spec.continuation.heading_style].leading - 2, c.x1, c.y1 + 2)
        reader.review.append(
            ReviewItem(
                N_("a continuation page whose heading names no field of the form"),
                page=reader.page_no,
                crop=reader.save_crop("vervolg", reader.canvas, reader.box(head_rect), margin=6),
            )
        )

def _issued_sections(reader: PageReader) -> list[tuple[Field | None, float, float, float]] | None:
    """The sections of this page as the filler laid them out from the issued values
    (packed, or one page per field as before packing: the layout whose page count the
    page code gives), each heading checked on the page; None without issued values or
    when the page does not show that layout."""
    if reader.expected is None or reader.code is None:
        return None
    layout = layout_for(reader.spec)
    for packed in (True, False):
        pages = layout.plan(reader.expected, packed=packed)
        if reader.spec.page_count + len(pages) != reader.code.pages:
            continue
        page = next((p for p in pages if p.page_no == reader.page_no), None)
        if page is None:
            return None
        parts = _with_bottoms([(part.field, part.head_top, part.body_top) for part in page.sections], reader.spec)
        if all(_heading_shows(reader, part.field, part.head_top, part.again) for part in page.sections):
            return parts
    return None

def _heading_shows(reader: PageReader, f: Field, head_top: float, again: bool) -> bool:
    """Whether the heading hanging from ``head_top`` names ``f``."""
    c = reader.spec.marks.content
    layout = layout_for(reader.spec)
    n = layout.heading_lines(f, again)
    rect = PdfRect(c.x0, head_top - n * layout.heading.leading - 1, c.x1, head_top + 2)
    text = reader.ocr(reader.crop(reader.box(rect)), OcrMode.LINE if n == 1 else OcrMode.BLOCK).text
    return _field_by_heading(reader.spec, text) is f

def _printed_sections(reader: PageReader) -> list[tuple[Field | None, float, float, float]]:
    """The sections of this page from the headings it shows ("Vervolg van: …", read
    from the page at half resolution): each heading names its field, and the layout
    puts its text below it (a page's first section as every continuation page has it)."""
    spec = reader.spec
    c = spec.marks.content
    layout = layout_for(spec)
    box = reader.box(PdfRect(c.x0 - 2, c.y0, c.x1 + 2, c.y1 + 4))
    crop = reader.crop(box)
    half = np.asarray(cv2.resize(crop, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    result = reader.ocr(half, OcrMode.BLOCK)
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

def _read_section(reader: PageReader, field: Field | None, head_top: float, body_top: float, bottom: float) -> float | None:
    """One section's text: read as a block from where the layout puts it (``body_top``)
    down to ``bottom``, with the marker that says where it goes on. Returns the
    baseline of its last line (None when it shows none)."""
    spec = reader.spec
    c = spec.marks.content
    head_rect = PdfRect(c.x0, body_top, c.x1, head_top)
    text_rect = PdfRect(c.x0 - 2, bottom, c.x1 + 2, body_top + 4)
    top = body_top
    tb = reader.box(text_rect)
    result = reader.ocr(_clean_edges(reader.crop(tb)), OcrMode.BLOCK)
    specks: set[int] = set()  # lines read that are specks far below the text
    reader.explained.append(reader.box(head_rect))
    text = result.text
    next_page = 0
    m = reader.marker.search(text)
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
        printed = reader.paper.check_print(_clean_edges(reader.crop(tb)), shown, vs.size) if drops is not None and reader.expected is None else None
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
            and not reader.rough
            and field is not None
            and printed is not None
            and printed.sure
            and rebuilt is not None
            and rebuilt.laid_out
            and confidence >= reader.settings.accept_confidence
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
            reader.explained.append(
                PixelBox(tb.left + word.box.left - 15, tb.top + word.box.top - 15, tb.left + word.box.right - 9, tb.top + word.box.bottom - 9)
            )
    reader.continuations.append(ContinuationRead(field.name if field else None, text.strip(), confidence, next_page, lead, sure))
    return last


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
