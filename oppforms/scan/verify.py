"""Checking a reading against the print: draw the words read in the form's own font and
compare them with the scan, stroke for stroke.

OCR engines read some letters as their nearest neighbours in their alphabet with high
confidence: ``ı`` as ``i``, ``ş`` as ``s``, ``½`` as ``%``, ``–`` as ``-``. Drawn again in
Carlito at the size the form used, such a reading leaves ink unexplained (a cedilla) or
draws ink the scan lacks (the dot of an ``i``), and the value is not accepted without a
person. Used only without the issued values (with them, the issued text is checked
instead).

How a word is compared: the word is drawn (supersampled, so without the font's hinting,
as a PDF renderer draws it) in a band from above the highest accent to below the deepest
descender; the drawing is placed on the scan, blurred and shifted by fractions of a pixel
until it fits best, and the scan's own paper and ink levels are fitted to it. What the
fitted drawing does not explain (the residual, in units of the ink's contrast) is looked
at in pieces: a piece of ink the drawing lacks, or of drawing the scan lacks, fails the
word. Letters that differ from a look-alike only by a small mark (``i``/``ï``, ``,``/``.``,
``'``/``’``) are also weighed against that look-alike: the reading must explain the print
clearly better than the look-alike does.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from ..fonts import FontMetrics, font_file_bytes
from .ocr import Gray

Cover = npt.NDArray[np.float32]

#: Glyphs are drawn this many times larger and averaged down: a hinted rendering at the
#: scan's size snaps stems and heights to whole pixels, which the printed page does not.
SUPERSAMPLE = 4
#: The band a word is compared in, in em around its baseline: from above the highest
#: accent (Å, İ) to below the deepest descender or cedilla. Lines above and below stay
#: outside it at the form's leading (1.18).
BAND_ABOVE = 0.88
BAND_BELOW = 0.22
#: How far beside the word's first and last ink the print is compared, in em (less than
#: a space, so the next word stays out).
SIDE = 0.16
#: Blurs (Gaussian sigma, pixels) and sub-pixel shifts tried when fitting a drawing.
BLURS = (0.6, 0.9, 1.2, 1.6, 2.1)
SHIFTS = (-0.5, -0.25, 0.0, 0.25, 0.5)
#: Words at least this long are also drawn this much smaller and larger (a scan's scale
#: is off by some tenths of a percent, which moves a long word's last letter a pixel).
LONG = 6
SCALE_SLACK = 0.004
#: The least correlation between the drawing and the print to place it at all.
MIN_SCORE = 0.7
#: Residual (in units of the ink's contrast, after smoothing) that counts as a mark.
MARK_LEVEL = 0.25
#: The largest unexplained mark (summed residual, about pixels of full ink) a matching
#: word may leave: a cedilla, an accent or the gap under an i's dot leaves several.
MAX_FLAW = 3.0
#: A reading must explain the print better than a look-alike by this share of what
#: tells the two apart (1: as well as a perfect print would; 0: a tie).
CLEAR = 0.25
#: Look-alikes the print often cannot tell apart well (an ``l`` is an ``I`` with a longer
#: stem, easily cut off at a crop's edge): a near tie leaves the engine's reading, which
#: saw the whole word, as long as the print leans its way.
TIES_TO_ENGINE = frozenset({("l", "I"), ("I", "l")})
#: Look-alikes whose drawings differ by less than this (squared contrast, summed) cannot
#: be told apart by the print; the reading stands.
INDISTINCT = 0.5


@lru_cache(maxsize=64)
def _font(filename: str, size: float) -> object:
    from PIL import ImageFont

    return ImageFont.truetype(io.BytesIO(font_file_bytes(filename)), size=size)


@lru_cache(maxsize=8192)
def _glyph(filename: str, px: float, ch: str, quarter: int) -> tuple[Cover, int, int]:
    """One character drawn at a quarter-pixel offset: its ink coverage (0..1), and where
    its origin (left end of the baseline) lies in it."""
    from PIL import Image, ImageDraw

    font = _font(filename, px * SUPERSAMPLE)
    pad = int(px * 0.4) + 2
    size = int(px * 1.6) + 2 * pad
    s = SUPERSAMPLE
    image = Image.new("L", (size * s, size * s), 0)
    ImageDraw.Draw(image).text((pad * s + quarter * s / 4.0, (pad + int(px)) * s), ch, font=font, fill=255, anchor="ls")  # type: ignore[arg-type]
    cover = np.asarray(image, dtype=np.float32).reshape(size, s, size, s).mean(axis=(1, 3)) / 255.0
    return cover.astype(np.float32), pad, pad + int(px)


def _draw(text: str, metrics: FontMetrics, filename: str, px: float, spacing: str | None = None) -> tuple[Cover, int]:
    """``text``'s coverage in the band around its baseline, each character at the advance
    the form's layout gives it (no kerning, as the filler draws it), or at the advances of
    the characters of ``spacing`` (as long as ``text``; each character centred in the
    advance of the one it stands for); and the column of the word's origin in it."""
    steps = spacing if spacing is not None and len(spacing) == len(text) else text
    top = math.ceil(BAND_ABOVE * px) + 2
    height = top + math.ceil(BAND_BELOW * px) + 2
    pad = int(px * 0.4) + 2
    advance = sum(metrics.char_width.get(ch, 250.0) for ch in steps) * px / 1000.0
    out = np.zeros((height, int(advance) + 4 * pad + int(px)), dtype=np.float32)
    x = float(2 * pad)
    for ch, step in zip(text, steps):
        # a character drawn in another's advance is centred in it
        at = x + (metrics.char_width.get(step, 250.0) - metrics.char_width.get(ch, 250.0)) * px / 2000.0
        whole = int(at)
        glyph, ox, oy = _glyph(filename, px, ch, int((at - whole) * 4))
        left = whole - ox
        part = out[:, left : left + glyph.shape[1]]
        np.maximum(part, glyph[oy - top : oy - top + height, : part.shape[1]], out=part)
        x += metrics.char_width.get(step, 250.0) * px / 1000.0
    return out, 2 * pad


