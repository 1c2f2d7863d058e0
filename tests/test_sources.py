"""Reading rows from CSV, XLSX, JSON and JSON Lines files. All data is fictional."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

from oppforms.errors import InputError, UsageError
from oppforms.sources import SourceRow, load_mapping, normalize_header, read_records
from oppforms.spec import FieldKind, current_spec
from oppforms.values import check_record, coerce_record

SPEC = current_spec()
NAME = SPEC.records.person
KEY = SPEC.records.key
COMPOSITE = SPEC.records.composites[0]
FIELD = {f.name: f for f in SPEC.fields}
DATE = next(f for f in SPEC.value_fields if f.kind is FieldKind.DATE)
MULTILINE = next(f for f in SPEC.value_fields if f.multiline)
CLASS = next(f for f in SPEC.value_fields if not f.multiline and f.kind is FieldKind.TEXT and f.name not in {NAME, KEY})
SIGNATURE = SPEC.signature_fields[0]

HEADER = [FIELD[KEY].label, FIELD[NAME].label, CLASS.label, MULTILINE.aliases[0]]
ROWS = [
    ["0123", "Zoë van der Berg", "3B", 'Lezen oefenen\nRekenen, met "hulp"; thuis'],
    ["0456", "Anaïs Noël", "3C", ""],
]
EXPECTED = [
    {
        KEY: "0123",
        NAME: "Zoë van der Berg",
        CLASS.name: "3B",
        MULTILINE.name: 'Lezen oefenen\nRekenen, met "hulp"; thuis',
    },
    {KEY: "0456", NAME: "Anaïs Noël", CLASS.name: "3C", MULTILINE.name: ""},
]


def csv_bytes(rows: Sequence[Sequence[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def write_csv(path: Path, rows: Sequence[Sequence[str]], **kwargs: str) -> Path:
    path.write_bytes(csv_bytes(rows, **kwargs))
    return path


def read(path: Path, **kwargs: object) -> list[SourceRow]:
    with read_records(path, SPEC, **kwargs) as reader:  # type: ignore[arg-type]
        return list(reader)


def raws(rows: list[SourceRow]) -> list[dict[str, object]]:
    assert all(r.error is None for r in rows), [str(r.error) for r in rows]
    return [r.raw for r in rows if r.raw is not None]


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# CSV: encodings, delimiters, quoting, row numbers


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_reads_in_every_encoding_and_delimiter_with_multiline_cells_and_leading_zeros(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    path = write_csv(tmp_path / "klas.csv", [HEADER, *ROWS], delimiter=delimiter, encoding=encoding)
    with read_records(path, SPEC) as reader:
        rows = list(reader)
        notices = reader.notices
    assert raws(rows) == EXPECTED
    assert [r.row for r in rows] == [2, 3]  # Excel's rows: a multi-line cell is one row
    assert all(r.source == str(path) for r in rows)
    if encoding == "cp1252":
        assert len(notices) == 1 and "Windows-1252" in notices[0] and "klas.csv" in notices[0]
    else:
        assert notices == []


def test_the_cp1252_notice_names_the_first_line_that_is_not_utf8(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "oud.csv", [HEADER, ["1", "Jan", "1A", ""], ["2", "Noël", "1B", ""]], encoding="cp1252")
    with read_records(path, SPEC) as reader:
        assert "line 3" in reader.notices[0]
        assert [r.raw[NAME] for r in reader if r.raw] == ["Jan", "Noël"]


def test_a_file_with_a_byte_undefined_in_cp1252_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kapot.csv"
    path.write_bytes(csv_bytes([HEADER]) + b"1,No\xebl,3B,\r\n2,Ja\x81n,3C,\r\n")
    with pytest.raises(InputError, match=r"kapot\.csv: neither UTF-8 nor Windows-1252 \(line 3\)") as info:
        read_records(path, SPEC)
    assert "No" not in str(info.value)


def test_a_file_mixing_utf8_and_cp1252_is_refused_rather_than_garbled(tmp_path: Path) -> None:
    path = tmp_path / "gemengd.csv"
    path.write_bytes(csv_bytes([HEADER, ["1", "Zoë", "3B", ""]]) + "2,Noël,3C,\r\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"mixes UTF-8"):
        read_records(path, SPEC)


def test_utf16_without_a_byte_order_mark_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes(csv_bytes([HEADER, ROWS[1]], encoding="utf-16-le"))
    with pytest.raises(InputError, match="NUL bytes"):
        read_records(path, SPEC)


def test_a_given_encoding_is_used_and_checked(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "latin.csv", [HEADER, ROWS[1]], encoding="cp1252")
    assert raws(read(path, encoding="cp1252")) == [EXPECTED[1]]
    with pytest.raises(InputError, match="not valid utf-8"):
        read_records(path, SPEC, encoding="utf-8")
    with pytest.raises(UsageError, match="unknown encoding"):
        read_records(path, SPEC, encoding="klingon")


def test_commas_in_header_labels_do_not_fool_the_delimiter_sniffer(tmp_path: Path) -> None:
    label_with_comma = next(f.label for f in SPEC.value_fields if "," in f.label)
    path = tmp_path / "puntkomma.csv"
    path.write_text(f"{FIELD[NAME].label};{label_with_comma}\nJan;Tekst, met komma\n", encoding="utf-8")
    rows = raws(read(path))
    assert rows[0][NAME] == "Jan" and "Tekst, met komma" in rows[0].values()


def test_an_equal_count_of_two_delimiters_asks_for_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "twijfel.csv"
    path.write_text("Naam leerling,Klas;Schooljaar\nJan,3B;2026-2027\n", encoding="utf-8")
    with pytest.raises(InputError, match="comma or semicolon"):
        read_records(path, SPEC)


def test_a_given_delimiter_wins_and_tab_may_be_spelled_out(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "klas.tsv", [HEADER, *ROWS], delimiter="\t")
    assert raws(read(path, delimiter="tab")) == EXPECTED
    with pytest.raises(UsageError, match="one character"):
        read_records(path, SPEC, delimiter=";;")


def test_an_excel_sep_line_sets_the_delimiter_and_is_not_counted_as_a_row(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"sep=;\r\n" + csv_bytes([HEADER, *ROWS], delimiter=";"))
    rows = read(path)
    assert raws(rows) == EXPECTED and [r.row for r in rows] == [2, 3]


def test_blank_rows_are_skipped_anywhere_and_keep_their_row_number(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gaten.csv", [[], HEADER, ROWS[0], ["", "", "", ""], [], ROWS[1], [], [" "]])
    rows = read(path)
    assert raws(rows) == EXPECTED
    assert [r.row for r in rows] == [3, 6]


def test_excel_text_formulas_keep_leading_zeros(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nullen.csv", [[FIELD[KEY].label, FIELD[NAME].label], ['="00123"', "Jan"]])
    assert raws(read(path))[0][KEY] == "00123"


def test_a_value_in_a_column_without_header_is_a_row_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "extra.csv",
        [
            [FIELD[NAME].label, "", CLASS.label],
            ["Jan", "", "3B"],
            ["Piet", "geheim", "3C", "ook geheim"],
            ["Kees", "", "3D", ""],
        ],
    )
    rows = read(path)
    assert [r.row for r in rows] == [2, 3, 4]
    bad = rows[1]
    assert bad.raw is None and bad.error is not None and bad.error.row == 3
    assert "column B and column D" in str(bad.error) and "geheim" not in str(bad.error)
    assert rows[2].raw == {NAME: "Kees", CLASS.name: "3D"}


def test_a_file_without_rows_has_no_header(tmp_path: Path) -> None:
    path = tmp_path / "leeg.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no header row"):
        read_records(path, SPEC)


def test_ten_thousand_rows_stream_lazily(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "groot.csv", [HEADER, *([f"{i:05d}", "Jan de Vries", "3B", "Lezen\nRekenen"] for i in range(10_000))]
    )
    reader = read_records(path, SPEC)
    rows = iter(reader)
    first = next(rows)
    assert first.row == 2 and first.raw is not None and first.raw[KEY] == "00000"
    assert sum(1 for _ in rows) == 9_999


# ---------------------------------------------------------------------------------------
# XLSX


def write_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Leerlingen"
    ws.append([])
    ws.append([FIELD[KEY].label, FIELD[NAME].label, DATE.aliases[0], CLASS.label])
    ws.append(["0123", "Zoë van der Berg", dt.datetime(2027, 2, 15), "3B"])
    ws.append([4512, "Şahin Yıldız", dt.datetime(2027, 3, 1), "3C"])
    ws.append([])
    ws.append([4513.0, "İlayda Çelik", "1-4-2027", None])
    ws.append([])
    other = wb.create_sheet("Klas 3C")
    other.append([FIELD[NAME].label])
    other.append(["Łukasz Özdemir"])
    wb.save(path)
    return path


def test_xlsx_keeps_text_numbers_and_date_cells_with_excel_row_numbers(tmp_path: Path) -> None:
    rows = read(write_xlsx(tmp_path / "klas.xlsx"))
    assert [r.row for r in rows] == [3, 4, 6]
    first, second, third = raws(rows)
    assert first[KEY] == "0123" and first[DATE.name] == dt.date(2027, 2, 15)
    assert second[KEY] == 4512
    values = [coerce_record(r, SPEC, row=1, source="klas.xlsx") for r in (first, second, third)]
    assert [v[KEY] for v in values] == ["0123", "4512", "4513"]
    assert [v[DATE.name] for v in values] == ["2027-02-15", "2027-03-01", "2027-04-01"]
    assert [v[NAME] for v in values] == ["Zoë van der Berg", "Şahin Yıldız", "İlayda Çelik"]


def test_xlsx_numbers_formatted_with_leading_zeros_read_as_excel_shows_them(tmp_path: Path) -> None:
    """A number column keeps a leerlingnummer's leading zeros in Excel by its format
    (``000000``): the cell holds 4512 and shows 004512. The form, the file name and the
    archive's matching take what Excel shows; other numbers stay as they are."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([FIELD[KEY].label, FIELD[NAME].label, CLASS.label])
    ws.append([4512, "Anna", 2])
    ws["A2"].number_format = "000000"
    ws["C2"].number_format = "00"
    ws.append([4513.0, "Bram", 2.5])
    ws["A3"].number_format = "000000"
    ws["C3"].number_format = "00"  # not a whole number: as it is
    ws.append([77, "Cees", -3])
    ws["C4"].number_format = "00"  # negative: as it is
    wb.save(tmp_path / "nummers.xlsx")
    values = [coerce_record(r, SPEC, row=1, source="nummers.xlsx") for r in raws(read(tmp_path / "nummers.xlsx"))]
    assert [v[KEY] for v in values] == ["004512", "004513", "77"]
    assert [v[CLASS.name] for v in values] == ["02", "2.5", "-3"]


