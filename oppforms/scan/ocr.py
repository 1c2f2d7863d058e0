"""The OCR engine seam: a :class:`OcrEngine` protocol and the tesseract engines behind it.

Everything in :mod:`oppforms.scan` reads text through an :class:`OcrEngine`, so tests plug
a fake in here. Two real engines read with tesseract and its Dutch model (``nld``):

- :class:`TesserocrEngine` through tesseract's C API (the ``tesserocr`` package): the model is
  loaded once per process, so a page's boxes cost only their recognition;
- :class:`TesseractCliEngine` runs the ``tesseract`` program once per box (slower: the model
  is loaded each time), used when ``tesserocr`` is not installed.

Both run tesseract with one thread (``OMP_THREAD_LIMIT=1``): parallelism comes from worker
processes, one engine each. Images are 8-bit grey numpy arrays; boxes come back in the
image's pixels.
"""

from __future__ import annotations

import enum
import functools
import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from ..i18n import N_
from ..errors import MissingDependencyError, OppformsError
from ..geometry import PixelBox

Gray = npt.NDArray[np.uint8]

#: Where Debian's tesseract-ocr packages put the models.
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
LANGUAGE = "nld"
#: The model for all of Latin script, a second opinion on a box whose Dutch reading the
#: print does not confirm: it has the letters Dutch lacks (ş ı İ ś Ł ’ …) that names in a
#: Dutch school carry (Debian: tesseract-ocr-script-latn).
SECOND_LANGUAGES = ("Latin", "script/Latin")
DATE_CHARS = "0123456789-"
#: The characters of a document id as the footer prints it (base32 and its dash).
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-"
INSTALL_HINT = N_(
    "reading scanned forms needs tesseract with its Dutch model: "
    "sudo apt-get install tesseract-ocr tesseract-ocr-nld"
)


class OcrMode(enum.StrEnum):
    """How a box is read: one line, a block of lines, one line of a date (digits and
    ``-`` only), a document id (:data:`ID_CHARS` only), or one word (a word of a box read
    again on its own)."""

    LINE = "line"
    BLOCK = "block"
    DATE = "date"
    ID = "id"
    WORD = "word"