def render_word(text: str, metrics: FontMetrics, filename: str, px: float) -> Gray:
    """``text`` drawn black on white at ``px`` pixels per em, each character at the
    advance the form's layout gives it, cut to its ink."""
    cover, _ = _draw(text, metrics, filename, px)
    out = np.asarray(np.round(255.0 * (1.0 - cover)), dtype=np.uint8)
    ys, xs = np.nonzero(out < 128)
    if len(xs) == 0:
        return out
    return out[max(0, ys.min() - 2) : ys.max() + 3, max(0, xs.min() - 2) : xs.max() + 3]


#: Characters an engine reads as one plain form while the print shows one of several:
#: each reading is drawn with every form, and the one that matches the print is kept.
AMBIGUOUS = {"'": "'’", '"': '"“”„', "-": "-–", "—": "—–"}
#: Letters the Dutch model cannot produce, and what it reads them as: drawn beside the
#: word as read (names: Çelik, Şahin, Yıldız, İlayda, Łukasz, Wiśniewski; ½), and taken
#: only when the print shows them clearly better. The drawing decides, never the guess.
BEYOND = {
    "I": "İ", "Î": "İ", "Í": "İ", "|": "I", "S": "Ş", "C": "Ç", "G": "Ç", "L": "Ł", "%": "½", "ó": "6",
}
#: … only as a word's first letter (a ``t`` for an ``Ł``; a small ``i`` for an ``İ``: the
#: engine takes the dot above a capital's stem for an ``i``'s).
BEYOND_AT_START = {"t": "Ł", "i": "İ"}
#: … and in a word that starts with a capital (a name), these lower-case ones too.
BEYOND_IN_NAMES = {"i": "ı", "s": "şś", "c": "çć", "g": "ğ", "n": "ń", "z": "żź"}
#: Vowels with and without accents: a misread accent (è for ê, é for è) leaves too little
#: ink unexplained for the search for unexplained marks to be sure of, so a reading with
#: an accented vowel is weighed against the other accents (below); plain vowels are not
#: (an accent the reading lacks is unexplained ink, which fails it by itself). For a best
#: guess (:func:`alike_readings`) all of them are look-alikes.
ACCENTED = {
    "e": "éèêë", "é": "eèêë", "è": "eéêë", "ê": "eéèë", "ë": "eéèê",
    "a": "áàâä", "á": "aàâä", "à": "aáâä", "â": "aáàä", "ä": "aáàâ",
    "o": "óòôö", "ó": "oòôö", "ò": "oóôö", "ô": "oóòö", "ö": "oóòô",
    "u": "úùûü", "ú": "uùûü", "ù": "uúûü", "û": "uúùü", "ü": "uúùû",
    "i": "íìîï", "í": "iìîï", "ì": "iíîï", "î": "iíìï", "ï": "iíìî",
}
#: Characters that differ from others only by a small mark, too small for the search for
#: unexplained marks to be sure of (larger accents, cedillas, other letters it finds by
#: itself); a reading is weighed against each (one character at a time) and must explain
#: the print clearly better.
LOOKALIKES = {
    "i": "ïíìîıl", "ï": "iíìî", "í": "iïìî", "ì": "iïíî", "î": "iïíì", "ı": "i",
    "l": "Ii", "I": "lİ", "1": "l",
    "e": "ë", "ë": "eé", "a": "ä", "ä": "a", "o": "ö", "ö": "o", "u": "ü", "ü": "u",
    "S": "5", "5": "S", "8": "B", "B": "8",
    ",": ".", ".": ",", ";": ":", ":": ";",
    "'": "’‘", "’": "'‘", "‘": "’'", '"': "“”„", "“": '"”„', "”": '"“„', "„": '"“”',
    "-": "–", "–": "-—", "—": "–", "%": "½", "½": "%",
}
LOOKALIKES.update(
    {ch: "".join(dict.fromkeys(LOOKALIKES.get(ch, "") + others)) for ch, others in ACCENTED.items() if ch not in "aeoui"}
)

