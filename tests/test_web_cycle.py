"""The web app through a school's cycle: what staff read when rows lack a leerlingnummer,
when the same numbers come twice, when a file has only its header; that one pupil's form
is never replaced by another's; and that uploads are named as staff gave them, never by
the workspace's stored paths. Helpers and the ``served`` fixture from test_web.py."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

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


# ---------------------------------------------------------------------------------------
# The same returned file uploaded again

DATE = "akkoord.leerling.start.datum"


def _typed_date(data: bytes, value: str) -> bytes:
    """A filled form as a PDF viewer saves it after someone typed ``value`` in a date box."""
    import pikepdf

    from oppforms.extract.acroform import field_tree

    with pikepdf.open(io.BytesIO(data)) as pdf:
        field_tree(pdf).fields[DATE].node[pikepdf.Name.V] = pikepdf.String(value)
        pdf.Root.AcroForm[pikepdf.Name.NeedAppearances] = True
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _return(client: TestClient, web: WebApp, *files: tuple[str, bytes]) -> str:
    r = client.post("/terug", files=[("bestanden", f) for f in files], headers=SAME, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert web.jobs.wait_idle(120)
    return str(r.headers["location"])


def _export_rows(client: TestClient) -> list[dict[str, str]]:
    import csv

    from oppforms.exports import CSV_DELIMITER

    text = client.get("/export/opp-terug.csv").content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=CSV_DELIMITER))


def test_the_same_returned_file_uploaded_again_is_not_read_again_and_the_correction_stays(
    served: tuple[TestClient, WebApp], spec: FormSpec
) -> None:
    """A form corrected in review, then uploaded again byte for byte: one record, the
    correction kept, one export row, and the second file's line says it came before. A
    later version of the same form is still read."""
    from oppforms.web.base import local_time

    client, web = served
    ws = web.workspace
    filled = _zip(client, _fill(client, web, _csv([_pupil(1)])))["000001.pdf"]
    typed = _typed_date(filled, "ergens in mei")
    first = _return(client, web, ("000001.pdf", typed))
    assert "000001.pdf controleren 1" in _text(client.get(first).text)
    (item,) = ws.queue(spec)
    assert item.record.review[item.index].field == DATE
    client.post("/controleren", data={"record": str(item.record_id), "item": str(item.index), "waarde": "1-3-2027"},
                headers=SAME)
    assert ws.queue(spec) == []

    again = _return(client, web, ("000001.pdf", typed))
    records = ws.records(spec)
    assert len(records) == 1 and records[0].corrected.fields[DATE] == "2027-03-01"
    assert ws.queue(spec) == []  # the review item does not come back
    rows = [r for r in _export_rows(client) if r["leerling.nummer"] == "000001"]
    assert len(rows) == 1 and rows[0][DATE] == "2027-03-01"
    assert "1 bestand teruggekomen, met 1 formulier" in _text(client.get("/").text)
    page = _text(client.get(again).text)
    came = ws.job_uploads(first.rsplit("/", 1)[1])[0].created
    assert "Klaar : 1 van 1 bestanden gelezen" in page
    assert ("000001.pdf al eerder teruggekomen 0 precies hetzelfde bestand kwam al eerder terug als 000001.pdf "
            f"(op {local_time(came)}); het is niet opnieuw gelezen") in page
    assert "1 bestand kwam precies zo al eerder terug en is niet opnieuw gelezen: 000001.pdf" in page
    assert "al eerder teruggekomen" in _text(client.get("/terug").text)

    later = _return(client, web, ("000001-versie-2.pdf", _typed_date(filled, "2-3-2027")))
    assert "000001-versie-2.pdf gelezen 1" in _text(client.get(later).text)
    assert len(ws.records(spec)) == 2


def test_a_job_with_files_that_came_before_reads_only_the_others_each_in_its_place(
    served: tuple[TestClient, WebApp], spec: FormSpec
) -> None:
    """Returned before, new, and the new one twice in the same upload: only the new one
    is read; every file has its line, in the order chosen, and the job counts all three."""
    client, web = served
    forms = _zip(client, _fill(client, web, _csv([_pupil(1), _pupil(2)])))
    _return(client, web, ("000001.pdf", forms["000001.pdf"]))
    job = _return(client, web, ("nogmaals.pdf", forms["000001.pdf"]), ("000002.pdf", forms["000002.pdf"]),
                  ("kopie.pdf", forms["000002.pdf"]))
    assert sorted(r.record.fields["leerling.nummer"] for r in web.workspace.records(spec)) == ["000001", "000002"]
    found = web.workspace.job(job.rsplit("/", 1)[1])
    assert found is not None and (found.state, found.done, found.total) == ("done", 3, 3)
    page = _text(client.get(job).text)
    assert "Klaar : 3 van 3 bestanden gelezen" in page
    lines = page.split("Toelichting", 1)[1]
    assert lines.index("nogmaals.pdf al eerder teruggekomen 0") < lines.index("000002.pdf gelezen 1") \
        < lines.index("kopie.pdf al eerder teruggekomen 0")
    assert "nogmaals.pdf al eerder teruggekomen 0 precies hetzelfde bestand kwam al eerder terug als 000001.pdf" in lines
    assert "kopie.pdf al eerder teruggekomen 0 precies hetzelfde bestand kwam al eerder terug als 000002.pdf" in lines
    assert "2 bestanden teruggekomen, met 2 formulieren" in _text(client.get("/").text)


def test_a_file_returned_before_the_workspace_kept_checksums_is_known_again_after_the_migration(
    tmp_path: Path, spec: FormSpec
) -> None:
    """A workspace at the schema before this check: its returned upload and the decision
    made on it are kept, and the same file uploaded again is not read again (its SHA-256 is
    computed from the stored file when first needed, and kept)."""
    import json
    import sqlite3

    from oppforms import workspace
    from oppforms.web.app import Settings, create_app
    from oppforms.web.base import local_time

    from .test_web import PORT, TOKEN, _client

    root = tmp_path / "werkruimte"
    (root / "uploads").mkdir(parents=True)
    data = b"%PDF-1.4\n% a returned form, fictional\n"
    (root / "uploads" / "0123456789abcdef.pdf").write_bytes(data)
    fields, signed = empty_values(spec)
    fields.update({"leerling.nummer": "118237", "leerling.naam": "Sanne Voorbeeld", "leerling.klas": "2B"})
    record = Record("118237.pdf", spec.form_id, spec.version, "fields", fields, signed,
                    (ReviewItem("leerling.klas: read with low confidence", field="leerling.klas", page=1),))
    db = sqlite3.connect(root / workspace.DB_NAME, isolation_level=None)
    for script in workspace.MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO uploads VALUES ('0123456789abcdef', 'returned', '118237.pdf', 'uploads/0123456789abcdef.pdf', "
               "?, '2026-06-12T07:19:00+00:00')", (len(data),))
    db.execute("INSERT INTO jobs (id, kind, state, total, done, created, finished) VALUES "
               "('00aa00aa00aa00aa', 'read', 'done', 1, 1, '2026-06-12T07:19:01+00:00', '2026-06-12T07:19:05+00:00')")
    db.execute("INSERT INTO job_uploads VALUES ('00aa00aa00aa00aa', '0123456789abcdef')")
    db.execute("INSERT INTO files (job, upload, name, status, reason) VALUES "
               "('00aa00aa00aa00aa', '0123456789abcdef', '118237.pdf', 'needs review', '')")
    db.execute("INSERT INTO records (file, position, data) VALUES (1, 0, ?)", (json.dumps(record.to_json()),))
    db.execute("INSERT INTO decisions (record, item, value, decided) VALUES (1, 0, '3C', '2026-06-12T08:00:00+00:00')")
    db.close()

    guard, web = create_app(Settings(root, TOKEN, PORT))
    try:
        client = _client(guard)
        assert web.workspace.schema_version == len(workspace.MIGRATIONS)
        job = _return(client, web, ("118237 (1).pdf", data))
        page = _text(client.get(job).text)
        assert ("118237 (1).pdf al eerder teruggekomen 0 precies hetzelfde bestand kwam al eerder terug als 118237.pdf "
                f"(op {local_time('2026-06-12T07:19:00+00:00')})") in page
        records = web.workspace.records(spec)
        assert len(records) == 1 and records[0].corrected.fields["leerling.klas"] == "3C"
        check = sqlite3.connect(root / workspace.DB_NAME)
        try:
            kept = check.execute("SELECT sha256 FROM uploads WHERE id = '0123456789abcdef'").fetchone()[0]
        finally:
            check.close()
        assert kept == hashlib.sha256(data).hexdigest()
    finally:
        web.jobs.stop()


def test_a_signature_page_returned_alone_shows_whose_form_it_is(served: tuple[TestClient, WebApp],
                                                                 spec: FormSpec) -> None:
    """Parents often send back only the signature page: its record has no name or number
    (their page did not come back), but the form's document id says whose it is; the review
    and the signature list show the pupil as issued, and the record stays as read."""
    from oppforms.issued import read_issued

    client, web = served
    _fill(client, web, _csv([_pupil(31)]))
    [entry] = [e for e in read_issued(web.workspace.issued_dir) if e["values"]["leerling.nummer"] == "000031"]
    ws = web.workspace
    upload = ws.add_upload("returned", "handtekeningen.jpg", ".jpg", b"\xff\xd8only-page-3")
    job = ws.add_job("read", [upload.id], {}, total=1)
    fields, signed = empty_values(spec)
    signature = next(f.name for f in spec.signature_fields)
    record = Record(str(upload.path), spec.form_id, spec.version, "scan", fields, signed,
                    (ReviewItem("signature: not sure whether it is signed", field=signature, page=3),),
                    document=str(entry["document"]), pages=(PageOrigin(3, str(upload.path), 1),))
    ws.add_returned(job.id, upload, FileResult(str(upload.path), FileStatus.REVIEW, (record,)), 1)
    ws.update_job(job.id, state="done")
    page = _text(client.get("/controleren").text)
    assert "Leerling 31 (000031)" in page
    pupils = _text(client.get("/handtekeningen").text)
    assert "000031 Leerling 31 2B teruggekomen" in pupils
    assert ws.records(spec)[0].record.fields["leerling.nummer"] == ""  # nothing made up in the record


def _signature_page_alone(web: WebApp, spec: FormSpec, document: str) -> tuple[list[int], list[str], str]:
    """A returned signature page alone, its record as the scan reader makes it: every other
    page missing, each field on them unread, and one signature box not sure. (The missing
    pages, their value fields, that box.)"""
    from oppforms.scan.assemble import MISSING_PAGE, UNREAD_ON_MISSING_PAGE

    ws = web.workspace
    pages = max(w.page_no for f in spec.fields for w in f.widgets)
    box = spec.signature_fields[0]
    kept = box.widgets[0].page_no
    missing = [n for n in range(1, pages + 1) if n != kept]
    upload = ws.add_upload("returned", "handtekeningen.jpg", ".jpg", b"\xff\xd8only-the-signature-page")
    job = ws.add_job("read", [upload.id], {}, total=1)
    fields, signed = empty_values(spec)
    review = [ReviewItem(MISSING_PAGE.format(page=n, pages=pages), page=n) for n in missing]
    review.append(ReviewItem("signature: not sure whether it is signed", field=box.name, page=kept))
    values = []
    for f in spec.fields:
        page = next((w.page_no for w in f.widgets if w.page_no in missing), 0)
        if page:
            review.append(ReviewItem(UNREAD_ON_MISSING_PAGE.format(page=page), field=f.name, page=page))
            values.append(f.name)
    record = Record(str(upload.path), spec.form_id, spec.version, "scan", fields, signed, tuple(review),
                    document=document, pages=(PageOrigin(kept, str(upload.path), 1),))
    ws.add_returned(job.id, upload, FileResult(str(upload.path), FileStatus.REVIEW, (record,)), 1)
    ws.update_job(job.id, state="done")
    return missing, values, box.name


def test_the_fields_of_pages_that_did_not_come_back_take_the_issued_values_in_one_step(
    served: tuple[TestClient, WebApp], spec: FormSpec,
) -> None:
    """A parent sent back only the signature page: every field of the other pages is a
    review item (unread, not empty). Staff can take them all as the form was issued, in one
    step; signature boxes are never taken over, and the record is corrected, not changed."""
    from oppforms.issued import read_issued

    client, web = served
    _fill(client, web, _csv([_pupil(32)]))
    [entry] = [e for e in read_issued(web.workspace.issued_dir) if e["values"]["leerling.nummer"] == "000032"]
    missing, values, box = _signature_page_alone(web, spec, str(entry["document"]))
    assert len(values) > 20
    page = _text(client.get("/controleren").text)
    pages = ", ".join(map(str, missing[:-1])) + f" en {missing[-1]}"
    assert f"Pagina's {pages} van dit formulier zijn niet teruggekomen" in page
    assert f"{len(values)} waarden overnemen zoals uitgegeven" in page
    before = len(web.workspace.queue(spec))
    r = client.post("/controleren/uitgegeven", data={"record": "1"}, headers=SAME, follow_redirects=False)
    assert r.status_code == 303
    assert f"{len(values)} waarden overgenomen zoals uitgegeven" in _text(client.get(r.headers["location"]).text)
    left = web.workspace.queue(spec)
    assert len(left) == before - len(values) - len(missing)
    assert [q.record.review[q.index].field for q in left] == [box]  # the signature is judged by a person
    corrected = web.workspace.records(spec)[0].corrected
    assert {name: corrected.fields[name] for name in values} == {name: entry["values"][name] for name in values}
    assert corrected.fields["leerling.nummer"] == "000032"
    assert not any(corrected.signed.values())
    assert web.workspace.records(spec)[0].record.fields["leerling.nummer"] == ""  # what was read stays as read
    assert any("waarden overgenomen zoals uitgegeven" in what for _, _, what in web.workspace.history())
    assert "overnemen zoals uitgegeven" not in _text(client.get("/controleren").text)
    # one step, undone as one
    client.post("/controleren/ongedaan", headers=SAME, follow_redirects=False)
    assert len(web.workspace.queue(spec)) == before
    assert web.workspace.records(spec)[0].corrected.fields["leerling.nummer"] == ""


def test_without_the_issued_form_nothing_is_offered_to_take_over(served: tuple[TestClient, WebApp],
                                                                 spec: FormSpec) -> None:
    """A form filled elsewhere (its document not in this workspace's registry): the fields
    are decided one by one, and a forged request changes nothing."""
    client, web = served
    _signature_page_alone(web, spec, "ABCD-EFGH")
    assert "overnemen zoals uitgegeven" not in _text(client.get("/controleren").text)
    before = len(web.workspace.queue(spec))
    client.post("/controleren/uitgegeven", data={"record": "1"}, headers=SAME, follow_redirects=False)
    assert len(web.workspace.queue(spec)) == before


def test_a_review_item_shows_the_page_from_the_file_that_holds_it(served: tuple[TestClient, WebApp],
                                                                  spec: FormSpec) -> None:
    """A form photographed page by page: the item on page 2 is in the second photo, page 1
    of that file — not page 2 of the first photo (which has none, or another pupil's page)."""
    cv2 = pytest.importorskip("cv2", reason="rendering a photo needs OpenCV")
    import numpy as np

    client, web = served
    ws = web.workspace
    photos = []
    for name, shade in (("IMG_2231.png", 40), ("IMG_2232.png", 220)):
        ok, png = cv2.imencode(".png", np.full((140, 100), shade, np.uint8))
        assert ok
        photos.append(ws.add_upload("returned", name, ".png", png.tobytes()))
    job = ws.add_job("read", [u.id for u in photos], {}, total=2)
    fields, signed = empty_values(spec)
    fields.update({"leerling.nummer": "000042", "leerling.naam": "Foto Leerling"})
    record = Record(str(photos[0].path), spec.form_id, spec.version, "scan", fields, signed,
                    (ReviewItem("the lines read with low confidence", field="hulpvraag.leerling", page=2),),
                    pages=(PageOrigin(1, str(photos[0].path), 1), PageOrigin(2, str(photos[1].path), 1)))
    ws.add_returned(job.id, photos[0], FileResult(str(photos[0].path), FileStatus.REVIEW, (record,)), 1)
    ws.update_job(job.id, state="done")
    assert "bestand IMG_2232.png · pagina 2" in _text(client.get("/controleren").text)
    assert "Pagina 2 van IMG_2232.png" in _text(client.get("/controleren/1/0/pagina").text)
    shown = client.get("/controleren/1/0/pagina.png")
    assert shown.status_code == 200
    image = cv2.imdecode(np.frombuffer(shown.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.mean() > 128  # the light second photo, not the dark first


def test_the_archive_check_is_a_page_of_its_own_and_days_show_without_a_time(served: tuple[TestClient, WebApp]) -> None:
    """Back, forward and reload on the check's result must not send the form again (a
    redirect to an address of its own, as every other button); a day without a time (the
    index's archiving date) is no midnight."""
    pytest.importorskip("bagit", reason="the archive needs bagit")
    from oppforms.web.base import local_time

    client, _ = served
    client.post("/archief/aanmaken", data={"school": "Het Voorbeeld College", "jaren": "2"}, headers=SAME)
    r = client.post("/archief/controleren", headers=SAME, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/archief?controle=1"
    assert "Het archief is in orde" in _text(client.get(r.headers["location"]).text)
    assert local_time("2026-12-07") == "7-12-2026"


def test_the_log_says_statuses_in_dutch(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    client, web = served
    ws = web.workspace
    upload = ws.add_upload("returned", "scan.pdf", ".pdf", b"%PDF-1.4\n")
    job = ws.add_job("read", [upload.id], {}, total=1)
    ws.add_returned(job.id, upload, FileResult("scan.pdf", FileStatus.REVIEW, ()), 1)
    lines = [what for _, _, what in ws.history()]
    assert any(line.endswith("gelezen: controleren, 0 formulier(en)") for line in lines), lines
    assert not any("needs review" in line for line in lines)


def test_the_signature_list_is_named_for_what_it_holds(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    whole = client.get("/handtekeningen/ontbrekend.xlsx")
    assert 'filename="handtekeningen.xlsx"' in whole.headers["content-disposition"]
    missing = client.get("/handtekeningen/ontbrekend.xlsx?filter=onvolledig")
    assert 'filename="ontbrekend.xlsx"' in missing.headers["content-disposition"]


def test_the_signature_list_can_show_one_schooljaar(served: tuple[TestClient, WebApp]) -> None:
    """Over several school years every pupil ever filled here whose form did not come back
    is on the list; a schooljaar chosen shows only that year's forms, on the page and in the
    download."""
    from openpyxl import load_workbook

    client, web = served
    _fill(client, web, _csv([_pupil(51, schooljaar="2025-2026"), _pupil(52, schooljaar="2026-2027")]))
    page = _text(client.get("/handtekeningen").text)
    assert "alle schooljaren 2026-2027 2025-2026" in page and "2 leerlingen" in page
    page = client.get("/handtekeningen", params={"schooljaar": "2025-2026"}).text
    assert "000051" in page and "000052" not in page
    assert "1 leerling in schooljaar 2025-2026" in _text(page)
    assert 'href="/handtekeningen/ontbrekend.xlsx?schooljaar=2025-2026"' in page
    sheet = client.get("/handtekeningen/ontbrekend.xlsx", params={"schooljaar": "2025-2026"})
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["000051"]
    # a schooljaar there is no form of shows all, as without one
    assert "000052" in client.get("/handtekeningen", params={"schooljaar": "1999-2000"}).text


@pytest.mark.parametrize("filled_here", [True, False])
def test_enter_never_makes_a_field_of_a_page_that_did_not_come_back_empty(
    served: tuple[TestClient, WebApp], spec: FormSpec, filled_here: bool,
) -> None:
    """Going through the queue with Enter, as the page says to: a field whose page did not
    come back was not read, so its input holds the issued value (when filled here) and an
    empty value is refused, not saved as the form's; the page says the page did not come back
    rather than show another page as its paper."""
    from oppforms.issued import read_issued
    from oppforms.scan.assemble import UNREAD_ON_MISSING_PAGE

    client, web = served
    _fill(client, web, _csv([_pupil(33, **{"hulpvraag.leerling": "Meer tijd bij toetsen."})]))
    [entry] = [e for e in read_issued(web.workspace.issued_dir) if e["values"]["leerling.nummer"] == "000033"]
    ws = web.workspace
    upload = ws.add_upload("returned", "alleen-pagina-3.png", ".png", b"\x89PNG-page-3")
    job = ws.add_job("read", [upload.id], {}, total=1)
    fields, signed = empty_values(spec)
    field = "hulpvraag.leerling"
    page = spec.field(field).widgets[0].page_no
    record = Record(str(upload.path), spec.form_id, spec.version, "scan", fields, signed,
                    (ReviewItem(UNREAD_ON_MISSING_PAGE.format(page=page), field=field, page=page),),
                    document=str(entry["document"]) if filled_here else "ZZZZ-9999", pages=(PageOrigin(3, str(upload.path), 1),))
    ws.add_returned(job.id, upload, FileResult(str(upload.path), FileStatus.REVIEW, (record,)), 1)
    ws.update_job(job.id, state="done")
    html = client.get("/controleren").text
    page_text = _text(html)
    assert f"pagina {page} is niet teruggekomen" in page_text and "Hele pagina bekijken" not in page_text
    assert ("Meer tijd bij toetsen." in html) is filled_here  # the issued value, in the input
    r = client.post("/controleren", data={"record": "1", "item": "0", "actie": "goed", "waarde": ""}, headers=SAME)
    assert r.status_code == 400 and "niet teruggekomen" in _text(r.text)
    assert len(ws.queue(spec)) == 1  # nothing decided
    r = client.post("/controleren", data={"record": "1", "item": "0", "actie": "goed", "waarde": "Meer tijd."},
                    headers=SAME, follow_redirects=False)
    assert r.status_code == 303 and not ws.queue(spec)
    assert ws.records(spec)[0].corrected.fields[field] == "Meer tijd."


def test_a_form_corrected_after_it_was_archived_is_ready_to_archive_again(served: tuple[TestClient, WebApp],
                                                                        spec: FormSpec) -> None:
    """The archive page counted a record archived once as archived for good: corrected
    after it (a decision undone and made otherwise), it could not be archived again, though
    archiving adds a changed form as a new version."""
    pytest.importorskip("bagit", reason="the archive needs bagit")
    from oppforms.issued import read_issued

    client, web = served
    ws = web.workspace
    client.post("/archief/aanmaken", data={"school": "Het Voorbeeld College", "jaren": "2"}, headers=SAME)
    _fill(client, web, _csv([_pupil(61)]))
    [entry] = list(read_issued(ws.issued_dir))
    upload = ws.add_upload("returned", "000061.pdf", ".pdf", (ws.issued_dir / str(entry["file"])).read_bytes())
    job = ws.add_job("read", [upload.id], {}, total=1)
    fields, signed = empty_values(spec)
    fields.update({k: str(v) for k, v in entry["values"].items() if k in fields})  # type: ignore[union-attr]
    record = Record(str(upload.path), spec.form_id, spec.version, "acroform", fields, signed,
                    (ReviewItem("handwriting or marks added on paper", field="leerling.klas", page=1),),
                    document=str(entry["document"]))
    ws.add_returned(job.id, upload, FileResult(str(upload.path), FileStatus.REVIEW, (record,)), 1)
    ws.update_job(job.id, state="done")
    ws.decide(1, 0, value="2B", field="leerling.klas")
    client.post("/archief/archiveren", headers=SAME)
    assert web.jobs.wait_idle(300)
    page = _text(client.get("/archief").text)
    assert "0 formulieren zijn gecontroleerd en klaar om te archiveren. 1 formulier staat al in het archief" in page
    ws.undo_last()
    ws.decide(1, 0, value="2C", field="leerling.klas")
    page = _text(client.get("/archief").text)
    assert "1 formulier is gecontroleerd en klaar om te archiveren" in page
    r = client.post("/archief/archiveren", headers=SAME, follow_redirects=False)
    assert web.jobs.wait_idle(300)
    assert "nieuwe versie" in _text(client.get(r.headers["location"]).text)
    assert "1 formulier staat al in het archief" in _text(client.get("/archief").text)
