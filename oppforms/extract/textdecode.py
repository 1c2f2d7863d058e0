"""The text a content stream shows: font codes → Unicode, for comparing a widget's
appearance with its value and for reading the footer of a page without laying it out.

Only the characters are recovered (in drawing order), not their positions: enough to tell
whether what a viewer drew is the field's value. Fonts are decoded through their
``/ToUnicode`` CMap, else (simple fonts) through their ``/Encoding`` and its
``/Differences``. A font that gives no way to map its codes makes :func:`shown_text`
return None: the text cannot be known, which is not the same as no text.

ToUnicode maps are parsed once per process for each distinct map (a school's forms share
their fonts), bounded in size so a crafted map cannot exhaust memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import cast

import pikepdf

from .acroform import type_code

__all__ = ["FontCache", "shown_text"]

_DICT = pikepdf.ObjectType.dictionary
_STREAM = pikepdf.ObjectType.stream
_ARRAY = pikepdf.ObjectType.array
_STRING = pikepdf.ObjectType.string
_NAME = pikepdf.ObjectType.name_

#: At most this many code → text entries are read from one ToUnicode map.
MAX_CMAP_ENTRIES = 1 << 17
_TOKENS = re.compile(rb"<([0-9A-Fa-f\s]*)>|(\[)|(\])")
_SECTION = re.compile(rb"begin(codespacerange|bfchar|bfrange)(.*?)end\1", re.DOTALL)

Decoder = Callable[[bytes], str]
_CMAPS: dict[bytes, tuple[int, dict[int, str]]] = {}
_DECODERS: dict[tuple[bytes, bool], Decoder | None] = {}


def _hex(token: bytes) -> bytes:
    digits = b"".join(token.split())
    if len(digits) % 2:
        digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def _utf16(data: bytes) -> str:
    return data.decode("utf-16-be", "replace")


def parse_to_unicode(data: bytes) -> tuple[int, dict[int, str]]:
    """A ToUnicode CMap → (code length in bytes, code → text)."""
    key = hashlib.sha1(data, usedforsecurity=False).digest()
    cached = _CMAPS.get(key)
    if cached is not None:
        return cached
    width = 0
    table: dict[int, str] = {}
    for m in _SECTION.finditer(data):
        kind, body = m.group(1), m.group(2)
        tokens: list[bytes | str] = []
        for t in _TOKENS.finditer(body):
            if t.group(1) is not None:
                tokens.append(_hex(t.group(1)))
            else:
                tokens.append("[" if t.group(2) else "]")
        if kind == b"codespacerange":
            lengths = [len(t) for t in tokens if isinstance(t, bytes) and t]
            if lengths:
                width = max(width, max(lengths))
        elif kind == b"bfchar":
            pairs = [t for t in tokens if isinstance(t, bytes)]
            for src, target in zip(pairs[::2], pairs[1::2], strict=False):
                table[int.from_bytes(src, "big")] = _utf16(target)
                width = width or len(src)
        else:
            i = 0
            while i + 2 < len(tokens) and len(table) < MAX_CMAP_ENTRIES:
                lo, hi = tokens[i], tokens[i + 1]
                dst: bytes | str = tokens[i + 2]
                if not isinstance(lo, bytes) or not isinstance(hi, bytes):
                    i += 1
                    continue
                a, b = int.from_bytes(lo, "big"), int.from_bytes(hi, "big")
                width = width or len(lo)
                b = min(b, a + MAX_CMAP_ENTRIES - len(table))
                if dst == "[":
                    j = i + 3
                    code = a
                    while j < len(tokens) and tokens[j] != "]":
                        item = tokens[j]
                        if isinstance(item, bytes) and code <= b:
                            table[code] = _utf16(item)
                            code += 1
                        j += 1
                    i = j + 1
                    continue
                if isinstance(dst, bytes) and len(dst) >= 2:
                    head, last = dst[:-2], int.from_bytes(dst[-2:], "big")
                    for code in range(a, b + 1):
                        table[code] = _utf16(head + ((last + code - a) & 0xFFFF).to_bytes(2, "big"))
                i += 3
        if len(table) >= MAX_CMAP_ENTRIES:
            break
    result = (width or 2, table)
    if len(_CMAPS) > 64:
        _CMAPS.clear()
    _CMAPS[key] = result
    return result


class _Unknown(dict[int, str]):
    """A translate table in which a code without an entry reads as U+FFFD."""

    def __missing__(self, key: int) -> str:
        return "\ufffd"


def _cmap_decoder(width: int, table: Mapping[int, str]) -> Decoder:
    if width == 1:
        single = {code: text for code, text in table.items() if code < 256}

        def decode1(data: bytes) -> str:
            return data.decode("latin-1").translate(single)

        return decode1

    if width == 2:
        # each 2-byte code as one UTF-16 code unit, then one C-level translate; a code the
        # map does not know becomes U+FFFD
        units = _Unknown({code: text for code, text in table.items() if code < 0x10000})

        def decode2(data: bytes) -> str:
            if len(data) % 2:
                data = data[:-1]
            return data.decode("utf-16-be", "surrogatepass").translate(units)

        return decode2

    def decode(data: bytes) -> str:
        get = table.get
        return "".join(
            get(int.from_bytes(data[i : i + width], "big"), "\ufffd") for i in range(0, len(data) - width + 1, width)
        )

    return decode


def _simple_decoder(font: pikepdf.Dictionary) -> Decoder | None:
    """A simple font without ToUnicode: its encoding (a base encoding and differences)."""
    base = "StandardEncoding"
    differences: list[int | str] = []
    enc = font.get("/Encoding")
    code = type_code(enc)
    if code == _NAME:
        base = str(enc)[1:]
    elif code == _DICT:
        enc_dict = cast(pikepdf.Dictionary, enc)
        b = enc_dict.get("/BaseEncoding")
        if type_code(b) == _NAME:
            base = str(b)[1:]
        diffs = enc_dict.get("/Differences")
        if type_code(diffs) == _ARRAY:
            for item in cast(pikepdf.Array, diffs):
                if isinstance(item, int):
                    differences.append(item)
                elif type_code(item) == _NAME:
                    differences.append(str(item)[1:])
    base_font = str(font.get("/BaseFont", ""))
    if "Symbol" in base_font or "Dingbats" in base_font:
        return None
    try:
        from pdfminer.encodingdb import EncodingDB
        from pdfminer.psparser import PSLiteral
    except ImportError:  # pragma: no cover - pdfminer comes with pdfplumber
        return None
    pdiffs = [d if isinstance(d, int) else PSLiteral(d) for d in differences]
    try:
        mapping: dict[int, str] = EncodingDB.get_encoding(base, pdiffs or None)
    except (KeyError, ValueError):
        return None
    table = {code: text for code, text in mapping.items() if 0 <= code < 256}

    def decode(data: bytes) -> str:
        return data.decode("latin-1").translate(table)

    return decode


class FontCache:
    """Decoders of the fonts of one document, by object (each font is looked at once)."""

    __slots__ = ("_decoders",)

    def __init__(self) -> None:
        self._decoders: dict[tuple[int, int], Decoder | None] = {}

    def decoder(self, font: object) -> Decoder | None:
        if type_code(font) != _DICT:
            return None
        font_dict = cast(pikepdf.Dictionary, font)
        key = font_dict.objgen
        if key != (0, 0) and key in self._decoders:
            return self._decoders[key]
        decoder = self._make(font_dict)
        if key != (0, 0):
            self._decoders[key] = decoder
        return decoder

    @staticmethod
    def _make(font: pikepdf.Dictionary) -> Decoder | None:
        to_unicode = font.get("/ToUnicode")
        if type_code(to_unicode) == _STREAM:
            try:
                data = cast(pikepdf.Stream, to_unicode).read_bytes()
            except pikepdf.PdfError:
                return None
            simple = font.get("/Subtype") != "/Type0"
            key = (hashlib.sha1(data, usedforsecurity=False).digest(), simple)
            if key in _DECODERS:
                return _DECODERS[key]
            width, table = parse_to_unicode(data)
            decoder = _cmap_decoder(1 if simple else width, table) if table else None
            if len(_DECODERS) > 64:
                _DECODERS.clear()
            _DECODERS[key] = decoder
            if decoder is not None:
                return decoder
        if font.get("/Subtype") == "/Type0":
            return None  # CID codes without a map: unknowable
        return _simple_decoder(font)


_OPERATORS = "Tf Tj TJ ' \""
#: The text operators of a content stream, found by one regular expression: a font
#: selection, or a hex string, literal string (one level of nested parentheses) or
#: array shown. Quick, and exact for the streams form fillers write; :func:`shown_text`
#: falls back to qpdf's full parser when asked to be exact.
_QUICK = re.compile(
    rb"/([^\x00\t\n\x0c\r /\[\]()<>{}%]+)\s+[-+]?[\d.]+\s+Tf\b"
    rb"|<([0-9A-Fa-f\x00\t\n\x0c\r ]*)>\s*(?:Tj|'|\")"
    rb"|\(((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*)\)\s*(?:Tj|'|\")"
    rb"|\[((?:[^\[\]()]|\((?:[^()\\]|\\.)*\))*)\]\s*TJ",
    re.DOTALL,
)
_ARRAY_STRINGS = re.compile(rb"<([0-9A-Fa-f\x00\t\n\x0c\r ]*)>|\(((?:[^()\\]|\\.)*)\)", re.DOTALL)
_ESCAPE = re.compile(rb"\\([nrtbf()\\]|[0-7]{1,3}|\r\n|\r|\n)")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _unescape(m: re.Match[bytes]) -> bytes:
    e = m.group(1)
    if e in _ESCAPES:
        return _ESCAPES[e]
    if e[:1].isdigit():
        return bytes([int(e, 8) & 0xFF])
    return b""  # an escaped line break continues the string


def _hex_bytes(digits: bytes) -> bytes:
    digits = b"".join(digits.split())
    if len(digits) % 2:
        digits += b"0"
    return bytes.fromhex(digits.decode("ascii"))


def _font_resources(resources: object) -> pikepdf.Dictionary | None:
    if type_code(resources) == _DICT:
        f = cast(pikepdf.Dictionary, resources).get("/Font")
        if type_code(f) == _DICT:
            return cast(pikepdf.Dictionary, f)
    return None


def shown_text(stream: pikepdf.Stream, resources: object, fonts: FontCache, *, exact: bool = False) -> str | None:
    """The characters ``stream`` draws, in drawing order (runs joined by spaces), with the
    fonts of ``resources`` (a resource dictionary, or None). None when some text uses a
    font whose codes cannot be mapped to Unicode. ``exact`` parses the stream with qpdf's
    content parser instead of the quick scan (slower; for confirming a surprise)."""
    font_dict = _font_resources(resources)
    if not exact:
        return _quick_text(stream.read_bytes(), font_dict, fonts)
    decoder: Decoder | None = None
    known = True
    parts: list[str] = []
    for instruction in pikepdf.parse_content_stream(stream, _OPERATORS):
        operands = instruction.operands
        op = str(instruction.operator)
        if op == "Tf":
            decoder = None
            if operands and font_dict is not None and type_code(operands[0]) == _NAME:
                decoder = fonts.decoder(font_dict.get(cast(pikepdf.Name, operands[0])))
            continue
        if op == "TJ":
            if not operands or type_code(operands[0]) != _ARRAY:
                continue
            strings = [bytes(item) for item in cast(pikepdf.Array, operands[0]) if type_code(item) == _STRING]
        else:
            item = operands[-1] if operands else None
            if type_code(item) != _STRING:
                continue
            strings = [bytes(cast(pikepdf.String, item))]
        if decoder is None:
            if any(strings):
                known = False
            continue
        parts.append("".join(decoder(s) for s in strings))
    return " ".join(parts) if known else None


def _quick_text(data: bytes, font_dict: pikepdf.Dictionary | None, fonts: FontCache) -> str | None:
    decoder: Decoder | None = None
    known = True
    parts: list[str] = []
    for m in _QUICK.finditer(data):
        font, hexed, literal, array = m.groups()
        if font is not None:
            decoder = None
            if font_dict is not None:
                decoder = fonts.decoder(font_dict.get("/" + font.decode("latin-1")))
            continue
        if hexed is not None:
            strings = [_hex_bytes(hexed)]
        elif literal is not None:
            strings = [_ESCAPE.sub(_unescape, literal) if b"\\" in literal else literal]
        else:
            strings = [
                _hex_bytes(a.group(1)) if a.group(1) is not None else _ESCAPE.sub(_unescape, a.group(2))
                for a in _ARRAY_STRINGS.finditer(array)
            ]
        if decoder is None:
            if any(strings):
                known = False
            continue
        parts.append("".join([decoder(s) for s in strings]) if len(strings) > 1 else decoder(strings[0]))
    return " ".join(parts) if known else None