#: … and letters that two others side by side look like.
LOOKALIKE_PAIRS = {"m": "rn", "rn": "m"}


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


@dataclass(frozen=True, slots=True)
class _Fit:
    """A drawing placed on the print: how well it fits, and where, so that look-alikes
    can be drawn at the same place."""

    text: str
    px: float
    error: float  # sum of squared residuals, in units of the ink's contrast
    flaw: float  # the largest unexplained mark
    cover: Cover  # the drawing's coverage (0..1), unblurred
    window: npt.NDArray[np.float32]  # the print under the drawing
    valid: npt.NDArray[np.bool_]  # which of its pixels the region shows
    origin: tuple[int, int]  # the window's top left corner in the region (row, column)
    columns: tuple[int, int]  # the drawing's columns compared
    blur: float
    shift: tuple[float, float]
    paper: float
    ink: float  # fitted grey change for full coverage (negative)

    @property
    def ok(self) -> bool:
        return self.flaw <= MAX_FLAW


def _shifted(image: Cover, dx: float, dy: float) -> Cover:
    if dx == 0 and dy == 0:
        return image
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float32)
    return np.asarray(cv2.warpAffine(image, m, (image.shape[1], image.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0), dtype=np.float32)


def _model(cover: Cover, blur: float, shift: tuple[float, float]) -> Cover:
    blurred = np.asarray(cv2.GaussianBlur(cover, (0, 0), blur), dtype=np.float32)
    return _shifted(blurred, shift[0], shift[1])


def _fit(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float) -> _Fit | None:
    """``text`` drawn at ``px`` pixels per em placed where it fits ``region`` best; None
    when it fits nowhere (no placement correlates well, or no ink)."""
    full, _ = _draw(text, metrics, filename, px)
    cols = np.nonzero(full.max(axis=0) > 0.5)[0]
    if len(cols) == 0 or region.size == 0:
        return None
    side = max(2, round(SIDE * px))
    c0, c1 = max(0, int(cols[0]) - side), min(full.shape[1], int(cols[-1]) + side + 1)
    cover = full[:, c0:c1]
    th, tw = cover.shape
    rh, rw = region.shape
    paper = float(np.median(region))
    # the band is taller than a word's box: let it stick out above and below the region;
    # sideways the region holds the word with a margin
    py, px_ = th, max(0, tw - rw) + 10
    padded = np.asarray(cv2.copyMakeBorder(region.astype(np.float32), py, py, px_, px_, cv2.BORDER_CONSTANT, value=paper), dtype=np.float32)
    seen = np.zeros(padded.shape, dtype=bool)
    seen[py : py + rh, px_ : px_ + rw] = True
    probe = (255.0 * (1.0 - _model(cover, 1.0, (0.0, 0.0)))).astype(np.float32)
    scores = cv2.matchTemplate(padded, probe, cv2.TM_CCOEFF_NORMED)
    _, score, _, (x, y) = cv2.minMaxLoc(scores)
    if not score >= MIN_SCORE:
        return None
    window = padded[y : y + th, x : x + tw]
    valid = seen[y : y + th, x : x + tw]
    # the region shows a rectangle of the window: fit over that
    rows, cols_ = np.nonzero(valid.any(axis=1))[0], np.nonzero(valid.any(axis=0))[0]
    shown = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols_[0]), int(cols_[-1]) + 1))
    w = np.ascontiguousarray(window[shown], dtype=np.float32).ravel()
    w_mean = float(w.mean())
    w_centred = w - w_mean
    w_energy = float(np.dot(w_centred, w_centred))

    def residual(g: Cover) -> tuple[float, float, float] | None:
        """The least-squares fit of the print to ``print = paper + ink * g``: its sum of
        squared residuals, paper and ink."""
        x = np.ascontiguousarray(g[shown]).ravel()
        xm = float(x.mean())
        x = x - xm
        var = float(np.dot(x, x))
        if var <= 1e-6:
            return None
        cov = float(np.dot(x, w_centred))
        b = cov / var
        return max(0.0, w_energy - cov * b), w_mean - b * xm, b

    blur, shift = 1.0, (0.0, 0.0)
    best: tuple[float, float, float] | None = None

    def trial(bl: float, sh: tuple[float, float], blurred: Cover | None = None) -> None:
        nonlocal best, blur, shift
        g = _shifted(blurred, *sh) if blurred is not None else _model(cover, bl, sh)
        r = residual(g)
        if r is not None and (best is None or r[0] < best[0]):
            best, blur, shift = r, bl, sh

    for bl in BLURS:
        trial(bl, shift)
    for axis in (0, 1):
        blurred = np.asarray(cv2.GaussianBlur(cover, (0, 0), blur), dtype=np.float32)
        base = shift
        for d in SHIFTS:
            trial(blur, (d, base[1]) if axis == 0 else (base[0], d), blurred)
    for bl in BLURS:
        trial(bl, shift)
    if best is None or best[2] >= -20.0:
        return None  # no ink, or the drawing's ink falls on paper
    sse, a, b = best
    f = _Fit(text, px, sse / (b * b), 0.0, cover, window, valid, (y - py, x - px_), (c0, c1), blur, shift, a, b)
    return _with_flaw(f)


