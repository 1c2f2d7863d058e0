"""The message catalogue: every message the code marks has its Dutch translation, the shipped
.mo files are the .po files compiled, and stored English texts come back in Dutch with their
numbers, field names and values intact."""

from __future__ import annotations

import ast
import gettext
import json
import os
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from oppforms import i18n
from oppforms.i18n import cli_language, format_message, nformat, status_label, translate
from oppforms.records import FileStatus

from .conftest import ROOT

babel = pytest.importorskip("babel", reason="Babel (a test dependency: pip install -e '.[test]') reads the .po files")
from babel.messages.extract import extract_from_dir  # noqa: E402
from babel.messages.pofile import read_po  # noqa: E402

PACKAGE = ROOT / "oppforms"
LOCALE = PACKAGE / "locale"
#: The markers the catalogue is gathered by (as scripts/catalogue.sh passes them to pybabel).
KEYWORDS = {
    "N_": None,
    "NC_": ((1, "c"), 2),
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "format_message": None,
    "nformat": (1, 2),
    "_": None,
    "_n": (1, 2),
}
PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}]*)?\}")


def po(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALE / lang / "LC_MESSAGES" / "oppforms.po", "rb") as fh:
        return read_po(fh)


def marked_messages() -> set[tuple[str | None, str | tuple[str, ...]]]:
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(PACKAGE), keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        found.add((context, message if isinstance(message, str) else tuple(message)))
    return found


def test_every_message_marked_in_the_code_has_a_dutch_and_an_english_translation() -> None:
    marked = marked_messages()
    assert len(marked) > 150  # the scan, extract, fill and CLI messages, not an empty walk
    for lang in ("nl", "en"):
        catalogue = po(lang)
        problems = []
        for context, message in sorted(marked, key=str):
            entry = catalogue.get(message, context=context)
            if entry is None:
                problems.append(f"missing: {message!r}")
            elif entry.fuzzy or not all(entry.string if isinstance(entry.string, tuple) else [entry.string]):
                problems.append(f"untranslated or fuzzy: {message!r}")
        assert not problems, f"{lang}: run bash scripts/catalogue.sh and translate:\n" + "\n".join(problems)


