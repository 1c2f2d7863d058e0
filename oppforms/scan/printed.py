"""What every page prints around its content, read for a page whose QR codes cannot be read:
the footer ("opp-kort · versie 1 · pagina 6 van 7 · document K7Q2-M9XD") and the running
header with the pupil's name ("OPP korte versie · Zoë van der Berg").

:func:`identify_by_print` finds such a page's corner marks where an upright or upside-down
A4 page puts them (the marks alone cannot tell which way up the page lies), reads the footer
of both ways up and keeps the one that reads as this form's footer: the page number, the
page count and the document id, and with them the header's name. It is run only when the
codes could not be read (two or three short OCR lines per page).

:func:`resolve_document` checks a footer's document id against the issued registry; the
pupil's name (as the header shows it) is compared with :func:`same_person`.
"""

from __future__ import annotations

import difflib
import functools
import re
import string
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..fonts import FontMetrics
from ..i18n import N_
from ..geometry import Homography, PdfRect, pdf_to_image, to_pixels
from ..spec import FormSpec
from .locate import Alignment, align
from .ocr import Gray, OcrMode
from .readings import DPI, _looks_alike, _pad, footer_document


@dataclass(frozen=True, slots=True)
class Footer:
    """A footer as read: ``document`` is the id (look-alike digits taken as the letters
    they look like), "" when the footer prints none (a blank form), None when it prints
    one that cannot be read."""

    form_id: str
    version: str
    page_no: int
    pages: int
    document: str | None


@dataclass(frozen=True, slots=True)
class Printed:
    """A page found by its print: the page turned upright (quarter turns only; the
    alignment takes care of the rest), its alignment on the corner marks, the footer and
    the name in the header ("" when none could be read)."""

    image: Gray
    alignment: Alignment
    footer: Footer
    person: str


Read = Callable[..., str]  # (crop, mode=OcrMode.LINE): the text of one line read from a crop


# ---------------------------------------------------------------------------------------
# Where the header and footer are printed


def footer_rect(spec: FormSpec) -> PdfRect:
    """The footer's line, from the right of the bottom QR code to the footer's right end."""
    m = spec.marks
    style = spec.styles[m.footer_style]
    low = [r for r in m.qr_rects() if r.y1 < spec.page_height / 2]
    left = max((r.x1 for r in low), default=m.content.x0) + 2
    return PdfRect(left, m.footer_baseline - style.size * 0.6, m.footer_right + 4, m.footer_baseline + style.size * 1.4)


def header_rect(spec: FormSpec) -> PdfRect:
    """The running header's line, from its start to the left of the top QR code."""
    m = spec.marks
    style = spec.styles[m.header_style]
    high = [r for r in m.qr_rects() if r.y0 > spec.page_height / 2]
    right = min((r.x0 for r in high), default=m.content.x1) - 2
    return PdfRect(m.header_x - 4, m.header_baseline - style.size * 0.6, right, m.header_baseline + style.size * 1.4)


def crop_rect(canvas: Gray, spec: FormSpec, rect: PdfRect) -> Gray:
    """The part of an aligned page (drawn at :data:`DPI`) inside ``rect``, padded for OCR."""
    b = to_pixels(rect, spec.page_height, DPI)
    h, w = canvas.shape
    return _pad(canvas[max(0, b.top) : min(h, b.bottom), max(0, b.left) : min(w, b.right)])


def warp_rect(image: Gray, spec: FormSpec, image_from_pdf: Homography, rect: PdfRect) -> Gray:
    """Only the part ``rect`` of the page re-drawn upright at :data:`DPI` (as
    :func:`~oppforms.scan.locate.warp` draws the whole page), padded for OCR."""
    b = to_pixels(rect, spec.page_height, DPI)
    canvas_from_pdf = pdf_to_image(spec.page_height, DPI).then(Homography((1, 0, -b.left, 0, 1, -b.top, 0, 0, 1)))
    m = np.array(image_from_pdf.inverse().then(canvas_from_pdf).m, dtype=np.float64).reshape(3, 3)
    out = cv2.warpPerspective(image, m, (b.right - b.left, b.bottom - b.top), flags=cv2.INTER_LINEAR, borderValue=255)
    return _pad(np.asarray(out, dtype=np.uint8))