def _normalised(fit: _Fit) -> Cover:
    """The residual of ``fit``'s drawing, in units of the ink's contrast: positive where
    the print is lighter than the drawing, negative where darker."""
    n = np.asarray((fit.window - (fit.paper + fit.ink * _model(fit.cover, fit.blur, fit.shift))) / -fit.ink, dtype=np.float32)
    n[~fit.valid] = 0.0
    return n


def _with_flaw(fit: _Fit) -> _Fit:
    """``fit`` with its error (for its own drawing) and flaw: the largest piece of
    residual of one sign."""
    residual = _normalised(fit)
    smooth = np.asarray(cv2.GaussianBlur(residual, (0, 0), 1.0), dtype=np.float32)
    worst = 0.0
    for sign in (1.0, -1.0):
        marks = ((sign * smooth) > MARK_LEVEL) & fit.valid
        if not marks.any():
            continue
        n, labels = cv2.connectedComponents(marks.astype(np.uint8), connectivity=8)
        sums = np.bincount(labels.ravel(), weights=(sign * smooth).ravel(), minlength=n)
        worst = max(worst, float(sums[1:].max()))
    return replace(fit, error=float(np.dot(residual.ravel(), residual.ravel())), flaw=worst)


def _match(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float) -> _Fit | None:
    """How well ``text`` drawn at about ``px`` pixels per em fits the print: the size
    itself (not rounded: a long word drawn a quarter pixel per em too large is a pixel too
    wide) and, for long words, slightly smaller and larger, as a scan is rarely at exactly
    its resolution."""
    fit = _fit(region, text, metrics, filename, px)
    if len(text) >= LONG and (fit is None or not fit.ok):  # a fit at the size itself needs no slack
        for other in (px * (1 - SCALE_SLACK), px * (1 + SCALE_SLACK)):
            alt = _fit(region, text, metrics, filename, other)
            if alt is not None and (fit is None or (alt.ok, -alt.error) > (fit.ok, -fit.error)):
                fit = alt
    return fit


