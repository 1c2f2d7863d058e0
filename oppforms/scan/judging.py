"""Judging a box read without an issued value to check it against.

A reading is accepted only when the engine is sure, its lines wrap the way the form wraps
text, and every word drawn again in the form's font matches the print (see
:mod:`oppforms.scan.verify`). A reading that fails is read again from other versions of the
crop and mended word by word; what still fails goes to review with the best guess.
:class:`PaperJudge` does this for one page; the page reader (:mod:`oppforms.scan.page`)
owns the crops, the clock and what is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from re import Pattern
from typing import Protocol

import cv2
import numpy as np

from ..i18n import N_
from ..fonts import FontMetrics
from ..geometry import PdfRect, PixelBox
from ..spec import Field, FieldKind, FormSpec
from .lexicon import Lexicon, dutch
from .ocr import Gray, OcrEngine, OcrLine, OcrMode, OcrText, OcrWord
from .readings import _I_IN_WORD, PX_PER_PT, _overlap_share, _rescaled, word_region
from .text import Rebuilt, join_by_drops, normalise_space, parse_date, rebuild_paragraphs, stray_tail, unsure_breaks

_METRICS: dict[str, FontMetrics] = {}

#: Two or more signs ending a word (``:;``, ``.,``): the engine sometimes reads one twice.
_TRAILING_SIGNS = re.compile(r"(?<=\w)[.,:;!?]{2,}$")
#: A straight quote opening a word that a curly one closes (``'weglopen’``).
_OPENING_QUOTE = re.compile(r"^(['\"])(?=\w.*[’”]\W*$)")
_CURLY_OPENING = {"'": "‘", '"': "“"}


def value_metrics(spec: FormSpec) -> FontMetrics:
    """The metrics of the font the form's values are set in (loaded once per process)."""
    name = spec.fonts[spec.values.font]
    if name not in _METRICS:
        _METRICS[name] = FontMetrics.shipped(name)
    return _METRICS[name]


def value_sizes(spec: FormSpec) -> list[float]:
    """The sizes a value may be set at, largest first: the form's size down to its
    smallest in half points (the filler's overflow rule)."""
    vs = spec.values
    return [vs.size - 0.5 * k for k in range(int((vs.size - vs.min_size) / 0.5) + 1)]


class Ocr(Protocol):
    def __call__(self, image: Gray, mode: OcrMode, *, engine: OcrEngine | None = None) -> OcrText: ...


