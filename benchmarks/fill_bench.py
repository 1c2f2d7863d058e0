"""Fill benchmark: oppforms against its peers on the same records, in the same run.

    python benchmarks/fill_bench.py [--forms N] [--peer-forms M] [--jobs-forms K] [--memory-forms L] [--pages-only]

Every tool fills the shipped form with the same records (the twelve fictional sample
pupils, cycled: about 40 fields and several thousand characters each) and writes a
complete PDF to memory, with appearance streams for every value:

- oppforms: ``Template.fill`` (one core, template parsed once, an incremental update).
- pypdf: clone the template, ``update_page_form_field_values`` (pypdf's own appearances).
- PyPDFForm: ``PdfWrapper(template).fill(values)``.
- PyMuPDF (AGPL; a test-only peer, measured only when installed): set each widget's
  value and ``update()`` it, then ``tobytes()``.

Then the batch: ``fill_many`` writing files with 1 and with 2 worker processes, and the
peak memory (max RSS) of a ``fill_many`` run over many records in a fresh process.
Figures are milliseconds per form (median of the runs) and ratios; the machine is shared,
so compare ratios measured in one run, not absolute times across runs. It also counts the
pages per form, from the same records: one continuation page per field (the rule before
packing), packed, and what the overflow text alone needs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import logging
import warnings
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "opp-leerlingen.json"


def records() -> list[dict[str, str]]:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))


def shown(record: dict[str, str]) -> dict[str, str]:
    """Values as the form shows them (dates DD-MM-YYYY), for the peers."""
    out = {}
    for k, v in record.items():
        if k.endswith(".datum") and v:
            y, m, d = v.split("-")
            v = f"{d}-{m}-{y}"
        out[k] = v
    return out


def long_actions(recs: list[dict[str, str]]) -> list[dict[str, str]]:
    """The same pupils with every action cell a little too long for its box (its own
    text twice and a half), as in a school's long OPPs."""
    out = []
    for r in recs:
        r = dict(r)
        for k, v in r.items():
            if k.startswith("acties.") and v:
                r[k] = (v + " " + v + " " + v[: len(v) // 2]).strip()
        out.append(r)
    return out


def pages_per_form(recs: list[dict[str, str]]) -> tuple[float, float, float, int]:
    """Mean pages per form with the one-page-per-field rule of the versions before packing,
    packed, and what the overflow text alone needs (its height at 10 pt on the full text
    width, rounded up to pages), and the largest packed-minus-needed, from the same records."""
    import math

    from oppforms.continuation import layout_for
    from oppforms.spec import current_spec
    from oppforms.values import coerce_record

    spec = current_spec()
    layout = layout_for(spec)
    before = after = needed = 0
    worst = 0
    for i, r in enumerate(recs, 1):
        sections = layout.overflow(coerce_record(r, spec, row=i, source="bench"))
        old = len(layout.pack(sections, spec.page_count + 1, packed=False))
        new = len(layout.pack(sections, spec.page_count + 1))
        need = math.ceil(layout.lines_needed(sections) - 1e-9)
        before += spec.page_count + old
        after += spec.page_count + new
        needed += spec.page_count + need
        worst = max(worst, new - need)
    n = len(recs)
    return before / n, after / n, needed / n, worst


def print_pages(recs: list[dict[str, str]]) -> None:
    for label, rs in (("the sample pupils", recs), ("the sample pupils with long action cells", long_actions(recs))):
        before, after, needed, worst = pages_per_form(rs)
        print(
            f"pages per form, {label} ({len(rs)} forms): {before:.2f} one page per field (before), "
            f"{after:.2f} packed (now); the overflow text alone needs {needed:.2f}; "
            f"packed is at most {worst} page(s) more than it needs"
        )


def timed(fill: Callable[[dict[str, str]], bytes], recs: list[dict[str, str]], n: int, rounds: int = 3) -> float:
    """Median over rounds of the mean ms per form."""
    fill(recs[0])  # warm up: imports, caches, template parsing
    per_round = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for i in range(n):
            data = fill(recs[i % len(recs)])
            assert len(data) > 10_000
        per_round.append((time.perf_counter() - t0) / n * 1000)
    return statistics.median(per_round)


def oppforms_fill() -> Callable[[dict[str, str]], bytes]:
    from oppforms.fill import Template
    from oppforms.values import coercer_for
    from oppforms.spec import current_spec

    template = Template.for_spec()
    coerce = coercer_for(current_spec())

    def fill(record: dict[str, str]) -> bytes:
        values = coerce.coerce(record, row=1, source="bench")
        return template.fill(values, doc_id="BENC-HMRK").data

    return fill


def pypdf_fill(template: bytes) -> Callable[[dict[str, str]], bytes]:
    from pypdf import PdfReader, PdfWriter

    def fill(record: dict[str, str]) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(template)))
        values = shown(record)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for page in writer.pages:
                writer.update_page_form_field_values(page, values, auto_regenerate=False)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    return fill


