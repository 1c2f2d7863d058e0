"""Signatures on a returned form: digital ones in signature fields, drawn or stamped ones
as annotations or in a signature field's appearance.

A **digital signature** is a ``/Sig`` field whose value is a signature dictionary. What
is reported: the signer (``/Name``, else the common name of the signing certificate in
the CMS container, read without checking it), the signing time (``/M``), and whether the
file was changed after signing: the signature covers the bytes its ``/ByteRange`` names,
so bytes after them are a later revision. A later revision that only adds signatures is
how several people sign one form; one that changes the form's values is reported for
review. The certificate chain and the cryptographic signature are **not** validated.

A **drawn or stamped signature** is an ink, stamp or shape annotation over a signature
box (Acrobat's and Preview's "Fill & Sign", pdf.js's signature tool), or a signature
field whose appearance draws something although it holds no digital signature. Text
written over a box (a free-text annotation) is no signature: it is handed to a person.
Drawn content inside a box on the page itself is found by :mod:`.flat` (flattened forms)
and :mod:`.live` (forms with fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pikepdf

from ..i18n import N_
from ..geometry import PdfRect
from ..spec import FormSpec
from .acroform import FieldTree, as_array, as_dict, string_bytes, text_value, type_code
from .pdfstrings import pdf_date

__all__ = ["DRAWN", "Signature", "annotation_marks", "appearance_draws", "digital_signatures", "overlap"]

_DICT = pikepdf.ObjectType.dictionary

#: Annotation subtypes that put a drawn or stamped mark on the page.
DRAWN = {
    "/Ink": N_("an ink annotation"),
    "/Stamp": N_("a stamp annotation"),
    "/Polygon": N_("a drawn shape"),
    "/PolyLine": N_("a drawn line"),
    "/Line": N_("a drawn line"),
    "/Square": N_("a drawn shape"),
    "/Circle": N_("a drawn shape"),
}
TYPED = {"/FreeText": N_("a text annotation"), "/Caret": N_("an insertion mark")}
#: Share of the smaller of two rectangles that must overlap for a mark to be "in" a box.
OVERLAP = 0.3
_HIDDEN = 2
_PAINTING = {"S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "Tj", "TJ", "'", '"', "sh", "INLINE IMAGE"}


@dataclass(frozen=True, slots=True)
class Signature:
    """A signature found: the signature field it signs (None when it is in no signature
    box of the form), ``digital`` or ``drawn``, how it was made, and for digital ones the
    signer, the time (ISO 8601), whether the signed bytes are the whole file, whether the
    form's values were changed after signing, whether the byte range is sound, and whether
    the signed revision could be read at all."""

    field: str | None
    kind: str
    how: str
    page: int | None = None
    signer: str = ""
    time: str = ""
    whole_file: bool = True
    values_changed: bool = False
    byte_range_ok: bool = True
    revision_unreadable: bool = False


def overlap(a: PdfRect, b: PdfRect) -> float:
    """The share of the smaller rectangle that lies inside the other."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min(a.width * a.height, b.width * b.height)
    return (w * h) / smaller if smaller > 0 else 0.0


