"""Cluster benchmark: one scanner PDF read by one process, a local pool and a Dask cluster.

    python benchmarks/cluster_bench.py [--forms 15] [--dpi 200] [--rounds 2] [--seed 3]

Generates one scanner PDF (benchmarks/scangen.py: ``forms`` filled forms, shuffled, some
pages turned, blank backs, signatures, handwriting; about 7 scanned pages a form) and reads
it with ``--issued`` and the real OCR engine, in four ways, interleaved round after round so
that a machine shared with others loads them alike:

- ``local 1``: one process (``--jobs 1``);
- ``pool 2``: the local process pool of two (``--jobs 2``);
- ``dask 1`` and ``dask 2``: a Dask ``LocalCluster`` of one and of two single-threaded
  worker processes (``--cluster local:N``).

The pool starts inside its read: its workers fork, then load the engine, the Dutch word
list and the blank form on their first page. A cluster is started (``connect``, as
``extract --cluster`` does: its workers spawn and load the same when they start) before
its read: that is the production case, a ``tcp://`` scheduler whose workers are running
when a run starts. Its start is timed and printed apart, and the table gives the cluster's
start + read as well, against which the pool's read (start included) compares like for like.

The pages are read through the seam itself (``read_pages``, then assembled here), so the
time is the pages' alone. Every run's records are compared with the first run's (they must
be the same). Printed per configuration: the median wall time of a read, pages per second,
the rate from the first page's result to the last (the pool's start left out), the
cluster's start, and for a cluster the share of the read its workers spent computing pages
(Dask's task stream). Then the ratios the issue asks for: the Dask cluster against the local
pool at equal cores, and two Dask workers against one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scangen import Scenario, generate  # noqa: E402
from oppforms.executor import DaskExecutor, connect  # noqa: E402
from oppforms.scan.assemble import assemble  # noqa: E402
from oppforms.scan.images import list_pages  # noqa: E402
from oppforms.scan.page import Settings, engine  # noqa: E402
from oppforms.scan.pipeline import load_issued, prepare_worker, read_pages  # noqa: E402
from oppforms.spec import current_spec  # noqa: E402


@dataclass
class Config:
    label: str
    jobs: int = 1
    workers: int = 0  # Dask workers (0: no cluster)
    seconds: list[float] = field(default_factory=list)
    steady: list[float] = field(default_factory=list)  # seconds from the first page's result to the last
    starts: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)  # the workers' compute time over workers x read time
    client: list[float] = field(default_factory=list)  # CPU seconds of this process (client, and a cluster's scheduler and nannies)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of every process of the read (workers too)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--forms", type=int, default=15)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated labels to run (default: all four; the ratios need all)")
    args = ap.parse_args()
    spec = current_spec()
    work = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    batch = generate(Scenario(forms=args.forms, dpi=args.dpi, seed=args.seed), work / "scans", spec=spec)
    pages = len(list_pages(batch.pdf))
    size = batch.pdf.stat().st_size / 1e6
    print(f"{pages} scanned pages ({args.forms} forms, {args.dpi} dpi, {size:.1f} MB), --issued, {os.cpu_count()} cores",
          flush=True)
    configs = [Config("local 1", jobs=1), Config("pool 2", jobs=2), Config("dask 1", workers=1), Config("dask 2", workers=2)]
    if args.only:
        configs = [c for c in configs if c.label in {label.strip() for label in args.only.split(",")}]
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
                executor = connect(f"local:{cfg.workers}", prepare=prepare_worker)
                executor.client.wait_for_workers(cfg.workers)
                cfg.starts.append(time.perf_counter() - t0)
            try:
                t0 = time.perf_counter()
                cpu0 = time.process_time()
                workers0 = worker_cpu(executor)
                arrived = []
                results = []
                with task_stream(executor) as stream:
                    for result in read_pages(refs, settings, jobs=cfg.jobs, ocr=None, executor=executor):
                        results.append(result)
                        arrived.append(time.perf_counter())
                cfg.client.append(time.process_time() - cpu0)
                cfg.cpu.append(cfg.client[-1] + worker_cpu(executor) - workers0)
                cfg.seconds.append(arrived[-1] - t0)
                cfg.steady.append(arrived[-1] - arrived[0])
                if stream is not None:
                    computing = sum(s["stop"] - s["start"] for task in stream.data for s in task["startstops"]
                                    if s["action"] == "compute")
                    cfg.busy.append(computing / (cfg.workers * cfg.seconds[-1]))
            finally:
                if executor is not None:
                    executor.close()
            records = assemble(results, spec, issued=registry, alphabet=alphabet)
            text = json.dumps([r.to_json() for r in records], ensure_ascii=False).replace(str(review), "REVIEW")
            if reference is None:
                reference = text
            same = "same records" if text == reference else "RECORDS DIFFER"
            extra = f", started in {cfg.starts[-1]:.1f} s, workers computing {100 * cfg.busy[-1]:.0f} %" if cfg.workers else ""
            print(f"round {rnd + 1} {cfg.label:8} {cfg.seconds[-1]:7.1f} s  {pages / cfg.seconds[-1]:5.2f} pages/s, "
                  f"after the first page {(pages - 1) / cfg.steady[-1]:5.2f} pages/s{extra}, "
                  f"CPU s: this process {cfg.client[-1]:.1f}, all {cfg.cpu[-1]:.1f}  {same}", flush=True)
    med = {c.label: statistics.median(c.seconds) for c in configs}
    start = {c.label: statistics.median(c.starts) if c.starts else 0.0 for c in configs}
    rate = {k: pages / v for k, v in med.items()}
    whole = {k: pages / (med[k] + start[k]) for k in med}  # start + read
    steady = {c.label: (pages - 1) / statistics.median(c.steady) for c in configs}
    print()
    print("| configuration | start (s) | read (s) | pages per second | start + read: pages per second | "
          "after the first page | workers computing | CPU s per page | client CPU (s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in configs:
        started = f"{start[c.label]:.1f}" if c.starts else "in the read"
        busy = f"{100 * statistics.median(c.busy):.0f} %" if c.busy else "–"
        print(f"| {c.label} | {started} | {med[c.label]:.1f} | {rate[c.label]:.2f} | {whole[c.label]:.2f} | "
              f"{steady[c.label]:.2f} | {busy} | {statistics.median(c.cpu) / pages:.2f} | {statistics.median(c.client):.1f} |")
    print()
    if len(configs) < 4:
        return
    for name, a, b in (("dask 2 vs pool 2", "dask 2", "pool 2"), ("dask 1 vs local 1", "dask 1", "local 1"),
                       ("dask 2 vs dask 1", "dask 2", "dask 1"), ("pool 2 vs local 1", "pool 2", "local 1")):
        print(f"{name}: started {rate[a] / rate[b]:.2f}x, start + read {whole[a] / whole[b]:.2f}x, "
              f"after the first page {steady[a] / steady[b]:.2f}x")


def worker_cpu(executor: DaskExecutor | None) -> float:
    """CPU seconds used so far by this process's children that have ended (a pool's
    workers, once the pool is shut down), or by a cluster's workers."""
    if executor is None:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    return sum(executor.each_worker(_own_cpu).values())


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def task_stream(executor: DaskExecutor | None) -> Iterator[Any]:
    """Dask's record of the tasks run meanwhile (None without a cluster)."""
    if executor is None:
        yield None
        return
    from distributed import get_task_stream

    with get_task_stream(executor.client) as stream:
        yield stream


if __name__ == "__main__":
    main()
