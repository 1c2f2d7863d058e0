"""The best guess for a word the print cannot decide (oppforms.scan.lexicon and
PaperJudge.guess): a Dutch word list picks among look-alike readings, the print still
rules readings out, and nothing is accepted on the word list's say alone."""

from __future__ import annotations

import pytest

from oppforms.fonts import FontMetrics, font_file_bytes
from oppforms.scan.judging import PaperJudge
from oppforms.scan.lexicon import Lexicon, dutch
from oppforms.scan.text import marker_pattern
from oppforms.scan.verify import alike_readings, best_reading
from oppforms.spec import current_spec
from .test_scan_verify import FONT, PX_8PT, PX_10PT, printed


class _Words:
    """A dictionary that knows a fixed set of words (as Hunspell does, case as given)."""

    def __init__(self, words: set[str]) -> None:
        self.words = words

    def lookup(self, word: str) -> bool:
        return word in self.words


WORDS = {"leerplichtambtenaar", "leeftijdgenoten", "bètavakken", "lens", "de", "maan", "Boek", "boek", "uur"}


@pytest.fixture(scope="module")
def metrics() -> FontMetrics:
    return FontMetrics(font_file_bytes(FONT))


def judge(words: set[str] = WORDS) -> PaperJudge:
    def no_ocr(*args: object, **kwargs: object) -> object:
        raise AssertionError("the guess does not read the crop again")

    spec = current_spec()
    lexicon = Lexicon(_Words(words))
    return PaperJudge(
        spec,
        ocr=no_ocr,  # type: ignore[arg-type]
        second=lambda: None,
        marker=marker_pattern(spec.continuation.marker),
        accept_confidence=90.0,
        ours=True,
        lexicon=lambda: lexicon,
    )


def test_a_word_is_known_by_its_letters_whatever_surrounds_it() -> None:
    lex = Lexicon(_Words(WORDS))
    assert lex.knows("leerplichtambtenaar;")
    assert lex.knows("(leeftijdgenoten),")
    assert lex.knows("Leerplichtambtenaar")  # a sentence's first word
    assert lex.knows("maan-boek")  # each part of a hyphenated compound
    assert lex.knows("22") and lex.knows("2026-09-01") and lex.knows("–")
    assert not lex.knows("Ieerplichtambtenaar")
    assert not lex.knows("maan-Ioek")


def test_only_a_word_the_list_does_not_know_is_given_another_reading() -> None:
    lex = Lexicon(_Words(WORDS))
    assert lex.likelier("Ieerplichtambtenaar", alike_readings("Ieerplichtambtenaar")) == ["leerplichtambtenaar"]
    # a name or rare word read as it stands keeps its reading, even with a word beside it
    assert lex.likelier("lens", ["Iens"]) == []
    assert lex.likelier("Jesse", ["Jessé"]) == []


def test_a_compound_the_list_lacks_is_judged_by_the_words_it_starts_and_ends_with() -> None:
    lex = Lexicon(_Words({"leerling", "administratie", "lens"}))
    assert not lex.knows("leerlingadministratie")
    assert lex.covered("leerlingadministratie") == 21 and lex.covered("Ieerlingadministratie") == 13
    assert lex.likelier("Ieerlingadministratie", alike_readings("Ieerlingadministratie"))[0] == "leerlingadministratie"
    # only an I read for an l (or back) is weighed so: other look-alikes need a whole word
    assert lex.likelier("leerlingadminìstratie", ["leerlingadministratie"]) == []
    # a word the list knows neither way stays as read
    assert Lexicon(_Words({"lens"})).likelier("Ixyzxyz", ["lxyzxyz"]) == []


def test_look_alike_readings_change_one_letter_or_every_capital_i_in_a_word() -> None:
    assert "leerplichtambtenaar" in alike_readings("Ieerplichtambtenaar")
    assert "uitstroomprofiel:" in alike_readings("uitstroomprofieI:")
    assert "bètavakken" in alike_readings("bêtavakken")
    assert "Beide" in alike_readings("Beıde")
    assert "leerling" in alike_readings("IeerIing")


@pytest.mark.parametrize(
    ("shown", "read"),
    [
        ("leerplichtambtenaar", "Ieerplichtambtenaar"),
        ("leeftijdgenoten", "Ieeftijdgenoten"),
        ("bètavakken", "bêtavakken"),
    ],
)
def test_the_word_list_picks_the_guess_the_print_leaves_possible(metrics: FontMetrics, shown: str, read: str) -> None:
    region = printed(shown, metrics, PX_8PT, blur=1.6, noise=8.0)
    text, sure = judge().guess(region, read, read, PX_8PT)
    assert (text, sure) == (shown, False)  # a better guess, never a confirmed one