# ---------------------------------------------------------------------------------------
# Reading them

#: Digits as an engine may read them in a short line of small print.
_NUM = r"[0-9lIO|]{1,3}"
#: A page number as an engine may give it: its digits, or letters it read for them (the
#: Dutch model reads the footer's 6 as "ó" or "ó6"); numbers not read as digits are
#: settled by the print (:func:`_numbers_checked`).
_NUM_READ = r"(?:[0-9lIO|]{1,3}|\w{1,3})"
_AS_DIGIT = str.maketrans({"l": "1", "I": "1", "|": "1", "O": "0"})
#: A document id as an engine may read it: its two halves, a glyph of either maybe read as
#: two ("K" as "IK", "5" as "S5"), which :func:`_id_checked` settles by the print.
_ID = r"(?P<a>[A-Za-z0-9]{4,5})\s*[-–—.]?\s*(?P<b>[A-Za-z0-9]{4,6})"


def _loose(literal: str) -> str:
    """A pattern for a literal part of the footer: its words as printed (any case), its
    separators (· between words, which engines read as ·, -, . or nothing) as any run of
    non-word characters."""
    out = ""
    for token in re.findall(r"\w+|\W+", literal):
        out += re.escape(token) if token[0].isalnum() or token[0] == "_" else r"[\W_]*"
    return out


@functools.lru_cache(maxsize=8)
def _footer_pattern(template: str) -> re.Pattern[str]:
    """The pattern of a footer printed from ``template`` (the spec's), as engines read it."""
    out = ""
    groups = {"form": r"(?P<form>[\w-]+?)", "version": r"(?P<version>\w+)", "page": rf"(?P<page>{_NUM_READ})", "pages": rf"(?P<pages>{_NUM_READ})"}
    for literal, name, _, _ in string.Formatter().parse(template):
        out += _loose(literal)
        if name:
            out += groups[name]
    out += rf"(?:[\W_]*(?P<doc>document)\b[\W_]*(?:{_ID})?)?"
    return re.compile(out, re.IGNORECASE)


_PAGES = re.compile(rf"pagina\s*(?P<page>{_NUM_READ})\s*van\s*(?P<pages>{_NUM_READ})(?:[\W_]*(?P<doc>document)\b[\W_]*(?:{_ID})?)?", re.IGNORECASE)


def parse_footer(text: str, spec: FormSpec) -> Footer | None:
    """The footer in a line of text read from it, or None when the line is not this
    form's footer (or its page numbers were not read as digits). The form id must read as
    the spec's; a version read clearly otherwise is returned as read (a page of another
    version of the form)."""
    got = _parse_footer(text, spec)
    return got[0] if got is not None and got[1] == ("", "") else None


def _number(token: str) -> int | None:
    digits = token.translate(_AS_DIGIT)
    return int(digits) if digits.isdigit() and digits.isascii() else None


