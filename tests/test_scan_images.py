"""Scanner PDFs as copiers write them: one image per page in CCITT G4, JBIG2 (generic
region, MMR-coded, as copiers' "compact PDF" modes use), CMYK JPEG, and pages that come out
as a negative. Each must give the page as dark ink on light paper at its own resolution.
Encrypted ones (AES-256 with a password, or only an owner password) open as ``oppforms
extract`` opens forms with fields, and poppler never sees the password."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
from PIL import Image

from oppforms.extract.reader import EncryptedPdfError
from oppforms.scan import images
from oppforms.scan.images import PageRef, list_pages, load_page, page_bytes

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


PASSWORD = "Geheim-301"


def encrypted(plain: Path, out: Path, *, user: str, owner: str) -> Path:
    with pikepdf.open(plain) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user=user, owner=owner, R=6))  # AES-256
    return out


def g4_pdf(page: np.ndarray, path: Path) -> Path:
    h, w = page.shape
    parms = pikepdf.Dictionary(K=-1, Columns=w, Rows=h, BlackIs1=True)
    return image_pdf(path, g4(page), w, h, Filter=pikepdf.Name.CCITTFaxDecode, BitsPerComponent=1,
                     ColorSpace=pikepdf.Name.DeviceGray, DecodeParms=parms)


@pytest.fixture
def poppler_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The command lines poppler is run with (it still runs)."""
    calls: list[list[str]] = []
    run = subprocess.run

    def recorded(cmd: list[str], **kwargs: Any) -> Any:
        calls.append(list(cmd))
        return run(cmd, **kwargs)

    monkeypatch.setattr(images.subprocess, "run", recorded)
    return calls


def test_an_aes_encrypted_scan_opens_with_its_password_and_an_owner_password_needs_none(page: np.ndarray, tmp_path: Path) -> None:
    plain = g4_pdf(page, tmp_path / "g4.pdf")
    path = encrypted(plain, tmp_path / "g4-aes.pdf", user=PASSWORD, owner=PASSWORD)
    (ref,) = list_pages(path, ["fout", PASSWORD])
    assert PASSWORD not in repr(ref)
    assert agreement(load_page(ref), page) > 0.99
    shipped = page_bytes(ref)  # the page alone for a worker elsewhere: decrypted
    assert not pikepdf.open(io.BytesIO(shipped)).is_encrypted
    assert agreement(load_page(PageRef(str(path), 0, "pdf", load_from=shipped)), page) > 0.99
    # a copier's: only an owner password, so it opens in any viewer without asking
    copier = encrypted(plain, tmp_path / "g4-owner.pdf", user="", owner="beheerder-7")
    (ref,) = list_pages(copier)
    assert agreement(load_page(ref), page) > 0.99
    assert len(list_pages(copier, [PASSWORD])) == 1


@pytest.mark.parametrize(("given", "reason"), [
    ((), "encrypted with a password (give it with --password)"),
    (("fout", "ook-fout"), "encrypted, and none of the passwords given opens it"),
])
def test_an_encrypted_scan_without_its_password_says_so_once(
    page: np.ndarray, tmp_path: Path, given: tuple[str, ...], reason: str
) -> None:
    path = encrypted(g4_pdf(page, tmp_path / "g4.pdf"), tmp_path / "g4-aes.pdf", user=PASSWORD, owner=PASSWORD)
    with pytest.raises(EncryptedPdfError) as caught:
        list_pages(path, given)
    assert (str(caught.value), caught.value.reason) == (f"g4-aes.pdf: {reason}", reason)


def test_poppler_decodes_an_encrypted_scan_page_without_seeing_the_password(
    page: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, poppler_calls: list[list[str]]
) -> None:
    def fail(*_: object) -> np.ndarray:
        raise NotImplementedError("a filter the library cannot decode")

    monkeypatch.setattr(images, "_decode_xobject", fail)  # so pdfimages decodes it
    path = encrypted(g4_pdf(page, tmp_path / "g4.pdf"), tmp_path / "g4-aes.pdf", user=PASSWORD, owner=PASSWORD)
    (ref,) = list_pages(path, [PASSWORD])
    assert agreement(load_page(ref), page) > 0.99
    assert [cmd[0] for cmd in poppler_calls] == ["pdfimages"]
    assert not any(PASSWORD in arg or str(path) in arg for cmd in poppler_calls for arg in cmd)


def test_an_encrypted_page_poppler_must_render_is_rendered_without_the_password_on_its_command_line(
    tmp_path: Path, poppler_calls: list[list[str]]
) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    from oppforms.spec import current_spec, shipped_pdf_path

    form = Path(shipped_pdf_path(current_spec()))  # pages with text: rendered, not taken as an image
    path = encrypted(form, tmp_path / "formulier-aes.pdf", user=PASSWORD, owner="beheerder-7")
    refs = list_pages(path, [PASSWORD])
    assert len(refs) == len(list_pages(form))
    got = load_page(refs[1])
    (cmd,) = poppler_calls
    assert cmd[0] == "pdftoppm" and cmd[-2] == "-"  # the page, decrypted, on its standard input
    assert not any(PASSWORD in arg or str(path) in arg for arg in cmd)
    assert np.array_equal(got, load_page(PageRef(str(form), 1, "pdf")))
