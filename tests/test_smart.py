"""The SMART check: goals without a measurable criterion or a time frame, actions without
a frequency. It warns and never refuses."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from oppforms.batch import fill_many, write_report
from oppforms.smart import SmartWarning, check_smart, split_goals
from oppforms.spec import FormSpec

SMART = "1. Aan het eind van periode 2 haal ik voor Engels minimaal een 6."


def missing(values: dict[str, object], spec: FormSpec) -> list[tuple[str, int, str]]:
    return [(w.field, w.goal, w.missing) for w in check_smart(values, spec)]


def test_a_goal_with_a_grade_and_a_period_passes(spec: FormSpec) -> None:
    assert missing({"doelen.leerling": SMART}, spec) == []


@pytest.mark.parametrize(
    ("goal", "expected"),
    [
        ("Ik word rustiger in de les.", ["measure", "time"]),
        ("Ik haal minimaal een 6 voor Engels.", ["time"]),
        ("Na 6 weken lees ik beter.", ["measure"]),  # the 6 is the time frame, not a criterion
        ("Eind periode 2 lees ik beter.", ["measure"]),
        ("Vóór 1 december 2026 maak ik 80% van mijn huiswerk.", []),
        ("Ik kom in periode 3 hooguit drie keer te laat.", []),
        ("Aan het eind van het schooljaar sta ik voor alle vakken voldoende.", []),
        ("Binnen twee weken vraag ik om uitleg.", ["measure"]),
    ],
)
def test_each_goal_is_checked_for_a_measure_and_a_time_frame(spec: FormSpec, goal: str, expected: list[str]) -> None:
    assert [m for _, _, m in missing({"doelen.school": goal}, spec)] == expected


def test_numbered_goals_are_checked_one_by_one_and_named_by_number(spec: FormSpec) -> None:
    text = "Inleiding zonder doel.\n1. Ik word rustiger.\n2. In periode 2 haal ik een 7.\n3) Ik lees meer\n   en beter."
    assert split_goals(text) == ["1. Ik word rustiger.", "2. In periode 2 haal ik een 7.", "3) Ik lees meer\n   en beter."]
    assert missing({"doelen.leerling": text}, spec) == [
        ("doelen.leerling", 1, "measure"), ("doelen.leerling", 1, "time"),
        ("doelen.leerling", 3, "measure"), ("doelen.leerling", 3, "time"),
    ]


def test_a_list_of_goals_from_json_counts_as_numbered_goals(spec: FormSpec) -> None:
    assert missing({"doelen.leerling": ["In periode 2 een 6", "beter lezen"]}, spec) == [
        ("doelen.leerling", 2, "measure"), ("doelen.leerling", 2, "time")]


def test_an_action_without_a_frequency_is_warned_about_and_an_empty_action_is_not(spec: FormSpec) -> None:
    values = {"acties.leerling.acties": "Woordjes leren met de app.", "acties.leerling.frequentie": "",
              "acties.school.acties": "Remedial teaching.", "acties.school.frequentie": "wekelijks op dinsdag",
              "acties.extern.acties": "", "acties.extern.frequentie": ""}
    assert missing(values, spec) == [("acties.leerling.frequentie", 0, "frequency")]


def test_the_message_names_field_and_goal_never_the_text(spec: FormSpec) -> None:
    warning = SmartWarning("doelen.school", 2, "time")
    assert str(warning).startswith("doelen.school, goal 2: no time frame")


def test_the_fill_report_carries_the_warnings_and_the_form_is_filled_anyway(spec: FormSpec, tmp_path: Path) -> None:
    records = [{"leerling.naam": "Een", "leerling.nummer": "000001", "doelen.leerling": "Ik word rustiger."},
               {"leerling.naam": "Twee", "leerling.nummer": "000002", "doelen.leerling": SMART}]
    results = list(fill_many(records, tmp_path / "out", spec=spec))
    assert [r.status for r in results] == ["ok", "ok"]
    assert results[0].warnings and not results[1].warnings
    write_report(results, tmp_path / "report.csv")
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert "doelen.leerling, goal 1: no measurable criterion" in rows[0]["warnings"]
    assert rows[1]["warnings"] == ""


# The check runs its patterns on text folded to lower case, case-sensitively (for speed);
# the patterns as written (case-insensitive) are the meaning it must keep exactly.
_VOCABULARY = (
    "Na 6 Weken", "EIND van het schooljaar", "periode 2", "Periode2", "week12", "toetsweek", "Rapportvergadering",
    "maandagochtend", "1 Oktober 2026", "15-01-2027", "2026-2027", "schooljaar 2026-27", "jaar2026", "elke Les",
    "minimaal", "de Helft", "80%", "procent", "een 6", "drie keer", "TWEE", "één", "vóór", "Vóór elke toets",
    "İn 3 weken", "ın 3 weken", "ſchooljaar", "per Week", "KWARTAAL", "\u212aLAS 3", "voldoende", "half", "halverwege",
    "de", "het", "leerling", "ik", "oefen", "Zoë", "Şule", "İlayda", "tijdens", "Dinsdag", "-", "/", ".", "–",
)


@pytest.mark.parametrize("seed", range(40))
def test_the_folded_patterns_find_what_the_case_insensitive_ones_find(seed: int) -> None:
    import random

    from oppforms import smart

    rng = random.Random(seed)
    for _ in range(50):
        words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(1, 12))]
        words = [w.upper() if rng.random() < 0.1 else w for w in words]
        text = "".join(w + rng.choice([" ", " ", "", "\n", ", "]) for w in words)
        folded = smart._fold(text)
        assert len(folded) == len(text)
        assert smart._TIME_FOLDED.sub(" ", folded) == smart._fold(smart._TIME.sub(" ", text)), text
        assert bool(smart._MEASURE_FOLDED.search(folded)) == bool(smart._MEASURE.search(text)), text
        assert bool(smart._FREQUENCY_FOLDED.search(folded)) == bool(smart._FREQUENCY.search(text)), text


def test_folding_matches_as_ignoring_case_does_for_every_letter_the_patterns_use() -> None:
    """Every character that matches a letter of the patterns when case is ignored folds
    to that letter, and no other character does."""
    import re
    import sys

    from oppforms import smart

    source = "".join((*smart._TIME_PARTS, *smart._MEASURE_PARTS, *smart._FREQUENCY_PARTS))
    letters = {ch for ch in re.sub(r"\\.", "", source) if ch.isalpha()}
    assert all(ch == ch.lower() for ch in letters)
    cased = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).lower() != chr(c) or chr(c).upper() != chr(c)]
    for letter in letters:
        for ch in cased:
            assert bool(re.fullmatch(re.escape(letter), ch, re.IGNORECASE)) == (smart._fold(ch) == letter), (letter, ch)


def test_a_group_in_front_is_spread_over_its_alternatives_in_the_order_they_are_tried() -> None:
    from oppforms import smart

    assert smart._expand(r"(?:na|(?:bij|om) de)\s+x") == [r"na\s+x", r"bij de\s+x", r"om de\s+x"]
    assert smart._expand(r"(?:\d{1,2}\s+)?(?:jan|feb)\b") == [r"\d{1,2}\s+(?:jan|feb)\b", r"jan\b", r"feb\b"]
    assert smart._expand(r"(?:a|b)+c") == [r"(?:a|b)+c"]  # a repeated group stays as it is
    assert smart._expand(r"(?:[|)]|b)c") == [r"[|)]c", "bc"]  # "|" and ")" in a class split nothing
    # grouped on the first characters, each group in the order given
    assert smart._tree(["jan", "jaar", "feb", r"\d+", "juni"], 2) == r"j(?:a(?:n|ar)|u(?:ni))|f(?:eb)|\d(?:\d*)"
    assert smart._tree(["jan", r"\w+", "feb"], 2) == r"jan|\w+|feb"  # anything may match at \w: left as it is


@pytest.mark.parametrize("which", ["time", "measure", "frequency"])
def test_the_grouped_patterns_find_what_the_patterns_as_written_find(which: str) -> None:
    """Text made of pieces that match the parts (and words around them), in any case:
    the folded, grouped pattern the check runs finds the same spans (time frames) or
    the same presence (measures, frequencies) as the case-insensitive pattern."""
    import re

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from oppforms import smart

    parts, written, folded = {
        "time": (smart._TIME_PARTS, smart._TIME, smart._TIME_FOLDED),
        "measure": (smart._MEASURE_PARTS, smart._MEASURE, smart._MEASURE_FOLDED),
        "frequency": (smart._FREQUENCY_PARTS, smart._FREQUENCY, smart._FREQUENCY_FOLDED),
    }[which]
    # letters and signs beyond ASCII too (curly quotes, a no-break space, an Arabic-Indic digit)
    alphabet = st.sampled_from("abcdefghijklmnopqrstuvwxyzAEKNPTVóëÓİıſ\u212a0123456789 \n-/.–,%()’…\xa0“\u0663_")
    piece = st.one_of(
        *(st.from_regex(re.compile(p, re.IGNORECASE), fullmatch=True, alphabet=alphabet) for p in parts),
        st.sampled_from(_VOCABULARY),
        st.text(alphabet, max_size=4),
    )
    glue = st.sampled_from([" ", "", "\n", ", ", "(", "-"])

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(piece, glue), min_size=1, max_size=8))
    def check(pieces: list[tuple[str, str]]) -> None:
        text = "".join(p + g for p, g in pieces)
        if which == "time":
            assert folded.sub(" ", smart._fold(text)) == smart._fold(written.sub(" ", text)), text
        else:
            assert bool(folded.search(smart._fold(text))) == bool(written.search(text)), text

    check()


def test_goals_are_found_as_the_item_pattern_finds_them() -> None:
    """Markers are looked for only at line starts; the spans, the goals and the text
    after each marker are what the pattern run over the whole cell gives."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from oppforms import smart

    piece = st.sampled_from(["1.", "2)", "12.", "123.", "-", "•", "*", "–", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\xa0",
                             "Ik", "haal", "een 6", "in periode 2", ".", "x", "Zoë"])

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(piece, max_size=14))
    def check(pieces: list[str]) -> None:
        text = "".join(pieces)
        stripped = text.strip()
        assert smart._items(stripped) == [m.span() for m in smart._ITEM.finditer(stripped)]
        starts = [m.start() for m in smart._ITEM.finditer(stripped)]
        goals = ([stripped[a:b].strip() for a, b in zip(starts, [*starts[1:], len(stripped)])] if starts
                 else [stripped] if stripped else [])
        assert smart.split_goals(text) == goals
        assert smart._bodies(text) == [smart._to_bytes(smart._ITEM.sub("", g, count=1)) for g in goals]

    check()