@pytest.mark.parametrize(("shown", "known"), [("rnaan", "maan"), ("8oek", "Boek")])
def test_the_print_rules_out_a_word_it_does_not_show(metrics: FontMetrics, shown: str, known: str) -> None:
    """The word list knows a look-alike, but the print shows another drawing."""
    region = printed(shown, metrics, PX_10PT)
    text, sure = judge(WORDS | {known}).guess(region, shown, shown, PX_10PT)
    assert text == shown and not sure


def test_without_a_word_list_the_guess_is_the_prints(metrics: FontMetrics) -> None:
    region = printed("leerplichtambtenaar", metrics, PX_8PT)
    j = judge()
    j.lexicon = lambda: None
    assert j.guess(region, "Ieerplichtambtenaar", "Ieerplichtambtenaar", PX_8PT) == ("Ieerplichtambtenaar", False)


def test_a_sign_read_twice_is_dropped_when_the_print_confirms_it(metrics: FontMetrics) -> None:
    region = printed("leerlingvolgsysteem;", metrics, PX_10PT)
    assert judge().guess(region, "leerlingvolgsysteem:;", "leerlingvolgsysteem:;", PX_10PT) == ("leerlingvolgsysteem;", True)


def test_an_opening_straight_quote_in_a_word_closed_by_a_curly_one_is_guessed_curly(metrics: FontMetrics) -> None:
    region = printed("‘weglopen’", metrics, PX_8PT, blur=1.8, noise=10.0)
    text, sure = judge().guess(region, "'weglopen’", "'weglopen’", PX_8PT)
    assert text == "‘weglopen’" and not sure


def test_a_misread_accent_is_not_confirmed_by_the_print(metrics: FontMetrics) -> None:
    """è, é, ê and ë differ by a few pixels of accent: a reading with the wrong one is
    weighed against the others and never passes (it did before they were look-alikes)."""
    for shown, read in [("bètavakken", "bêtavakken"), ("één", "èèn"), ("café", "cafè"), ("Noël", "Noêl")]:
        for px in (PX_8PT, PX_10PT):
            region = printed(shown, metrics, px, blur=1.3, seed=3)
            assert best_reading(region, read, metrics, FONT, px)[1] is False, (shown, read, px)
            assert best_reading(region, shown, metrics, FONT, px) == (shown, True), (shown, px)


def test_the_dutch_word_list_when_installed() -> None:
    lexicon = dutch()
    if lexicon is None:
        pytest.skip("the Dutch Hunspell dictionary (Debian hunspell-nl) or spylls is not installed")
    for word in ["leerplichtambtenaar", "leerstrategieën", "uitstroomprofiel:", "Iemand", "bètavakken", "Ik"]:
        assert lexicon.knows(word), word
    for word in ["Ieerplichtambtenaar", "Ieerstrategieën", "uitstroomprofieI", "bêtavakken", "lk"]:
        assert not lexicon.knows(word), word
    assert lexicon.likelier("Ieeromgeving", alike_readings("Ieeromgeving")) == ["leeromgeving"]


def _one_word_at(crop: object, text: str) -> object:
    """An engine's reading of ``crop`` as one word, boxed where its ink is (padded pixels)."""
    import numpy as np

    from oppforms.geometry import PixelBox
    from oppforms.scan.ocr import OcrLine, OcrText, OcrWord
    from oppforms.scan.readings import _PAD

    ys, xs = np.nonzero(np.asarray(crop) < 150)
    box = PixelBox(int(xs.min()) + _PAD, int(ys.min()) + _PAD, int(xs.max()) + 1 + _PAD, int(ys.max()) + 1 + _PAD)
    return OcrText((OcrLine((OcrWord(text, box, 95.0),), box, box.bottom),))


@pytest.mark.parametrize(("alone", "sure"), [("İlayda", True), ("Klayda", False)])
def test_a_word_the_print_does_not_confirm_is_read_again_on_its_own(metrics: FontMetrics, alone: str, sure: bool) -> None:
    """Read in its line the engine saw "Hlayda"; read alone (the second engine knows the
    letter) it sees "İlayda", which the print confirms. A reading alone that the print
    does not confirm is not taken."""
    from oppforms.scan.ocr import OcrMode

    crop = printed("İlayda", metrics)
    asked: list[OcrMode] = []

    def ocr(image: object, mode: OcrMode, *, engine: object = None) -> object:
        asked.append(mode)
        return _one_word_at(image, alone)

    j = judge()
    j.ocr = ocr  # type: ignore[assignment]
    out = j.check_print(crop, _one_word_at(crop, "Hlayda"), 10.0)  # type: ignore[arg-type]
    assert out is not None and out.sure is sure
    assert (out.lines == ["İlayda"]) is sure
    assert OcrMode.WORD in asked
