"""Cluster benchmark: one scanner PDF read by one process, a local pool and a Dask cluster.

    python benchmarks/cluster_bench.py [--forms 15] [--dpi 200] [--rounds 2] [--seed 3]

Generates one scanner PDF (benchmarks/scangen.py: ``forms`` filled forms, shuffled, some
pages turned, blank backs, signatures, handwriting; about 7 scanned pages a form) and reads
it with ``--issued`` and the real OCR engine, in four ways, interleaved round after round so
that a machine shared with others loads them alike:

- ``local 1``: one process (``--jobs 1``);
- ``pool 2``: the local process pool of two (``--jobs 2``);
- ``dask 1`` and ``dask 2``: a Dask ``LocalCluster`` of one and of two single-threaded
  worker processes (``--cluster local:N``), started before the clock starts (its start is
  reported apart) with cold workers (like the pool's, they load the engine on first use).

The pages are read through the seam itself (``read_pages``, then assembled here), so the
time is the pages' alone. Every run's records are compared with the first run's (they must
be the same). Printed per configuration: the median wall time of a read (cold workers
included), pages per second, the rate from the first page's result to the last (the
workers' start left out), and the ratios the issue asks for: the Dask cluster against the
local pool at equal cores, and two Dask workers against one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scangen import Scenario, generate  # noqa: E402
from oppforms.executor import DaskExecutor, connect  # noqa: E402
from oppforms.scan.assemble import assemble  # noqa: E402
from oppforms.scan.images import list_pages  # noqa: E402
from oppforms.scan.page import Settings, engine  # noqa: E402
from oppforms.scan.pipeline import load_issued, read_pages  # noqa: E402
from oppforms.spec import current_spec  # noqa: E402


@dataclass
class Config:
    label: str
    jobs: int = 1
    workers: int = 0  # Dask workers (0: no cluster)
    seconds: list[float] = field(default_factory=list)
    steady: list[float] = field(default_factory=list)  # seconds from the first page's result to the last
    starts: list[float] = field(default_factory=list)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=15)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    spec = current_spec()
    work = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    batch = generate(Scenario(forms=args.forms, dpi=args.dpi, seed=args.seed), work / "scans", spec=spec)
    pages = len(list_pages(batch.pdf))
    size = batch.pdf.stat().st_size / 1e6
    print(f"{pages} scanned pages ({args.forms} forms, {args.dpi} dpi, {size:.1f} MB), --issued, {os.cpu_count()} cores",
          flush=True)
    configs = [Config("local 1", jobs=1), Config("pool 2", jobs=2), Config("dask 1", workers=1), Config("dask 2", workers=2)]
    reference: str | None = None
    registry = load_issued(batch.issued, spec)
    refs = list_pages(batch.pdf)
    alphabet = engine().alphabet
    for rnd in range(args.rounds):
        for cfg in configs[rnd % len(configs):] + configs[: rnd % len(configs)]:  # a different one first each round
            review = work / f"review-{cfg.label.replace(' ', '')}-{rnd}"
            settings = Settings(spec=spec, issued=registry, review_dir=str(review))
            executor: DaskExecutor | None = None
            if cfg.workers:
                t0 = time.perf_counter()
                executor = connect(f"local:{cfg.workers}")
                executor.client.wait_for_workers(cfg.workers)
                cfg.starts.append(time.perf_counter() - t0)
            try:
                t0 = time.perf_counter()
                arrived = []
                results = []
                for result in read_pages(refs, settings, jobs=cfg.jobs, ocr=None, executor=executor):
                    results.append(result)
                    arrived.append(time.perf_counter())
                cfg.seconds.append(arrived[-1] - t0)
                cfg.steady.append(arrived[-1] - arrived[0])
            finally:
                if executor is not None:
                    executor.close()
            records = assemble(results, spec, issued=registry, alphabet=alphabet)
            text = json.dumps([r.to_json() for r in records], ensure_ascii=False).replace(str(review), "REVIEW")
            if reference is None:
                reference = text
            same = "same records" if text == reference else "RECORDS DIFFER"
            print(f"round {rnd + 1} {cfg.label:8} {cfg.seconds[-1]:7.1f} s  {pages / cfg.seconds[-1]:5.2f} pages/s, "
                  f"after the first page {(pages - 1) / cfg.steady[-1]:5.2f} pages/s  {same}", flush=True)
    med = {c.label: statistics.median(c.seconds) for c in configs}
    rate = {k: pages / v for k, v in med.items()}
    steady = {c.label: (pages - 1) / statistics.median(c.steady) for c in configs}
    print()
    print("| configuration | seconds (median) | pages per second | after the first page | cluster start (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for c in configs:
        start = f"{statistics.median(c.starts):.1f}" if c.starts else "–"
        print(f"| {c.label} | {med[c.label]:.1f} | {rate[c.label]:.2f} | {steady[c.label]:.2f} | {start} |")
    print()
    print(f"after the first page: dask 2 vs pool 2 {steady['dask 2'] / steady['pool 2']:.2f}x, "
          f"dask 1 vs local 1 {steady['dask 1'] / steady['local 1']:.2f}x, dask 2 vs dask 1 {steady['dask 2'] / steady['dask 1']:.2f}x")
    print(f"dask 1 vs local 1 (one core): {rate['dask 1'] / rate['local 1']:.2f}x "
          f"(overhead {100 * (med['dask 1'] / med['local 1'] - 1):+.0f} %)")
    print(f"dask 2 vs pool 2 (two cores): {rate['dask 2'] / rate['pool 2']:.2f}x "
          f"(overhead {100 * (med['dask 2'] / med['pool 2'] - 1):+.0f} %)")
    print(f"dask 2 vs dask 1: {rate['dask 2'] / rate['dask 1']:.2f}x;  pool 2 vs local 1: {rate['pool 2'] / rate['local 1']:.2f}x")


if __name__ == "__main__":
    main()
