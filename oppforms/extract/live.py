"""Forms with their fields: values from the field tree, checked against what the page shows.

Every text and date field of the spec is read from the field of the same full name
(:mod:`.acroform`), decoded (PDFDocEncoding or UTF-16) and normalised (:mod:`.normalize`).
The field's value is what counts; where a viewer left an appearance that shows something
else (it changed the value but not the appearance, or the reverse), the value is taken and
a warning says so. Forms that ask viewers to make appearances themselves
(``/NeedAppearances``) show their values whatever the stale appearance holds, and are not
compared. A field of the form that the file lacks (a viewer flattened part of the form) is
read from the page text instead.

Signature boxes are signed by a digital signature, by an ink or stamp annotation, by an
appearance drawn into the signature field, or by marks drawn into the page inside the box
(checked only when the page's content differs from the blank form's, which is rare and
costs a text-layer pass over that page).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import pikepdf

from ..i18n import N_
from ..records import Record, ReviewItem, empty_values
from ..spec import FormSpec, shipped_pdf_path
from .acroform import (
    FieldTree,
    PdfField,
    as_array,
    as_dict,
    as_stream,
    field_tree,
    text_value,
    type_code,
)
from .detect import footer_in
from .normalize import normalize_value
from .pages import PageContent, box_of, drawn_inside, template_model
from .signatures import annotation_marks, appearance_draws, digital_signatures
from .textdecode import FontCache, shown_text

__all__ = ["DigitalFindings", "digital_findings", "form_values", "read_live"]

METHOD = "acroform"
_DICT = pikepdf.ObjectType.dictionary

PageReader = Callable[[set[int]], Mapping[int, PageContent]]
TextFallback = Callable[[FormSpec], Record | None]


_NOT_LETTERS = re.compile(r"[\W_]+")


def _letters(text: str) -> str:
    """What comparing an appearance with a value looks at: letters and digits only (line
    breaks, spacing and the font's stand-in characters may differ)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return _NOT_LETTERS.sub("", text)


@cache
def _marker(marker: str) -> re.Pattern[str]:
    parts = [r"\s*".join(re.escape(w) for w in p.split()) for p in marker.split("{page}")]
    return re.compile(r"\s*(?:" + r"\s*\d{1,4}\s*".join(parts) + r")\s*$")


@dataclass(frozen=True, slots=True)
class _TemplatePages:
    """Per page of the blank form: the SHA-256 of its static content and its stream count."""

    static: tuple[bytes, ...]
    streams: tuple[int, ...]


_TEMPLATE_PAGES: dict[str, _TemplatePages] = {}


def _template_pages(spec: FormSpec) -> _TemplatePages:
    found = _TEMPLATE_PAGES.get(spec.source)
    if found is None:
        static: list[bytes] = []
        streams: list[int] = []
        with pikepdf.open(shipped_pdf_path(spec)) as pdf:
            for page in pdf.pages:
                items = _contents(page)
                first = as_stream(items[0]) if items else None
                static.append(hashlib.sha256(first.read_bytes()).digest() if first is not None else b"")
                streams.append(len(items))
        found = _TemplatePages(tuple(static), tuple(streams))
        _TEMPLATE_PAGES[spec.source] = found
    return found


def _contents(page: pikepdf.Page) -> list[object]:
    """A page's content streams (one or an array of them)."""
    contents = page.obj.get("/Contents")
    array = as_array(contents)
    return list(array) if array is not None else [contents]


def _page_unchanged(page: pikepdf.Page, index: int, spec: FormSpec) -> bool:
    """Whether a page still draws exactly the blank form's content (plus its marks stream,
    which filling replaces), so nothing was drawn on it."""
    template = _template_pages(spec)
    if index >= len(template.static):
        return False
    items = _contents(page)
    first = as_stream(items[0]) if items else None
    if len(items) != template.streams[index] or first is None:
        return False
    try:
        return hashlib.sha256(first.read_bytes()).digest() == template.static[index]
    except pikepdf.PdfError:
        return False


def form_values(pdf: pikepdf.Pdf, spec: FormSpec) -> dict[str, str]:
    """The normalised values of ``spec``'s text and date fields in ``pdf`` (missing → "")."""
    tree = field_tree(pdf)
    values, _ = empty_values(spec)
    for f in spec.value_fields:
        pf = tree.fields.get(f.name)
        if pf is not None:
            values[f.name] = normalize_value(text_value(pf.value), f, spec).value
    return values


def _values_at(spec: FormSpec) -> Callable[[bytes], Mapping[str, str] | None]:
    def read(data: bytes) -> Mapping[str, str] | None:
        try:
            with pikepdf.open(io.BytesIO(data)) as pdf:
                return form_values(pdf, spec)
        except (pikepdf.PdfError, ValueError, RecursionError):
            return None

    return read


def _normal_appearance(widget: pikepdf.Dictionary) -> pikepdf.Stream | None:
    """A widget's normal appearance stream (None when it has none, or only states)."""
    ap = as_dict(widget.get("/AP"))
    return as_stream(ap.get("/N")) if ap is not None else None


@dataclass(frozen=True, slots=True)
class DigitalFindings:
    """What the digital signatures of a form say: the boxes they sign, notices (who signed,
    when; later revisions that changed no value) and what a person must review."""

    signed: tuple[str, ...]
    notices: tuple[str, ...]
    review: tuple[ReviewItem, ...]


def digital_findings(
    pdf: pikepdf.Pdf,
    data: Callable[[], bytes],
    tree: FieldTree,
    spec: FormSpec,
    *,
    values_now: Mapping[str, str],
    values_at: Callable[[bytes], Mapping[str, str] | None],
) -> DigitalFindings:
    """The digital signatures of ``pdf`` as a record reports them (see
    :func:`.signatures.digital_signatures` for the arguments)."""
    signed: list[str] = []
    notices: list[str] = []
    review: list[ReviewItem] = []
    for s in digital_signatures(pdf, data, tree, spec, values_now=values_now, values_at=values_at):
        who = s.signer or N_("an unnamed signer")
        where = s.field or (N_("page {page}").format(page=s.page) if s.page else N_("the document (no visible box)"))
        if s.time:
            notices.append(
                N_("{where}: digitally signed by {who} on {time} (certificate not checked)").format(where=where, who=who, time=s.time)
            )
        else:
            notices.append(N_("{where}: digitally signed by {who} (certificate not checked)").format(where=where, who=who))
        if s.field is not None:
            signed.append(s.field)
        if not s.byte_range_ok:
            review.append(ReviewItem(N_("{where}: the digital signature's byte range is broken; it proves nothing").format(where=where), s.field, s.page))
        elif s.revision_unreadable:
            review.append(
                ReviewItem(N_("{where}: the signed version of the file cannot be read back; check the signature").format(where=where), s.field, s.page)
            )
        elif s.values_changed:
            review.append(ReviewItem(N_("{where}: the form's values were changed after this digital signature").format(where=where), s.field, s.page))
        elif not s.whole_file:
            notices.append(N_("{where}: the file was added to after this signature; the form's values were not changed").format(where=where))
    return DigitalFindings(tuple(signed), tuple(notices), tuple(review))


class _LiveReader:
    def __init__(self, pdf: pikepdf.Pdf, data: Callable[[], bytes], tree: FieldTree, spec: FormSpec, source: str) -> None:
        self.pdf = pdf
        self.data = data
        self.tree = tree
        self.spec = spec
        self.source = source
        self.values, self.signed = empty_values(spec)
        self.warnings: list[str] = []
        self.notices: list[str] = []  # information, not problems: who signed, when
        self.review: list[ReviewItem] = []
        self.fonts = FontCache()
        self.shown: dict[tuple[int, int], str | None] = {}
        self.marker = _marker(spec.continuation.marker)
        acroform = as_dict(pdf.Root.get("/AcroForm"))
        self.default_resources = acroform.get("/DR") if acroform is not None else None

    def item(self, name: str, reason: str) -> ReviewItem:
        f = self.spec.field(name)
        return ReviewItem(N_("{field}: {reason}").format(field=name, reason=reason), name, f.page_no, box_of(f.rect))

    # -- values ----------------------------------------------------------------------

    def read_values(self, fallback: TextFallback) -> None:
        missing = []
        mismatched: dict[str, list[str]] = {}
        for f in self.spec.value_fields:
            pf = self.tree.fields.get(f.name)
            if pf is None:
                missing.append(f.name)
                continue
            if pf.kind not in ("/Tx", ""):
                self.warnings.append(N_("{field}: is no text field in this file ({kind}); its value was read as text").format(field=f.name, kind=pf.kind))
            raw = text_value(pf.value)
            n = normalize_value(raw, f, self.spec)
            self.values[f.name] = n.value
            self.warnings.extend(n.warnings)
            if n.review:
                self.review.append(self.item(f.name, n.review))
            if not self.tree.need_appearances:
                reason = self.check_appearance(pf, raw)
                if reason:
                    mismatched.setdefault(reason, []).append(f.name)
        for reason, names in mismatched.items():
            # one line per kind of mismatch: a program that cannot draw the form's font
            # leaves every box wrong, which is one thing to know, not forty
            if len(names) <= 3:
                listed = ", ".join(names)
            else:
                listed = N_("{fields} and {n} more fields").format(fields=", ".join(names[:3]), n=len(names) - 3)
            self.warnings.append(N_("{what}: {reason}; the value was taken (changed in another program?)").format(what=listed, reason=reason))
        if missing:
            record = fallback(self.spec)
            for name in missing:
                if record is not None:
                    self.values[name] = record.fields.get(name, "")
                    self.warnings.append(N_("{field}: not a form field in this file; read from the page text").format(field=name))
                else:
                    self.review.append(self.item(name, N_("not a form field in this file, and not found on the page")))

    def check_appearance(self, pf: PdfField, raw: str) -> str:
        """Why a widget of ``pf`` shows something else than the value ``raw`` ("" when
        they agree, or when the appearance cannot be decoded). Never with the value."""
        bare = "".join(raw.split())
        want = ""
        marker = self.marker
        for w in pf.widgets:
            stream = _normal_appearance(w)
            if stream is None:
                if bare:
                    return N_("has a value but no appearance, so some viewers and printers show the box empty")
                continue
            key = stream.objgen
            if key in self.shown:
                shown = self.shown[key]
            else:
                resources = stream.get("/Resources") or self.default_resources
                try:
                    shown = shown_text(stream, resources, self.fonts)
                except (pikepdf.PdfError, MemoryError):
                    # damaged, or a decompression bomb the memory limit stopped
                    return N_("its appearance cannot be read (damaged, or far too large)")
                if key != (0, 0):
                    self.shown[key] = shown
            if shown is None:
                continue  # a font that cannot be decoded: nothing to compare
            if "".join(shown.split()) == bare:
                continue  # the common case, cheaply: the same text, wrapped
            want = want or _letters(raw)
            if self.agrees(shown, want, marker):
                continue
            try:  # a surprise: confirm it with the full content parser
                shown = shown_text(stream, stream.get("/Resources") or self.default_resources, self.fonts, exact=True)
            except pikepdf.PdfError:
                shown = None
            if shown is None or self.agrees(shown, want, marker):
                continue
            got = _letters(marker.sub("", shown))
            if not want:
                return N_("the box shows text, but the field's value is empty")
            if not got:
                return N_("the box does not show the field's value (its appearance is empty or unreadable)")
            if want.startswith(got):
                return N_("the box shows only part of the field's value")
            return N_("the box shows something else than the field's value")
        return ""

    @staticmethod
    def agrees(shown: str, want: str, marker: re.Pattern[str]) -> bool:
        continued = bool(marker.search(shown))
        got = _letters(marker.sub("", shown) if continued else shown)
        return got == want or (continued and want.startswith(got))

    # -- signatures ------------------------------------------------------------------

    def read_signatures(self, page_reader: PageReader) -> None:
        spec = self.spec
        found = digital_findings(
            self.pdf, self.data, self.tree, spec, values_now=self.values, values_at=_values_at(spec)
        )
        for name in found.signed:
            self.signed[name] = True
        self.notices.extend(found.notices)
        self.review.extend(found.review)
        for name, page_no, how, drawn in annotation_marks(self.pdf, spec):
            f = spec.field(name)
            if f.is_signature and drawn:
                self.signed[name] = True
            elif f.is_signature:
                self.review.append(self.item(name, N_("{how} in the signature box, not a drawn signature").format(how=how)))
            else:
                self.review.append(self.item(name, N_("{how} over the box: something was written on the form").format(how=how)))
        for f in spec.signature_fields:
            pf = self.tree.fields.get(f.name)
            if self.signed[f.name] or pf is None or type_code(pf.value) == _DICT:
                continue
            for w in pf.widgets:
                if appearance_draws(_normal_appearance(w)):
                    self.signed[f.name] = True
                    break
        self.drawn_on_pages(page_reader)

    def drawn_on_pages(self, page_reader: PageReader) -> None:
        spec = self.spec
        pages_with_boxes = sorted({f.page_no for f in spec.signature_fields if not self.signed[f.name]})
        try:
            pdf_pages = list(self.pdf.pages)
        except (pikepdf.PdfError, RuntimeError):
            return
        changed = {n for n in pages_with_boxes if n <= len(pdf_pages) and not _page_unchanged(pdf_pages[n - 1], n - 1, spec)}
        if not changed:
            return
        contents = page_reader({n - 1 for n in changed})
        model = template_model(spec)
        for f in spec.signature_fields:
            content = contents.get(f.page_no - 1)
            if content is None or self.signed[f.name]:
                continue
            if drawn_inside(f.rect, content.marks + content.images) > model.signature_marks.get(f.name, 0):
                self.signed[f.name] = True

    # -- the document id -------------------------------------------------------------

    def document(self) -> str:
        try:
            page = self.pdf.pages[0]
        except (IndexError, pikepdf.PdfError):
            return ""
        resources = page.obj.get("/Resources")
        for item in reversed(_contents(page)[-3:]):
            stream = as_stream(item)
            if stream is None:
                continue
            try:
                text = shown_text(stream, resources, self.fonts)
            except pikepdf.PdfError:
                continue
            footer = footer_in(text or "", self.spec)
            if footer is not None:
                return footer.document
        return ""

    def record(self) -> Record:
        for problem in self.tree.problems:
            self.warnings.append(N_("the form's field tree has {problem}; read as far as it goes").format(problem=problem))
        return Record(
            source=self.source,
            form=self.spec.form_id,
            version=self.spec.version,
            method=METHOD,
            fields=self.values,
            signed=self.signed,
            review=tuple(self.review),
            warnings=tuple(dict.fromkeys([*self.notices, *self.warnings])),
            document=self.document(),
        )


def read_live(
    pdf: pikepdf.Pdf,
    data: Callable[[], bytes],
    tree: FieldTree,
    spec: FormSpec,
    source: str,
    *,
    page_reader: PageReader,
    text_fallback: TextFallback,
) -> tuple[Record, int]:
    """The record of a form with fields, and how many of its warnings (the first ones)
    are notices rather than problems: who signed digitally, and when. ``data`` gives the
    file's bytes (read only for the byte ranges of digital signatures); ``page_reader`` gives the
    text-layer content of pages by 0-based index and ``text_fallback`` reads the form from
    its page text, both only called when the fields alone do not tell."""
    reader = _LiveReader(pdf, data, tree, spec, source)
    reader.read_values(text_fallback)
    reader.read_signatures(page_reader)
    record = reader.record()
    return record, len(dict.fromkeys(reader.notices))
