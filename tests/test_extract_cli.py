"""`oppforms extract` on the command line: a folder of returned forms of mixed origin in,
one spreadsheet out, a status for every file, and the contract's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pikepdf
import pytest

from oppforms import cli
from oppforms.extract import run as extract_run
from oppforms.records import Record, ScanRun, ScannedFile

from .test_extract_live import LONG, SAMPLES, expected, fill_pdf


def oppforms(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oppforms", *args], capture_output=True, text=True, timeout=300, check=False
    )


def main(*args: str) -> int:
    """The command in this process (so a test can stand in for the scanned-forms reader)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    return int(exit_info.value.code or 0)


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What comes back to school: a live form, a flattened one, one re-saved by a viewer
    in a subfolder, a letter that is no form, and a broken file."""
    folder = tmp_path_factory.mktemp("terug")
    (folder / "2H1").mkdir()
    (folder / "2H1" / "004512.pdf").write_bytes(fill_pdf(SAMPLES[0]))
    (folder / "115024-geprint.pdf").write_bytes(fill_pdf(LONG, flatten=True))
    with pikepdf.open(__import__("io").BytesIO(fill_pdf(SAMPLES[1]))) as pdf:
        pdf.save(folder / "2H1" / "118237-opnieuw-bewaard.pdf")
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(folder / "begeleidende-brief.pdf")
    (folder / "kapot.pdf").write_bytes(b"%PDF-1.7\nniets\n")
    (folder / ".verborgen.pdf").write_bytes(b"not read")
    (folder / "notities.txt").write_text("not read", encoding="utf-8")
    return folder


def test_a_folder_of_mixed_returned_forms_becomes_one_spreadsheet_with_a_status_per_file(
    returned: Path, tmp_path: Path
) -> None:
    out = tmp_path / "opp-terug.xlsx"
    report = tmp_path / "verslag.csv"
    result = oppforms("extract", str(returned), "-o", str(out), "--report", str(report), "--jobs", "2")
    assert result.returncode == 1, result.stderr  # two files are no readable OPP
    lines = result.stderr.splitlines()

    def line_of(path: Path) -> str:
        return next(line for line in lines if f" {path}" in line)

    assert line_of(returned / "2H1" / "004512.pdf").startswith("ok ")
    assert line_of(returned / "115024-geprint.pdf").startswith("ok ")
    assert line_of(returned / "begeleidende-brief.pdf").startswith("not this form ")
    assert line_of(returned / "kapot.pdf").startswith("malformed ")
    assert not any("verborgen" in line or "notities" in line for line in lines)
    assert lines[-2].startswith("5 files, 3 forms read")
    for sample in (SAMPLES[0], SAMPLES[1], LONG):
        assert sample["leerling.naam"] not in result.stderr  # no pupil data in messages
    ws = openpyxl.load_workbook(out).worksheets[0]
    rows = [[c.value or "" for c in row] for row in ws.iter_rows()]
    header, data = rows[0], rows[1:]
    by_number = {row[header.index("leerling.nummer")]: dict(zip(header, row, strict=True)) for row in data}
    assert set(by_number) == {"004512", "118237", "115024"}
    for sample in (SAMPLES[0], SAMPLES[1]):
        got = by_number[sample["leerling.nummer"]]
        assert {k: got[k] for k in sample} == expected(sample)
    assert by_number["115024"]["method"] == "text"
    assert by_number["115024"]["doelen.school"].split() == LONG["doelen.school"].split()
    assert "kapot.pdf,malformed,0," in report.read_text(encoding="utf-8")


def test_without_an_output_the_records_go_to_stdout_as_json(returned: Path) -> None:
    result = oppforms("extract", str(returned / "2H1" / "004512.pdf"))
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert record["fields"] == expected(SAMPLES[0])
    assert record["source"] == str(returned / "2H1" / "004512.pdf")
    assert SAMPLES[0]["leerling.naam"] not in result.stderr


def test_files_that_are_no_opp_at_all_exit_with_4(returned: Path) -> None:
    result = oppforms("extract", str(returned / "begeleidende-brief.pdf"))
    assert result.returncode == 4
    assert json.loads(result.stdout) == []
    assert "none of the files is an OPP korte versie form" in result.stderr


def test_files_that_cannot_be_read_exit_with_3(returned: Path, tmp_path: Path) -> None:
    locked = tmp_path / "op-slot.pdf"
    with pikepdf.open(returned / "2H1" / "004512.pdf") as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="geheim", owner="x", R=6))
    result = oppforms("extract", str(locked), str(returned / "kapot.pdf"))
    assert result.returncode == 3
    assert "encrypted with a password (give it with --password)" in result.stderr
    good = oppforms("extract", str(locked), "--password", "geheim")
    assert good.returncode == 0 and json.loads(good.stdout)[0]["fields"] == expected(SAMPLES[0])
    assert "geheim" not in good.stderr


def test_xfdf_goes_to_one_file_for_one_form_or_a_folder_for_many(returned: Path, tmp_path: Path) -> None:
    one = tmp_path / "004512.xfdf"
    assert oppforms("extract", str(returned / "2H1" / "004512.pdf"), "-o", str(one)).returncode == 0
    assert one.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')
    many = oppforms("extract", str(returned / "2H1"), "-o", str(tmp_path / "alle.xfdf"))
    assert many.returncode == 2 and "give a folder" in many.stderr
    folder = tmp_path / "xfdf"
    folder.mkdir()
    assert oppforms("extract", str(returned / "2H1"), "-o", str(folder), "--format", "xfdf").returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["004512.xfdf", "118237-opnieuw-bewaard.xfdf"]


@pytest.mark.parametrize("given", ["nieuw/", "nieuw"])
def test_xfdf_to_a_folder_that_does_not_exist_yet_creates_it(returned: Path, tmp_path: Path, given: str) -> None:
    # "-o xfdf/ --format xfdf" as the README shows it; and a new name without the extension
    result = subprocess.run(
        [sys.executable, "-m", "oppforms", "extract", str(returned / "2H1"), "-o", given, "--format", "xfdf"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "nieuw"
    assert folder.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == ["004512.xfdf", "118237-opnieuw-bewaard.xfdf"]
    assert all(p.read_text(encoding="utf-8").startswith("<?xml") for p in folder.iterdir())


def test_one_form_to_a_new_name_without_the_extension_is_one_file(returned: Path, tmp_path: Path) -> None:
    result = oppforms("extract", str(returned / "2H1" / "004512.pdf"), "-o", str(tmp_path / "een"), "--format", "fdf")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "een").is_file() and (tmp_path / "een").read_bytes().startswith(b"%FDF-1.2")


# ---------------------------------------------------------------------------------------
# The seam to the scanned-forms reader


def _scanned_pdf(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "scan.pdf"
    Image.new("RGB", (200, 280), "white").save(path, "PDF", resolution=24)
    return path


def test_scans_go_to_the_scanned_forms_reader_with_the_issued_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, Any]] = []

    def read_scanned(
        files: list[tuple[Path, str]], spec: Any, *, issued: Path | None, jobs: int = 1, review_dir: Path | None = None
    ) -> ScanRun:
        calls.append({"paths": [p for p, _ in files], "issued": issued, "jobs": jobs, "form": spec.form_id})
        fields = expected(SAMPLES[0])
        signed = {f.name: False for f in spec.signature_fields}
        records = tuple(Record(name, spec.form_id, spec.version, "scan", fields, signed) for _, name in files)
        return ScanRun(records, tuple(ScannedFile(name, 1, (i,)) for i, (_, name) in enumerate(files)))

    monkeypatch.setattr(extract_run, "scanned_reader", lambda: read_scanned)
    scan = _scanned_pdf(tmp_path)
    photo = tmp_path / "foto.png"
    __import__("PIL.Image").Image.new("L", (50, 70), 255).save(photo)
    issued = tmp_path / "uitgegeven"
    issued.mkdir()
    code = main("extract", str(scan), str(photo), "--issued", str(issued), "--jobs", "2")
    out = capsys.readouterr()
    assert code == 0, out.err
    assert [c["paths"] for c in calls] == [[scan, photo]]  # read together, in one run
    assert all(c["issued"] == issued and c["jobs"] == 2 and c["form"] == "opp-kort" for c in calls)
    records = json.loads(out.out)
    assert [r["method"] for r in records] == ["scan", "scan"]


def test_without_the_scanned_forms_reader_scans_need_ocr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(extract_run, "scanned_reader", lambda: None)
    code = main("extract", str(_scanned_pdf(tmp_path)))
    err = capsys.readouterr().err
    assert code == 1
    assert "needs OCR" in err and "reading scanned forms is not installed" in err


def test_a_scanned_forms_reader_missing_a_library_exits_with_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from oppforms.errors import MissingDependencyError

    def read_scanned(
        files: list[tuple[Path, str]], spec: Any, *, issued: Path | None, jobs: int = 1, review_dir: Path | None = None
    ) -> ScanRun:
        raise MissingDependencyError("reading scanned forms needs tesseract: apt-get install tesseract-ocr")

    monkeypatch.setattr(extract_run, "scanned_reader", lambda: read_scanned)
    code = main("extract", str(_scanned_pdf(tmp_path)), "-o", str(tmp_path / "uit.csv"))
    err = capsys.readouterr().err
    assert code == 5
    assert "apt-get install tesseract-ocr" in err
    assert (tmp_path / "uit.csv").exists()  # what was read is written first


def test_ctrl_c_stops_cleanly_with_130_and_leaves_no_file_and_no_worker(tmp_path: Path) -> None:
    import os
    import signal
    import time

    folder = tmp_path / "veel"
    folder.mkdir()
    data = fill_pdf(LONG, flatten=True)  # read from the page text: slow enough to interrupt
    for i in range(60):
        (folder / f"{i:03d}.pdf").write_bytes(data)
    out = tmp_path / "uit.xlsx"
    proc = subprocess.Popen(
        [sys.executable, "-m", "oppforms", "extract", str(folder), "-o", str(out), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert proc.stderr is not None
    assert proc.stderr.readline().startswith("ok ")  # it is under way
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
    assert proc.wait(timeout=60) == 130
    assert "interrupted" in proc.stderr.read()
    assert not out.exists() and not list(tmp_path.glob(".uit.xlsx*"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break  # no worker process left behind
        time.sleep(0.1)
    else:
        pytest.fail("worker processes were left running")


def test_review_items_of_scans_go_to_a_dutch_html_report_with_their_crops_linked_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    from oppforms.records import ReviewItem, empty_values
    from oppforms.spec import current_spec

    seen: dict[str, Path | None] = {}

    def read_scanned(
        files: list[tuple[Path, str]], spec: Any, *, issued: Path | None, jobs: int = 1, review_dir: Path | None = None
    ) -> ScanRun:
        seen["review_dir"] = review_dir
        crop = None
        if review_dir is not None:
            review_dir.mkdir(parents=True, exist_ok=True)
            crop = review_dir / "ABCD1234-p1-doelen.school-1.png"
            Image.new("L", (40, 20), 90).save(crop)
        fields, signed = empty_values(current_spec())
        item = ReviewItem("handwriting or marks added on paper", "doelen.school", 1, (10.0, 10.0, 50.0, 30.0),
                          str(crop) if crop else None)
        ((_, name),) = files
        record = Record(name, "opp-kort", "1", "scan", fields, signed, (item,), (), "ABCD-1234")
        return ScanRun((record,), (ScannedFile(name, 1, (0,)),))

    monkeypatch.setattr(extract_run, "scanned_reader", lambda: read_scanned)
    report = tmp_path / "controle.html"
    code = main("extract", str(_scanned_pdf(tmp_path)), "-o", str(report))
    assert code == 1  # a form needs review
    html = report.read_text(encoding="utf-8")
    assert "handschrift of tekens op papier toegevoegd" in html and "doelen.school" in html
    assert "data:image" not in html
    assert "<img src='controle-crops/ABCD1234-p1-doelen.school-1.png'" in html
    assert seen["review_dir"] == tmp_path / "controle-crops"
    out = tmp_path / "terug.json"
    main("extract", str(_scanned_pdf(tmp_path)), "-o", str(out))
    assert (tmp_path / "terug-review.html").exists() and seen["review_dir"] == tmp_path / "terug-review"
    record = json.loads(out.read_text(encoding="utf-8"))[0]
    assert record["review"][0]["crop"].endswith(".png")
    assert record["review"][0]["reason"] == "handwriting or marks added on paper"  # records keep English
    # JSON on stdout: no page, no crops, and that is said (it was silent)
    seen.clear()
    capsys.readouterr()
    assert main("extract", str(_scanned_pdf(tmp_path))) == 1
    said = capsys.readouterr()
    assert json.loads(said.out)[0]["review"][0]["field"] == "doelen.school"
    assert seen["review_dir"] is None
    assert "review: 1 item to check" in said.err and "no review page or crops are written" in said.err


def test_photos_whose_file_names_are_not_utf8_are_read_and_their_review_crops_saved(tmp_path: Path) -> None:
    """A form photographed page by page into files whose names are not UTF-8 (Linux keeps
    any bytes): read as one form, its records and review crops written (a crop's name hashed
    the file's name as UTF-8, which such a name is not: the whole run stopped)."""
    import os
    import shutil

    from oppforms.scan.ocr import tessdata_dir

    if tessdata_dir() is None or shutil.which("pdftoppm") is None:
        pytest.skip("needs tesseract with the Dutch model and pdftoppm (poppler-utils)")
    form = tmp_path / "form.pdf"
    form.write_bytes(fill_pdf(SAMPLES[0]))
    photos = tmp_path / "fotos"
    photos.mkdir()
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(form), str(tmp_path / "p")], check=True, timeout=120)
    try:
        for i, page in enumerate(sorted(tmp_path.glob("p-*.png")), 1):
            page.rename(photos / os.fsdecode(b"foto-\xe9-%d.png" % i))
    except (OSError, UnicodeEncodeError):
        pytest.skip("this filesystem keeps only UTF-8 file names")
    result = oppforms("extract", str(photos), "-o", str(tmp_path / "terug.jsonl"))
    assert result.returncode in (0, 1), result.stderr  # 1: a box to review
    [record] = [json.loads(line) for line in (tmp_path / "terug.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["method"] == "scan" and record["fields"]["leerling.nummer"] == SAMPLES[0]["leerling.nummer"]
    assert record["source"].endswith("foto-\ufffd-1.png") and len(record["pages"]) == 5
    crops = [item["crop"] for item in record["review"] if item.get("crop")]
    assert crops and all((tmp_path / crop).is_file() or Path(crop).is_file() for crop in crops)


def test_the_same_document_in_two_files_is_said_with_both_files(tmp_path: Path) -> None:
    """A form returned twice, or the merged print file among the returned forms: both are
    read (a later copy may carry more signatures), and the command says it, naming both
    files and the document id (never values)."""
    data = fill_pdf(SAMPLES[0], doc_id="AAAA-AAAA")
    (tmp_path / "a.pdf").write_bytes(data)
    (tmp_path / "b.pdf").write_bytes(data)
    (tmp_path / "c.pdf").write_bytes(fill_pdf(SAMPLES[1], doc_id="BBBB-BBBB"))
    result = oppforms("extract", str(tmp_path), "-o", str(tmp_path / "terug.json"))
    assert result.returncode == 0, result.stderr
    records = json.loads((tmp_path / "terug.json").read_text(encoding="utf-8"))
    assert len(records) == 3
    document = records[0]["document"]
    lines = [line for line in result.stderr.splitlines() if "the same document" in line]
    assert lines == [f"oppforms: {tmp_path / 'b.pdf'}: the same document ({document}) as in {tmp_path / 'a.pdf'}: both "
                     "are in the output (returned twice, or a print or merged copy among the returned files?)"]
