"""Fill benchmark: oppforms against its peers on the same records, in the same run.

    python benchmarks/fill_bench.py [--forms N] [--peer-forms M] [--slow-forms S]
                                    [--cli-forms A,B] [--cli-rounds R] [--cli-dir DIR] [--jobs-forms K] [--memory-forms L] [--pages-only]

Every tool fills the shipped form with the same records (the twelve fictional sample
pupils, cycled: about 40 fields and several thousand characters each; each form gets its
own document id, so every page code is new) and writes a complete PDF:

- oppforms: ``Template.fill`` (one core, template parsed once, an incremental update).
- pypdf: clone the template, ``update_page_form_field_values`` (pypdf's own appearances).
- PyPDFForm: ``PdfWrapper(template, use_full_widget_name=True).fill(values)``; without
  ``use_full_widget_name`` it addresses fields by their last name part only, and fills
  nothing of ``leerling.naam`` (the benchmark checks that too and says so).
- PyMuPDF (AGPL; a test-only peer, measured only when installed): set each widget's
  value and ``update()`` it, then ``tobytes()``.
- pdf-lib (Node; measured only when ``node`` and ``npm`` are there: installed with npm,
  with @pdf-lib/fontkit, into a temporary folder): load, ``getTextField(name).setText``,
  appearances in the embedded Carlito (Helvetica cannot draw ë or Ş), ``save()``.
- pdftk-java (measured only when ``pdftk`` is there): one process per form,
  ``pdftk form.pdf fill_form data.xfdf output out.pdf``, as people run it.

pdf-lib and pdftk take seconds per form, so they fill only the first ``--slow-forms``
records, each timed once (the median is reported) and each read back.

**A peer's time counts only when it filled the form.** Before timing, every tool fills
each of the twelve records once and the result is read back (pypdf's ``get_fields``):
every value must be in its field exactly. A tool that fails gets the row "cannot fill
this form" with the reason and no time.

Then the command: ``oppforms fill`` on two numbers of records (a fresh process and output
folder each, on tmpfs by default: see ``command_folder``); its marginal cost per form (the
difference over the extra records) is compared with ``Template.fill``'s time measured
between the two runs, pair by pair (the median of the pairs' ratios is reported). Then ``fill_many`` writing files
with 1 and with 2 worker processes, and the peak memory (VmHWM) of a ``fill_many`` run
over many records in a fresh process. Figures are milliseconds per form (median of three
rounds) of CPU time (the process's own, or its children's for the command, pdftk and
Node), and ratios; the batch comparison is wall time (it is about using both cores). The
machine may be shared, so compare ratios measured in one run, not absolute times across
runs.

It also counts the pages per form, from the same records: one continuation page per field
(the rule before packing), packed, and what the overflow text alone needs.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "opp-leerlingen.json"

Fill = Callable[[dict[str, str]], bytes]


class CannotFill(Exception):
    """The tool cannot fill this form (the reason says why)."""


def records() -> list[dict[str, str]]:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))


def shown_values(recs: list[dict[str, str]]) -> list[dict[str, str]]:
    """Per record, each filled field's value exactly as the form shows it (dates as
    DD-MM-YYYY): what every tool is given and what must come back."""
    from oppforms.fill import display_value
    from oppforms.spec import current_spec
    from oppforms.values import coercer_for

    spec = current_spec()
    coerce = coercer_for(spec)
    out = []
    for i, rec in enumerate(recs, 1):
        values = coerce.coerce(rec, row=i, source="bench")
        out.append({f.name: shown for f in spec.value_fields if (shown := display_value(f, values.get(f.name, "")))})
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


def read_back(pdfs: list[bytes], expected: list[dict[str, str]]) -> str | None:
    """None when every value is in every PDF exactly, else why not (field names only)."""
    from pypdf import PdfReader

    wrong: dict[str, int] = {}
    total = missing = 0
    for data, values in zip(pdfs, expected, strict=True):
        try:
            fields = PdfReader(io.BytesIO(data)).get_fields() or {}
        except Exception as exc:  # noqa: BLE001 - any failure to read is the peer's
            return f"its output is not a readable PDF form ({type(exc).__name__})"
        for name, value in values.items():
            total += 1
            got = fields.get(name, {}).get("/V")
            if got is None or str(got) != value:
                missing += 1
                kind = "empty" if got in (None, "") else "changed"
                wrong[f"{name} {kind}"] = wrong.get(f"{name} {kind}", 0) + 1
    if not missing:
        return None
    worst = ", ".join(k for k, _ in sorted(wrong.items(), key=lambda kv: -kv[1])[:3])
    return f"{missing} of {total} values not in the output exactly (e.g. {worst})"


def timed(fill: Fill, recs: list[dict[str, str]], n: int, rounds: int = 3) -> float:
    """Median over rounds of the mean CPU ms per form (this process's CPU time: on a
    shared machine wall time mostly measures the neighbours)."""
    per_round = []
    for _ in range(rounds):
        t0 = time.process_time()
        for i in range(n):
            fill(recs[i % len(recs)])
        per_round.append((time.process_time() - t0) / n * 1000)
    return statistics.median(per_round)


def cold_words(recs: list[dict[str, str]], n: int, rounds: int = 5) -> tuple[float, float]:
    """``Template.fill``'s CPU ms per form with the fonts' per-word width caches emptied
    before every form, and with them kept, in turns (medians of ``rounds``)."""
    import gc

    from oppforms.fonts import FontMetrics

    fill = oppforms_fill()
    for rec in recs:
        fill(rec)
    metrics = [o for o in gc.get_objects() if isinstance(o, FontMetrics)]
    cold, warm = [], []
    for _ in range(rounds):
        spent = 0.0
        for i in range(n):
            for m in metrics:
                m._words.clear()
                m._spaced.clear()
            t0 = time.process_time()
            fill(recs[i % len(recs)])
            spent += time.process_time() - t0
        cold.append(spent / n * 1000)
        warm.append(timed(fill, recs, n, rounds=1))
    return statistics.median(cold), statistics.median(warm)


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------
# The tools


def oppforms_fill() -> Fill:
    from oppforms.batch import document_id
    from oppforms.fill import Template
    from oppforms.spec import current_spec
    from oppforms.values import coercer_for

    template = Template.for_spec()
    coerce = coercer_for(current_spec())
    ids = (document_id(b"benchmark" * 4, str(i)) for i in itertools.count())

    def fill(record: dict[str, str]) -> bytes:
        values = coerce.coerce(record, row=1, source="bench")
        return template.fill(values, doc_id=next(ids)).data

    return fill


def pypdf_fill(template: bytes) -> Fill:
    from pypdf import PdfReader, PdfWriter

    def fill(values: dict[str, str]) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(template)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for page in writer.pages:
                writer.update_page_form_field_values(page, values, auto_regenerate=False)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    return fill


def pypdfform_fill(template: bytes, *, full_names: bool) -> Fill:
    from PyPDFForm import PdfWrapper

    def fill(values: dict[str, str]) -> bytes:
        wrapper = PdfWrapper(template, use_full_widget_name=True) if full_names else PdfWrapper(template)
        return wrapper.fill(values).read()

    return fill


def pymupdf_fill(template: bytes) -> Fill | None:
    try:
        import pymupdf  # test-only peer (AGPL): never imported by oppforms itself
    except ImportError:
        return None

    def fill(values: dict[str, str]) -> bytes:
        doc = pymupdf.open(stream=template, filetype="pdf")
        for page in doc:
            for widget in page.widgets():
                if widget.field_name in values:
                    widget.field_value = values[widget.field_name]
                    widget.update()
        return doc.tobytes()

    return fill


PDF_LIB_SCRIPT = r"""
const fs = require("fs");
const { PDFDocument } = require("pdf-lib");
const fontkit = require("@pdf-lib/fontkit");
const [templatePath, fontPath, recordsPath, outDir] = process.argv.slice(2);
const template = fs.readFileSync(templatePath);
const fontBytes = fs.readFileSync(fontPath);
const records = JSON.parse(fs.readFileSync(recordsPath, "utf8"));
async function fill(values) {
  const doc = await PDFDocument.load(template);
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(fontBytes, { subset: true });
  const form = doc.getForm();
  for (const [name, value] of Object.entries(values)) form.getTextField(name).setText(value);
  form.updateFieldAppearances(font);
  return await doc.save();
}
(async () => {
  const ms = [];
  for (let i = 0; i < records.length; i++) {
    const t0 = process.cpuUsage();
    const pdf = await fill(records[i]);
    const used = process.cpuUsage(t0);
    ms.push((used.user + used.system) / 1000);
    fs.writeFileSync(`${outDir}/${i}.pdf`, pdf);
  }
  console.log(JSON.stringify(ms));
})().catch((e) => { console.error(String(e && e.message || e)); process.exit(3); });
"""


def pdf_lib_run(template: Path, expected: list[dict[str, str]], work: Path) -> tuple[str, float | str]:
    """pdf-lib's version and its ms per form (the median of the forms filled, each of
    which was read back), or why it cannot fill."""
    if not (shutil.which("node") and shutil.which("npm")):
        raise FileNotFoundError("node")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(work), "pdf-lib@1", "@pdf-lib/fontkit@1"],
        check=True, capture_output=True, timeout=600,
    )
    version = json.loads((work / "node_modules" / "pdf-lib" / "package.json").read_text())["version"]
    (work / "fill.js").write_text(PDF_LIB_SCRIPT, encoding="utf-8")
    (work / "records.json").write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")
    out_dir = work / "out"
    out_dir.mkdir()
    from oppforms.fonts import font_file_bytes

    font = work / "Carlito-Regular.ttf"
    font.write_bytes(font_file_bytes("Carlito-Regular.ttf"))
    run = subprocess.run(
        ["node", "fill.js", str(template), str(font), "records.json", str(out_dir)],
        cwd=work, capture_output=True, text=True, timeout=3600,
    )
    if run.returncode:
        return version, "it stopped with an error: " + (run.stderr.strip().splitlines() or ["?"])[-1][:160]
    reason = read_back([(out_dir / f"{i}.pdf").read_bytes() for i in range(len(expected))], expected)
    if reason:
        return version, reason
    return version, statistics.median(json.loads(run.stdout))


def xfdf(values: dict[str, str]) -> str:
    """An XFDF file of ``values``, field names nested by their parts as Acrobat writes it."""
    tree: dict[str, object] = {}
    for name, value in values.items():
        node = tree
        *parents, last = name.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = value

    def render(node: dict[str, object]) -> str:
        out = []
        for key, child in node.items():
            inner = render(child) if isinstance(child, dict) else f"<value>{escape(child)}</value>"  # type: ignore[arg-type]
            out.append(f"<field name={quoteattr(key)}>{inner}</field>")
        return "".join(out)

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xfdf xmlns="http://ns.adobe.com/xfdf/" xml:space="preserve">'
        f"<fields>{render(tree)}</fields></xfdf>\n"
    )


def pdftk_run(template: Path, expected: list[dict[str, str]], work: Path) -> tuple[str, float | str]:
    """pdftk's version and its ms per form (one process per form; the median of the
    forms filled, each of which was read back), or why it cannot fill."""
    exe = shutil.which("pdftk")
    if not exe:
        raise FileNotFoundError("pdftk")
    head = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.splitlines()
    version = next((word for line in head for word in line.split() if word[:1].isdigit()), "?")
    ms, pdfs = [], []
    for i, values in enumerate(expected):
        data, out = work / f"{i}.xfdf", work / f"{i}.pdf"
        data.write_text(xfdf(values), encoding="utf-8")
        t0 = children_cpu()
        run = subprocess.run([exe, str(template), "fill_form", str(data), "output", str(out)], capture_output=True, timeout=300)
        ms.append((children_cpu() - t0) * 1000)
        if run.returncode:
            return version, "it stopped with an error: " + (run.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1][:160]
        pdfs.append(out.read_bytes())
    reason = read_back(pdfs, expected)
    return version, reason if reason else statistics.median(ms)


# ---------------------------------------------------------------------------------------
# The command and the batch


def cli_seconds(n: int, work: Path) -> float:
    """CPU time of ``oppforms fill`` over ``n`` records (unique pupil numbers), one job, into
    a fresh output folder under ``work`` (left in place until the whole measurement ends:
    see :func:`command_folder`)."""
    recs = records()
    data = []
    for i in range(n):
        rec = dict(recs[i % len(recs)])
        rec["leerling.nummer"] = f"{900000 + i:06d}"
        data.append(rec)
    src = work / f"data-{n}.json"
    if not src.exists():
        src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = Path(tempfile.mkdtemp(prefix=f"out-{n}-", dir=work))
    t0 = children_cpu()
    subprocess.run([sys.executable, "-m", "oppforms", "fill", str(src), "-o", str(out), "-q"], check=True,
                   capture_output=True)
    return children_cpu() - t0


def command_folder(given: str | None) -> str | None:
    """Where the command writes: ``given``, else tmpfs (``/dev/shm``) when present, so that
    the figure is oppforms' cost and not the disk's. On a disk the kernel's cost of creating
    a file varies with what the disk did before: on ext4 without a journal (this project's
    machine) a new inode is not taken from those freed in the last minutes, and the search
    past them (``recently_deleted`` in the kernel's ``find_inode_bit``) cost up to 1 ms per
    file after a run's outputs were deleted, against 0.02 ms on a quiet disk."""
    if given:
        return given
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


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


def version_of(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=300, help="forms per round for oppforms")
    ap.add_argument("--peer-forms", type=int, default=24, help="forms per round for each in-process peer")
    ap.add_argument("--slow-forms", type=int, default=3,
                    help="forms for pdf-lib and pdftk, each timed once and read back (they take seconds per form)")
    ap.add_argument("--no-peers", action="store_true", help="measure oppforms only (quick checks while working)")
    ap.add_argument("--cli-forms", default="40,440", help="the two record counts for the command's marginal cost (0 skips)")
    ap.add_argument("--cli-rounds", type=int, default=5, help="pairs of command runs (the median is reported)")
    ap.add_argument("--cli-dir", help="where the command writes (default: /dev/shm when present; see command_folder)")
    ap.add_argument("--jobs-forms", type=int, default=1200, help="forms for the 1-job / 2-job batch comparison (0 skips)")
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

    template_path = shipped_pdf_path(current_spec())
    template = template_path.read_bytes()
    recs = records()
    expected = shown_values(recs)

    # (tool, version, ms per form or the reason it cannot fill)
    rows: list[tuple[str, str, float | str]] = []
    # the in-process tools that filled the form: timed in turns, round by round, so that
    # a change in the machine's load falls on all of them alike
    turns: list[tuple[int, Fill, list[dict[str, str]], int]] = []

    def measure(name: str, version: str, fill: Fill, given: list[dict[str, str]], n: int) -> None:
        try:
            reason = read_back([fill(v) for v in given], expected)
        except Exception as exc:  # noqa: BLE001 - a peer that breaks cannot fill
            reason = f"it stopped with an error: {type(exc).__name__}: {str(exc)[:120]}"
        if reason is None:
            turns.append((len(rows), fill, given, n))
        rows.append((name, version, reason if reason is not None else 0.0))
        print(f"  checked {name}", file=sys.stderr)

    measure("oppforms (Template.fill)", version_of("oppforms"), oppforms_fill(), recs, args.forms)
    if not args.no_peers:
        measure("pypdf (clone, update_page_form_field_values)", version_of("pypdf"), pypdf_fill(template), expected, args.peer_forms)
        measure("PyPDFForm (use_full_widget_name=True)", version_of("PyPDFForm"), pypdfform_fill(template, full_names=True), expected, args.peer_forms)
        measure("PyPDFForm (default: partial names)", version_of("PyPDFForm"), pypdfform_fill(template, full_names=False), expected, args.peer_forms)
        mu = pymupdf_fill(template)
        if mu is not None:
            measure("PyMuPDF (AGPL, test-only peer)", version_of("PyMuPDF"), mu, expected, args.peer_forms)
    per_tool: dict[int, list[float]] = {}
    for _ in range(3):
        for index, fill, given, n in turns:
            per_tool.setdefault(index, []).append(timed(fill, given, n, rounds=1))
    for index, times in per_tool.items():
        name, version, _ = rows[index]
        rows[index] = (name, version, statistics.median(times))
    if not args.no_peers:
        for name, run in (("pdf-lib + fontkit (Node)", pdf_lib_run), ("pdftk-java (a process per form)", pdftk_run)):
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    version, result = run(template_path, expected[: args.slow_forms], Path(tmp))
                except (FileNotFoundError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                    print(f"  {name}: not measured ({type(exc).__name__}: {exc})", file=sys.stderr)
                    continue
            rows.append((name, version, result))
            print(f"  measured {name}", file=sys.stderr)

    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() if shutil.which("node") else ""
    print(f"Python {sys.version.split()[0]}" + (f", Node {node}" if node else "") + f"; {os.cpu_count()} CPUs on this machine")
    base = rows[0][2]
    assert isinstance(base, float), f"oppforms itself did not fill the form: {base}"
    print(f"Filling the OPP korte versie, one core, {args.forms} forms per round for oppforms, {args.peer_forms} per "
          f"peer, 3 rounds taken in turns; pdf-lib and pdftk: {args.slow_forms} forms each:")
    print(f"{'tool':<46} {'version':<10} {'CPU ms/form':>11} {'vs oppforms':>12}")
    for name, version, result in rows:
        if isinstance(result, float):
            print(f"{name:<46} {version:<10} {result:11.2f} {result / base:11.1f}x")
        else:
            print(f"{name:<46} {version:<10} {'':>11} {'':>12}  cannot fill this form: {result}")
    cold, warm = cold_words(recs, args.forms)
    print(f"\noppforms with its per-word width caches emptied before every form (every word new to it, the worst "
          f"case; the rows above cycle twelve records, so after the first twelve forms every word is known): "
          f"{cold:.2f} ms/form against {warm:.2f} ms/form in turns ({cold / warm:.2f}x)")
    print()
    print_pages(recs)

    if args.cli_forms != "0":
        a, b = (int(x) for x in args.cli_forms.split(","))
        library_fill = oppforms_fill()
        rounds = []  # the library measured between the command's runs, so both see the same load
        where = command_folder(args.cli_dir)
        with tempfile.TemporaryDirectory(dir=where) as tmp:
            for _ in range(args.cli_rounds):
                ta, tb = cli_seconds(a, Path(tmp)), cli_seconds(b, Path(tmp))
                rounds.append(((tb - ta) / (b - a) * 1000, timed(library_fill, recs, b - a, rounds=1)))
        marginal = statistics.median(m for m, _ in rounds)
        library = statistics.median(lib for _, lib in rounds)
        ratio = statistics.median(m / lib for m, lib in rounds)
        print(f"\n`oppforms fill` (one job, JSON in, files and report out to {where or tempfile.gettempdir()}), "
              f"{a} and {b} records, median of {args.cli_rounds}:")
        print(f"  marginal cost {marginal:.2f} ms/form; Template.fill between them {library:.2f} ms/form: {ratio:.2f}x")
        print("  each round: " + ", ".join(f"{m:.2f}/{lib:.2f}" for m, lib in rounds))
        # The same command in one fresh process, its rounds taking turns with the library's
        # (benchmarks/batch_overhead.py): the command's code from reading the JSON to the
        # report, without the interpreter's start, and far less noisy than the difference
        # of two processes' times
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("batch_overhead.py")), "--forms", str(b - a),
             "--rounds", str(args.cli_rounds * 2 + 1), "--where", where or tempfile.gettempdir(), "--json"],
            capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()
        medians = json.loads(out[-1])
        print(f"  in one process, {b - a} records, {args.cli_rounds * 2 + 1} rounds in turns with the library: command "
              f"{medians['command']:.2f} ms/form, fill_many {medians['fill_many']:.2f}, library {medians['library']:.2f}: "
              f"command {medians['command_ratio']:.2f}x, fill_many {medians['fill_many_ratio']:.2f}x (median of the rounds' ratios); "
              f"of which in the kernel (system time: files, registry, memory): command {medians['command_kernel']:.2f} ms/form, "
              f"fill_many {medians['fill_many_kernel']:.2f}")

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
