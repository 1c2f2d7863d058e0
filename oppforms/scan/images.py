"""Scanned pages in: PDFs from scanners, multi-page TIFF, PNG and JPEG, and phone photos
(JPEG; HEIC with the optional pillow-heif).

A scanner's PDF holds one image per page; that image is taken as it is, at its own
resolution (never re-rendered). A PDF page that is not a single image (a PDF printed to
file, a page with text) is rendered with ``pdftoppm`` at 300 dpi instead.

Every page is checked before it is decoded: more than :data:`MAX_PIXELS` pixels, or fewer
than :data:`MIN_PIXELS`, and the page is refused with a message saying why. External
programs run with a time limit.

An encrypted PDF opens with the passwords ``oppforms extract`` tries on forms with fields
(:func:`oppforms.extract.reader.passwords_to_try`: those given, then none, which opens a
file with only an owner password); its pages are decrypted in memory. A page poppler must
render gets the page alone, decrypted, on its standard input: no password on a command line
(where other users see it in ``ps``) and no decrypted copy of the file on disk.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".heic", ".heif"}
#: Photos in the HEIF container (iPhones' default), read with the optional pillow-heif.
HEIF_SUFFIXES = {".heic", ".heif"}
HEIF_HINT = "reading HEIC photos needs pillow-heif: pip install 'oppforms[heic]' (or convert the photos to JPEG)"
SUFFIXES = IMAGE_SUFFIXES | {".pdf"}


class PageRefused(InputError):
    """One page cannot be read as a scan (too large, too small, undecodable)."""


@dataclass(frozen=True, slots=True)
class PageRef:
    """One page of an input file: the file, the 0-based page (or frame) index, and the
    kind of file (``pdf``, ``image``). ``load_from``: where a process that cannot see
    ``path`` as it is finds the page: another path to the same file (a worker's view of
    shared storage), or the page alone as the bytes of a one-page file (see
    :func:`page_bytes`). Results and messages always name ``path`` and ``page_index``.
    ``password``: the one that opens an encrypted PDF ("" when it needs none: an owner
    password only); None for a file that is not encrypted (and for a page's bytes, which
    :func:`page_bytes` gives decrypted)."""

    path: str
    page_index: int
    kind: str
    load_from: str | bytes | None = field(default=None, compare=False, repr=False)
    password: str | None = field(default=None, compare=False, repr=False)

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


def list_pages(path: Path, passwords: Sequence[str] = ()) -> list[PageRef]:
    """The pages of one input file (in file order); :class:`InputError` for a file that
    is not a readable PDF or image, :class:`~oppforms.extract.reader.EncryptedPdfError`
    for an encrypted PDF that opens neither with one of ``passwords`` nor without one."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(path)
            password = _decrypt(reader, path, passwords) if reader.is_encrypted else None
            count = len(reader.pages)
        except (OSError, PdfReadError, ValueError, KeyError, NotImplementedError) as exc:
            raise InputError(N_("{file}: not a readable PDF").format(file=path.name)) from exc
        return [PageRef(str(path), i, "pdf", password=password) for i in range(count)]
    if suffix in IMAGE_SUFFIXES:
        from PIL import Image, UnidentifiedImageError

        if suffix in HEIF_SUFFIXES:
            _heif_opener()
        try:
            with Image.open(path) as im:
                count = getattr(im, "n_frames", 1)
        except (OSError, UnidentifiedImageError) as exc:
            raise InputError(N_("{file}: not a readable image").format(file=path.name)) from exc
        return [PageRef(str(path), i, "image") for i in range(count)]
    raise InputError(N_("{file}: not a PDF, PNG, JPEG, TIFF or HEIC file").format(file=path.name))


