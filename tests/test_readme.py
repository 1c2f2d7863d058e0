"""The README's Python examples run as written (each ```python block on its own, in a
folder holding what the examples name: returned forms in terug/ and 004512.pdf), so the
README stays true."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from oppforms.batch import fill_many

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLES = ROOT / "samples" / "opp-leerlingen.json"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _BLOCK.finditer(text)]


BLOCKS = python_blocks()


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forms filled from two of the fictional samples, as they might come back."""
    out = tmp_path_factory.mktemp("filled")
    records = json.loads(SAMPLES.read_text(encoding="utf-8"))[:2]
    results = list(fill_many(records, out))
    assert all(r.status == "ok" for r in results), [r.reason for r in results]
    return out


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"README.md line {line}" for line, _ in BLOCKS])
def test_a_readme_python_example_runs_as_written(
    line: int, code: str, returned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terug = tmp_path / "terug"
    terug.mkdir()
    for pdf in returned.glob("*.pdf"):
        shutil.copy(pdf, terug / pdf.name)
    shutil.copy(returned / "004512.pdf", tmp_path / "004512.pdf")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "readme_example"})  # noqa: S102


def test_template_fill_gives_a_filled_form_whose_data_is_the_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (line, code) = next((n, c) for n, c in BLOCKS if "Template.for_spec" in c)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "readme_example"})  # noqa: S102
    assert (tmp_path / "004512-ingevuld.pdf").read_bytes().startswith(b"%PDF-")
