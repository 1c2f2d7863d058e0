"""``oppforms extract`` and ``oppforms cluster``: reading returned forms back, on this
machine or on a Dask cluster; a thin click layer over :mod:`oppforms.extract`.

Part of the command line (:mod:`oppforms.cli` registers these commands); like it, the only
kind of module that prints or knows click.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .cli_text import NoBar, _, _n, status_line, status_text
from .i18n import N_


EPILOG_EXTRACT = """Examples:

\b
  oppforms extract terug/ -o opp-terug.xlsx
  oppforms extract terug/*.pdf --password geheim -o records.jsonl --report verslag.csv
  oppforms extract 004512.pdf -o 004512.xfdf
  oppforms extract terug/ -o xfdf/ --format xfdf      (one XFDF file per form)
  oppforms extract scans/ --issued out/ -o terug.xlsx --cluster tcp://scheduler:8786
"""


@click.command(epilog=EPILOG_EXTRACT)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output_text", type=click.Path(path_type=str),
              help="Where to write the records: .json, .jsonl, .csv, .xlsx, .xfdf or .fdf (by extension). "
                   "Default: JSON on stdout. A folder (ending in /) takes one .xfdf or .fdf file per form.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv", "xlsx", "xfdf", "fdf"]),
              help="The output format, whatever the extension; with a folder as OUTPUT (xfdf or fdf), "
                   "one file per record.")
@click.option("--password", "passwords", multiple=True, metavar="PASSWORD",
              help="Password for encrypted PDFs (give it more than once to try several).")
@click.option("--issued", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The output folder of an earlier `oppforms fill`: scanned pages are verified against what was issued.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=30.0, show_default=True, metavar="SECONDS",
              help="Time allowed per file (plus 2 s per page).")
@click.option("--memory", type=click.IntRange(64, 1 << 20), default=1024, show_default=True, metavar="MB",
              help="Memory allowed per file.")
@click.option("--delimiter", type=click.Choice([";", ",", "tab"]), default=";", show_default=True,
              help="CSV: the delimiter.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Per-file report, .csv or .jsonl: source, status, forms, reason, notes.")
@click.option("--cluster", "cluster", metavar="ADDRESS", envvar="OPPFORMS_CLUSTER",
              help="Read on a Dask cluster: its scheduler (tcp://HOST:8786), or local:N to start N worker "
                   "processes here. Default: $OPPFORMS_CLUSTER, else this machine's --jobs.")
@click.option("--ship", is_flag=True,
              help="With --cluster: send the files' bytes (scans page by page), for workers without shared storage.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-file lines for files that were read well.")
def extract(
    inputs: tuple[Path, ...],
    output_text: str | None,
    fmt: str | None,
    passwords: tuple[str, ...],
    issued: Path | None,
    jobs: int,
    timeout: float,
    memory: int,
    delimiter: str,
    report_file: Path | None,
    cluster: str | None,
    ship: bool,
    quiet: bool,
) -> None:
    """Read returned forms back: filled in any viewer, flattened, printed to PDF or signed.

    INPUT is a PDF, an image or a folder (searched recursively). Every file gets a status
    (ok, ok with warnings, needs review, not this form, encrypted, malformed, needs OCR)
    on stderr; the records go to OUTPUT. Exit code 0 when every file was read well, 1
    when some need attention (see the statuses), 3 when none could be read, 4 when none
    is this form.
    """
    import logging
    import textwrap

    from .errors import (
        BatchIncomplete,
        InputError,
        MissingDependencyError,
        NotThisFormError,
        UsageError,
    )
    from .exports import export_format, open_writer
    from .extract import Limits, extract_many, find_inputs
    from .records import FileStatus
    from .spec import current_spec

    # pdfminer (under pdfplumber) logs every oddity of a returned PDF; the status says enough
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    spec = current_spec()
    output = Path(output_text) if output_text else None
    # "-o xfdf/": a folder to create (a Path forgets the trailing slash)
    folder = True if output_text and output_text.endswith(("/", "\\")) else None
    items = find_inputs(inputs)
    if not items:
        raise InputError(N_("no PDF or image files found in {files}").format(files=", ".join(str(p) for p in inputs)))
    writer = None
    html_report: Path | None = None
    review_dir: Path | None = None
    if output is not None and output.suffix.lower() in (".html", ".htm"):
        # -o report.html: the review report alone (records inside it), crops beside it
        html_report, review_dir, output = output, output.with_name(output.stem + "-crops"), None
    elif output is not None:
        # the review report and its crops go beside the records
        html_report = output.with_name(output.stem + "-review.html")
        review_dir = output.with_name(output.stem + "-review")
    if output is not None:
        chosen = export_format(output, fmt)
        writer = open_writer(output, spec, fmt=chosen, delimiter="\t" if delimiter == "tab" else delimiter,
                             folder=folder)
    elif fmt not in (None, "json"):
        raise UsageError(N_("--format needs --output (without it, JSON goes to stdout)"))
    to_review = []
    executor = open_cluster(cluster, ship=ship, jobs=jobs, quiet=quiet)

    results = []
    counts: dict[str, int] = {}
    forms = 0
    show_bar = not quiet and sys.stderr.isatty()
    out = sys.stdout
    first = True
    later: list[str] = []
    first_file: dict[str, str] = {}  # document id → the file it was first read from
    twice: list[str] = []
    try:
        stdout_json = writer is None and html_report is None
        if stdout_json:
            out.write("[")
        with click.progressbar(length=len(items), label=_("reading"), file=sys.stderr, show_eta=True,
                               show_pos=True) if show_bar else NoBar() as bar:
            for result in extract_many(items, jobs=jobs, limits=Limits(seconds=timeout, memory_mb=memory),
                                       passwords=passwords, issued=issued, spec=spec, review_dir=review_dir,
                                       executor=executor):
                bar.update(1)
                results.append(_FileLine(result.source, str(result.status), len(result.records), result.reason,
                                         result.notes, result.dependency))
                counts[str(result.status)] = counts.get(str(result.status), 0) + 1
                for record in result.records:
                    forms += 1
                    if record.document:
                        earlier = first_file.setdefault(record.document, record.source)
                        if earlier != record.source:
                            twice.append("oppforms: " + _(
                                "{file}: the same document ({document}) as in {other}: both are in the output "
                                "(returned twice, or a print or merged copy among the returned files?)",
                                file=record.source, document=record.document, other=earlier))
                    if record.review:
                        to_review.append(record)
                    if html_report is not None and output is None:
                        continue
                    if writer is not None:
                        writer.write(record)
                    else:
                        text = json.dumps(record.to_json(), ensure_ascii=False, indent=2)
                        out.write(("\n" if first else ",\n") + textwrap.indent(text, "  "))
                        first = False
                if quiet and result.status is FileStatus.OK:
                    continue
                if show_bar:  # said after the bar, which owns the line meanwhile
                    if result.status is not FileStatus.OK:
                        later.append(status_line(result))
                else:
                    click.echo(status_line(result), err=True)
        for line in later + twice:
            click.echo(line, err=True)
        if stdout_json:
            out.write("\n]\n" if not first else "]\n")
            out.flush()
        elif writer is not None:
            writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if report_file is not None:
        _write_extract_report(results, report_file)
    if stdout_json and to_review:
        items_to_check = sum(len(r.review) for r in to_review)
        click.echo(_n("review: {n} item to check, in the records' \"review\"; with the records on stdout no review "
                      "page or crops are written (give -o FILE, or -o review.html for the page alone)",
                      "review: {n} items to check, in the records' \"review\"; with the records on stdout no review "
                      "page or crops are written (give -o FILE, or -o review.html for the page alone)",
                      items_to_check, n=items_to_check), err=True)
    if html_report is not None and (to_review or output is None):
        from .scan import write_review_html

        write_review_html(sorted(to_review, key=lambda r: -len(r.review)), html_report)
        items_to_check = sum(len(r.review) for r in to_review)
        click.echo(_n("review: {n} item to check in {file}", "review: {n} items to check in {file}", items_to_check,
                      file=html_report), err=True)
    summary = ", ".join(f"{n} {status_text(status)}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    files = _n("{n} file", "{n} files", len(results))
    read = _n("{n} form read", "{n} forms read", forms)
    if output is not None:
        click.echo(_("{files}, {read}: {summary}; wrote {file}", files=files, read=read, summary=summary, file=output),
                   err=True)
    else:
        click.echo(_("{files}, {read}: {summary}", files=files, read=read, summary=summary), err=True)

    statuses = {line.status for line in results}
    missing = [line.dependency for line in results if line.dependency]
    if missing:
        raise MissingDependencyError(missing[0])
    if statuses == {str(FileStatus.NOT_THIS_FORM)}:
        raise NotThisFormError(N_("none of the files is an OPP korte versie form"))
    unreadable = {str(FileStatus.MALFORMED), str(FileStatus.ENCRYPTED), str(FileStatus.NOT_THIS_FORM)}
    if forms == 0 and statuses <= unreadable:
        raise InputError(N_("none of the files could be read"))
    if statuses - {str(FileStatus.OK), str(FileStatus.WARNINGS)}:
        bad = sum(1 for line in results if line.status not in (str(FileStatus.OK), str(FileStatus.WARNINGS)))
        raise BatchIncomplete(N_("{n} file(s) need attention (see the status of each above)").format(n=bad))


def open_cluster(address: str | None, *, ship: bool, jobs: int, quiet: bool) -> Any:
    """The cluster to read on (closed when the command ends), after checking that its
    workers read as this machine does; None without ``--cluster``."""
    from .errors import UsageError

    if not address:
        if ship:
            raise UsageError("--ship needs --cluster (it sends the files to the cluster's workers)")
        return None
    if jobs != 1:
        raise UsageError("--jobs and --cluster: give one (on a cluster, its workers set the pace)")
    from .executor import check_workers, connect
    from .scan.pipeline import prepare_worker
    from .scan.versions import installed

    executor = connect(address, ship=ship, prepare=prepare_worker)
    click.get_current_context().call_on_close(executor.close)
    found = check_workers(executor, installed)
    if not quiet:
        click.echo(f"cluster {address}: {len(found)} worker(s), same versions as here"
                   f"{'; files shipped' if ship else ''}", err=True)
    return executor


EPILOG_CLUSTER = """Examples:

  oppforms cluster check --cluster tcp://scheduler.school.lan:8786

  OPPFORMS_CLUSTER=tcp://10.0.0.5:8786 oppforms cluster check
"""


@click.group(epilog=EPILOG_CLUSTER)
def cluster() -> None:
    """Reading on a Dask cluster (oppforms extract --cluster ADDRESS)."""


@cluster.command("check", epilog=EPILOG_CLUSTER)
@click.option("--cluster", "address", metavar="ADDRESS", envvar="OPPFORMS_CLUSTER", required=True,
              help="The Dask scheduler (tcp://HOST:8786), or local:N. Default: $OPPFORMS_CLUSTER.")
def cluster_check(address: str) -> None:
    """Compare every worker's oppforms, tesseract and model versions with this machine's.

    Prints what each worker has; exit code 0 when all match, 5 when any differs (the
    differences named), as `oppforms extract --cluster` refuses to start then.
    """
    from .errors import MissingDependencyError
    from .executor import connect, differences
    from .scan.versions import installed

    with connect(address) as executor:
        here = installed()
        found = executor.each_worker(installed)
    click.echo(f"this machine: {', '.join(f'{k} {v}' for k, v in here.items())}")
    for worker, theirs in sorted(found.items()):
        same = not differences(here, {worker: theirs})
        click.echo(f"{worker}: {'same' if same else 'DIFFERENT'}")
    lines = differences(here, found)
    if not found:
        raise MissingDependencyError(f"--cluster {address}: the cluster has no workers")
    if lines:
        raise MissingDependencyError("the workers differ from this machine:\n  " + "\n  ".join(lines))
    click.echo(f"{len(found)} worker(s), all the same as this machine", err=True)


class _FileLine:
    """One input file in the summary and the report (no pupil data)."""

    __slots__ = ("dependency", "forms", "notes", "reason", "source", "status")

    def __init__(self, source: str, status: str, forms: int, reason: str, notes: tuple[str, ...], dependency: str) -> None:
        self.source, self.status, self.forms, self.reason, self.notes, self.dependency = (
            source, status, forms, reason, notes, dependency,
        )


def _write_extract_report(lines: list[_FileLine], path: Path) -> None:
    import csv
    import io

    from ._io import atomic_write_bytes

    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        text = "".join(
            json.dumps({"source": x.source, "status": x.status, "forms": x.forms, "reason": x.reason,
                        "notes": list(x.notes)}, ensure_ascii=False) + "\n"
            for x in lines
        )
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["source", "status", "forms", "reason", "notes"])
        for x in lines:
            w.writerow([x.source, x.status, x.forms, x.reason, "; ".join(x.notes)])
        text = buf.getvalue()
    atomic_write_bytes(path, text.encode("utf-8"))