def _rect(obj: object) -> PdfRect | None:
    array = as_array(obj)
    if array is None:
        return None
    try:
        values = [float(v) for v in array][:4]
    except (TypeError, ValueError):
        return None
    if len(values) != 4:
        return None
    x0, x1 = sorted((values[0], values[2]))
    y0, y1 = sorted((values[1], values[3]))
    return PdfRect(x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _der_prefix(data: bytes) -> bytes:
    """A DER value without the zero padding a signature's /Contents carries."""
    if len(data) < 2 or data[0] != 0x30:
        return data
    n = data[1]
    if n < 0x80:
        return data[: 2 + n]
    k = n & 0x7F
    if k == 0 or k > 4 or len(data) < 2 + k:
        return data
    length = int.from_bytes(data[2 : 2 + k], "big")
    return data[: 2 + k + length]


def _signer_from_cms(der: bytes) -> str:
    """The common name of the first end-entity certificate in a CMS container ("" when it
    cannot be read). The certificate is not validated."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import pkcs7
        from cryptography.x509.oid import NameOID
    except ImportError:
        return ""
    try:
        certs = pkcs7.load_der_pkcs7_certificates(_der_prefix(der))
    except (ValueError, TypeError):
        return ""
    for cert in certs:
        try:
            if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                continue
        except x509.ExtensionNotFound:
            pass
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if names:
            value = names[0].value
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return ""


def _box_of(
    widgets: list[pikepdf.Dictionary], pages: Mapping[tuple[int, int], int], spec: FormSpec
) -> tuple[str | None, int | None]:
    """The signature field of the form whose box a widget lies on, and the page."""
    for w in widgets:
        rect = _rect(w.get("/Rect"))
        p = as_dict(w.get("/P"))
        page_no = pages.get(p.objgen) if p is not None else None
        if rect is None or page_no is None:
            continue
        for f, widget in spec.widgets_on(page_no):
            if f.is_signature and overlap(rect, widget.rect) >= OVERLAP:
                return f.name, page_no
        return None, page_no
    return None, None


def digital_signatures(
    pdf: pikepdf.Pdf,
    data: Callable[[], bytes],
    tree: FieldTree,
    spec: FormSpec,
    *,
    values_now: Mapping[str, str],
    values_at: Callable[[bytes], Mapping[str, str] | None],
) -> list[Signature]:
    """Every digital signature in ``pdf`` (whose bytes ``data`` gives, read only when there
    is one). ``values_at`` reads the form's values from an earlier revision (the signed
    bytes), to tell whether they changed after signing."""
    names = {f.name for f in spec.signature_fields}
    out = []
    pages: dict[tuple[int, int], int] = {}
    for pf in tree.fields.values():
        sig = as_dict(pf.value)
        if pf.kind != "/Sig" or sig is None:
            continue
        if not pages:
            pages = {page.obj.objgen: i + 1 for i, page in enumerate(pdf.pages)}
        if "/ByteRange" not in sig and "/Contents" not in sig:
            continue
        field: str | None = pf.name if pf.name in names else None
        page: int | None = None
        if field is not None:
            page = spec.field(field).page_no
        else:
            field, page = _box_of(pf.widgets, pages, spec)
        signer = text_value(sig.get("/Name")).strip()
        contents = string_bytes(sig.get("/Contents"))
        if not signer and contents:
            signer = _signer_from_cms(contents)
        when = pdf_date(text_value(sig.get("/M")))
        whole, changed, ok, unreadable = True, False, True, False
        br = as_array(sig.get("/ByteRange"))
        try:
            ranges = [int(x) for x in br] if br is not None else []
        except (TypeError, ValueError):
            ranges = []
        file_bytes = data()
        if (
            len(ranges) == 4
            and ranges[0] == 0
            and 0 < ranges[1] <= ranges[2]
            and ranges[2] + ranges[3] <= len(file_bytes)
        ):
            end = ranges[2] + ranges[3]
            whole = not file_bytes[end:].strip(b"\x00\t\n\x0c\r ")
            if not whole:
                earlier = values_at(file_bytes[:end])
                if earlier is None:
                    unreadable = True
                else:
                    changed = any(earlier.get(k, "") != v for k, v in values_now.items())
        else:
            ok = False
        out.append(Signature(field, "digital", "a digital signature", page, signer, when, whole, changed, ok, unreadable))
    return out


def appearance_draws(stream: pikepdf.Stream | None) -> bool:
    """Whether an appearance stream paints anything (lines, fills, text or images)."""
    if stream is None:
        return False
    try:
        for instruction in pikepdf.parse_content_stream(stream):
            if str(instruction.operator) in _PAINTING:
                return True
    except pikepdf.PdfError:
        return False
    return False


def annotation_marks(pdf: pikepdf.Pdf, spec: FormSpec) -> list[tuple[str, int, str, bool]]:
    """Marks annotated over the form's boxes: ``(field, page, how, drawn)``; ``drawn`` is
    True for ink, stamps and shapes, False for text written over a box."""
    out: list[tuple[str, int, str, bool]] = []
    try:
        pages = list(pdf.pages)[: spec.page_count]
    except (pikepdf.PdfError, RuntimeError, RecursionError):
        return out
    for index, page in enumerate(pages):
        page_no = index + 1
        boxes = list(spec.widgets_on(page_no))
        annots = as_array(page.obj.get("/Annots"))
        if not boxes or annots is None:
            continue
        for annot in list(annots)[:2000]:
            if type_code(annot) != _DICT:
                continue
            subtype = str(annot.get("/Subtype", ""))
            if subtype not in DRAWN and subtype not in TYPED:
                continue
            flags = annot.get("/F", 0)
            if isinstance(flags, int) and flags & _HIDDEN:
                continue
            rect = _rect(annot.get("/Rect"))
            if rect is None:
                continue
            for f, widget in boxes:
                if overlap(rect, widget.rect) >= OVERLAP:
                    drawn = subtype in DRAWN
                    out.append((f.name, page_no, DRAWN.get(subtype) or TYPED[subtype], drawn))
    return out