def pypdfform_fill(template: bytes) -> Callable[[dict[str, str]], bytes]:
    from PyPDFForm import PdfWrapper

    def fill(record: dict[str, str]) -> bytes:
        return PdfWrapper(template).fill(shown(record)).read()

    return fill


def pymupdf_fill(template: bytes) -> Callable[[dict[str, str]], bytes] | None:
    try:
        import pymupdf  # test-only peer (AGPL): never imported by oppforms itself
    except ImportError:
        return None

    def fill(record: dict[str, str]) -> bytes:
        doc = pymupdf.open(stream=template, filetype="pdf")
        values = shown(record)
        for page in doc:
            for widget in page.widgets():
                if widget.field_name in values:
                    widget.field_value = values[widget.field_name]
                    widget.update()
        return doc.tobytes()

    return fill


def batch_seconds(n: int, jobs: int, where: str | None) -> float:
    from oppforms.batch import fill_many

    recs = records()
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        t0 = time.perf_counter()
        results = list(fill_many((recs[i % len(recs)] for i in range(n)), Path(tmp), jobs=jobs, identity_by_row=True))
        elapsed = time.perf_counter() - t0
    assert all(r.status == "ok" for r in results), [r.reason for r in results if r.status != "ok"][:3]
    return elapsed


MEMORY_CHILD = """
import json, sys, tempfile
from pathlib import Path
from oppforms.batch import fill_many
recs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
n = int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    ok = sum(r.status == "ok" for r in fill_many((recs[i % len(recs)] for i in range(n)), Path(tmp), identity_by_row=True))
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would report the parent's peak
hwm = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(ok, hwm)
"""


def peak_memory_mb(n: int) -> tuple[int, float]:
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, str(SAMPLES), str(n)], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), int(out[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=300, help="forms per round for oppforms")
    ap.add_argument("--peer-forms", type=int, default=20, help="forms per round for each peer")
    ap.add_argument("--jobs-forms", type=int, default=1200, help="forms for the 1-job / 2-job batch comparison")
    ap.add_argument("--memory-forms", type=int, default=10_000, help="forms for the peak-memory run (0 skips it)")
    ap.add_argument(
        "--batch-dir",
        action="append",
        help="where the batch comparison writes (repeatable; default: the system's temp folder, "
        "and /dev/shm too when present, to tell the CPU's scaling from the disk's)",
    )
    ap.add_argument("--pages-only", action="store_true", help="only count pages per form, before and after packing")
    args = ap.parse_args()
    if args.pages_only:
        print_pages(records())
        return
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns about its own font encoding per value

    from oppforms.spec import current_spec, shipped_pdf_path

    template = shipped_pdf_path(current_spec()).read_bytes()
    recs = records()
    rows: list[tuple[str, float]] = [("oppforms", timed(oppforms_fill(), recs, args.forms))]
    rows.append(("pypdf (clone and fill)", timed(pypdf_fill(template), recs, args.peer_forms)))
    rows.append(("PyPDFForm", timed(pypdfform_fill(template), recs, args.peer_forms)))
    mu = pymupdf_fill(template)
    if mu is not None:
        rows.append(("PyMuPDF (test-only peer)", timed(mu, recs, args.peer_forms)))
    from importlib.metadata import PackageNotFoundError, version

    def ver(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "?"

    print(
        "versions: "
        + ", ".join(f"{d} {ver(d)}" for d in ("oppforms", "pypdf", "PyPDFForm", "PyMuPDF") if ver(d) != "?")
    )
    base = rows[0][1]
    print(f"Filling the OPP korte versie, one core, {os.cpu_count()} CPUs on this machine")
    print(f"{'tool':<28} {'ms/form':>9} {'vs oppforms':>12}")
    for name, ms in rows:
        print(f"{name:<28} {ms:9.2f} {ms / base:11.1f}x")
    print()
    print_pages(recs)

    if args.jobs_forms:
        places = args.batch_dir or [tempfile.gettempdir(), *(["/dev/shm"] if os.path.isdir("/dev/shm") else [])]
        for where in places:
            pairs = [(batch_seconds(args.jobs_forms, 1, where), batch_seconds(args.jobs_forms, 2, where)) for _ in range(3)]
            one = statistics.median(p[0] for p in pairs)
            two = statistics.median(p[1] for p in pairs)
            ratio = statistics.median(p[0] / p[1] for p in pairs)
            print(f"\nfill_many, {args.jobs_forms} forms written to {where} (median of 3 pairs):")
            print(f"  --jobs 1: {one / args.jobs_forms * 1000:6.2f} ms/form")
            print(f"  --jobs 2: {two / args.jobs_forms * 1000:6.2f} ms/form  ({ratio:.2f}x the throughput of one job)")
    if args.memory_forms:
        ok, mb = peak_memory_mb(args.memory_forms)
        print(f"\nfill_many over {ok} records: peak memory {mb:.0f} MB (VmHWM of the whole process)")


if __name__ == "__main__":
    main()
