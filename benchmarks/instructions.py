"""Instructions per form: the library, the batch and the command, counted, not timed.

    python benchmarks/instructions.py [--small 20] [--large 60]

Each of the three is run in a fresh process under valgrind's cachegrind (instruction
counting only, ``--cache-sim=no``) over the sample pupils cycled, once over ``--small``
records and once over ``--large``; the difference divided by the extra records is what one
more form costs, with the start (imports, the template's load, a warm-up on the twelve
samples) cancelled:

- library: ``coerce`` + ``Template.fill`` per record (as fill_bench.py's "oppforms" row);
- fill_many: :func:`oppforms.batch.fill_many` into a fresh folder on tmpfs;
- command: ``oppforms fill data.json -o folder -q`` in the process.

The counts are deterministic (``PYTHONHASHSEED=0``; within about 0.5 % run to run), so they
show what a shared machine's drift hides, but they are user-space instructions only: the
kernel's share (writing the files) is not in them, and an instruction is not a fixed time
(the SHA-256 runs in software under valgrind). Needs ``valgrind`` (Debian: apt-get install
valgrind); takes a few minutes. Compare branches with ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "opp-leerlingen.json"
MODES = ("library", "fill_many", "command")


def work(mode: str, n: int) -> None:
    """The measured process: start, warm up, then ``n`` forms the ``mode``'s way."""
    from oppforms.batch import document_id, fill_many
    from oppforms.cli import main as cli_main
    from oppforms.fill import Template
    from oppforms.spec import current_spec
    from oppforms.values import coercer_for

    base = json.loads(SAMPLES.read_text(encoding="utf-8"))
    recs = [dict(base[i % len(base)], **{"leerling.nummer": f"{900000 + i:06d}"}) for i in range(n)]
    spec = current_spec()
    template = Template.for_spec(spec)
    coerce = coercer_for(spec)
    where = "/dev/shm" if Path("/dev/shm").is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix="instructions-", dir=where))
    data = folder / "data.json"
    data.write_text(json.dumps(recs, ensure_ascii=False), encoding="utf-8")
    for i, rec in enumerate(base):  # the same code paths warmed up, on other records
        template.fill(coerce.coerce(rec, row=i + 1, source="warm-up"), doc_id=document_id(b"w" * 32, str(i)))
    try:
        if mode == "library":
            for i, rec in enumerate(recs):
                template.fill(coerce.coerce(rec, row=i + 1, source="bench"), doc_id=document_id(b"b" * 32, str(i)))
        elif mode == "fill_many":
            results = list(fill_many(recs, folder / "out"))
            assert all(r.status == "ok" for r in results)
        else:
            with contextlib.redirect_stderr(io.StringIO()):
                try:
                    cli_main(["fill", str(data), "-o", str(folder / "out"), "-q"])
                except SystemExit as exc:
                    assert exc.code == 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def count(mode: str, n: int) -> int:
    """Instructions of a fresh process doing ``n`` forms the ``mode``'s way."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, __file__, "--work", mode, str(n)],
        env=env, capture_output=True, text=True, check=True,
    ).stderr
    found = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=20)
    ap.add_argument("--large", type=int, default=60)
    ap.add_argument("--work", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.work:
        work(args.work[0], int(args.work[1]))
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind): nothing counted")
        return
    import oppforms

    print(f"oppforms from {Path(oppforms.__file__).parent}; instructions per form, {args.large} forms less "
          f"{args.small}, each in a fresh process under valgrind")
    per_form = {}
    for mode in MODES:
        per_form[mode] = (count(mode, args.large) - count(mode, args.small)) / (args.large - args.small)
        print(f"  {mode:10s} {per_form[mode] / 1e6:6.2f} M  ({per_form[mode] / per_form['library']:.3f}x the library)",
              flush=True)


if __name__ == "__main__":
    main()
