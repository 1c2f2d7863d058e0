"""The command line: commands, output formats, exit codes, and the README's coverage."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader

from oppforms.cli import cli

from .conftest import ROOT
from .test_form_pdf import CONTRACT_DATES, CONTRACT_MULTILINE, CONTRACT_SIGNATURES, CONTRACT_TEXT


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oppforms", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_blank_writes_the_fillable_form(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "leeg.pdf"
    result = run("blank", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert len(PdfReader(out).get_fields() or {}) > 48
    assert not list(out.parent.glob("*.part"))


def test_fields_json_lists_every_contract_field_with_page_and_rectangle() -> None:
    result = run("fields", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows[0]["name"] == "leerling.naam"  # the form's order: contract order, then page by page
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == set(CONTRACT_TEXT + CONTRACT_MULTILINE + CONTRACT_DATES + CONTRACT_SIGNATURES)
    assert {r["kind"] for r in rows} == {"text", "date", "signature"}
    for name in CONTRACT_DATES:
        assert by_name[name]["kind"] == "date"
    for name in CONTRACT_SIGNATURES:
        assert by_name[name]["kind"] == "signature" and by_name[name]["page"] == 3
    naam = by_name["leerling.naam"]
    assert naam["page"] == 1 and [w["page"] for w in naam["widgets"]] == [1, 4]
    x0, y0, x1, y1 = naam["rect"]
    assert 0 <= x0 < x1 <= 595.28 and 0 <= y0 < y1 <= 841.89
    assert by_name["begeleiding.zorgcoordinator"]["label"] == "Zorgcoördinator"


def test_fields_prints_a_readable_table() -> None:
    result = run("fields")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 48
    assert lines[0].startswith("leerling.naam") and "p.1" in lines[0] and "Naam leerling" in lines[0]


def test_schema_is_a_valid_2020_12_schema_that_accepts_a_complete_record() -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    record = {
        "source": "terug/2b-voorbeeld.pdf",
        "form": "opp-kort",
        "version": "1",
        "method": "acroform",
        "fields": {name: "" for name in CONTRACT_TEXT + CONTRACT_MULTILINE + CONTRACT_DATES},
        "signed": {name: False for name in CONTRACT_SIGNATURES},
        "review": [{"field": "doelen.school", "reason": "handwriting added on paper", "page": 1}],
        "warnings": [],
    }
    record["fields"]["leerling.naam"] = "Zoë van der Berg"
    record["fields"]["akkoord.leerling.start.datum"] = "2026-09-14"
    jsonschema.validate(record, schema)
    bad = json.loads(json.dumps(record))
    bad["fields"]["akkoord.leerling.start.datum"] = "14-09-2026"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    del bad["fields"]["leerling.naam"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_wrong_usage_exits_with_2_and_says_what_is_wrong() -> None:
    result = run("blank")
    assert result.returncode == 2
    assert "Missing option" in result.stderr
    assert run("no-such-command").returncode == 2


def test_an_unwritable_output_exits_with_6(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("blank", "-o", str(blocker / "leeg.pdf"))
    assert result.returncode == 6
    assert result.stderr.startswith("oppforms: error:")


def test_a_bad_spec_exits_with_3_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "stuk.toml"
    bad.write_text('[form]\nid = "x"\n', encoding="utf-8")
    result = run("build-form", "--spec", str(bad), "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 3
    assert "stuk.toml" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_every_command_has_help_with_an_example() -> None:
    for name in cli.commands:
        result = run(name, "--help")
        assert result.returncode == 0
        assert re.search(r"Examples?:", result.stdout), name


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\boppforms ([a-z][a-z-]+)", readme))
    missing = set(cli.commands) - documented
    assert not missing, f"commands not in README.md: {sorted(missing)}"


def test_the_progress_bar_of_fill_counts_every_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bar is drawn at most ten times a second, and still ends at the number of rows."""
    import click

    from oppforms.cli import main
    from oppforms.cli_text import NoBar

    steps: list[int] = []

    class Bar(NoBar):  # the command's own stand-in bar, counting what it is given
        def update(self, n: int) -> None:
            steps.append(n)

    samples = json.loads((ROOT / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))
    data = tmp_path / "rows.json"
    data.write_text(json.dumps([dict(samples[i % 12], **{"leerling.nummer": f"{i:06d}"}) for i in range(30)]), encoding="utf-8")
    monkeypatch.setattr(click, "progressbar", lambda **kwargs: Bar())
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with pytest.raises(SystemExit) as exit_:
        main(["fill", str(data), "-o", str(tmp_path / "out")])
    assert exit_.value.code == 0
    assert sum(steps) == 30 and all(n > 0 for n in steps)