# The check runs the folded patterns on bytes (smart._to_bytes): the same time frames, the
# same measures and frequencies as the patterns as written, on any text.

_BYTES_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzAEKNPTVóëÓÉéİıſ\u212a0123456789 \n\t-/.–—,%()’…\xa0“\u0663_"
    "\x01\x02\x1c\x1f\x7f\x85\xb5²½×ßÿ\u2009\U0001d7ce\U0001f600"
)


def _reference_missing(goal: str) -> list[str]:
    """What a goal lacks by the patterns as written (case-insensitive, on the text itself)."""
    from oppforms import smart

    without = smart._TIME.sub(" ", goal)
    return [*(["measure"] if not smart._MEASURE.search(without) else []), *(["time"] if without == goal else [])]


def test_the_bytes_stand_for_the_folded_characters_one_for_one() -> None:
    """Every character becomes one byte that the bytes patterns' classes (\\w, \\d, \\s)
    take as the str patterns take the folded character; the named ones a byte of their own."""
    import re
    import sys

    from oppforms import smart

    named_bytes = set(smart._NAMED.values())
    assert len(named_bytes) == len(smart._NAMED) and "X" not in named_bytes
    classes = [(re.compile(p), re.compile(p.encode())) for p in (r"\w", r"\d", r"\s")]
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if 0xD800 <= code < 0xE000:
            continue
        folded = smart._fold(ch)
        data = smart._to_bytes(ch)
        assert len(data) == 1, hex(code)
        for text_class, bytes_class in classes:
            assert bool(text_class.match(folded)) == bool(bytes_class.match(data)), (hex(code), data)
        if folded in smart._NAMED:
            assert data == smart._NAMED[folded].encode()
        elif folded.isascii() and data.isascii() and folded.isalnum():
            assert data == folded.encode()  # letters and digits of the patterns stay themselves
        else:
            assert data.decode("latin-1") not in smart._NAMED.values() or folded in smart._NAMED, hex(code)


