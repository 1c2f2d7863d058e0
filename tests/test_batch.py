"""Batches: safe names, duplicates, bad rows, reports, encryption, print files, resuming."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from oppforms.batch import fill_many, read_issued
from oppforms.naming import Namer, safe_component
from oppforms.fill import Template
from oppforms.spec import FormSpec

from .conftest import ROOT

SAMPLES_JSON = ROOT / "samples" / "opp-leerlingen.json"
SAMPLES = json.loads(SAMPLES_JSON.read_text(encoding="utf-8"))


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oppforms", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_hostile_values_never_make_a_path_outside_the_output_folder(spec: FormSpec, tmp_path: Path) -> None:
    namer = Namer("{leerling.klas}/{leerling.naam}", spec)
    hostile = [
        {"leerling.klas": "..", "leerling.naam": "../../etc/passwd"},
        {"leerling.klas": "a/b\\c", "leerling.naam": "x\x00y"},
        {"leerling.klas": "CON", "leerling.naam": "nul.txt"},
        {"leerling.klas": "3B", "leerling.naam": "Zoë" + "e" * 300},
        {"leerling.klas": "  .  ", "leerling.naam": ""},
        {"leerling.klas": "3B", "leerling.naam": "Zoe\u0308"},  # NFD twin of the next one
        {"leerling.klas": "3b", "leerling.naam": "Zoë"},
    ]
    names = [namer.name(v, row) for row, v in enumerate(hostile, 2)]
    root = tmp_path.resolve()
    for name in names:
        path = (tmp_path / name).resolve()
        assert path.is_relative_to(root), name
        assert "\x00" not in name and "\\" not in name
        assert all(len(part.encode()) <= 124 for part in Path(name).parts)
        assert not any(part.split(".")[0].upper() in {"CON", "NUL"} for part in Path(name).parts)
    assert len({n.casefold() for n in names}) == len(names), names
    assert names[4] == "rij-6/rij-6.pdf"
    assert names[5] == "3B/Zoë.pdf" and names[6] == "3b/Zoë-2.pdf"


def test_a_name_pattern_must_name_known_fields(spec: FormSpec) -> None:
    from oppforms.errors import UsageError

    with pytest.raises(UsageError, match="unknown field"):
        Namer("{leerling.geboortedatum}", spec)
    with pytest.raises(UsageError):
        Namer("../{leerling.nummer}", spec)


def test_safe_component_keeps_dutch_letters_and_drops_separators() -> None:
    assert safe_component("Zoë van der Berg") == "Zoë van der Berg"
    assert safe_component("a/b:c*d?") == "a_b_c_d_"
    assert safe_component("LPT1") == "_LPT1"


def test_a_bad_row_is_reported_and_the_others_are_filled(tmp_path: Path) -> None:
    records = [dict(r) for r in SAMPLES[:3]]
    records[1]["akkoord.leerling.start.datum"] = "31-02-2027"
    results = list(fill_many(records, tmp_path))
    assert [r.status for r in results] == ["ok", "failed", "ok"]
    assert "akkoord.leerling.start.datum" in results[1].reason and "31-02" not in results[1].reason
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == sorted([f"{SAMPLES[0]['leerling.nummer']}.pdf", f"{SAMPLES[2]['leerling.nummer']}.pdf"])


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=";")
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("error", ["failed", "ok", "failed"]), ("first", ["ok", "ok", "failed"]), ("last", ["failed", "ok", "ok"]), ("all", ["ok", "ok", "ok"])],
)
def test_duplicate_pupil_numbers_follow_on_duplicate(tmp_path: Path, mode: str, expected: list[str]) -> None:
    rows = [dict(SAMPLES[0]), dict(SAMPLES[1]), dict(SAMPLES[0])]
    rows[2]["leerling.naam"] = "Zoë van den Berg"
    data = tmp_path / "dubbel.csv"
    write_csv(data, rows)
    out = tmp_path / "out"
    result = run("fill", str(data), "-o", str(out), "--on-duplicate", mode, "-q")
    report = list(csv.DictReader((out / "oppforms-report.csv").open(encoding="utf-8")))
    assert [r["status"] for r in report] == expected
    assert result.returncode == (0 if "failed" not in expected else 1)
    for r in report:
        if r["status"] == "failed":
            assert "leerling.nummer appears more than once" in r["reason"] and "Zoë" not in r["reason"]


def test_the_row_left_out_by_on_duplicate_never_says_the_kept_row_was_filled(tmp_path: Path) -> None:
    """--on-duplicate last leaves the first row out before anything is filled; the kept row
    may still fail (here: a file of that pupil with other data is in the way), so the first
    row's reason says it was left out for the other row, not that the other was filled."""
    out = tmp_path / "out"
    list(fill_many([dict(SAMPLES[0], schooljaar="2025-2026")], out))
    data = tmp_path / "dubbel.csv"
    write_csv(data, [dict(SAMPLES[0]), dict(SAMPLES[0], **{"leerling.klas": "4B"})])
    run("fill", str(data), "-o", str(out), "--on-duplicate", "last", "-q")
    first, kept = list(csv.DictReader((out / "oppforms-report.csv").open(encoding="utf-8")))
    assert kept["status"] == "failed" and "exists already" in kept["reason"]
    assert first["status"] == "failed" and "was filled" not in first["reason"]
    assert "this row is left out for dubbel.csv row 3 (--on-duplicate last)" in first["reason"]


