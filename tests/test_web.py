"""The web app (``oppforms serve``) through Starlette's TestClient: every route and every
security rule. The real-browser tests are in test_web_browser.py."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed (pip install 'oppforms[web]')")
pytest.importorskip("httpx2", reason="Starlette's TestClient needs httpx2")

from starlette.testclient import TestClient  # noqa: E402

from oppforms.extract import FileResult  # noqa: E402
from oppforms.i18n import translate  # noqa: E402
from oppforms.records import FileStatus, Record, ReviewItem, empty_values  # noqa: E402
from oppforms.spec import FormSpec  # noqa: E402
from oppforms.web import app as web_app  # noqa: E402
from oppforms.web import base as web_base  # noqa: E402
from oppforms.web.app import Settings, WebApp, create_app  # noqa: E402
from oppforms.web.security import Guard  # noqa: E402
from oppforms.workspace import Workspace  # noqa: E402

from .conftest import ROOT  # noqa: E402

PORT = 8765
TOKEN = "test-token-123"
ORIGIN = f"http://127.0.0.1:{PORT}"
SAME = {"origin": ORIGIN}
XSS = "<img src=x onerror=alert(1)>"
SAMPLE_CSV = ROOT / "samples" / "opp-leerlingen.csv"


def _client(guard: Guard, *, cookie: bool = True, host: str = f"127.0.0.1:{PORT}") -> TestClient:
    client = TestClient(guard, base_url=f"http://{host}")
    if cookie:
        client.cookies.set(f"oppforms_token_{PORT}", TOKEN)
    return client


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[TestClient, WebApp]]:
    guard, web = create_app(Settings(tmp_path / "werkruimte", TOKEN, PORT))
    yield _client(guard), web
    web.jobs.stop()


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(dict.fromkeys(k for r in rows for k in r)), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _pupil(n: int, **extra: str) -> dict[str, str]:
    return {"leerling.naam": f"Leerling {n}", "leerling.nummer": f"{n:06d}", "leerling.klas": "2B",
            "doelen.leerling": "1. Aan het eind van periode 2 haal ik minimaal een 6.", **extra}


def _fill(client: TestClient, web: WebApp, data: bytes, name: str = "leerlingen.csv") -> str:
    r = client.post("/invullen", files={"bestand": (name, data)}, headers=SAME, follow_redirects=False)
    assert r.status_code == 303, r.text
    preview = r.headers["location"]
    r = client.post(preview + "/start", headers=SAME, follow_redirects=False)
    assert r.status_code == 303
    assert web.jobs.wait_idle(120)
    return str(r.headers["location"])


def _text(html: str) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------------------------------
# Security


def test_a_request_without_the_token_cookie_is_refused(tmp_path: Path) -> None:
    guard, web = create_app(Settings(tmp_path / "ws", TOKEN, PORT))
    client = _client(guard, cookie=False)
    for path in ("/", "/invullen", "/controleren", "/static/oppforms.css", "/export/opp-terug.csv"):
        assert client.get(path).status_code == 403, path
    client.cookies.set(f"oppforms_token_{PORT}", "wrong")
    assert client.get("/").status_code == 403


def test_the_token_in_the_first_url_becomes_a_strict_httponly_cookie_and_leaves_the_address(tmp_path: Path) -> None:
    guard, _ = create_app(Settings(tmp_path / "ws", TOKEN, PORT))
    client = _client(guard, cookie=False)
    r = client.get(f"/controleren?token={TOKEN}&x=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/controleren?x=1"
    cookie = r.headers["set-cookie"]
    assert f"oppforms_token_{PORT}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/controleren").status_code == 200  # the client kept the cookie
    assert _client(guard, cookie=False).get("/?token=guess", follow_redirects=False).status_code == 403


@pytest.mark.parametrize("host", [f"evil.example:{PORT}", "127.0.0.1:9999", f"192.168.1.5:{PORT}", "localhost"])
def test_a_host_header_other_than_loopback_with_our_port_is_refused(tmp_path: Path, host: str) -> None:
    guard, _ = create_app(Settings(tmp_path / "ws", TOKEN, PORT))
    assert _client(guard, host=host).get("/").status_code == 403


def test_localhost_with_our_port_is_a_good_host(tmp_path: Path) -> None:
    guard, _ = create_app(Settings(tmp_path / "ws", TOKEN, PORT))
    assert _client(guard, host=f"localhost:{PORT}").get("/").status_code == 200


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, False),
        ({"origin": "http://evil.example"}, False),
        ({"origin": "null"}, False),
        ({"origin": f"http://127.0.0.1:{PORT + 1}"}, False),
        ({"sec-fetch-site": "cross-site"}, False),
        ({"origin": "http://evil.example", "sec-fetch-site": "same-origin"}, False),
        ({"origin": ORIGIN}, True),
        ({"origin": f"http://localhost:{PORT}"}, True),
        ({"sec-fetch-site": "same-origin"}, True),
    ],
)
def test_a_post_must_come_from_this_server(served: tuple[TestClient, WebApp], headers: dict[str, str], allowed: bool) -> None:
    client, web = served
    r = client.post("/controleren/ongedaan", headers=headers, follow_redirects=False)
    assert (r.status_code == 303) is allowed, r.status_code
    if not allowed:
        assert r.status_code == 403


def test_every_response_carries_a_strict_csp_no_store_and_no_cors(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    for path in ("/", "/static/oppforms.css", "/bestaat-niet"):
        r = client.get(path, headers={"origin": "http://evil.example"})
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "same-origin"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert not [h for h in r.headers if h.lower().startswith("access-control-")]
    r = client.options("/invullen", headers={"origin": "http://evil.example", "access-control-request-method": "POST"})
    assert r.status_code in (403, 405)
    assert not [h for h in r.headers if h.lower().startswith("access-control-")]


def test_pages_hold_no_inline_script_or_style(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    for path in ("/", "/invullen", "/terug", "/controleren", "/handtekeningen", "/export", "/archief"):
        html = client.get(path).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html and "onclick" not in html
        assert 'src="/static/' in html  # scripts only from our own files


def test_a_body_larger_than_the_limit_is_refused_with_or_without_a_length(tmp_path: Path) -> None:
    guard, web = create_app(Settings(tmp_path / "ws", TOKEN, PORT))
    small = Guard(guard.app, token=TOKEN, port=PORT, max_body=1000)
    client = _client(small)
    r = client.post("/invullen", files={"bestand": ("a.csv", b"x" * 5000)}, headers=SAME)
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 500

    r = client.post("/invullen", content=chunks(), headers={**SAME, "content-type": "multipart/form-data; boundary=zz"})
    assert r.status_code == 413
    assert not list((tmp_path / "ws" / "uploads").iterdir())


def test_an_uploaded_file_larger_than_the_file_limit_is_refused(served: tuple[TestClient, WebApp],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    client, web = served
    monkeypatch.setattr(web_base, "MAX_FILE_MB", 0)
    r = client.post("/invullen", files={"bestand": ("a.csv", b"leerling.naam\nA\n")}, headers=SAME)
    assert r.status_code == 413
    assert "groter dan" in r.text


def test_too_many_files_at_once_are_refused(served: tuple[TestClient, WebApp], monkeypatch: pytest.MonkeyPatch) -> None:
    client, web = served
    monkeypatch.setattr(web_base, "MAX_FILES", 2)
    files = [("bestanden", (f"{i}.pdf", b"%PDF-1.4")) for i in range(3)]
    r = client.post("/terug", files=files, headers=SAME)
    assert r.status_code == 400 and "te veel bestanden tegelijk" in r.text
    assert web.workspace.jobs("read") == []


def test_uploaded_names_are_never_used_as_paths(served: tuple[TestClient, WebApp], tmp_path: Path) -> None:
    client, web = served
    for name in ("../../buiten.csv", "/etc/passwd.csv", "..\\..\\win.csv", "a/b/c.csv"):
        r = client.post("/invullen", files={"bestand": (name, _csv([_pupil(1)]))}, headers=SAME, follow_redirects=False)
        assert r.status_code == 303
    stored = sorted(p.name for p in (web.workspace.root / "uploads").iterdir())
    assert len(stored) == 4
    assert all(len(n) == len("0123456789abcdef.csv") and n.endswith(".csv") for n in stored)
    assert not (tmp_path / "buiten.csv").exists() and not (web.workspace.root / "buiten.csv").exists()
    r = client.post("/invullen", files={"bestand": ("leerlingen.exe", b"MZ")}, headers=SAME)
    assert r.status_code == 400 and "kan oppforms niet lezen" in r.text


def test_downloads_are_attachments_never_shown_inline(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    job = _fill(client, web, _csv([_pupil(1)]))
    for what in ("formulieren.zip", "afdrukken.pdf", "verslag.csv"):
        r = client.get(f"{job}/{what}")
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment;"), what
    for path in ("/export/opp-terug.csv", "/export/opp-terug.xlsx", "/handtekeningen/ontbrekend.xlsx"):
        assert client.get(path).headers["content-disposition"].startswith("attachment;"), path
    # the uploads folder is served nowhere
    upload = next((web.workspace.root / "uploads").iterdir())
    assert client.get(f"/uploads/{upload.name}").status_code == 404
    assert client.get(f"/static/../uploads/{upload.name}").status_code == 404


def test_a_pupil_named_like_html_is_shown_as_text(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    data = _csv([{**_pupil(1), "leerling.naam": XSS, "doelen.leerling": "iets leren"}])
    r = client.post("/invullen", files={"bestand": ("x.csv", data)}, headers=SAME)
    assert r.status_code == 200
    assert XSS not in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text


# ---------------------------------------------------------------------------------------
# Pages


def test_every_page_answers_in_dutch(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    titles = {"/": "Overzicht", "/invullen": "Formulieren invullen", "/terug": "Teruggekomen formulieren",
              "/controleren": "Controleren", "/handtekeningen": "Handtekeningen", "/export": "Export",
              "/archief": "Archief"}
    for path, title in titles.items():
        r = client.get(path)
        assert r.status_code == 200
        assert '<html lang="nl">' in r.text
        assert f"<h1>{title}</h1>" in r.text


def test_the_preview_names_each_bad_row_by_excel_row_dutch_label_and_reason(served: tuple[TestClient, WebApp]) -> None:
    client, _ = served
    rows = [_pupil(1), {**_pupil(2), "akkoord.leerling.start.datum": "31-02-2027"}, _pupil(3), {**_pupil(3), "leerling.naam": "Dubbel"}]
    r = client.post("/invullen", files={"bestand": ("x.csv", _csv(rows))}, headers=SAME)
    text = _text(r.text)
    assert "1 van de 4 rijen kunnen worden ingevuld" in text
    label = "Handtekening Leerling, start – datum (dd-mm-jjjj)"
    impossible = translate("an impossible date (no such day in that month)")  # the catalogue's Dutch
    assert impossible != "an impossible date (no such day in that month)"
    assert f"3 000002 Leerling 2 {label} {impossible}" in text  # Excel row 3: the header is row 1
    assert "4 000003" in text and "5 000003" in text and "meer dan één keer" in text


def test_the_preview_shows_smart_warnings_and_still_fills(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    rows = [_pupil(1), {**_pupil(2), "doelen.leerling": "1. Ik word rustiger in de les."}]
    r = client.post("/invullen", files={"bestand": ("x.csv", _csv(rows))}, headers=SAME)
    text = _text(r.text)
    assert "2 van de 2 rijen kunnen worden ingevuld" in text
    assert "SMART-controle (1 rij)" in text
    assert "doel 1: geen meetbaar criterium" in text and "geen termijn" in text
    job = _fill(client, web, _csv(rows))
    report = client.get(f"{job}/verslag.csv").text
    lines = list(csv.DictReader(io.StringIO(report)))
    assert [bool(line["warnings"]) for line in lines] == [False, True]


def test_filling_from_a_dutch_excel_csv_gives_a_zip_of_one_pdf_per_pupil(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    job = _fill(client, web, SAMPLE_CSV.read_bytes(), "opp-leerlingen.csv")
    page = _text(client.get(job).text)
    assert "Klaar : 12 van 12 rijen" in page
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{job}/formulieren.zip").content))
    names = sorted(archive.namelist())
    assert len(names) == 12 and "004512.pdf" in names
    assert all(archive.read(n).startswith(b"%PDF") for n in names)
    merged = client.get(f"{job}/afdrukken.pdf").content
    assert merged.startswith(b"%PDF")
    from oppforms.issued import read_issued

    assert len({e["document"] for e in read_issued(web.workspace.issued_dir)}) == 12


def test_the_progress_fragment_polls_while_running_and_stops_when_done(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    job_id = web.workspace.add_job("fill", [], {}, total=3).id
    fragment = client.get(f"/invullen/taak/{job_id}", headers={"hx-request": "true"}).text
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment
    full = client.get(f"/invullen/taak/{job_id}").text
    assert '<meta http-equiv="refresh"' in full  # without JavaScript the page refreshes itself
    web.workspace.update_job(job_id, state="done")
    assert "hx-trigger" not in client.get(f"/invullen/taak/{job_id}", headers={"hx-request": "true"}).text


def _returned(web: WebApp, spec: FormSpec, *records: Record, status: FileStatus = FileStatus.REVIEW) -> None:
    """Returned files as the reader gives them, stored as the read job stores them."""
    upload = web.workspace.add_upload("returned", "scan.pdf", ".pdf", b"%PDF-1.4\n")
    job = web.workspace.add_job("read", [upload.id], {}, total=1)
    web.workspace.add_returned(job.id, upload, FileResult(upload.name, status, tuple(records)), 1)
    web.workspace.update_job(job.id, state="done")


def _record(spec: FormSpec, nummer: str, naam: str, review: tuple[ReviewItem, ...] = (), **signed: bool) -> Record:
    fields, signs = empty_values(spec)
    fields.update({"leerling.nummer": nummer, "leerling.naam": naam, "leerling.klas": "2B"})
    for key, value in signed.items():
        signs[f"akkoord.{key.replace('__', '.')}.handtekening"] = value
    return Record("scan.pdf", spec.form_id, spec.version, "scan", fields, signs, review)


def test_review_queue_worst_first_typing_replaces_the_guess_and_a_second_enter_decides_nothing(
    served: tuple[TestClient, WebApp], spec: FormSpec
) -> None:
    client, web = served
    record = _record(spec, "000001", "Leerling Een", (
        ReviewItem("leerling.klas: read with low confidence", field="leerling.klas", page=4),
        ReviewItem("page 5 of 5 is missing from the scan", page=5),
    ))
    _returned(web, spec, record)
    page = client.get("/controleren").text
    assert "Nog <strong>2</strong> punten" in page
    assert "<h2 id=\"punt-kop\">het hele formulier</h2>" in page  # the missing page first
    assert "pagina 5 van 5 ontbreekt in de scan" in page
    assert "Zekerheid: <strong>laag</strong>" in page  # a word beside the colour
    client.post("/controleren", data={"record": "1", "item": "1", "actie": "gezien"}, headers=SAME)
    page = client.get("/controleren").text
    assert '<label for="waarde">Klas</label>' in page  # the input's name is the field's Dutch label
    assert 'value="2B"' in page and "autofocus" in page
    assert "Zekerheid: <strong>twijfel</strong>" in page and 'class="certainty c-twijfel"' in page
    pages = [client.post("/controleren", data={"record": "1", "item": "0", "waarde": value}, headers=SAME).text
             for value in ("3C", "3D")]  # a double Enter (or another tab, with another value)
    assert "al beslist" not in pages[0] and "al beslist" in pages[1]
    corrected = web.workspace.records(spec)[0].corrected
    assert corrected.fields["leerling.klas"] == "3C" and corrected.review == ()
    assert web.workspace.decisions_count() == 2
    # undo takes back the last decision only
    client.post("/controleren/ongedaan", headers=SAME)
    assert web.workspace.records(spec)[0].corrected.fields["leerling.klas"] == "2B"
    assert len(web.workspace.queue(spec)) == 1


def test_a_bad_value_is_refused_with_the_reason_and_kept_in_the_input(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    client, web = served
    _returned(web, spec, _record(spec, "000001", "A", (
        ReviewItem("akkoord.leerling.start.datum: not a date", field="akkoord.leerling.start.datum", page=3),)))
    r = client.post("/controleren", data={"record": "1", "item": "0", "waarde": "31-02-2027"}, headers=SAME)
    assert r.status_code == 400 and 'role="alert"' in r.text and 'value="31-02-2027"' in r.text
    assert translate("an impossible date (no such day in that month)") in r.text
    assert web.workspace.decisions_count() == 0
    client.post("/controleren", data={"record": "1", "item": "0", "waarde": "1-3-2027"}, headers=SAME)
    assert web.workspace.records(spec)[0].corrected.fields["akkoord.leerling.start.datum"] == "2027-03-01"


def test_later_with_a_reason_puts_an_item_at_the_end(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    client, web = served
    _returned(web, spec, _record(spec, "000001", "A", (
        ReviewItem("page 5 of 5 is missing from the scan", page=5),
        ReviewItem("leerling.klas: read with low confidence", field="leerling.klas", page=4),
    )))
    client.post("/controleren", data={"record": "1", "item": "0", "actie": "later", "reden": "navragen bij de mentor"},
                headers=SAME)
    queue = web.workspace.queue(spec)
    assert [(q.index, q.later) for q in queue] == [(1, ""), (0, "navragen bij de mentor")]


def test_signature_boxes_in_review_are_confirmed_together(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    client, web = served
    items = tuple(ReviewItem(f"akkoord.{w}.start.handtekening: signature unsure", field=f"akkoord.{w}.start.handtekening", page=3)
                  for w in ("leerling", "opvoeders"))
    _returned(web, spec, _record(spec, "000001", "A", items))
    page = client.get("/controleren").text
    assert "Handtekeningen om te bevestigen (2)" in page
    client.post("/controleren/handtekeningen", data={"vak": ["1:0", "1:1"], "getekend": ["1:0"]}, headers=SAME)
    corrected = web.workspace.records(spec)[0].corrected
    assert corrected.signed["akkoord.leerling.start.handtekening"] is True
    assert corrected.signed["akkoord.opvoeders.start.handtekening"] is False
    assert corrected.review == ()


def test_a_decision_survives_a_restart_of_the_server(tmp_path: Path, spec: FormSpec) -> None:
    guard, web = create_app(Settings(tmp_path / "ws", TOKEN, PORT))
    _returned(web, spec, _record(spec, "000001", "A", (ReviewItem("x", field="leerling.klas"),)))
    _client(guard).post("/controleren", data={"record": "1", "item": "0", "waarde": "4A"}, headers=SAME)
    web.jobs.stop()
    _, again = create_app(Settings(tmp_path / "ws", "another-token", PORT + 1))
    assert again.workspace.records(spec)[0].corrected.fields["leerling.klas"] == "4A"


def test_the_signature_page_lists_each_pupil_and_filters_the_incomplete(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    client, web = served
    everyone = {f"{w}__{m}": True for w in ("leerling", "opvoeders", "zorgcoordinator") for m in ("start", "tussen", "eind")}
    _returned(web, spec, _record(spec, "000002", XSS, **everyone), _record(spec, "000001", "Bram", leerling__start=True),
              status=FileStatus.OK)
    _returned(web, spec, _record(spec, "000003", "Cas", (ReviewItem("signature unsure", field="akkoord.opvoeders.start.handtekening"),)))
    page = client.get("/handtekeningen").text
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    rows = [_text(part) for part in page.split("<tr>")[2:]]
    assert rows[0].startswith(" 000001 Bram 2B") and rows[2].startswith(" 000003 Cas")
    assert "controleren" in rows[2]
    incomplete = client.get("/handtekeningen?filter=onvolledig").text
    assert "000001" in incomplete and "000002" not in incomplete
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/handtekeningen/ontbrekend.xlsx?filter=onvolledig").content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:5] == ["Leerlingnummer", "Naam", "Klas", "Teruggekomen", "Start: leerling"]
    assert [v[0] for v in values[1:]] == ["000001", "000003"]
    assert values[1][3] == "ja" and values[1][4] == "getekend" and values[1][5] == "ontbreekt"
    assert values[2][5] == "controleren"


def test_the_signature_page_lists_pupils_whose_filled_form_did_not_come_back(served: tuple[TestClient, WebApp],
                                                                          spec: FormSpec) -> None:
    """The pupils to chase first: filled here, never returned. They are on the page (every
    box ontbreekt, "niet teruggekomen"), in the filter "nog niet compleet", in its Excel
    list and in the overview's count."""
    client, web = served
    _fill(client, web, _csv([_pupil(1), _pupil(2), _pupil(3)]))
    everyone = {f"{w}__{m}": True for w in ("leerling", "opvoeders", "zorgcoordinator") for m in ("start", "tussen", "eind")}
    _returned(web, spec, _record(spec, "000001", "Leerling 1", **everyone), status=FileStatus.OK)
    page = client.get("/handtekeningen").text
    rows = [_text(part) for part in page.split("<tr>")[2:]]
    assert [r.split()[0] for r in rows] == ["000001", "000002", "000003"]
    assert rows[0].startswith(" 000001 Leerling 1 2B teruggekomen") and "ontbreekt" not in rows[0]
    assert rows[1].startswith(" 000002 Leerling 2 2B niet teruggekomen")
    assert rows[1].count("ontbreekt") == 9 and "getekend" not in rows[1]
    assert "3 leerlingen, van wie 2 niet teruggekomen" in _text(page)
    incomplete = _text(client.get("/handtekeningen?filter=onvolledig").text)
    assert "000002 Leerling 2 2B niet teruggekomen" in incomplete and "000003" in incomplete
    assert "000001" not in incomplete
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/handtekeningen/ontbrekend.xlsx?filter=onvolledig").content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [v[:4] for v in values[1:]] == [["000002", "Leerling 2", "2B", "nee"], ["000003", "Leerling 3", "2B", "nee"]]
    assert values[1][4:] == ["ontbreekt"] * 9 + ["nee"]
    assert "1 van 3 leerlingen met alle handtekeningen" in _text(client.get("/").text)