@pytest.mark.parametrize("which", ["time", "measure", "frequency"])
def test_the_patterns_on_bytes_find_what_the_patterns_as_written_find(which: str) -> None:
    import re

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from oppforms import smart

    parts = {"time": smart._TIME_PARTS, "measure": smart._MEASURE_PARTS, "frequency": smart._FREQUENCY_PARTS}[which]
    alphabet = st.sampled_from(_BYTES_ALPHABET)
    piece = st.one_of(
        *(st.from_regex(re.compile(p, re.IGNORECASE), fullmatch=True, alphabet=alphabet) for p in parts),
        st.sampled_from(_VOCABULARY),
        st.text(alphabet, max_size=4),
    )
    glue = st.sampled_from([" ", "", "\n", ", ", "(", "-", "–", "\x01", "\xa0", "%"])

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(piece, glue), min_size=1, max_size=8))
    def check(pieces: list[tuple[str, str]]) -> None:
        text = "".join(p + g for p, g in pieces)
        data = smart._to_bytes(text)
        assert len(data) == len(text)
        if which == "time":
            assert smart._missing(data) == _reference_missing(text), text
        elif which == "measure":
            assert smart._MEASURE_BYTES.search(b" " + data) == bool(smart._MEASURE.search(text)), text
        else:
            assert smart._FREQUENCY_BYTES.search(b" " + data) == bool(smart._FREQUENCY.search(text)), text

    check()


def test_the_time_frames_on_bytes_are_the_spans_of_the_patterns_as_written() -> None:
    """Not only whether there is one: every time frame the check takes out is the one
    the written pattern takes out (a measure left beside it counts)."""
    import random

    from oppforms import smart

    rng = random.Random(7)
    for _ in range(3000):
        words = [rng.choice(_VOCABULARY) for _ in range(rng.randint(1, 10))]
        text = "".join(w + rng.choice([" ", "", "\n", ", ", "%", "\x01", "–"]) for w in words)
        data = b" " + smart._to_bytes(text)
        spans = [(m.start(), m.end() - 1) for m in smart._TIME_BYTES.finditer(data)]
        assert spans == [m.span() for m in smart._TIME.finditer(text)], text