def with_sheet_xml(path: Path, edit: Callable[[str], str]) -> Path:
    """``path`` with its first sheet's XML changed by ``edit`` (as other programs write it)."""
    import zipfile

    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    name = "xl/worksheets/sheet1.xml"
    parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w") as out:
        for member, data in parts.items():
            out.writestr(member, data)
    return path


def formula_sheet(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([FIELD[KEY].label, FIELD[NAME].label, CLASS.label, "Opmerking"])
    ws.append(["0001", "Anna", '="3"&"B"', "=1/0"])  # a script's formulas: no result saved
    ws.append(["0002", "Bram", "3C", "x"])
    ws.append(["0003", "Cees", "3D", "=NA()"])
    wb.save(path)
    return path


def test_an_xlsx_formula_without_its_result_fails_its_row_naming_the_cell(tmp_path: Path) -> None:
    """A workbook written by a program that does not calculate holds formulas without
    results: read as values those cells would be empty, and the form filled without them."""
    rows = read(formula_sheet(tmp_path / "script.xlsx"), ignore_unknown=True)
    assert [r.row for r in rows] == [2, 3, 4]
    assert rows[0].raw is None and rows[0].error is not None
    message = str(rows[0].error)
    assert "script.xlsx, row 2" in message and "cell C2 holds a formula" in message and "LibreOffice" in message
    assert "D2" not in message  # the column left aside is not read
    assert rows[1].raw is not None and rows[1].raw[CLASS.name] == "3C"
    assert rows[2].raw is not None and rows[2].raw[CLASS.name] == "3D"


def test_xlsx_formulas_with_their_results_read_as_their_results_and_errors_fail(tmp_path: Path) -> None:
    """Excel and LibreOffice save each formula's result beside it: that is the value. An
    empty text result is a value too; an error result (#N/A) is not."""
    path = formula_sheet(tmp_path / "excel.xlsx")

    def computed(xml: str) -> str:
        xml = xml.replace('<c r="C2"><f>"3"&amp;"B"</f><v></v></c>', '<c r="C2" t="str"><f>"3"&amp;"B"</f><v>3B</v></c>')
        xml = xml.replace('<c r="D2"><f>1/0</f><v></v></c>', '<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
        xml = xml.replace('<c r="A3" t="inlineStr"><is><t>0002</t></is></c>', '<c r="A3" t="str"><f>"0002"</f><v>0002</v></c>')
        xml = xml.replace('<c r="C3" t="inlineStr"><is><t>3C</t></is></c>', '<c r="C3" t="str"><f>""</f><v></v></c>')
        xml = xml.replace('<c r="C4" t="inlineStr"><is><t>3D</t></is></c>', '<c r="C4" t="e"><f>NA()</f><v>#N/A</v></c>')
        assert xml.count("<v></v>") == 2, xml  # C3's empty text, D4's uncomputed formula (left aside)
        return xml

    rows = read(with_sheet_xml(path, computed), ignore_unknown=True)
    assert rows[0].raw is not None and rows[0].raw[CLASS.name] == "3B"  # D2's error is in a column left aside
    assert rows[1].raw is not None and rows[1].raw[KEY] == "0002" and rows[1].raw[CLASS.name] in (None, "")
    assert rows[2].raw is None and "cell C4 holds the error #N/A, not a value" in str(rows[2].error)


def test_xlsx_reads_a_sheet_by_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "klas.xlsx")
    assert raws(read(path, sheet="Klas 3C")) == [{NAME: "Łukasz Özdemir"}]
    assert raws(read(path, sheet="klas 3c")) == [{NAME: "Łukasz Özdemir"}]


def test_an_unknown_sheet_is_an_input_error_listing_the_sheets(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r'no sheet "Klas 4A" \(the sheets are "Leerlingen", "Klas 3C"\)'):
        read_records(write_xlsx(tmp_path / "klas.xlsx"), SPEC, sheet="Klas 4A")


def test_an_xlsx_reader_can_be_read_twice(tmp_path: Path) -> None:
    with read_records(write_xlsx(tmp_path / "klas.xlsx"), SPEC) as reader:
        assert [r.row for r in reader] == [r.row for r in reader] == [3, 4, 6]


def test_a_broken_xlsx_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "kapot.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match=r"kapot\.xlsx: not a readable \.xlsx workbook"):
        read_records(path, SPEC)


# ---------------------------------------------------------------------------------------
# JSON and JSON Lines


def test_a_json_array_of_objects_is_read_with_record_indexes(tmp_path: Path) -> None:
    path = write_json(tmp_path / "klas.json", [{KEY: "0123", NAME: "Zoë"}, {}, {KEY: "0456", NAME: "Noël"}])
    rows = read(path)
    assert raws(rows) == [{KEY: "0123", NAME: "Zoë"}, {KEY: "0456", NAME: "Noël"}]
    assert [r.row for r in rows] == [1, 3]


def test_one_json_object_is_one_record(tmp_path: Path) -> None:
    assert raws(read(write_json(tmp_path / "een.json", {NAME: "Zoë"}))) == [{NAME: "Zoë"}]


def test_nested_json_objects_flatten_with_dots_and_lists_become_numbered_lines(tmp_path: Path) -> None:
    head, _, tail = MULTILINE.name.partition(".")
    nested: dict[str, object] = {}
    for name, value in ((NAME, "Zoë"), (KEY, "0123")):
        first, _, rest = name.partition(".")
        nested.setdefault(first, {})[rest] = value  # type: ignore[index]
    nested.setdefault(head, {})[tail] = ["Lezen", "Rekenen"]  # type: ignore[index]
    (raw,) = raws(read(write_json(tmp_path / "genest.json", [nested])))
    assert raw[NAME] == "Zoë" and raw[MULTILINE.name] == ["Lezen", "Rekenen"]
    assert coerce_record(raw, SPEC, row=1, source="genest.json")[MULTILINE.name] == "1. Lezen\n2. Rekenen"


def test_a_json_item_that_is_not_an_object_is_a_row_error(tmp_path: Path) -> None:
    rows = read(write_json(tmp_path / "klas.json", [{NAME: "Zoë"}, "geheim", {NAME: "Noël"}]))
    assert [r.row for r in rows] == [1, 2, 3]
    assert (
        rows[1].error is not None and "not a JSON object" in str(rows[1].error) and "geheim" not in str(rows[1].error)
    )


def test_invalid_json_and_doubled_keys_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "kapot.json"
    bad.write_text('[{"leerling.naam": "Zoë",}]', encoding="utf-8")
    with pytest.raises(InputError, match=r"kapot\.json: not valid JSON .*line 1"):
        read_records(bad, SPEC)
    doubled = tmp_path / "dubbel.json"
    doubled.write_text(f'{{"{NAME}": "a", "{NAME}": "b"}}', encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        read_records(doubled, SPEC)


def test_an_unknown_json_key_anywhere_in_the_file_is_an_input_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "klas.json", [{NAME: "Zoë"}, {NAME: "Noël", "schoenmaat": 38}])
    with pytest.raises(InputError, match=r'unknown key\(s\) "schoenmaat"'):
        read_records(path, SPEC)
    assert raws(read(path, ignore_unknown=True)) == [{NAME: "Zoë"}, {NAME: "Noël"}]


def test_an_extract_record_is_read_from_its_fields(tmp_path: Path) -> None:
    record = {
        "source": "terug/3B.pdf",
        "form": SPEC.form_id,
        "version": SPEC.version,
        "method": "acroform",
        "fields": {f.name: "" for f in SPEC.value_fields} | {NAME: "Zoë"},
        "signed": {f.name: True for f in SPEC.signature_fields},
        "review": [],
        "warnings": [],
    }
    other = dict(record, form="ander-formulier")
    with read_records(write_json(tmp_path / "extract.json", [record, other]), SPEC) as reader:
        rows = list(reader)
        assert any("extract records" in n for n in reader.notices)
    assert rows[0].raw is not None and rows[0].raw[NAME] == "Zoë"
    assert rows[1].error is not None and "another form" in str(rows[1].error)


def test_json_lines_with_a_bad_line_give_a_row_error_and_go_on(tmp_path: Path) -> None:
    path = tmp_path / "klas.jsonl"
    lines = [json.dumps({NAME: "Zoë"}), "", "{kapot", json.dumps({NAME: "Noël", KEY: "0456"}), "[1, 2]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = read(path)
    assert [r.row for r in rows] == [1, 3, 4, 5]
    assert rows[0].raw == {NAME: "Zoë"} and rows[2].raw == {NAME: "Noël", KEY: "0456"}
    assert rows[1].error is not None and rows[1].error.row == 3 and "not valid JSON" in str(rows[1].error)
    assert rows[3].error is not None and "not a JSON object" in str(rows[3].error)


def test_ndjson_is_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "klas.ndjson"
    path.write_text(json.dumps({NAME: "Zoë"}) + "\n", encoding="utf-8")
    assert raws(read(path)) == [{NAME: "Zoë"}]


# ---------------------------------------------------------------------------------------
# Headers


def odd_spellings(text: str) -> list[str]:
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return [f"  {text.upper()}  ", stripped.replace(" ", "_"), text.replace(".", " ").title(), f"{text}:"]


def test_every_name_label_and_alias_matches_in_any_case_accents_or_spacing(tmp_path: Path) -> None:
    misses = []
    for f in SPEC.value_fields:
        for text in (f.name, f.label, *f.aliases):
            for header in odd_spellings(text):
                path = write_csv(tmp_path / "kop.csv", [[header], ["1"]], delimiter=";")
                with read_records(path, SPEC) as reader:
                    if reader.fields != (f.name,):
                        misses.append((header, f.name, reader.fields))
    assert misses == []


def test_normalize_header_drops_accents_case_and_punctuation() -> None:
    assert normalize_header(" Zorg-coördinator: ") == normalize_header("zorg_coordinator") == "zorgcoordinator"
    assert normalize_header("Mentor / directe begeleider") == "mentordirectebegeleider"


def test_the_name_is_composed_from_roepnaam_tussenvoegsel_and_achternaam(tmp_path: Path) -> None:
    parts = [p[0] for p in COMPOSITE.parts]
    path = write_csv(
        tmp_path / "export.csv",
        [
            [FIELD[KEY].label, *(p.upper() for p in parts)],
            ["1", "Zoë", "van der", "Berg"],
            ["2", " Anaïs ", "", "Noël"],
        ],
        delimiter=";",
    )
    with read_records(path, SPEC) as reader:
        assert set(reader.fields) == {KEY, COMPOSITE.field}
        assert [r[COMPOSITE.field] for r in raws(list(reader))] == ["Zoë van der Berg", "Anaïs Noël"]


def test_parts_beside_the_field_itself_are_unknown_columns(tmp_path: Path) -> None:
    parts = [p[0] for p in COMPOSITE.parts]
    path = write_csv(
        tmp_path / "beide.csv", [[FIELD[COMPOSITE.field].label, parts[0], parts[-1]], ["Zoë", "Zoë", "Berg"]]
    )
    with pytest.raises(InputError, match=f'unknown column.*"{parts[0]}"'):
        read_records(path, SPEC)


def test_unknown_columns_are_an_input_error_naming_all_of_them(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "klas.csv",
        [[FIELD[NAME].label, "Schoenmaat", CLASS.label, "Lievelingskleur"], ["Zoë", "38", "3B", "blauw"]],
    )
    with pytest.raises(InputError) as info:
        read_records(path, SPEC)
    message = str(info.value)
    assert message.startswith(str(path))
    told = message.removeprefix(str(path))  # the temporary folder's name may hold any digits
    assert '"Schoenmaat" (column B)' in told and '"Lievelingskleur" (column D)' in told
    assert "38" not in told and "blauw" not in told
    assert "--map FILE" in told and "--ignore-unknown" in told  # what to type to go on


def test_ignore_unknown_reads_the_rest_and_names_the_ignored_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "klas.csv", [[FIELD[NAME].label, "Schoenmaat"], ["Zoë", "38"], ["", "39"]])
    with read_records(path, SPEC, ignore_unknown=True) as reader:
        rows = list(reader)
        assert any('"Schoenmaat" (column B)' in n for n in reader.notices)
    assert rows[0].raw == {NAME: "Zoë"}
    assert rows[1].error is not None and "no value in any of the form's columns" in str(rows[1].error)


def test_a_first_row_of_data_instead_of_a_header_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "geenkop.csv", [["Zoë van der Berg", "3B"], ["Anaïs Noël", "3C"]])
    with pytest.raises(InputError, match="no column matches a field") as info:
        read_records(path, SPEC)
    assert "Zoë" not in str(info.value)


