"""Checking a reading against the print: draw the words read in the form's own font and
compare them with the scan, stroke for stroke.

OCR engines read some letters as their nearest neighbours in their alphabet with high
confidence: ``ı`` as ``i``, ``ş`` as ``s``, ``½`` as ``%``, ``–`` as ``-``. Drawn again in
Carlito at the size the form used, such a reading leaves ink unexplained (a cedilla) or
draws ink the scan lacks (the dot of an ``i``), and the value is not accepted without a
person. Used only without the issued values (with them, the issued text is checked
instead).
"""

from __future__ import annotations

import io
from functools import lru_cache

import cv2
import numpy as np

from ..fonts import FontMetrics, font_file_bytes
from .ocr import Gray

#: Pieces of ink smaller than this (in pixels at 300 dpi) are noise, not a letter's part.
MIN_PIECE = 10


@lru_cache(maxsize=64)
def _font(filename: str, px: float) -> object:
    from PIL import ImageFont

    return ImageFont.truetype(io.BytesIO(font_file_bytes(filename)), size=px)


@lru_cache(maxsize=4096)
def _glyph(filename: str, px: float, ch: str, quarter: int) -> tuple[Gray, int, int]:
    """One character drawn at a quarter-pixel offset: its image, and where its origin
    (left end of the baseline) lies in it."""
    from PIL import Image, ImageDraw

    font = _font(filename, px)
    pad = int(px * 0.4) + 2
    size = int(px * 1.6) + 2 * pad
    image = Image.new("L", (size, size), 255)
    ImageDraw.Draw(image).text((pad + quarter / 4.0, pad + px), ch, font=font, fill=0, anchor="ls")  # type: ignore[arg-type]
    return np.asarray(image, dtype=np.uint8), pad, pad + int(px)


def render_word(text: str, metrics: FontMetrics, filename: str, px: float) -> Gray:
    """``text`` drawn black on white at ``px`` pixels per em, each character at the
    advance the form's layout gives it (no kerning, as the filler draws it). Characters
    are drawn once per size and quarter-pixel offset, then placed."""
    px = round(px * 4) / 4.0
    pad = int(px * 0.4) + 2
    size = int(px * 1.6) + 2 * pad
    advance = sum(metrics.char_width.get(ch, 250.0) for ch in text) * px / 1000.0
    out = np.full((size, int(advance) + 2 * size), 255, dtype=np.uint8)
    x = float(pad)
    for ch in text:
        whole = int(x)
        glyph, ox, _ = _glyph(filename, px, ch, int((x - whole) * 4))
        gh, gw = glyph.shape
        left = whole - ox + pad
        if left >= 0:
            part = out[0:gh, left : left + gw]
            np.minimum(part, glyph[:, : part.shape[1]], out=part)
        x += metrics.char_width.get(ch, 250.0) * px / 1000.0
    ys, xs = np.nonzero(out < 128)
    if len(xs) == 0:
        return out
    return out[max(0, ys.min() - 2) : ys.max() + 3, max(0, xs.min() - 2) : xs.max() + 3]


#: Characters an engine reads as one plain form while the print shows one of several:
#: each reading is drawn with every form, and the one that matches the print is kept.
AMBIGUOUS = {"'": "'’", '"': '"“”„', "-": "-–", "—": "—–"}
#: Letters the Dutch model cannot produce, and what it reads them as: tried only when
#: the word as read does not match the print (names: Çelik, Şahin, Yıldız, İlayda,
#: Łukasz, Wiśniewski; ½). The drawing decides, never the guess.
BEYOND = {
    "I": "İ", "Î": "İ", "Í": "İ", "|": "I", "S": "Ş", "C": "Ç", "G": "Ç", "L": "Ł", "%": "½", "ó": "6",
}
#: … only as a word's first letter (a ``t`` for an ``Ł``).
BEYOND_AT_START = {"t": "Ł"}
#: … and in a word that starts with a capital (a name), these lower-case ones too.
BEYOND_IN_NAMES = {"i": "ı", "s": "şś", "c": "çć", "g": "ğ", "n": "ń", "z": "żź"}
MIN_SCORE = 0.8
#: How much better one reading must fit the print than another to be taken.
MARGIN = 0.01


def _variants(text: str, table: dict[str, str], limit: int = 16, start: dict[str, str] | None = None) -> list[str]:
    out = [""]
    for i, ch in enumerate(text):
        forms = ch + table.get(ch, "") if ch in table else ch
        if i == 0 and start and ch in start:
            forms = ch + start[ch]
        if len(out) * len(forms) > limit:
            forms = ch
        out = [v + f for v in out for f in forms]
    return out


def _typographic(text: str) -> dict[str, str]:
    return {k: v[1:] if v.startswith(k) else v for k, v in AMBIGUOUS.items()}


