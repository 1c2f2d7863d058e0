"""QR codes for the page codes, in pure Python: alphanumeric mode, error correction
level Q, versions 1 to 6, as 1-bit image rows ready for a PDF inline image.

Every filled page carries its own page code, so a form of seven pages needs seven
symbols. Everything that does not depend on the text is computed once per version (the
finder, timing and alignment patterns, the format information, the order in which data
modules are placed, the mask, the Reed-Solomon tables, and for every codeword the image
bits each of its nibbles flips); a symbol is then its codewords and one table look-up and
integer XOR per nibble.

The mask is fixed (pattern 0, the checkerboard) instead of chosen per symbol by the
penalty rules, which would cost more than all the rest: every reader reads every mask, and
the penalty rules only make some symbols a little easier to read. The symbols are checked
by decoding them with zxing-cpp (tests/test_qr.py), and the scan tests read them from
rendered and degraded pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

#: The characters of QR's alphanumeric mode, in code order.
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALNUM = {ch: i for i, ch in enumerate(ALPHANUMERIC)}

#: Level Q per version: (data codewords per block, blocks) groups, EC codewords per block.
_LEVEL_Q: dict[int, tuple[tuple[tuple[int, int], ...], int]] = {
    1: (((13, 1),), 13),
    2: (((22, 1),), 22),
    3: (((17, 2),), 18),
    4: (((24, 2),), 26),
    5: (((15, 2), (16, 2)), 18),
    6: (((19, 4),), 24),
}
_MASK = 0
_FORMAT_LEVEL_Q = 0b11


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 512
    log = [0] * 256
    x = 1
    for i in range(255):
        exp[i] = x
        log[x] = i
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


_EXP, _LOG = _gf_tables()


@cache
def _rs_table(degree: int) -> tuple[int, ...]:
    """For each leading byte ``f``, ``f`` times the generator polynomial of ``degree``
    (without its leading term), as one integer of ``degree`` bytes: Reed-Solomon division
    then takes one table look-up and two integer operations per data byte."""
    gen = [1]
    for i in range(degree):  # multiply by (x - a^i)
        nxt = [0] * (len(gen) + 1)
        for j, c in enumerate(gen):
            nxt[j] ^= c
            if c:
                nxt[j + 1] ^= _EXP[_LOG[c] + i]
        gen = nxt
    coeffs = gen[1:]
    table = []
    for f in range(256):
        products = bytes(0 if not (f and c) else _EXP[_LOG[f] + _LOG[c]] for c in coeffs)
        table.append(int.from_bytes(products, "big"))
    return tuple(table)


def _ec_bytes(data: bytes, degree: int) -> bytes:
    table = _rs_table(degree)
    shift = 8 * (degree - 1)
    keep = (1 << (8 * degree)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & keep) ^ table[byte ^ (rem >> shift)]
    return rem.to_bytes(degree, "big")


@dataclass(frozen=True, slots=True)
class _Layout:
    """What one version's symbols share."""

    version: int
    size: int
    data_codewords: int
    blocks: tuple[int, ...]  # data codewords per block
    ec_per_block: int
    image_bytes: int  # the packed image's length
    fixed: int  # the packed image with every codeword 0: function modules, padding, mask
    #: per codeword, its high then low nibble's 16 values: the image bits they flip
    flips: tuple[tuple[int, ...], ...]


