"""Forms whose pages came in several files (issue 15): phone photos one JPEG per page, a
copier's "scan to folder" one PDF per page, and a whole scanner PDF, mixed in one folder,
are assembled into one record per form across all the files of one run.

The pages are rendered from forms filled with fictional values, photographed or scanned by
the benchmark's generator (benchmarks/scangen.py), and read with the fake OCR engine of
test_scan.py (the real engine is tested in test_scan_tesseract.py).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.scangen import PROFILES, photograph, render, write_pdf, write_photo
from oppforms.batch import fill_many
from oppforms.errors import MissingDependencyError
from oppforms.extract import FileResult, extract_many
from oppforms.extract import run as extract_run
from oppforms.records import FileStatus, Record
from oppforms.scan import read_scanned_files
from oppforms.scan.images import list_pages
from oppforms.spec import FormSpec

from .test_scan import BLOCK, DATE_ISO, LINE, Reading, uniform_record

DPI = 200
PHOTO = (1800, 2400)  # smaller than a phone's 12 MP, to keep the test quick


@dataclass
class Folder:
    path: Path
    issued: Path
    photos: str  # document ids
    single: str
    whole: str
    first_photo: str  # the photo of the first form's page 1
    first_single: str  # the one-page PDF of the second form's page 1
    duplicate_photo: str  # a photo of the second form's page 5, also in its own PDF


@pytest.fixture(scope="module")
def folder(spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> Folder:
    base = tmp_path_factory.mktemp("crossfile")
    issued = base / "issued"
    filled = list(fill_many([uniform_record(i + 1, spec) for i in range(3)], issued, spec=spec, identity_by_row=True))
    assert all(r.status == "ok" for r in filled)
    rng = random.Random(15)
    terug = base / "terug"
    terug.mkdir()
    # form 1: phone photos, one per page, shuffled, page 3 never photographed, one upside down
    pages = render(issued / filled[0].file, DPI)
    order = [4, 0, 3, 1]  # 0-based pages 5, 1, 4, 2
    first_photo = ""
    for n, k in enumerate(order):
        photo = photograph(pages[k], PROFILES["phone"], rng, size=PHOTO, upside_down=k == 3)
        name = f"IMG_{2230 + n}.jpg"
        write_photo(photo, terug / name, 85)
        if k == 0:
            first_photo = name
    # form 2: one PDF per page, as a copier scanning to a folder, named in reverse page order
    pages = render(issued / filled[1].file, DPI)
    singles = {k: f"scan-{len(pages) - k:04d}.pdf" for k in range(len(pages))}
    for k, page in enumerate(pages):
        write_pdf([page], terug / singles[k], DPI, 85)
    # ... and its page 5 photographed too
    write_photo(photograph(pages[4], PROFILES["phone"], rng, size=PHOTO), terug / "IMG_2299.jpg", 85)
    # form 3: a whole scanner PDF, pages out of order
    pages = render(issued / filled[2].file, DPI)
    write_pdf([pages[k] for k in (2, 0, 4, 1, 3)], terug / "kopieerapparaat.pdf", DPI, 85)
    # and a note that is no form at all
    note = np.full((2339, 1654), 250, np.uint8)
    cv2.putText(note, "Graag terugbellen", (150, 500), cv2.FONT_HERSHEY_SIMPLEX, 3, 0, 6)
    cv2.imwrite(str(terug / "notitie.png"), note)
    return Folder(
        terug, issued, filled[0].document, filled[1].document, filled[2].document,
        first_photo, singles[0], "IMG_2299.jpg",
    )


@pytest.fixture(scope="module")
def results(folder: Folder, spec: FormSpec, tmp_path_factory: pytest.TempPathFactory) -> list[FileResult]:
    review = tmp_path_factory.mktemp("review")
    reader = functools.partial(read_scanned_files, ocr=Reading)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extract_run, "scanned_reader", lambda: reader)
        return list(extract_many([folder.path], issued=folder.issued, spec=spec, review_dir=review))


def records_of(results: list[FileResult]) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for result in results:
        for record in result.records:
            assert record.document not in out, "a form is given once, by one file's result"
            out[record.document] = record
    return out


def name(path: str) -> str:
    return Path(path).name


def test_every_form_is_one_record_whatever_files_its_pages_came_in(folder: Folder, results: list[FileResult]) -> None:
    records = records_of(results)
    assert set(records) == {folder.photos, folder.single, folder.whole}
    for record in records.values():
        assert record.fields["schooljaar"] == LINE  # page 1
        assert record.fields["wijzer.suggestie.3"] == BLOCK  # page 5
        # page 3 (the signatures) was never photographed: nothing is made up for it
        assert record.fields["akkoord.leerling.start.datum"] == ("" if record.document == folder.photos else DATE_ISO)
        assert not any(i.reason.startswith("this page could not be matched") for i in record.review)


def test_a_record_names_the_file_of_its_first_page_and_where_every_page_came_from(
    folder: Folder, results: list[FileResult]
) -> None:
    records = records_of(results)
    photos = records[folder.photos]
    assert name(photos.source) == folder.first_photo
    assert [(p.page, name(p.source), p.source_page) for p in photos.pages] == [
        (1, "IMG_2231.jpg", 1), (2, "IMG_2233.jpg", 1), (4, "IMG_2232.jpg", 1), (5, "IMG_2230.jpg", 1),
    ]
    single = records[folder.single]
    assert name(single.source) == folder.first_single
    assert [(p.page, name(p.source)) for p in single.pages] == [(n, f"scan-{5 - n + 1:04d}.pdf") for n in range(1, 6)]
    whole = records[folder.whole]
    assert [(p.page, name(p.source), p.source_page) for p in whole.pages] == [
        (1, "kopieerapparaat.pdf", 2), (2, "kopieerapparaat.pdf", 4), (3, "kopieerapparaat.pdf", 1),
        (4, "kopieerapparaat.pdf", 5), (5, "kopieerapparaat.pdf", 3),
    ]
    assert whole.to_json()["pages"][0] == {"page": 1, "source": whole.source, "source_page": 2}


def test_missing_and_duplicate_pages_are_reported_per_form_across_the_files(
    folder: Folder, results: list[FileResult]
) -> None:
    records = records_of(results)
    missing = [i for i in records[folder.photos].review if "missing" in i.reason]
    assert [(i.page, i.reason) for i in missing] == [(3, "page 3 of 5 is missing from the scan")]
    twice = [w for w in records[folder.single].warnings if "scanned more than once" in w]
    assert len(twice) == 1 and twice[0].startswith("page 5 was scanned more than once; the clearer scan is used, not ")
    assert folder.duplicate_photo in twice[0]  # the one set aside is named
    assert not [i for r in records.values() if r.document != folder.photos for i in r.review if "missing" in i.reason]


def test_each_input_file_gets_one_result_and_the_status_of_the_forms_its_pages_went_into(
    folder: Folder, results: list[FileResult]
) -> None:
    by_name = {name(r.source): r for r in results}
    assert list(by_name) == sorted(p.name for p in folder.path.iterdir())  # one each, in order
    records = records_of(results)
    photos = records[folder.photos]
    for file in ("IMG_2230.jpg", "IMG_2232.jpg", "IMG_2233.jpg"):
        result = by_name[file]
        assert result.records == () and result.part_of == (photos.source,)
        assert result.status is FileStatus.REVIEW  # the form they belong to misses a page
        assert folder.first_photo in result.reason
    assert by_name[folder.first_photo].records == (photos,) and by_name[folder.first_photo].part_of == ()
    assert by_name[folder.first_single].status is FileStatus.WARNINGS  # its form has a page scanned twice
    assert by_name[folder.duplicate_photo].part_of == (records[folder.single].source,)
    # page 5 came twice: the photo first, then its own PDF, the clearer, which the record uses;
    # that PDF's file is the form's too, not "not this form"
    clearer = next(p.source for p in records[folder.single].pages if p.page == 5)
    assert name(clearer) == "scan-0001.pdf"
    assert by_name["scan-0001.pdf"].part_of == (records[folder.single].source,)
    assert by_name["scan-0001.pdf"].status is FileStatus.WARNINGS
    assert by_name["kopieerapparaat.pdf"].status is FileStatus.OK and len(by_name["kopieerapparaat.pdf"].records) == 1
    assert by_name["notitie.png"].status is FileStatus.NOT_THIS_FORM and by_name["notitie.png"].records == ()


def test_heic_photos_are_read_when_pillow_heif_is_installed(folder: Folder, spec: FormSpec, tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif (the optional HEIC reader) is not installed")
    from PIL import Image

    pillow_heif.register_heif_opener()
    with Image.open(folder.path / folder.first_photo) as im:
        im.save(tmp_path / "IMG_0001.HEIC", format="HEIF", quality=90, enc_params={"preset": "ultrafast"})
    run = read_scanned_files([(tmp_path / "IMG_0001.HEIC", "IMG_0001.HEIC")], spec, issued=folder.issued, ocr=Reading)
    (record,) = run.records
    assert record.document == folder.photos and record.fields["schooljaar"] == LINE
    assert [(p.page, p.source) for p in record.pages] == [(1, "IMG_0001.HEIC")]


def test_without_pillow_heif_a_heic_photo_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    photo = tmp_path / "IMG_0002.heic"
    photo.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # as if it were not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'oppforms\[heic\]'"):
        list_pages(photo)


def test_records_with_pages_from_several_files_fit_the_record_schema(results: list[FileResult], spec: FormSpec) -> None:
    import jsonschema

    from oppforms.records import record_schema

    schema = record_schema(spec)
    records = records_of(results)
    assert any(len(r.sources) > 1 for r in records.values())
    for record in records.values():
        jsonschema.validate(record.to_json(), schema)


def test_a_photo_cut_short_is_unreadable_not_another_document(folder: Folder, spec: FormSpec, tmp_path: Path) -> None:
    """A JPEG an e-mail cut off cannot be decoded: 'malformed' (a file to ask for again),
    not 'not this form' (a photo of something else, which a school sets aside)."""
    whole = (folder.path / folder.first_photo).read_bytes()
    (tmp_path / "afgebroken.jpg").write_bytes(whole[: len(whole) // 3])
    (tmp_path / "notitie.png").write_bytes((folder.path / "notitie.png").read_bytes())
    reader = functools.partial(read_scanned_files, ocr=Reading)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extract_run, "scanned_reader", lambda: reader)
        results = {Path(r.source).name: r for r in extract_many([tmp_path], issued=folder.issued, spec=spec)}
    assert results["afgebroken.jpg"].status is FileStatus.MALFORMED, results["afgebroken.jpg"]
    assert "cannot be decoded" in results["afgebroken.jpg"].reason
    assert results["notitie.png"].status is FileStatus.NOT_THIS_FORM
