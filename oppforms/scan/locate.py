"""Finding the form on a scanned page: its page code (QR), orientation and alignment.

- :func:`find_codes` decodes the page's QR codes and keeps those printed on this side of
  the sheet: a code must have real contrast (a mirrored code showing through from the back
  of the sheet is faint) and hold a valid page code (:mod:`oppforms.pagecode`).
- :func:`upright` turns the page by a multiple of 90° so the codes stand upright.
- :func:`align` finds the four corner marks near where the codes say they are and fits the
  mapping from PDF points to the scan's pixels (a homography) through their centres and
  corners, checking the residual; when the marks cannot be found or do not agree, it falls
  back to the QR codes' corners.
- :func:`locate_by_layout` finds a page that has no readable code by matching features
  against the rendered blank form.

Coordinates: PDF points (origin bottom-left) on the form, pixels (origin top-left) on the
scan; mappings are :class:`~oppforms.geometry.Homography` objects named ``image_from_pdf``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from ..geometry import Homography, PdfRect, pdf_to_image
from ..pagecode import PageCode, parse_page_code
from ..spec import FormSpec
from .ocr import Gray

Point = tuple[float, float]
#: Lowest contrast (grey levels between the dark and light modules) of a printed code;
#: show-through from the back of a sheet stays well below it.
MIN_CODE_CONTRAST = 90.0
#: Largest accepted RMS distance, in points, between the corner marks found and where
#: the fitted mapping puts them.
MAX_RESIDUAL_PT = 1.2
#: A page whose darkest ink covers less than this share is blank.
BLANK_INK = 0.0015


@dataclass(frozen=True, slots=True)
class CodeHit:
    """A QR code found on the page: its page code, its corners (top-left, top-right,
    bottom-right, bottom-left of the symbol as printed) in the image's pixels, and the
    contrast between its dark and light modules."""

    code: PageCode
    corners: tuple[Point, Point, Point, Point]
    contrast: float
    orientation: int


@dataclass(frozen=True, slots=True)
class Codes:
    hits: tuple[CodeHit, ...]
    faint: int  # codes of ours too faint to be printed on this side (show-through)
    foreign: tuple[str, ...]  # page codes of another form or version


@dataclass(frozen=True, slots=True)
class Alignment:
    image_from_pdf: Homography
    residual_pt: float
    method: str  # "marks", "qr" or "layout"
    marks_found: int


def find_codes(image: Gray, form_id: str) -> Codes:
    import zxingcpp

    h, w = image.shape
    scale = min(1.0, 1300.0 / min(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    results = zxingcpp.read_barcodes(small, formats=qr, try_invert=False)
    if not results and scale < 1:
        results = zxingcpp.read_barcodes(image, formats=qr, try_invert=False)
        scale = 1.0
    hits: list[CodeHit] = []
    faint = 0
    foreign: list[str] = []
    for r in results:
        code = parse_page_code(r.text)
        if code is None:
            continue
        p = r.position
        corners = tuple(
            (pt.x / scale, pt.y / scale) for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        )
        contrast = _contrast(image, corners)  # type: ignore[arg-type]
        if contrast < MIN_CODE_CONTRAST or _mirrored(corners):  # type: ignore[arg-type]
            faint += 1
            continue
        if code.form_id != form_id:
            foreign.append(f"{code.form_id} {code.version}")
            continue
        hits.append(CodeHit(code, corners, contrast, int(r.orientation)))  # type: ignore[arg-type]
    return Codes(tuple(hits), faint, tuple(foreign))


def _mirrored(c: tuple[Point, Point, Point, Point]) -> bool:
    """A code read mirror-wise (its corners run counter-clockwise): seen through the paper."""
    (x0, y0), (x1, y1), _, (x3, y3) = c
    return (x1 - x0) * (y3 - y0) - (y1 - y0) * (x3 - x0) < 0


def _contrast(image: Gray, corners: tuple[Point, Point, Point, Point]) -> float:
    xs = [p[0] for p in corners]
    ys = [p[1] for p in corners]
    h, w = image.shape
    x0, x1 = max(0, int(min(xs))), min(w, int(math.ceil(max(xs))))
    y0, y1 = max(0, int(min(ys))), min(h, int(math.ceil(max(ys))))
    patch = image[y0:y1, x0:x1]
    if patch.size < 16:
        return 0.0
    lo, hi = np.percentile(patch, (5, 95))
    return float(hi - lo)


def ink_share(image: Gray) -> float:
    """The share of the page (less a 4 % border, where scanners leave edges) covered by
    dark ink, measured at about 100 dpi."""
    h, w = image.shape
    scale = min(1.0, 850.0 / min(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    my, mx = int(sh * 0.04), int(sw * 0.04)
    core = small[my : sh - my, mx : sw - mx]
    background = float(np.median(core))
    threshold = min(140.0, background - 80.0)
    return float(np.count_nonzero(core < threshold)) / max(core.size, 1)


def upright(image: Gray, codes: Codes) -> tuple[Gray, Codes, int]:
    """The page turned so that its codes stand upright, the codes' corners moved with it,
    and the quarter turns applied (counter-clockwise, as :func:`numpy.rot90`)."""
    if not codes.hits:
        return image, codes, 0
    turns = round(codes.hits[0].orientation / 90.0) % 4
    if turns == 0:
        return image, codes, 0
    h, w = image.shape
    turned = np.ascontiguousarray(np.rot90(image, turns))

    # np.rot90 turns counter-clockwise; each quarter turn maps (x, y) → (y, W-1-x) where W
    # is the width before that turn
    def move_all(c: tuple[Point, Point, Point, Point]) -> tuple[Point, Point, Point, Point]:
        pts = list(c)
        cw, ch = w, h
        for _ in range(turns):
            pts = [(y, cw - 1 - x) for x, y in pts]
            cw, ch = ch, cw
        return (pts[0], pts[1], pts[2], pts[3])

    hits = tuple(CodeHit(hit.code, move_all(hit.corners), hit.contrast, 0) for hit in codes.hits)
    return turned, Codes(hits, codes.faint, codes.foreign), turns


def _fit(pdf_pts: list[Point], img_pts: list[Point]) -> Homography | None:
    if len(pdf_pts) < 4:
        return None
    src = np.array(pdf_pts, dtype=np.float64)
    dst = np.array(img_pts, dtype=np.float64)
    m, _ = cv2.findHomography(src, dst, 0)
    if m is None:
        return None
    m = m / m[2, 2]
    return Homography(tuple(float(v) for v in m.ravel()))  # type: ignore[arg-type]


def _residual_pt(h: Homography, pdf_pts: list[Point], img_pts: list[Point]) -> float:
    errs = [math.dist(h.map(*p), q) for p, q in zip(pdf_pts, img_pts, strict=True)]
    rms_px = math.sqrt(sum(e * e for e in errs) / len(errs))
    return rms_px / pixels_per_point(h)


def pixels_per_point(h: Homography) -> float:
    (ax, ay), (bx, by) = h.map(0.0, 0.0), h.map(100.0, 0.0)
    return math.hypot(bx - ax, by - ay) / 100.0


def code_points(spec: FormSpec, hits: tuple[CodeHit, ...]) -> tuple[list[Point], list[Point]]:
    """Correspondences (PDF points, image pixels): the corners of the QR codes read."""
    rects = sorted(spec.marks.qr_rects(), key=lambda r: -r.y1)  # highest on the page first
    ordered = sorted(hits, key=lambda hit: sum(p[1] for p in hit.corners))  # highest in the image first
    pdf_pts: list[Point] = []
    img_pts: list[Point] = []
    if len(ordered) == 1 and len(rects) > 1:
        # one code: which one it is follows from where it lies on the page
        hit = ordered[0]
        cy = sum(p[1] for p in hit.corners) / 4
        cx = sum(p[0] for p in hit.corners) / 4
        top_is_right = rects[0].x0 > rects[-1].x0
        pairs = [(rects[0] if (cx > cy) == top_is_right else rects[-1], hit)]
    else:
        pairs = list(zip(rects, ordered, strict=False))
    for r, hit in pairs:
        pdf_pts += [(r.x0, r.y1), (r.x1, r.y1), (r.x1, r.y0), (r.x0, r.y0)]
        img_pts += list(hit.corners)
    return pdf_pts, img_pts


def from_codes(spec: FormSpec, hits: tuple[CodeHit, ...]) -> Alignment | None:
    """The mapping the QR codes' corners give: affine from two codes, a similarity (turn,
    scale, shift) from one. Never a full homography: its perspective terms, fitted to the
    corners of codes 16 mm across, throw the far end of the page off by centimetres for a
    pixel of error in a corner (a flatbed scan is affine; the marks refine it)."""
    pdf_pts, img_pts = code_points(spec, hits)
    h = _affine(pdf_pts, img_pts, similarity=len(pdf_pts) <= 4)
    if h is None:
        return None
    return Alignment(h, _residual_pt(h, pdf_pts, img_pts), "qr", 0)


def find_marks(image: Gray, spec: FormSpec, coarse: Homography) -> tuple[list[Point], list[Point], int]:
    """Correspondences (PDF points, image pixels) from the corner marks found near where
    ``coarse`` puts them: each mark's centre and four corners."""
    ppp = pixels_per_point(coarse)
    pdf_pts: list[Point] = []
    img_pts: list[Point] = []
    found = 0
    ih, iw = image.shape
    for rect in spec.marks.corner_rects(spec.page_width, spec.page_height):
        cx, cy = coarse.map((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2)
        side = rect.width * ppp
        reach = side * 1.6 + 0.02 * max(ih, iw)
        x0, x1 = int(max(0, cx - reach)), int(min(iw, cx + reach))
        y0, y1 = int(max(0, cy - reach)), int(min(ih, cy + reach))
        if x1 - x0 < side or y1 - y0 < side:
            continue
        window = image[y0:y1, x0:x1]
        _, binary = cv2.threshold(window, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        n, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
        best: tuple[float, int] | None = None
        for i in range(1, n):
            bw, bh, area = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT], stats[i, cv2.CC_STAT_AREA]
            if not (0.55 * side * side <= area <= 1.7 * side * side):
                continue
            if not (0.6 <= bw / max(bh, 1) <= 1.6) or area < 0.7 * bw * bh * 0.9:
                continue
            d = math.dist((centroids[i][0] + x0, centroids[i][1] + y0), (cx, cy))
            if best is None or d < best[0]:
                best = (d, i)
        if best is None:
            continue
        i = best[1]
        ys, xs = np.nonzero(labels == i)
        pts = np.column_stack([xs, ys]).astype(np.float32)
        box = cv2.boxPoints(cv2.minAreaRect(pts))
        # corners of the mark's pixels run from pixel edges: minAreaRect of pixel centres
        # lies half a pixel inside them
        centre = box.mean(axis=0)
        box = centre + (box - centre) * ((side + 1.0) / max(side, 1.0))
        corners = sorted(((float(p[0]) + x0, float(p[1]) + y0) for p in box), key=lambda p: p[1])
        top = sorted(corners[:2])
        bottom = sorted(corners[2:])
        img_pts += [
            (float(centroids[i][0]) + x0, float(centroids[i][1]) + y0),
            top[0], top[1], bottom[1], bottom[0],
        ]
        pdf_pts += [
            ((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2),
            (rect.x0, rect.y1), (rect.x1, rect.y1), (rect.x1, rect.y0), (rect.x0, rect.y0),
        ]
        found += 1
    return pdf_pts, img_pts, found


def align(image: Gray, spec: FormSpec, coarse: Alignment, anchors: tuple[list[Point], list[Point]] = ([], [])) -> Alignment:
    """The best mapping for an upright page: the corner marks when all four are found and
    agree (RMS residual at most :data:`MAX_RESIDUAL_PT`), or three of them when an affine
    mapping through them agrees (a flatbed scan is affine; a page shifted so far that a
    mark fell off the glass still has three); else ``coarse`` (from the QR codes or the
    layout). Marks are looked for where ``coarse`` puts them and, when some are missing,
    again where the marks found and the ``anchors`` (the QR codes' corners) put them: a
    mapping from one QR code 16 mm across can be off by centimetres at the other end of
    the page."""
    guess = coarse.image_from_pdf
    found = 0
    for _ in range(2):
        pdf_pts, img_pts, found = find_marks(image, spec, guess)
        h = _fit(pdf_pts, img_pts) if found == 4 else _affine(pdf_pts, img_pts) if found == 3 else None
        if h is not None:
            res = _residual_pt(h, pdf_pts, img_pts)
            if res <= MAX_RESIDUAL_PT:
                return Alignment(h, res, "marks", found)
        if found == 0 or found + len(anchors[0]) // 4 < 2:
            break
        # look again where the marks found (and the ``anchors``: the QR codes' corners)
        # put the others; a mark looked for at the page's edge may also have been cut by
        # its window
        better = _affine(pdf_pts + anchors[0], img_pts + anchors[1], similarity=True)
        if better is None:
            break
        guess = better
    return Alignment(coarse.image_from_pdf, coarse.residual_pt, coarse.method, found)


def _affine(pdf_pts: list[Point], img_pts: list[Point], *, similarity: bool = False) -> Homography | None:
    """The affine mapping (with ``similarity``: turn, one scale and shift only, as two
    marks determine) that fits the points best by least squares, as a homography. Not a
    robust fit: marks found on one side of the page leave a sampled fit free to stretch
    across it (the residual check after it catches a wrong mark)."""
    if len(pdf_pts) < 3:
        return None
    src = np.array(pdf_pts, dtype=np.float64)
    dst = np.array(img_pts, dtype=np.float64).reshape(-1)
    x, y = src[:, 0], src[:, 1]
    one, zero = np.ones_like(x), np.zeros_like(x)
    if similarity:
        # x' = a x + b y + c, y' = b x - a y + f: a turn and scale with y turned over
        # (PDF y runs up, image y down)
        rows = np.empty((2 * len(x), 4))
        rows[0::2] = np.column_stack([x, y, one, zero])
        rows[1::2] = np.column_stack([-y, x, zero, one])
        (a, b, c, f), *_ = np.linalg.lstsq(rows, dst, rcond=None)
        m = (a, b, c, b, -a, f)
    else:
        rows = np.zeros((2 * len(x), 6))
        rows[0::2, 0:3] = np.column_stack([x, y, one])
        rows[1::2, 3:6] = np.column_stack([x, y, one])
        m = tuple(np.linalg.lstsq(rows, dst, rcond=None)[0])
    if abs(m[0] * m[4] - m[1] * m[3]) < 1e-9:
        return None
    return Homography((*(float(v) for v in m), 0.0, 0.0, 1.0))  # type: ignore[arg-type]


def warp(image: Gray, spec: FormSpec, image_from_pdf: Homography, dpi: float) -> Gray:
    """The page re-drawn upright at ``dpi`` as if rendered from the PDF: pixel (x, y) of the
    result is the point ``to_pixels`` gives for the same PDF coordinates."""
    canvas_from_pdf = pdf_to_image(spec.page_height, dpi)
    canvas_from_image = image_from_pdf.inverse().then(canvas_from_pdf)
    size = (round(spec.page_width * dpi / 72.0), round(spec.page_height * dpi / 72.0))
    m = np.array(canvas_from_image.m, dtype=np.float64).reshape(3, 3)
    out = cv2.warpPerspective(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return np.asarray(out, dtype=np.uint8)


# ---------------------------------------------------------------------------------------
# Pages without a readable code

LAYOUT_DPI = 72.0


@dataclass(frozen=True, slots=True)
class LayoutMatch:
    page_no: int
    alignment: Alignment
    inliers: int


@lru_cache(maxsize=4)
def _blank_features(spec_source: str, pdf_path: str, pages: int) -> list[tuple[Any, Any]]:
    from .render import render_pdf_pages

    orb = cv2.ORB.create(nfeatures=3000)
    out = []
    for img in render_pdf_pages(pdf_path, LAYOUT_DPI, pages):
        kp, desc = orb.detectAndCompute(img, None)
        out.append((kp, desc))
    return out


def locate_by_layout(image: Gray, spec: FormSpec, blank_pdf: str) -> LayoutMatch | None:
    """The page of the blank form that ``image`` shows, and the mapping, found by ORB
    features matched against the blank form rendered at 72 dpi (so one pixel is one
    point); None when no page matches clearly."""
    h, w = image.shape
    scale = min(1.0, 1000.0 / max(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    orb = cv2.ORB.create(nfeatures=4000)
    kp, desc = orb.detectAndCompute(small, None)
    if desc is None or len(kp) < 20:
        return None
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    results: list[tuple[int, int, Any]] = []
    for page_index, (bkp, bdesc) in enumerate(_blank_features(spec.source, blank_pdf, spec.page_count)):
        if bdesc is None:
            continue
        pairs = matcher.knnMatch(bdesc, desc, k=2)
        good = [m for m, *rest in (p for p in pairs if len(p) == 2) if rest and m.distance < 0.75 * rest[0].distance]
        if len(good) < 12:
            continue
        src = np.array([bkp[m.queryIdx].pt for m in good], dtype=np.float32)
        dst = np.array([kp[m.trainIdx].pt for m in good], dtype=np.float32)
        # RANSAC samples at random: seed it per call, so a page reads the same whatever
        # ran before in this process
        cv2.setRNGSeed(page_index + 1)
        m, mask = cv2.findHomography(src, dst, cv2.RANSAC, 4.0)
        if m is None:
            continue
        results.append((int(mask.sum()), page_index + 1, m))
    if not results:
        return None
    results.sort(key=lambda r: -r[0])
    inliers, page_no, m = results[0]
    runner_up = results[1][0] if len(results) > 1 else 0
    if inliers < 25 or inliers < 1.5 * runner_up:
        return None
    # blank pixels at 72 dpi → PDF points: x = px, y = H - py; then → scan pixels
    pdf_to_blank = pdf_to_image(spec.page_height, LAYOUT_DPI)
    small_to_image = Homography((1 / scale, 0, 0, 0, 1 / scale, 0, 0, 0, 1))
    blank_to_small = Homography(tuple(float(v) for v in (m / m[2, 2]).ravel()))  # type: ignore[arg-type]
    image_from_pdf = pdf_to_blank.then(blank_to_small).then(small_to_image)
    return LayoutMatch(page_no, Alignment(image_from_pdf, math.inf, "layout", 0), inliers)


def page_rect_px(spec: FormSpec, rect: PdfRect, dpi: float) -> tuple[int, int, int, int]:
    from ..geometry import to_pixels

    b = to_pixels(rect, spec.page_height, dpi)
    return b.left, b.top, b.right, b.bottom