def test_the_catalogues_hold_no_message_the_code_no_longer_marks() -> None:
    marked = marked_messages()
    for lang in ("nl", "en"):
        stale = [m.id for m in po(lang) if m.id and (m.context, m.id if isinstance(m.id, str) else tuple(m.id)) not in marked]
        assert not stale, f"{lang}: obsolete messages (run bash scripts/catalogue.sh): {stale}"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_shipped_mo_file_is_its_po_file_compiled(lang: str) -> None:
    with open(LOCALE / lang / "LC_MESSAGES" / "oppforms.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    entries = [m for m in po(lang) if m.id]
    for m in entries:
        if isinstance(m.id, tuple):
            for n, want in ((1, m.string[0]), (2, m.string[1])):
                assert compiled.ngettext(m.id[0], m.id[1], n) == want, m.id
        elif m.context:
            assert compiled.pgettext(m.context, m.id) == m.string, m.id
        else:
            assert compiled.gettext(m.id) == m.string, m.id
    # and nothing more: every message in the .mo comes from the .po
    assert len([k for k in compiled._catalog if k != ""]) == sum(  # type: ignore[attr-defined]
        2 if isinstance(m.id, tuple) else 1 for m in entries
    )


def test_every_translation_keeps_the_placeholders_of_its_message() -> None:
    for m in po("nl"):
        if not m.id:
            continue
        if isinstance(m.id, tuple):  # a plural: each form may leave out the count, nothing else
            want = set(PLACEHOLDER.findall(m.id[1]))
            for s in m.string:
                assert want - {"n"} <= set(PLACEHOLDER.findall(s)) <= want, m.id
        else:
            assert set(PLACEHOLDER.findall(m.string)) == set(PLACEHOLDER.findall(m.id)), m.id


def test_the_package_data_ships_the_compiled_catalogues() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    globs = [*package_data.get("oppforms", []), *package_data.get("*", [])]  # the package's own, or every package's
    for lang in ("nl", "en"):
        rel = f"locale/{lang}/LC_MESSAGES/oppforms.mo"
        assert (PACKAGE / rel).is_file()
        assert any(fnmatch(rel, g) for g in globs), rel


#: Where the library makes texts a school user reads: review items, file reasons, warnings.
MESSAGE_MODULES = ["extract", "scan", "batch.py", "intake.py", "values.py", "fill.py"]


def test_no_reason_or_warning_is_written_as_an_unmarked_literal() -> None:
    """A review reason, a file's reason or a warning is an N_() message (or built from one),
    never an f-string or a bare English literal the catalogue cannot know."""

    def literal(node: ast.expr) -> bool:
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
            return True
        if isinstance(node, ast.BinOp):
            return literal(node.left) or literal(node.right)
        if isinstance(node, ast.IfExp):
            return literal(node.body) or literal(node.orelse)
        return False

    problems = []
    for part in MESSAGE_MODULES:
        paths = [PACKAGE / part] if part.endswith(".py") else sorted((PACKAGE / part).rglob("*.py"))
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                args: list[ast.expr] = [k.value for k in node.keywords if k.arg == "reason"]
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name == "ReviewItem" and node.args:
                    args.append(node.args[0])
                target = node.func.value if isinstance(node.func, ast.Attribute) else None
                owner = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                if name == "append" and str(owner).endswith(("warnings", "notes", "notices")) and node.args:
                    args.append(node.args[0])
                if name == "_Problem" and node.args:
                    args.append(node.args[0])
                problems += [f"{path.relative_to(ROOT)}:{a.lineno}" for a in args if literal(a)]
    assert not problems, problems


# -- translating what records keep --------------------------------------------------------


def test_a_reason_with_numbers_comes_back_in_dutch_with_the_same_numbers() -> None:
    assert translate("page 3 of 5 is missing from the scan") == "pagina 3 van 5 ontbreekt in de scan"
    assert translate("read with low confidence (61)") == "gelezen met weinig zekerheid (61)"
    assert translate("reading the page took longer than 12.5 s; the rest of it was not read") == (
        "het lezen van de pagina duurde langer dan 12,5 s; de rest is niet gelezen"
    )


def test_a_reason_naming_a_field_keeps_the_field_name_and_translates_the_rest() -> None:
    assert translate("doelen.school: continues on page 6, which was not found") == (
        "doelen.school: gaat verder op pagina 6, maar die is niet gevonden"
    )


def test_a_reason_holding_another_reason_translates_both() -> None:
    nested = "handwriting or marks added on paper (page 2 shows the issued value)"
    assert translate(nested) == "handschrift of tekens op papier toegevoegd (pagina 2 toont de uitgegeven waarde)"
    three_deep = "leerling.geboortedatum: an impossible date (no such day in that month); left empty"
    assert translate(three_deep) == (
        "leerling.geboortedatum: een onmogelijke datum (die dag bestaat niet in die maand); leeg gelaten"
    )


def test_values_read_from_the_paper_are_never_translated() -> None:
    # a pupil's text that happens to be an English message stays exactly as read
    reason = "the scan reads differently from the issued value: scan «page 2 of the form is missing», issued «Jan; page 3»"
    assert translate(reason) == (
        "de scan leest anders dan de uitgegeven waarde: scan «page 2 of the form is missing», uitgegeven «Jan; page 3»"
    )


def test_errors_joined_with_semicolons_are_translated_one_by_one() -> None:
    joined = (
        "klas 3b.csv, row 3, leerling.nummer: 31 characters, at most 20 fit this field; "
        "klas 3b.csv, row 3, leerling.klas: a line break in a one-line field"
    )
    assert translate(joined) == (
        "klas 3b.csv, rij 3, leerling.nummer: 31 tekens, er passen er hooguit 20 in dit veld; "
        "klas 3b.csv, rij 3, leerling.klas: een regeleinde in een veld van één regel"
    )


def test_a_real_fill_error_from_the_library_comes_back_in_dutch() -> None:
    from oppforms.spec import current_spec
    from oppforms.values import coercer_for

    spec = current_spec()
    date_field = next(f.name for f in spec.value_fields if f.kind.value == "date")
    _values, errors = coercer_for(spec).check(
        {date_field: "31-02-2027", "leerling.klas": "3B\n4A", "geen.veld": "x"}, row=7, source="leerlingen.csv"
    )
    english = "; ".join(str(e) for e in errors)
    dutch = translate(english)
    assert "een onmogelijke datum (die dag bestaat niet in die maand)" in dutch
    assert "een regeleinde in een veld van één regel" in dutch
    assert "onbekend(e) veld(en) geen.veld" in dutch
    assert dutch.count("leerlingen.csv, rij 7") == 3
    assert not re.search(r"\b(row|impossible|unknown|break)\b", dutch), dutch


def test_text_the_catalogue_does_not_know_comes_back_unchanged() -> None:
    assert translate("something no message says") == "something no message says"
    assert translate("") == ""


def test_english_is_the_stored_text_itself() -> None:
    text = "page 3 of 5 is missing from the scan"
    assert translate(text, "en") == text
    assert translate(text, "en_GB.UTF-8") == text
    assert translate(text, "de") == text  # no German catalogue: English


def test_every_file_status_has_a_dutch_label_and_its_own_value_in_english() -> None:
    labels = {status: status_label(status) for status in FileStatus}
    assert labels[FileStatus.REVIEW] == "controleren"
    assert all(label != str(status) for status, label in labels.items())
    assert len(set(labels.values())) == len(labels)
    assert all(status_label(status, "en") == str(status) for status in FileStatus)


def test_a_fill_status_and_a_file_status_of_the_same_value_have_their_own_labels() -> None:
    assert status_label("ok", of="fill") == "ingevuld"
    assert status_label("ok", of="file") == "gelezen"
    assert status_label("review", of="signature") == "controleren"
    assert status_label("something new") == "something new"
    with pytest.raises(ValueError):
        status_label("ok", of="nothing")


def test_formatted_messages_take_their_placeholders_and_plural_forms() -> None:
    assert format_message("page {page} of {pages} is missing from the scan", "nl", page=2, pages=5) == (
        "pagina 2 van 5 ontbreekt in de scan"
    )
    assert format_message("read with low confidence ({conf:.0f})", "nl", conf=61.4) == "gelezen met weinig zekerheid (61)"
    assert nformat("{n} file", "{n} files", 1, "en") == "1 file"
    assert nformat("{n} file", "{n} files", 3, "en") == "3 files"


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "nl_NL.UTF-8"}, "nl"),
        ({"LANG": "nl_BE.UTF-8"}, "nl"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "nl_NL.UTF-8"}, "nl"),
        ({"LANG": "nl_NL.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "nl:en"}, "nl"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
    ],
)
def test_the_command_line_follows_the_locale(environ: dict[str, str], lang: str) -> None:
    assert cli_language(environ) == lang


