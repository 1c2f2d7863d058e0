"""The layout of continuation pages: where the text that does not fit its box goes.

One function, :meth:`Layout.pack`, decides it from the form spec's rules
(``[continuation]`` in the TOML, :class:`~oppforms.spec.Continuation`): the filler draws
what it gives, and the readers (flattened and printed copies, scans) use the same layout to
know where each section's text lies on a continuation page.

The overflow of one form is *packed*: its sections (one per field whose text goes on) one
after another in form order, as few pages as the text needs. A page's first section hangs
from the top of the content area under its heading and the details with the pupil's name,
its text from :attr:`~oppforms.spec.FormSpec.continuation_text_top` (as every continuation
page had before packing, so pages of older forms read the same); a section that follows
another starts ``section_gap`` below it under a heading and a shorter details line. A
section starts on a page only with room for ``keep_lines`` of its lines (or all, if fewer),
and a section too long for the rest of a page goes on at the top of the next one, its
heading repeated with "(vervolg)" and a marker ("» vervolg op pagina N") below its last
line on the page before.

``packed=False`` is the rule of the versions before packing: every section starts a page of
its own. It is kept to read and to count the pages of forms filled that way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from .fonts import FontMetrics
from .spec import Field, FormSpec
from .typeset import Fitted, WrappedLine, fit_text, line_offsets, text_height, wrap

__all__ = ["Layout", "Placed", "ContPage", "Section", "fit_value", "layout_for"]


@dataclass(frozen=True, slots=True)
class Section:
    """One field's text that goes on after its box: its lines at the form's size on the
    full width of a continuation page (the first line's ``para`` says a line break was
    typed before it)."""

    field: Field
    lines: tuple[WrappedLine, ...]


@dataclass(frozen=True, slots=True)
class Placed:
    """A part of a section on one continuation page. ``head_top`` is where its heading
    hangs from, ``body_top`` where its text hangs from; ``first`` says it is the page's
    first section (the full heading with the pupil's name), ``again`` that it goes on from
    the page before, ``next_page`` where its text goes on (0 when it ends here)."""

    field: Field
    page_no: int
    first: bool
    again: bool
    head_top: float
    body_top: float
    lines: tuple[WrappedLine, ...]
    next_page: int
    #: extra drop of the first line: it follows a typed line break (a paragraph gap)
    lead: float
    #: where the text ends (without the marker line)
    bottom: float


@dataclass(frozen=True, slots=True)
class ContPage:
    page_no: int
    sections: tuple[Placed, ...]


class Layout:
    """The continuation-page layout of one form spec (see the module's description)."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        cont = spec.continuation
        vs = spec.values
        self.metrics = _metrics(spec.fonts[vs.font])
        self.heading = spec.styles[cont.heading_style]
        self.heading_metrics = _metrics(spec.fonts[self.heading.font])
        self.details = spec.styles[cont.details_style]
        self.details_metrics = _metrics(spec.fonts[self.details.font])
        c = spec.marks.content
        self.x = c.x0
        self.width = c.width
        self.top = c.y1
        self.foot = c.y0
        self.pitch = vs.size * vs.leading
        self.gap = vs.size * vs.paragraph

    # -- texts ------------------------------------------------------------------------

    def heading_text(self, f: Field, again: bool) -> str:
        c = self.spec.continuation
        return (c.heading_again if again else c.heading).format(label=f.label)

    def details_text(self, f: Field, first: bool, person: str) -> str:
        c = self.spec.continuation
        return c.details.format(section=f.section, person=person or "–") if first else c.section_details.format(section=f.section)

    def heading_lines(self, f: Field, again: bool) -> int:
        st = self.heading
        return len(wrap(self.heading_text(f, again), self.heading_metrics, st.size, self.width))

    def head(self, f: Field, head_top: float, *, first: bool, again: bool = False, person: str = "") -> list[tuple[str, str, float, float]]:
        """What a section's head draws, as (style name, text, x, baseline): the heading
        hanging from ``head_top``, wrapped on the content width, and the details. A page's
        first section has its details on a line of their own below the heading; another
        has them (the section) after the heading's last line when they fit there, else on
        a line of their own."""
        cont = self.spec.continuation
        hs, ds = self.heading, self.details
        out: list[tuple[str, str, float, float]] = []
        y = head_top
        last = ""
        for line in wrap(self.heading_text(f, again), self.heading_metrics, hs.size, self.width):
            if line.text:
                out.append((cont.heading_style, line.text, self.x, y - hs.size * self.heading_metrics.descriptor.ascent / 1000.0))
            last = line.text
            y -= hs.leading
        details = self.details_text(f, first, person)
        if not first:
            tail = " · " + details
            used = self.heading_metrics.width(last, hs.size)
            if used + self.details_metrics.width(tail, ds.size) <= self.width and out:
                out.append((cont.details_style, tail, self.x + used, out[-1][3]))
                return out
        y -= 2
        for line in wrap(details, self.details_metrics, ds.size, self.width):
            if line.text:
                out.append((cont.details_style, line.text, self.x, y - ds.size * self.details_metrics.descriptor.ascent / 1000.0))
            y -= ds.leading
        return out

    def head_height(self, f: Field, *, again: bool = False) -> float:
        """How far below its top the head of a section that follows another ends."""
        hs, ds = self.heading, self.details
        drawn = self.head(f, 0.0, first=False, again=again)
        n = self.heading_lines(f, again)
        if drawn and drawn[-1][0] == self.spec.continuation.details_style and drawn[-1][2] == self.x:
            return n * hs.leading + 2 + sum(1 for d in drawn if d[0] == self.spec.continuation.details_style) * ds.leading
        return n * hs.leading

    # -- geometry ---------------------------------------------------------------------

    def body_top(self, f: Field, head_top: float, *, first: bool, again: bool = False) -> float:
        """Where a section's text hangs from, its heading hanging from ``head_top``: a
        page's first section from the text top every continuation page has; another from
        below its head."""
        if first:
            return self.spec.continuation_text_top
        return head_top - self.head_height(f, again=again) - self.spec.continuation.head_gap

    def baselines(self, part: Placed) -> list[float]:
        """The baselines of a placed part's lines."""
        first = self.spec.first_baseline(part.body_top, self.spec.values.size, self.metrics.descriptor.ascent) - part.lead
        return [first - y for y in line_offsets([ln.para for ln in part.lines], self.pitch, self.gap)]

    def first_baseline(self, body_top: float) -> float:
        """Where a part's first line stands when no line break was typed before it."""
        return self.spec.first_baseline(body_top, self.spec.values.size, self.metrics.descriptor.ascent)

    def _room(self, lines: Sequence[WrappedLine], body_top: float) -> int:
        """How many of ``lines`` fit from ``body_top`` down, with a line's room kept at the
        page's foot for the marker; empty lines that would end the page go to the next."""
        if not lines:
            return 0
        lead = self.gap if lines[0].para else 0.0
        room = body_top - self.foot
        paras: list[bool] = []
        n = 0
        for line in lines:
            paras.append(line.para)
            if lead + text_height(paras + [False], self.pitch, self.gap) > room + 1e-6:
                break
            n += 1
        if n < len(lines):
            blank = 0
            while blank < n - 1 and not lines[n - 1 - blank].text:
                blank += 1  # empty lines at a page's end would not show: they start the next
            n -= blank
        return n

    def _bottom(self, lines: Sequence[WrappedLine], body_top: float) -> float:
        lead = self.gap if lines and lines[0].para else 0.0
        return body_top - lead - text_height([ln.para for ln in lines], self.pitch, self.gap)

    # -- packing ----------------------------------------------------------------------

    def pack(self, sections: Sequence[Section], first_page_no: int, *, packed: bool = True) -> list[ContPage]:
        """The continuation pages of ``sections`` (in form order), numbered from
        ``first_page_no``. ``packed=False``: every section starts a page of its own (the
        rule before packing)."""
        keep = self.spec.continuation.keep_lines
        pages: list[list[Placed]] = []
        cursor = self.top  # where the next heading would hang from on the last page
        for section in sections:
            lines = list(section.lines)
            again = False
            while lines:
                first = not pages or not packed or not pages[-1] or again
                if not first:
                    head_top = cursor - self.spec.continuation.section_gap
                    body_top = self.body_top(section.field, head_top, first=False)
                    fits = self._room(lines, body_top)
                    if fits < min(keep, len(lines)) or (fits < len(lines) and fits < keep):
                        first = True
                if first:
                    pages.append([])
                    head_top = self.top
                    body_top = self.body_top(section.field, head_top, first=True, again=again)
                    fits = max(1, self._room(lines, body_top))
                part, lines = lines[:fits], lines[fits:]
                page_no = first_page_no + len(pages) - 1
                bottom = self._bottom(part, body_top)
                pages[-1].append(
                    Placed(
                        section.field,
                        page_no,
                        not pages[-1],
                        again,
                        head_top,
                        body_top,
                        tuple(part),
                        page_no + 1 if lines else 0,
                        self.gap if part and part[0].para else 0.0,
                        bottom,
                    )
                )
                cursor = bottom
                again = True
        return [ContPage(first_page_no + i, tuple(p)) for i, p in enumerate(pages)]

    def sections(self, rests: Sequence[tuple[Field, str, bool]]) -> list[Section]:
        """Sections from each field's rest (what did not fit its box) and whether a line
        break was typed before it (see :class:`~oppforms.typeset.Fitted`)."""
        vs = self.spec.values
        out = []
        for f, rest, para in rests:
            lines = wrap(rest, self.metrics, vs.size, self.width)
            if lines and para:
                head = lines[0]
                lines[0] = WrappedLine(head.text, head.start, head.end, head.split, True)
            out.append(Section(f, tuple(lines)))
        return out

    def overflow(self, values: Mapping[str, str]) -> list[Section]:
        """The sections of a record of checked values (as :mod:`oppforms.values` gives
        them): each multiline field's text that does not fit its box, fitted as the filler
        fits it."""
        rests = []
        for f in self.spec.value_fields:
            text = values.get(f.name, "")
            if not text or not f.multiline:
                continue
            fitted = fit_value(self.spec, self.metrics, f, text)
            if fitted.rest:
                rests.append((f, fitted.rest, fitted.rest_para))
        return self.sections(rests)

    def plan(self, values: Mapping[str, str], *, packed: bool = True) -> list[ContPage]:
        """The continuation pages of a record, numbered after the form's own pages."""
        return self.pack(self.overflow(values), self.spec.page_count + 1, packed=packed)

    def lines_needed(self, sections: Sequence[Section]) -> float:
        """How many pages the sections' text alone needs at the form's size on the full
        width: its height over the room a continuation page has for one text."""
        height = 0.0
        for s in sections:
            paras = [ln.para for ln in s.lines]
            height += (self.gap if paras and paras[0] else 0.0) + text_height(paras, self.pitch, self.gap)
        room = self.spec.continuation_text_top - self.foot - self.pitch
        return height / room


def fit_value(spec: FormSpec, metrics: FontMetrics, f: Field, text: str, *, width: float | None = None, height: float | None = None) -> Fitted:
    """``text`` fitted in the first box of ``f`` (or ``width`` x ``height`` points with the
    padding) as the filler fits it: the form's size, shrinking to the minimum."""
    vs = spec.values
    rect = f.rect
    return fit_text(
        text,
        metrics,
        width=(rect.width if width is None else width) - 2 * vs.padding,
        height=(rect.height if height is None else height) - 2 * vs.padding,
        size=vs.size,
        min_size=vs.min_size,
        leading=vs.leading,
        multiline=f.multiline,
        paragraph=vs.paragraph,
    )


@cache
def _metrics(filename: str) -> FontMetrics:
    return FontMetrics.shipped(filename)


_LAYOUTS: dict[int, Layout] = {}


def layout_for(spec: FormSpec) -> Layout:
    """The layout of ``spec``, made once per process."""
    key = id(spec)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = Layout(spec)
    return _LAYOUTS[key]
