"""The machine-readable page code printed (as two QR codes) on every page.

``OPP-KORT:1:K7Q2M9XD:3:7:5F1E09AC`` — form id, form version, document id (``-`` on a blank
form), page number, page count, and a CRC-32 check of what precedes it. Only QR's
alphanumeric characters are used, so the code stays small. It holds no pupil data: the
document id is opaque (see :mod:`oppforms.batch`).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

BLANK_DOCUMENT = "-"


@dataclass(frozen=True, slots=True)
class PageCode:
    form_id: str
    version: str
    document: str  # "K7Q2-M9XD" as printed, or "" on a blank form
    page_no: int
    pages: int

    def text(self) -> str:
        return page_code_texts(self.form_id, self.version, self.document, (self.page_no,), self.pages)[0]


def page_code_texts(form_id: str, version: str, document: str, page_nos: Iterable[int], pages: int) -> list[str]:
    """The text of :class:`PageCode` for each of ``page_nos`` of one document (what the
    pages share is made once)."""
    doc = document.replace("-", "") or BLANK_DOCUMENT
    head = f"{form_id.upper()}:{version.upper()}:{doc}:"
    out = []
    for page_no in page_nos:
        body = f"{head}{page_no}:{pages}"
        out.append(f"{body}:{zlib.crc32(body.encode('ascii')):08X}")
    return out


def parse_page_code(text: str) -> PageCode | None:
    """The page code in a decoded QR text, or None when it is not one of ours or its
    check value does not match (a misread)."""
    parts = text.strip().split(":")
    if len(parts) != 6:
        return None
    body = ":".join(parts[:5])
    try:
        if f"{zlib.crc32(body.encode('ascii')):08X}" != parts[5].upper():
            return None
        page_no, pages = int(parts[3]), int(parts[4])
    except (UnicodeEncodeError, ValueError):
        return None
    doc = "" if parts[2] == BLANK_DOCUMENT else f"{parts[2][:4]}-{parts[2][4:]}"
    if not 1 <= page_no <= pages:
        return None
    return PageCode(parts[0].lower(), parts[1], doc, page_no, pages)