def test_the_default_language_is_dutch() -> None:
    assert i18n.DEFAULT_LANGUAGE == "nl"
    assert translate("file not found") == "bestand niet gevonden"


def test_the_catalogue_directory_is_inside_the_package() -> None:
    assert Path(i18n.LOCALE_DIR).resolve().is_relative_to(PACKAGE.resolve())


# -- the command line in the locale's language ---------------------------------------------

SAMPLES_JSON = ROOT / "samples" / "opp-leerlingen.json"


def run_cli(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"LANGUAGE", "LC_ALL", "LC_MESSAGES"}}
    env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "oppforms", *args], capture_output=True, text=True, timeout=300, env=env, check=False
    )


def three_rows_one_bad(tmp_path: Path) -> Path:
    records = json.loads(SAMPLES_JSON.read_text(encoding="utf-8"))[:3]
    records[2]["akkoord.leerling.start.datum"] = "31-02-2027"
    path = tmp_path / "klas 3b.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_fill_speaks_dutch_under_a_dutch_locale_and_keeps_its_exit_code(tmp_path: Path) -> None:
    data = three_rows_one_bad(tmp_path)
    result = run_cli("fill", str(data), "-o", str(tmp_path / "uit"), lang="nl_NL.UTF-8")
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "oppforms: klas 3b.json rij 3: akkoord.leerling.start.datum: een onmogelijke datum (die dag bestaat niet in die maand)" in result.stderr
    assert ", rij 3, " not in result.stderr
    assert "3 rijen: 2 ingevuld, 0 al gedaan, 1 mislukt; verslag: " in result.stderr
    assert "oppforms: fout: 1 rij(en) niet ingevuld; zie " in result.stderr
    # the report keeps the machine values and the English reason (see the README: languages)
    report = (tmp_path / "uit" / "oppforms-report.csv").read_text(encoding="utf-8")
    assert ",failed," in report and "an impossible date" in report