def _decrypt(reader: Any, path: Path, passwords: Sequence[str]) -> str:
    """The password that opens the encrypted PDF ``reader`` reads (now decrypted), tried as
    ``oppforms extract`` tries them on forms with fields."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    from ..extract.reader import EncryptedPdfError, passwords_to_try

    for password in passwords_to_try(passwords):
        try:
            if reader.decrypt(password) != PasswordType.NOT_DECRYPTED:
                return password
        except DependencyError as exc:  # AES without the cryptography package
            raise MissingDependencyError(
                N_("{file}: opening this encrypted PDF needs cryptography: pip install cryptography").format(file=path.name)
            ) from exc
    raise EncryptedPdfError(path.name, passwords)


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
    """The page as an 8-bit grey image at its own resolution, dark ink on light paper,
    evenly lit (:func:`even_light`)."""
    if isinstance(ref.load_from, bytes):
        return _shipped_page(ref, ref.load_from)
    if ref.load_from is not None:
        try:
            return load_page(_Located(ref.load_from, ref.page_index, ref.kind, label_of=ref, password=ref.password))
        except OSError as exc:  # a worker elsewhere that does not share this storage
            raise PageRefused(
                N_(
                    "{label}: the worker cannot open the file ({error}); "
                    "do the workers see the same storage at the same path? Else use --ship"
                ).format(label=ref.label, error=type(exc).__name__)
            ) from exc
    gray = _pdf_page(ref) if ref.kind == "pdf" else _image_frame(ref)
    if float(np.median(gray[::8, ::8])) < NEGATIVE_MEDIAN:
        gray = np.asarray(255 - gray, dtype=np.uint8)
    return even_light(gray)


#: Grey levels between the brightest and the darkest paper (5th to 95th percentile of the
#: light, in the middle of the image) above which a page counts as unevenly lit.
UNEVEN_LIGHT = 30.0
#: The grey level paper is brought to when the light is evened out.
PAPER = 245.0


def even_light(gray: Gray) -> Gray:
    """The page with uneven light evened out, as a phone photo needs (light from one side,
    a shadow, a vignette): the paper's brightness is estimated at about 40 dpi by taking the
    brightest pixel around each point (which removes text, lines and marks) and smoothing,
    and the page divided by it. A scan, lit evenly, is returned unchanged."""
    import cv2

    h, w = gray.shape
    scale = min(1.0, 500.0 / max(h, w))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    light = cv2.GaussianBlur(cv2.dilate(small, kernel).astype(np.float32), (0, 0), 8)
    sh, sw = light.shape
    middle = light[sh // 5 : sh - sh // 5, sw // 5 : sw - sw // 5]
    lo, hi = np.percentile(middle, (5, 95))
    if hi - lo <= UNEVEN_LIGHT:
        return gray
    full = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    out = gray.astype(np.float32) * (PAPER / np.maximum(full, 1.0))
    return np.asarray(np.clip(out, 0, 255), dtype=np.uint8)


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


def _heif_opener() -> None:
    """Teach Pillow to open HEIC/HEIF photos (pillow-heif, optional)."""
    try:
        import pillow_heif
    except ImportError as exc:
        raise MissingDependencyError(HEIF_HINT) from exc
    pillow_heif.register_heif_opener()


#: EXIF orientations that mirror the picture (a phone's front camera); the others are turns,
#: which the page codes put right anyway.
_MIRRORING_ORIENTATIONS = {2, 4, 5, 7}


def _image_frame(ref: PageRef) -> Gray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # we check the size ourselves, before decoding
    if Path(ref.path).suffix.lower() in HEIF_SUFFIXES:
        _heif_opener()
    try:
        with Image.open(ref.path) as im:
            if ref.page_index:
                im.seek(ref.page_index)
            check_size(im.width, im.height, ref.label)
            im.load()
            if im.getexif().get(0x0112, 1) in _MIRRORING_ORIENTATIONS:
                return _to_gray(ImageOps.exif_transpose(im))
            return _to_gray(im)
    except (OSError, UnidentifiedImageError, EOFError, ValueError) as exc:
        raise PageRefused(N_("{label}: the image cannot be decoded").format(label=ref.label)) from exc


_OPEN: list[tuple[tuple[str, int, int, str | None], Any, Any]] = []  # this process's open scanner PDF


def _reader(ref: PageRef) -> Any:
    """A reader of the PDF of ``ref`` over an open file (decrypted with ``ref.password``),
    kept for the next page: a scanner's PDF is hundreds of megabytes, and a worker reads its
    pages one by one (pypdf given a path would read the whole file into memory for every
    page)."""
    from pypdf import PasswordType, PdfReader

    path = str(ref.path)
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size, ref.password)
    if _OPEN and _OPEN[0][0] == key:
        return _OPEN[0][2]
    while _OPEN:
        _OPEN.pop()[1].close()
    handle = open(path, "rb")  # noqa: SIM115 - kept open for the pages that follow
    try:
        reader = PdfReader(handle)
        if reader.is_encrypted and reader.decrypt(ref.password or "") == PasswordType.NOT_DECRYPTED:
            # list_pages found the password: the file has changed since
            raise PageRefused(N_("{file}: the PDF is encrypted").format(file=ref.label))
    except Exception:
        handle.close()
        raise
    _OPEN.append((key, handle, reader))
    return reader


def _pdf_page(ref: PageRef) -> Gray:
    from pypdf.generic import DictionaryObject

    page = _reader(ref).pages[ref.page_index]
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


def _run(cmd: list[str], what: str, data: bytes | None = None) -> None:
    """Run ``cmd`` (with ``data`` on its standard input)."""
    try:
        subprocess.run(cmd, input=data, check=True, capture_output=True, timeout=PROGRAM_TIMEOUT)
    except FileNotFoundError as exc:
        raise MissingDependencyError(N_("{what} needs poppler: sudo apt-get install poppler-utils").format(what=what)) from exc
    except subprocess.TimeoutExpired as exc:
        raise PageRefused(N_("{what}: took longer than {seconds:g} s").format(what=what, seconds=PROGRAM_TIMEOUT)) from exc
    except subprocess.CalledProcessError as exc:
        raise PageRefused(N_("{what}: cannot be decoded").format(what=what)) from exc


def _poppler_input(ref: PageRef) -> tuple[str, str, bytes | None]:
    """What poppler reads the page of ``ref`` from: the file and the 1-based page number;
    for an encrypted PDF, the page alone, decrypted, on standard input ("-", page 1), so
    that no password goes on the command line and no decrypted file on disk."""
    if ref.password is None:
        return ref.path, str(ref.page_index + 1), None
    return "-", "1", page_bytes(ref)


def _pdfimages(ref: PageRef) -> Gray:
    from PIL import Image

    source, n, data = _poppler_input(ref)
    with tempfile.TemporaryDirectory(prefix="oppforms-") as tmp:
        _run(["pdfimages", "-f", n, "-l", n, "-png", source, str(Path(tmp) / "img")], ref.label, data)
        found = sorted(Path(tmp).glob("img-*.png"))
        if not found:
            raise PageRefused(N_("{label}: no image found").format(label=ref.label))
        with Image.open(found[0]) as im:
            check_size(im.width, im.height, ref.label)
            return _to_gray(im)


def _render(ref: PageRef) -> Gray:
    from PIL import Image

    source, n, data = _poppler_input(ref)
    with tempfile.TemporaryDirectory(prefix="oppforms-") as tmp:
        _run(
            ["pdftoppm", "-f", n, "-l", n, "-r", str(RENDER_DPI), "-gray", source, str(Path(tmp) / "page")],
            ref.label,
            data,
        )
        found = sorted(Path(tmp).glob("page*"))
        if not found:
            raise PageRefused(N_("{label}: the page cannot be rendered").format(label=ref.label))
        with Image.open(found[0]) as im:
            return _to_gray(im)


class _Located(PageRef):
    """A page read from another path than the one it is named by (messages say the name)."""

    __slots__ = ("_label",)
    _label: str

    def __init__(self, path: str, page_index: int, kind: str, *, label_of: PageRef, password: str | None = None) -> None:
        super().__init__(path, page_index, kind, password=password)
        object.__setattr__(self, "_label", label_of.label)

    @property
    def label(self) -> str:
        return self._label


def _shipped_page(ref: PageRef, data: bytes) -> Gray:
    """The page from the bytes of a one-page file (its page 0), named as ``ref``."""
    with tempfile.TemporaryDirectory(prefix="oppforms-page-") as tmp:
        local = Path(tmp) / ("page.pdf" if ref.kind == "pdf" else "page" + (Path(ref.path).suffix.lower() or ".png"))
        local.write_bytes(data)
        return load_page(_Located(str(local), 0, ref.kind, label_of=ref))


def page_bytes(ref: PageRef) -> bytes:
    """The page alone, as the bytes of a one-page file a worker can read without the
    whole file: a PDF page copied with its image as it is (never decoded or re-encoded), an
    image file as it is, one frame of a multi-frame TIFF saved losslessly as a TIFF. A page
    of an encrypted PDF comes decrypted (it needs no password)."""
    if ref.kind == "pdf":
        from pypdf import PdfWriter

        writer = PdfWriter()
        writer.add_page(_reader(ref).pages[ref.page_index])
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # the worker checks the size, before decoding
    with Image.open(ref.path) as im:
        if getattr(im, "n_frames", 1) == 1:
            return Path(ref.path).read_bytes()
        im.seek(ref.page_index)
        buf = io.BytesIO()
        im.save(buf, format="TIFF", compression="tiff_lzw" if im.mode not in ("1",) else "group4")
        return buf.getvalue()


def iter_pages(paths: list[Path]) -> Iterator[PageRef]:
    for p in paths:
        yield from list_pages(p)


def encode_png(image: Gray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
