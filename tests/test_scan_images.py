"""Scanner PDFs as copiers write them: one image per page in CCITT G4, JBIG2 (generic
region, MMR-coded, as copiers' "compact PDF" modes use), CMYK JPEG, and pages that come out
as a negative. Each must give the page as dark ink on light paper at its own resolution."""

from __future__ import annotations

import io
import shutil
import struct
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from oppforms.scan import images
from oppforms.scan.images import PageRef, load_page

DPI = 200


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """The blank form's first page at 200 dpi, black and white."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    from benchmarks.scangen import render
    from oppforms.spec import current_spec, shipped_pdf_path

    grey = render(Path(shipped_pdf_path(current_spec())), DPI)[0]
    return np.where(grey < 160, 0, 255).astype(np.uint8)


def image_pdf(path: Path, data: bytes, w: int, h: int, **entries: object) -> Path:
    pdf = pikepdf.new()
    img = pikepdf.Stream(pdf, data)
    img.Type, img.Subtype, img.Width, img.Height = pikepdf.Name.XObject, pikepdf.Name.Image, w, h
    for key, value in entries.items():
        img[f"/{key}"] = value
    pw, ph = w * 72 / DPI, h * 72 / DPI
    content = pikepdf.Stream(pdf, f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im0 Do Q".encode())
    resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=img))
    pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, pw, ph], Contents=content, Resources=resources)))
    pdf.save(path)
    return path


def g4(bw: np.ndarray) -> bytes:
    """CCITT Group 4 data of a black-and-white image (libtiff's coder, through Pillow): in
    PDF terms its 1 bits are black."""
    im = Image.fromarray(bw).convert("1")
    buf = io.BytesIO()
    im.save(buf, "TIFF", compression="group4", tiffinfo={278: im.height})  # one strip
    tif = Image.open(io.BytesIO(buf.getvalue()))
    (offset,), (count,) = tif.tag_v2[273], tif.tag_v2[279]
    return buf.getvalue()[offset : offset + count]


def jbig2_embedded(bw: np.ndarray) -> bytes:
    """A JBIG2 stream as PDF embeds it: a page information segment and an immediate generic
    region coded with MMR (whose data is Group 4 with 1 = black), no end-of-page segment."""
    h, w = bw.shape

    def segment(number: int, kind: int, data: bytes) -> bytes:
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    ppm = round(DPI / 0.0254)
    page_info = struct.pack(">IIIIBH", w, h, ppm, ppm, 0, 0)
    region = struct.pack(">IIIIB", w, h, 0, 0, 0) + bytes([0x01]) + g4(255 - bw)
    return segment(0, 48, page_info) + segment(1, 38, region)


def agreement(got: np.ndarray, want: np.ndarray) -> float:
    assert got.shape == want.shape
    return float(np.mean((got < 128) == (want < 128)))


def test_a_ccitt_g4_page_is_read_at_its_own_resolution(page: np.ndarray, tmp_path: Path) -> None:
    h, w = page.shape
    parms = pikepdf.Dictionary(K=-1, Columns=w, Rows=h, BlackIs1=True)
    path = image_pdf(tmp_path / "g4.pdf", g4(page), w, h, Filter=pikepdf.Name.CCITTFaxDecode, BitsPerComponent=1,
                     ColorSpace=pikepdf.Name.DeviceGray, DecodeParms=parms)
    assert agreement(load_page(PageRef(str(path), 0, "pdf")), page) > 0.99


def test_a_ccitt_page_with_black_and_white_the_wrong_way_round_is_read_as_a_negative(page: np.ndarray, tmp_path: Path) -> None:
    h, w = page.shape
    parms = pikepdf.Dictionary(K=-1, Columns=w, Rows=h, BlackIs1=False)  # the writer's mistake
    path = image_pdf(tmp_path / "g4neg.pdf", g4(page), w, h, Filter=pikepdf.Name.CCITTFaxDecode, BitsPerComponent=1,
                     ColorSpace=pikepdf.Name.DeviceGray, DecodeParms=parms)
    assert agreement(load_page(PageRef(str(path), 0, "pdf")), page) > 0.99


@pytest.mark.parametrize("decoder", ["library", "poppler"])
def test_a_jbig2_page_is_read(page: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decoder: str) -> None:
    if decoder == "library" and shutil.which("jbig2dec") is None:
        pytest.skip("pypdf decodes JBIG2 with jbig2dec, which is not installed (poppler's pdfimages is the fallback)")
    if decoder == "poppler":
        def fail(*_: object) -> np.ndarray:
            raise NotImplementedError("JBIG2 without jbig2dec")

        monkeypatch.setattr(images, "_decode_xobject", fail)
    h, w = page.shape
    path = image_pdf(tmp_path / "jbig2.pdf", jbig2_embedded(page), w, h, Filter=pikepdf.Name.JBIG2Decode,
                     BitsPerComponent=1, ColorSpace=pikepdf.Name.DeviceGray)
    assert agreement(load_page(PageRef(str(path), 0, "pdf")), page) > 0.99


@pytest.mark.parametrize("decode", [True, False], ids=["adobe-decode-array", "no-decode-array"])
def test_a_cmyk_jpeg_page_is_read_as_ink_on_paper(page: np.ndarray, tmp_path: Path, decode: bool) -> None:
    h, w = page.shape
    buf = io.BytesIO()
    Image.fromarray(page).convert("CMYK").save(buf, "JPEG", quality=90)
    extra = {"Decode": [1, 0, 1, 0, 1, 0, 1, 0]} if decode else {}
    path = image_pdf(tmp_path / "cmyk.pdf", buf.getvalue(), w, h, Filter=pikepdf.Name.DCTDecode, BitsPerComponent=8,
                     ColorSpace=pikepdf.Name.DeviceCMYK, **extra)
    assert agreement(load_page(PageRef(str(path), 0, "pdf")), page) > 0.99


def test_a_negative_image_file_is_turned_positive(page: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "negatief.png"
    Image.fromarray(255 - page).save(path)
    assert agreement(load_page(PageRef(str(path), 0, "image")), page) > 0.99
