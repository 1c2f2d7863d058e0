"""Archive benchmark: how fast ``oppforms archive verify`` checks packages, against its
peers on the same packages, in the same run.

    python benchmarks/archive_bench.py [--packages N] [--rounds R]

The twelve fictional sample pupils are filled into the shipped form and added to a new
archive (the time per ``add`` is reported too: reading, the PDF/A copy, the bag). Those
packages are then copied under new ids, each copy recorded in the ledger as ``add`` records
a package, up to N packages (each about 300 kB: the original, its PDF/A copy, record and
provenance). Then, on the same packages:

- ``oppforms verify`` (the library call the command makes), 1 and 2 worker processes:
  every payload byte against the SHA-256 and SHA-512 manifests, the tag manifests, the
  bag's structure and Payload-Oxum, the tag manifests against the ledger, the hash chain;
- bagit's own ``Bag.validate()`` per package, one process (the bag checks alone: no
  ledger), the peer;
- one SHA-256 and one SHA-512 pass over the payload files with hashlib: the floor (what
  reading and hashing the bytes costs, nothing checked).

Figures are packages per second, best of R rounds (the machine is shared); compare the
ratios measured in one run, not absolute figures across machines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "samples" / "opp-leerlingen.json"


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import logging

    import bagit

    from oppforms import fill_many
    from oppforms.archive import add, init_archive, verify
    from oppforms.archive.store import Store, new_package_id

    logging.getLogger("bagit").setLevel(logging.CRITICAL)
    records = json.loads(SAMPLES.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="oppforms-archive-bench-") as tmp:
        out, archive = Path(tmp) / "out", Path(tmp) / "archief"
        list(fill_many(records, out))
        init_archive(archive, organization="Benchmark College")
        start = time.perf_counter()
        results = list(add(archive, sorted(out.glob("*.pdf")), issued=out))
        add_s = (time.perf_counter() - start) / len(results)
        store = Store.open(archive)
        originals = [json.loads(line) for line in store.ledger_path.read_text().splitlines() if '"add"' in line]
        with store.locked():
            i = 0
            while len(list(store.packages.iterdir())) < args.packages:
                src = originals[i % len(originals)]
                pid = new_package_id()
                shutil.copytree(store.package_dir(src["package"]), store.package_dir(pid))
                store.append({k: v for k, v in src.items() if k not in {"seq", "at", "prev"}} | {"package": pid})
                i += 1
        dirs = sorted(store.packages.iterdir())
        n = len(dirs)
        size = sum(f.stat().st_size for d in dirs for f in d.rglob("*") if f.is_file())

        def ours(jobs: int) -> None:
            report = verify(archive, jobs=jobs)
            assert report.ok and report.packages == n, report.problems[:3]

        def bagit_validate() -> None:
            for d in dirs:
                bagit.Bag(str(d)).validate(processes=1)

        def hash_floor() -> None:
            for d in dirs:
                for f in sorted((d / "data").iterdir()):
                    data = f.read_bytes()
                    hashlib.sha256(data).hexdigest()
                    hashlib.sha512(data).hexdigest()

        rows = [
            ("oppforms verify, 1 process", n / best(lambda: ours(1), args.rounds)),
            ("oppforms verify, 2 processes", n / best(lambda: ours(2), args.rounds)),
            ("bagit Bag.validate(), 1 process (no ledger)", n / best(bagit_validate, args.rounds)),
            ("hashlib SHA-256 + SHA-512 of the payload (floor)", n / best(hash_floor, args.rounds)),
        ]
    print(f"{n} packages, {size / n / 1024:.0f} kB each on average; add: {add_s * 1000:.0f} ms per form")
    print("| check | packages per second | vs oppforms (1 process) |")
    print("| --- | ---: | ---: |")
    for name, rate in rows:
        print(f"| {name} | {rate:.0f} | {rate / rows[0][1]:.2f}x |")


if __name__ == "__main__":
    main()
