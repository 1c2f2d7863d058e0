"""Scanned pages in: PDFs from scanners, multi-page TIFF, PNG and JPEG.

A scanner's PDF holds one image per page; that image is taken as it is, at its own
resolution (never re-rendered). A PDF page that is not a single image (a PDF printed to
file, a page with text) is rendered with ``pdftoppm`` at 300 dpi instead.

Every page is checked before it is decoded: more than :data:`MAX_PIXELS` pixels, or fewer
than :data:`MIN_PIXELS`, and the page is refused with a message saying why. External
programs run with a time limit.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..i18n import N_
from ..errors import InputError, MissingDependencyError
from .ocr import Gray

#: A4 at 1200 dpi is 140 million pixels; scanners send 200-600 dpi (9-35 million).
MAX_PIXELS = 80_000_000
#: Below about 100 dpi for A4 the QR codes and 8 pt text cannot be read.
MIN_PIXELS = 800 * 1100
RENDER_DPI = 300
#: Seconds one external program (pdftoppm, pdfimages) may take for one page.
PROGRAM_TIMEOUT = 60.0

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
SUFFIXES = IMAGE_SUFFIXES | {".pdf"}


class PageRefused(InputError):
    """One page cannot be read as a scan (too large, too small, undecodable)."""


@dataclass(frozen=True, slots=True)
class PageRef:
    """One page of an input file: the file, the 0-based page (or frame) index, and the
    kind of file (``pdf``, ``image``)."""

    path: str
    page_index: int
    kind: str

    @property
    def label(self) -> str:
        return N_("{file} page {page}").format(file=Path(self.path).name, page=self.page_index + 1)


def check_size(width: int, height: int, where: str) -> None:
    pixels = width * height
    if pixels > MAX_PIXELS:
        raise PageRefused(
            N_(
                "{where}: the image is {width} x {height} pixels ({million:.0f} million), more than the "
                "{limit:.0f} million a scanned A4 page can need; scan at 200-600 dpi"
            ).format(where=where, width=width, height=height, million=pixels / 1e6, limit=MAX_PIXELS / 1e6)
        )
    if pixels < MIN_PIXELS or min(width, height) < 600:
        raise PageRefused(
            N_("{where}: the image is only {width} x {height} pixels; scan A4 at 200 dpi or more").format(where=where, width=width, height=height)
        )


def list_pages(path: Path) -> list[PageRef]:
    """The pages of one input file (in file order); :class:`InputError` for a file that
    is not a readable PDF or image."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(path)
            if reader.is_encrypted:
                raise InputError(N_("{file}: the PDF is encrypted").format(file=path.name))
            count = len(reader.pages)
        except (OSError, PdfReadError, ValueError, KeyError) as exc:
            raise InputError(N_("{file}: not a readable PDF").format(file=path.name)) from exc
        return [PageRef(str(path), i, "pdf") for i in range(count)]
    if suffix in IMAGE_SUFFIXES:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:
                count = getattr(im, "n_frames", 1)
        except (OSError, UnidentifiedImageError) as exc:
            raise InputError(N_("{file}: not a readable image").format(file=path.name)) from exc
        return [PageRef(str(path), i, "image") for i in range(count)]
    raise InputError(N_("{file}: not a PDF, PNG, JPEG or TIFF file").format(file=path.name))


