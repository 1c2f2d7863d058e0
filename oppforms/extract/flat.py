"""Forms without fields: flattened, printed to PDF, or re-distilled — read from the page text.

The pages are recognised by the footer every page of the form carries (form id, version,
``pagina N van M`` and the document id), else by the title; a PDF may hold several forms
one after another (a merged print file), each starting at its page 1. Each page is placed
on the blank form by its printed words (:mod:`.align`), and each field's value is the text
inside its box (:mod:`.layout`). Text that continued on a continuation page ("Vervolg van:
…", reached through the marker "» vervolg op pagina N" that ends the box) is put back where
it belongs, the marker left out. A drawn signature is ink, an image or a shape inside a
signature box that the blank form does not have there.

Pages that are images without a text layer are counted, not read: the caller hands such a
file to the scanned-forms reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from ..i18n import N_
from ..continuation import layout_for
from ..fonts import FontMetrics
from ..geometry import PdfRect
from ..records import PageOrigin, Record, ReviewItem, empty_values
from ..spec import Field, FormSpec, current_spec
from ..typeset import typed_breaks
from .align import Placement, fit_placement
from .detect import FooterMatch, footer_in, shipped_spec, title_in
from .layout import Glyph, Line, Measure, break_between_lines, join_lines, lines_of, set_with_gaps
from .normalize import normalize_value
from .pages import PageContent, box_of, drawn_inside, page_anchors, template_model

__all__ = ["TextReading", "read_text_forms"]

METHOD = "text"
#: Pages read before giving up on a PDF that shows no sign of the form.
LOOK_AHEAD = 3


@dataclass(frozen=True, slots=True)
class TextReading:
    """What the page text gave: the forms found, how many pages were scans (images
    without a text layer) and how many had text, and why nothing was read when a form was
    recognised but cannot be (an unknown version)."""

    records: tuple[Record, ...]
    scanned_pages: int
    text_pages: int
    problem: str = ""


@dataclass(slots=True)
class _Page:
    content: PageContent
    lines: list[Line]
    footer: FooterMatch | None
    title: bool

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(slots=True)
class _Form:
    pages: dict[int, _Page] = field(default_factory=dict)
    last: int = 0
    document: str = ""
    version: str = ""

    def add(self, number: int, page: _Page) -> None:
        self.pages.setdefault(number, page)
        self.last = number


def read_text_forms(
    pages: Iterable[PageContent], *, source: str, spec: FormSpec | None = None
) -> TextReading:
    """The forms in ``pages`` (a PDF's pages in order). ``spec`` is the form the metadata
    named, if any; without it, a PDF whose first pages do not show the form is given up on
    early (:data:`LOOK_AHEAD`)."""
    base = spec or current_spec()
    infos: list[_Page] = []
    scanned = text_pages = nonblank = 0
    found = spec is not None
    for content in pages:
        if content.blank:
            continue
        nonblank += 1
        if content.scanned or not content.has_text:
            scanned += bool(content.images)
            infos.append(_Page(content, [], None, False))
        else:
            text_pages += 1
            lines = lines_of(content.glyphs)
            text = "\n".join(line.text for line in lines)
            page = _Page(content, lines, footer_in(text, base), title_in(text, base))
            found = found or page.footer is not None or page.title
            infos.append(page)
        if not found and nonblank >= LOOK_AHEAD:
            break
    if not found:
        return TextReading((), scanned, text_pages)
    forms = _segment(infos)
    records = []
    for form in forms:
        form_spec = spec or base
        if form.version and form.version != form_spec.version:
            other = shipped_spec(form_spec.form_id, form.version)
            if other is None:
                problem = N_("{form} version {version} is not known to this oppforms").format(form=form_spec.form_id, version=form.version)
                return TextReading((), scanned, text_pages, problem)
            form_spec = other
        records.append(_FormReader(form_spec, form, source).read())
    return TextReading(tuple(records), scanned, text_pages)


def _segment(infos: Sequence[_Page]) -> list[_Form]:
    """The pages as forms. Pages whose footer names a document belong to that document's
    form, in whatever order they come (a page number seen again starts another copy).
    Without a document id, a form starts at a page 1 or where the page numbers go back;
    a page without a footer follows the page before it."""
    forms: list[_Form] = []
    by_document: dict[str, _Form] = {}
    current: _Form | None = None
    for page in infos:
        f = page.footer
        if f is not None and f.document:
            form = by_document.get(f.document)
            if form is None or f.page in form.pages:
                form = _Form(document=f.document, version=f.version)
                forms.append(form)
                by_document[f.document] = form
            form.add(f.page, page)
            current = form
        elif f is not None:
            if current is None or current.document or (f.page == 1 and bool(current.pages)) or f.page <= current.last:
                current = _Form(version=f.version)
                forms.append(current)
            current.add(f.page, page)
        elif page.title and (current is None or 1 in current.pages):
            current = _Form()
            forms.append(current)
            current.add(1, page)
        elif current is not None:
            current.add(current.last + 1, page)
    return forms


@dataclass(slots=True)
class _Section:
    """A section of a continuation page: the field its heading names (None for none of
    this form's), whether it goes on from the page before, the heading's lines, where its
    first line stands when no line break was typed before it, its lines of text, and the
    page its marker says it goes on at (0 for none)."""

    field: Field | None
    again: bool
    heading: list[Line]
    expected: float
    lines: list[Line] = field(default_factory=list)
    next_page: int = 0


def _marker_pattern(marker: str) -> re.Pattern[str]:
    parts = marker.split("{page}")
    words = [r"\s*".join(re.escape(w) for w in part.split()) for part in parts]
    return re.compile(r"\s*" + r"\s*(\d{1,4})\s*".join(words) + r"\s*$")


@cache
def _metrics(filename: str) -> FontMetrics:
    return FontMetrics.shipped(filename)


class _FormReader:
    def __init__(self, spec: FormSpec, form: _Form, source: str) -> None:
        self.spec = spec
        self.form = form
        self.source = source
        self.model = template_model(spec)
        self.values, self.signed = empty_values(spec)
        self.review: list[ReviewItem] = []
        self.warnings: list[str] = []
        self.placements: dict[int, Placement] = {}
        self.marker = _marker_pattern(spec.continuation.marker)
        self.font = spec.fonts[spec.values.font]
        self.font_name = _metrics(self.font).postscript_name.split("-")[0]
        self.value_ascent = _metrics(self.font).descriptor.ascent
        self.continued_pages: set[int] = set()
        self.layout = layout_for(spec)
        self.sections_cache: dict[int, list[_Section] | None] = {}

    # -- placing pages ---------------------------------------------------------------

    def placement(self, page_no: int) -> Placement | None:
        if page_no in self.placements:
            return self.placements[page_no]
        page = self.form.pages.get(page_no)
        if page is None or not page.lines:
            return None
        found = fit_placement(self.model.anchors.get(page_no, ()), page_anchors(page.content))
        if found is None:
            self.review.append(
                ReviewItem(
                    N_(
                        "page {page}: the form's printed text was not found where expected; "
                        "the boxes were placed without alignment"
                    ).format(page=page_no),
                    page=page_no,
                )
            )
            found = Placement()
        self.placements[page_no] = found
        return found

    def continuation_placement(self, page: _Page) -> Placement:
        """A continuation page prints nothing of the form but its corner marks: placed on
        those, else as the form's own pages were (a printer treats all pages alike)."""
        found = fit_placement(self.model.anchors.get(0, ()), page_anchors(page.content))
        if found is not None:
            return found
        for n in range(1, self.spec.page_count + 1):
            p = self.placement(n)
            if p is not None and p.anchors:
                return p
        return Placement()

    # -- reading ---------------------------------------------------------------------

    def read(self) -> Record:
        spec = self.spec
        for page_no in range(1, spec.page_count + 1):
            page = self.form.pages.get(page_no)
            if page is None:
                self.review.append(ReviewItem(N_("page {page} of the form is missing").format(page=page_no), page=page_no))
            elif not page.lines:
                self.review.append(
                    ReviewItem(N_("page {page} has no text layer (a scan?); read its fields by hand").format(page=page_no), page=page_no)
                )
        for f in spec.value_fields:
            self.read_field(f)
        for f in spec.signature_fields:
            self.read_signature(f)
        used = {n for n in self.form.pages if n <= spec.page_count} | self.continued_pages
        for n in sorted(set(self.form.pages) - used):
            self.warnings.append(N_("page {page}: not a page of the form and not a continuation of a field; left out").format(page=n))
        return Record(
            source=self.source,
            form=spec.form_id,
            version=spec.version,
            method=METHOD,
            fields=self.values,
            signed=self.signed,
            review=tuple(self.review),
            warnings=tuple(dict.fromkeys(self.warnings)),
            document=self.form.document,
            pages=tuple(PageOrigin(n, self.source, self.form.pages[n].content.index + 1) for n in sorted(self.form.pages)),
        )

    def measure_for(self, lines: Sequence[Line]) -> Measure | None:
        fonts = {line.font for line in lines}
        if fonts and all(self.font_name in f for f in fonts):
            return _metrics(self.font).width
        return None

    def snap(self, size: float) -> float:
        vs = self.spec.values
        return min(vs.size, max(vs.min_size, round(size * 2) / 2))

    def read_field(self, f: Field) -> None:
        texts: list[str] = []
        box: tuple[int, PdfRect] | None = None
        for w in f.widgets:
            placement = self.placement(w.page_no)
            page = self.form.pages.get(w.page_no)
            if placement is None or page is None:
                continue
            text = self.box_text(f, page, placement, w.rect, w.page_no)
            texts.append(text)
            box = box or (w.page_no, w.rect)
        if not texts:
            return
        value = next((t for t in texts if t.strip()), "")
        if len({" ".join(t.split()) for t in texts if t.strip()}) > 1:
            self.warnings.append(N_("{field}: its places on the form show different text; the first was taken").format(field=f.name))
        n = normalize_value(value, f, self.spec)
        self.values[f.name] = n.value
        self.warnings.extend(n.warnings)
        if n.review and box is not None:
            self.review.append(ReviewItem(N_("{field}: {reason}").format(field=f.name, reason=n.review), f.name, box[0], box_of(box[1])))

    def glyphs_in(self, page: _Page, box: PdfRect) -> list[Glyph]:
        return [
            g
            for g in page.content.glyphs
            if box.y0 < g.y < box.y1 and box.x0 - 1.0 <= g.x + g.width / 2 <= box.x1 + 1.0
        ]

    def box_text(self, f: Field, page: _Page, placement: Placement, rect: PdfRect, page_no: int) -> str:
        vs = self.spec.values
        lines = [line for line in lines_of(self.glyphs_in(page, placement.rect(rect))) if line.text.strip()]
        if not lines:
            return ""
        next_page = 0
        m = self.marker.search(lines[-1].text)
        if f.multiline and m:
            next_page = int(m.group(1))
            lines = lines[:-1]
        inner = placement.rect(PdfRect(rect.x0 + vs.padding, rect.y0, rect.x1 - vs.padding, rect.y1))
        measure = self.measure_for(lines)

        def size_of(line: Line) -> float:
            return self.snap(line.size / placement.scale)

        if not f.multiline:
            return " ".join(line.text.strip() for line in lines)
        # a form filled by oppforms (its footer names the document) whose box shows the
        # typesetter's own layout: a typed break shows as a paragraph gap, so a line
        # without one follows a wrap, also when it starts with a dash or a number
        gaps_shown = bool(self.form.document) and set_with_gaps(
            lines, scale=placement.scale, leading=vs.leading, paragraph=vs.paragraph, size_of=size_of
        )
        text = join_lines(
            lines,
            box=inner,
            scale=placement.scale,
            leading=vs.leading,
            measure=measure,
            size_of=size_of,
            min_size=vs.min_size,
            paragraph=vs.paragraph,
            gaps_shown=gaps_shown,
        )
        if next_page and lines:
            rest, first, lead = self.continuation(f, next_page)
            if first is not None:
                size = size_of(lines[-1])
                joint = lead or break_between_lines(
                    lines[-1],
                    first,
                    box=inner,
                    scale=placement.scale,
                    measure=measure,
                    size=size,
                    min_size=vs.min_size,
                    gaps_shown=gaps_shown,
                )
                text = text + joint + rest
            else:
                self.review.append(
                    ReviewItem(
                        N_("{field}: continues on page {page}, which was not found").format(field=f.name, page=next_page),
                        f.name,
                        page_no,
                        box_of(rect),
                    )
                )
        return text

    def sections_on(self, page_no: int) -> list[_Section] | None:
        """The sections of a continuation page, top to bottom: each heading ("Vervolg van:
        …", one or two lines in the heading's style) names its field, and the lines in the
        value's size below it, down to the next heading, are its text. None when the page
        is not there or has no text."""
        if page_no in self.sections_cache:
            return self.sections_cache[page_no]
        page = self.form.pages.get(page_no)
        if page is None or not page.lines:
            self.sections_cache[page_no] = None
            return None
        spec = self.spec
        layout = self.layout
        placement = self.continuation_placement(page)
        area = placement.rect(spec.marks.content)
        body_size = spec.values.size * placement.scale
        head_size = layout.heading.size * placement.scale
        found: list[_Section] = []
        heading: list[Line] = []
        for line in lines_of(self.glyphs_in(page, area)):
            if not line.text.strip():
                continue
            big = [g for g in line.glyphs if abs(g.size - head_size) <= 0.1 * head_size]
            if any(g.text.strip() for g in big):
                line = lines_of(big)[0]  # the heading, without the details after it
                if heading and found and not found[-1].lines and found[-1].heading is heading:
                    heading.append(line)  # a heading of two lines
                    found[-1] = self.named(found[-1].heading, len(found) == 1, placement)
                    continue
                heading = [line]
                found.append(self.named(heading, not found, placement))
            elif abs(line.size - body_size) <= 0.1 * body_size and found:
                found[-1].lines.append(line)
        for section in found:
            if section.lines:
                m = self.marker.search(section.lines[-1].text)
                if m:
                    section.next_page = int(m.group(1))
                    section.lines.pop()
        self.sections_cache[page_no] = found
        return found

    def named(self, heading: list[Line], first: bool, placement: Placement) -> _Section:
        """A section under ``heading``: the field it names, and where its first line stands
        when no line break was typed before it (the layout's, from the heading)."""
        text = " ".join(" ".join(line.text for line in heading).split())
        layout = self.layout
        for f in self.spec.value_fields:
            if not f.multiline:
                continue
            for again in (False, True):
                if text != " ".join(layout.heading_text(f, again).split()):
                    continue
                if first:
                    where = layout.first_baseline(self.spec.continuation_text_top)
                    expected = placement.rect(PdfRect(self.spec.marks.content.x0, where, self.spec.marks.content.x1, where)).y0
                else:
                    # the heading's first baseline hangs from its top as the page drew it
                    head_top = 0.0
                    ascent = layout.heading.size * layout.heading_metrics.descriptor.ascent / 1000.0
                    drop = (head_top - ascent) - layout.first_baseline(layout.body_top(f, head_top, first=False))
                    expected = heading[0].y - drop * placement.scale
                return _Section(f, again, heading, expected)
        return _Section(None, False, heading, 0.0)

    def continuation(self, f: Field, page_no: int) -> tuple[str, Line | None, str]:
        """The text a field continues with from ``page_no`` on (following further markers),
        its first line, and the line breaks typed before that line (its drop below where
        the layout puts a section's first line shows them; "" when it shows none)."""
        spec = self.spec
        vs = spec.values
        parts: list[str] = []
        first: Line | None = None
        last: Line | None = None
        lead = ""
        seen: set[int] = set()
        while page_no and page_no not in seen:
            seen.add(page_no)
            sections = self.sections_on(page_no)
            if sections is None:
                self.review.append(
                    ReviewItem(N_("{field}: continues on page {page}, which was not found or has no text").format(field=f.name, page=page_no), f.name, page_no)
                )
                break
            self.continued_pages.add(page_no)
            page = self.form.pages[page_no]
            placement = self.continuation_placement(page)
            area = placement.rect(spec.marks.content)
            section = next((s for s in sections if s.field is f), None)
            if section is None:
                self.review.append(
                    ReviewItem(N_("{field}: continues on page {page}, which does not show its heading").format(field=f.name, page=page_no), f.name, page_no)
                )
                break
            lines = section.lines
            page_no = section.next_page
            if not lines:
                continue
            measure = self.measure_for(lines)
            text = join_lines(
                lines,
                box=area,
                scale=placement.scale,
                leading=vs.leading,
                measure=measure,
                size_of=lambda _line: vs.size,
                min_size=vs.size,
                paragraph=vs.paragraph,
                gaps_shown=True,
            )
            pitch = vs.size * vs.leading * placement.scale
            breaks = typed_breaks(section.expected - lines[0].y + pitch, pitch, vs.size * vs.paragraph * placement.scale)
            joint = "\n" * breaks if breaks else ""
            if last is not None:
                parts.append(
                    joint
                    or break_between_lines(
                        last,
                        lines[0],
                        box=area,
                        scale=placement.scale,
                        measure=measure,
                        size=vs.size,
                        min_size=vs.size,
                        gaps_shown=True,
                    )
                )
            elif first is None:
                lead = joint
            parts.append(text)
            first = first or lines[0]
            last = lines[-1]
        return "".join(parts), first, lead

    def read_signature(self, f: Field) -> None:
        w = f.widgets[0]
        placement = self.placement(w.page_no)
        page = self.form.pages.get(w.page_no)
        if placement is None or page is None:
            return
        box = placement.rect(w.rect)
        drawn = drawn_inside(box, page.content.marks + page.content.images)
        if drawn > self.model.signature_marks.get(f.name, 0):
            self.signed[f.name] = True
        elif any(g.text.strip() for g in self.glyphs_in(page, box.inset(2.0))):
            self.review.append(
                ReviewItem(
                    N_("{field}: text in the signature box, not a drawn signature").format(field=f.name),
                    f.name,
                    w.page_no,
                    box_of(w.rect),
                )
            )