def test_filling_the_samples_from_xlsx_and_dutch_excel_csv_gives_identical_values(tmp_path: Path) -> None:
    for name in ("opp-leerlingen.xlsx", "opp-leerlingen.csv"):
        out = tmp_path / name
        result = run("fill", str(ROOT / "samples" / name), "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert "12 rows: 12 filled" in result.stderr
    for pdf in (tmp_path / "opp-leerlingen.xlsx").glob("*.pdf"):
        a = PdfReader(pdf).get_fields()
        b = PdfReader(tmp_path / "opp-leerlingen.csv" / pdf.name).get_fields()
        assert a and b
        assert {k: v.get("/V") for k, v in a.items()} == {k: v.get("/V") for k, v in b.items()}


def test_the_windows_1252_csv_is_read_and_the_fallback_is_said(tmp_path: Path) -> None:
    result = run("fill", str(ROOT / "samples" / "opp-leerlingen-win1252.csv"), "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Windows-1252" in result.stderr
    fields = PdfReader(next(tmp_path.glob("*.pdf"))).get_fields() or {}
    assert all("\ufffd" not in str(v.get("/V", "")) for v in fields.values())


def test_an_administration_export_composes_the_pupils_name(tmp_path: Path) -> None:
    result = run("fill", str(ROOT / "samples" / "magister-export.csv"), "-o", str(tmp_path), "--name", "{leerling.klas}/{leerling.naam}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "4H2" / "IJsbrand van 't Hof.pdf").exists() or any("IJsbrand" in p.name for p in tmp_path.rglob("*.pdf"))


def test_each_pdf_is_encrypted_with_aes_256_and_its_own_file_id(tmp_path: Path) -> None:
    rows = [dict(r, Wachtwoord=f"geheim-{i}") for i, r in enumerate(SAMPLES[:3])]
    data = tmp_path / "met-wachtwoord.csv"
    write_csv(data, rows)
    out = tmp_path / "out"
    result = run("fill", str(data), "-o", str(out), "--password-column", "Wachtwoord", "-q")
    assert result.returncode == 0, result.stderr
    ids = set()
    for i, r in enumerate(SAMPLES[:3]):
        reader = PdfReader(out / f"{r['leerling.nummer']}.pdf")
        encrypt = reader.trailer["/Encrypt"].get_object()
        assert (encrypt["/V"], encrypt["/R"]) == (5, 6)  # AES-256, never RC4
        assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
        file_id = reader.trailer["/ID"][0]
        ids.add(getattr(file_id, "original_bytes", None) or bytes(file_id))
        assert reader.decrypt(f"geheim-{i}")
        assert reader.get_fields()["leerling.naam"]["/V"] == r["leerling.naam"]
    assert len(ids) == 3


def test_a_changed_password_is_not_taken_for_already_done(tmp_path: Path) -> None:
    """The same values with a new password: the file is not skipped as done (it would keep
    the old password); like changed data it is replaced with --overwrite. The registry keeps
    an HMAC of the password, never the password; a password of spaces only is none."""
    data, out = tmp_path / "met-wachtwoord.csv", tmp_path / "out"
    write_csv(data, [dict(SAMPLES[0], Wachtwoord="Geheim-301"), dict(SAMPLES[1], Wachtwoord="   ")])
    first = run("fill", str(data), "-o", str(out), "--password-column", "Wachtwoord")
    assert first.returncode == 1 and "no password in the password column" in first.stderr
    assert "Geheim-301" not in "".join(p.read_text(encoding="utf-8") for p in (out / ".oppforms" / "issued").glob("*"))
    write_csv(data, [dict(SAMPLES[0], Wachtwoord="Geheim-301")])
    assert "1 already done" in run("fill", str(data), "-o", str(out), "--password-column", "Wachtwoord").stderr
    write_csv(data, [dict(SAMPLES[0], Wachtwoord="Nieuw-301")])
    kept = run("fill", str(data), "-o", str(out), "--password-column", "Wachtwoord")
    assert kept.returncode == 1 and "--overwrite" in kept.stderr
    assert run("fill", str(data), "-o", str(out), "--password-column", "Wachtwoord", "--overwrite").returncode == 0
    reader = PdfReader(out / f"{SAMPLES[0]['leerling.nummer']}.pdf")
    assert not reader.decrypt("Geheim-301") and reader.decrypt("Nieuw-301")


def test_the_merged_print_file_starts_every_form_on_an_odd_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    merged = tmp_path / "afdrukken.pdf"
    result = run("fill", str(SAMPLES_JSON), "-o", str(out), "--merged", str(merged), "-q")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(merged)
    assert not reader.get_fields()
    starts = [i for i, page in enumerate(reader.pages) if "pagina 1 van" in (page.extract_text() or "")]
    assert len(starts) == 12
    assert all(i % 2 == 0 for i in starts)  # 0-based even = odd page number
    assert not (out / ".oppforms" / "print").exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_the_fill_with_a_report_of_the_rows_done(tmp_path: Path, jobs: str) -> None:
    """Ctrl-C (SIGINT to the group, as a terminal sends it): exit 130, whole files only, and
    the report lists every row done so far, each with its file (the registry has them too);
    with worker processes too, whose chunks in hand are finished and reported (30-40 rows
    with files were missing from the report)."""
    records = [dict(SAMPLES[i % 12], **{"leerling.nummer": f"{i:06d}"}) for i in range(400)]
    data = tmp_path / "veel.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "oppforms", "fill", str(data), "-o", str(out), "-q", "--jobs", jobs],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.pdf"))) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "they are in the report" in err
    with (out / "oppforms-report.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    reported = {r["file"] for r in rows if r["status"] == "ok"}
    assert 20 <= len(rows) < 400 and reported <= set(pdfs)
    assert len(set(pdfs) - reported) <= 1  # the form in hand when Ctrl-C came may be written, not yet reported
    assert all(PdfReader(out / name).get_fields() for name in pdfs)


def test_a_batch_killed_halfway_resumes_and_ends_with_the_same_files(tmp_path: Path) -> None:
    records = [dict(SAMPLES[i % 12], **{"leerling.nummer": f"{i:06d}"}) for i in range(400)]
    data = tmp_path / "veel.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "oppforms", "fill", str(data), "-o", str(out), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.pdf"))) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = len(list(out.glob("*.pdf")))
    assert 0 < done_before < 400, "the kill must land halfway"
    for pdf in out.glob("*.pdf"):
        PdfReader(pdf).get_fields()  # every file that exists is whole
    result = run("fill", str(data), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    assert f"{done_before} already done" in result.stderr or "already done" in result.stderr
    assert len(list(out.glob("*.pdf"))) == 400
    assert not list(out.rglob("*.part"))
    # the same result as an uninterrupted run: each file is exactly what its issued
    # record and document id give
    template = Template.for_spec()
    entries = {e["file"]: e for e in read_issued(out)}
    for pdf in sorted(out.glob("*.pdf"))[::37]:
        entry = entries[pdf.name]
        expected = template.fill(entry["values"], doc_id=entry["document"]).data
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == hashlib.sha256(expected).hexdigest()
    again = run("fill", str(data), "-o", str(out), "-q")
    assert "400 already done" in again.stderr


def test_a_changed_record_does_not_overwrite_an_earlier_file_unless_asked(tmp_path: Path) -> None:
    list(fill_many(SAMPLES[:1], tmp_path))
    changed = [dict(SAMPLES[0], schooljaar="2027-2028")]
    [result] = fill_many(changed, tmp_path)
    assert result.status == "failed" and "--overwrite" in result.reason
    [result] = fill_many(changed, tmp_path, overwrite=True)
    assert result.status == "ok"
    assert PdfReader(tmp_path / result.file).get_fields()["schooljaar"]["/V"] == "2027-2028"


def test_overwrite_never_replaces_the_form_of_another_record(tmp_path: Path) -> None:
    """Rows without leerlingnummer are named by their row: the second file's row 2 lands on
    the first file's rij-2.pdf. --overwrite replaces a form by a newer one of the same
    record, never another pupil's; what the row lacks is said, and the row fails."""
    first, second = tmp_path / "klas-a.csv", tmp_path / "klas-b.csv"
    first.write_text("Naam;Klas\nJan Eerste;2A\n", encoding="utf-8")
    second.write_text("Naam;Klas\nPiet Tweede;2B\n", encoding="utf-8")
    out = tmp_path / "out"
    done = run("fill", str(first), "-o", str(out))
    assert done.returncode == 0 and "1 row without leerling.nummer (row 2)" in done.stderr
    before = (out / "rij-2.pdf").read_bytes()
    refused = run("fill", str(second), "-o", str(out), "--overwrite")
    assert refused.returncode == 1 and "the file is the form of another record" in refused.stderr
    assert (out / "rij-2.pdf").read_bytes() == before
    other, result = fill_many([{"leerling.naam": "Kees"}, {"leerling.naam": "Piet Tweede"}], out, overwrite=True)
    assert other.file == "rij-1.pdf" and other.status == "ok" and other.keyless  # the library the same
    assert result.file == "rij-2.pdf" and result.status == "failed" and "another record" in result.reason
    [own] = fill_many([dict(SAMPLES[0])], out)
    assert own.status == "ok" and not own.keyless
    [newer] = fill_many([dict(SAMPLES[0], schooljaar="2027-2028")], out, overwrite=True)
    assert newer.status == "ok"  # the same record's own form is still replaced


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_registry_of_filled_values_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """The registry holds every value filled in, as the forms do: 0600 files in 0700
    folders, whatever the umask."""
    old = os.umask(0o022)
    try:
        list(fill_many(SAMPLES[:1], tmp_path / "out"))
    finally:
        os.umask(old)
    state = tmp_path / "out" / ".oppforms"
    for path in [state, *state.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, f"{path.relative_to(tmp_path)}: {oct(mode)}"


def test_the_very_same_form_filled_by_another_run_is_no_failure(tmp_path: Path) -> None:
    """Two runs into one folder at once, or a rerun after the registry was lost: a file that
    holds this record's form byte for byte is 'already filled by another run' (and its
    registry line is written again), not 'exists already'; another form there still fails."""
    out = tmp_path / "out"
    list(fill_many(SAMPLES[:3], out))
    for registry in (out / ".oppforms" / "issued").glob("*.jsonl"):
        registry.unlink()
    again = list(fill_many(SAMPLES[:3], out))
    assert [r.status for r in again] == ["skipped"] * 3 and all("another run" in r.reason for r in again)
    assert {e["document"] for e in read_issued(out)} == {r.document for r in again}
    changed = list(fill_many([dict(SAMPLES[0], schooljaar="2030-2031")], out))
    for registry in (out / ".oppforms" / "issued").glob("*.jsonl"):
        registry.unlink()
    [other] = fill_many([dict(SAMPLES[0], schooljaar="2031-2032")], out)
    assert changed[0].status == "failed" and other.status == "failed" and "--overwrite" in other.reason


def test_two_runs_at_once_into_one_folder_both_end_well(tmp_path: Path) -> None:
    records = [dict(SAMPLES[i % 12], **{"leerling.nummer": f"{i:06d}"}) for i in range(60)]
    data = tmp_path / "veel.json"
    data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "oppforms", "fill", str(data), "-o", str(out), "-q"]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    errors = [p.communicate(timeout=300)[1] for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), errors
    assert len(list(out.glob("*.pdf"))) == 60


def test_the_report_lists_every_row_and_the_exit_code_says_a_row_failed(tmp_path: Path) -> None:
    rows = [dict(SAMPLES[0]), dict(SAMPLES[1], **{"leerling.klas": "3B\n4A"})]
    data = tmp_path / "rij.json"
    data.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = run("fill", str(data), "-o", str(out), "--report", str(tmp_path / "rapport.jsonl"), "-q")
    assert result.returncode == 1
    lines = [json.loads(x) for x in (tmp_path / "rapport.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(x["row"], x["status"]) for x in lines] == [(1, "ok"), (2, "failed")]
    assert "leerling.klas" in lines[1]["reason"]
    assert "1 failed" in result.stderr


def test_two_jobs_fill_the_same_files_as_one(tmp_path: Path) -> None:
    one = list(fill_many(SAMPLES * 3, tmp_path / "a", identity_by_row=True))
    two = list(fill_many(SAMPLES * 3, tmp_path / "b", identity_by_row=True, jobs=2))
    assert [(r.row, r.status, r.file) for r in one] == [(r.row, r.status, r.file) for r in two]


def test_records_done_in_passes_give_what_one_at_a_time_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch checks, fills and writes a group of records in passes (for the processor's
    caches): the same results, in the same order, and the same files as record by record,
    with ok, failed (while checking, while planning, a file in the way) and skipped rows
    within one group."""
    from oppforms import batch

    records = [dict(SAMPLES[i % 12], **{"leerling.nummer": f"{500 + i:06d}"}) for i in range(40)]
    records[3]["akkoord.leerling.start.datum"] = "31-02-2027"  # fails when checked
    records[7]["leerling.nummer"] = records[6]["leerling.nummer"]  # a duplicate: fails when planned
    records[9]["doelen.school"] = "Beter leren."  # SMART warnings
    outcomes = []
    for size in (1, batch.PASS):
        monkeypatch.setattr(batch, "PASS", size)
        out = tmp_path / f"pass-{size}"
        if size != 1:  # the same folder key: the same document ids, so the same bytes
            (out / ".oppforms").mkdir(parents=True)
            (out / ".oppforms" / "secret").write_bytes((tmp_path / "pass-1" / ".oppforms" / "secret").read_bytes())
        list(fill_many(records[12:14], out))  # done already: skipped
        (out / f"{records[20]['leerling.nummer']}.pdf").write_bytes(b"in the way")  # fails: exists
        results = list(fill_many(records, out))
        files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.pdf")}
        outcomes.append(([(r.row, r.status, r.file, r.reason, r.document, r.pages, r.warnings) for r in results], files))
    (one, one_files), (passes, pass_files) = outcomes
    assert [s for _, s, *_ in one].count("ok") == 35 and [s for _, s, *_ in one].count("skipped") == 2
    assert [r[:2] for r in one if r[1] == "failed"] == [(4, "failed"), (8, "failed"), (21, "failed")]
    assert one[9][6], "the vague goal is warned about"
    assert passes == one
    assert pass_files == one_files


def test_a_read_error_after_some_records_leaves_those_filled_and_reported(tmp_path: Path) -> None:
    """Records are read ahead to be done in passes: when reading the next one fails, those
    read before it are filled and their results given before the error."""

    def records():
        yield from (dict(SAMPLES[i], **{"leerling.nummer": f"{700 + i:06d}"}) for i in range(3))
        raise OSError("the disk went away")

    results = []
    with pytest.raises(OSError, match="went away"):
        for result in fill_many(records(), tmp_path):
            results.append(result)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    assert len(list(tmp_path.glob("*.pdf"))) == 3


@pytest.mark.slow
def test_ten_thousand_records_fill_in_bounded_memory(tmp_path: Path) -> None:
    code = (
        "import json,sys;from pathlib import Path;from oppforms.batch import fill_many;"
        "recs=json.loads(Path(sys.argv[1]).read_text(encoding='utf-8'));"
        "ok=sum(r.status=='ok' for r in fill_many((recs[i%12] for i in range(10000)),Path(sys.argv[2]),identity_by_row=True));"
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec (it would be pytest's peak)
        "print(ok, next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(SAMPLES_JSON), str(tmp_path)], capture_output=True, text=True, check=True, timeout=1200)
    ok, rss_kb = map(int, out.stdout.split())
    assert ok == 10000
    assert rss_kb / 1024 < 200, f"peak memory {rss_kb / 1024:.0f} MB"


def test_the_registry_holds_the_sha256_of_every_written_file_encrypted_or_not(tmp_path: Path) -> None:
    from oppforms.intake import RecordIn

    records = [RecordIn("a.json", i + 1, rec, password="geheim" if i == 1 else None) for i, rec in enumerate(SAMPLES[:3])]
    results = list(fill_many(records, tmp_path))
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    entries = {e["file"]: e for e in read_issued(tmp_path)}
    for r in results:
        assert entries[r.file]["pdf_sha256"] == hashlib.sha256((tmp_path / r.file).read_bytes()).hexdigest()


def test_filled_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    results = list(fill_many(SAMPLES[:1], tmp_path))
    assert (tmp_path / results[0].file).stat().st_mode & 0o777 == 0o600


def _old_record_hash(values: dict[str, str], *, flatten: bool, version: str, encrypted: bool) -> str:
    """The record hash as every earlier version wrote it (registries of earlier runs are
    resumed by it)."""
    canonical = json.dumps(
        {"values": values, "flatten": flatten, "version": version, "encrypted": encrypted}, ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("with_orjson", [True, False])
def test_the_record_hash_is_the_one_earlier_versions_wrote(with_orjson: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """With orjson escaping the texts (each character as json escapes it: checked for
    every character below) and without it (json alone)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from oppforms import issued
    from oppforms.batch import record_hash

    if with_orjson:
        pytest.importorskip("orjson", reason="orjson is a dependency; this checks its path")
        assert issued._orjson_dumps is not None
    else:
        monkeypatch.setattr(issued, "_orjson_dumps", None)

    text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(text, text, max_size=8), st.booleans(), text, st.booleans())
    def check(values: dict[str, str], flatten: bool, version: str, encrypted: bool) -> None:
        assert record_hash(values, flatten=flatten, version=version, encrypted=encrypted) == _old_record_hash(
            values, flatten=flatten, version=version, encrypted=encrypted
        )

    check()


@pytest.mark.skipif(not getattr(os, "O_TMPFILE", 0) or not Path("/proc/self/fd").is_dir(),
                    reason="unnamed files (O_TMPFILE) and /proc are Linux's")
def test_a_new_file_is_written_unnamed_and_named_when_whole_also_in_a_forked_child(tmp_path: Path) -> None:
    """On Linux a new file has no name until it is whole (nothing is left by a kill, not
    even a temporary name); an existing name is refused; a forked worker names its own
    files (not its parent's, whose /proc/self/fd it inherited)."""
    import multiprocessing

    from oppforms import _io
    from oppforms.errors import OutputError

    seen: list[str] = []
    real_open = os.open

    def watching_open(path: str, flags: int, *args: object, **kwargs: object) -> int:
        if flags & _io._ANONYMOUS == _io._ANONYMOUS:
            seen.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_io.os, "open", watching_open)
        _io.atomic_write_bytes(tmp_path / "sub" / "a.pdf", b"first", overwrite=False, durable=True)
    assert set(seen) == {str(tmp_path / "sub")}  # unnamed, in the target's folder (made when missing)
    assert (tmp_path / "sub" / "a.pdf").read_bytes() == b"first"
    assert oct((tmp_path / "sub" / "a.pdf").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(OutputError, match="exists already"):
        _io.atomic_write_bytes(tmp_path / "sub" / "a.pdf", b"second", overwrite=False)
    assert (tmp_path / "sub" / "a.pdf").read_bytes() == b"first" and os.listdir(tmp_path / "sub") == ["a.pdf"]
    _io._proc_fds()  # the parent's /proc/self/fd is open before the fork
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        named = pool.starmap(_io._write_unnamed, [(str(tmp_path / f"{i}.pdf"), bytes([i]) * 1000, False) for i in range(8)])
    assert named == [True] * 8  # each child named its own unnamed file (no fallback)
    assert all((tmp_path / f"{i}.pdf").read_bytes() == bytes([i]) * 1000 for i in range(8))


def test_where_a_filesystem_has_no_unnamed_files_a_temporary_file_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from oppforms import _io

    real_open = os.open

    def no_unnamed(path: str, flags: int, *args: object, **kwargs: object) -> int:
        if _io._ANONYMOUS and flags & _io._ANONYMOUS == _io._ANONYMOUS:
            raise OSError(errno.EOPNOTSUPP, "Operation not supported")
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(_io.os, "open", no_unnamed)
    _io.atomic_write_bytes(tmp_path / "a.pdf", b"first", overwrite=False, durable=False)
    assert (tmp_path / "a.pdf").read_bytes() == b"first" and os.listdir(tmp_path) == ["a.pdf"]


@pytest.mark.parametrize("with_orjson", [True, False])
def test_the_registry_line_reads_back_as_the_entry_and_its_values(
    with_orjson: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oppforms import issued
    from oppforms.issued import read_issued

    if not with_orjson:
        monkeypatch.setattr(issued, "_orjson_dumps", None)
    values = {"leerling.naam": 'Zoë "Z" van Dijk\u2028', "doelen.leerling": "1. Na 6 weken\n2. Een 7"}
    entry = {"document": "K7Q2-M9XD", "file": "klas/900001.pdf", "source": "C:\\data\\klas.csv", "row": 3, "pages": 2}
    issued.append_entry(str(tmp_path), dict(entry), issued.canonical_json(values))
    issued.close_registries()
    assert list(read_issued(tmp_path)) == [dict(entry, values=values)]


def test_values_with_keys_that_are_no_text_are_jsons_canonical_json() -> None:
    from oppforms.issued import canonical_json as _values_json

    for values in ({1: "a", 2: "b"}, {"b": "x", "a": "y"}, {"b": "x", "a": "y"}, {}, {"a": 1}):
        assert _values_json(values) == json.dumps(values, ensure_ascii=False, sort_keys=True).encode("utf-8")


def test_orjson_escapes_every_character_as_json_does() -> None:
    """The values' canonical JSON is json's bytes only if orjson escapes every character
    the way ``json.dumps(…, ensure_ascii=False)`` does (a text is escaped character by
    character); a lone surrogate, which UTF-8 cannot hold, falls back to json."""
    import sys

    orjson = pytest.importorskip("orjson", reason="orjson is a dependency; this checks its escapes")
    from oppforms.issued import canonical_json as _values_json

    differ = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF
              and orjson.dumps(chr(c)) != json.dumps(chr(c), ensure_ascii=False).encode("utf-8")]
    assert differ == []
    assert _values_json({"b": "x\n\"y\"", "a": "é\x00"}) == json.dumps({"b": "x\n\"y\"", "a": "é\x00"}, ensure_ascii=False, sort_keys=True).encode()
    assert _values_json({"a": 1, "b": None}) == b'{"a": 1, "b": null}'  # not all texts: json as it was
    with pytest.raises(UnicodeEncodeError):  # as before: a lone surrogate cannot be written
        _values_json({"a": "\ud800"})


def test_a_registry_line_holds_the_values_and_an_earlier_versions_registry_is_resumed(tmp_path: Path) -> None:
    from oppforms.spec import current_spec
    from oppforms.values import coerce_record

    spec = current_spec()
    [first] = fill_many(SAMPLES[:1], tmp_path)
    [entry] = read_issued(tmp_path)
    values = coerce_record(SAMPLES[0], spec, row=1, source="records")
    assert entry["values"] == values
    assert entry["record_sha256"] == _old_record_hash(values, flatten=False, version=spec.version, encrypted=False)
    # the registry as the versions before wrote it: one json.dumps of the entry, values in form order
    [registry] = (tmp_path / ".oppforms" / "issued").glob("*.jsonl")
    registry.write_text(json.dumps(dict(entry, values=values), ensure_ascii=False) + "\n", encoding="utf-8")
    [again] = fill_many(SAMPLES[:1], tmp_path)
    assert (first.status, again.status, again.file) == ("ok", "skipped", first.file)


def test_an_atomic_write_goes_on_after_short_writes_and_never_replaces_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oppforms import _io
    from oppforms.errors import OutputError

    write = os.write
    monkeypatch.setattr(_io.os, "write", lambda fd, data: write(fd, bytes(data[:1000])))  # a pipe-like file
    data = bytes(range(256)) * 40
    _io.atomic_write_bytes(tmp_path / "new" / "a.pdf", data, overwrite=False, durable=False)
    assert (tmp_path / "new" / "a.pdf").read_bytes() == data
    with pytest.raises(OutputError, match="exists already"):
        _io.atomic_write_bytes(tmp_path / "new" / "a.pdf", b"other", overwrite=False)
    _io.atomic_write_bytes(tmp_path / "new" / "a.pdf", b"other")
    assert (tmp_path / "new" / "a.pdf").read_bytes() == b"other"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["a.pdf"]  # no temporary file stays


def test_a_batch_brings_its_files_to_disk_by_syncing_its_own_folders_filesystem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the end of a batch the output folder is synced once: on Linux its filesystem alone
    (syncfs), so a USB stick or share being written elsewhere does not hold the batch up."""
    from oppforms import _io, batch

    synced: list[str] = []
    monkeypatch.setattr(batch, "sync_folder", lambda folder: synced.append(str(folder)) or "syncfs")
    [result] = fill_many(SAMPLES[:1], tmp_path / "uit")
    assert result.status == "ok" and synced == [str(tmp_path / "uit")]
    if sys.platform.startswith("linux"):
        assert _io.sync_folder(tmp_path) == "syncfs"


def test_without_syncfs_every_filesystem_is_synced_and_without_any_sync_call_the_batch_still_ends_well(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other Unix systems (no syncfs, or it fails): os.sync. Windows has no os.sync at all: the
    batch ends without a sync call (its cache manager writes the files out) and every file is
    there."""
    from oppforms import _io

    monkeypatch.setattr(_io, "_syncfs", lambda: None)
    assert _io.sync_folder(tmp_path) == "sync"
    monkeypatch.setattr(_io, "_syncfs", lambda: (lambda fd: -1))  # syncfs refused: sync everything
    assert _io.sync_folder(tmp_path) == "sync"
    monkeypatch.setattr(_io.sys, "platform", "win32")
    monkeypatch.delattr(_io.os, "sync")
    assert _io.sync_folder(tmp_path) == "none"
    results = list(fill_many(SAMPLES[:2], tmp_path / "uit"))
    assert [r.status for r in results] == ["ok", "ok"]
    assert all((tmp_path / "uit" / r.file).read_bytes().startswith(b"%PDF") for r in results)


def test_files_are_placed_without_overwriting_on_a_filesystem_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FAT or exFAT USB stick has no hard links (link(2) answers EPERM): a new file is then
    renamed into place after a check, an existing one is still refused, and no temporary file
    stays; a whole batch onto such a disk fills every record."""
    import errno

    from oppforms import _io
    from oppforms.errors import OutputError

    def no_links(src: str, dst: str, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(_io.os, "link", no_links)
    _io.atomic_write_bytes(tmp_path / "a.pdf", b"first", overwrite=False, durable=False)
    assert (tmp_path / "a.pdf").read_bytes() == b"first"
    with pytest.raises(OutputError, match="exists already"):
        _io.atomic_write_bytes(tmp_path / "a.pdf", b"second", overwrite=False)
    assert (tmp_path / "a.pdf").read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]
    results = list(fill_many(SAMPLES[:3], tmp_path / "stick"))
    assert [r.status for r in results] == ["ok"] * 3
    assert not list((tmp_path / "stick").rglob("*.part"))

    def other_failure(src: str, dst: str, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(_io.os, "link", other_failure)  # any other failure is still a failure
    with pytest.raises(OutputError, match="cannot write"):
        _io.atomic_write_bytes(tmp_path / "b.pdf", b"x", overwrite=False)
    assert not (tmp_path / "b.pdf").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "stick"]


def test_a_data_file_and_a_returned_pdf_whose_names_are_not_utf8_are_filled_and_read(tmp_path: Path) -> None:
    """Linux keeps any bytes in a file name; Python holds those that are not UTF-8 as lone
    surrogates, which no report, registry line or record can hold. Such a name is shown with
    U+FFFD, and its file is filled from and read like any other."""
    data = tmp_path / os.fsdecode(b"klas-\xe9.json")
    try:
        data.write_bytes(json.dumps(SAMPLES[:2], ensure_ascii=False).encode("utf-8"))
    except (OSError, UnicodeEncodeError):
        pytest.skip("this filesystem keeps only UTF-8 file names")
    out = tmp_path / "out"
    result = run("fill", str(data), "-o", str(out), "-q")
    assert result.returncode == 0, result.stderr
    report = (out / "oppforms-report.csv").read_text(encoding="utf-8")
    assert "klas-\ufffd.json,1," in report and "klas-\ufffd.json,2," in report
    assert [e["source"] for e in read_issued(out)] == [str(tmp_path / "klas-\ufffd.json")] * 2
    returned = tmp_path / os.fsdecode(b"terug-\xe9.pdf")
    returned.write_bytes(next(out.glob("*.pdf")).read_bytes())
    result = run("extract", str(returned), "-o", str(tmp_path / "terug.jsonl"))
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(x) for x in (tmp_path / "terug.jsonl").read_text(encoding="utf-8").splitlines()]
    assert record["source"].endswith("terug-\ufffd.pdf") and record["fields"]["leerling.naam"] in {s["leerling.naam"] for s in SAMPLES[:2]}


def test_the_batchs_own_error_is_not_hidden_by_its_final_sync(tmp_path: Path) -> None:
    """The batch syncs its folder once, at the end, also when it stops on an error: a
    folder that cannot be opened then (removed meanwhile) must not put its own error in
    the place of the batch's, nor fail a batch that went well."""
    import shutil

    out = tmp_path / "out"

    def records():
        yield SAMPLES[0]
        shutil.rmtree(out)
        raise RuntimeError("the data source broke")

    with pytest.raises(RuntimeError, match="the data source broke"):
        list(fill_many(records(), out))

    def quietly_gone():
        yield SAMPLES[0]
        shutil.rmtree(out)

    assert [r.status for r in fill_many(quietly_gone(), out)] == ["ok"]


def test_a_broken_json_lines_line_is_said_without_a_doubled_word(tmp_path: Path) -> None:
    data = tmp_path / "regels.jsonl"
    data.write_text('{"leerling.nummer": "000081", "leerling.naam": "Een"}\n'
                    '{"leerling.nummer": "000082", "leerling.naam": "Twee\tmet tab"}\n', encoding="utf-8")
    run("fill", str(data), "-o", str(tmp_path / "out"), "-q")
    rows = list(csv.DictReader((tmp_path / "out" / "oppforms-report.csv").open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert "Invalid control character at column" in rows[1]["reason"] and " at at " not in rows[1]["reason"]
