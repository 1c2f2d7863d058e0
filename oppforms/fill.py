"""Fill the form: the template is parsed once, each record becomes an incremental update.

Most of a filled form is the template unchanged, so :meth:`Template.fill` writes the
template's bytes as they are and appends one PDF update section: the changed field
dictionaries (with ``/V``), an appearance stream per filled widget (drawn with the
embedded font, so every viewer and every printer shows the same thing, and text
extraction finds the words), the marks stream of every page (running header with the
pupil's name, footer with the document id and the page count), and, when a text does not
fit its box even at the minimum size, continuation pages and the new page tree.
Everything that is the same for every record is serialised once, in :class:`Template`;
the update is written out (streams deflated, xref, trailer, hash) by
:mod:`oppforms._pdfupdate`.

Values come in already checked and normalised (:mod:`oppforms.values`): dates as ISO
``YYYY-MM-DD`` (shown as ``DD-MM-YYYY`` on the form and in ``/V``), text as NFC with
``\\n`` line breaks and only characters the font can draw.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from typing import Any, cast

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    PdfObject,
)

from .i18n import N_
from ._pdfsyntax import pdf_text
from ._pdfupdate import Update, dict_prefix, serialise, stream
from .draw import FONT_RESOURCE, Canvas, EmbeddedFont, marks_content, marks_contents
from .errors import InputError, RecordError
from .fonts import FontMetrics
from .geometry import PdfRect
from .spec import Field, FieldKind, FormSpec, current_spec, shipped_pdf_path
from .continuation import ContPage, layout_for
from .typeset import SHRINK_STEP, Fitted, fit_text, fmt

#: How far text may shrink per step between the form's size and its minimum, in points.
MARKER_GRAY = 0.35
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class FilledForm:
    """One filled form: the PDF bytes, its page count (with continuation pages), the
    fields whose text continues on added pages, those drawn below the form's size, and
    the SHA-256 of ``data`` (hex; worked out while writing it, for registries and
    archives)."""

    data: bytes
    page_count: int
    continued: tuple[str, ...]
    shrunk: tuple[str, ...]
    sha256: str


def display_value(field: Field, value: str) -> str:
    """The text shown on the form and kept in ``/V``: dates as ``DD-MM-YYYY``."""
    if field.kind is FieldKind.DATE and value:
        m = _ISO_DATE.match(value)
        if m:
            return f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
    return value


def _line_ops(
    metrics: FontMetrics, lines: Sequence[str], paras: Sequence[bool], pitch: float, gap: float, marker: str
) -> bytes:
    """Text operators for ``lines`` from the current text position down, each ``pitch``
    below the one before and a ``gap`` more after a typed line break, then ``marker``
    (grey) a pitch below the last line. Each operator starts with a space. The strings
    are literal strings of glyph ids (:meth:`FontMetrics.literal`)."""
    if paras and len(paras) != len(lines):
        raise ValueError("a paragraph flag per line")
    wrapped, typed = _steps(pitch, gap)
    literal = metrics.literal
    plain = "\n".join(lines)
    if lines and "" not in lines and "\r" not in plain:
        # every line drawn: all lines encoded at once, LF (and CR before a line after a
        # typed break) standing for the moves, then replaced: the same bytes as below
        after_wrap, after_typed = _between(pitch, gap)
        if any(paras):
            plain = "".join(["\r" + line if para else "\n" + line for line, para in zip(lines, paras)])[1:]
            body = metrics.literal_lines(plain).replace(b"\r", after_typed)
        else:
            body = metrics.literal_lines(plain)
        body = b" (%s) Tj" % body.replace(b"\n", after_wrap)
        if marker:
            body += wrapped + b" %s g (%s) Tj" % (_MARKER_GRAY, literal(marker))
        return body
    shown = [b" (%s) Tj" % literal(line) if line else b"" for line in lines]
    if any(paras):
        out = [shown[0]] if shown else []
        for i in range(1, len(shown)):
            out.append(typed if paras[i] else wrapped)
            out.append(shown[i])
        body = b"".join(out)
    else:
        body = wrapped.join(shown)
    if marker:
        body += (wrapped if lines else b"") + b" %s g (%s) Tj" % (_MARKER_GRAY, literal(marker))
    return body


_MARKER_GRAY = fmt(MARKER_GRAY).encode()


@lru_cache(maxsize=256)
def _steps(pitch: float, gap: float) -> tuple[bytes, bytes]:
    """The moves to the next line: after a wrap, and after a typed line break."""
    return b" 0 %s Td" % fmt(-round(pitch, 3)).encode(), b" 0 %s Td" % fmt(-round(pitch + gap, 3)).encode()


@lru_cache(maxsize=256)
def _between(pitch: float, gap: float) -> tuple[bytes, bytes]:
    """What stands between two shown strings of a box: the end of one, the move (after a
    wrap, after a typed line break; see :func:`_steps`), the start of the next."""
    wrapped, typed = _steps(pitch, gap)
    return b") Tj" + wrapped + b" (", b") Tj" + typed + b" ("


@lru_cache(maxsize=256)
def _appearance_frame(w: float, h: float, font_resource: str, font_resources: bytes) -> tuple[str, bytes]:
    """What every appearance stream of a ``w`` x ``h`` box starts with (up to the font
    size), and its stream dictionary: the same for every record."""
    head = f"/Tx BMC q 1 1 {fmt(w - 2)} {fmt(h - 2)} re W n BT /{font_resource}"
    dictionary = b"/Type/XObject/Subtype/Form/BBox[0 0 %s %s]/Resources%s" % (fmt(w).encode(), fmt(h).encode(), font_resources)
    return head, dictionary


# ---------------------------------------------------------------------------------------
# PDF syntax


# ---------------------------------------------------------------------------------------
# The template


@dataclass(slots=True)
class _Widget:
    ref: int
    rect: PdfRect
    page_index: int
    prefix: bytes  # the widget dictionary without /AP (for a field with several widgets)
    #: the box its value is laid out in: the rectangle less the padding (points)
    box_width: float = 0.0
    box_height: float = 0.0
    #: the start of its appearance stream and the stream dictionary, per size a value may take
    heads: dict[float, tuple[bytes, bytes]] = dc_field(default_factory=dict)


@dataclass(slots=True)
class _Slot:
    field: Field
    ref: int
    prefix: bytes  # the field dictionary without /V (and /AP when field and widget are one)
    merged: bool
    widgets: list[_Widget] = dc_field(default_factory=list)


@dataclass(slots=True)
class _Page:
    ref: int
    prefix: bytes  # the page dictionary without /Contents, /Annots, /Resources
    contents: list[int]  # static content, marks stream
    annots: bytes
    resources: bytes


class Template:
    """The fillable form, parsed once; :meth:`fill` makes one filled copy per record.

    Safe to share between threads (it is never modified after construction); worker
    processes each build their own with :meth:`for_spec`.
    """

    def __init__(self, spec: FormSpec, pdf: bytes) -> None:
        self.spec = spec
        self.pdf = pdf if pdf.endswith(b"\n") else pdf + b"\n"
        #: the hash state after the template's bytes, which every filled form starts with
        self.pdf_hash = hashlib.sha256(self.pdf)
        try:
            reader = PdfReader(io.BytesIO(pdf))
            self._load(reader)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise InputError(f"{spec.source}: the form PDF does not match its spec ({exc})") from exc

    @classmethod
    def for_spec(cls, spec: FormSpec | None = None) -> Template:
        """The template of the shipped form of ``spec`` (default: the current form),
        parsed once per process."""
        return _shipped_template(spec or current_spec())

    def _load(self, reader: PdfReader) -> None:
        trailer = reader.trailer
        tail = self.pdf[-64:]
        m = re.search(rb"startxref\s+(\d+)", tail)
        if not m:
            raise ValueError("no startxref")
        self.prev_xref = int(m.group(1))
        self.size = int(cast(Any, trailer["/Size"]))
        self.root_ref = cast(IndirectObject, trailer.raw_get("/Root")).idnum
        info = trailer.raw_get("/Info")
        self.info_ref = cast(IndirectObject, info).idnum if info is not None else None
        self.first_id = bytes(cast(Any, trailer["/ID"])[0])
        catalog = cast(DictionaryObject, trailer["/Root"])
        self.catalog_prefix = dict_prefix(catalog, {"/AcroForm"})
        self.pages_ref = cast(IndirectObject, catalog.raw_get("/Pages")).idnum
        pages_tree = cast(DictionaryObject, catalog["/Pages"])
        self.pages_prefix = dict_prefix(pages_tree, {"/Kids", "/Count"})

        acroform = cast(DictionaryObject, catalog["/AcroForm"])
        dr_fonts = cast(DictionaryObject, cast(DictionaryObject, acroform["/DR"])["/Font"])
        self.fonts: dict[str, EmbeddedFont] = {}
        font_refs = {}
        for key, resource in FONT_RESOURCE.items():
            ref = cast(IndirectObject, dr_fonts.raw_get("/" + resource))
            font = cast(DictionaryObject, ref.get_object())
            descendant = cast(DictionaryObject, cast(ArrayObject, font["/DescendantFonts"])[0].get_object())
            data = cast(Any, cast(DictionaryObject, descendant["/FontDescriptor"])["/FontFile2"]).get_data()
            self.fonts[key] = EmbeddedFont(key, FontMetrics(data), ref)
            font_refs[resource] = ref.idnum
        self.font_resources = (
            b"<</Font<<" + b"".join(b"/%s %d 0 R" % (k.encode(), v) for k, v in font_refs.items()) + b">>>>"
        )
        self.value_metrics = self.fonts[self.spec.values.font].metrics
        self.value_resource = FONT_RESOURCE[self.spec.values.font]

        self.pages: list[_Page] = []
        for page in reader.pages:
            page_ref = cast(IndirectObject, page.indirect_reference).idnum
            contents = [cast(IndirectObject, c).idnum for c in cast(ArrayObject, page.raw_get("/Contents"))]
            self.pages.append(
                _Page(
                    ref=page_ref,
                    prefix=dict_prefix(page, {"/Contents", "/Annots", "/Resources"}),
                    contents=contents,
                    annots=serialise(cast(PdfObject, page.raw_get("/Annots"))) if "/Annots" in page else b"[]",
                    resources=serialise(cast(PdfObject, page.raw_get("/Resources"))),
                )
            )
        page_index_of = {p.ref: i for i, p in enumerate(self.pages)}

        terminals: dict[str, tuple[IndirectObject, DictionaryObject]] = {}

        def walk(ref: IndirectObject, prefix: str) -> None:
            node = cast(DictionaryObject, ref.get_object())
            name = f"{prefix}.{node['/T']}" if prefix else str(node["/T"])
            if "/FT" in node:
                terminals[name] = (ref, node)
                return
            for kid in cast(ArrayObject, node.get("/Kids", ArrayObject())):
                walk(cast(IndirectObject, kid), name)

        for ref in cast(ArrayObject, acroform["/Fields"]):
            walk(cast(IndirectObject, ref), "")

        self.slots: list[_Slot] = []
        for f in self.spec.fields:
            ref, node = terminals[f.name]
            merged = "/Kids" not in node
            slot = _Slot(f, ref.idnum, dict_prefix(node, {"/V", "/AP"} if merged else {"/V"}), merged)
            widget_refs = [ref] if merged else [cast(IndirectObject, k) for k in cast(ArrayObject, node["/Kids"])]
            for wref, spec_widget in zip(widget_refs, f.widgets, strict=True):
                w = cast(DictionaryObject, wref.get_object())
                rect = PdfRect(*(float(cast(Any, v)) for v in cast(ArrayObject, w["/Rect"])))
                page_ref = cast(IndirectObject, w.raw_get("/P")).idnum
                slot.widgets.append(_Widget(wref.idnum, rect, page_index_of[page_ref], dict_prefix(w, {"/AP"})))
                if page_index_of[page_ref] != spec_widget.page_no - 1:
                    raise ValueError(f"{f.name} is on another page than the spec says")
            self.slots.append(slot)
        missing = set(terminals) - {f.name for f in self.spec.fields}
        if missing:
            raise ValueError(f"fields not in the spec: {sorted(missing)}")

        # the start of every widget's appearance stream at every size a value may take
        vs = self.spec.values
        sizes = [vs.size]
        while sizes[-1] - SHRINK_STEP >= vs.min_size - 1e-9:
            sizes.append(sizes[-1] - SHRINK_STEP)
        for slot in self.slots:
            for widget in slot.widgets:
                widget.box_width = widget.rect.width - 2 * vs.padding
                widget.box_height = widget.rect.height - 2 * vs.padding
                for size in sizes:
                    widget.heads[size] = self._appearance_head(widget.rect.width, widget.rect.height, size, slot.field.multiline)
        #: the fields a record fills (all but signatures): (slot, name, is a date, multiline)
        self._value_slots = [
            (slot, slot.field.name, slot.field.kind is FieldKind.DATE, slot.field.multiline)
            for slot in self.slots
            if slot.field.kind is not FieldKind.SIGNATURE
        ]

    # -- filling ---------------------------------------------------------------------

    def fill(
        self,
        values: Mapping[str, str],
        *,
        doc_id: str = "",
        flatten: bool = False,
        row: int | None = None,
        packed: bool = True,
    ) -> FilledForm:
        """The filled form for one record of checked values (see :mod:`oppforms.values`).

        ``doc_id`` is printed in every page's footer (an opaque id, never pupil data).
        ``flatten`` burns the values into the pages and removes the form fields, for
        read-only copies. A one-line value too wide for its box even at the minimum size
        raises :class:`RecordError` naming the field (``row`` is put in the error); longer
        multiline text continues on added pages and is never cut, packed as
        :mod:`oppforms.continuation` lays them out (``packed=False``: a page of its own per
        field, as forms were filled before packing; kept to test that such forms still read).
        """
        spec = self.spec
        out = Update(self.size)
        get = values.get
        objects = out.objects
        metrics = self.value_metrics
        vs = spec.values
        size, min_size, leading, paragraph = vs.size, vs.min_size, vs.leading, vs.paragraph
        # per filled widget its appearance stream's object number (form order); the
        # stream is written at once, or after the continuation pages are laid out when
        # its text continues there (the marker names the page)
        appearances: list[tuple[_Widget, int]] = []
        waiting: list[tuple[_Slot, _Widget, Fitted, int]] = []
        firsts: list[tuple[_Slot, Fitted]] = []
        for slot, name, date, multiline in self._value_slots:
            shown = get(name, "")
            if not shown:
                continue
            if date:
                shown = display_value(slot.field, shown)
            for widget in slot.widgets:
                fitted = fit_text(
                    shown,
                    metrics,
                    width=widget.box_width,
                    height=widget.box_height,
                    size=size,
                    min_size=min_size,
                    leading=leading,
                    multiline=multiline,
                    paragraph=paragraph,
                )
                num = out.next_num
                out.next_num = num + 1
                if fitted.rest:
                    if not multiline:
                        raise self._too_long(slot.field, shown, row)
                    waiting.append((slot, widget, fitted, num))
                else:
                    objects[num] = self._appearance_of(widget, fitted, multiline, "")
                if widget is slot.widgets[0]:
                    firsts.append((slot, fitted))
                appearances.append((widget, num))
            # the field dictionary with /V (and the widgets' with /AP)
            if slot.merged:
                objects[slot.ref] = b"%s/V %s/AP<</N %d 0 R>>>>" % (slot.prefix, pdf_text(shown), num)
            else:
                objects[slot.ref] = b"%s/V %s>>" % (slot.prefix, pdf_text(shown))
                for widget, ap in appearances[-len(slot.widgets) :]:
                    objects[widget.ref] = widget.prefix + b"/AP<</N %d 0 R>>>>" % ap
        shrunk = tuple([slot.field.name for slot, fitted in firsts if fitted.size < size])
        continued = [(slot, fitted.rest) for slot, fitted in firsts if fitted.rest]

        # continuation pages come after the form's own pages, packed in form order
        page_count = len(self.pages)
        continuation_pages: list[ContPage] = []
        first_page_of: dict[str, int] = {}
        if continued:
            layout = layout_for(spec)
            sections = layout.sections([(slot.field, fitted.rest, fitted.rest_para) for slot, fitted in firsts if fitted.rest])
            continuation_pages = layout.pack(sections, page_count + 1, packed=packed)
            for cp in continuation_pages:
                for part in cp.sections:
                    first_page_of.setdefault(part.field.name, cp.page_no)
        marker_text = spec.continuation.marker
        for slot, widget, fitted, num in waiting:
            marker = marker_text.format(page=first_page_of[slot.field.name])
            objects[num] = self._appearance_of(widget, fitted, slot.field.multiline, marker)
        total_pages = page_count + len(continuation_pages)

        # marks streams of the form's pages (header, footer, page codes), continuation pages
        person = values.get(spec.records.person, "")
        marks = marks_contents(spec, range(1, page_count + 1), fonts=self.fonts, pages=total_pages, document=doc_id, person=person)
        for page, content in zip(self.pages, marks):
            objects[page.contents[1]] = stream(b"", content)
        new_page_refs = [self._add_continuation_page(out, cp, total_pages, doc_id, person) for cp in continuation_pages]
        if flatten:
            self._flatten(out, appearances)
        if new_page_refs:
            kids = b" ".join([*(b"%d 0 R" % p.ref for p in self.pages), *(b"%d 0 R" % r for r in new_page_refs)])
            out.set(self.pages_ref, self.pages_prefix + b"/Kids[" + kids + b"]/Count %d>>" % total_pages)
        data, digest = out.finish(self)
        return FilledForm(data, total_pages, tuple(slot.field.name for slot, _ in continued), shrunk, digest)

    def _too_long(self, f: Field, shown: str, row: int | None) -> RecordError:
        """The error for a one-line value too wide for its box even at the minimum size."""
        return RecordError(
            N_("{field}: too long for its box on the form, even at {size} pt ({count} characters)").format(
                field=f.name, size=fmt(self.spec.values.min_size), count=len(shown)
            ),
            row=row,
            field=f.name,
        )

    def _add_continuation_page(self, out: Update, page: ContPage, total_pages: int, doc_id: str, person: str) -> int:
        spec = self.spec
        content = self._continuation_content(page, person)
        marks = marks_content(spec, page.page_no, fonts=self.fonts, pages=total_pages, document=doc_id, person=person)
        c_ref = out.add(stream(b"", content))
        m_ref = out.add(stream(b"", marks))
        return out.add(
            b"<</Type/Page/Parent %d 0 R/MediaBox[0 0 %s %s]/Resources%s/Contents[%d 0 R %d 0 R]>>"
            % (
                self.pages_ref,
                fmt(spec.page_width).encode(),
                fmt(spec.page_height).encode(),
                self.font_resources,
                c_ref,
                m_ref,
            )
        )

    def _appearance_of(self, widget: _Widget, fitted: Fitted, multiline: bool, marker: str) -> bytes:
        """The appearance stream (the object's body) of ``widget`` showing ``fitted``."""
        size = fitted.size
        found = widget.heads.get(size)
        head, dictionary = found or self._appearance_head(widget.rect.width, widget.rect.height, size, multiline)
        lines = fitted.lines
        if len(lines) == 1 and not marker and lines[0] and "\r" not in lines[0]:
            # one line: what :func:`_line_ops` makes of it, without its general work
            ops = b" (" + self.value_metrics.literal_lines(lines[0]) + b") Tj"
        else:
            vs = self.spec.values
            ops = _line_ops(self.value_metrics, lines, fitted.paras, size * vs.leading, size * vs.paragraph, marker)
        return stream(dictionary, head + ops + b" ET Q EMC")

    def _appearance_head(self, w: float, h: float, size: float, multiline: bool) -> tuple[bytes, bytes]:
        """What an appearance stream of a ``w`` x ``h`` box at ``size`` starts with, up to
        its first line, and its stream dictionary: the same for every record (made once
        per widget and size when the template is loaded)."""
        vs = self.spec.values
        m = self.value_metrics
        if multiline:
            y = self.spec.first_baseline(h - vs.padding, size, m.descriptor.ascent)
        else:
            y = (h - size * m.descriptor.cap_height / 1000.0) / 2
        frame, dictionary = _appearance_frame(w, h, self.value_resource, self.font_resources)
        return f"{frame} {fmt(size)} Tf 0 g {fmt(vs.padding)} {fmt(round(y, 3))} Td".encode("ascii"), dictionary

    def _continuation_content(self, page: ContPage, person: str) -> bytes:
        """A continuation page: each section's heading and details where the layout puts
        them, its lines, and the marker below the last line of a text that goes on."""
        spec = self.spec
        vs = spec.values
        cont = spec.continuation
        layout = layout_for(spec)
        canvas = Canvas(self.fonts)
        m = self.value_metrics
        ops: list[bytes] = []
        for part in page.sections:
            for style, text, x, baseline in layout.head(part.field, part.head_top, first=part.first, again=part.again, person=person):
                canvas.text(spec.styles[style], x, baseline, text)
            lines = part.lines
            if not lines:
                continue
            first = layout.baselines(part)[0]
            ops.append(f"BT /{self.value_resource} {fmt(vs.size)} Tf 0 g {fmt(layout.x)} {fmt(round(first, 3))} Td".encode("ascii"))
            marker = cont.marker.format(page=part.next_page) if part.next_page else ""
            ops.append(_line_ops(m, [ln.text for ln in lines], [ln.para for ln in lines], layout.pitch, layout.gap, marker))
            ops.append(b" ET\n")
        return canvas.bytes() + b"".join(ops)

    def _flatten(self, out: Update, appearances: list[tuple[_Widget, int]]) -> None:
        """Draw every appearance into its page and drop the form fields."""
        by_page: dict[int, list[tuple[_Widget, int]]] = {}
        for widget, ap in appearances:
            by_page.setdefault(widget.page_index, []).append((widget, ap))
        for index, page in enumerate(self.pages):
            items = by_page.get(index, [])
            contents = b" ".join(b"%d 0 R" % c for c in page.contents)
            resources = page.resources
            if items:
                ops = b"".join(
                    b"q 1 0 0 1 %s %s cm /V%d Do Q\n" % (fmt(w.rect.x0).encode(), fmt(w.rect.y0).encode(), w.ref)
                    for w, _ in items
                )
                contents += b" %d 0 R" % out.add(stream(b"", ops))
                xobjects = b"/XObject<<" + b"".join(b"/V%d %d 0 R" % (w.ref, ap) for w, ap in items) + b">>"
                resources = self.font_resources[:-2] + xobjects + b">>"
            out.set(page.ref, page.prefix + b"/Resources" + resources + b"/Contents[" + contents + b"]>>")
        out.set(self.root_ref, self.catalog_prefix + b">>")


_TEMPLATES: dict[tuple[str, str], Template] = {}


def _shipped_template(spec: FormSpec) -> Template:
    key = (spec.source, spec.version)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = Template(spec, shipped_pdf_path(spec).read_bytes())
    return _TEMPLATES[key]