@dataclass(frozen=True, slots=True)
class OcrWord:
    text: str
    box: PixelBox
    confidence: float  # 0-100


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line read: its words, its box in the image's pixels and its baseline (the
    pixel row the letters without descenders stand on)."""

    words: tuple[OcrWord, ...]
    box: PixelBox
    baseline: int

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True, slots=True)
class OcrText:
    lines: tuple[OcrLine, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float:
        """The lowest word confidence (0-100); 100 when nothing was read."""
        return min((w.confidence for line in self.lines for w in line.words), default=100.0)


class OcrTimeout(OppformsError):
    """Reading one box took longer than its time limit."""

    exit_code = 3


class OcrEngine(Protocol):
    """Reads the text in an 8-bit grey image (dark text on light ground)."""

    @property
    def name(self) -> str: ...

    @property
    def alphabet(self) -> frozenset[str] | None:
        """The characters the engine can produce, or None when it can produce any."""
        ...

    def read(self, image: Gray, mode: OcrMode, *, timeout: float) -> OcrText:
        """The text in ``image``; raises :class:`OcrTimeout` after ``timeout`` seconds."""
        ...


def tessdata_dir() -> Path | None:
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = ([env, str(Path(env) / "tessdata")] if env else []) + list(TESSDATA_DIRS)
    for c in candidates:
        if (Path(c) / f"{LANGUAGE}.traineddata").is_file():
            return Path(c)
    return None


@functools.cache
def model_alphabet(path: Path) -> frozenset[str] | None:
    """The characters of a ``.traineddata`` model's LSTM unicharset, or None when the file
    cannot be read that way (then nothing is assumed about what the engine can produce)."""
    try:
        data = path.read_bytes()
        (count,) = struct.unpack("<i", data[:4])
        offsets = struct.unpack(f"<{count}q", data[4 : 4 + 8 * count])
        lstm_unicharset = 21
        start = offsets[lstm_unicharset]
        if start < 0:
            return None
        end = next((o for o in offsets[lstm_unicharset + 1 :] if o >= 0), len(data))
        lines = data[start:end].decode("utf-8").splitlines()[1:]
    except (OSError, struct.error, IndexError, UnicodeDecodeError):
        return None
    chars = {line.split(" ")[0] for line in lines if line}
    chars = {c for c in chars if len(c) == 1} | {" "}
    return frozenset(chars) if len(chars) > 20 else None


def _limit_threads() -> None:
    # one thread per engine: parallel work comes from worker processes
    os.environ["OMP_THREAD_LIMIT"] = "1"


class TesserocrEngine:
    """tesseract through its C API (``tesserocr``), LSTM only, one model per process."""

    def __init__(self, tessdata: Path, language: str = LANGUAGE) -> None:
        _limit_threads()
        import tesserocr

        self._tesserocr = tesserocr
        self._language = language
        self._api = tesserocr.PyTessBaseAPI(path=str(tessdata), lang=language, oem=tesserocr.OEM.LSTM_ONLY)
        self._alphabet = model_alphabet(tessdata / f"{language}.traineddata")
        self._whitelist = ""

    @property
    def name(self) -> str:
        return f"tesseract {self._tesserocr.tesseract_version().split()[1]} (tesserocr, {self._language})"

    @property
    def alphabet(self) -> frozenset[str] | None:
        return self._alphabet

    def read(self, image: Gray, mode: OcrMode, *, timeout: float) -> OcrText:
        tr = self._tesserocr
        api = self._api
        psm = tr.PSM.SINGLE_BLOCK if mode is OcrMode.BLOCK else tr.PSM.SINGLE_WORD if mode is OcrMode.WORD else tr.PSM.SINGLE_LINE
        api.SetPageSegMode(psm)
        whitelist = DATE_CHARS if mode is OcrMode.DATE else ID_CHARS if mode is OcrMode.ID else ""
        if whitelist != self._whitelist:
            api.SetVariable("tessedit_char_whitelist", whitelist)
            self._whitelist = whitelist
        h, w = image.shape
        api.SetImageBytes(np.ascontiguousarray(image).tobytes(), w, h, 1, w)
        api.SetSourceResolution(300)
        if not api.Recognize(int(timeout * 1000)):
            raise OcrTimeout(f"reading a box took longer than {timeout:g} s")
        lines: list[OcrLine] = []
        words: list[OcrWord] = []
        line_box: PixelBox | None = None
        baseline = 0
        it = api.GetIterator()
        if it is None:
            return OcrText(())
        level_line, level_word = tr.RIL.TEXTLINE, tr.RIL.WORD
        while True:
            if it.IsAtBeginningOf(level_line):
                if words and line_box is not None:
                    lines.append(OcrLine(tuple(words), line_box, baseline))
                words = []
                bb = it.BoundingBox(level_line)
                line_box = PixelBox(*bb) if bb else PixelBox(0, 0, w, h)
                base = it.Baseline(level_line)
                baseline = int(max(base[0][1], base[1][1])) if base else line_box.bottom
            try:
                text = it.GetUTF8Text(level_word)
            except RuntimeError:  # an empty result
                text = ""
            bb = it.BoundingBox(level_word)
            if text and bb:
                words.append(OcrWord(text.strip(), PixelBox(*bb), float(it.Confidence(level_word))))
            if not it.Next(level_word):
                break
        if words and line_box is not None:
            lines.append(OcrLine(tuple(words), line_box, baseline))
        return OcrText(tuple(line for line in lines if line.words))


class TesseractCliEngine:
    """The ``tesseract`` program, once per box (TSV output)."""

    def __init__(self, program: str, tessdata: Path | None, language: str = LANGUAGE) -> None:
        _limit_threads()
        self._program = program
        self._tessdata = tessdata
        self._language = language
        self._alphabet = model_alphabet(tessdata / f"{language}.traineddata") if tessdata else None

    @property
    def name(self) -> str:
        return f"tesseract (program, {self._language})"

    @property
    def alphabet(self) -> frozenset[str] | None:
        return self._alphabet

    def read(self, image: Gray, mode: OcrMode, *, timeout: float) -> OcrText:
        import cv2

        ok, png = cv2.imencode(".png", image)
        if not ok:
            return OcrText(())
        psm = "6" if mode is OcrMode.BLOCK else "8" if mode is OcrMode.WORD else "7"
        cmd = [self._program, "stdin", "stdout", "-l", self._language, "--oem", "1", "--psm", psm, "--dpi", "300"]
        if self._tessdata is not None:
            cmd += ["--tessdata-dir", str(self._tessdata)]
        if mode in (OcrMode.DATE, OcrMode.ID):
            cmd += ["-c", f"tessedit_char_whitelist={DATE_CHARS if mode is OcrMode.DATE else ID_CHARS}"]
        cmd.append("tsv")
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            out = subprocess.run(cmd, input=png.tobytes(), capture_output=True, timeout=timeout, check=True, env=env)
        except subprocess.TimeoutExpired as exc:
            raise OcrTimeout(f"reading a box took longer than {timeout:g} s") from exc
        except (OSError, subprocess.CalledProcessError) as exc:
            raise MissingDependencyError(INSTALL_HINT) from exc
        return parse_tsv(out.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> OcrText:
    """Lines and words from tesseract's TSV output."""
    by_line: dict[tuple[int, int, int], list[OcrWord]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, width, height = (int(v) for v in cols[6:10])
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        by_line.setdefault(key, []).append(
            OcrWord(cols[11].strip(), PixelBox(left, top, left + width, top + height), max(0.0, float(cols[10])))
        )
    lines = []
    for key in sorted(by_line):
        words = tuple(by_line[key])
        box = PixelBox(
            min(w.box.left for w in words),
            min(w.box.top for w in words),
            max(w.box.right for w in words),
            max(w.box.bottom for w in words),
        )
        lines.append(OcrLine(words, box, box.bottom))
    return OcrText(tuple(lines))


def default_engine() -> OcrEngine:
    """The fastest tesseract engine installed: the C API when ``tesserocr`` is there,
    else the ``tesseract`` program; :class:`MissingDependencyError` when neither is, or
    when the Dutch model is missing."""
    tessdata = tessdata_dir()
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        program = shutil.which("tesseract")
        if program is None:
            raise MissingDependencyError(INSTALL_HINT) from None
        return TesseractCliEngine(program, tessdata)
    if tessdata is None:
        raise MissingDependencyError(INSTALL_HINT)
    return TesserocrEngine(tessdata)


def second_engine() -> OcrEngine | None:
    """tesseract with the Latin-script model (see :data:`SECOND_LANGUAGES`), the same way
    :func:`default_engine` reads; None when that model is not installed."""
    tessdata = tessdata_dir()
    if tessdata is None:
        return None
    language = next((lang for lang in SECOND_LANGUAGES if (tessdata / f"{lang}.traineddata").is_file()), None)
    if language is None:
        return None
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        program = shutil.which("tesseract")
        return TesseractCliEngine(program, tessdata, language) if program else None
    return TesserocrEngine(tessdata, language)