@cache
def _layout(version: int) -> _Layout:
    size = 17 + 4 * version
    dark = [[False] * size for _ in range(size)]
    function = [[False] * size for _ in range(size)]

    def put(x: int, y: int, value: bool) -> None:
        dark[y][x] = value
        function[y][x] = True

    for i in range(size):
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                x, y = cx + dx, cy + dy
                if 0 <= x < size and 0 <= y < size:
                    put(x, y, max(abs(dx), abs(dy)) not in (2, 4))
    if version >= 2:
        c = size - 7
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                put(c + dx, c + dy, max(abs(dx), abs(dy)) != 1)
    data = (_FORMAT_LEVEL_Q << 3) | _MASK
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    bits = ((data << 10) | rem) ^ 0x5412

    def bit(i: int) -> bool:
        return (bits >> i) & 1 == 1

    for i in range(6):
        put(8, i, bit(i))
    put(8, 7, bit(6))
    put(8, 8, bit(7))
    put(7, 8, bit(8))
    for i in range(9, 15):
        put(14 - i, 8, bit(i))
    for i in range(8):
        put(size - 1 - i, 8, bit(i))
    for i in range(8, 15):
        put(8, size - 15 + i, bit(i))
    put(8, size - 8, True)

    order: list[tuple[int, int]] = []  # data module places, in placement order
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for x in (right, right - 1):
                if not function[y][x]:
                    order.append((y, x))
        right -= 2

    groups, ec = _LEVEL_Q[version]
    blocks = tuple(n for n, count in groups for _ in range(count))
    n_data = sum(blocks)
    n_bits = len(order)
    place = {pos: k for k, pos in enumerate(order)}
    mask = 0
    for k, (y, x) in enumerate(order):
        if (x + y) % 2 == 0:  # mask pattern 0
            mask |= 1 << (n_bits - 1 - k)
    # the packed image: rows of whole bytes, 1 = light (the image mask paints the 0s). A
    # data module is light when its bit, masked, is 0; so the image is the image of all
    # codewords 0 with, for every 1 bit of a codeword, its module's image bit flipped.
    row_bits = (size + 7) // 8 * 8
    image_len = size * row_bits
    fixed = 0
    bit_of = [0] * n_bits  # data bit k -> its image bit
    for y in range(size):
        for x in range(row_bits):
            at = 1 << (image_len - 1 - (y * row_bits + x))
            if x >= size:
                continue  # padding: 0
            k = place.get((y, x))
            if k is None:
                fixed |= 0 if dark[y][x] else at
            else:
                bit_of[k] = at
                if not (mask >> (n_bits - 1 - k)) & 1:
                    fixed |= at  # bit 0, not flipped by the mask: light
    flips = []
    for c in range(n_bits // 8):
        bits = bit_of[8 * c : 8 * c + 8]
        table = []
        for half in (bits[:4], bits[4:]):
            for nibble in range(16):
                flip = 0
                for i in range(4):
                    if nibble & (8 >> i):
                        flip |= half[i]
                table.append(flip)
        flips.append(tuple(table))
    return _Layout(version, size, n_data, blocks, ec, image_len // 8, fixed, tuple(flips))


def _interleave(blocks: list[bytes]) -> bytes:
    """The first byte of every block, then the second of every block, …; the longer
    blocks' last bytes come last."""
    k, shortest = len(blocks), min(map(len, blocks))
    out = bytearray(k * shortest)
    for j, block in enumerate(blocks):
        out[j::k] = block[:shortest]
    return bytes(out) + bytes(b[shortest] for b in blocks if len(b) > shortest)


def _version_for(text: str) -> int:
    bits = 4 + 9 + 11 * (len(text) // 2) + 6 * (len(text) % 2)
    for version, (groups, _) in _LEVEL_Q.items():
        if bits <= 8 * sum(n * count for n, count in groups):
            return version
    raise ValueError(f"too long for a page code QR symbol ({len(text)} characters)")


def _data_bytes(text: str, layout: _Layout) -> bytes:
    """The data codewords of ``text``: mode 0010, the length in 9 bits, pairs in 11 bits,
    a last single in 6, the terminator, and the pad codewords."""
    try:
        values = list(map(_ALNUM.__getitem__, text))
    except KeyError as exc:
        raise ValueError(f"not an alphanumeric QR character: {exc.args[0]!r}") from None
    count = len(values)
    acc = (0b0010 << 9) | count
    pairs = iter(values)
    for first, second in zip(pairs, pairs):
        acc = (acc << 11) | (first * 45 + second)
    n = 4 + 9 + 11 * (count // 2)
    if count % 2:
        acc, n = (acc << 6) | values[-1], n + 6
    capacity = 8 * layout.data_codewords
    term = min(4, capacity - n)
    acc, n = acc << term, n + term
    pad = -n % 8
    acc, n = acc << pad, n + pad
    data = acc.to_bytes(n // 8, "big") + bytes((0xEC, 0x11)) * ((capacity - n) // 16 + 1)
    return data[: layout.data_codewords]


def _image_of(data: bytes, layout: _Layout) -> int:
    """The packed image of the symbol with data codewords ``data``: the error correction
    codewords of each block, interleaved, every codeword's flips on the fixed image."""
    blocks, start = [], 0
    for size in layout.blocks:
        blocks.append(data[start : start + size])
        start += size
    ecs = [_ec_bytes(b, layout.ec_per_block) for b in blocks]
    image = layout.fixed
    for byte, table in zip(_interleave(blocks) + _interleave(ecs), layout.flips):
        image ^= table[byte >> 4] ^ table[16 + (byte & 15)]
    return image


@cache
def _data_flips(version: int) -> tuple[tuple[int, ...], ...]:
    """Per data codeword, for each of its 256 values, the image bits it flips, the flips
    of the error correction codewords it changes included. Reed-Solomon coding is linear
    (over GF(2^8), so over bits too) and the image is the fixed image XOR every codeword
    bit's flip, so a symbol is the XOR of one entry per data codeword, with no error
    correction computed per symbol (the same image as :func:`_image_of`). About 1 MB for
    the page codes' version, made on first use."""
    layout = _layout(version)
    n = layout.data_codewords
    out = []
    for p in range(n):
        table = [0]
        for b in range(8):
            data = bytearray(n)
            data[p] = 1 << b
            flip = _image_of(bytes(data), layout) ^ layout.fixed
            table += [t ^ flip for t in table]  # values with bit b set follow those without
        out.append(tuple(table))
    return tuple(out)


def qr_rows(text: str) -> tuple[int, int, bytes]:
    """The QR symbol of ``text`` (alphanumeric characters only, see :data:`ALPHANUMERIC`)
    without its quiet zone: columns, rows, and the rows packed 1 bit per module, each row
    padded to whole bytes, 1 = light (a PDF image mask paints the 0s)."""
    version = _version_for(text)
    layout = _layout(version)
    image = layout.fixed
    for byte, table in zip(_data_bytes(text, layout), _data_flips(version)):
        image ^= table[byte]
    size = layout.size
    return size, size, image.to_bytes(layout.image_bytes, "big")
