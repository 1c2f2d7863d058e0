"""Ink on a page that the OCR does not account for: signatures and handwriting.

- :func:`signature_evidence` measures the ink in a signature box: its share of the box and
  how far it extends, after removing dust (tiny specks) and copier streaks (thin lines that
  run through the whole box, as a dirty scanner glass draws them). :func:`judge_signature`
  turns that into signed, empty or "a person must look" (the band between the two).
- :func:`added_ink` finds ink that neither the blank form nor the text read accounts for:
  corrections, "niet akkoord", margin notes.

Images are the page re-drawn upright at the reading resolution (see
:func:`oppforms.scan.locate.warp`), 8-bit grey; boxes are pixel boxes on it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from ..geometry import PixelBox
from .ocr import Gray

Mask = np.ndarray  # boolean/uint8 masks; numpy's typing of masks adds nothing here


def ink_threshold(image: Gray) -> float:
    """A grey level below which a pixel is ink: well under the paper's own level (the
    median), and never above 150 so that faint show-through and grey scanner ground stay
    paper."""
    step = 4 if image.size > 1_000_000 else 1  # a sample is enough for the median
    background = float(np.median(image[::step, ::step])) if image.size else 255.0
    return min(150.0, background - 70.0)


def ink_mask(image: Gray) -> Mask:
    return (image < ink_threshold(image)).astype(np.uint8)


def drop_specks(mask: Mask, min_area: int) -> Mask:
    """The mask without connected components smaller than ``min_area`` pixels (dust,
    noise)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = np.zeros(n, dtype=np.uint8)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.asarray(keep[labels], dtype=np.uint8)


def drop_streaks(mask: Mask, share: float = 0.85, thickness: int = 9) -> tuple[Mask, int]:
    """The mask without straight lines that run (nearly) all the way through it, across
    at least ``share`` of its height or width: a copier streak, a fold, a frame line. On a
    page re-drawn upright a streak of the scanner is tilted by the page's skew, so lines
    are found with a Hough transform rather than by rows and columns. Returns the mask and
    how many lines were removed."""
    h, w = mask.shape
    if h < 8 or w < 8:
        return mask, 0
    # found on a copy shrunk four times (max-pooled, so thin lines stay), for speed
    f = 4 if min(h, w) > 400 else 1
    small = cv2.dilate(mask, np.ones((f, f), np.uint8))[::f, ::f] if f > 1 else mask
    longest = min(h, w) * share / f
    lines = cv2.HoughLinesP(small * 255, 1, np.pi / 360, threshold=int(longest * 0.5), minLineLength=longest, maxLineGap=max(4, int(longest * 0.04)))
    if lines is None:
        return mask, 0
    lines = np.asarray(lines).reshape(-1, 4) * f
    out = mask.copy()
    removed = 0
    for x0, y0, x1, y1 in lines:
        length = float(np.hypot(x1 - x0, y1 - y0))
        vertical = abs(int(x1) - int(x0)) < abs(int(y1) - int(y0))
        if length < (h if vertical else w) * share:
            continue
        # extend it to the mask's edges: the ends of a streak fade in the noise
        if vertical:
            k = (x1 - x0) / max(float(y1 - y0), 1e-6)
            p0 = (int(round(x0 - k * y0)), 0)
            p1 = (int(round(x0 + k * (h - 1 - y0))), h - 1)
        else:
            k = (y1 - y0) / max(float(x1 - x0), 1e-6)
            p0 = (0, int(round(y0 - k * x0)))
            p1 = (w - 1, int(round(y0 + k * (w - 1 - x0))))
        cv2.line(out, p0, p1, 0, thickness)
        removed += 1
    return out, removed


@dataclass(frozen=True, slots=True)
class SignatureEvidence:
    """What is in a signature box: ink share (0-1), the width and height of the ink's
    extent as shares of the box, the number of strokes (components), and whether a streak
    was removed."""

    ink: float
    width: float
    height: float
    strokes: int
    streak: bool


class SignatureVerdict(enum.StrEnum):
    SIGNED = "signed"
    EMPTY = "empty"
    UNSURE = "unsure"


#: A signature covers at least this share of its box and spans at least a quarter of
#: its width; a box below the empty limits holds nothing but dust.
SIGNED_INK, SIGNED_WIDTH, SIGNED_HEIGHT = 0.004, 0.25, 0.10
EMPTY_INK, EMPTY_EXTENT = 0.0008, 0.10


def signature_evidence(crop: Gray, pixels_per_mm: float) -> SignatureEvidence:
    mask = ink_mask(crop)
    mask, streaks = drop_streaks(mask)
    speck = max(6, round((0.35 * pixels_per_mm) ** 2))  # dust: under about 0.35 mm across
    mask = drop_specks(mask, speck)
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return SignatureEvidence(0.0, 0.0, 0.0, 0, streaks > 0)
    n, _, _, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return SignatureEvidence(
        float(len(xs)) / float(h * w),
        float(xs.max() - xs.min() + 1) / w,
        float(ys.max() - ys.min() + 1) / h,
        n - 1,
        streaks > 0,
    )