def _parse_footer(text: str, spec: FormSpec) -> tuple[Footer, tuple[str, str], str] | None:
    """:func:`parse_footer`, the page number and page count as read when they were not
    read as digits ("" for one that was; 0 in the footer for one that was not), and the
    id's characters as read (more than an id has when a glyph was read as two; the
    footer's document is then its first ones, for :func:`_id_checked` to settle)."""
    text = " ".join(text.split())
    found = _footer_pattern(spec.marks.footer_text).search(text)
    form_id, version = spec.form_id, spec.version
    if found:
        if difflib.SequenceMatcher(None, found.group("form").lower(), spec.form_id).ratio() < 0.75:
            return None
        version = found.group("version").translate(_AS_DIGIT) if spec.version.isdigit() else found.group("version")
    else:
        # the words before "pagina" misread: the page numbers and the form id still make
        # it this form's footer
        found = _PAGES.search(text)
        if not found:
            return None
        before = text[: found.start()].lower()
        common = difflib.SequenceMatcher(None, before, spec.form_id).find_longest_match(0, len(before), 0, len(spec.form_id))
        if common.size < min(5, len(spec.form_id)):
            return None
    page, pages = _number(found.group("page")), _number(found.group("pages"))
    if page is not None and pages is not None and not _numbers_fit(page, pages, spec):
        return None
    if (pages is not None and pages < spec.page_count) or (page is not None and page < 1):
        return None
    doc: str | None = ""
    chars = ""
    if found.group("doc"):
        doc = None
        if found.group("a"):
            chars = found.group("a") + found.group("b")
            doc = footer_document(chars[:4], chars[4:_ID_LENGTH])
    unclear = ("" if page is not None else found.group("page"), "" if pages is not None else found.group("pages"))
    return Footer(form_id, version, page or 0, pages or 0, doc), unclear, chars


#: How many characters a document id has (its hyphen aside).
_ID_LENGTH = 8


def _numbers_fit(page: int, pages: int, spec: FormSpec) -> bool:
    return 1 <= page <= pages and pages >= spec.page_count


def parse_header(text: str, spec: FormSpec) -> str:
    """The pupil's name in a line read from the running header: what follows the header's
    own text and its separator; "" when the line shows no more than the header's text."""
    text = " ".join(text.split())
    words = spec.marks.header_text.split()
    pattern = r"^\W*" + r"\s*".join(re.escape(w) for w in words) + r"[\W_]*"
    m = re.match(pattern, text, re.IGNORECASE)
    if m:
        rest = text[m.end() :]
    else:  # the header's own words misread: its word count still tells where the name starts
        parts = text.split(" ")
        rest = " ".join(parts[len(words) :]) if len(parts) > len(words) else ""
        rest = re.sub(r"^[\W_]+", "", rest)
    return rest.strip(" ·.-–")


#: Letters of a document id an engine reads for one another in small print (base32: A-Z,
#: 2-7): the round capitals, and the pairs of :data:`~oppforms.scan.readings._ALIKE`.
_ID_ALIKE = {"O": "QD", "Q": "O", "D": "O", "C": "G", "G": "C6", "6": "G", "U": "V", "V": "U",
             "S": "5", "5": "S", "Z": "2", "2": "Z", "A": "4", "4": "A", "T": "7", "7": "T",
             "B": "3", "3": "B", "I": "J", "J": "I"}


def id_rect(spec: FormSpec, document: str) -> PdfRect:
    """Where the footer prints ``document`` (it ends the right-aligned footer)."""
    m = spec.marks
    style = spec.styles[m.footer_style]
    width = _metrics(spec.fonts[style.font]).width(document, style.size)
    return PdfRect(m.footer_right - width - 3, m.footer_baseline - style.size * 0.45, m.footer_right + 3, m.footer_baseline + style.size * 1.05)


@functools.lru_cache(maxsize=4)
def _metrics(filename: str) -> FontMetrics:
    return FontMetrics.shipped(filename)


#: The widest id the footer can print, for reading an id that the footer's line did not give.
_WIDEST_ID = "WWWW-WWWW"
_NARROWEST_ID = "IIII-IIII"
_ID_AT_END = re.compile(r"([A-Z2-7]{4})-([A-Z2-7]{4})[^A-Z2-7]*$")


