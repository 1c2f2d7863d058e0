"""Build the fillable PDF from a form spec.

The result is a plain, deterministic PDF (same spec in, same bytes out):

- every page draws the template's text, tables and field frames in one content stream,
  and its running header, footer and corner marks in a second one, the *marks stream*,
  which filling replaces per document (document id, page count with continuation pages);
- one embedded Type0 font per style family (Carlito, subset; the value font keeps the
  spec's whole coverage), with ToUnicode maps; no base-14 font, no ``/NeedAppearances``,
  no JavaScript or other actions;
- an AcroForm whose field tree follows the dotted names (``acties`` → ``leerling`` →
  ``uitleg``), so each field's fully qualified name is its contract name; every widget has
  an appearance stream, a tooltip (``/TU``) with the Dutch label, and widgets sit in each
  page's ``/Annots`` in reading (tab) order;
- the document title, language ``nl-NL``, and the form id and version in the document
  information and the XMP metadata.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from ._version import __version__
from .errors import SpecError
from .fonts import FontMetrics, font_file_bytes, quiet_fonttools, subset_font, subset_tag, to_unicode_cmap, widths_array
from .geometry import PdfRect
from .spec import Align, BulletsBlock, Field, FieldKind, FormSpec, Run, Style, TableBlock, TextBlock, Widget
from .typeset import fmt, wrap

log = logging.getLogger(__name__)

#: Resource names of the two fonts in every content stream and in the AcroForm /DR.
FONT_RESOURCE = {"regular": "F1", "bold": "F2"}
#: Document-information keys that carry the form's identity.
INFO_FORM_ID = "/OppformsFormId"
INFO_FORM_VERSION = "/OppformsFormVersion"
#: Field flags (PDF 32000-1, 12.7.4.3).
FF_MULTILINE = 1 << 12
FF_DO_NOT_SPELL_CHECK = 1 << 22

CELL_PADDING = 4.0
RULE_GRAY = 0.2
HEADER_SHADE = 0.86
LABEL_SHADE = 0.94
FRAME_GRAY = 0.45


@dataclass(frozen=True, slots=True)
class EmbeddedFont:
    key: str
    metrics: FontMetrics
    ref: IndirectObject


def build_pdf(spec: FormSpec) -> bytes:
    """The fillable PDF of ``spec`` as bytes. Raises :class:`SpecError` when a text does
    not fit where the spec puts it."""
    writer = PdfWriter()
    writer.pdf_header = "%PDF-1.7"
    fonts = _embed_fonts(writer, spec)
    regular = fonts["regular"]
    font_resources = DictionaryObject(
        {NameObject("/" + FONT_RESOURCE[k]): f.ref for k, f in fonts.items()}
    )
    value_font = fonts[spec.values.font]
    da = f"/{FONT_RESOURCE[spec.values.font]} {fmt(spec.values.size)} Tf 0 g"

    page_refs: list[IndirectObject] = []
    pages_ref = writer.root_object.raw_get("/Pages")
    for page in spec.pages:
        content = _page_content(spec, page.page_no, fonts)
        marks = marks_content(spec, page.page_no, fonts=fonts, pages=spec.page_count)
        page_obj = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Page"),
                NameObject("/Parent"): pages_ref,
                NameObject("/MediaBox"): _rect_array(spec.page_rect),
                NameObject("/Resources"): DictionaryObject(
                    {
                        NameObject("/Font"): font_resources,
                        NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/Text")]),
                    }
                ),
                NameObject("/Contents"): ArrayObject(
                    [writer._add_object(_stream(content)), writer._add_object(_stream(marks))]
                ),
            }
        )
        page_refs.append(writer._add_object(page_obj))
    pages = pages_ref.get_object()
    pages[NameObject("/Kids")] = ArrayObject(page_refs)
    pages[NameObject("/Count")] = NumberObject(len(page_refs))

    empty_ap = writer._add_object(_form_xobject(b"", 1.0, 1.0, font_resources))
    annots: dict[int, list[IndirectObject]] = {p.page_no: [] for p in spec.pages}
    root_fields = _field_tree(writer, spec, page_refs, annots, font_resources, da, value_font, empty_ap)
    for page_no, refs in annots.items():
        page_refs[page_no - 1].get_object()[NameObject("/Annots")] = ArrayObject(refs)

    writer.root_object[NameObject("/AcroForm")] = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Fields"): ArrayObject(root_fields),
                NameObject("/DR"): DictionaryObject({NameObject("/Font"): font_resources}),
                NameObject("/DA"): TextStringObject(da),
            }
        )
    )
    writer.root_object[NameObject("/Lang")] = TextStringObject(spec.language)
    writer.root_object[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    writer.root_object[NameObject("/PageLayout")] = NameObject("/OneColumn")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(_xmp(spec))
    writer.add_metadata(
        {
            "/Title": spec.title,
            "/Subject": spec.subject,
            "/Creator": f"oppforms {__version__}",
            "/Producer": f"oppforms {__version__}",
            "/Keywords": f"{spec.form_id}; versie {spec.version}",
            INFO_FORM_ID: spec.form_id,
            INFO_FORM_VERSION: spec.version,
        }
    )
    digest = hashlib.md5(f"{spec.form_id}/{spec.version}".encode(), usedforsecurity=False).digest()
    writer._ID = ArrayObject([ByteStringObject(digest), ByteStringObject(digest)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_form(spec: FormSpec, path: Path) -> None:
    """Build ``spec`` and write it to ``path`` atomically."""
    from ._io import atomic_write_bytes

    atomic_write_bytes(path, build_pdf(spec))


# ---------------------------------------------------------------------------------------
# Fonts


def _chars_in_styles(spec: FormSpec, font_key: str) -> set[str]:
    chars: set[str] = set()

    def take(style_name: str, text: str) -> None:
        if spec.styles[style_name].font == font_key:
            chars.update(text)

    for page in spec.pages:
        for block in page.blocks:
            if isinstance(block, TextBlock):
                for run in block.runs:
                    take(run.style, run.text)
            elif isinstance(block, BulletsBlock):
                take(block.style, "•" + "".join(block.items))
            else:
                for cell in block.cells:
                    for run in cell.runs:
                        take(run.style, run.text)
    m = spec.marks
    take(m.header_style, m.header_text)
    take(m.footer_style, m.footer_text + "0123456789" + spec.form_id + spec.version)
    if spec.values.font == font_key:
        chars.update(spec.coverage)
    chars.discard("\n")
    return chars


def _embed_fonts(writer: PdfWriter, spec: FormSpec) -> dict[str, EmbeddedFont]:
    out: dict[str, EmbeddedFont] = {}
    for key, filename in spec.fonts.items():
        chars = _chars_in_styles(spec, key)
        full = FontMetrics.shipped(filename)
        missing = [c for c in sorted(chars) if not full.can_draw(c)]
        if missing:
            raise SpecError(
                f"{spec.source}: [fonts] {key}: {filename} cannot draw "
                + ", ".join(f"U+{ord(c):04X}" for c in missing)
            )
        with quiet_fonttools():
            data = subset_font(font_file_bytes(filename), chars)
            metrics = FontMetrics(data)
        base = f"{subset_tag(chars, filename)}+{metrics.postscript_name}"
        out[key] = EmbeddedFont(key, metrics, _font_objects(writer, metrics, data, base))
    return out


def _font_objects(writer: PdfWriter, metrics: FontMetrics, data: bytes, base_name: str) -> IndirectObject:
    d = metrics.descriptor
    font_file = _stream(data)
    font_file[NameObject("/Length1")] = NumberObject(len(data))
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject("/" + base_name),
            NameObject("/Flags"): NumberObject(d.flags),
            NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in d.bbox]),
            NameObject("/ItalicAngle"): FloatObject(d.italic_angle),
            NameObject("/Ascent"): NumberObject(d.ascent),
            NameObject("/Descent"): NumberObject(d.descent),
            NameObject("/CapHeight"): NumberObject(d.cap_height),
            NameObject("/StemV"): NumberObject(d.stem_v),
            NameObject("/FontFile2"): writer._add_object(font_file),
        }
    )
    w = ArrayObject()
    for item in widths_array(metrics.gid_width):
        w.append(ArrayObject([NumberObject(v) for v in item]) if isinstance(item, list) else NumberObject(item))
    cid_font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): NameObject("/" + base_name),
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("Identity"),
                    NameObject("/Supplement"): NumberObject(0),
                }
            ),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
            NameObject("/DW"): NumberObject(1000),
            NameObject("/W"): w,
            NameObject("/CIDToGIDMap"): NameObject("/Identity"),
        }
    )
    type0 = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/" + base_name),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/DescendantFonts"): ArrayObject([writer._add_object(cid_font)]),
            NameObject("/ToUnicode"): writer._add_object(_stream(to_unicode_cmap(metrics.char_to_gid))),
        }
    )
    return writer._add_object(type0)


# ---------------------------------------------------------------------------------------
# Page content


class _Canvas:
    """Collects content-stream operators for one page."""

    def __init__(self, fonts: dict[str, EmbeddedFont], styles: dict[str, Style] | None = None) -> None:
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


def _page_content(spec: FormSpec, page_no: int, fonts: dict[str, EmbeddedFont]) -> bytes:
    canvas = _Canvas(fonts)
    content = spec.marks.content
    for block in spec.pages[page_no - 1].blocks:
        if isinstance(block, TextBlock):
            end = canvas.runs(spec, block.runs, block.x, block.top, block.width, block.align)
            if end < content.y0:
                raise SpecError(f"{spec.source}: {block.entry}: text runs below the content area")
        elif isinstance(block, BulletsBlock):
            style = spec.styles[block.style]
            y = block.top
            for item in block.items:
                baseline = y - style.size * fonts[style.font].metrics.descriptor.ascent / 1000.0
                canvas.text(style, block.x + 1, baseline, "•")
                y = canvas.runs(
                    spec, (Run(block.style, item),), block.x + block.indent, y, block.width - block.indent, Align.LEFT
                )
                y -= block.gap
            if y < content.y0:
                raise SpecError(f"{spec.source}: {block.entry}: bullets run below the content area")
        else:
            _table(canvas, spec, block)
    for field, widget in spec.widgets_on(page_no):
        if widget.frame:
            canvas.fill_rect(widget.rect, 1.0)
            canvas.stroke_rect(widget.rect, FRAME_GRAY, 0.6)
    return canvas.bytes()


def _table(canvas: _Canvas, spec: FormSpec, table: TableBlock) -> None:
    for r in range(len(table.rows)):
        for c in range(len(table.columns)):
            shade = HEADER_SHADE if r < table.header_rows else LABEL_SHADE if c < table.label_columns else None
            if shade is not None:
                canvas.fill_rect(table.cell_rect(r, c), shade)
    outer = table.rect
    x = table.x
    for width in table.columns[:-1]:
        x += width
        canvas.line(x, outer.y0, x, outer.y1, RULE_GRAY, 0.6)
    y = table.top
    for height in table.rows[:-1]:
        y -= height
        canvas.line(outer.x0, y, outer.x1, y, RULE_GRAY, 0.6)
    canvas.stroke_rect(outer, RULE_GRAY, 0.9)
    for cell in table.cells:
        rect = table.cell_rect(cell.row, cell.col)
        end = canvas.runs(
            spec,
            cell.runs,
            rect.x0 + CELL_PADDING,
            rect.y1 - CELL_PADDING,
            rect.width - 2 * CELL_PADDING,
            cell.align,
        )
        if end < rect.y0:
            raise SpecError(
                f"{spec.source}: {table.entry} cell ({cell.row}, {cell.col}): text does not fit in the cell"
            )


def marks_content(
    spec: FormSpec,
    page_no: int,
    *,
    fonts: dict[str, EmbeddedFont],
    pages: int,
    header_suffix: str = "",
    footer_suffix: str = "",
) -> bytes:
    """The marks stream of one page: corner marks, running header and footer.

    ``pages`` is the page count to print ("pagina N van M"), which grows when filling
    adds continuation pages; the suffixes let filling add the pupil's name to the header
    and the document id to the footer.
    """
    canvas = _Canvas(fonts)
    for r in spec.marks.corner_rects(spec.page_width, spec.page_height):
        canvas.fill_rect(r, 0.0)
    m = spec.marks
    canvas.text(spec.styles[m.header_style], m.header_x, m.header_baseline, m.header_text + header_suffix)
    footer = m.footer_text.format(form=spec.form_id, version=spec.version, page=page_no, pages=pages) + footer_suffix
    style = spec.styles[m.footer_style]
    width = fonts[style.font].metrics.width(footer, style.size)
    canvas.text(style, m.footer_right - width, m.footer_baseline, footer)
    return canvas.bytes()


# ---------------------------------------------------------------------------------------
# Fields


def _field_tree(
    writer: PdfWriter,
    spec: FormSpec,
    page_refs: list[IndirectObject],
    annots: dict[int, list[IndirectObject]],
    font_resources: DictionaryObject,
    da: str,
    value_font: EmbeddedFont,
    empty_ap: IndirectObject,
) -> list[IndirectObject]:
    """Create the field hierarchy; return the root fields (for /AcroForm /Fields)."""
    nodes: dict[str, IndirectObject] = {}
    roots: list[IndirectObject] = []

    def node(path: tuple[str, ...]) -> IndirectObject:
        key = ".".join(path)
        if key in nodes:
            return nodes[key]
        obj = DictionaryObject(
            {NameObject("/T"): TextStringObject(path[-1]), NameObject("/Kids"): ArrayObject()}
        )
        ref = writer._add_object(obj)
        nodes[key] = ref
        if len(path) > 1:
            parent = node(path[:-1])
            obj[NameObject("/Parent")] = parent
            parent.get_object()["/Kids"].append(ref)
        else:
            roots.append(ref)
        return ref

    for field in spec.fields:
        *parents, leaf = field.name.split(".")
        parent_ref = node(tuple(parents)) if parents else None
        field_dict = _field_dict(field, leaf, da)
        if parent_ref is not None:
            field_dict[NameObject("/Parent")] = parent_ref
        if len(field.widgets) == 1:
            field_dict.update(_widget_dict(field.widgets[0], page_refs, empty_ap))
            ref = writer._add_object(field_dict)
            annots[field.widgets[0].page_no].append(ref)
        else:
            field_dict[NameObject("/Kids")] = ArrayObject()
            ref = writer._add_object(field_dict)
            for widget in field.widgets:
                w = _widget_dict(widget, page_refs, empty_ap)
                w[NameObject("/Parent")] = ref
                wref = writer._add_object(w)
                field_dict["/Kids"].append(wref)
                annots[widget.page_no].append(wref)
        if parent_ref is not None:
            parent_ref.get_object()["/Kids"].append(ref)
        else:
            roots.append(ref)
    return roots


def _field_dict(field: Field, leaf: str, da: str) -> DictionaryObject:
    d = DictionaryObject(
        {
            NameObject("/T"): TextStringObject(leaf),
            NameObject("/TU"): TextStringObject(field.label),
        }
    )
    if field.kind is FieldKind.SIGNATURE:
        d[NameObject("/FT")] = NameObject("/Sig")
    else:
        d[NameObject("/FT")] = NameObject("/Tx")
        d[NameObject("/DA")] = TextStringObject(da)
        d[NameObject("/Q")] = NumberObject(0)
        d[NameObject("/V")] = TextStringObject("")
        flags = FF_MULTILINE if field.multiline else 0
        if field.kind is FieldKind.DATE:
            flags |= FF_DO_NOT_SPELL_CHECK
        d[NameObject("/Ff")] = NumberObject(flags)
    return d


def _widget_dict(widget: Widget, page_refs: list[IndirectObject], empty_ap: IndirectObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/Rect"): _rect_array(widget.rect),
            NameObject("/F"): NumberObject(4),  # Print
            NameObject("/P"): page_refs[widget.page_no - 1],
            NameObject("/MK"): DictionaryObject(),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): empty_ap}),
        }
    )


# ---------------------------------------------------------------------------------------
# Small PDF helpers


def _rect_array(r: PdfRect) -> ArrayObject:
    return ArrayObject([FloatObject(round(v, 3)) for v in r.as_list()])


def _stream(data: bytes) -> DecodedStreamObject:
    s = DecodedStreamObject()
    s.set_data(data)
    return s.flate_encode()  # type: ignore[return-value]


def _form_xobject(data: bytes, width: float, height: float, fonts: DictionaryObject) -> DecodedStreamObject:
    s = DecodedStreamObject()
    s.set_data(data)
    s.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(width), FloatObject(height)]),
            NameObject("/Resources"): DictionaryObject({NameObject("/Font"): fonts}),
        }
    )
    return s


def _xmp(spec: FormSpec) -> DecodedStreamObject:
    from xml.sax.saxutils import escape

    xmp = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:oppforms="https://oppforms.invalid/ns/1.0/">
   <dc:title><rdf:Alt><rdf:li xml:lang="{escape(spec.language)}">{escape(spec.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:description><rdf:Alt><rdf:li xml:lang="{escape(spec.language)}">{escape(spec.subject)}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{escape(spec.language)}</rdf:li></rdf:Bag></dc:language>
   <pdf:Producer>oppforms {__version__}</pdf:Producer>
   <pdf:Keywords>{escape(spec.form_id)}; versie {escape(spec.version)}</pdf:Keywords>
   <xmp:CreatorTool>oppforms {__version__}</xmp:CreatorTool>
   <oppforms:form>{escape(spec.form_id)}</oppforms:form>
   <oppforms:version>{escape(spec.version)}</oppforms:version>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    s = DecodedStreamObject()
    s.set_data(xmp.encode("utf-8"))
    s[NameObject("/Type")] = NameObject("/Metadata")
    s[NameObject("/Subtype")] = NameObject("/XML")
    return s
