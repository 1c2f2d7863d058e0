"""The archive (issue 10): packages, the ledger, verify and its tamper cases, the PDF/A copy,
retention (left, hold, release, due, purge), the index, versions, and safety under
interruption and concurrency. All pupils here are fictional (samples/opp-leerlingen.json).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from oppforms import fill_many
from oppforms.archive import (
    add,
    add_record,
    check_pdfa,
    due,
    history,
    index_rows,
    init_archive,
    packages,
    verify,
)
from oppforms.archive.listing import INDEX_COLUMNS
from oppforms.archive.originals import locate_inputs
from oppforms.cli import main
from oppforms.extract import read_pdf
from oppforms.issued import read_issued
from oppforms.spec import FormSpec

from .conftest import ROOT

SAMPLES = json.loads((ROOT / "samples" / "opp-leerlingen.json").read_text(encoding="utf-8"))
PUPILS = SAMPLES[:3]


# ---------------------------------------------------------------------------------------
# Helpers


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``oppforms ARGS`` in this process; (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    else:  # pragma: no cover - main always exits
        code = 0
    out = capsys.readouterr()
    return code, out.out, out.err


def tree_hash(root: Path) -> str:
    """A hash of every path, file mode and file content under ``root``."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path.relative_to(root)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def all_bytes(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def only_package(archive: Path) -> Path:
    (pkg,) = list((archive / "packages").iterdir())
    return pkg


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three fictional pupils' forms, filled live (as they go out and come back filled)."""
    out = tmp_path_factory.mktemp("issued")
    results = list(fill_many(PUPILS, out))
    assert all(r.status == "ok" for r in results)
    return out


@pytest.fixture(scope="module")
def flattened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flat")
    results = list(fill_many(PUPILS[:1], out, flatten=True))
    assert results[0].status == "ok"
    return out / results[0].file


def forms(issued: Path) -> list[Path]:
    return sorted(issued.glob("*.pdf"))


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    root = tmp_path / "archief"
    init_archive(root, organization="Het Voorbeeld College", retention_years=2)
    return root