def _id_checked(footer: Footer, chars: str, crop: Callable[[PdfRect], Gray], spec: FormSpec, read: Read) -> Footer:
    """The footer with its document id checked against the print (:func:`checked_id`);
    an id the line did not give (a stray accent in it) is read again alone, with the
    engine held to the characters of an id. ``chars``: the id's characters as the line
    read them (more than an id has when a glyph was read as two)."""
    doc = footer.document
    if doc is None:
        found = _ID_AT_END.search(read(crop(id_rect(spec, _WIDEST_ID)), OcrMode.ID))
        doc = f"{found.group(1)}-{found.group(2)}" if found else None
    if doc:
        style = spec.styles[spec.marks.footer_style]
        width = functools.partial(_metrics(spec.fonts[style.font]).width, size=style.size)
        widest = max((doc, *split_readings(chars)), key=width)  # the print of any of them lies in its region
        doc = checked_id(crop(id_rect(spec, widest)), doc, spec, chars)
    return replace(footer, document=doc)


#: Pairs of glyphs an engine reads for one glyph of an id's font that is neither of them.
_SPLIT_GLYPHS = {"VV": "W", "RN": "M", "IJ": "U", "LI": "U"}


def split_readings(chars: str) -> list[str]:
    """The ids ``chars`` (an id's characters as read, one more than an id has) can be
    when the engine read one glyph as two: one character left out (tesseract reads a K as
    "IK", a 5 as "S5"), or a pair taken as the one glyph it looks like (VV for W); none
    when ``chars`` is no longer than an id, or longer by more than one."""
    chars = chars.upper()
    if len(chars) != _ID_LENGTH + 1:
        return []
    out = [chars[:i] + chars[i + 1 :] for i in range(len(chars))]
    out += [chars[:i] + one + chars[i + 2 :] for i in range(len(chars) - 1) if (one := _SPLIT_GLYPHS.get(chars[i : i + 2]))]
    ids = (footer_document(c[:4], c[4:]) for c in out)
    return list(dict.fromkeys(d for d in ids if d))


def checked_id(region: Gray, document: str, spec: FormSpec, chars: str = "") -> str | None:
    """The document id as printed: ``document`` as read, or the reading with one letter
    changed for its look-alike (Q for O: an engine's word model prefers "VOP" to "VQP")
    whose drawing in the footer's font explains the print in ``region`` better.

    When the engine read one character more than an id has (``chars``: "WIS5K" for
    "WI5K", a glyph read as two), the id is the one of :func:`split_readings` whose
    drawing explains the print clearly best (with at most :data:`CLEARLY_BETTER` of the
    error of the next); None (an id shown unreadably) when none does."""
    from .verify import fits_better

    style = spec.styles[spec.marks.footer_style]
    filename = spec.fonts[style.font]
    metrics = _metrics(filename)
    px = style.size * DPI / 72.0
    split = split_readings(chars)
    if split:
        found = printed_id(region, split, spec)
        if found is None:
            return None
        document = found
    best = document
    for i, ch in enumerate(document):
        for other in _ID_ALIKE.get(ch, ""):
            candidate = document[:i] + other + document[i + 1 :]
            if fits_better(region, candidate, best, metrics, filename, px):
                best = candidate
    return best


def printed_id(region: Gray, ids: Sequence[str], spec: FormSpec) -> str | None:
    """The one of ``ids`` whose drawing in the footer's font explains the print in
    ``region`` clearly best (with at most :data:`CLEARLY_BETTER` of the error of the next);
    None when none explains it, or two about as well."""
    from .verify import print_fit

    style = spec.styles[spec.marks.footer_style]
    filename = spec.fonts[style.font]
    metrics, px = _metrics(filename), style.size * DPI / 72.0
    fits = sorted((e, d) for d in dict.fromkeys(ids) if (e := print_fit(region, d, metrics, filename, px)) is not None)
    if not fits or (len(fits) > 1 and fits[0][0] > CLEARLY_BETTER * fits[1][0]):
        return None
    return fits[0][1]


#: How many digits a page number of the footer may have.
_MOST_DIGITS = 2