def _cover_like(fit: _Fit, text: str, metrics: FontMetrics, filename: str, spacing: str | None = None) -> Cover:
    """``text`` drawn in the frame of ``fit`` (same origin, same columns)."""
    full, _ = _draw(text, metrics, filename, fit.px, spacing)
    c0, c1 = fit.columns
    cover = full[:, c0:c1]
    if cover.shape[1] < c1 - c0:
        cover = np.pad(cover, ((0, 0), (0, c1 - c0 - cover.shape[1])))
    return cover


def _placed(fit: _Fit, shape: tuple[int, int]) -> tuple[Cover, npt.NDArray[np.bool_]]:
    """``fit``'s blurred drawing (0..1) laid on a region of ``shape``, and where it lies."""
    canvas = np.zeros(shape, dtype=np.float32)
    where = np.zeros(shape, dtype=bool)
    g = _model(fit.cover, fit.blur, fit.shift)
    r0, c0 = fit.origin
    h, w = g.shape
    ra, rb, ca, cb = max(0, r0), min(shape[0], r0 + h), max(0, c0), min(shape[1], c0 + w)
    if ra < rb and ca < cb:
        canvas[ra:rb, ca:cb] = g[ra - r0 : rb - r0, ca - c0 : cb - c0]
        where[ra:rb, ca:cb] = True
    return canvas, where


def _lead(region: Gray, fit: _Fit, other: _Fit, apart: float | None = None) -> float | None:
    """How much better ``fit``'s reading explains the print than ``other``'s: 1 when by
    all that tells their drawings apart (``apart``, or the difference of the two drawings
    as placed), 0 for a tie, negative when ``other`` explains it better; None when the two
    drawings cannot be told apart."""
    mine, where = _placed(fit, region.shape)
    theirs, where_too = _placed(other, region.shape)
    both = where | where_too
    if apart is None:
        apart = float((((mine - theirs)[both]) ** 2).sum())
    if apart < INDISTINCT:
        return None
    print_ = region.astype(np.float32)[both]
    r_mine = (print_ - (fit.paper + fit.ink * mine[both])) / fit.ink
    r_theirs = (print_ - (other.paper + other.ink * theirs[both])) / other.ink
    return float((r_theirs**2).sum() - (r_mine**2).sum()) / apart