@pytest.fixture(scope="module")
def pristine(issued: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine") / "archief"
    init_archive(root, organization="Het Voorbeeld College", retention_years=2)
    results = list(add(root, forms(issued), issued=issued))
    assert [r.status for r in results] == ["added"] * 3
    return root


@pytest.fixture()
def filled_archive(pristine: Path, tmp_path: Path) -> Path:
    """An archive of the three forms (a fresh copy for each test)."""
    import shutil

    root = tmp_path / "archief"
    shutil.copytree(pristine, root)
    return root


# ---------------------------------------------------------------------------------------
# init and add


def test_init_makes_an_archive_and_refuses_to_make_one_over_another(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "archive", "init", str(tmp_path / "a"), "--organization", "Het Voorbeeld College")
    assert code == 0
    settings = json.loads((tmp_path / "a" / "archive.json").read_text(encoding="utf-8"))
    assert settings["retention_years"] == 2 and settings["organization"] == "Het Voorbeeld College"
    code, _, err = cli(capsys, "archive", "init", str(tmp_path / "a"), "--organization", "X")
    assert code == 2 and "archive already" in err


def test_add_makes_one_bag_per_form_with_the_original_bit_for_bit(filled_archive: Path, issued: Path) -> None:
    import bagit

    by_document = {str(e["document"]): e for e in read_issued(issued)}
    dirs = sorted((filled_archive / "packages").iterdir())
    assert len(dirs) == 3
    for pkg in dirs:
        bag = bagit.Bag(str(pkg))
        assert sorted(bag.algorithms) == ["sha256", "sha512"]
        assert (pkg / "tagmanifest-sha256.txt").is_file() and (pkg / "tagmanifest-sha512.txt").is_file()
        assert sorted(p.name for p in (pkg / "data").iterdir()) == ["original.pdf", "pdfa.pdf", "provenance.json", "record.json"]
        info = bag.info
        for key in ("Source-Organization", "Bagging-Date", "Payload-Oxum", "External-Identifier"):
            assert info.get(key), key
        record = json.loads((pkg / "data" / "record.json").read_text(encoding="utf-8"))
        entry = by_document[info["External-Identifier"]]
        assert record["document"] == info["External-Identifier"]
        assert record["fields"]["leerling.nummer"] == entry["values"]["leerling.nummer"]
        original = (pkg / "data" / "original.pdf").read_bytes()
        assert original == (issued / str(entry["file"])).read_bytes()
        assert record == read_pdf(issued / str(entry["file"])).records[0].to_json() | {"source": record["source"]}
        prov = json.loads((pkg / "data" / "provenance.json").read_text(encoding="utf-8"))
        assert prov["source"]["sha256"] == hashlib.sha256(original).hexdigest()
        assert prov["method"] == "acroform" and prov["document"] == record["document"]
        assert prov["issued"]["record_sha256"] == entry["record_sha256"]
        assert prov["issued"]["original_is_the_issued_file"] is True
        assert "values" not in prov["issued"]
        for key in ("read_at", "archived_at", "oppforms_version"):
            assert prov[key]
        # the id is opaque: neither the pupil's number nor name is in any path
        values = record["fields"]
        assert values["leerling.nummer"] not in pkg.name
        assert values["leerling.naam"].split()[0].lower() not in pkg.name


def test_the_ledger_holds_ids_dates_and_digests_but_no_values(filled_archive: Path) -> None:
    ledger = (filled_archive / "ledger.jsonl").read_text(encoding="utf-8")
    for pupil in PUPILS:
        for value in (pupil["leerling.naam"], pupil["leerling.nummer"], pupil["leerling.klas"], pupil["hulpvraag.leerling"][:30]):
            assert value not in ledger
    adds = [json.loads(line) for line in ledger.splitlines() if '"add"' in line]
    assert len(adds) == 3 and all(set(a["tag_digests"]) == {"tagmanifest-sha256.txt", "tagmanifest-sha512.txt"} for a in adds)


def test_adding_the_same_document_twice_is_recognised(filled_archive: Path, issued: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "archive", "add", str(filled_archive), str(forms(issued)[0]))
    assert code == 0 and "duplicate" in err
    assert len(list((filled_archive / "packages").iterdir())) == 3


def test_a_changed_version_of_a_document_is_a_new_package_that_names_the_one_before(filled_archive: Path, issued: Path) -> None:
    record = read_pdf(forms(issued)[0]).records[0].to_json() | {"source": str(forms(issued)[0])}
    record["signed"]["akkoord.opvoeders.start.handtekening"] = True
    first = next(pid for pid, s in packages(filled_archive).items() if s.document == record["document"])
    result = add_record(filled_archive, record)
    assert result.status == "new version" and result.previous == first and result.package != first
    assert add_record(filled_archive, record).status == "duplicate"


def test_an_input_that_is_no_form_fails_alone_and_the_rest_is_archived(archive: Path, issued: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "brief.pdf"
    junk.write_bytes(b"%PDF-1.4\nnot really a pdf")
    code, _, err = cli(capsys, "archive", "add", str(archive), str(junk), str(forms(issued)[0]))
    assert code == 1
    assert "failed" in err and "brief.pdf" in err and "1 added" in err
    assert len(list((archive / "packages").iterdir())) == 1


# ---------------------------------------------------------------------------------------
# The PDF/A copy


def pdfa_properties(path: Path) -> dict[str, Any]:
    with pikepdf.open(path) as pdf:
        fonts_embedded = True
        for page in pdf.pages:
            for _, font in (page.resources.get("/Font") or {}).items():
                desc = font.get("/FontDescriptor") or font.DescendantFonts[0].get("/FontDescriptor")
                fonts_embedded &= desc is not None and any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        meta = pdf.open_metadata()
        return {
            "acroform": "/AcroForm" in pdf.Root,
            "annots": sum(len(p.obj.get("/Annots", [])) for p in pdf.pages),
            "actions": any(k in pdf.Root for k in ("/OpenAction", "/AA")),
            "encrypted": pdf.is_encrypted,
            "intent": [str(oi.get("/S")) for oi in pdf.Root.get("/OutputIntents", [])],
            "part": meta.get("pdfaid:part"),
            "conformance": meta.get("pdfaid:conformance"),
            "identifier": meta.get("dc:identifier"),
            "keywords": meta.get("pdf:Keywords"),
            "fonts_embedded": fonts_embedded,
            "pages": len(pdf.pages),
        }


def assert_pdfa_2b(path: Path, document: str) -> None:
    verdict = check_pdfa(path)
    assert verdict.passed, verdict.findings
    p = pdfa_properties(path)
    assert p["part"] == "2" and p["conformance"] == "B"
    assert p["intent"] == ["/GTS_PDFA1"]
    assert not p["acroform"] and p["annots"] == 0 and not p["actions"] and not p["encrypted"]
    assert p["fonts_embedded"]
    assert p["keywords"] == "opp-kort; versie 1" and document in str(p["identifier"])


def test_the_pdfa_copy_of_a_live_form_is_pdfa_2b_flattened_with_its_values_as_text(filled_archive: Path) -> None:
    import pdfplumber

    for pkg in (filled_archive / "packages").iterdir():
        record = json.loads((pkg / "data" / "record.json").read_text(encoding="utf-8"))
        assert_pdfa_2b(pkg / "data" / "pdfa.pdf", record["document"])
        with pdfplumber.open(pkg / "data" / "pdfa.pdf") as pdf:
            text = pdf.pages[0].extract_text()
        assert record["fields"]["leerling.nummer"] in text


def test_the_original_live_form_is_not_pdfa_so_the_checker_can_fail(issued: Path) -> None:
    verdict = check_pdfa(forms(issued)[0])
    assert not verdict.passed
    assert any("AcroForm" in f or "pdfaid" in f or "XMP" in f for f in verdict.findings)


def test_a_flattened_form_is_archived_with_a_pdfa_copy(archive: Path, flattened: Path) -> None:
    (result,) = list(add(archive, [flattened]))
    assert result.status == "added"
    pkg = archive / "packages" / result.package
    assert_pdfa_2b(pkg / "data" / "pdfa.pdf", result.document)
    assert json.loads((pkg / "data" / "record.json").read_text(encoding="utf-8"))["method"] == "text"


# ---------------------------------------------------------------------------------------
# Scans: each document's own pages, and a searchable PDF/A copy


@pytest.fixture(scope="module")
def scanned(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Any]]:
    """A copier stack of two fictional forms (shuffled, a page turned, blank backs) and
    their records, read with a fake OCR engine that reads what was printed."""
    pytest.importorskip("cv2")
    from benchmarks.scangen import Scenario, generate
    from oppforms.scan import read_scanned

    from .test_scan import Reading, uniform_record

    out = tmp_path_factory.mktemp("scans")
    scenario = Scenario(forms=2, dpi=200, seed=3, handwriting_pages=0, turned=0.3, blank_backs=0.3,
                        missing=False, duplicate=False, long_text=False)
    batch = generate(scenario, out, spec=spec, records=[uniform_record(i + 1, spec) for i in range(2)])
    records = read_scanned(batch.pdf, spec, issued=batch.issued, ocr=Reading)
    assert len(records) == 2
    return batch.pdf, batch.issued, records


def image_streams(pdf: Any) -> list[bytes]:
    out = []
    for page in pdf.pages:
        for _, image in (page.resources.get("/XObject") or {}).items():
            if image.get("/Subtype") == "/Image":
                out.append(image.read_raw_bytes())
    return out


def test_a_copier_stack_gives_one_package_per_form_each_with_its_own_pages_unre_encoded(archive: Path, scanned: tuple[Path, Path, list[Any]]) -> None:
    stack, issued_dir, records = scanned
    results = [add_record(archive, r, issued=issued_dir) for r in records]
    assert all(r.status in {"added", "new version"} for r in results) and len({r.package for r in results}) == 2
    with pikepdf.open(stack) as scan:
        scanner_images = set(image_streams(scan))
        total = len(scan.pages)
    pages_kept = 0
    for result, record in zip(results, records, strict=True):
        pkg = archive / "packages" / result.package
        prov = json.loads((pkg / "data" / "provenance.json").read_text(encoding="utf-8"))
        assert prov["original"]["whole_file"] is False
        assert [p["page"] for p in prov["original"]["pages"]] == [1, 2, 3, 4, 5]
        with pikepdf.open(pkg / "data" / "original.pdf") as original:
            assert len(original.pages) == 5
            assert set(image_streams(original)) <= scanner_images  # the scanner's bytes, not re-encoded
        pages_kept += 5
        assert_pdfa_2b(pkg / "data" / "pdfa.pdf", record.document)
        assert prov["pdfa"]["method"] == "scan"
    assert pages_kept < total  # the blank backs are not in any package
    assert verify(archive).ok


def test_a_copy_missing_a_page_is_not_archived_as_the_newer_version_of_the_whole_form(
    archive: Path, scanned: tuple[Path, Path, list[Any]],
) -> None:
    """A stack scanned again without the signature page would become the newest version of
    the document and hide the earlier package's page and its signatures; it fails, saying
    which pages it lacks. As the only copy of a form, an incomplete scan is archived."""
    from dataclasses import replace

    _, issued_dir, records = scanned
    whole, other = records
    first = add_record(archive, whole, issued=issued_dir)
    assert first.status in {"added", "new version"}
    without_three = replace(whole, pages=tuple(p for p in whole.pages if p.page != 3),
                            signed={**whole.signed, "akkoord.opvoeders.start.handtekening": True})
    refused = add_record(archive, without_three, issued=issued_dir)
    assert refused.status == "failed" and "page(s) 3 of the form are missing" in refused.reason
    assert first.package in refused.reason
    assert {pid for pid, s in packages(archive).items() if s.document == whole.document} == {first.package}
    only = add_record(archive, replace(other, pages=tuple(p for p in other.pages if p.page != 5)), issued=issued_dir)
    assert only.status in {"added", "new version"}  # nothing earlier of that document to hide
    assert verify(archive).ok


def test_the_pdfa_copy_of_a_scan_has_the_values_read_as_invisible_text(archive: Path, scanned: tuple[Path, Path, list[Any]]) -> None:
    import pdfplumber

    _, issued_dir, records = scanned
    result = add_record(archive, records[0], issued=issued_dir)
    pdfa = archive / "packages" / result.package / "data" / "pdfa.pdf"
    with pdfplumber.open(pdfa) as pdf:
        text = pdf.pages[0].extract_text()
    assert records[0].fields["leerling.naam"] in text and records[0].fields["hulpvraag.leerling"] in text
    assert b"3 Tr" in page_content(pdfa, 0)  # rendering mode 3: neither filled nor stroked


def one_page_pdfs(source: Path) -> list[bytes]:
    """Each page of ``source`` as a PDF of its own (as pages come back in several files)."""
    out = []
    with pikepdf.open(source) as pdf:
        for i in range(len(pdf.pages)):
            one = pikepdf.new()
            one.add_pages_from(pdf, [i])
            buf = io.BytesIO()
            one.save(buf)
            out.append(buf.getvalue())
    return out


def page_content(path: Path, index: int) -> bytes:
    with pikepdf.open(path) as pdf:
        contents = pdf.pages[index].obj.Contents
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        return b"".join(s.read_bytes() for s in streams)


def test_original_uses_the_records_pages_across_several_files(archive: Path, issued: Path, tmp_path: Path) -> None:
    """A form whose pages came in several files (contract §4 ``pages``): its original
    holds those pages in form order, whatever files and order they came in."""
    source = forms(issued)[1]
    record = read_pdf(source).records[0].to_json()
    parts = []
    for i, page in enumerate(one_page_pdfs(source)):
        path = tmp_path / f"IMG_{9000 - i}.pdf"  # file names in another order than the pages
        path.write_bytes(page)
        parts.append(path)
    count = len(parts)
    record["source"] = str(parts[0])
    record["pages"] = [{"page": i + 1, "source": str(parts[i]), "source_page": 1} for i in reversed(range(count))]
    record["pages"].sort(key=lambda p: p["page"])
    result = add_record(archive, record)
    assert result.status == "added", result.reason
    pkg = archive / "packages" / result.package
    prov = json.loads((pkg / "data" / "provenance.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in prov["sources"]] == [p.name for p in parts]
    original = pkg / "data" / "original.pdf"
    assert [page_content(original, i) for i in range(count)] == [page_content(source, i) for i in range(count)]


def _non_utf8(folder: Path, name: bytes) -> Path:
    """A path in ``folder`` whose name is these bytes (Linux keeps any), or a skip."""
    path = folder / os.fsdecode(name)
    try:
        path.write_bytes(b"")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this filesystem keeps only UTF-8 file names")
    return path


def test_a_returned_form_whose_file_name_is_not_utf8_is_archived_bit_for_bit(archive: Path, issued: Path, tmp_path: Path) -> None:
    """Records show such a name with U+FFFD (it no longer opens the file); add finds the
    file by its inputs, keeps it bit for bit and names it as shown. Two files whose names
    show alike cannot be told apart: each fails, saying so, and nothing is archived."""
    folder = tmp_path / "terug"
    folder.mkdir()
    returned = _non_utf8(folder, b"terug-\xe9.pdf")
    returned.write_bytes(forms(issued)[0].read_bytes())
    [result] = list(add(archive, [folder], issued=issued))
    assert result.status == "added", result.reason
    pkg = archive / "packages" / result.package
    assert (pkg / "data" / "original.pdf").read_bytes() == returned.read_bytes()
    prov = json.loads((pkg / "data" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["source"] == {"name": "terug-\ufffd.pdf", "sha256": hashlib.sha256(returned.read_bytes()).hexdigest()}
    assert verify(archive).ok

    twins = tmp_path / "twee"
    twins.mkdir()
    for name, form in zip((b"x-\xe9.pdf", b"x-\xe8.pdf"), forms(issued)[1:], strict=True):
        _non_utf8(twins, name).write_bytes(form.read_bytes())
    results = list(add(archive, [twins], issued=issued))
    assert [r.status for r in results] == ["failed", "failed"]
    assert all("x-\ufffd.pdf: more than one file has this name" in r.reason for r in results)
    assert len(list((archive / "packages").iterdir())) == 1


def test_a_form_whose_pages_came_in_files_with_names_that_are_not_utf8(archive: Path, issued: Path, tmp_path: Path) -> None:
    """The pages of one form in several files whose names are not UTF-8 (as records show
    them, with U+FFFD): the original holds them in form order, read from memory (pikepdf
    cannot open such a name)."""
    source = forms(issued)[1]
    record = read_pdf(source).records[0].to_json()
    parts = []
    for i, page in enumerate(one_page_pdfs(source)):
        path = _non_utf8(tmp_path, b"foto-\xe9-%d.pdf" % (9 - i))
        path.write_bytes(page)
        parts.append(path)
    count = len(parts)
    shown = [str(p).encode("utf-8", "surrogateescape").decode("utf-8", "replace") for p in parts]
    record["source"] = shown[0]
    record["pages"] = [{"page": i + 1, "source": shown[i], "source_page": 1} for i in range(count)]
    assert add_record(archive, record).status == "failed"  # the names as shown open nothing
    (tmp_path / "foto-\ufffd-9.pdf").write_bytes(b"")  # a file bearing a shown name as its own
    assert locate_inputs([*parts, tmp_path / "foto-\ufffd-9.pdf"])[shown[0]] is None
    result = add_record(archive, record, paths=locate_inputs(parts))
    assert result.status == "added", result.reason
    original = archive / "packages" / result.package / "data" / "original.pdf"
    assert [page_content(original, i) for i in range(count)] == [page_content(source, i) for i in range(count)]


# ---------------------------------------------------------------------------------------
# verify: intact, and every tamper case


def test_verify_passes_an_intact_archive(filled_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "archive", "verify", str(filled_archive))
    assert code == 0, err
    assert "3 package(s) checked" in err and "3 intact" in err and "ledger head" in err


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _regenerate(pkg: Path) -> None:
    import bagit

    _flip_byte(pkg / "data" / "original.pdf")
    bagit.Bag(str(pkg)).save(manifests=True)  # a careful forger rewrites every manifest


def _edit_info(pkg: Path) -> None:
    text = (pkg / "bag-info.txt").read_text(encoding="utf-8")
    (pkg / "bag-info.txt").write_text(text.replace("Het Voorbeeld College", "Een Ander College"), encoding="utf-8")


TAMPER = {
    "changed payload byte": (lambda p: _flip_byte(p / "data" / "original.pdf"), "changed: data/original.pdf"),
    "record edited": (lambda p: (p / "data" / "record.json").write_text("{}", encoding="utf-8"), "changed: data/record.json"),
    "missing payload file": (lambda p: (p / "data" / "pdfa.pdf").unlink(), "missing file: data/pdfa.pdf"),
    "added payload file": (lambda p: (p / "data" / "notes.txt").write_text("x"), "added file: data/notes.txt"),
    "added tag file": (lambda p: (p / "extra.txt").write_text("x"), "added file: extra.txt"),
    "edited bag-info": (_edit_info, "changed: bag-info.txt"),
    "manifests regenerated": (_regenerate, "manifests regenerated"),
    "missing manifest": (lambda p: (p / "manifest-sha512.txt").unlink(), "manifest-sha512.txt"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_verify_names_the_tampered_package_and_what_is_wrong(filled_archive: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    victim = sorted((filled_archive / "packages").iterdir())[1]
    tamper, expected = TAMPER[case]
    tamper(victim)
    code, _, err = cli(capsys, "archive", "verify", str(filled_archive))
    assert code == 1
    bad = [line for line in err.splitlines() if line.startswith("package ")]
    assert bad and all(line.startswith(f"package {victim.name}:") for line in bad), err
    assert expected in err, err
    assert "2 intact" in err


def test_verify_finds_a_removed_package_and_one_not_in_the_ledger(filled_archive: Path) -> None:
    import shutil

    victim = sorted((filled_archive / "packages").iterdir())[0]
    shutil.move(str(victim), str(filled_archive / "packages" / "zzzzplanted000000"))
    report = verify(filled_archive)
    problems = {p.package: p.what for p in report.problems}
    assert "missing" in problems[victim.name]
    assert "not in the ledger" in problems["zzzzplanted000000"]


@pytest.mark.parametrize("how", ["edited", "removed", "cut"])
def test_verify_finds_a_ledger_whose_chain_was_broken(filled_archive: Path, how: str) -> None:
    path = filled_archive / "ledger.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if how == "edited":
        lines[1] = lines[1].replace('"form_version":"1"', '"form_version":"2"')
    elif how == "removed":
        del lines[1]
    else:
        lines[-1] = lines[-1][:-10]
    path.write_text("".join(lines), encoding="utf-8")
    report = verify(filled_archive)
    assert not report.ok and any(p.package == "ledger" for p in report.problems)


# ---------------------------------------------------------------------------------------
# index, left, hold, due, purge


def test_the_index_has_one_row_per_package_and_no_health_data(filled_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    csv_path, xlsx_path = tmp_path / "index.csv", tmp_path / "index.xlsx"
    assert cli(capsys, "archive", "index", str(filled_archive), "-o", str(csv_path))[0] == 0
    assert cli(capsys, "archive", "index", str(filled_archive), "-o", str(xlsx_path))[0] == 0
    text = csv_path.read_text(encoding="utf-8-sig")
    rows = list(load_workbook(xlsx_path).active.iter_rows(values_only=True))
    assert list(rows[0]) == list(INDEX_COLUMNS) and len(rows) == 4
    assert {r[1] for r in rows[1:]} == {p["leerling.nummer"] for p in PUPILS}  # leading zeros kept
    for pupil in PUPILS:
        assert pupil["leerling.nummer"] in text
        for field in ("hulpvraag.leerling", "hulpvraag.school", "doelen.leerling", "doelen.school", "acties.school.acties", "wijzer.informatie"):
            assert pupil[field][:25] not in text
    assert text.count("\n") == 4


def test_left_due_hold_release_and_purge_follow_the_retention_term(filled_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(filled_archive)
    number = PUPILS[0]["leerling.nummer"]
    # dates in the past: --execute deletes only what is due by today
    assert cli(capsys, "archive", "left", a, "--pupil", number, "--date", "2021-07-15")[0] == 0
    code, out, _ = cli(capsys, "archive", "due", a, "--on", "2023-07-14", "--json")
    assert code == 0 and json.loads(out)["due"] == []
    code, out, _ = cli(capsys, "archive", "due", a, "--on", "2023-07-15", "--json")
    (item,) = json.loads(out)["due"]
    assert item["leerlingnummer"] == number and item["due"] == "2023-07-15" and item["left"] == "2021-07-15"
    assert cli(capsys, "archive", "hold", a, "--pupil", number, "--reason", "bezwaarprocedure")[0] == 0
    code, out, _ = cli(capsys, "archive", "purge", a, "--on", "2024-01-01", "--execute", "--json")
    res = json.loads(out)
    assert res["purged"] == [] and len(res["held"]) == 1
    assert len(list((filled_archive / "packages").iterdir())) == 3
    assert cli(capsys, "archive", "release", a, "--pupil", number)[0] == 0
    code, out, _ = cli(capsys, "archive", "purge", a, "--on", "2024-01-01", "--execute", "--json")
    assert code == 0 and len(json.loads(out)["purged"]) == 1
    assert len(list((filled_archive / "packages").iterdir())) == 2
    assert cli(capsys, "archive", "verify", a)[0] == 0


def test_left_for_an_unknown_pupil_says_so_without_the_number(filled_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "archive", "left", str(filled_archive), "--pupil", "999999", "--date", "2027-07-15")
    assert code == 1 and "no package" in err and "999999" not in err


def test_left_from_an_administration_export_reads_csv_as_dutch_excel_writes_it(filled_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "uitschrijvingen.csv"
    lines = ["Stamnummer;Roepnaam;Achternaam;Uitschrijfdatum",
             f"{PUPILS[0]['leerling.nummer']};A;B;15-07-2027",
             f"{PUPILS[1]['leerling.nummer']};C;D;31-02-2027",
             f"{PUPILS[2]['leerling.nummer']};E;F;",
             "555555;G;H;01-08-2027"]
    export.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    code, _, err = cli(capsys, "archive", "left", str(filled_archive), "--from", str(export))
    assert code == 1  # one bad date, reported with file, row and column; the rest is used
    assert "uitschrijvingen.csv: row 3: uitschrijfdatum" in err
    assert PUPILS[1]["leerling.nummer"] not in err
    states = packages(filled_archive)
    assert sorted(s.left for s in states.values()) == ["", "", "2027-07-15"]


def test_left_from_an_xlsx_export_with_date_cells(filled_archive: Path, tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    from oppforms.archive import left_from_file

    wb = Workbook()
    ws = wb.active
    ws.append(["Leerlingnummer", "Uitschrijfdatum"])
    ws.append([PUPILS[1]["leerling.nummer"], dt.date(2028, 7, 1)])
    ws["A2"].number_format = "@"
    path = tmp_path / "export.xlsx"
    wb.save(path)
    res = left_from_file(filled_archive, path)
    assert res.pupils == 1 and not res.problems
    assert {s.due for s in packages(filled_archive).values()} == {"", "2030-07-01"}
    # a number column that shows the leading zeros by its format (004512 held as 4512)
    ws.append([int(PUPILS[0]["leerling.nummer"]), dt.date(2028, 8, 1)])
    ws["A3"].number_format = "0" * len(PUPILS[0]["leerling.nummer"])
    wb.save(path)
    res = left_from_file(filled_archive, path)
    assert res.pupils == 2 and not res.problems, res.problems
    assert {s.due for s in packages(filled_archive).values()} == {"", "2030-07-01", "2030-08-01"}


def test_left_from_a_column_that_lost_the_leading_zeros_names_the_row(filled_archive: Path, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """004512 exported as the number 4512 (a plain number column): the pupil would never
    become due, with nothing said. The row is named (not the number), with what to do."""
    number = PUPILS[0]["leerling.nummer"]
    assert number.startswith("0"), "the sample pupil has a leading zero"
    path = tmp_path / "uitschrijvingen.csv"
    path.write_text(f"Leerlingnummer;Uitschrijfdatum\n{int(number)};31-07-2026\n999999;31-07-2026\n", encoding="utf-8")
    code, _, err = cli(capsys, "archive", "left", str(filled_archive), "--from", str(path))
    assert code == 1 and "uitschrijvingen.csv: row 2: leerlingnummer: no package of this number, but one of the " \
        "same number with leading zeros" in err
    assert "row 3" not in err  # a pupil simply not archived is no problem
    assert str(int(number)) not in err.replace("uitschrijvingen", "")


def test_a_form_without_leerlingnummer_is_said_so_at_add_and_gets_its_leaving_date_by_document(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """No pupil number reaches such a package, so `left --pupil` could never make it due:
    `add` says so, and `left --document` (the index lists the id) gives its leaving date."""
    out = tmp_path / "out"
    [filled] = fill_many([{"leerling.naam": "Zonder Nummer", "leerling.klas": "2A"}], out)
    code, _, err = cli(capsys, "archive", "add", str(archive), str(out / filled.file))
    assert code == 0 and f"no leerlingnummer: give its leaving date with `archive left --document {filled.document}`" in err
    code, _, err = cli(capsys, "archive", "left", str(archive), "--document", filled.document.lower().replace("-", ""),
                       "--date", "2026-07-31")
    assert code == 0 and "1 package(s) updated" in err
    assert {s.due for s in packages(archive).values()} == {"2028-07-31"}
    code, _, err = cli(capsys, "archive", "left", str(archive), "--pupil", "000001", "--document", filled.document,
                       "--date", "2026-07-31")
    assert code == 2


def test_a_dry_run_purge_changes_nothing(filled_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(filled_archive)
    for pupil in PUPILS:
        cli(capsys, "archive", "left", a, "--pupil", pupil["leerling.nummer"], "--date", "2026-01-01")
    before = tree_hash(filled_archive)
    code, _, err = cli(capsys, "archive", "purge", a, "--on", "2030-01-01")
    assert code == 0 and "3 package(s) would be purged" in err and "nothing was changed" in err
    assert tree_hash(filled_archive) == before


def test_after_a_purge_nothing_in_the_archive_holds_the_pupils_data_and_issued_entries_are_redacted(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert all(r.status == "ok" for r in fill_many(PUPILS, out))
    files = sorted(out.glob("*.pdf"))
    list(add(archive, files, issued=out))
    a = str(archive)
    gone, kept = PUPILS[0], PUPILS[1]
    cli(capsys, "archive", "left", a, "--pupil", gone["leerling.nummer"], "--date", "2021-01-01")
    cli(capsys, "archive", "hold", a, "--pupil", kept["leerling.nummer"], "--reason", "klacht van ouders")
    cli(capsys, "archive", "left", a, "--pupil", kept["leerling.nummer"], "--date", "2021-01-01")
    code, _, err = cli(capsys, "archive", "purge", a, "--on", "2024-01-01", "--execute", "--issued", str(out))
    assert code == 0, err
    everything = all_bytes(archive)
    others = json.dumps(PUPILS[1:], ensure_ascii=False)
    own = [v for v in (gone["hulpvraag.leerling"][:40], gone["hulpvraag.school"][:40], gone["wijzer.informatie"][:40]) if v not in others]
    assert len(own) == 3
    for value in (gone["leerling.naam"], gone["leerling.nummer"], *own):
        assert value.encode("utf-8") not in everything
    assert kept["leerling.naam"].encode("utf-8") in everything  # held, so kept
    registry = [e for e in read_issued(out)]
    redacted = [e for e in registry if "redacted" in e]
    assert len(redacted) == 1 and "values" not in redacted[0] and "file" not in redacted[0]
    assert not (out / f"{gone['leerling.nummer']}.pdf").exists()
    assert (out / f"{kept['leerling.nummer']}.pdf").exists()
    assert gone["leerling.naam"].encode("utf-8") not in all_bytes(out / ".oppforms")
    ledger = [json.loads(line) for line in (archive / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["date"] for e in ledger if e["event"] == "purge"] == ["2024-01-01"]
    assert verify(archive).ok


def test_purge_with_issued_but_without_execute_is_refused(filled_archive: Path, issued: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "archive", "purge", str(filled_archive), "--issued", str(issued))
    assert code == 2 and "--execute" in err


def test_a_purged_document_is_not_archived_again(archive: Path, issued: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-running 'add' on the same folder after a purge must not bring the deleted form
    back as a package without a leaving date (never due)."""
    a = str(archive)
    files = [str(f) for f in forms(issued)]
    assert cli(capsys, "archive", "add", a, *files)[0] == 0
    gone = PUPILS[0]
    gone_file = next(f for f in forms(issued) if read_pdf(f).records[0].fields["leerling.nummer"] == gone["leerling.nummer"])
    gone_record = read_pdf(gone_file).records[0].to_json() | {"source": str(gone_file)}
    assert cli(capsys, "archive", "left", a, "--pupil", gone["leerling.nummer"], "--date", "2021-07-31")[0] == 0
    code, _, err = cli(capsys, "archive", "purge", a, "--execute")
    assert code == 0 and "1 package(s) purged" in err, err
    purge_line = next(json.loads(line) for line in (archive / "ledger.jsonl").read_text(encoding="utf-8").splitlines()
                      if '"purge"' in line)
    before = tree_hash(archive), (archive / "ledger.jsonl").read_bytes()

    code, out, err = cli(capsys, "archive", "add", a, *files, "--json")
    assert code == 1, err
    results = {r["source"]: r for r in map(json.loads, out.splitlines())}
    refused = results[str(gone_file)]
    assert refused["status"] == "purged" and refused["package"] == "" and refused["document"] == gone_record["document"]
    assert sorted(r["status"] for r in results.values()) == ["duplicate", "duplicate", "purged"]
    line = next(line for line in err.splitlines() if line.startswith("purged"))
    assert gone_file.name in line and gone_record["document"] in line
    assert f"deleted on {purge_line['at'][:10]} when its retention ended; it is not archived again" in line
    assert "1 purged" in err and "1 form(s) or file(s) could not be archived" in err
    for value in (gone["leerling.naam"], gone["hulpvraag.leerling"][:30]):  # the file's name, no values
        assert value not in err and value not in out
    assert (tree_hash(archive), (archive / "ledger.jsonl").read_bytes()) == before  # nothing written
    # a changed version of that document (a signature added) is refused too
    gone_record["signed"]["akkoord.opvoeders.start.handtekening"] = True
    result = add_record(archive, gone_record)
    assert result.status == "purged" and not result.package
    assert (tree_hash(archive), (archive / "ledger.jsonl").read_bytes()) == before
    assert due(archive, on="2100-01-01").due == ()
    assert verify(archive).ok


def test_a_new_form_of_a_pupil_who_left_gets_the_leaving_date(filled_archive: Path, issued: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = forms(issued)[0]
    base = read_pdf(source).records[0].to_json() | {"source": str(source)}
    number = base["fields"]["leerling.nummer"]
    assert cli(capsys, "archive", "left", str(filled_archive), "--pupil", number, "--date", "2027-07-15")[0] == 0
    other = version_record(base, doelen__school="Een nieuw doel.") | {"document": "ZZ9ZZ9ZZ"}  # a new document id
    result = add_record(filled_archive, other)
    assert result.status == "new version" and result.previous
    state = packages(filled_archive)[result.package]
    assert (state.left, state.due) == ("2027-07-15", "2029-07-15")


def test_purge_execute_on_a_day_after_today_is_refused_and_a_dry_run_may_look_ahead(
    filled_archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    from oppforms.archive import purge
    from oppforms.errors import UsageError

    a = str(filled_archive)
    today = dt.date.today()
    number = PUPILS[0]["leerling.nummer"]
    cli(capsys, "archive", "left", a, "--pupil", number, "--date", (today - dt.timedelta(days=400)).isoformat())
    later = (today + dt.timedelta(days=800)).isoformat()  # the package is due within two years from now
    before = tree_hash(filled_archive), (filled_archive / "ledger.jsonl").read_bytes()
    code, out, err = cli(capsys, "archive", "purge", a, "--on", later, "--execute", "--json")
    assert code == 2 and out == ""
    assert f"--on {later} is after today ({today.isoformat()})" in err and "without --execute" in err
    with pytest.raises(UsageError):
        purge(filled_archive, on=later, execute=True)
    assert (tree_hash(filled_archive), (filled_archive / "ledger.jsonl").read_bytes()) == before
    assert len(list((filled_archive / "packages").iterdir())) == 3
    code, out, err = cli(capsys, "archive", "purge", a, "--on", later, "--json")  # a preview
    assert code == 0 and len(json.loads(out)["purged"]) == 1 and "nothing was changed" in err
    assert (tree_hash(filled_archive), (filled_archive / "ledger.jsonl").read_bytes()) == before
    # today itself is allowed (not due yet: nothing purged)
    code, out, _ = cli(capsys, "archive", "purge", a, "--on", today.isoformat(), "--execute", "--json")
    assert code == 0 and json.loads(out)["purged"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_archive_is_readable_by_its_owner_only_whatever_the_umask(
    tmp_path: Path, issued: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import stat

    root = tmp_path / "archief"
    old = os.umask(0o022)
    try:
        a = str(root)
        assert cli(capsys, "archive", "init", a, "--organization", "Het Voorbeeld College")[0] == 0
        assert cli(capsys, "archive", "add", a, str(forms(issued)[0]))[0] == 0
        number = PUPILS[0]["leerling.nummer"]
        assert cli(capsys, "archive", "hold", a, "--pupil", number, "--reason", "bezwaarprocedure")[0] == 0
        paths = [root, *root.rglob("*")]
        assert any(p.name == "original.pdf" for p in paths) and (root / "holds.json").is_file()
        open_to_others = [(str(p.relative_to(root)), oct(stat.S_IMODE(p.stat().st_mode)))
                          for p in paths if p.stat().st_mode & 0o077]
        assert open_to_others == []
        for p in paths:
            assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
        # an archive an older oppforms made with the umask's modes: the next command that
        # writes makes its package folders private
        (root / "packages").chmod(0o755)
        (root / ".staging").chmod(0o755)
        assert cli(capsys, "archive", "release", a, "--pupil", number)[0] == 0
        assert stat.S_IMODE((root / "packages").stat().st_mode) == 0o700
        assert stat.S_IMODE((root / ".staging").stat().st_mode) == 0o700
    finally:
        os.umask(old)


# ---------------------------------------------------------------------------------------
# Versions


def version_record(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    rec = json.loads(json.dumps(base))
    signed = changes.pop("signed", {})
    rec["fields"].update({k.replace("__", "."): v for k, v in changes.items()})
    rec["signed"] = {k: False for k in rec["signed"]} | signed
    return rec


def test_history_lists_versions_with_changes_and_flags_consent_when_the_handelingsdeel_changed(
    archive: Path, issued: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = forms(issued)[0]
    base = read_pdf(source).records[0].to_json() | {"source": str(source)}
    number = base["fields"]["leerling.nummer"]
    parents = {"akkoord.opvoeders.start.handtekening": True, "akkoord.leerling.start.handtekening": True}
    steps = [
        version_record(base, signed=parents),                                               # start, signed by parents
        version_record(base, signed=parents, **{"hulpvraag__leerling": "Nieuwe hulpvraag."}),  # only the hulpvraag changed
        version_record(base, signed=parents, **{"hulpvraag__leerling": "Nieuwe hulpvraag.", "doelen__school": "Een nieuw doel."}) | {"signed": {k: False for k in base["signed"]}},
    ]
    for rec in steps:
        assert add_record(archive, rec).status in {"added", "new version"}
    code, out, _ = cli(capsys, "archive", "history", str(archive), "--pupil", number, "--json")
    assert code == 0
    versions = json.loads(out)
    assert [set(v) for v in versions] == [{"package", "document", "archived", "schooljaar", "signed", "changed", "consent_needed"}] * 3
    assert [v["consent_needed"] for v in versions] == [False, False, True]
    assert versions[1]["changed"] == ["hulpvraag.leerling"]
    assert versions[2]["changed"] == ["doelen.school"]
    assert "akkoord.opvoeders.start.handtekening" in versions[0]["signed"] and versions[2]["signed"] == []
    assert versions[0]["schooljaar"] == base["fields"]["schooljaar"]
    assert [v.package for v in history(archive, number)] == [v["package"] for v in versions]


def test_history_of_an_unsigned_first_version_needs_consent(archive: Path, issued: Path) -> None:
    source = forms(issued)[2]
    base = read_pdf(source).records[0].to_json() | {"source": str(source)}
    add_record(archive, version_record(base))
    (v,) = history(archive, base["fields"]["leerling.nummer"])
    assert v.consent_needed and "doelen.school" in v.changed


# ---------------------------------------------------------------------------------------
# Safety: interrupted add, concurrent adds


def test_an_add_interrupted_while_making_the_bag_leaves_the_archive_verifiable(
    archive: Path, issued: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bagit

    real = bagit.make_bag

    def dies(path: str, *args: Any, **kwargs: Any) -> Any:
        real(path, *args, **kwargs)
        raise KeyboardInterrupt  # killed right after the bag was written, before the ledger

    monkeypatch.setattr(bagit, "make_bag", dies)
    with pytest.raises(KeyboardInterrupt):
        list(add(archive, forms(issued)[:1]))
    assert list((archive / "packages").iterdir()) == []
    assert list((archive / ".staging").iterdir())  # the half-made package, out of sight
    assert verify(archive).ok
    monkeypatch.setattr(bagit, "make_bag", real)
    assert [r.status for r in add(archive, forms(issued)[:1])] == ["added"]
    assert list((archive / ".staging").iterdir()) == []
    assert verify(archive).ok


def test_an_add_interrupted_between_the_ledger_and_the_rename_is_finished_by_the_next_command(
    archive: Path, issued: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dies(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    import importlib

    monkeypatch.setattr(importlib.import_module("oppforms.archive.packages"), "_rename_in", dies)
    with pytest.raises(KeyboardInterrupt):
        list(add(archive, forms(issued)[:1]))
    monkeypatch.undo()
    assert list((archive / "packages").iterdir()) == []
    report = verify(archive)
    assert report.ok and len(report.recovered) == 1
    assert len(list((archive / "packages").iterdir())) == 1


def test_two_adds_at_once_both_work_and_keep_the_ledger_whole(archive: Path, issued: Path) -> None:
    files = forms(issued)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "oppforms", "archive", "add", str(archive), str(f)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for f in files
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    report = verify(archive)
    assert report.ok and report.packages == 3
    seqs = [json.loads(line)["seq"] for line in (archive / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    assert seqs == list(range(1, len(seqs) + 1))


def test_library_calls_return_frozen_dataclasses(filled_archive: Path) -> None:
    import dataclasses

    rows = index_rows(filled_archive)
    report = verify(filled_archive)
    for value in (rows[0], report):
        assert dataclasses.is_dataclass(value)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, dataclasses.fields(value)[0].name, "x")


def test_phone_photos_go_into_the_original_with_their_jpeg_bytes_unchanged(archive: Path, issued: Path, tmp_path: Path) -> None:
    source = forms(issued)[0]
    subprocess.run(["pdftoppm", "-r", "100", "-jpeg", str(source), str(tmp_path / "IMG")], check=True)
    photos = sorted(tmp_path.glob("IMG*.jpg"))
    record = read_pdf(source).records[0].to_json() | {"source": str(photos[0]), "method": "scan"}
    record["pages"] = [{"page": i + 1, "source": str(p), "source_page": 1} for i, p in enumerate(photos)]
    result = add_record(archive, record)
    assert result.status == "added", result.reason
    pkg = archive / "packages" / result.package
    with pikepdf.open(pkg / "data" / "original.pdf") as original:
        assert image_streams(original) == [p.read_bytes() for p in photos]
    assert_pdfa_2b(pkg / "data" / "pdfa.pdf", result.document)


def test_an_encrypted_form_is_kept_encrypted_as_original_and_its_pdfa_copy_is_not(archive: Path, issued: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(forms(issued)[0]) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="eigenaar", user="geheim", aes=True, R=6))
    code, _, err = cli(capsys, "archive", "add", str(archive), str(locked), "--password", "geheim")
    assert code == 0, err
    pkg = only_package(archive)
    assert (pkg / "data" / "original.pdf").read_bytes() == locked.read_bytes()
    record = json.loads((pkg / "data" / "record.json").read_text(encoding="utf-8"))
    assert_pdfa_2b(pkg / "data" / "pdfa.pdf", record["document"])


def test_a_purge_interrupted_after_its_ledger_line_is_finished_and_the_archive_verifies(
    filled_archive: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib

    retention = importlib.import_module("oppforms.archive.retention")
    a = str(filled_archive)
    cli(capsys, "archive", "left", a, "--pupil", PUPILS[0]["leerling.nummer"], "--date", "2021-01-01")

    def dies(store: Any, package: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(retention, "_remove", dies)
    with pytest.raises(KeyboardInterrupt):
        retention.purge(filled_archive, on="2024-01-01", execute=True)
    monkeypatch.undo()
    assert len(list((filled_archive / "packages").iterdir())) == 3  # the ledger says purged; the files are still there
    gone = next(pid for pid, s in packages(filled_archive).items() if s.purged)
    backup = filled_archive.parent / "backup-of-package"
    shutil.copytree(filled_archive / "packages" / gone, backup)
    report = verify(filled_archive)
    assert report.ok, report.problems
    assert report.removed == (gone,)  # said, not silent
    assert len(list((filled_archive / "packages").iterdir())) == 2
    assert list((filled_archive / ".staging").iterdir()) == []
    shutil.copytree(backup, filled_archive / "packages" / gone)  # restored from a backup: the same
    code, _, err = cli(capsys, "archive", "verify", a)
    assert code == 0 and f"package {gone}: purged according to the ledger but present again" in err
    assert not (filled_archive / "packages" / gone).exists()


def test_open_package_gives_a_packages_files_and_refuses_an_unknown_id(filled_archive: Path) -> None:
    from oppforms.archive import open_package
    from oppforms.errors import InputError

    pid, state = next(iter(packages(filled_archive).items()))
    pkg = open_package(filled_archive, pid)
    assert pkg.state == state and pkg.record["document"] == state.document == pkg.provenance["document"]
    assert pkg.original.is_file() and pkg.pdfa.is_file()
    with pytest.raises(InputError):
        open_package(filled_archive, "nosuchpackage000")


@pytest.mark.parametrize("damage", ["javascript", "no output intent", "encrypted"])
def test_the_checker_refuses_a_pdfa_copy_that_was_spoilt(filled_archive: Path, tmp_path: Path, damage: str) -> None:
    pdfa = next((filled_archive / "packages").iterdir()) / "data" / "pdfa.pdf"
    assert check_pdfa(pdfa).passed
    spoilt = tmp_path / "spoilt.pdf"
    with pikepdf.open(pdfa) as pdf:
        if damage == "javascript":
            pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
            pdf.save(spoilt)
        elif damage == "no output intent":
            del pdf.Root["/OutputIntents"]
            pdf.save(spoilt)
        else:
            pdf.save(spoilt, encryption=pikepdf.Encryption(owner="a", user="", aes=True, R=6))
    verdict = check_pdfa(spoilt)
    assert not verdict.passed and verdict.findings


@pytest.mark.tesseract
def test_archive_add_reads_a_scanner_file_with_the_real_engine_and_makes_one_package_per_form(
    archive: Path, scanned: tuple[Path, Path, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    from oppforms.scan.ocr import tessdata_dir

    if tessdata_dir() is None:
        pytest.skip("tesseract with the Dutch model (tesseract-ocr-nld) is not installed")
    stack, issued_dir, records = scanned
    code, out, err = cli(capsys, "archive", "add", str(archive), str(stack), "--issued", str(issued_dir), "--json")
    assert code == 0, err
    results = [json.loads(line) for line in out.splitlines()]
    assert sorted(r["document"] for r in results) == sorted(r.document for r in records)
    for r in results:
        with pikepdf.open(archive / "packages" / r["package"] / "data" / "original.pdf") as original:
            assert len(original.pages) == 5
    assert verify(archive).ok


def test_a_form_photographed_page_by_page_is_one_package_and_its_other_files_are_part_of_it(
    archive: Path, scanned: tuple[Path, Path, list[Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each page in a file of its own (as a phone's photos come): one package per form,
    holding all its pages; the files of its other pages are "part of" it, not failures."""
    from oppforms.scan.ocr import tessdata_dir

    if tessdata_dir() is None:
        pytest.skip("tesseract with the Dutch model (tesseract-ocr-nld) is not installed")
    stack, issued_dir, records = scanned
    folder = tmp_path / "fotos"
    folder.mkdir()
    for i, page in enumerate(one_page_pdfs(stack), 1):
        (folder / f"IMG_{i:04d}.pdf").write_bytes(page)
    code, out, err = cli(capsys, "archive", "add", str(archive), str(folder), "--issued", str(issued_dir), "--json")
    results = [json.loads(line) for line in out.splitlines()]
    by_status: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_status.setdefault(r["status"], []).append(r)
    archived = by_status.get("added", []) + by_status.get("new version", [])  # the two forms are one pupil's
    assert sorted(r["document"] for r in archived) == sorted(r.document for r in records), results
    for r in archived:
        with pikepdf.open(archive / "packages" / r["package"] / "data" / "original.pdf") as original:
            assert len(original.pages) == 5
    firsts = {r["source"] for r in archived}
    assert len(by_status["part of"]) == 2 * 5 - 2
    assert all(r["reason"].endswith(tuple(f"first page is in {f}" for f in firsts)) for r in by_status["part of"])
    # what is left failed for its own reason (the stack's blank backs), and only that
    assert all("blank page(s) dropped" in r["reason"] for r in by_status.get("failed", [])), by_status.get("failed")
    assert code == (1 if by_status.get("failed") else 0), err
    assert verify(archive).ok


def test_a_page_whose_font_is_not_embedded_gets_a_rendered_pdfa_copy_that_passes(spec: FormSpec) -> None:
    from oppforms.archive.preservation import make_pdfa

    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=pikepdf.Array([0, 0, 595, 842]),
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        Contents=pikepdf.Stream(pdf, b"BT /F1 24 Tf 72 700 Td (Printed by another program) Tj ET"),
    )
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    buf = io.BytesIO()
    pdf.save(buf)
    fields = {f.name: "" for f in spec.value_fields} | {"leerling.naam": "Fictief Kind"}
    copy = make_pdfa(buf.getvalue(), method="text", spec=spec, fields=fields, document="K7Q2-M9XD", form_version="1")
    assert copy.method == "rendered" and copy.notes
    assert check_pdfa(copy.data).passed
    with pikepdf.open(io.BytesIO(copy.data)) as out:
        assert len(out.pages) == 1 and image_streams(out)


def test_due_and_history_print_readable_lines_without_json(filled_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(filled_archive)
    number = PUPILS[1]["leerling.nummer"]
    cli(capsys, "archive", "left", a, "--pupil", number, "--date", "2027-07-15")
    code, out, err = cli(capsys, "archive", "due", a, "--on", "2030-01-01")
    assert code == 0 and out.count("\n") == 1 and out.startswith("due\t") and number in out
    assert "1 package(s) due, 0 due but held" in err
    code, out, _ = cli(capsys, "archive", "history", a, "--pupil", number)
    assert code == 0 and "signed: none" in out and "changed: leerling.naam" in out and "consent needed" in out  # never signed
    code, _, err = cli(capsys, "archive", "history", a, "--pupil", "999999")
    assert code == 1 and "no package" in err