def _beyond(text: str) -> dict[str, str]:
    table = dict(BEYOND)
    if (text[:1].isupper() or text[:1] in "|%") and len(text) <= 12:
        table.update(BEYOND_IN_NAMES)
    return table


def check_word(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float) -> str | None:
    """The word as printed when ``text`` (or a typographic variant of it: curly quotes,
    dashes) drawn at ``px`` pixels per em matches the ink of ``region`` (a crop of the scan
    around one word, a few pixels larger than it); None when no variant does: ink in the
    scan that the drawing lacks, ink in the drawing that the scan lacks, or a poor fit."""
    def best_of(table: dict[str, str], start: dict[str, str] | None = None) -> tuple[float, str] | None:
        best: tuple[float, str] | None = None
        for variant in _variants(text, table, start=start):
            if table is not typographic and variant == text:
                continue
            score = _match(region, variant, metrics, filename, px, level)
            if score is not None and (best is None or score > best[0]):
                best = (score, variant)
        return best

    typographic = _typographic(text)
    plain = best_of(typographic)
    table = _beyond(text)
    has_beyond = any(ch in table for ch in text) or text[:1] in BEYOND_AT_START
    beyond = best_of(table, BEYOND_AT_START) if has_beyond else None
    if beyond is None:
        return plain[1] if plain is not None else None
    if plain is None:
        return beyond[1]  # the word as read does not match the print; with that letter it does
    if beyond[0] > plain[0] - MARGIN:
        return None  # the print fits a letter the engine cannot read as well or better: ask a person
    return plain[1]


def edge_level(crop: Gray) -> float | None:
    """The grey level of a stroke's edge in ``crop``: half way between ink and paper, in
    the print as in the drawing, however blurred the scan. None when there is no ink."""
    paper = float(np.median(crop))
    dark = float(np.percentile(crop, 1))
    if paper - dark < 40:
        return None
    return (paper + dark) / 2


def _match(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float) -> float | None:
    """How well ``text`` drawn at about ``px`` pixels per em fits the print (the best of
    the size itself and, for long words whose ends drift apart, a quarter pixel either
    side); None when it does not."""
    score = _match_at(region, text, metrics, filename, px, level)
    if score is None and len(text) >= 9:
        for other in (px - 0.25, px + 0.25):
            score = _match_at(region, text, metrics, filename, other, level)
            if score is not None:
                break
    return score


def _match_at(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float) -> float | None:
    template = render_word(text, metrics, filename, px)
    th, tw = template.shape
    rh, rw = region.shape
    if th > rh or tw > rw:
        pad_y, pad_x = max(0, th - rh) // 2 + 4, max(0, tw - rw) // 2 + 4
        region = np.asarray(cv2.copyMakeBorder(region, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=255), dtype=np.uint8)
    scores = cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, (x, y) = cv2.minMaxLoc(scores)
    if best < MIN_SCORE:
        return None
    return _compare(region, template, x, y, level, float(best))


def _compare(region: Gray, template: Gray, x: int, y: int, level: float, best: float) -> float | None:
    th, tw = template.shape
    drawn = (template < 128).astype(np.uint8)
    ink = (region < level).astype(np.uint8)
    seen = ink[y : y + th, x : x + tw]
    kernel = np.ones((3, 3), np.uint8)
    extra = seen & (1 - np.asarray(cv2.dilate(drawn, kernel), dtype=np.uint8))
    lacking = drawn & (1 - np.asarray(cv2.dilate(seen, kernel), dtype=np.uint8))
    # ink just outside the drawing (a cedilla below it, an accent above) counts too
    outside = ink.copy()
    outside[y : y + th, x : x + tw] = 0
    if _has_piece(extra) or _has_piece(lacking) or _has_piece(_near(outside, x, y, tw, th)):
        return None
    # small differences spread over a letter (a circumflex for a dot) add up
    if int(extra.sum()) + int(lacking.sum()) > max(8, 0.012 * int(drawn.sum())):
        return None
    return float(best)


def word_matches(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float) -> bool:
    return _match(region, text, metrics, filename, px, level) is not None


def _near(mask: Gray, x: int, y: int, w: int, h: int) -> Gray:
    """Only the part of ``mask`` within a few pixels around the box (x, y, w, h)."""
    out = np.zeros_like(mask)
    m = 6
    out[max(0, y - m) : y + h + m, max(0, x - 2) : x + w + 2] = mask[max(0, y - m) : y + h + m, max(0, x - 2) : x + w + 2]
    return out


def _has_piece(mask: Gray) -> bool:
    if int(mask.sum()) < MIN_PIECE:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return bool(n > 1 and int(stats[1:, cv2.CC_STAT_AREA].max()) >= MIN_PIECE)
