"""The embedded Unicode font: metrics, subsetting and the PDF font objects.

The form uses one OFL font family (Carlito, shipped in ``oppforms/fonts``), embedded as a
``Type0`` / ``CIDFontType2`` font with ``Identity-H`` encoding: text is written as 2-byte
glyph ids, and a ``ToUnicode`` map makes every glyph searchable and copyable. The field
font is subset at build time to the coverage the spec asks for (Latin-1, Latin
Extended-A, Dutch quotes and dashes, …), so values typed later still find their glyphs.

:class:`FontMetrics` reads the metrics from font bytes, whether the shipped TTF or the
subset embedded in a built form, so filling needs nothing but the form itself.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, repeat
from importlib import resources

from fontTools.ttLib import TTFont

#: Characters drawn with another character's glyph (the font has none of their own).
GLYPH_STAND_INS = {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2010": "-", "\u2011": "-"}
#: Characters that are kept in values but take no space when drawn.
INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


@contextlib.contextmanager
def quiet_fonttools() -> Iterator[None]:
    """Silence fontTools' warnings about the shipped font's header timestamp while loading."""
    logger = logging.getLogger("fontTools")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@cache
def font_file_bytes(filename: str) -> bytes:
    """A font file shipped in ``oppforms/fonts``."""
    return resources.files("oppforms").joinpath("fonts").joinpath(filename).read_bytes()


@dataclass(frozen=True, slots=True)
class FontDescriptorValues:
    """The numbers a PDF /FontDescriptor needs, in 1/1000 em."""

    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    italic_angle: float
    stem_v: int
    flags: int


def _postscript_name(table: bytes) -> str | None:
    """The PostScript name (name ID 6) from a font's raw ``name`` table, as fontTools'
    ``getDebugName(6)`` chooses it: the first Windows US-English record, else the first
    Macintosh English one, else the last that decodes. Read here because fontTools' ``name``
    table class imports its OpenType layout tables: the template's load took 86 ms with it and
    63 ms without, in a fresh process. (Records of other Macintosh encodings are read when
    ASCII, which a PostScript name is.)"""
    try:
        _, count, strings = struct.unpack_from(">HHH", table, 0)
        records = [struct.unpack_from(">6H", table, 6 + 12 * i) for i in range(count)]
    except struct.error:
        return None
    mac_english = some = None
    for platform, encoding, language, name_id, length, offset in records:
        if name_id != 6:
            continue
        raw = table[strings + offset : strings + offset + length]
        try:
            if platform in (0, 3):
                text = raw.decode("utf_16_be")
            elif raw.isascii() or (platform, encoding) == (1, 0):
                text = raw.decode("mac_roman")
            else:
                continue
        except UnicodeDecodeError:
            continue
        some = text
        if (platform, language) == (3, 0x409):
            return text
        if (platform, language) == (1, 0) and mac_english is None:
            mac_english = text
    return mac_english or some


class FontMetrics:
    """Glyph ids and advance widths of one TrueType font program.

    Widths are kept in 1/1000 em per character, the unit of PDF /W arrays, so a string's
    width in points is ``sum(widths) * size / 1000``.
    """

    __slots__ = ("postscript_name", "char_to_gid", "char_width", "gid_width", "descriptor", "_space", "_words", "_spaced", "_codes", "_literal", "_literal_lines", "_quick")

    def __init__(self, data: bytes) -> None:
        with quiet_fonttools():
            self._load(data)

    def _load(self, data: bytes) -> None:
        tt = TTFont(io.BytesIO(data), lazy=True)
        upem = tt["head"].unitsPerEm
        scale = 1000.0 / upem
        hmtx = tt["hmtx"].metrics
        order = tt.getGlyphOrder()
        gid_of = {name: i for i, name in enumerate(order)}
        cmap = tt.getBestCmap() or {}
        self.postscript_name: str = (_postscript_name(tt.getTableData("name")) if "name" in tt else None) or "Font"
        self.char_to_gid: dict[str, int] = {}
        self.char_width: dict[str, float] = {}
        self.gid_width: dict[int, int] = {}
        for code, glyph in cmap.items():
            gid = gid_of[glyph]
            width = round(hmtx[glyph][0] * scale)
            self.char_to_gid[chr(code)] = gid
            self.char_width[chr(code)] = float(width)
            self.gid_width[gid] = width
        for stand_in, target in GLYPH_STAND_INS.items():
            if stand_in not in self.char_to_gid and target in self.char_to_gid:
                self.char_to_gid[stand_in] = self.char_to_gid[target]
                self.char_width[stand_in] = self.char_width[target]
        for ch in INVISIBLE:
            self.char_width.setdefault(ch, 0.0)
        self._space = self.char_width.get(" ", 250.0)
        self._words: dict[str, float] = {}
        self._spaced: dict[str, float] = {}
        # a charmap codec table: each character to its 2-byte glyph id, invisible ones to nothing
        self._codes: dict[int, bytes] = {ord(ch): gid.to_bytes(2, "big") for ch, gid in self.char_to_gid.items()}
        for ch in INVISIBLE:
            self._codes[ord(ch)] = b""
        # the same, escaped for a PDF literal string: ( ) \ and the line-end bytes
        self._literal: dict[int, bytes] = {code: _escaped(gid) for code, gid in self._codes.items()}
        # and with LF and CR kept as the bytes themselves: never in an escaped string, so
        # they can stand for the moves between lines (see :meth:`literal_lines`)
        self._literal_lines: dict[int, bytes] = {**self._literal, 0x0A: b"\n", 0x0D: b"\r"}
        # the same three as tuples indexed by code point, up to the font's last character:
        # a charmap encodes with these a fifth quicker (no hashing); a character past the
        # end or without an entry sends the text to the dictionaries
        top = max(map(ord, self.char_to_gid), default=0) + 1
        self._quick = tuple(
            tuple(table.get(code) for code in range(max(top, 0x0E)))
            for table in (self._codes, self._literal, self._literal_lines)
        )
        os2 = tt["OS/2"]
        head = tt["head"]
        post = tt["post"]
        self.descriptor = FontDescriptorValues(
            ascent=round(tt["hhea"].ascent * scale),
            descent=round(tt["hhea"].descent * scale),
            cap_height=round(getattr(os2, "sCapHeight", tt["hhea"].ascent * 0.7) * scale),
            bbox=(
                round(head.xMin * scale),
                round(head.yMin * scale),
                round(head.xMax * scale),
                round(head.yMax * scale),
            ),
            italic_angle=float(post.italicAngle),
            stem_v=120 if os2.usWeightClass >= 600 else 80,
            flags=32 | (64 if post.italicAngle else 0),
        )

    @classmethod
    @cache
    def shipped(cls, filename: str) -> FontMetrics:
        return cls(font_file_bytes(filename))

    def can_draw(self, ch: str) -> bool:
        return ch in self.char_to_gid or ch in INVISIBLE or ch in "\n\r\t"

    def missing(self, text: str) -> list[str]:
        """The distinct characters of ``text`` this font cannot draw, in order of appearance."""
        return [ch for ch in dict.fromkeys(text) if not self.can_draw(ch)]

    def width(self, text: str, size: float) -> float:
        """Width of ``text`` in points at ``size``; characters without a glyph count as a space.
        Summed per word with the cached word widths (whole font units, so the same sum
        as per character)."""
        words = text.split(" ")
        try:
            units = sum(map(self._spaced.__getitem__, words))
        except KeyError:
            units = self.running_widths(words)[-1]
        return (units - self._space) * size / 1000.0

    def word_width(self, word: str) -> float:
        """Width of ``word`` in 1/1000 em (cached: schools' texts repeat their words)."""
        w = self._words.get(word)
        if w is None:
            w = sum(map(self.char_width.get, word, repeat(self._space)))
            if len(self._words) > 200_000:
                self._words.clear()
            self._words[word] = w
        return w

    def word_widths(self, words: list[str]) -> list[float]:
        """The widths of ``words`` in 1/1000 em, as :meth:`word_width` gives them (one
        look-up per word when all are cached)."""
        try:
            return list(map(self._words.__getitem__, words))
        except KeyError:
            return [self.word_width(w) for w in words]

    def running_widths(self, words: list[str]) -> list[float]:
        """The running sum of the widths of ``words`` in 1/1000 em, a space's width added
        for each word (cached per word like :meth:`word_width`): the width of a line of
        words parted by single spaces is a difference of two of these, less a space."""
        try:
            return list(accumulate(map(self._spaced.__getitem__, words)))
        except KeyError:
            spaced = self._spaced
            if len(spaced) > 200_000:
                spaced.clear()
            space = self._space
            for w in words:
                if w not in spaced:
                    spaced[w] = self.word_width(w) + space
            return list(accumulate(map(spaced.__getitem__, words)))

    def encode(self, text: str) -> bytes:
        """``text`` as big-endian 2-byte glyph ids (Identity-H); invisible characters are
        dropped, characters without a glyph raise ``KeyError``."""
        return _charmap(text, self._quick[0], self._codes)

    def literal(self, text: str) -> bytes:
        """``text`` as the body of a PDF literal string of glyph ids, ready for ``(…) Tj``
        (the bytes of :meth:`encode`, escaped: half the size of :meth:`hex`); raises
        ``KeyError`` for a character without a glyph."""
        return _charmap(text, self._quick[1], self._literal)

    def literal_lines(self, text: str) -> bytes:
        """Lines of text parted by LF and CR as :meth:`literal` gives each line, the LF and
        CR bytes kept between them (escaped strings never hold those bytes raw, so a
        caller can replace them by operators): one encoding pass for a box's lines. Raises
        ``KeyError`` for a character without a glyph."""
        return _charmap(text, self._quick[2], self._literal_lines)

    def hex(self, text: str) -> str:
        """``text`` as a PDF hex string body, ready for ``<…> Tj``; raises ``KeyError``
        for a character without a glyph."""
        return self.encode(text).hex().upper()


def _charmap(text: str, quick: tuple[bytes | None, ...], table: dict[int, bytes]) -> bytes:
    """``text`` through a charmap encoding table (``quick``, or ``table`` when ``quick``
    lacks a character); a character ``table`` lacks raises ``KeyError`` with that
    character (the callers' contract)."""
    try:
        return codecs.charmap_encode(text, "strict", quick)[0]  # type: ignore[arg-type]
    except UnicodeEncodeError:
        pass
    try:
        return codecs.charmap_encode(text, "strict", table)[0]  # type: ignore[arg-type]
    except UnicodeEncodeError as exc:
        raise KeyError(exc.object[exc.start]) from None


_ESCAPES = {0x28: b"\\(", 0x29: b"\\)", 0x5C: b"\\\\", 0x0D: b"\\r", 0x0A: b"\\n"}


def _escaped(code: bytes) -> bytes:
    """Bytes as they are written inside a PDF literal string: parentheses and backslash
    escaped, and CR and LF too (a line end in a literal string is read as LF)."""
    return b"".join(_ESCAPES.get(b, bytes((b,))) for b in code)


def subset_font(data: bytes, chars: Iterable[str]) -> bytes:
    """A TrueType subset of ``data`` holding the glyphs of ``chars`` (plus .notdef),
    with hinting dropped and a cmap kept so the subset can be measured again."""
    # imported here: building a form and the archive subset fonts, filling never does, and
    # importing fontTools.subset was about a tenth of the fill command's start (0.89 s → 0.80 s)
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.notdef_outline = True
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "DSIG"]
    out = io.BytesIO()
    with quiet_fonttools():
        tt = TTFont(io.BytesIO(data), recalcTimestamp=False)
        sub = ft_subset.Subsetter(options)
        sub.populate(unicodes=sorted({ord(c) for c in chars if c not in INVISIBLE}))
        sub.subset(tt)
        tt.save(out)
    return out.getvalue()