def _numbers_checked(footer: Footer, unclear: tuple[str, str], crop: Callable[[PdfRect], Gray], spec: FormSpec) -> Footer | None:
    """The footer with its page number and page count that were not read as digits
    (``unclear``: what was read instead, "" for a number read) settled by the print: each
    is the number whose drawing with the footer's words beside it ("pagina 6 van", "van 6")
    explains the print where the right-aligned footer prints it, alone or clearly best;
    None when none does."""
    page, pages = footer.page_no, footer.pages
    m = spec.marks
    style = spec.styles[m.footer_style]
    filename = spec.fonts[style.font]
    metrics, px = _metrics(filename), style.size * DPI / 72.0
    width = functools.partial(metrics.width, size=style.size)
    # where the page count ends: before the id, whose width is known once it is read
    if footer.document is None:
        ends = (m.footer_right - width(" · document " + _WIDEST_ID), m.footer_right - width(" · document " + _NARROWEST_ID))
    else:
        after = f" · document {footer.document}" if footer.document else ""
        ends = (m.footer_right - width(after),) * 2
    most = "9" * _MOST_DIGITS

    def region(drawn: str, end: tuple[float, float]) -> PdfRect:
        return PdfRect(end[0] - width(drawn.format(most)) - style.size * 0.5, m.footer_baseline - style.size * 0.45,
                       end[1] + style.size * 0.5, m.footer_baseline + style.size * 1.05)

    if unclear[1]:
        found = _printed_number(crop(region("van {}", ends)), "van {}", unclear[1], range(max(spec.page_count, page), 10**_MOST_DIGITS), metrics, filename, px)
        if found is None:
            return None
        pages = found
    if unclear[0]:
        before = (ends[0] - width(f" {pages}"), ends[1] - width(f" {pages}"))
        found = _printed_number(crop(region("pagina {} van", before)), "pagina {} van", unclear[0], range(1, pages + 1), metrics, filename, px)
        if found is None:
            return None
        page = found
    return replace(footer, page_no=page, pages=pages) if _numbers_fit(page, pages, spec) else None


def _printed_number(
    region: Gray, drawn: str, read: str, numbers: range, metrics: FontMetrics, filename: str, px: float
) -> int | None:
    """The number ``n`` of ``numbers`` whose drawing ``drawn.format(n)`` fits the print in
    ``region``, among those with about as many digits as characters were ``read`` for it;
    None when no drawing fits, or two fit about as well."""
    from .verify import print_fit

    digits = {n for n in (len(read) - 1, len(read), len(read) + 1) if 1 <= n <= _MOST_DIGITS}
    fits: list[tuple[float, int]] = []
    for n in numbers:
        if len(str(n)) in digits:
            error = print_fit(region, drawn.format(n), metrics, filename, px)
            if error is not None:
                fits.append((error, n))
    fits.sort()
    if not fits or (len(fits) > 1 and fits[0][0] > CLEARLY_BETTER * fits[1][0]):
        return None
    return fits[0][1]


#: A number settled by the print must explain it with at most this share of the error of
#: the next best.
CLEARLY_BETTER = 0.8


# ---------------------------------------------------------------------------------------
# A page found by its print


def _nominal(image: Gray, spec: FormSpec) -> Alignment:
    """The mapping of an A4 page that fills the image, upright, centred."""
    h, w = image.shape
    s = min(w / spec.page_width, h / spec.page_height)
    ox, oy = (w - s * spec.page_width) / 2, (h - s * spec.page_height) / 2
    h_pdf = pdf_to_image(spec.page_height, 72.0).then(Homography((s, 0, ox, 0, s, oy, 0, 0, 1)))
    return Alignment(h_pdf, float("inf"), "layout", 0)


def _half_turn(spec: FormSpec) -> Homography:
    """The page turned upside down, in PDF points."""
    return Homography((-1, 0, spec.page_width, 0, -1, spec.page_height, 0, 0, 1))