def test_two_columns_for_the_same_field_are_an_input_error_naming_both(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dubbel.csv", [[CLASS.label, CLASS.name], ["3B", "3B"]])
    with pytest.raises(
        InputError, match=rf'"{CLASS.label}" \(column A\) and "{CLASS.name}" \(column B\) all give {CLASS.name}'
    ):
        read_records(path, SPEC)


def test_a_mapping_takes_precedence_and_can_ignore_a_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "eigen.csv", [["Naam kind", CLASS.label, "Opmerking"], ["Zoë", "3B", "vrij"]])
    mapping = {"naam KIND": NAME, CLASS.label: KEY, "Opmerking": ""}
    assert raws(read(path, mapping=mapping)) == [{NAME: "Zoë", KEY: "3B"}]


def test_a_mapping_to_an_unknown_field_is_a_usage_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "klas.csv", [HEADER, *ROWS])
    with pytest.raises(UsageError, match="leerling.schoenmaat"):
        read_records(path, SPEC, mapping={"Schoenmaat": "leerling.schoenmaat"})


def test_a_mapping_file_is_json_or_a_two_column_csv(tmp_path: Path) -> None:
    as_json = write_json(tmp_path / "map.json", {"Naam kind": NAME, "Opmerking": None})
    assert load_mapping(as_json, SPEC) == {"Naam kind": NAME, "Opmerking": ""}
    as_csv = tmp_path / "map.csv"
    as_csv.write_text(f"kolom;veld\nNaam kind;{NAME}\nOpmerking;\n", encoding="utf-8")
    assert load_mapping(as_csv, SPEC) == {"Naam kind": NAME, "Opmerking": ""}
    bad = tmp_path / "fout.csv"
    bad.write_text(f"Naam kind,{NAME}\nKlas,leerling.groep\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"fout\.csv, line 2: 'leerling.groep' is no field"):
        load_mapping(bad, SPEC)


def test_signature_columns_are_passed_on_with_a_notice_and_stay_unsigned(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "export.csv", [[NAME, SIGNATURE.name], ["Zoë", "true"], ["Noël", "Handtekening"]])
    with read_records(path, SPEC) as reader:
        rows = list(reader)
        assert any(SIGNATURE.name in n and "signature" in n for n in reader.notices)
    good, bad = (check_record(r.raw or {}, SPEC, row=r.row, source=r.source) for r in rows)
    assert good[0] is not None and SIGNATURE.name not in good[0]
    assert bad[0] is None and bad[1][0].field == SIGNATURE.name


def test_the_envelope_columns_of_an_extract_export_are_ignored_but_the_form_is_checked(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        [
            ["source", "form", "version", NAME],
            ["a.pdf", SPEC.form_id, SPEC.version, "Zoë"],
            ["b.pdf", "ander", "1", "Noël"],
        ],
    )
    with read_records(path, SPEC) as reader:
        rows = list(reader)
        assert any('"source" (column A)' in n for n in reader.notices)
    assert rows[0].raw == {NAME: "Zoë"}
    assert rows[1].error is not None and "another form" in str(rows[1].error)


# ---------------------------------------------------------------------------------------
# Files and options


def test_unknown_and_old_file_kinds_are_input_errors(tmp_path: Path) -> None:
    for name, pattern in (("klas.pdf", "unknown kind of data file"), ("klas.xls", r"save it as \.xlsx")):
        (tmp_path / name).write_bytes(b"x")
        with pytest.raises(InputError, match=pattern):
            read_records(tmp_path / name, SPEC)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_records(tmp_path / "weg.csv", SPEC)


def test_options_that_do_not_fit_the_file_are_usage_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "klas.csv", [HEADER, *ROWS])
    with pytest.raises(UsageError, match="sheet"):
        read_records(path, SPEC, sheet="Blad1")
    json_path = write_json(tmp_path / "klas.json", [{NAME: "Zoë"}])
    with pytest.raises(UsageError, match="delimiter"):
        read_records(json_path, SPEC, delimiter=";")