def test_fill_speaks_english_under_any_other_locale(tmp_path: Path) -> None:
    data = three_rows_one_bad(tmp_path)
    result = run_cli("fill", str(data), "-o", str(tmp_path / "out"), lang="en_US.UTF-8")
    assert result.returncode == 1, result.stderr
    assert "oppforms: klas 3b.json row 3: akkoord.leerling.start.datum: an impossible date (no such day in that month)" in result.stderr
    assert ", row 3, " not in result.stderr  # the row's own error named its file and row a second time
    assert "3 rows: 2 filled, 0 already done, 1 failed; report: " in result.stderr
    assert "oppforms: error: 1 row(s) not filled; see " in result.stderr


def test_extract_gives_each_file_a_dutch_status_under_a_dutch_locale(tmp_path: Path) -> None:
    (tmp_path / "kapot.pdf").write_bytes(b"%PDF-1.7\nthis is no PDF at all")
    (tmp_path / "plaatje.txt").write_text("geen pdf", encoding="utf-8")
    result = run_cli("extract", str(tmp_path / "kapot.pdf"), lang="nl_NL.UTF-8")
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == "[]"
    line = next(x for x in result.stderr.splitlines() if "kapot.pdf" in x)
    assert line.startswith("onleesbaar ")
    assert ": geen leesbare pdf (" in line
    assert "1 bestand, 0 formulieren gelezen: 1 onleesbaar" in result.stderr
    assert "oppforms: fout: geen van de bestanden kon worden gelezen" in result.stderr
    english = run_cli("extract", str(tmp_path / "kapot.pdf"), lang="C.UTF-8")
    assert english.returncode == 3
    assert "malformed         " in english.stderr and "not a readable PDF (" in english.stderr
    assert "1 file, 0 forms read: 1 malformed" in english.stderr


def test_no_message_is_marked_inside_an_f_string_where_the_catalogue_cannot_see_it() -> None:
    markers = {"N_", "NC_", "_", "_n", "gettext", "ngettext", "pgettext", "format_message", "nformat"}
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FormattedValue):
                for inner in ast.walk(node.value):
                    if isinstance(inner, ast.Call) and getattr(inner.func, "id", "") in markers and inner.args:
                        if isinstance(inner.args[0], ast.Constant):
                            problems.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not problems, problems


def test_a_real_header_error_naming_several_columns_comes_back_in_dutch(tmp_path: Path) -> None:
    from oppforms.errors import InputError
    from oppforms.intake import ReadOptions, open_sources
    from oppforms.spec import current_spec

    data = tmp_path / "export.csv"
    data.write_text("Naam leerling;Klas;Vak;Cijfer;Lokaal\nZoë;3B;Engels;7;A12\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        open_sources([data], current_spec(), ReadOptions())
    english = str(info.value)
    assert '"Vak" (column C), "Cijfer" (column D) and "Lokaal" (column E)' in english
    dutch = translate(english)
    assert '"Vak" (kolom C), "Cijfer" (kolom D) en "Lokaal" (kolom E)' in dutch
    assert "onbekende kolom(men)" in dutch
    assert "--map BESTAND" in dutch and "--ignore-unknown" in dutch  # the options to type, as they are
    words = re.sub(r"--[a-z-]+", "", dutch)
    assert not re.search(r"\b(column|unknown|and|map)\b", words), dutch


def test_fill_says_its_notices_in_dutch_under_a_dutch_locale(tmp_path: Path) -> None:
    result = run_cli("fill", str(ROOT / "samples" / "opp-leerlingen-win1252.csv"), "-o", str(tmp_path), lang="nl_NL.UTF-8")
    assert result.returncode == 0, result.stderr
    assert "geen UTF-8; gelezen als Windows-1252 (het eerste teken dat geen UTF-8 is staat op regel " in result.stderr
    assert re.search(r"\n\d+ rijen: \d+ ingevuld, 0 al gedaan, 0 mislukt(, \d+ met vervolgpagina's)?; verslag: ", result.stderr)
