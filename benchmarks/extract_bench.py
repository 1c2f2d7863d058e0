"""Extract benchmark: reading filled forms back, oppforms against its peers, same files.

    python benchmarks/extract_bench.py [--forms N] [--peer-forms M] [--batch-forms K] [--flat-forms L]

The files are the twelve fictional sample pupils filled into the shipped form (one of them
with continuation pages), cycled; the same bytes go to every reader:

- oppforms ``read_pdf`` (one core, in this process, files in a temporary folder): the whole job per form: open,
  detect the form, walk the field tree, normalise all 48 values, compare every widget's
  appearance with its value, look for actions, signatures and drawn marks, read the
  document id. Measured on forms as oppforms filled them, and on the same forms rewritten
  by qpdf (as a viewer's "save as" rewrites a file: every object moved, streams
  recompressed).
- pypdf ``PdfReader(path).get_fields()``: the field values only (no normalising, no
  checks), the usual way to read a form in Python.
- PyMuPDF (AGPL; a test-only peer, measured only when installed): every widget's value.

Then ``extract_many`` as the command line runs it, files on disk, each read in a worker
process with time and memory limits, with 1 and 2 workers; and flattened forms (the page
text, with pdfplumber) for scale. Figures are forms per second (best of the rounds: the
machine is shared, so the best round is the least disturbed one); compare ratios measured
in one run, not absolute figures across machines.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "opp-leerlingen.json"


def filled_forms(*, flatten: bool = False) -> list[bytes]:
    from oppforms.fill import Template
    from oppforms.spec import current_spec
    from oppforms.values import coerce_record

    spec = current_spec()
    template = Template.for_spec(spec)
    records = json.loads(SAMPLES.read_text(encoding="utf-8"))
    return [
        template.fill(coerce_record(r, spec, row=i, source="bench"), doc_id="BENC-HMRK", flatten=flatten).data
        for i, r in enumerate(records, 1)
    ]


def rewritten(forms: list[bytes]) -> list[bytes]:
    import pikepdf

    out = []
    for data in forms:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            buf = io.BytesIO()
            pdf.save(buf, object_stream_mode=pikepdf.ObjectStreamMode.generate, recompress_flate=True)
            out.append(buf.getvalue())
    return out


def per_second(read: Callable[[Path], object], files: list[Path], n: int, rounds: int = 5) -> float:
    read(files[0])  # warm up: imports, caches
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        for i in range(n):
            read(files[i % len(files)])
        best = max(best, n / (time.perf_counter() - t0))
    return best


def oppforms_read(path: Path) -> object:
    from oppforms.extract import read_pdf

    result = read_pdf(path)
    assert result.records, result.reason
    return result


def pypdf_read(path: Path) -> object:
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fields = PdfReader(path).get_fields()
    assert fields
    return {k: v.get("/V") for k, v in fields.items()}


def pymupdf_read() -> Callable[[Path], object] | None:
    try:
        import pymupdf  # test-only peer (AGPL): never imported by oppforms itself
    except ImportError:
        return None

    def read(path: Path) -> object:
        doc = pymupdf.open(path)
        values = {w.field_name: w.field_value for page in doc for w in page.widgets()}
        doc.close()
        return values

    return read


def on_disk(forms: list[bytes], folder: Path, name: str) -> list[Path]:
    paths = []
    for i, data in enumerate(forms):
        path = folder / f"{name}-{i:02d}.pdf"
        path.write_bytes(data)
        paths.append(path)
    return paths


def batch_per_second(forms: list[bytes], n: int, jobs: int) -> float:
    from oppforms.extract import extract_many

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(n):
            path = Path(tmp) / f"{i:05d}.pdf"
            path.write_bytes(forms[i % len(forms)])
            paths.append(path)
        t0 = time.perf_counter()
        results = list(extract_many(paths, jobs=jobs))
        elapsed = time.perf_counter() - t0
    assert all(r.records for r in results), [r.reason for r in results if not r.records][:3]
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=600, help="forms per round for oppforms")
    ap.add_argument("--peer-forms", type=int, default=120, help="forms per round for each peer")
    ap.add_argument("--batch-forms", type=int, default=600, help="forms for the 1- and 2-worker batch (0 skips it)")
    ap.add_argument("--flat-forms", type=int, default=24, help="flattened forms read from their page text (0 skips it)")
    args = ap.parse_args()

    live = filled_forms()
    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name)
    as_filled = on_disk(live, folder, "filled")
    resaved = on_disk(rewritten(live), folder, "rewritten")
    rows: list[tuple[str, float]] = [
        ("oppforms, as filled", per_second(oppforms_read, as_filled, args.forms)),
        ("oppforms, rewritten by qpdf", per_second(oppforms_read, resaved, args.forms)),
        ("pypdf get_fields, as filled", per_second(pypdf_read, as_filled, args.peer_forms)),
        ("pypdf get_fields, rewritten", per_second(pypdf_read, resaved, args.peer_forms)),
    ]
    mu = pymupdf_read()
    if mu is not None:
        rows.append(("PyMuPDF widgets (test-only peer)", per_second(mu, as_filled, args.peer_forms)))
    print(f"Reading live OPP forms from files, one core, in-process ({os.cpu_count()} CPUs on this machine)")
    print(f"{'reader':<34} {'forms/s':>8} {'ms/form':>8}")
    for name, rate in rows:
        print(f"{name:<34} {rate:8.0f} {1000 / rate:8.2f}")
    print(f"oppforms / pypdf: {rows[0][1] / rows[2][1]:.1f}x as filled, {rows[1][1] / rows[3][1]:.1f}x rewritten")

    if args.batch_forms:
        print(f"\nextract_many, {args.batch_forms} files on disk, each in a worker with time and memory limits:")
        one = batch_per_second(live, args.batch_forms, 1)
        two = batch_per_second(live, args.batch_forms, 2)
        print(f"  --jobs 1: {one:6.0f} forms/s")
        print(f"  --jobs 2: {two:6.0f} forms/s  ({two / one:.2f}x one worker)")
    if args.flat_forms:
        flat = on_disk(filled_forms(flatten=True), folder, "flat")
        rate = per_second(oppforms_read, flat, args.flat_forms, rounds=2)
        print(f"\nflattened forms (page text, pdfplumber): {rate:.1f} forms/s, {1000 / rate:.0f} ms/form")
    tmp.cleanup()


if __name__ == "__main__":
    main()