def test_rows_read_from_every_format_coerce_to_the_same_values(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "klas.csv", [HEADER, *ROWS], delimiter=";", encoding="utf-8-sig")
    json_path = write_json(tmp_path / "klas.json", EXPECTED)
    jsonl_path = tmp_path / "klas.jsonl"
    jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in EXPECTED), encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in [HEADER, *ROWS]:
        ws.append(r)
    xlsx_path = tmp_path / "klas.xlsx"
    wb.save(xlsx_path)
    results = []
    for path in (csv_path, json_path, jsonl_path, xlsx_path):
        results.append([coerce_record(raw, SPEC, row=1, source=str(path)) for raw in raws(read(path))])
    assert results[0] == results[1] == results[2] == results[3]
    assert results[0][0][MULTILINE.name] == EXPECTED[0][MULTILINE.name]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 1 << 20])
def test_the_line_of_the_first_undecodable_byte_is_counted_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str, chunk: int
) -> None:
    """Lines are counted only once a bad byte is found, from the file itself: the same
    line as decoding it whole gives, wherever the reads break the file."""
    import codecs

    from oppforms.sources import encodings

    monkeypatch.setattr(encodings, "_CHUNK", chunk)
    good = "Zoë\nNoël\r\nÇa –\n’\nt\n\n".encode(encoding)
    bad = {"utf-8": b"\xff", "utf-16": b"\x00\xdc", "cp1252": b"\x81"}[encoding]  # a lone low surrogate in UTF-16
    for cut in range(0, len(good) + 1, 2 if encoding == "utf-16" else 1):
        data = good[:cut] + bad + good[cut:]
        path = tmp_path / "kapot.txt"
        path.write_bytes(data)
        try:  # the reference: the whole file decoded at once
            codecs.getincrementaldecoder(encoding)("strict").decode(data, final=True)
            expected = None
        except UnicodeDecodeError as exc:
            expected = 1 + data[: exc.start].count(b"\n")
        assert encodings._first_bad_line(path, "kapot.txt", encoding) == expected, (cut, data)


def test_a_json_file_read_whole_is_decoded_once_with_the_detected_encoding(tmp_path: Path) -> None:
    from oppforms.sources.encodings import _detect_encoding, utf8_text

    samples = [b'[{"a": "Zo\xc3\xab"}]', b"\xef\xbb\xbf[]", b"[\x00]", b'["Zo\xeb"]', b"\xff\xfe[\x00]\x00", b"[]", b""]
    for i, data in enumerate(samples):
        path = tmp_path / f"{i}.json"
        path.write_bytes(data)
        text = utf8_text(data)
        try:
            detected = _detect_encoding(path, path.name, None)
        except InputError:
            detected = None
        if text is not None:
            assert detected == ("utf-8", None) and text == data.decode("utf-8")
        else:
            assert detected != ("utf-8", None)
