"""The page codes' QR symbols, written in pure Python, are read back by a real reader."""

from __future__ import annotations

import random

import pytest

from oppforms.pagecode import PageCode
from oppforms.qr import ALPHANUMERIC, qr_rows

np = pytest.importorskip("numpy", reason="the reader check draws the symbol with NumPy")
zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp reads the symbols back")


def _image(text: str, scale: int = 3) -> object:
    cols, rows, packed = qr_rows(text)
    bits = np.unpackbits(np.frombuffer(packed, np.uint8).reshape(rows, -1), axis=1)[:, :cols]
    light = np.pad((bits * 255).astype(np.uint8), 4, constant_values=255)  # the quiet zone
    return np.kron(light, np.ones((scale, scale), np.uint8))


def test_every_page_code_symbol_reads_back_as_its_text() -> None:
    rng = random.Random(14)
    for _ in range(150):
        doc = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(8))
        pages = rng.choice([1, 5, 7, 12, 99, 140])
        text = PageCode("opp-kort", "1", f"{doc[:4]}-{doc[4:]}", rng.randint(1, pages), pages).text()
        found = zxingcpp.read_barcodes(_image(text))
        assert [(b.text, b.format) for b in found] == [(text, zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("length", [1, 16, 17, 29, 30, 47, 48, 67, 68, 87, 88, 108])
def test_symbols_of_every_version_read_back_with_error_correction_q(length: int) -> None:
    text = "".join(random.Random(length).choice(ALPHANUMERIC) for _ in range(length))
    found = zxingcpp.read_barcodes(_image(text))
    assert [b.text for b in found] == [text]
    assert found[0].ec_level == "Q"


def test_a_symbol_is_as_large_as_its_text_needs() -> None:
    assert qr_rows("A" * 16)[0] == 21  # version 1 holds 16 characters at level Q
    assert qr_rows("A" * 17)[0] == 25
    assert qr_rows(PageCode("opp-kort", "1", "K7Q2-M9XD", 3, 7).text())[0] == 29  # version 3


def test_text_a_symbol_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        qr_rows("A" * 109)
    with pytest.raises(ValueError, match="alphanumeric"):
        qr_rows("opp-kort")  # lower case is not in QR's alphanumeric set


def test_symbols_from_the_flip_tables_are_the_symbols_of_the_reed_solomon_code() -> None:
    """qr_rows XORs one precomputed flip per data codeword (error correction included);
    the symbol must be the one made by dividing each block and interleaving (_image_of)."""
    from oppforms.qr import _data_bytes, _image_of, _layout, _version_for

    rng = random.Random(7)
    for _ in range(400):
        text = "".join(rng.choice(ALPHANUMERIC) for _ in range(rng.randint(1, 108)))
        layout = _layout(_version_for(text))
        direct = _image_of(_data_bytes(text, layout), layout).to_bytes(layout.image_bytes, "big")
        assert qr_rows(text) == (layout.size, layout.size, direct)
