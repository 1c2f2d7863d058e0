"""The web app through a school's cycle: what staff read when rows lack a leerlingnummer,
when the same numbers come twice, when a file has only its header; that one pupil's form
is never replaced by another's; and that uploads are named as staff gave them, never by
the workspace's stored paths. Helpers and the ``served`` fixture from test_web.py."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed (pip install 'oppforms[web]')")
pytest.importorskip("httpx2", reason="Starlette's TestClient needs httpx2")

from starlette.testclient import TestClient  # noqa: E402

from oppforms.extract import FileResult  # noqa: E402
from oppforms.records import FileStatus, PageOrigin, ReviewItem, empty_values, Record  # noqa: E402
from oppforms.spec import FormSpec  # noqa: E402
from oppforms.web.app import WebApp  # noqa: E402

from .test_web import SAME, _csv, _fill, _pupil, _text, served  # noqa: E402, F401


def _preview(client: TestClient, data: bytes, name: str = "leerlingen.csv") -> str:
    r = client.post("/invullen", files={"bestand": (name, data)}, headers=SAME, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def _start(client: TestClient, web: WebApp, preview: str, **form: str) -> str:
    r = client.post(preview + "/start", data=form, headers=SAME, follow_redirects=False)
    assert r.status_code == 303
    assert web.jobs.wait_idle(120)
    return r.headers["location"]


def _zip(client: TestClient, job: str) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{job}/formulieren.zip").content))
    return {n: archive.read(n) for n in archive.namelist()}


def test_replacing_never_puts_another_pupils_form_in_the_place_of_one_without_leerlingnummer(
    served: tuple[TestClient, WebApp],
) -> None:
    """Two spreadsheets, each with a row without leerlingnummer, both named rij-2.pdf: the
    second, even with "vervangen", must not replace the first pupil's form (nor change
    what the first job hands out)."""
    client, web = served
    first = _fill(client, web, _csv([{"leerling.naam": "Jan Eerste", "leerling.klas": "2A"}]))
    jan = _zip(client, first)
    assert list(jan) == ["rij-2.pdf"]
    second = _start(client, web, _preview(client, _csv([{"leerling.naam": "Piet Tweede", "leerling.klas": "2B"}])),
                    vervangen="ja")
    page = _text(client.get(second).text)
    assert "niet ingevuld" in page and "formulier van een ander record" in page and "--" not in page
    kept = (web.workspace.issued_dir / "rij-2.pdf").read_bytes()
    assert hashlib.sha256(kept).digest() == hashlib.sha256(jan["rij-2.pdf"]).digest()
    assert _zip(client, first) == jan


def test_a_form_of_the_same_pupil_with_new_data_is_still_replaced_when_asked(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    first = _fill(client, web, _csv([_pupil(7)]))
    before = _zip(client, first)["000007.pdf"]
    again = _start(client, web, _preview(client, _csv([_pupil(7, **{"leerling.klas": "3C"})])), vervangen="ja")
    assert "1 ingevuld" in _text(client.get(again).text)
    assert (web.workspace.issued_dir / "000007.pdf").read_bytes() != before


def test_the_preview_names_the_rows_without_leerlingnummer(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    page = _text(client.get(_preview(client, _csv([_pupil(1), {"leerling.naam": "Zonder Nummer",
                                                                   "leerling.klas": "2B"}]))).text)
    assert "Rij 3 heeft geen leerlingnummer" in page and "rij-3.pdf" in page
    assert "Alle rijen zijn in orde" not in page


def test_a_file_with_only_its_header_says_so_rather_than_all_rows_are_fine(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    page = _text(client.get(_preview(client, "leerling.naam;leerling.nummer\n".encode())).text)
    assert "geen rijen met gegevens" in page and "Alle rijen zijn in orde" not in page


def test_broken_json_gets_no_advice_about_columns(served: tuple[TestClient, WebApp]) -> None:
    """A JSON parse error names a line and a column: that is no unknown column."""
    client, _ = served
    page = _text(client.get(_preview(client, b'[{"leerling.naam": "A",\n', "kapot.json")).text)
    assert "kan dit bestand niet lezen" in page and "sla die kolommen over" not in page


def test_duplicate_rows_are_explained_without_command_line_options(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    job = _start(client, web, _preview(client, _csv([_pupil(1), _pupil(1, **{"leerling.klas": "3C"}), _pupil(2)])))
    page = _text(client.get(job).text)
    assert "1 ingevuld, 2 niet ingevuld" in page
    assert "geef elke leerling één rij" in page and "--on-duplicate" not in page
    assert "leerlingen.csv" in page and not any(u.path.name in page for u in web.workspace.job_uploads(job.rsplit("/", 1)[1]))


def test_unknown_columns_are_explained_with_the_pages_own_choice(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    page = _text(client.get(_preview(client, _csv([{**_pupil(1), "Favoriete kleur": "blauw"}]))).text)
    assert "sla die kolommen over" in page and "--map" not in page and "--ignore-unknown" not in page


def test_an_archive_job_on_the_overview_links_to_the_archive(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    job = web.workspace.add_job("archive", [], {})
    web.workspace.update_job(job.id, state="done")
    page = client.get("/").text
    assert f'href="/archief/taak/{job.id}"' in page and "Archiveren" in page
    assert f"/terug/taak/{job.id}" not in page


def test_returned_files_and_the_export_name_uploads_as_they_were_given(served: tuple[TestClient, WebApp],
                                                                       spec: FormSpec) -> None:
    """A form photographed page by page: the workspace keeps the stored paths (the archive
    opens each page's file by them), staff read and export the names they gave."""
    client, web = served
    ws = web.workspace
    first = ws.add_upload("returned", "IMG_2231.jpg", ".jpg", b"\xff\xd8first")
    second = ws.add_upload("returned", "IMG_2232.jpg", ".jpg", b"\xff\xd8second")
    job = ws.add_job("read", [first.id, second.id], {}, total=2)
    fields, signed = empty_values(spec)
    fields.update({"leerling.nummer": "000042", "leerling.naam": "Foto Leerling"})
    record = Record(str(first.path), spec.form_id, spec.version, "scan", fields, signed,
                    (ReviewItem(f"page 2 came from {second.path}", field=None),),
                    pages=(PageOrigin(1, str(first.path), 1), PageOrigin(2, str(second.path), 1)))
    ws.add_returned(job.id, first, FileResult(str(first.path), FileStatus.REVIEW, (record,)), 1)
    ws.add_returned(job.id, second, FileResult(str(second.path), FileStatus.OK, (),
                                               reason=f"its page(s) belong to the form whose first page is in "
                                                      f"{first.path}"), 2)
    ws.update_job(job.id, state="done")
    page = client.get(f"/terug/taak/{job.id}").text
    assert "IMG_2231.jpg" in page and str(ws.root) not in page and first.path.name not in page
    export = client.get("/export/opp-terug.csv").content.decode("utf-8-sig")
    assert "IMG_2231.jpg" in export and "IMG_2232.jpg" in export
    assert str(ws.root) not in export and first.path.name not in export and second.path.name not in export
    stored = ws.records(spec)[0].record  # kept as stored, for the archive
    assert [p.source for p in stored.pages] == [str(first.path), str(second.path)]


def test_the_archive_page_does_not_count_archived_forms_as_still_to_archive(served: tuple[TestClient, WebApp],
                                                                             spec: FormSpec) -> None:
    client, web = served
    ws = web.workspace
    upload = ws.add_upload("returned", "a.pdf", ".pdf", b"%PDF-1.4\n")
    job = ws.add_job("read", [upload.id], {}, total=1)
    fields, signed = empty_values(spec)
    fields["leerling.nummer"] = "000001"
    ws.add_returned(job.id, upload, FileResult("a.pdf", FileStatus.OK,
                                               (Record("a.pdf", spec.form_id, spec.version, "fields", fields, signed),)), 1)
    pytest.importorskip("bagit", reason="the archive needs bagit")
    from oppforms.archive import init_archive

    init_archive(ws.archive_dir, organization="Het Voorbeeld College", retention_years=2)
    archive_job = ws.add_job("archive", [], {})

    class Added:
        status, package, reason = "added", "p1", ""

    ws.add_archive_result(archive_job.id, 1, ws.records(spec)[0].id, Added())
    page = _text(client.get("/archief").text)
    assert "0 formulieren zijn gecontroleerd en klaar om te archiveren" in page
    assert "1 formulier staat al in het archief" in page