def test_export_gives_the_corrected_records_exactly_as_extract_writes_them(served: tuple[TestClient, WebApp], spec: FormSpec,
                                                                         tmp_path: Path) -> None:
    from oppforms.exports import open_writer
    from oppforms.review import Decision, apply_decisions

    client, web = served
    record = _record(spec, "000001", "Zoë =1+1", (ReviewItem("x", field="leerling.klas"),))
    _returned(web, spec, record)
    client.post("/controleren", data={"record": "1", "item": "0", "waarde": "5V"}, headers=SAME)
    for fmt in ("csv", "xlsx"):
        expected = tmp_path / f"expected.{fmt}"
        with open_writer(expected, spec) as writer:
            writer.write(apply_decisions(record, [Decision(0, "5V")]))
        got = client.get(f"/export/opp-terug.{fmt}").content
        if fmt == "csv":
            assert got == expected.read_bytes()
        else:
            from openpyxl import load_workbook

            rows = lambda data: [[c.value for c in r] for r in load_workbook(io.BytesIO(data)).active.iter_rows()]  # noqa: E731
            assert rows(got) == rows(expected.read_bytes())


def test_reading_returned_forms_gives_a_status_per_file(served: tuple[TestClient, WebApp]) -> None:
    client, web = served
    job = _fill(client, web, _csv([_pupil(1), _pupil(2)]))
    pdfs = zipfile.ZipFile(io.BytesIO(client.get(f"{job}/formulieren.zip").content))
    files = [("bestanden", (n, pdfs.read(n))) for n in pdfs.namelist()] + [("bestanden", ("brief.pdf", b"not a pdf"))]
    r = client.post("/terug", files=files, headers=SAME, follow_redirects=False)
    assert r.status_code == 303
    assert web.jobs.wait_idle(120)
    page = _text(client.get(r.headers["location"]).text)
    assert "Klaar : 3 van 3 bestanden gelezen" in page
    assert "000001.pdf gelezen 1" in page and "brief.pdf onleesbaar 0" in page
    assert len(web.workspace.records(web.spec)) == 2