def _rival(region: Gray, fit: _Fit, text: str, metrics: FontMetrics, filename: str, px: float) -> tuple[_Fit | None, float | None]:
    """``text`` (a look-alike of ``fit``'s reading) fitted to the print: drawn at the same
    place when it is as wide, placed anew (at about ``px`` pixels per em) when its letters
    move. And, for one placed anew, how far its drawing differs from ``fit``'s in the
    shapes alone (the letters after the changed one kept in place): a whole word moved by
    a pixel differs everywhere, which neither reading has to explain."""
    widths = metrics.char_width
    moved = abs(sum(widths.get(c, 250.0) for c in text) - sum(widths.get(c, 250.0) for c in fit.text)) * fit.px / 1000.0
    if moved <= 0.2:
        return _with_flaw(replace(fit, text=text, cover=_cover_like(fit, text, metrics, filename))), None
    return _match(region, text, metrics, filename, px), _apart_in_place(fit, text, metrics, filename)


def _apart_in_place(fit: _Fit, text: str, metrics: FontMetrics, filename: str) -> float:
    """How far ``text`` drawn over ``fit``'s reading, each letter in the place of
    ``fit``'s, differs from it: the difference in the shapes alone."""
    mine = _model(fit.cover, fit.blur, fit.shift)[fit.valid]
    theirs = _model(_cover_like(fit, text, metrics, filename, spacing=fit.text), fit.blur, fit.shift)[fit.valid]
    return float(((mine - theirs) ** 2).sum())


def _swap(a: str, b: str) -> tuple[str, str] | None:
    """The one character ``a`` has where ``b`` has another, when that is all they differ by."""
    if len(a) != len(b):
        return None
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    return diff[0] if len(diff) == 1 else None


def _lookalikes(text: str) -> list[str]:
    out = []
    for i, ch in enumerate(text):
        for other in LOOKALIKES.get(ch, ""):
            out.append(text[:i] + other + text[i + 1 :])
    for pair, other in LOOKALIKE_PAIRS.items():
        at = text.find(pair)
        while at >= 0:
            out.append(text[:at] + other + text[at + len(pair) :])
            at = text.find(pair, at + 1)
    return out


def best_reading(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float | None = None) -> tuple[str, bool]:
    """The reading of one word that fits the print best, and whether the print confirms
    it: ``text`` itself, a typographic variant (curly quotes, dashes), or ``text`` with
    letters the engine cannot read (ş, ı, ½, …). Sure only when the drawing of that
    reading explains all the ink in ``region`` (a crop of the scan around the word) and
    explains it clearly better than every look-alike; otherwise the best guess, to show a
    person. ``level`` is not needed (the paper and ink levels are fitted per word)."""
    del level
    candidates = _variants(text, _typographic(text))
    table = _beyond(text)
    beyond: list[str] = []
    if any(ch in table for ch in text) or text[:1] in BEYOND_AT_START:
        beyond = [v for v in _variants(text, table, start=BEYOND_AT_START) if v not in candidates]
    fits = [f for f in (_match(region, c, metrics, filename, px) for c in candidates) if f is not None]
    if beyond and not any(f.ok for f in fits):
        # the word as read leaves ink unexplained: place each reading with letters the
        # engine cannot produce anew (a cedilla, a dotless i); when it does explain the
        # print, those readings are weighed as look-alikes below (drawn in its place,
        # which costs a fraction of placing them)
        fits += [f for f in (_match(region, c, metrics, filename, px) for c in beyond) if f is not None]
        beyond = []
    if not fits:
        return text, False
    best = min(fits, key=lambda f: (not f.ok, f.error))
    if not best.ok:
        # no reading explains the print: a look-alike that does is the better guess
        for other in _lookalikes(text):
            rival, _ = _rival(region, best, other, metrics, filename, px)
            if rival is not None and rival.ok and rival.error < best.error:
                best = rival
        return best.text, False
    rivals: list[tuple[_Fit, float | None]] = [(f, None) for f in fits if f is not best]
    known = {best.text} | {f.text for f in fits}
    for other in [*beyond, *_lookalikes(best.text)]:
        if other not in known:
            known.add(other)
            rival, apart = _rival(region, best, other, metrics, filename, px)
            if rival is not None:
                rivals.append((rival, apart))
    for rival, apart in rivals:
        if not rival.ok:
            continue  # the print rules it out by itself
        if apart is None and len(rival.text) == len(best.text):
            apart = _apart_in_place(best, rival.text, metrics, filename)
        lead = _lead(region, best, rival, apart)
        if lead is None or lead >= CLEAR:
            continue
        if lead < -CLEAR:
            return rival.text, False  # the rival explains the print better: the reading is wrong
        if lead < 0 or best.text != text or _swap(text, rival.text) not in TIES_TO_ENGINE:
            return best.text, False  # the print cannot tell the two apart well enough
    return best.text, True


