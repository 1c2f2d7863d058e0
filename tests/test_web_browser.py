"""The web app in a real browser: Playwright driving Debian's Chromium (never a
downloaded browser) against ``oppforms serve`` running as a process, as a person uses it.

- fill from a CSV and download the zip;
- upload a scan and correct a value with the keyboard on /controleren;
- the signature page; a pupil named like HTML shown as text;
- an axe-core check (WCAG 2.2 A/AA rules) of each page, with axe-core vendored in
  tests/vendor/ so it runs offline.

Set OPPFORMS_SCREENSHOTS=DIR to keep a screenshot of each page (the README's come from
``OPPFORMS_SCREENSHOTS=docs/screenshots``). Skipped, with the reason, when Chromium or
Playwright is missing (``apt-get install chromium``; ``pip install playwright``).
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from oppforms.spec import FormSpec

from .conftest import ROOT

CHROMIUM = Path(os.environ.get("OPPFORMS_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SAMPLE_CSV = ROOT / "samples" / "opp-leerlingen-win1252.csv"  # as Dutch Excel writes it: 8 pupils
XSS = "<img src=x onerror=alert(1)>"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=nl"]
PAGES = ("/", "/invullen", "/terug", "/controleren", "/handtekeningen", "/export", "/archief")

if not CHROMIUM.exists():
    pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
pytest.importorskip("starlette", reason="the web extra is not installed (pip install 'oppforms[web]')")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``oppforms serve`` as a person starts it; yields the first line (the URL with
    the token) and the workspace."""
    workspace = tmp_path_factory.mktemp("werkruimte")
    proc = subprocess.Popen(
        [sys.executable, "-m", "oppforms", "serve", "--no-browser", "--port", str(_free_port()), "--workspace",
         str(workspace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        assert url.startswith("http://127.0.0.1:"), url
        yield url, workspace
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(server: tuple[str, Path], browser: object) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True, locale="nl-NL", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pg.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    pg.goto(server[0])
    pg.problems = problems
    yield pg
    context.close()
    assert not problems, problems  # no CSP violation, no script error, no alert()


def base(server: tuple[str, Path]) -> str:
    return server[0].split("/?", 1)[0]


def shot(pg: object, name: str) -> None:
    folder = os.environ.get("OPPFORMS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _fill(pg: object, server: tuple[str, Path], csv: Path, *, screenshot: str = "") -> None:
    pg.goto(base(server) + "/invullen")  # type: ignore[attr-defined]
    pg.set_input_files("#bestand", str(csv))  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Bekijken").click()  # type: ignore[attr-defined]
    pg.wait_for_selector("h1:text('Controle voor het invullen')")  # type: ignore[attr-defined]
    if screenshot:
        shot(pg, screenshot)
    pg.get_by_role("button", name=re.compile(r"formulier(en)? invullen")).click()  # type: ignore[attr-defined]
    pg.wait_for_selector("text=Klaar", timeout=120_000)  # type: ignore[attr-defined]


def test_the_first_url_sets_the_cookie_and_the_token_leaves_the_address_bar(page: object, server: tuple[str, Path]) -> None:
    assert "token" not in page.url  # type: ignore[attr-defined]
    assert page.url.rstrip("/") == base(server)  # type: ignore[attr-defined]
    port = base(server).rsplit(":", 1)[1]
    cookie = next(c for c in page.context.cookies() if c["name"] == f"oppforms_token_{port}")  # type: ignore[attr-defined]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # type: ignore[attr-defined]


def test_filling_from_a_csv_and_downloading_the_zip(page: object, server: tuple[str, Path]) -> None:
    _fill(page, server, SAMPLE_CSV, screenshot="invullen-controle")
    shot(page, "invullen-klaar")
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Alle formulieren (zip)").click()  # type: ignore[attr-defined]
    download = info.value
    assert download.suggested_filename == "formulieren.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(archive.namelist()) == 8 and all(archive.read(n)[:4] == b"%PDF" for n in archive.namelist())


def test_a_pupil_named_like_html_is_shown_as_text(page: object, server: tuple[str, Path], tmp_path: Path) -> None:
    data = tmp_path / "xss.csv"
    data.write_text(f"leerling.naam;leerling.nummer;doelen.leerling\n{XSS};999001;iets leren\n", encoding="utf-8")
    page.goto(base(server) + "/invullen")  # type: ignore[attr-defined]
    page.set_input_files("#bestand", str(data))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Bekijken").click()  # type: ignore[attr-defined]
    cell = page.get_by_role("cell", name=f"999001 {XSS}").first  # type: ignore[attr-defined]
    assert cell.inner_text().strip() == f"999001 {XSS}"
    assert page.locator("main img").count() == 0  # type: ignore[attr-defined]


def _scan_of_issued(workspace: Path, spec: FormSpec, out: Path) -> tuple[str, str]:
    """A scanner's PDF of the first issued form, at 200 dpi, with a hand-written word
    over ``leerling.klas`` and the pupil's start box signed; returns the document's
    leerlingnummer and the field written over."""
    from benchmarks.scangen import draw_handwriting, draw_signature, render, write_pdf
    from oppforms.issued import read_issued

    entry = next(e for e in read_issued(workspace / "issued") if e["values"]["leerling.nummer"] == "004512")  # type: ignore[index]
    pages = render(workspace / "issued" / str(entry["file"]), 200)
    rng = random.Random(5)
    klas = spec.field("leerling.klas").widgets[0]
    s = 200 / 72
    draw_handwriting(pages[klas.page_no - 1], int((klas.rect.x0 + 60) * s), int((spec.page_height - (klas.rect.y0 + klas.rect.y1) / 2) * s),
                     int(4 / 25.4 * 200), rng)
    box = spec.field("akkoord.leerling.start.handtekening").widgets[0]
    draw_signature(pages[box.page_no - 1], box.rect, spec, 200, rng)
    write_pdf(pages, out, 200, 85)
    return "004512", "leerling.klas"


@pytest.mark.tesseract
def test_a_scan_is_read_and_a_value_corrected_with_the_keyboard(page: object, server: tuple[str, Path], spec: FormSpec,
                                                               tmp_path: Path) -> None:
    from oppforms.scan.ocr import tessdata_dir

    if tessdata_dir() is None:
        pytest.skip("tesseract with the Dutch model (tesseract-ocr-nld) is not installed")
    workspace = server[1]
    if not (workspace / "issued" / "004512.pdf").exists():
        _fill(page, server, SAMPLE_CSV)
    scan = tmp_path / "scanner-0001.pdf"
    _scan_of_issued(workspace, spec, scan)
    page.goto(base(server) + "/terug")  # type: ignore[attr-defined]
    page.set_input_files("#bestanden", str(scan))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Lezen").click()  # type: ignore[attr-defined]
    page.wait_for_selector("text=Klaar", timeout=240_000)  # type: ignore[attr-defined]
    shot(page, "terug-klaar")
    assert page.get_by_role("cell", name="scanner-0001.pdf").count() == 1  # type: ignore[attr-defined]

    page.goto(base(server) + "/controleren")  # type: ignore[attr-defined]
    label = spec.field("leerling.klas").label
    box = page.get_by_role("textbox", name=label)  # type: ignore[attr-defined]
    for _ in range(10):  # the handwriting item may come after worse ones: mark those as seen
        if box.count():
            break
        with page.expect_navigation():  # type: ignore[attr-defined]
            page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert box.count() == 1, page.inner_text("main")  # type: ignore[attr-defined]
    shot(page, "controleren")
    assert box.evaluate("e => e === document.activeElement")
    original = box.input_value()
    assert box.evaluate("e => e.selectionStart === 0 && e.selectionEnd === e.value.length")  # the guess is selected
    page.keyboard.type("fout")  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    assert box.input_value() == original  # Esc restores the guess
    before = page.locator("p[role=status]").first.inner_text()  # type: ignore[attr-defined]
    page.keyboard.type("3 havo B")  # typing replaces the selected guess  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.locator("p[role=status]").first.inner_text() != before  # one item fewer  # type: ignore[attr-defined]
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.goto(base(server) + "/export")  # type: ignore[attr-defined]
        page.get_by_role("link", name="CSV").click()  # type: ignore[attr-defined]
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    row = next(line for line in text.splitlines() if '"004512"' in line and "scanner-0001.pdf" in line)
    assert '"3 havo B"' in row


def test_the_signature_page_lists_pupils_and_filters_by_keyboard(page: object, server: tuple[str, Path]) -> None:
    page.goto(base(server) + "/handtekeningen")  # type: ignore[attr-defined]
    headers = [h.strip() for h in page.locator("table.signatures thead th").all_inner_texts()]  # type: ignore[attr-defined]
    if not headers:
        pytest.skip("no forms came back in this run (the scan test needs tesseract)")
    assert headers[:4] == ["Leerlingnummer", "Naam", "Klas", "Formulier"] and headers[4].split() == ["Start", "leerling"]
    row = page.locator("table.signatures tbody tr", has_text="004512")  # type: ignore[attr-defined]
    assert row.locator("td").nth(2).inner_text() == "teruggekomen"
    assert "getekend" in row.locator("td").nth(3).inner_text()  # Start: leerling, signed on the scan
    assert "ontbreekt" in row.locator("td").nth(4).inner_text()
    shot(page, "handtekeningen")
    page.get_by_label("Alleen leerlingen die nog niet compleet zijn").focus()  # type: ignore[attr-defined]
    page.keyboard.press("Space")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"filter=onvolledig"))  # type: ignore[attr-defined]
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Deze lijst downloaden (Excel)").click()  # type: ignore[attr-defined]
    assert info.value.suggested_filename == "ontbrekend.xlsx"


def test_signature_boxes_in_review_are_confirmed_together_with_the_keyboard(page: object, server: tuple[str, Path],
                                                                             spec: FormSpec) -> None:
    import cv2
    import numpy as np

    from oppforms.extract import FileResult
    from oppforms.records import FileStatus, Record, ReviewItem, empty_values
    from oppforms.workspace import Workspace

    ws = Workspace(server[1])  # the server's own workspace, as a second process sees it
    upload = ws.add_upload("returned", "scanner-0002.pdf", ".pdf", b"%PDF-1.4\n")
    job = ws.add_job("read", [upload.id], {}, total=1)
    crops = ws.job_dir(job.id) / "crops"
    crops.mkdir(parents=True)
    fields, signed = empty_values(spec)
    fields.update({"leerling.naam": "Test Grid", "leerling.nummer": "990001", "leerling.klas": "1A"})
    items = []
    for i, who in enumerate(("leerling", "opvoeders")):
        image = np.full((120, 220), 255, np.uint8)
        if i == 0:
            cv2.polylines(image, [np.array([(20 + 3 * k, int(60 + 20 * np.sin(k / 4))) for k in range(55)], np.int32)],
                          False, 30, 3)
        cv2.imwrite(str(crops / f"{i}.png"), image)
        name = f"akkoord.{who}.start.handtekening"
        items.append(ReviewItem("signature unsure", field=name, page=3, crop=str(crops / f"{i}.png")))
    record = Record("x", spec.form_id, spec.version, "scan", fields, signed, tuple(items))
    ws.add_returned(job.id, upload, FileResult("x", FileStatus.REVIEW, (record,)), 1)
    ws.update_job(job.id, state="done")

    page.goto(base(server) + "/controleren")  # type: ignore[attr-defined]
    grid = page.locator("ul.grid li", has_text="990001")  # type: ignore[attr-defined]
    assert grid.count() == 2
    shot(page, "controleren-handtekeningen")
    grid.first.get_by_role("checkbox").focus()
    page.keyboard.press("Space")  # type: ignore[attr-defined]
    button = page.get_by_role("button", name="Bevestigen")  # type: ignore[attr-defined]
    button.focus()
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.keyboard.press("Enter")  # type: ignore[attr-defined]
    assert page.locator("ul.grid li", has_text="990001").count() == 0  # type: ignore[attr-defined]
    corrected = next(r.corrected for r in ws.records(spec) if r.record.fields["leerling.nummer"] == "990001")
    assert corrected.signed["akkoord.leerling.start.handtekening"] is True
    assert corrected.signed["akkoord.opvoeders.start.handtekening"] is False


@pytest.mark.parametrize("path", PAGES)
def test_each_page_passes_axe_core_wcag_checks(server: tuple[str, Path], browser: object, path: str) -> None:
    # axe is injected into the page, which the page's own CSP forbids: this context only
    context = browser.new_context(bypass_csp=True, locale="nl-NL")  # type: ignore[attr-defined]
    try:
        pg = context.new_page()
        pg.goto(server[0])
        pg.goto(base(server) + path)
        if path == "/":
            shot(pg, "overzicht")
        elif path in ("/invullen", "/terug", "/export", "/archief"):
            shot(pg, path.strip("/"))
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate(
            "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}}); "
            "return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))})); }"
        )
        assert result == [], json.dumps(result, indent=1)
    finally:
        context.close()


def test_the_whole_cycle_works_with_the_keyboard_alone(page: object, server: tuple[str, Path]) -> None:
    """From the skip link through the menu to each page, with Tab and Enter only."""
    page.goto(base(server) + "/")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"  # type: ignore[attr-defined]
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        seen.append(page.evaluate("document.activeElement.textContent.trim()"))  # type: ignore[attr-defined]
    for name in ("Invullen", "Terug", "Controleren", "Handtekeningen", "Export"):
        assert name in seen
    while page.evaluate("document.activeElement.textContent.trim()") != "Handtekeningen":  # type: ignore[attr-defined]
        page.keyboard.press("Shift+Tab")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/handtekeningen$"))  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    # the focused control shows where it is (a visible outline, WCAG 2.4.7)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # type: ignore[attr-defined]
