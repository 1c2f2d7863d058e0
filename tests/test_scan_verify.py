"""Checking a word read against the print (oppforms.scan.verify), on synthetic prints.

Each "print" is drawn here independently of the checker (three times larger with PIL,
averaged down at a fractional offset), then blurred, set on grey paper and given noise,
as a scanner would; the words are ordinary Dutch words and made-up names.
"""

from __future__ import annotations

import io
from functools import lru_cache

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from oppforms.fonts import FontMetrics, font_file_bytes
from oppforms.scan.verify import (
    best_reading,
    check_word,
    edge_level,
    render_word,
    word_matches,
)

FONT = "Carlito-Regular.ttf"
PX_10PT = 10 * 300 / 72  # the form's value size at 300 dpi
PX_8PT = 8 * 300 / 72  # its smallest size


@pytest.fixture(scope="module")
def metrics() -> FontMetrics:
    return FontMetrics(font_file_bytes(FONT))


@lru_cache(maxsize=8)
def _font(size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_file_bytes(FONT)), size=size)


def printed(
    text: str,
    metrics: FontMetrics,
    px: float = PX_10PT,
    *,
    offset: tuple[float, float] = (0.3, 0.6),
    blur: float = 1.1,
    noise: float = 5.0,
    seed: int = 1,
    margin: int = 8,
) -> np.ndarray:
    """``text`` as a scanner sees it: each character at the advance the filler gives it,
    blurred, dark grey on light grey paper with noise; cut to the ink plus ``margin``."""
    k = 3
    scale = px * k
    width = int(sum(metrics.char_width.get(c, 250.0) for c in text) * px / 1000.0) + 3 * int(px)
    height = 2 * int(px)
    image = Image.new("L", (width * k, height * k), 0)
    draw = ImageDraw.Draw(image)
    x = (int(px / 2) + offset[0]) * k
    baseline = (int(1.3 * px) + offset[1]) * k
    for ch in text:
        draw.text((x, baseline), ch, font=_font(scale), fill=255, anchor="ls")
        x += metrics.char_width.get(ch, 250.0) * scale / 1000.0
    cover = np.asarray(image, dtype=np.float32).reshape(height, k, width, k).mean(axis=(1, 3)) / 255.0
    cover = cv2.GaussianBlur(cover, (0, 0), blur)
    rng = np.random.default_rng(seed)
    grey = 238.0 - 208.0 * cover + rng.normal(0.0, noise, cover.shape)
    page = np.clip(np.round(grey), 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(cover > 0.3)
    return np.asarray(page[max(0, ys.min() - margin) : ys.max() + margin + 1, max(0, xs.min() - margin) : xs.max() + margin + 1], dtype=np.uint8)


def check(region: np.ndarray, text: str, metrics: FontMetrics, px: float = PX_10PT) -> str | None:
    level = edge_level(region)
    assert level is not None
    return check_word(region, text, metrics, FONT, px, level)


@pytest.mark.parametrize(
    "word",
    ["Yusuf", "het", "Zet", "Sluit", "gebruikt", "plannen.", "lopen", "Zijn", "Deel", "AVW", "ICT-beheer", "Ontwikkelpunten:", "één", "coördinator;"],
)
def test_a_correctly_read_word_matches_its_print(metrics: FontMetrics, word: str) -> None:
    assert check(printed(word, metrics), word, metrics) == word


@pytest.mark.parametrize("word", ["Sluit", "huiswerkbegeleider,", "laat", "Yusuf"])
def test_a_correctly_read_word_matches_at_the_smallest_size(metrics: FontMetrics, word: str) -> None:
    assert check(printed(word, metrics, PX_8PT), word, metrics, PX_8PT) == word


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("offset", [(0.0, 0.0), (0.5, 0.25), (0.75, 0.9)])
def test_matching_does_not_depend_on_where_the_word_falls_between_pixels(metrics: FontMetrics, seed: int, offset: tuple[float, float]) -> None:
    assert check(printed("afleiding,", metrics, offset=offset, seed=seed), "afleiding,", metrics) == "afleiding,"


@pytest.mark.parametrize("blur", [0.7, 1.6, 2.0])
def test_matching_holds_for_sharper_and_blurrier_scans(metrics: FontMetrics, blur: float) -> None:
    assert check(printed("rekenvaardigheid", metrics, blur=blur), "rekenvaardigheid", metrics) == "rekenvaardigheid"


@pytest.mark.parametrize(
    ("shown", "read"),
    [
        ("Şahin", "Sahin"),
        ("Yıldız", "Yildiz"),
        ("Yıldız", "Yıldiz"),
        ("İlayda", "Ilayda"),
        ("İlayda", "ilayda"),  # the dot above the capital's stem taken for an i's
        ("½", "%"),
        ("–", "-"),
        ("–", "—"),
        ("auto’s", "auto's"),
        ("zo’n", "zo'n"),
    ],
)
def test_a_letter_the_engine_cannot_read_is_recovered_from_the_print(metrics: FontMetrics, shown: str, read: str) -> None:
    assert check(printed(shown, metrics), read, metrics) == shown


@pytest.mark.parametrize(
    ("shown", "read"),
    [
        ("Sahin", "Sahin"),  # not Ş
        ("Yildiz", "Yildiz"),  # not ı
        ("Ilayda", "Ilayda"),  # not İ
        ("ilayda", "ilayda"),  # not İ
        ("in", "in"),  # not İn
        ("%", "%"),  # not ½
        ("-", "-"),  # not –
        ("auto's", "auto's"),  # not ’
    ],
)
def test_a_plain_print_is_not_taken_for_a_letter_the_engine_cannot_read(metrics: FontMetrics, shown: str, read: str) -> None:
    assert check(printed(shown, metrics), read, metrics) == shown


@pytest.mark.parametrize(
    ("shown", "read"),
    [
        ("weinig", "welnig"),  # wrong letter
        ("één", "een"),  # missing accents
        ("coördinator", "coordinator"),  # missing diaeresis
        ("naïef", "naief"),
        ("naief", "naïef"),  # a diaeresis the print lacks
        ("lezen,", "lezen."),  # comma read as a full stop
        ("weken;", "weken:"),
        ("laat", "Iaat"),  # l read as I
        ("klas", "kIas"),
        ("Şahin", "şahin"),
        ("Yıldız", "Yıldiż"),
        ("½", "1/2"),
        ("Deel", "Dee1"),
    ],
)
def test_a_misread_word_does_not_pass(metrics: FontMetrics, shown: str, read: str) -> None:
    assert check(printed(shown, metrics), read, metrics) is None


def test_a_misread_does_not_pass_as_another_wrong_variant(metrics: FontMetrics) -> None:
    region = printed("Şahin", metrics)
    assert check(region, "Sahin", metrics) == "Şahin"
    assert check(printed("Şahin", metrics), "Sahin", metrics) != "Sahin"
    assert check(printed("auto’s", metrics), "auto's", metrics) != "auto's"
    assert check(printed("½", metrics), "%", metrics) != "%"


def test_ink_the_reading_lacks_fails_it(metrics: FontMetrics) -> None:
    assert check(printed("(werken)", metrics), "(werken", metrics) is None
    assert check(printed("zo-even", metrics), "zoeven", metrics) is None


def test_best_reading_gives_the_best_guess_when_unsure(metrics: FontMetrics) -> None:
    assert best_reading(printed("Şahin", metrics), "Sahin", metrics, FONT, PX_10PT) == ("Şahin", True)
    assert best_reading(printed("Yusuf", metrics), "Yusuf", metrics, FONT, PX_10PT) == ("Yusuf", True)
    # a look-alike the print clearly shows is the best guess, but not sure
    assert best_reading(printed("laat", metrics), "Iaat", metrics, FONT, PX_10PT) == ("laat", False)
    assert best_reading(printed("lezen,", metrics), "lezen.", metrics, FONT, PX_10PT) == ("lezen,", False)
    # a word of two letters, one a quote: its best guess at least
    assert best_reading(printed("’s", metrics), "'s", metrics, FONT, PX_10PT)[0] == "’s"
    # a wrong letter with a look-alike that fits: that is the guess
    assert best_reading(printed("weinig", metrics), "welnig", metrics, FONT, PX_10PT) == ("weinig", False)
    # nothing fits: the reading itself, not sure
    assert best_reading(printed("weinig", metrics), "wanneer", metrics, FONT, PX_10PT) == ("wanneer", False)


def test_a_word_drawn_at_another_size_does_not_match(metrics: FontMetrics) -> None:
    region = printed("huiswerkklas", metrics, PX_10PT)
    assert check(region, "huiswerkklas", metrics, PX_10PT) == "huiswerkklas"
    assert check(region, "huiswerkklas", metrics, PX_10PT - 0.5 * 300 / 72) is None


def test_word_matches_takes_the_reading_as_it_is(metrics: FontMetrics) -> None:
    region = printed("auto’s", metrics)
    assert word_matches(region, "auto’s", metrics, FONT, PX_10PT, 128.0)
    assert not word_matches(region, "autos", metrics, FONT, PX_10PT, 128.0)


def test_edge_level_is_half_way_between_paper_and_ink_however_little_ink() -> None:
    crop = np.full((200, 1200), 240, dtype=np.uint8)
    crop[100:104, 100:130] = 30  # a few strokes in a large box
    crop[90:110, 140:143] = 30
    level = edge_level(crop)
    assert level is not None and abs(level - 135) < 15
    assert edge_level(np.full((50, 50), 240, dtype=np.uint8)) is None


def test_render_word_draws_ink_cut_to_the_word(metrics: FontMetrics) -> None:
    image = render_word("Yusuf", metrics, FONT, PX_10PT)
    ys, xs = np.nonzero(image < 128)
    assert 0 < ys.min() <= 3 and 0 < xs.min() <= 3
    assert abs(image.shape[1] - (metrics.width("Yusuf", 10.0) * 300 / 72)) < 10


def test_two_letters_read_as_one_do_not_pass(metrics: FontMetrics) -> None:
    assert check(printed("komen", metrics), "kornen", metrics) is None
    assert check(printed("kornet", metrics), "komet", metrics) is None
    assert check(printed("komen", metrics), "komen", metrics) == "komen"


@pytest.mark.parametrize(("right", "misread"), [("school", "schcol"), ("planning", "pIanning"), ("vmbo", "vmko")])
def test_of_two_readings_the_one_the_print_shows_fits_better(metrics: FontMetrics, right: str, misread: str) -> None:
    from oppforms.scan.verify import fits_better

    region = printed(right, metrics, PX_8PT, blur=1.4, noise=7.0)  # the smallest size, soft
    assert fits_better(region, right, misread, metrics, FONT, PX_8PT)
    assert not fits_better(region, misread, right, metrics, FONT, PX_8PT)