def expand_inputs(path: Path) -> list[Path]:
    """A file, or the PDF and image files in a folder (and its subfolders), sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
    if not path.exists():
        raise InputError(N_("{file}: no such file").format(file=path.name))
    return [path]


#: A page whose median grey is darker than this is a negative (paper is the most of a
#: page): a CCITT image with its BlackIs1 the wrong way round, an inverted CMYK JPEG.
NEGATIVE_MEDIAN = 80


def load_page(ref: PageRef) -> Gray:
    """The page as an 8-bit grey image at its own resolution, dark ink on light paper."""
    gray = _pdf_page(ref) if ref.kind == "pdf" else _image_frame(ref)
    if float(np.median(gray[::8, ::8])) < NEGATIVE_MEDIAN:
        gray = np.asarray(255 - gray, dtype=np.uint8)
    return gray


def _to_gray(im: Any) -> Gray:
    if im.mode in {"1", "L"}:
        return np.asarray(im.convert("L"), dtype=np.uint8)
    if im.mode in {"I;16", "I;16B", "I;16L", "I"}:
        arr = np.asarray(im, dtype=np.float64)
        peak = max(float(arr.max()), 1.0)
        return (arr * (255.0 / peak)).astype(np.uint8)
    if im.mode in {"RGBA", "LA", "PA"} or (im.mode == "P" and "transparency" in im.info):
        from PIL import Image

        base = Image.new("RGBA", im.size, (255, 255, 255, 255))
        base.alpha_composite(im.convert("RGBA"))
        im = base
    return np.asarray(im.convert("L"), dtype=np.uint8)


def _image_frame(ref: PageRef) -> Gray:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, before decoding
    try:
        with Image.open(ref.path) as im:
            if ref.page_index:
                im.seek(ref.page_index)
            check_size(im.width, im.height, ref.label)
            im.load()
            return _to_gray(im)
    except (OSError, UnidentifiedImageError, EOFError, ValueError) as exc:
        raise PageRefused(N_("{label}: the image cannot be decoded").format(label=ref.label)) from exc


_OPEN: list[tuple[tuple[str, int, int], Any, Any]] = []  # this process's open scanner PDF


def _reader(path: str) -> Any:
    """A reader of the PDF at ``path`` over an open file, kept for the next page: a
    scanner's PDF is hundreds of megabytes, and a worker reads its pages one by one (pypdf
    given a path would read the whole file into memory for every page)."""
    from pypdf import PdfReader

    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    if _OPEN and _OPEN[0][0] == key:
        return _OPEN[0][2]
    while _OPEN:
        _OPEN.pop()[1].close()
    handle = open(path, "rb")  # noqa: SIM115 - kept open for the pages that follow
    try:
        reader = PdfReader(handle)
    except Exception:
        handle.close()
        raise
    _OPEN.append((key, handle, reader))
    return reader


def _pdf_page(ref: PageRef) -> Gray:
    from pypdf.generic import DictionaryObject

    page = _reader(str(ref.path)).pages[ref.page_index]
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    images = [x.get_object() for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
    has_text = "/Font" in resources or len(images) != len(xobjects)
    if len(images) == 1 and not has_text:
        img = images[0]
        check_size(int(img.get("/Width", 0)), int(img.get("/Height", 0)), ref.label)
        try:
            gray = _decode_xobject(img, page)
        except Exception:  # noqa: BLE001 - pypdf raises many kinds; poppler decodes what it cannot
            gray = _pdfimages(ref)
        rotate = int(page.get("/Rotate", 0) or 0) % 360
        return np.ascontiguousarray(np.rot90(gray, -rotate // 90)) if rotate else gray
    return _render(ref)


def _decode_xobject(img: Any, page: Any) -> Gray:
    """An image XObject's pixels, grey: JPEG straight through libjpeg (the common case for
    scanners), everything else through pypdf."""
    filters = img.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)] if filters else []
    if names == ["/DCTDecode"]:
        import cv2

        raw = np.frombuffer(img._data, dtype=np.uint8)
        decoded = cv2.imdecode(raw, cv2.IMREAD_GRAYSCALE)
        if decoded is not None:
            return np.asarray(decoded, dtype=np.uint8)
    pil = next(iter(page.images)).image
    if pil is None:
        raise ValueError("no image")
    return _to_gray(pil)


def _run(cmd: list[str], what: str) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=PROGRAM_TIMEOUT)
    except FileNotFoundError as exc:
        raise MissingDependencyError(N_("{what} needs poppler: sudo apt-get install poppler-utils").format(what=what)) from exc
    except subprocess.TimeoutExpired as exc:
        raise PageRefused(N_("{what}: took longer than {seconds:g} s").format(what=what, seconds=PROGRAM_TIMEOUT)) from exc
    except subprocess.CalledProcessError as exc:
        raise PageRefused(N_("{what}: cannot be decoded").format(what=what)) from exc


def _pdfimages(ref: PageRef) -> Gray:
    from PIL import Image

    n = str(ref.page_index + 1)
    with tempfile.TemporaryDirectory(prefix="oppforms-") as tmp:
        _run(["pdfimages", "-f", n, "-l", n, "-png", ref.path, str(Path(tmp) / "img")], ref.label)
        found = sorted(Path(tmp).glob("img-*.png"))
        if not found:
            raise PageRefused(N_("{label}: no image found").format(label=ref.label))
        with Image.open(found[0]) as im:
            check_size(im.width, im.height, ref.label)
            return _to_gray(im)


def _render(ref: PageRef) -> Gray:
    from PIL import Image

    n = str(ref.page_index + 1)
    with tempfile.TemporaryDirectory(prefix="oppforms-") as tmp:
        _run(
            ["pdftoppm", "-f", n, "-l", n, "-r", str(RENDER_DPI), "-gray", ref.path, str(Path(tmp) / "page")],
            ref.label,
        )
        found = sorted(Path(tmp).glob("page*"))
        if not found:
            raise PageRefused(N_("{label}: the page cannot be rendered").format(label=ref.label))
        with Image.open(found[0]) as im:
            return _to_gray(im)


def iter_pages(paths: list[Path]) -> Iterator[PageRef]:
    for p in paths:
        yield from list_pages(p)


def encode_png(image: Gray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
