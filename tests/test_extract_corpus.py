"""Real PDFs from other tools and hostile PDFs (../shared/corpus): every file ends in a
named status, in seconds, and actions are reported, never run.

Skipped, with the reason, when the shared corpus is not beside the checkout.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pikepdf
import pytest

from oppforms.extract import FileResult, Limits, extract_many
from oppforms.extract.acroform import field_tree, text_value
from oppforms.records import FileStatus

#: What each hostile file ends as; every real form from another tool is "not this form".
HOSTILE = {
    "Pages-tree-refs.pdf": FileStatus.MALFORMED,  # a loop in the page tree
    "pages-loop.pdf": FileStatus.MALFORMED,
    "issue-143.pdf": FileStatus.MALFORMED,  # no page tree to be found
    "issue-146.pdf": FileStatus.MALFORMED,  # no trailer
    "issue-150.pdf": FileStatus.MALFORMED,
    "append-xref-loop.pdf": FileStatus.NOT_THIS_FORM,  # repaired, then read
    "bad-xref.pdf": FileStatus.NOT_THIS_FORM,
    "cyclic-toc.pdf": FileStatus.NOT_THIS_FORM,
    "issue-1113-evil-xobjects.pdf": FileStatus.NOT_THIS_FORM,
    "operator_list_cycle.pdf": FileStatus.NOT_THIS_FORM,
    "outlines-with-loop.pdf": FileStatus.NOT_THIS_FORM,
    "xref_command_missing.pdf": FileStatus.NOT_THIS_FORM,
    "zen_of_python_corrupted.pdf": FileStatus.NOT_THIS_FORM,
    "issue6106.pdf": FileStatus.NOT_THIS_FORM,
    "issue17846.pdf": FileStatus.NOT_THIS_FORM,
    "xfa_issue14315.pdf": FileStatus.NOT_THIS_FORM,
    "r6-user-password.pdf": FileStatus.NOT_THIS_FORM,  # the empty owner password opens it
}


@pytest.fixture(scope="module")
def results(corpus: Path) -> dict[str, FileResult]:
    files = sorted(corpus.rglob("*.pdf"))
    out = list(extract_many(files, jobs=2, limits=Limits(seconds=20, memory_mb=512)))
    return {str(Path(r.source).relative_to(corpus)): r for r in out}


def test_every_corpus_file_ends_in_a_named_status_with_a_reason(results: dict[str, FileResult]) -> None:
    assert len(results) >= 38
    for name, result in results.items():
        assert result.status in set(FileStatus), name
        assert result.reason, name
        assert not result.records, name


def test_every_real_form_from_another_tool_is_not_this_form(results: dict[str, FileResult]) -> None:
    forms = {n: r for n, r in results.items() if n.startswith("forms/")}
    assert len(forms) >= 21
    assert {n: r.status for n, r in forms.items()} == dict.fromkeys(forms, FileStatus.NOT_THIS_FORM)
    assert all("other fields" in r.reason for r in forms.values()), {n: r.reason for n, r in forms.items()}


@pytest.mark.parametrize(("name", "status"), sorted(HOSTILE.items()))
def test_each_hostile_file_ends_as_expected(name: str, status: FileStatus, results: dict[str, FileResult]) -> None:
    assert results[f"hostile/{name}"].status is status, results[f"hostile/{name}"].reason


def test_javascript_and_launch_actions_in_the_corpus_are_reported(results: dict[str, FileResult]) -> None:
    assert "holds JavaScript, which was not run" in results["hostile/issue6106.pdf"].notes
    assert any("launch action" in n for n in results["hostile/issue17846.pdf"].notes)


def test_damaged_files_that_could_be_repaired_say_so(results: dict[str, FileResult]) -> None:
    assert "damaged; repaired while reading" in results["hostile/bad-xref.pdf"].notes


def test_the_encrypted_corpus_file_opens_with_its_user_password_too(corpus: Path) -> None:
    (result,) = extract_many([corpus / "hostile" / "r6-user-password.pdf"], passwords=["asdfzxcv"])
    assert result.status is FileStatus.NOT_THIS_FORM
    assert "encrypted; opened with a password given" in result.notes


def test_the_field_walk_reads_real_forms_as_pypdf_does(corpus: Path) -> None:
    """Every text field value of the 21 real forms (Acrobat, LibreOffice, pdf.js, pdfcpu,
    iText/pdftk, Sejda …), compared with pypdf's own reading of them."""
    from pypdf import PdfReader

    compared = 0
    for path in sorted((corpus / "forms").glob("*.pdf")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = {
                name: str(f.get("/V")) if f.get("/V") is not None else ""
                for name, f in (PdfReader(path).get_fields() or {}).items()
                if f.get("/FT") == "/Tx"
            }
        with pikepdf.open(path) as pdf:
            ours = {name: text_value(f.value) for name, f in field_tree(pdf).fields.items() if f.kind == "/Tx"}
        for name in ours.keys() & theirs.keys():
            assert ours[name] == theirs[name], (path.name, name)
            compared += 1
        assert len(ours.keys() & theirs.keys()) >= len(theirs) - 1, path.name
    assert compared > 800