def test_the_vendored_htmx_is_the_released_file_with_its_licence() -> None:
    static = ROOT / "oppforms" / "web" / "static"
    script = static / "htmx-2.0.11.min.js"
    assert hashlib.sha256(script.read_bytes()).hexdigest() == "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    assert "Zero-Clause BSD" in (static / "htmx-2.0.11.LICENSE.txt").read_text(encoding="utf-8")
    assert web_app.HTMX == script.name


def test_the_workspace_schema_is_migrated_once_and_kept(tmp_path: Path) -> None:
    from oppforms import workspace

    ws = Workspace(tmp_path / "ws")
    assert ws.schema_version == len(workspace.MIGRATIONS)
    upload = ws.add_upload("data", "a.csv", ".csv", b"x")
    again = Workspace(tmp_path / "ws")
    assert again.schema_version == len(workspace.MIGRATIONS) and again.upload(upload.id) is not None


def test_the_log_says_who_did_what_without_pupil_data(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    client, web = served
    _returned(web, spec, _record(spec, "000001", "Geheime Naam", (ReviewItem("x", field="leerling.klas"),)))
    client.post("/controleren", data={"record": "1", "item": "0", "waarde": "Geheime Klas"}, headers=SAME)
    history = web.workspace.history()
    assert any("leerling.klas" in what for _, _, what in history)
    assert not any("Geheim" in what for _, _, what in history)
    assert "Geheim" not in client.get("/").text.split("Logboek")[1]


# ---------------------------------------------------------------------------------------
# The server process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_prints_the_url_first_and_stops_on_ctrl_c_within_seconds_with_a_page_open(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "oppforms", "serve", "--no-browser", "--port", str(port), "--workspace", str(tmp_path / "ws")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith(f"http://127.0.0.1:{port}/?token=") and len(first.split("=", 1)[1]) >= 32
        token = first.split("=", 1)[1]
        # a page open: a kept-alive connection, and one request still being sent
        idle = socket.create_connection(("127.0.0.1", port))
        idle.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: oppforms_token_{port}={token}\r\n\r\n".encode())
        assert b"200 OK" in idle.recv(65536)
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
        assert time.monotonic() - started < 5
        assert code == 130
        idle.close()
        half.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_listens_on_loopback_only() -> None:
    from oppforms.web import _bind

    sock = _bind(_free_port())
    try:
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def test_crops_and_pages_are_served_only_from_the_workspace(served: tuple[TestClient, WebApp], spec: FormSpec,
                                                            tmp_path: Path) -> None:
    client, web = served
    outside = tmp_path / "elders.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    crops = web.workspace.job_dir("abc") / "crops"
    crops.mkdir(parents=True)
    (crops / "k.png").write_bytes(b"\x89PNG\r\n\x1a\nkrop")
    _returned(web, spec, _record(spec, "000001", "A", (
        ReviewItem("x", field="leerling.klas", page=1, crop=str(outside)),
        ReviewItem("y", field="leerling.naam", page=1, crop=str(crops / "k.png")),
    )))
    assert client.get("/controleren/1/0/uitsnede.png").status_code == 404
    r = client.get("/controleren/1/1/uitsnede.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content.endswith(b"krop")
    assert client.get("/controleren/1/7/uitsnede.png").status_code == 404


def test_the_whole_page_is_the_returned_file_rendered_again(served: tuple[TestClient, WebApp], spec: FormSpec) -> None:
    from oppforms.spec import shipped_pdf_path

    client, web = served
    upload = web.workspace.add_upload("returned", "terug.pdf", ".pdf", shipped_pdf_path(spec).read_bytes())
    job = web.workspace.add_job("read", [upload.id], {}, total=1)
    record = _record(spec, "000001", "A", (ReviewItem("x", field="leerling.klas", page=4),))
    web.workspace.add_returned(job.id, upload, FileResult(upload.name, FileStatus.REVIEW, (record,)), 1)
    page = client.get("/controleren/1/0/pagina")
    assert page.status_code == 200 and "Pagina 4 van terug.pdf" in page.text
    png = client.get("/controleren/1/0/pagina.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert png.content != shipped_pdf_path(spec).read_bytes()


def test_ctrl_c_stops_the_server_within_seconds_while_a_fill_job_runs(tmp_path: Path) -> None:
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oppforms", "serve", "--no-browser", "--port", str(port), "--workspace", str(tmp_path / "ws")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        token = proc.stdout.readline().strip().split("=", 1)[1]
        base = f"http://127.0.0.1:{port}"
        headers = {"Cookie": f"oppforms_token_{port}={token}", "Origin": base}
        data = _csv([_pupil(n) for n in range(1, 1501)])
        body = (b"--b\r\nContent-Disposition: form-data; name=\"bestand\"; filename=\"veel.csv\"\r\n"
                b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--b--\r\n")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)

        def post(path: str, payload: bytes, content_type: str) -> str:
            request = urllib.request.Request(base + path, data=payload, method="POST",
                                             headers={**headers, "Content-Type": content_type})
            try:
                opener.open(request, timeout=30)
            except urllib.error.HTTPError as exc:  # the 303 comes as an "error" without redirects
                assert exc.code == 303, exc.code
                return str(exc.headers["location"])
            raise AssertionError("expected a redirect")

        preview = post("/invullen", body, "multipart/form-data; boundary=b")
        job = post(preview + "/start", b"", "application/x-www-form-urlencoded")
        for _ in range(100):  # until the job is filling
            page = opener.open(urllib.request.Request(base + job, headers=headers), timeout=30).read().decode()
            if re.search(r"Bezig</strong>: [1-9]\d* van", page):  # some forms filled, not all
                break
            time.sleep(0.1)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    guard, web = create_app(Settings(tmp_path / "ws", TOKEN, PORT))  # started again
    state = web.workspace.jobs("fill")[0]
    assert state.state == "stopped" and 0 < state.done < 1500
    client = _client(guard)
    page = client.get(f"/invullen/taak/{state.id}").text
    assert "Verder invullen" in page
    action = page.split('<form method="post" action="', 1)[1].split('"', 1)[0]
    again = client.post(action, headers=SAME, follow_redirects=False).headers["location"]
    assert web.jobs.wait_idle(300)
    results = web.workspace.fill_results(again.rsplit("/", 1)[1])
    assert len(results) == 1500 and {r["status"] for r in results} == {"ok", "skipped"}
    assert sum(r["status"] == "skipped" for r in results) >= state.done - 1  # what was done stays done
    finished = client.get(f"/invullen/taak/{state.id}").text  # the stopped job: nothing left to go on with
    assert "Verder invullen" not in finished and "heeft het afgemaakt" in finished
    web.jobs.stop()


def test_serve_without_the_web_extra_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['uvicorn'] = None; from oppforms.cli import main; "
            f"main(['serve', '--no-browser', '--workspace', {str(tmp_path / 'ws')!r}])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 5
    assert 'pip install "oppforms[web]"' in run.stderr
    assert run.stdout == ""


def test_a_taken_default_port_falls_back_to_a_free_one_and_a_taken_chosen_port_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from oppforms import web
    from oppforms.errors import UsageError

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    try:
        monkeypatch.setattr(web, "DEFAULT_PORT", port)
        sock = web._bind(None)
        assert sock.getsockname()[1] not in (port, 0)
        sock.close()
        with pytest.raises(UsageError, match=f"127.0.0.1:{port}"):
            web._bind(port)
    finally:
        taken.close()


def test_the_archive_page_makes_an_archive_archives_checked_forms_and_verifies_it(served: tuple[TestClient, WebApp]) -> None:
    pytest.importorskip("bagit", reason="the archive needs bagit")
    client, web = served
    assert "Archief aanmaken" in client.get("/archief").text
    r = client.post("/archief/aanmaken", data={"school": "", "jaren": "2"}, headers=SAME)
    assert r.status_code == 400 and "naam van de school" in r.text
    client.post("/archief/aanmaken", data={"school": "Het Voorbeeld College", "jaren": "2"}, headers=SAME)
    job = _fill(client, web, _csv([_pupil(1), _pupil(2)]))
    pdfs = zipfile.ZipFile(io.BytesIO(client.get(f"{job}/formulieren.zip").content))
    client.post("/terug", files=[("bestanden", (n, pdfs.read(n))) for n in pdfs.namelist()], headers=SAME)
    assert web.jobs.wait_idle(120)
    page = _text(client.get("/archief").text)
    assert "2 formulieren zijn gecontroleerd en klaar om te archiveren" in page
    r = client.post("/archief/archiveren", headers=SAME, follow_redirects=False)
    assert web.jobs.wait_idle(300)
    done = _text(client.get(r.headers["location"]).text)
    assert "Klaar : 2 van 2 formulieren" in done and done.count("gearchiveerd") == 2
    again = client.post("/archief/archiveren", headers=SAME, follow_redirects=False)
    assert web.jobs.wait_idle(300)
    assert _text(client.get(again.headers["location"]).text).count("stond er al") == 2  # no second package
    page = _text(client.post("/archief/controleren", headers=SAME).text)
    assert "2 pakketten in het archief" in page and "Het archief is in orde: 2 van de 2 pakketten" in page
    assert "000001" in page and "000002" in page
