"""PDF syntax shared by the writers (filling, FDF export)."""

from __future__ import annotations

from binascii import hexlify

_LINE_BREAKS = str.maketrans("\n\r\t", "   ")


def pdf_text(value: str) -> bytes:
    """A PDF text string: a literal when it is printable ASCII (with line breaks and tabs
    escaped), else UTF-16BE with its byte order mark, as hex."""
    if value.isascii() and (value.isprintable() or value.translate(_LINE_BREAKS).isprintable()):
        escaped = (
            value.replace("\\", "\\\\")
            .replace("(", "\\(")
            .replace(")", "\\)")
            .replace("\r", "\\r")
            .replace("\n", "\\n")
            .replace("\t", "\\t")
        )
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF%s>" % hexlify(value.encode("utf-16-be")).upper()