def judge_signature(e: SignatureEvidence) -> SignatureVerdict:
    if e.ink >= SIGNED_INK and e.width >= SIGNED_WIDTH and e.height >= SIGNED_HEIGHT:
        return SignatureVerdict.SIGNED
    if e.ink < EMPTY_INK and max(e.width, e.height) < EMPTY_EXTENT * 3:
        return SignatureVerdict.EMPTY
    if e.ink < EMPTY_INK / 2:
        return SignatureVerdict.EMPTY
    return SignatureVerdict.UNSURE


def added_ink(
    page: Gray,
    expected: Gray | None,
    *,
    ignore: Iterable[PixelBox],
    explained: Iterable[PixelBox],
    pixels_per_mm: float,
    min_size_mm: float = 2.5,
) -> list[PixelBox]:
    """Boxes around ink on ``page`` that ``expected`` (the blank form drawn at the same
    resolution, or None) does not print, outside the ``ignore`` boxes (parts judged on
    their own: codes, header, footer, signature boxes) and the ``explained`` boxes (text
    read by OCR). Strokes closer than about 1.5 mm are grouped; groups smaller than
    ``min_size_mm`` across are left out (dust, noise)."""
    # worked at half the resolution (a 2.5 mm mark is still 15 pixels): four times less work
    f = 2
    full = ink_mask(page)
    h, w = full.shape
    mask = _pool(full, f)
    ppm = pixels_per_mm / f
    if expected is not None:
        printed = _pool((_fit_to(expected, h, w) < 215).astype(np.uint8), f)
        grow = max(3, round(0.45 * ppm)) * 2 + 1
        printed = np.asarray(cv2.dilate(printed, np.ones((grow, grow), np.uint8)), dtype=np.uint8)
        mask &= 1 - printed
    for b in (*ignore, *explained):
        mask[max(0, b.top // f) : max(0, -(-b.bottom // f)), max(0, b.left // f) : max(0, -(-b.right // f))] = 0
    mask = drop_specks(mask, max(4, round((0.3 * ppm) ** 2)))
    join = max(3, round(1.5 * ppm)) | 1
    grouped = cv2.dilate(mask, np.ones((join, join), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    out = []
    min_px = min_size_mm * ppm
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        inner = mask[y : y + bh, x : x + bw] & (labels[y : y + bh, x : x + bw] == i)
        if max(bw, bh) - join < min_px or int(inner.sum()) < 3 * min_px:
            continue
        pad = join // 2
        out.append(PixelBox((x + pad) * f, (y + pad) * f, (x + bw - pad) * f, (y + bh - pad) * f))
    return out


def _pool(mask: Mask, f: int) -> Mask:
    """A 0/1 mask shrunk ``f`` times, a pixel set when any of its block was."""
    h, w = mask.shape
    cut = mask[: h - h % f, : w - w % f]
    out = cut[::f, ::f].copy()
    for dy in range(f):  # strided slices: a reshape's max over two axes is ten times slower
        for dx in range(f):
            if dy or dx:
                np.maximum(out, cut[dy::f, dx::f], out=out)
    return np.asarray(out, dtype=np.uint8)


def remove_scanner_streaks(image: Gray, share: float = 0.85) -> tuple[Gray, int]:
    """The page (as scanned, turned upright but not yet re-drawn) without the streaks a
    dirty scanner glass draws: columns (or rows, for a page fed sideways) inked over more
    than ``share`` of their length, exactly straight because the sensor draws them, unlike
    anything printed on a page that is never perfectly square in the scanner. Each is
    painted over with the lighter of its neighbours. Returns the image and the count."""
    mask = ink_mask(image)
    h, w = mask.shape
    out = image
    found = 0
    for axis, length in ((0, h), (1, w)):
        counts = mask.sum(axis=axis)
        lines = np.nonzero(counts > share * length)[0]
        if len(lines) == 0 or len(lines) > 40:
            continue
        if out is image:
            out = image.copy()
        for k in lines:
            a, b = max(0, int(k) - 4), min((w if axis == 0 else h) - 1, int(k) + 4)
            if axis == 0:
                out[:, int(k)] = np.maximum(out[:, a], out[:, b])
            else:
                out[int(k), :] = np.maximum(out[a, :], out[b, :])
        found += len(lines)
    return out, found


def _fit_to(image: Gray, h: int, w: int) -> Gray:
    """``image`` cut or padded (white) to ``h`` x ``w`` pixels, its top-left corner kept
    (renderers round a page's size up or down by a pixel)."""
    out = np.full((h, w), 255, dtype=np.uint8)
    ih, iw = image.shape
    out[: min(h, ih), : min(w, iw)] = image[: min(h, ih), : min(w, iw)]
    return out