def fits_better(region: Gray, candidate: str, current: str, metrics: FontMetrics, filename: str, px: float) -> bool:
    """Whether ``candidate`` drawn at ``px`` explains the print in ``region`` better than
    ``current`` (without either being sure): for choosing the best guess to show."""
    a = _match(region, candidate, metrics, filename, px)
    if a is None:
        return False
    b = _match(region, current, metrics, filename, px)
    return b is None or (a.ok, -a.error) > (b.ok, -b.error)


def print_fit(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float) -> float | None:
    """How far ``text`` drawn at ``px`` pixels per em, placed where it fits best, is from
    the print in ``region`` (its sum of squared residuals); None when it does not explain
    the print (ink the drawing lacks or drawn ink the print lacks)."""
    fit = _match(region, text, metrics, filename, px)
    return fit.error if fit is not None and fit.ok else None


def alike_readings(text: str) -> list[str]:
    """Readings of a word the print may not tell from ``text``: one look-alike letter or
    accent changed, and every capital I beside a small letter read as an l."""
    out = _lookalikes(text)
    for i, ch in enumerate(text):
        out += [text[:i] + other + text[i + 1 :] for other in ACCENTED.get(ch, "")]
    ells = re.sub(r"I(?=[a-zß-ÿ])|(?<=[a-zß-ÿ])I", "l", text)
    if ells != text:
        out.append(ells)
    return list(dict.fromkeys(r for r in out if r != text))


def plausible(region: Gray, candidate: str, current: str, metrics: FontMetrics, filename: str, px: float) -> bool:
    """Whether the print leaves ``candidate`` possible beside ``current``: its drawing
    explains the print, or explains it no worse than ``current``'s."""
    a = _match(region, candidate, metrics, filename, px)
    if a is None:
        return False
    if a.ok:
        return True
    b = _match(region, current, metrics, filename, px)
    return b is None or a.error <= b.error


def check_word(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float) -> str | None:
    """The word as printed when ``text`` (or a typographic variant of it: curly quotes,
    dashes; or a letter the engine cannot read) drawn at ``px`` pixels per em matches the
    ink of ``region`` (a crop of the scan around one word, a few pixels larger than it);
    None when no variant does: ink in the scan that the drawing lacks, ink in the drawing
    that the scan lacks, a poor fit, or a look-alike that fits as well."""
    word, sure = best_reading(region, text, metrics, filename, px, level)
    return word if sure else None


def edge_level(crop: Gray) -> float | None:
    """The grey level of a stroke's edge in ``crop``: half way between ink and paper, in
    the print as in the drawing, however blurred the scan and however little of the crop
    is ink. None when there is no ink."""
    paper = float(np.median(crop))
    ink = crop[crop < paper - 40]
    if ink.size < 10:
        return None
    dark = float(np.percentile(ink, 10))
    return (paper + dark) / 2


def word_matches(region: Gray, text: str, metrics: FontMetrics, filename: str, px: float, level: float) -> bool:
    """Whether ``text`` itself (no variant) drawn at ``px`` explains all the ink of ``region``."""
    del level
    fit = _match(region, text, metrics, filename, px)
    return fit is not None and fit.ok
