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
from pathlib import Path
from typing import cast

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
from .draw import FONT_RESOURCE, Canvas, EmbeddedFont, marks_content
from .errors import SpecError
from .fonts import (
    FontMetrics,
    font_file_bytes,
    quiet_fonttools,
    subset_font,
    subset_tag,
    to_unicode_cmap,
    widths_array,
)
from .geometry import PdfRect
from .spec import (
    Align,
    BulletsBlock,
    Field,
    FieldKind,
    FormSpec,
    Run,
    TableBlock,
    TextBlock,
    Widget,
)
from .typeset import fmt

log = logging.getLogger(__name__)

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


def build_pdf(spec: FormSpec) -> bytes:
    """The fillable PDF of ``spec`` as bytes. Raises :class:`SpecError` when a text does
    not fit where the spec puts it."""
    writer = PdfWriter()
    writer.pdf_header = "%PDF-1.7"
    fonts = _embed_fonts(writer, spec)
    font_resources = DictionaryObject(
        {NameObject("/" + FONT_RESOURCE[k]): f.ref for k, f in fonts.items()}
    )
    value_font = fonts[spec.values.font]
    da = f"/{FONT_RESOURCE[spec.values.font]} {fmt(spec.values.size)} Tf 0 g"

    page_refs: list[IndirectObject] = []
    page_objs: list[DictionaryObject] = []
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
        page_objs.append(page_obj)
    pages = cast(DictionaryObject, pages_ref.get_object())
    pages[NameObject("/Kids")] = ArrayObject(page_refs)
    pages[NameObject("/Count")] = NumberObject(len(page_refs))

    empty_ap = writer._add_object(_form_xobject(b"", 1.0, 1.0, font_resources))
    annots: dict[int, list[IndirectObject]] = {p.page_no: [] for p in spec.pages}
    root_fields = _field_tree(writer, spec, page_refs, annots, font_resources, da, value_font, empty_ap)
    for page_no, refs in annots.items():
        page_objs[page_no - 1][NameObject("/Annots")] = ArrayObject(refs)

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
    c = spec.continuation
    take(c.heading_style, c.heading + c.heading_again + "".join(f.label for f in spec.fields))
    take(c.details_style, c.details + c.section_details + "".join(f.section for f in spec.fields))
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


def _page_content(spec: FormSpec, page_no: int, fonts: dict[str, EmbeddedFont]) -> bytes:
    canvas = Canvas(fonts)
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


def _table(canvas: Canvas, spec: FormSpec, table: TableBlock) -> None:
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
    nodes: dict[str, tuple[IndirectObject, ArrayObject]] = {}  # name → (ref, its /Kids)
    roots: list[IndirectObject] = []

    def node(path: tuple[str, ...]) -> tuple[IndirectObject, ArrayObject]:
        key = ".".join(path)
        if key in nodes:
            return nodes[key]
        kids = ArrayObject()
        obj = DictionaryObject({NameObject("/T"): TextStringObject(path[-1]), NameObject("/Kids"): kids})
        ref = writer._add_object(obj)
        nodes[key] = (ref, kids)
        if len(path) > 1:
            parent_ref, parent_kids = node(path[:-1])
            obj[NameObject("/Parent")] = parent_ref
            parent_kids.append(ref)
        else:
            roots.append(ref)
        return ref, kids

    for field in spec.fields:
        *parents, leaf = field.name.split(".")
        parent = node(tuple(parents)) if parents else None
        field_dict = _field_dict(field, leaf, da)
        if parent is not None:
            field_dict[NameObject("/Parent")] = parent[0]
        if len(field.widgets) == 1:
            field_dict.update(_widget_dict(field.widgets[0], page_refs, empty_ap))
            ref = writer._add_object(field_dict)
            annots[field.widgets[0].page_no].append(ref)
        else:
            kids = ArrayObject()
            field_dict[NameObject("/Kids")] = kids
            ref = writer._add_object(field_dict)
            for widget in field.widgets:
                w = _widget_dict(widget, page_refs, empty_ap)
                w[NameObject("/Parent")] = ref
                wref = writer._add_object(w)
                kids.append(wref)
                annots[widget.page_no].append(wref)
        if parent is not None:
            parent[1].append(ref)
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