def subset_tag(chars: Iterable[str], base: str) -> str:
    """The six-letter subset prefix PDF asks for, derived from the content (deterministic)."""
    import hashlib

    digest = hashlib.sha256(("".join(sorted(set(chars))) + base).encode()).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def to_unicode_cmap(char_to_gid: dict[str, int]) -> bytes:
    """A ToUnicode CMap mapping every glyph id back to its character."""
    by_gid: dict[int, str] = {}
    for ch, gid in sorted(char_to_gid.items(), key=lambda kv: ord(kv[0])):
        if ch in GLYPH_STAND_INS:
            continue
        by_gid.setdefault(gid, ch)
    entries = sorted(by_gid.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for gid, ch in chunk:
            utf16 = ch.encode("utf-16-be").hex().upper()
            lines.append(f"<{gid:04X}> <{utf16}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def widths_array(gid_width: dict[int, int]) -> list[int | list[int]]:
    """The /W array of a CIDFont: runs of consecutive glyph ids with their widths."""
    out: list[int | list[int]] = []
    run: list[int] = []
    start = prev = -2
    for gid in sorted(gid_width):
        if gid != prev + 1:
            if run:
                out += [start, run]
            start, run = gid, []
        run.append(gid_width[gid])
        prev = gid
    if run:
        out += [start, run]
    return out
