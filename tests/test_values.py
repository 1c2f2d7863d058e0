"""Coercing raw records into the exact text on the form (contract §3). All data is fictional."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oppforms.errors import RecordError
from oppforms.spec import FieldKind, FormSpec, current_spec
from oppforms.values import Coercer, check_record, coerce_record, coercer_for, to_iso_date

SPEC = current_spec()
ONE_LINE = next(
    f for f in SPEC.value_fields if f.kind is FieldKind.TEXT and not f.multiline and f.name != SPEC.records.person
)
MULTILINE = next(f for f in SPEC.value_fields if f.multiline)
DATE = next(f for f in SPEC.value_fields if f.kind is FieldKind.DATE)
SHORTEST = min((f for f in SPEC.value_fields if f.kind is FieldKind.TEXT), key=lambda f: f.max_length)
SIGNATURE = SPEC.signature_fields[0]
NAME = SPEC.records.person


def coerce(field: str, value: object) -> str:
    return coerce_record({field: value}, SPEC, row=7, source="klas.csv")[field]


def problem(field: str, value: object) -> RecordError:
    with pytest.raises(RecordError) as info:
        coerce_record({field: value}, SPEC, row=7, source="klas.csv")
    return info.value


def test_every_text_and_date_field_comes_back_and_missing_ones_are_empty() -> None:
    values = coerce_record({NAME: "Zoë van der Berg"}, SPEC, row=2, source="a.csv")
    assert list(values) == [f.name for f in SPEC.value_fields]
    assert values[NAME] == "Zoë van der Berg"
    assert all(v == "" for k, v in values.items() if k != NAME)


def test_none_and_empty_values_are_empty_strings() -> None:
    assert coerce(ONE_LINE.name, None) == ""
    assert coerce(DATE.name, "  ") == ""
    assert coerce(MULTILINE.name, []) == ""


def test_nfd_input_is_stored_as_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Zoë Anaïs Noël")
    assert nfd != "Zoë Anaïs Noël"
    assert coerce(NAME, nfd) == "Zoë Anaïs Noël"


@pytest.mark.parametrize(
    "name",
    ["Şahin Yıldız", "İlayda Çelik", "Łukasz Özdemir", "IJsbrand de Vries", "Zoë „Zo” ‘t Hart – de Wit — jr."],
)
def test_turkish_polish_and_dutch_letters_quotes_and_dashes_are_accepted(name: str) -> None:
    assert coerce(NAME, name) == name


def test_windows_and_old_mac_line_breaks_become_newlines() -> None:
    assert coerce(MULTILINE.name, "Lezen\r\nRekenen\rSchrijven\u2028Spelling") == "Lezen\nRekenen\nSchrijven\nSpelling"


def test_a_line_break_in_a_one_line_field_is_an_error_naming_the_field_but_not_the_value() -> None:
    err = problem(ONE_LINE.name, "Geheim\nTweede regel")
    assert err.field == ONE_LINE.name and err.row == 7
    assert "klas.csv" in str(err) and "row 7" in str(err) and ONE_LINE.name in str(err)
    assert "line break" in str(err)
    assert "Geheim" not in str(err) and "Tweede" not in str(err)


def test_one_line_fields_lose_outer_whitespace_and_keep_inner_spaces() -> None:
    assert coerce(ONE_LINE.name, "  Jan  de   Vries \n") == "Jan  de   Vries"


def test_multiline_fields_lose_blank_outer_lines_and_trailing_spaces_but_keep_indentation() -> None:
    text = "\n  \n  Eerste  regel  \n\n   ingesprongen\n \n"
    assert coerce(MULTILINE.name, text) == "  Eerste  regel\n\n   ingesprongen"


def test_a_tab_becomes_one_space() -> None:
    assert coerce(ONE_LINE.name, "3B\tHavo") == "3B Havo"
    assert coerce(MULTILINE.name, "\tLezen\t\tRekenen") == " Lezen  Rekenen"


def test_a_value_longer_than_max_length_is_refused_never_cut() -> None:
    assert coerce(SHORTEST.name, "x" * SHORTEST.max_length) == "x" * SHORTEST.max_length
    err = problem(SHORTEST.name, "x" * (SHORTEST.max_length + 1))
    assert err.field == SHORTEST.name
    assert f"at most {SHORTEST.max_length}" in str(err)


def test_a_list_for_a_multiline_field_becomes_numbered_lines() -> None:
    assert coerce(MULTILINE.name, ["Lezen oefenen", " ", "Rekenen\r\nmet hulp", None, 3]) == (
        "1. Lezen oefenen\n2. Rekenen\nmet hulp\n3. 3"
    )


def test_a_list_for_a_one_line_field_is_refused() -> None:
    assert "multiline" in str(problem(ONE_LINE.name, ["a", "b"]))


def test_numbers_become_their_decimal_text() -> None:
    assert coerce(ONE_LINE.name, 4512) == "4512"
    assert coerce(ONE_LINE.name, 4512.0) == "4512"
    assert coerce(ONE_LINE.name, 2.5) == "2.5"


def test_true_false_and_date_values_in_a_text_field_are_refused() -> None:
    assert "true/false" in str(problem(ONE_LINE.name, True))
    assert "date" in str(problem(ONE_LINE.name, dt.date(2027, 2, 15)))
    assert "dict" in str(problem(ONE_LINE.name, {"a": 1}))


@pytest.mark.parametrize("char", ["Ж", "😀", "\u0007", "\ufffd"])
def test_an_undrawable_character_is_named_as_a_code_point_without_the_value(char: str) -> None:
    err = problem(NAME, f"Geheim{char}naam")
    assert f"U+{ord(char):04X}" in str(err)
    assert err.field == NAME and err.row == 7
    assert "Geheim" not in str(err) and char not in str(err)


def test_stand_ins_and_invisible_characters_are_drawable() -> None:
    assert coerce(NAME, "Jan\u00a0de\u2011Vries\u00ad") == "Jan\u00a0de\u2011Vries\u00ad"


@pytest.mark.parametrize(
    "value",
    [
        "2027-02-15",
        "15-02-2027",
        "15-2-2027",
        "15/2/2027",
        "15.02.2027",
        "2027/02/15",
        " 15-02-2027 ",
        "2027-02-15 00:00:00",
        "15 februari 2027",
        "15 feb. 2027",
        dt.date(2027, 2, 15),
        dt.datetime(2027, 2, 15, 0, 0),
        dt.datetime(2027, 2, 15, 13, 30),
        46433,
        46433.0,
        46433.75,
    ],
)
def test_dates_in_every_accepted_form_become_iso(value: object) -> None:
    assert coerce(DATE.name, value) == "2027-02-15"


@pytest.mark.parametrize("value", ["31-02-2027", "2027-13-01", "29-02-2027", "0-1-2027"])
def test_an_impossible_date_is_an_error_naming_the_field(value: str) -> None:
    err = problem(DATE.name, value)
    assert err.field == DATE.name and "impossible date" in str(err)
    assert value not in str(err)


def test_a_leap_day_is_a_real_date() -> None:
    assert coerce(DATE.name, "29-02-2028") == "2028-02-29"


@pytest.mark.parametrize("value", ["15-02-27", "15/2/27", "15 feb '27"])
def test_a_two_digit_year_is_refused(value: str) -> None:
    assert "two-digit year" in str(problem(DATE.name, value))


@pytest.mark.parametrize("value", ["volgende week", "15-02/2027", "20270215", "2027-2-15-1", "15 foo 2027"])
def test_an_unknown_date_format_is_refused(value: str) -> None:
    assert "not a date" in str(problem(DATE.name, value))


@pytest.mark.parametrize("value", ["15-02-1850", "15-02-2150", 60, 0, -3, 20270215, True])
def test_implausible_years_and_numbers_that_are_no_dates_are_refused(value: object) -> None:
    err = problem(DATE.name, value)
    assert err.field == DATE.name


def test_excel_serials_around_the_phantom_leap_day_of_1900_are_right() -> None:
    assert coerce(DATE.name, 59) == "1900-02-28"
    assert coerce(DATE.name, 61) == "1900-03-01"
    assert coerce(DATE.name, 1) == "1900-01-01"


def test_to_iso_date_raises_value_error_without_the_value() -> None:
    assert to_iso_date("3-4-2027") == "2027-04-03"
    with pytest.raises(ValueError, match="impossible") as info:
        to_iso_date("31-04-2027")
    assert "31" not in str(info.value)


def test_an_unknown_key_is_a_row_error_without_a_field() -> None:
    err = problem("leerling.schoenmaat", "42")
    assert err.field is None and "leerling.schoenmaat" in str(err)


@pytest.mark.parametrize("mark", [None, "", "false", "TRUE", "ja", "nee", True, False, 0, 1])
def test_a_signature_column_may_hold_nothing_or_a_true_false_mark(mark: object) -> None:
    values = coerce_record({SIGNATURE.name: mark, NAME: "Jan"}, SPEC, row=2, source="a.csv")
    assert SIGNATURE.name not in values


def test_a_signature_column_with_text_is_refused() -> None:
    err = problem(SIGNATURE.name, "J. de Vries")
    assert err.field == SIGNATURE.name and "signature" in str(err)


def test_check_record_lists_every_bad_field_of_a_row() -> None:
    raw = {NAME: "Ж", DATE.name: "31-02-2027", ONE_LINE.name: "a\nb", "onbekend": 1}
    values, errors = check_record(raw, SPEC, row=3, source="b.xlsx")
    assert values is None
    assert [e.field for e in errors] == [NAME, ONE_LINE.name, DATE.name, None]
    assert all(e.row == 3 and "b.xlsx" in str(e) for e in errors)


def test_check_record_gives_the_values_of_a_good_row() -> None:
    values, errors = check_record({NAME: "Jan"}, SPEC, row=3, source="b.xlsx")
    assert errors == [] and values is not None and values[NAME] == "Jan"


def test_the_coercer_is_built_once_per_spec() -> None:
    assert coercer_for(SPEC) is coercer_for(SPEC)
    assert coercer_for(SPEC).field_names == tuple(f.name for f in SPEC.value_fields)


def test_ten_thousand_full_records_coerce_alike_with_one_coercer(spec: FormSpec) -> None:
    # how fast is the benchmarks' business; here: a long batch through one coercer (with its
    # caches) gives every row the same, normalised values
    raw: dict[str, object] = {}
    for f in spec.value_fields:
        if f.kind is FieldKind.DATE:
            raw[f.name] = "15-2-2027"
        elif f.multiline:
            raw[f.name] = "Zoë oefent dagelijks met begrijpend lezen.\r\nDe mentor bespreekt dit wekelijks.\n" * 3
        else:
            raw[f.name] = " Şahin van der Berg "
    coercer = Coercer(spec)
    first = coercer.coerce(raw, row=0, source="groot.csv")
    for row in range(1, 10_000):
        assert coercer.coerce(raw, row=row, source="groot.csv") == first
    for f in spec.value_fields:
        value = first[f.name]
        if f.kind is FieldKind.DATE:
            assert value == "2027-02-15"
        elif f.multiline:
            assert "\r" not in value and value.startswith("Zoë oefent") and unicodedata.is_normalized("NFC", value)
        else:
            assert value == "Şahin van der Berg"


DRAWABLE = st.sampled_from(sorted(set(SPEC.coverage) | {"\t", "\u00a0", "\u200b"}))


@settings(max_examples=200, deadline=None)
@given(st.text(DRAWABLE, max_size=60))
def test_coercing_one_line_text_is_idempotent_and_gives_nfc(text: str) -> None:
    once = coerce(ONE_LINE.name, text[: ONE_LINE.max_length])
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip() and "\t" not in once
    assert coerce(ONE_LINE.name, once) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(DRAWABLE, max_size=20), max_size=6))
def test_coercing_multiline_text_is_idempotent(lines: list[str]) -> None:
    once = coerce(MULTILINE.name, "\r\n".join(lines))
    assert "\r" not in once
    assert coerce(MULTILINE.name, once) == once


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31)))
def test_every_date_reads_back_the_same_in_each_input_form(day: dt.date) -> None:
    iso = day.isoformat()
    serial = (day - dt.date(1899, 12, 30)).days
    forms: list[object] = [iso, day.strftime("%d-%m-%Y"), f"{day.day}-{day.month}-{day.year}", day, serial]
    assert {to_iso_date(v) for v in forms} == {iso}


_SOME_VALUES = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-5, 100_000),
    st.sampled_from(["15-1-2027", "2027-02-30", "a\nb", "x" * 5000, "\u0000", "Zoë", "  "]),
    st.lists(st.text(max_size=8), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*(f.name for f in SPEC.value_fields), SIGNATURE.name, "onbekend.veld"]), _SOME_VALUES, max_size=4
    )
)
def test_checking_only_the_given_fields_is_the_full_check_restricted_to_them(raw: dict[str, object]) -> None:
    coercer = coercer_for(SPEC)
    full_values, full_errors = coercer.check(raw, row=3, source="klas.csv")
    values, errors = coercer.check(raw, row=3, source="klas.csv", given_only=True)
    assert [str(e) for e in errors] == [str(e) for e in full_errors]
    assert [(e.row, e.field) for e in errors] == [(e.row, e.field) for e in full_errors]
    if full_values is None:
        assert values is None
    else:
        assert values == {name: v for name, v in full_values.items() if name in raw}
        assert list(values) == [name for name in full_values if name in raw]  # in form order
