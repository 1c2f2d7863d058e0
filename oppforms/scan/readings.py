"""One box's crop and its OCR readings: the padding a crop is read with, a reading of an
enlarged crop put back in the first one's pixels, the region around one word that the print
check compares, and the document id a footer reads. Pure functions, no engine."""

from __future__ import annotations

import re

import cv2
import numpy as np

from ..geometry import PixelBox
from .ink import ink_mask
from .ocr import Gray, OcrLine, OcrText, OcrWord

#: Pages are read re-drawn at this resolution, whatever the scan's own.
DPI = 300.0
PX_PER_PT = DPI / 72.0
PX_PER_MM = DPI / 25.4

_PAD = 12  # white pixels put around a crop before it is read


def _pad(crop: Gray, margin: int = _PAD) -> Gray:
    """The crop with a border of its own paper's grey: a white border around a grey,
    noisy scan makes an edge that tesseract reads as the text and then reads nothing."""
    paper = int(np.median(crop)) if crop.size else 255
    return np.asarray(cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=paper), dtype=np.uint8)


def _clean_edges(crop: Gray, depth: int = 10) -> Gray:
    """The crop with remains of the box's frame lines along its edges whitened."""
    out = crop.copy()
    mask = ink_mask(crop)
    paper = int(np.median(crop)) if crop.size else 255
    h, w = mask.shape
    for i in range(min(depth, h)):
        for r in (i, h - 1 - i):
            if mask[r].sum() > 0.5 * w:
                out[r] = paper
    for i in range(min(depth, w)):
        for c in (i, w - 1 - i):
            if mask[:, c].sum() > 0.5 * h:
                out[:, c] = paper
    return out


_I_IN_WORD = re.compile(r"(?<=[a-zß-ÿ])I(?=[a-zß-ÿ])")


def _overlap_share(a: PixelBox, b: PixelBox) -> float:
    """How much of the smaller of two boxes the other covers (0-1)."""
    w = min(a.right, b.right) - max(a.left, b.left)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a.right - a.left) * (a.bottom - a.top), (b.right - b.left) * (b.bottom - b.top))
    return w * h / smaller if smaller > 0 else 0.0


def _rescaled(result: OcrText, scale: float) -> OcrText:
    """A reading of a crop enlarged ``scale`` times (and padded by :func:`_pad`), with its
    boxes and baselines put back in the padded original's pixels."""

    def px(v: int) -> int:
        return round((v - _PAD) / scale) + _PAD

    def box(b: PixelBox) -> PixelBox:
        return PixelBox(px(b.left), px(b.top), px(b.right), px(b.bottom))

    return OcrText(
        tuple(
            OcrLine(tuple(OcrWord(w.text, box(w.box), w.confidence) for w in line.words), box(line.box), px(line.baseline))
            for line in result.lines
        )
    )


def word_region(crop: Gray, box: PixelBox, px: float) -> Gray:
    """The part of ``crop`` around a word read at ``box`` (in the padded crop's pixels)
    that the print check compares, for text at ``px`` pixels per em: a few pixels beside
    it, and room above and below for accents and cedillas (0.3 em)."""
    h, w = crop.shape
    side = 8
    tall = max(side, round(0.3 * px))
    return crop[max(0, box.top - _PAD - tall) : min(h, box.bottom - _PAD + tall), max(0, box.left - _PAD - side) : min(w, box.right - _PAD + side)]


#: Document ids are base32 (A-Z, 2-7): a digit the engine reads that base32 lacks is the
#: letter it looks like.
_NOT_BASE32 = str.maketrans({"0": "O", "1": "I", "8": "B"})


#: Base32 characters an engine reads for one another in a footer.
_ALIKE = {frozenset(p) for p in ("S5", "Z2", "G6", "A4", "T7", "B3", "IJ", "OQ", "OD")}


def _looks_alike(a: str, b: str) -> bool:
    """Whether two ids differ only by characters read for one another (see _ALIKE)."""
    return len(a) == len(b) and a != b and all(x == y or frozenset((x, y)) in _ALIKE for x, y in zip(a, b, strict=True))


def footer_document(a: str, b: str) -> str | None:
    """The document id from the two halves the footer reads, or None when they are no id."""
    doc = f"{a}-{b}".upper().translate(_NOT_BASE32)
    return doc if re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}", doc) else None
