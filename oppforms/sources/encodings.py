"""Telling a text file's encoding: BOMs, strict UTF-8, and Windows-1252 only when that
decodes cleanly (and is said)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ..i18n import N_
from ..errors import InputError, UsageError


_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)
#: Well-formed multi-byte UTF-8 sequences: found in a file that is not valid UTF-8, they
#: mean the file mixes UTF-8 with another encoding (reading it as Windows-1252 would turn
#: every ë into Ã«).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


# ---------------------------------------------------------------------------------------
# Encodings


def _detect_encoding(path: Path, source: str, encoding: str | None) -> tuple[str, str | None]:
    """The encoding to read a text file with, and a notice when it is a fallback.

    A byte order mark decides (UTF-8, UTF-16, UTF-32); otherwise the file must be strict
    UTF-8, or else cleanly Windows-1252 (which leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D
    undefined) without any UTF-8 sequence in it. The whole file is checked up front,
    streamed, so reading never stops halfway on a bad byte and never yields U+FFFD."""
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(N_("unknown encoding {encoding}").format(encoding=repr(encoding))) from None
        if name == "utf-8":
            name = "utf-8-sig"  # a byte order mark is never part of the data
        line = _first_bad_line(path, source, name)
        if line is not None:
            raise InputError(N_("{source}: not valid {encoding} (line {line})").format(source=source, encoding=encoding, line=line))
        return name, None
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except FileNotFoundError:
        raise InputError(N_("{source}: file not found").format(source=source)) from None
    except OSError as exc:
        raise InputError(N_("{source}: cannot read the file ({error})").format(source=source, error=exc.strerror)) from exc
    for bom, name in _BOMS:
        if head.startswith(bom):
            if _first_bad_line(path, source, name) is not None:
                label = name.upper().removesuffix("-SIG")
                raise InputError(N_("{source}: starts with a {label} byte order mark but is not valid {label}").format(source=source, label=label))
            return name, None
    line = _first_bad_line(path, source, "utf-8", nul=True)
    if line is None:
        return "utf-8", None
    if _has_utf8_sequences(path):
        raise InputError(
            N_("{source}: mixes UTF-8 with another encoding (line {line} is not UTF-8); save it again as UTF-8").format(
                source=source, line=line
            )
        )
    bad = _first_bad_line(path, source, "cp1252")
    if bad is not None:
        raise InputError(
            N_("{source}: neither UTF-8 nor Windows-1252 (line {line}); save it as UTF-8 (in Excel: CSV UTF-8)").format(
                source=source, line=bad
            )
        )
    return "cp1252", N_("{source}: not UTF-8; read as Windows-1252 (the first non-UTF-8 character is on line {line})").format(
        source=source, line=line
    )


def _first_bad_line(path: Path, source: str, encoding: str, *, nul: bool = False) -> int | None:
    """The 1-based line of the first byte ``encoding`` cannot decode, or None. Lines are
    counted only when there is such a byte (counting them in every file was as much work
    as decoding it)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0  # the bytes of the file before this chunk
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                if nul and b"\x00" in chunk:
                    raise InputError(N_("{source}: holds NUL bytes (UTF-16 without a byte order mark?); save it as UTF-8").format(source=source))
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:  # exc.object: the bytes held over from the chunk before, then this one
                    return _line_at(path, offset - (len(exc.object) - len(chunk)) + exc.start)
                offset += len(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return _line_at(path, offset)
    except OSError as exc:
        raise InputError(N_("{source}: cannot read the file ({error})").format(source=source, error=exc.strerror)) from exc
    return None


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line of the byte at ``offset``."""
    line = 1
    with open(path, "rb") as fh:
        while offset > 0 and (chunk := fh.read(min(_CHUNK, offset))):
            line += chunk.count(b"\n")
            offset -= len(chunk)
    return line


def utf8_text(data: bytes) -> str | None:
    """``data`` as text when :func:`_detect_encoding` would find it UTF-8 without a word
    (no byte order mark, no NUL byte, valid UTF-8), else None: for a reader that has the
    whole file in memory anyway, one decoding instead of two."""
    if data.startswith(_BOM_PREFIXES) or b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _has_utf8_sequences(path: Path) -> bool:
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            if _UTF8_SEQUENCE.search(tail + chunk):
                return True
            tail = chunk[-3:]
    return False