@dataclass
class PaperJudge:
    """Judges the boxes of one page from the paper alone.

    ``ocr`` reads a crop (within the page's time limit); ``second`` gives the second
    engine, if any; ``ours`` says the page carries an oppforms document id (a typed line
    break then shows as a paragraph gap); ``lexicon`` gives the Dutch word list that picks
    the best guess among look-alike readings (see :mod:`oppforms.scan.lexicon`)."""

    spec: FormSpec
    ocr: Ocr
    second: Callable[[], OcrEngine | None]
    marker: Pattern[str]
    accept_confidence: float
    ours: bool
    lexicon: Callable[[], Lexicon | None] = dutch

    def decide(
        self,
        f: Field,
        rect: PdfRect,
        crop: Gray,
        result: OcrText,
        lines: list[str],
        conf: float,
        continued_on: int,
    ) -> Judged:
        """A text read without an issued value to check it against: accepted only when the
        engine is sure, the lines wrap the way the form wraps text, and every word drawn
        again in the form's font matches the print. A reading that fails those checks is
        read again from other versions of the crop (larger, binarised, sharpened): a
        misread is rarely repeated the same way, and a reading that the print confirms word
        for word is taken (the person still sees it when the engine was not sure)."""
        first = self.judge(f, rect, crop, result, lines, conf, continued_on)
        best = first
        if first.reason and not first.reason.startswith("read with low confidence"):
            mode = OcrMode.DATE if f.kind is FieldKind.DATE else OcrMode.BLOCK if f.multiline else OcrMode.LINE
            others: list[OcrText] = []
            for again in self.other_readings(crop, mode, second=True):
                others.append(again)
                again_lines = [line.text for line in again.lines]
                if continued_on:
                    m = self.marker.search("\n".join(again_lines))
                    if not m:
                        continue
                    again_lines = "\n".join(again_lines)[: m.start()].split("\n")
                judged = self.judge(f, rect, crop, again, again_lines, again.confidence, continued_on)
                if judged.checked:
                    best = judged
                    break
            else:
                # no reading is right throughout: mend the first word by word
                mended = self.mend(crop, result, first.printed, others) if first.printed is not None else None
                if mended is not None:
                    judged = self.judge(f, rect, crop, mended, [ln.text for ln in mended.lines][: len(lines)], mended.confidence, continued_on)
                    if judged.checked or judged.reason.startswith("read with low confidence"):
                        best = judged
                    else:  # still for a person to check, with the better guess
                        best = Judged(judged.value, first.reason, first.confidence, False, judged.printed)
        return best

    def judge(
        self, f: Field, rect: PdfRect, crop: Gray, result: OcrText, lines: list[str], conf: float, continued_on: int
    ) -> Judged:
        """One reading of a box without an issued value: the value it gives, and why it
        cannot be accepted ("" when it can)."""
        spec = self.spec
        metrics = value_metrics(spec)
        vs = spec.values
        width = rect.width - 2 * vs.padding
        sizes = value_sizes(spec)
        read = "\n".join(lines).strip()
        near = measured_size(result, metrics)
        drops = drops_of(result, len(lines))

        def rebuild(shown: list[str], size_near: float | None) -> Rebuilt | None:
            return rebuild_paragraphs(
                shown, metrics, width, sizes, near=size_near, drops=drops, leading=vs.leading, paragraph=vs.paragraph
            )

        stray = ""
        specks = stray_tail(lines, drops, vs.size * vs.leading) if f.multiline and drops else 0
        if specks and drops:
            # a speck far below the text, read as a sign or two, is not the text's: kept out
            # of the value, and the box goes to review (it could be a line typed after empty ones)
            lines = lines[: len(lines) - specks]
            drops = drops[: len(lines) - 1]
            read = "\n".join(lines).strip()
            stray = N_("a mark stands far below the text (a speck, or a line typed after empty lines)")
        if continued_on or stray:
            # only the lines above the marker are the field's; the marker is checked apart
            result = OcrText(result.lines[: len(lines)])
            conf = result.confidence
        reason = ""
        size: float | None = None
        if f.multiline:
            rebuilt = rebuild(lines, near)
            if rebuilt is None:
                reason = N_("the lines read do not wrap the way the form wraps text (a misread or handwriting)")
            else:
                size = rebuilt.size
        else:
            flat = normalise_space(read)
            size = next((s for s in sizes if metrics.width(flat, s) <= width + 1e-6), None)
            if size is None:
                reason = N_("the text read is wider than the box could show (a misread or handwriting)")
        printed_lines = lines
        checked = False
        printed: Printed | None = None
        if size is not None and not reason:
            printed = self.check_print(crop, result, size)
            if printed is None or not printed.sure:
                reason = N_("a word read does not match the print (a letter the engine cannot read, or a misread)")
            else:
                checked = True
            if printed is not None:
                printed_lines, size = printed.lines, printed.size
        if f.kind is FieldKind.DATE:
            value = parse_date("".join(printed_lines).replace(" ", "")) or ""
            if not value:
                reason = reason or N_("not a date the form could show (dd-mm-jjjj)")
                checked = False
                value = read
        elif f.multiline:
            rebuilt = rebuild(printed_lines, size or near)
            guess = size or near or vs.size
            value = rebuilt.text if rebuilt is not None else join_by_drops(printed_lines, drops, guess * vs.leading, guess * vs.paragraph)
            # Paper filled by oppforms (a document id in its page code) shows a typed line
            # break as a paragraph gap; where the baselines stand as its layout puts them, a
            # line end without a gap is a wrap. Elsewhere (a blank form filled in a viewer
            # and printed) a sentence ending at a line end may hide a typed break.
            ours = rebuilt is not None and rebuilt.laid_out and vs.paragraph > 0 and self.ours
            if rebuilt is None and not reason:
                reason = N_("the lines read do not wrap the way the form wraps text (a misread or handwriting)")
                checked = False
            elif rebuilt is not None and not reason and not ours and unsure_breaks(printed_lines, metrics, width, rebuilt.size):
                reason = N_("a sentence ends where a line ends: a line break may have been typed there, which the paper cannot show")
        else:
            value = normalise_space(" ".join(printed_lines))
        if stray and not reason:
            reason, checked = stray, False
        if not reason and conf < self.accept_confidence:
            reason = N_("read with low confidence ({conf:.0f})").format(conf=conf)
        return Judged(value, reason, conf, checked, printed if size is not None else None)

    def other_readings(self, crop: Gray, mode: OcrMode, *, second: bool = False) -> Iterator[OcrText]:
        """The crop read again, larger, binarised and sharpened, with the words' boxes
        and baselines given in the first reading's pixels (as :meth:`ocr` pads the crop);
        with ``second``, first by the second engine (letters the Dutch model lacks)."""
        other = self.second() if second and mode is not OcrMode.DATE else None
        if other is not None:
            yield self.ocr(crop, mode, engine=other)
        big = np.asarray(cv2.resize(crop, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
        yield _rescaled(self.ocr(big, mode), 1.5)
        _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        yield self.ocr(np.asarray(binary, dtype=np.uint8), mode)
        blurred = cv2.GaussianBlur(crop, (0, 0), 1.2)
        sharp = np.asarray(cv2.addWeighted(crop, 1.8, blurred, -0.8, 0), dtype=np.uint8)
        yield _rescaled(self.ocr(np.asarray(cv2.resize(sharp, None, fx=1.25, fy=1.25, interpolation=cv2.INTER_CUBIC), dtype=np.uint8), mode), 1.25)

    def check_print(self, crop: Gray, result: OcrText, size: float) -> Printed | None:
        """The lines with each word as the print shows it (see :mod:`oppforms.scan.verify`)
        and the size they were matched at. Checked at ``size`` and, when a word fails
        there, at the sizes next to it: a misread (``—`` for ``–``) can make the lines
        seem to need a smaller size than the form used; every word must match at one.
        When no size confirms every word, the best guess per word at ``size`` (not sure);
        None when the crop holds no ink to compare with."""
        from .verify import best_reading, edge_level

        spec = self.spec
        vs = spec.values
        metrics = value_metrics(spec)
        filename = spec.fonts[vs.font]
        if edge_level(crop) is None:
            return None
        sizes = value_sizes(spec)
        guess: Printed | None = None
        alone: dict[PixelBox, list[str]] = {}  # each unconfirmed word's readings on its own
        for tried in [size] + sorted((s for s in sizes if 0 < abs(s - size) <= 0.5 + 1e-6), key=lambda s: abs(s - size)):
            px = tried * PX_PER_PT
            out: list[str] = []
            flags: list[tuple[bool, ...]] = []
            sure = True
            for line in result.lines:
                words = []
                line_flags = []
                for word in line.words:
                    region = word_region(crop, word.box, px)
                    text, confirmed = best_reading(region, word.text, metrics, filename, px) if region.size else (word.text, False)
                    if not confirmed and region.size:
                        text, confirmed = self.guess(region, text, word.text, px)
                    if not confirmed and region.size:
                        again = self.reread_word(crop, word, px, alone)
                        if again is not None:
                            text, confirmed = again, True
                    sure = sure and confirmed
                    words.append(text)
                    line_flags.append(confirmed)
                    if not sure and guess is not None:
                        break  # the best guess is taken at the first size already
                if not sure and guess is not None:
                    break
                out.append(" ".join(words))
                flags.append(tuple(line_flags))
            if sure:
                return Printed(out, tried, True, tuple(flags))
            if guess is None:
                guess = Printed(out, tried, False, tuple(flags))
        return guess

    def reread_word(self, crop: Gray, word: OcrWord, px: float, seen: dict[PixelBox, list[str]]) -> str | None:
        """A word of a line that the print did not confirm, read again on its own: its
        region (see :func:`word_region`) as a word and as a line, as it is, enlarged and
        binarised, by the Dutch engine and the second one. Read in its line, the engine's
        word model leans on the words around it; alone and at another scale it often sees
        the letters (``Îlayda`` where the line read ``ilayda``). The first reading the print
        confirms (see :func:`~oppforms.scan.verify.best_reading`) is the word; None when
        none is. ``seen`` keeps the readings of each word box (the same at every size)."""
        from .verify import best_reading

        metrics = value_metrics(self.spec)
        filename = self.spec.fonts[self.spec.values.font]
        readings = seen.setdefault(word.box, [])
        tried = {word.text}
        for text in chain(list(readings), self._word_readings(word_region(crop, word.box, px), readings)):
            if text in tried:
                continue
            tried.add(text)
            reading, sure = best_reading(word_region(crop, word.box, px), text, metrics, filename, px)
            if sure and _as_wide(reading, word, metrics, filename, px):
                return reading
        return None

    def _word_readings(self, region: Gray, readings: list[str]) -> Iterator[str]:
        """The readings of one word's ``region`` not yet in ``readings`` (each is added to
        it as it is made): cheapest first, one engine call each."""
        if len(readings) >= len(_WORD_READS):
            return
        engines = {"first": None, "second": self.second()}
        for k, (which, scale, binarised, mode) in enumerate(_WORD_READS):
            if k < len(readings):
                continue
            engine = engines[which]
            text = ""
            if which == "first" or engine is not None:
                image = region
                if binarised:
                    _, image = cv2.threshold(image, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
                if scale != 1.0:
                    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
                words = self.ocr(np.asarray(image, dtype=np.uint8), mode, engine=engine).text.split()
                text = words[0] if len(words) == 1 else ""  # one word, or none to try
            readings.append(text)
            if text:
                yield text

    def guess(self, region: Gray, text: str, read: str, px: float) -> tuple[str, bool]:
        """A word the print did not confirm as ``read`` (``text``: the print's best guess):
        the reading the print confirms with one sign of a run of punctuation dropped (the
        engine reads ``:;`` for a ``;``; unconfirmed, the one that fits better is the
        guess), or the likelier guess to show a person: a capital
        I between small letters is an l (Carlito draws them nearly alike), an opening
        straight quote in a word closed by a curly one is curly, and of look-alike
        readings the one that is a Dutch word (:meth:`likelier`)."""
        from .verify import best_reading, fits_better

        run = _TRAILING_SIGNS.search(read)
        if run:
            metrics = value_metrics(self.spec)
            filename = self.spec.fonts[self.spec.values.font]
            fewer = [read[:i] + read[i + 1 :] for i in range(run.start(), len(read))]
            for shorter in fewer:
                reading, sure = best_reading(region, shorter, metrics, filename, px)
                if sure:
                    return reading, True
            # none confirmed: the one that fits the print better than the double, as a guess
            text = next((x for x in fewer if fits_better(region, x, text, metrics, filename, px)), text)
        text = _I_IN_WORD.sub("l", text)
        text = _OPENING_QUOTE.sub(lambda m: _CURLY_OPENING[m.group(1)], text)
        return self.likelier(region, text, px), False

    def likelier(self, region: Gray, text: str, px: float) -> str:
        """The best guess for a word the print does not confirm: when ``text`` is no Dutch
        word and a look-alike reading is one that the print leaves possible, that reading
        ("leerplichtambtenaar" for "Ieerplichtambtenaar"); else ``text``."""
        from .verify import alike_readings, plausible

        lexicon = self.lexicon()
        if lexicon is None:
            return text
        metrics = value_metrics(self.spec)
        filename = self.spec.fonts[self.spec.values.font]
        for reading in lexicon.likelier(text, alike_readings(text)):
            if plausible(region, reading, text, metrics, filename, px):
                return reading
        return text

    def mend(self, crop: Gray, first: OcrText, printed: Printed, others: list[OcrText]) -> OcrText | None:
        """The first reading with each word the print did not confirm replaced by what
        another reading saw in its place, where the print confirms that (one engine
        misreads "moeder", another "in de"; together they may have every word). None
        when nothing could be mended."""
        from .verify import best_reading, fits_better

        spec = self.spec
        metrics = value_metrics(spec)
        filename = spec.fonts[spec.values.font]
        px = printed.size * PX_PER_PT
        mended = False
        lines: list[OcrLine] = []
        for i, line in enumerate(first.lines):
            words: list[OcrWord] = []
            for j, word in enumerate(line.words):
                ok = i < len(printed.confirmed) and j < len(printed.confirmed[i]) and printed.confirmed[i][j]
                if not ok:
                    b = word.box
                    region = word_region(crop, b, px)
                    votes: dict[str, list[float]] = {}
                    for other in others:
                        seen = [x for ln in other.lines for x in ln.words if _overlap_share(x.box, b) >= 0.5]
                        text = " ".join(x.text for x in sorted(seen, key=lambda x: x.box.left))
                        if text and text != word.text and region.size:
                            votes.setdefault(text, []).append(min(x.confidence for x in seen))
                    for text, confs in sorted(votes.items(), key=lambda kv: -len(kv[1])):
                        reading, sure = best_reading(region, text, metrics, filename, px)
                        # confirmed by the print, or (as a better guess for the person who
                        # checks it) read so by three other readings and fitting the print better
                        if sure or (len(confs) >= 3 and fits_better(region, reading, word.text, metrics, filename, px)):
                            word = OcrWord(reading, word.box, min(confs))
                            mended = True
                            break

                words.append(word)
            lines.append(OcrLine(tuple(words), line.box, line.baseline))
        return OcrText(tuple(lines)) if mended else None


#: How far (em) a word read again on its own may be wider or narrower in ink than the
#: box the line's reading gave it: the print check compares the print beside the drawing
#: only, so a reading that lost a letter at the word's end could fit the rest.
_WIDTH_SLACK = 0.12


def _as_wide(text: str, word: OcrWord, metrics: FontMetrics, filename: str, px: float) -> bool:
    """Whether ``text`` drawn at ``px`` is about as wide in ink as ``word``'s box."""
    from .verify import render_word

    drawn = render_word(text, metrics, filename, px).shape[1] - 4  # cut to its ink, 2 pixels each side
    return abs(drawn - (word.box.right - word.box.left)) <= max(4.0, _WIDTH_SLACK * px)


#: How a word the print did not confirm is read again on its own (see
#: :meth:`PaperJudge.reread_word`), in order: engine, scale, binarised, mode.
_WORD_READS = (
    ("first", 1.0, False, OcrMode.WORD),
    ("second", 1.0, False, OcrMode.LINE),
    ("first", 1.5, False, OcrMode.LINE),
    ("second", 1.5, False, OcrMode.WORD),
    ("first", 1.0, True, OcrMode.WORD),
    ("second", 1.0, True, OcrMode.LINE),
)


@dataclass(frozen=True, slots=True)
class Printed:
    lines: list[str]  # each word as the print shows it (the best guess when not sure)
    size: float  # the text size (points) the words were matched at
    sure: bool  # every word confirmed by the print
    confirmed: tuple[tuple[bool, ...], ...] = ()  # per line and word, at ``size``


@dataclass(frozen=True, slots=True)
class Judged:
    value: str
    reason: str  # "" when the reading can be accepted
    confidence: float
    checked: bool  # every word matches the print and the lines wrap as the form's do
    printed: Printed | None = None


def drops_of(result: OcrText, count: int) -> list[float] | None:
    """How far (points) each of the first ``count`` lines read stands below the one
    before, from their baselines; None when the engine gave fewer lines."""
    baselines = [line.baseline for line in result.lines[:count]]
    if len(baselines) != count:
        return None
    return [(b - a) / PX_PER_PT for a, b in zip(baselines, baselines[1:], strict=False)]


def measured_size(result: OcrText, metrics: FontMetrics) -> float | None:
    """The text size in points that the print measures: the widest line's width in
    pixels against its width in the font at 1 pt."""
    best: tuple[int, float] | None = None
    for line in result.lines:
        px = line.words[-1].box.right - line.words[0].box.left if line.words else 0
        em = metrics.width(line.text, 1.0)
        if em > 0 and (best is None or px > best[0]):
            best = (px, px / (em * PX_PER_PT))
    return best[1] if best is not None and best[0] > 60 else None
