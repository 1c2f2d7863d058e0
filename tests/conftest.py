"""Shared fixtures. Test data is fictional; nothing here names a real pupil."""

from __future__ import annotations

from pathlib import Path

import pytest

from oppforms.build import build_pdf
from oppforms.spec import FormSpec, current_spec, shipped_pdf_path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
#: The team's shared folder beside the checkout (present in CI, maybe not elsewhere).
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    return current_spec()


@pytest.fixture(scope="session")
def built_pdf(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The form freshly built from the spec (not the shipped file)."""
    path = tmp_path_factory.mktemp("built") / "opp-kort.pdf"
    path.write_bytes(build_pdf(spec))
    return path


@pytest.fixture(scope="session")
def shipped_pdf(spec: FormSpec) -> Path:
    return shipped_pdf_path(spec)


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip("the shared PDF corpus (../shared/corpus) is not beside this checkout")
    return path


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests read the command line's messages in English, whatever the machine's locale
    (the CLI follows LANG/LC_MESSAGES; tests of the Dutch messages set their own)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