def identify_by_print(image: Gray, spec: FormSpec, read: Read) -> Printed | None:
    """The page found by its corner marks and footer (see the module's description), or
    None when its marks cannot be found or no way up reads as this form's footer."""
    h, w = image.shape
    if w > h:  # a page scanned lying on its side: one quarter turn, the footer decides the rest
        image = np.ascontiguousarray(np.rot90(image, 1))
    marks = align(image, spec, _nominal(image, spec))
    if marks.method != "marks":
        return None
    for image_from_pdf in (marks.image_from_pdf, _half_turn(spec).then(marks.image_from_pdf)):
        footer = footer_read(functools.partial(warp_rect, image, spec, image_from_pdf), spec, read)
        if footer is None:
            continue
        person = parse_header(read(warp_rect(image, spec, image_from_pdf, header_rect(spec))), spec)
        alignment = Alignment(image_from_pdf, marks.residual_pt, "marks", marks.marks_found)
        return Printed(image, alignment, footer, person)
    return None


def footer_read(crop: Callable[[PdfRect], Gray], spec: FormSpec, read: Read) -> Footer | None:
    """The footer of a page, ``crop`` giving a part of it upright at :data:`DPI`: its line
    read and parsed, the document id checked against the print (:func:`_id_checked`) and
    page numbers not read as digits settled by it (:func:`_numbers_checked`)."""
    got = _parse_footer(read(crop(footer_rect(spec))), spec)
    if got is None:
        return None
    footer = _id_checked(got[0], got[2], crop, spec, read)
    return _numbers_checked(footer, got[1], crop, spec) if got[1] != ("", "") else footer


def read_print(canvas: Gray, spec: FormSpec, read: Read) -> tuple[Footer | None, str]:
    """The footer and the header's name of an aligned page (drawn at :data:`DPI`)."""
    footer = footer_read(functools.partial(crop_rect, canvas, spec), spec, read)
    person = parse_header(read(crop_rect(canvas, spec, header_rect(spec))), spec) if footer is not None else ""
    return footer, person


# ---------------------------------------------------------------------------------------
# Checking what was read


def _fold(name: str) -> str:
    """A name reduced to its letters, lower case, accents and marks off (ş → s, ı → i)."""
    out = unicodedata.normalize("NFKD", name.replace("ı", "i").replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in out.lower() if c.isalnum())


def name_likeness(a: str, b: str) -> float:
    """How alike two readings of a name are (0-1), accents, case and spaces aside."""
    fa, fb = _fold(a), _fold(b)
    if not fa or not fb:
        return 0.0
    return difflib.SequenceMatcher(None, fa, fb).ratio()


def same_person(a: str, b: str) -> bool:
    """Whether two readings of a name are the same name misread at most a little."""
    return name_likeness(a, b) >= 0.85


def hamming(a: str, b: str) -> int:
    """How many characters two ids of one length differ by (more than either has when
    their lengths differ)."""
    return sum(x != y for x, y in zip(a, b, strict=True)) if len(a) == len(b) else len(a) + len(b)


def resolve_document(
    doc: str, person: str, issued: Mapping[str, Mapping[str, str]], name_field: str
) -> tuple[str, str]:
    """The issued document a footer's id names, and a note when it was not read exactly:
    the id itself when issued; else the one issued id it looks like (5 for S); else the
    one issued id at most two characters off whose pupil is the header's. ``(doc, "")``
    when none fits: a document this registry did not issue."""
    if doc in issued:
        return doc, ""
    alike = [d for d in issued if _looks_alike(d, doc)]
    if len(alike) == 1:
        return alike[0], N_("the footer's document id was read as {read}; taken as {document}, the one issued id it can be").format(read=doc, document=alike[0])
    if person:
        near = [d for d in issued if hamming(d, doc) <= 2 and same_person(issued[d].get(name_field, ""), person)]
        if len(near) == 1:
            return near[0], N_("the footer's document id was read as {read}; taken as {document}, the issued id of the pupil the header names").format(read=doc, document=near[0])
    return doc, ""
