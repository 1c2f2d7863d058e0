"""The value font's encodings and widths are held to their per-character definitions: glyph
ids through the charmap's tuples (with the dictionaries for characters past them) and
widths summed per cached word give exactly what one character at a time gives."""

from __future__ import annotations

from itertools import repeat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oppforms.fonts import INVISIBLE, FontMetrics, _escaped


@pytest.fixture(scope="module")
def metrics() -> FontMetrics:
    from oppforms.fill import Template

    return Template.for_spec().value_metrics


# every character the font draws, the invisible ones (one past the tuples: U+FEFF), line
# breaks, characters without a glyph, and the bytes a literal string escapes
CHARS = st.sampled_from(sorted(set(FontMetrics.shipped("Carlito-Regular.ttf").char_to_gid) | set(INVISIBLE)))
ODD = st.sampled_from(["\n", "\r", "\t", "\x00", "\x81", "Ω", "\U0001f600", "(", ")", "\\", " ", "  "])
TEXTS = st.lists(st.one_of(CHARS, CHARS, CHARS, ODD), max_size=120).map("".join)


def _per_character(metrics: FontMetrics, text: str, lines: bool, escaped: bool) -> bytes | str:
    out = []
    for ch in text:
        if lines and ch in "\n\r":
            out.append(ch.encode())
        elif ch in INVISIBLE:
            out.append(b"")
        elif ch in metrics.char_to_gid:
            code = metrics.char_to_gid[ch].to_bytes(2, "big")
            out.append(_escaped(code) if escaped else code)
        else:
            return ch  # the character the encoding must name in its KeyError
    return b"".join(out)


def _or_missing(encode, text: str) -> bytes | str:  # type: ignore[no-untyped-def]
    try:
        return encode(text)
    except KeyError as exc:
        return exc.args[0]


@given(text=TEXTS)
@settings(max_examples=600, deadline=None)
def test_glyph_encodings_give_what_one_character_at_a_time_gives(metrics: FontMetrics, text: str) -> None:
    assert _or_missing(metrics.encode, text) == _per_character(metrics, text, lines=False, escaped=False)
    assert _or_missing(metrics.literal, text) == _per_character(metrics, text, lines=False, escaped=True)
    assert _or_missing(metrics.literal_lines, text) == _per_character(metrics, text, lines=True, escaped=True)


@given(text=TEXTS, size=st.sampled_from([1000.0, 10.0, 9.5, 8.25, 7.0]))
@settings(max_examples=600, deadline=None)
def test_widths_summed_per_word_are_the_sums_per_character(metrics: FontMetrics, text: str, size: float) -> None:
    expected = sum(map(metrics.char_width.get, text, repeat(metrics.char_width.get(" ", 250.0)))) * size / 1000.0
    assert metrics.width(text, size) == expected


@pytest.mark.parametrize(
    "records",
    [
        [],  # no PostScript name
        [(3, 1, 0x409, "Carlito-Bold")],
        [(1, 0, 0, "MacName"), (3, 1, 0x409, "WinName")],  # Windows English before Macintosh English
        [(3, 1, 0x413, "Dutch"), (1, 0, 0, "MacName"), (0, 3, 0, "Last")],  # then Macintosh English
        [(3, 1, 0x413, "Dutch"), (0, 3, 0, "UnicodeLast")],  # no English one: the last that decodes
        [(3, 1, 0x413, "Één-Naam"), (1, 0, 5, "Other")],
        [(3, 10, 0x409, "Full-Unicode")],
    ],
)
def test_the_postscript_name_is_read_from_the_raw_name_table_as_fonttools_reads_it(records: list[tuple[int, int, int, str]]) -> None:
    """The fill reads name ID 6 itself (fontTools' name table class imports its layout tables,
    a quarter of the template's load); it gives what fontTools' getDebugName(6) gives."""
    from fontTools.ttLib import newTable

    from oppforms.fonts import _postscript_name

    table = newTable("name")
    table.names = []
    table.setName("Some Family", 1, 3, 1, 0x409)  # another name ID, not read
    for platform, encoding, language, text in records:
        table.setName(text, 6, platform, encoding, language)
    data = table.compile(None)
    assert _postscript_name(data) == table.getDebugName(6)
    assert _postscript_name(b"\x00") is None  # a truncated table: no name, the font's default stands


def test_the_shipped_fonts_keep_their_postscript_names() -> None:
    from fontTools.ttLib import TTFont

    from oppforms.fonts import FontMetrics, _postscript_name, font_file_bytes

    for filename in ("Carlito-Regular.ttf", "Carlito-Bold.ttf"):
        import io

        tt = TTFont(io.BytesIO(font_file_bytes(filename)))
        assert _postscript_name(tt.getTableData("name")) == tt["name"].getDebugName(6)
        assert FontMetrics.shipped(filename).postscript_name == tt["name"].getDebugName(6)
