"""What the batch and the command add over the library, per form, in one process.

    python benchmarks/batch_overhead.py [--forms N] [--rounds R] [--where /dev/shm]

Each round, in this one process and over the same N records (the sample pupils cycled,
each with its own ``leerling.nummer``), in turn:

- library: ``coerce`` + ``Template.fill`` per record (as fill_bench.py's "oppforms" row);
- fill_many: :func:`oppforms.batch.fill_many` into a fresh folder under ``--where``;
- command: ``oppforms.cli.main(["fill", data.json, "-o", fresh folder, "-q"])`` in process,
  over all N records and over a tenth of them: its marginal cost per form (the
  difference over the extra records), as the command's cost beyond its start is meant.

Times are CPU time of the process (user + system); the figures are per form, the median
over the rounds of each round's difference (batch or command minus library) and ratio, and
of the kernel's part of the batch's and the command's time (system time: writing the files,
the registry, and the pages of memory the data takes; the library's is nil). The template
is loaded before the first round, so a fresh process's start is not in them.
Compare branches by running this script with each on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "opp-leerlingen.json"


def cpu_times() -> tuple[float, float]:
    """(user, system) CPU seconds of this process so far (microsecond resolution)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--forms", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--where", default="/dev/shm" if Path("/dev/shm").is_dir() else tempfile.gettempdir())
    ap.add_argument("--json", action="store_true", help="also print the medians as one JSON line (for fill_bench.py)")
    args = ap.parse_args()

    import oppforms
    from oppforms.batch import document_id, fill_many
    from oppforms.cli import main as cli_main
    from oppforms.fill import Template
    from oppforms.spec import current_spec
    from oppforms.values import coercer_for

    base = json.loads(SAMPLES.read_text(encoding="utf-8"))
    recs = []
    for i in range(args.forms):
        rec = dict(base[i % len(base)])
        rec["leerling.nummer"] = f"{900000 + i:06d}"
        recs.append(rec)
    spec = current_spec()
    template = Template.for_spec(spec)
    coerce = coercer_for(spec)
    secret = b"benchmark" * 4

    def library() -> None:
        for i, rec in enumerate(recs):
            values = coerce.coerce(rec, row=i + 1, source="bench")
            template.fill(values, doc_id=document_id(secret, str(i)))

    work = Path(tempfile.mkdtemp(prefix="batch-overhead-", dir=args.where))
    data = work / "data.json"
    data.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    few = max(1, args.forms // 10)  # the command's fixed cost is taken out by a run over fewer records
    small = work / "few.json"
    small.write_text(json.dumps(recs[:few], ensure_ascii=False), encoding="utf-8")
    n = 0

    def batch() -> None:
        nonlocal n
        n += 1
        out = work / f"batch-{n}"
        results = list(fill_many(recs, out))
        assert all(r.status == "ok" for r in results), [r.reason for r in results if r.status != "ok"][:3]

    def run_command(source: Path, count: int) -> tuple[float, float]:
        """(CPU, system) seconds of the command over ``source`` (``count`` records)."""
        nonlocal n
        n += 1
        out = work / f"cli-{n}"
        err = io.StringIO()
        u0, s0 = cpu_times()
        with contextlib.redirect_stderr(err):
            try:
                cli_main(["fill", str(source), "-o", str(out), "-q"])
            except SystemExit as exc:
                assert exc.code == 0, err.getvalue()
        u1, s1 = cpu_times()
        assert len(list(out.glob("*.pdf"))) == count
        return u1 - u0 + s1 - s0, s1 - s0

    def command_marginal() -> tuple[float, float]:
        """The command's marginal (CPU, system) ms per form: over all records less over a
        tenth of them (its fixed cost per run, from parsing the options to the final sync,
        cancels)."""
        (all_cpu, all_sys), (few_cpu, few_sys) = run_command(data, args.forms), run_command(small, few)
        per = 1000 / (args.forms - few)
        return (all_cpu - few_cpu) * per, (all_sys - few_sys) * per

    def cpu(fn) -> tuple[float, float]:
        """(CPU, system) ms per form of ``fn``."""
        u0, s0 = cpu_times()
        fn()
        u1, s1 = cpu_times()
        return (u1 - u0 + s1 - s0) / args.forms * 1000, (s1 - s0) / args.forms * 1000

    print(f"oppforms from {Path(oppforms.__file__).parent}; {args.forms} forms, {args.rounds} rounds, "
          f"files under {args.where}", flush=True)
    library()  # warm up
    rows = []
    kernel: list[tuple[float, float]] = []  # the system time of fill_many and of the command, ms/form
    try:
        for r in range(args.rounds):
            a1, _ = cpu(library)
            b, b_sys = cpu(batch)
            c, c_sys = command_marginal()
            a2, _ = cpu(library)
            a = (a1 + a2) / 2
            rows.append((a, b, c))
            kernel.append((b_sys, c_sys))
            print(f"round {r + 1}: library {a:.3f} ms/form, fill_many {b:.3f} (+{b - a:.3f}, {b / a:.2f}x; kernel "
                  f"{b_sys:.3f}), command {c:.3f} (+{c - a:.3f}, {c / a:.2f}x; kernel {c_sys:.3f})", flush=True)
            for p in work.glob("batch-*"):
                shutil.rmtree(p)
            for p in work.glob("cli-*"):
                shutil.rmtree(p)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    print(f"median: library {med(a for a, _, _ in rows):.3f} ms/form; "
          f"fill_many +{med(b - a for a, b, _ in rows):.3f} ms/form ({med(b / a for a, b, _ in rows):.2f}x); "
          f"command +{med(c - a for a, _, c in rows):.3f} ms/form ({med(c / a for a, _, c in rows):.2f}x); "
          f"of their time the kernel's: fill_many {med(k for k, _ in kernel):.3f} ms/form, command "
          f"{med(k for _, k in kernel):.3f}")
    if args.json:
        print(json.dumps({
            "library": med(a for a, _, _ in rows),
            "fill_many": med(b for _, b, _ in rows),
            "command": med(c for _, _, c in rows),
            "fill_many_ratio": med(b / a for a, b, _ in rows),
            "command_ratio": med(c / a for a, _, c in rows),
            "fill_many_kernel": med(k for k, _ in kernel),
            "command_kernel": med(k for _, k in kernel),
        }))


if __name__ == "__main__":
    sys.exit(main())
