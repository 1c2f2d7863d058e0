"""PDF text strings and dates as Python values.

A PDF *text string* (a field's ``/T`` and ``/V``, the document information, a signer's
``/Name``) is either UTF-16BE with a byte order mark or PDFDocEncoding (PDF 32000-1,
7.9.2.2 and Annex D); PDF 2.0 adds UTF-8 with a byte order mark. Producers get this wrong
in known ways, all read here: UTF-16LE with its mark, and language escape sequences
(``U+001B lang U+001B``) inside UTF-16 strings.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re

__all__ = ["decode_text_string", "pdf_date"]

#: PDFDocEncoding where it differs from Latin-1 (PDF 32000-1, Annex D, table D.2);
#: 0x7F, 0x9F and 0xAD are undefined and read as U+FFFD.
_PDFDOC_DIFFERENCES = {
    0x18: "\u02d8", 0x19: "\u02c7", 0x1A: "\u02c6", 0x1B: "\u02d9",
    0x1C: "\u02dd", 0x1D: "\u02db", 0x1E: "\u02da", 0x1F: "\u02dc",
    0x7F: "\ufffd",
    0x80: "\u2022", 0x81: "\u2020", 0x82: "\u2021", 0x83: "\u2026",
    0x84: "\u2014", 0x85: "\u2013", 0x86: "\u0192", 0x87: "\u2044",
    0x88: "\u2039", 0x89: "\u203a", 0x8A: "\u2212", 0x8B: "\u2030",
    0x8C: "\u201e", 0x8D: "\u201c", 0x8E: "\u201d", 0x8F: "\u2018",
    0x90: "\u2019", 0x91: "\u201a", 0x92: "\u2122", 0x93: "\ufb01",
    0x94: "\ufb02", 0x95: "\u0141", 0x96: "\u0152", 0x97: "\u0160",
    0x98: "\u0178", 0x99: "\u017d", 0x9A: "\u0131", 0x9B: "\u0142",
    0x9C: "\u0153", 0x9D: "\u0161", 0x9E: "\u017e", 0x9F: "\ufffd",
    0xA0: "\u20ac", 0xAD: "\ufffd",
}  # fmt: skip
_PDFDOC_TABLE = {code: text for code, text in _PDFDOC_DIFFERENCES.items()}
_LANGUAGE_ESCAPE = re.compile("\x1b[^\x1b]*\x1b")
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:([Zz])|([+-])(\d{2})'?(?:(\d{2})'?)?)?"
)


def decode_text_string(raw: bytes) -> str:
    """The text of a PDF text string given as its raw bytes (after the PDF syntax is
    undone: no hex digits, no backslash escapes). Never raises: bytes that are not valid in
    the encoding the string declares are read as U+FFFD."""
    if raw[:2] == codecs.BOM_UTF16_BE:
        text = raw[2:].decode("utf-16-be", "replace")
    elif raw[:2] == codecs.BOM_UTF16_LE:
        text = raw[2:].decode("utf-16-le", "replace")
    elif raw[:3] == codecs.BOM_UTF8:
        text = raw[3:].decode("utf-8", "replace")
    else:
        return raw.decode("latin-1").translate(_PDFDOC_TABLE)
    if "\x1b" in text:
        text = _LANGUAGE_ESCAPE.sub("", text)
    return text


def pdf_date(text: str) -> str:
    """A PDF date (``D:20260914101200+02'00'``) as ISO 8601 (``2026-09-14T10:12:00+02:00``);
    the parts that are given, so ``D:2026`` is ``2026``. Text that is no PDF date gives
    ``""``."""
    m = _PDF_DATE.match(text.strip())
    if not m:
        return ""
    year, month, day, hour, minute, second, zulu, sign, tz_h, tz_m = m.groups()
    try:
        when = dt.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return ""
    if month is None:
        return year
    if day is None:
        return f"{year}-{month}"
    if hour is None:
        return when.date().isoformat()
    iso = when.isoformat()
    if zulu:
        return iso + "Z"
    if sign:
        return f"{iso}{sign}{tz_h}:{tz_m or '00'}"
    return iso
