"""Which form is it: the OPP korte versie and its version, or something else.

In order of trust:

1. the stamp oppforms puts in every form it builds: the document information keys
   (:data:`oppforms.build.INFO_FORM_ID`, :data:`~oppforms.build.INFO_FORM_VERSION`), the
   XMP properties ``oppforms:form`` / ``oppforms:version``, and the keywords
   (``opp-kort; versie 1``), which Ghostscript and most printer drivers keep;
2. the field names: a form whose AcroForm holds the spec's fields is that form, whatever
   rewrote its metadata;
3. the page text, for flattened, printed or re-distilled forms: the footer every page
   carries (``opp-kort · versie 1 · pagina 2 van 5 · document K7Q2-M9XD``) or the title.

The spec of a version is the shipped one (``forms/opp-kort-v<version>.toml``); a version
this oppforms does not ship makes the file "not this form" with a reason that says so.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import cache

import pikepdf

from ..build import INFO_FORM_ID, INFO_FORM_VERSION
from ..errors import SpecError
from ..spec import FormSpec, current_spec, load_spec, spec_path
from .acroform import as_dict, as_stream, string_bytes
from .pdfstrings import decode_text_string

__all__ = ["FooterMatch", "Stamp", "footer_in", "metadata_stamp", "shipped_spec", "title_in"]

#: At most this much of the XMP metadata is read (a stamp is near its start).
XMP_LIMIT = 1 << 20
_XMP_FORM = re.compile(rb"oppforms:form(?:>\s*|\s*=\s*[\"'])([^<\"']+)")
_XMP_VERSION = re.compile(rb"oppforms:version(?:>\s*|\s*=\s*[\"'])([^<\"']+)")
_SAFE_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,15}")
_DOCUMENT = re.compile(r"document\s+([A-Z0-9]{4}-[A-Z0-9]{4})")


@dataclass(frozen=True, slots=True)
class Stamp:
    """A form id and version, and where they were found."""

    form: str
    version: str
    where: str


def bounded_bytes(stream: pikepdf.Stream, limit: int) -> bytes:
    """At most ``limit`` bytes of a stream's decoded data, without decoding more of it
    when it is only Flate-compressed (a decompression bomb stays small); b"" when it
    cannot be decoded."""
    try:
        filters = stream.get("/Filter")
        if filters is None:
            return stream.read_raw_bytes()[:limit]
        if str(filters) == "/FlateDecode" and "/DecodeParms" not in stream:
            return zlib.decompressobj().decompress(stream.read_raw_bytes(), limit)
        return stream.read_bytes()[:limit]
    except (pikepdf.PdfError, zlib.error):
        return b""


def _info_text(info: object, key: str) -> str:
    d = as_dict(info)
    raw = string_bytes(d.get(key)) if d is not None else None
    return decode_text_string(raw).strip() if raw is not None else ""


def metadata_stamp(pdf: pikepdf.Pdf, spec: FormSpec | None = None) -> Stamp | None:
    """The form stamp in ``pdf``'s metadata, or None."""
    spec = spec or current_spec()
    info = pdf.trailer.get("/Info")
    form, version = _info_text(info, INFO_FORM_ID), _info_text(info, INFO_FORM_VERSION)
    if form and version:
        return Stamp(form, version, "document information")
    metadata = as_stream(pdf.Root.get("/Metadata"))
    if metadata is not None:
        xmp = bounded_bytes(metadata, XMP_LIMIT)
        f, v = _XMP_FORM.search(xmp), _XMP_VERSION.search(xmp)
        if f and v:
            return Stamp(f.group(1).decode("utf-8", "replace").strip(), v.group(1).decode("utf-8", "replace").strip(), "XMP")
    keywords = _info_text(info, "/Keywords")
    m = _keywords_pattern(spec.form_id).search(keywords)
    if m:
        return Stamp(spec.form_id, m.group(1), "keywords")
    return None


@cache
def _keywords_pattern(form_id: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(form_id)}\s*;\s*versie\s+([0-9A-Za-z._-]+)")


_SPECS: dict[tuple[str, str], FormSpec | None] = {}


def shipped_spec(form: str, version: str) -> FormSpec | None:
    """The shipped spec of ``form`` version ``version``, or None when this oppforms does
    not know that form or version."""
    current = current_spec()
    if form == current.form_id and version == current.version:
        return current
    key = (form, version)
    if key not in _SPECS:
        spec = None
        if form == current.form_id and _SAFE_VERSION.fullmatch(version):
            path = spec_path(f"{form}-v{version}.toml")
            if path.is_file():
                try:
                    spec = load_spec(path)
                except SpecError:
                    spec = None
        _SPECS[key] = spec
    return _SPECS[key]


@dataclass(frozen=True, slots=True)
class FooterMatch:
    """A page's footer: form id, version, page number and count, document id ("" on a
    blank form)."""

    form: str
    version: str
    page: int
    pages: int
    document: str


@cache
def _footer_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{form\}|\{version\}|\{page\}|\{pages\})", template)
    groups = {
        "{form}": r"(?P<form>[a-z][a-z0-9-]*)",
        "{version}": r"(?P<version>[0-9A-Za-z._-]+)",
        "{page}": r"(?P<page>\d{1,4})",
        "{pages}": r"(?P<pages>\d{1,4})",
    }
    body = "".join(groups.get(p, r"\s*" + r"\s*".join(re.escape(w) for w in p.split()) + r"\s*") for p in parts)
    return re.compile(body)


def footer_in(text: str, spec: FormSpec) -> FooterMatch | None:
    """The footer of the form in a page's text (any line), or None."""
    flat = " ".join(text.split())
    m = _footer_pattern(spec.marks.footer_text).search(flat)
    if not m or m.group("form") != spec.form_id:
        return None
    page, pages = int(m.group("page")), int(m.group("pages"))
    if not 1 <= page <= pages:
        return None
    doc = _DOCUMENT.search(flat, m.end())
    return FooterMatch(m.group("form"), m.group("version"), page, pages, doc.group(1) if doc else "")


def title_in(text: str, spec: FormSpec) -> bool:
    """Whether a page's text holds the form's title."""
    return " ".join(spec.title.split()) in " ".join(text.split())
