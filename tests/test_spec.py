"""Loading and validating form specs: every mistake is named by file and entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oppforms.build import build_pdf
from oppforms.errors import SpecError
from oppforms.spec import FieldKind, load_spec, spec_path


def variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    """A copy of the shipped spec with ``old`` replaced by ``new`` (must occur)."""
    text = spec_path().read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "opp-kort-test.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def first_rect_of(name: str) -> str:
    text = spec_path().read_text(encoding="utf-8")
    m = re.search(r'name = "' + re.escape(name) + r'"\n(?:.*\n)*?widgets = \[\{ page = \d+, rect = (\[[^\]]*\])', text)
    assert m
    return m.group(1)


def test_the_shipped_spec_loads_with_48_fields_on_5_pages() -> None:
    spec = load_spec(spec_path())
    assert spec.form_id == "opp-kort" and spec.page_count == 5
    assert len(spec.value_fields) == 39 and len(spec.signature_fields) == 9
    assert sum(f.kind is FieldKind.DATE for f in spec.fields) == 9


def test_a_duplicate_field_name_is_named_with_both_entries(tmp_path: Path) -> None:
    path = variant(tmp_path, 'name = "leerling.klas"', 'name = "leerling.naam"')
    with pytest.raises(SpecError, match=r"opp-kort-test\.toml: field \d+: duplicate name 'leerling\.naam' \(also field 1\)"):
        load_spec(path)


def test_a_rectangle_off_the_page_is_refused(tmp_path: Path) -> None:
    rect = first_rect_of("leerling.nummer")
    path = variant(tmp_path, rect, "[321, 667, 700, 688]")
    with pytest.raises(SpecError, match=r"field 'leerling\.nummer' widget 1: rectangle .* leaves the content area"):
        load_spec(path)


def test_a_rectangle_in_the_margin_kept_for_scan_marks_is_refused(tmp_path: Path) -> None:
    rect = first_rect_of("schooljaar")
    path = variant(tmp_path, rect, "[441, 770, 544, 790]")
    with pytest.raises(SpecError, match=r"field 'schooljaar' widget 1: .*scan marks"):
        load_spec(path)


def test_overlapping_fields_are_refused(tmp_path: Path) -> None:
    rect = first_rect_of("schooljaar")
    path = variant(tmp_path, rect, "[420, 667.23, 544, 688.23]")
    with pytest.raises(SpecError, match=r"field 'schooljaar': rectangle overlaps field 'leerling\.nummer' on page 1"):
        load_spec(path)


def test_an_unknown_field_kind_lists_the_allowed_kinds(tmp_path: Path) -> None:
    path = variant(tmp_path, 'name = "schooljaar"\nkind = "text"', 'name = "schooljaar"\nkind = "checkbox"')
    with pytest.raises(SpecError, match=r"field 'schooljaar' kind: unknown field kind 'checkbox' \(allowed: text, date, signature\)"):
        load_spec(path)


def test_an_unknown_key_is_an_error_not_silently_ignored(tmp_path: Path) -> None:
    path = variant(tmp_path, 'name = "schooljaar"\n', 'name = "schooljaar"\ncolour = "red"\n')
    with pytest.raises(SpecError, match=r"field 'schooljaar': unknown key\(s\) colour"):
        load_spec(path)


def test_an_unknown_style_names_the_block(tmp_path: Path) -> None:
    path = variant(tmp_path, 'runs = [{ style = "title"', 'runs = [{ style = "titel"')
    with pytest.raises(SpecError, match=r"page 1 block 1 run 1: unknown style 'titel'"):
        load_spec(path)


def test_a_widget_on_a_page_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = variant(tmp_path, "widgets = [{ page = 1,", "widgets = [{ page = 9,")
    with pytest.raises(SpecError, match=r"field 'leerling\.naam' widget 1: page 9 does not exist \(the form has 5\)"):
        load_spec(path)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kapot.toml"
    path.write_text("[form\nid = 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"kapot\.toml: not valid TOML"):
        load_spec(path)


def test_text_that_does_not_fit_its_table_cell_fails_the_build(tmp_path: Path) -> None:
    long = "Hulpvraag voor extra ondersteuning, " + "met heel veel uitleg " * 40
    path = variant(tmp_path, '"Hulpvraag voor extra ondersteuning,"', f'"{long}"')
    with pytest.raises(SpecError, match=r"page 1 block \d+ cell \(1, 0\): text does not fit in the cell"):
        build_pdf(load_spec(path))
