"""The ``oppforms`` command line: a thin click layer over the library.

The only module that prints, exits or knows click. Errors from the library carry their
exit code (contract §5); one handler in :func:`main` turns them into a message on stderr
and that code. Anything else is a bug: exit 70 with the traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from ._version import __version__
from .errors import OppformsError
from .i18n import N_

EPILOG_BLANK = "Example: oppforms blank -o opp-leeg.pdf"
EPILOG_FIELDS = "Example: oppforms fields --json > velden.json"
EPILOG_SCHEMA = "Example: oppforms schema > opp-record.schema.json"
EPILOG_BUILD = "Example: oppforms build-form  (rewrites forms/opp-kort-v1.pdf from its spec)"
EPILOG_FILL = """Examples:

  oppforms fill samples/opp-leerlingen.xlsx -o out/

  oppforms fill leerlingen.csv -o out/ --name "{leerling.klas}/{leerling.nummer}" --jobs 2

  oppforms fill export.csv -o out/ --map kolommen.json --ignore-unknown --merged out/alles.pdf
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="oppforms")
def cli() -> None:
    """Fill, read back and archive the OPP korte versie (OntwikkelingsPerspectief).

    Data goes to files or stdout, messages to stderr.
    """


@cli.command(epilog=EPILOG_BLANK)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the empty fillable form (PDF).")
def blank(output: Path) -> None:
    """Write the empty fillable form."""
    from ._io import atomic_write_bytes
    from .spec import current_spec, shipped_pdf_path

    atomic_write_bytes(output, shipped_pdf_path(current_spec()).read_bytes())
    click.echo(_("wrote {file}", file=output), err=True)


@cli.command(epilog=EPILOG_FIELDS)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def fields(as_json: bool) -> None:
    """List every field: name, kind, label, page (1-based) and rectangle.

    Rectangles are [x0, y0, x1, y1] in PDF points with the origin at the bottom-left of
    the page; a field shown twice lists all its places under "widgets".
    """
    from .records import describe_fields
    from .spec import current_spec

    rows = describe_fields(current_spec())
    if as_json:
        _print_json(rows)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        kind = r["kind"] + (" (multiline)" if r["multiline"] else "")
        rect = "[" + ", ".join(f"{v:g}" for v in r["rect"]) + "]"
        click.echo(f"{r['name']:<{width}}  {kind:<17} p.{r['page']}  {rect:<28} {r['label']}")


@cli.command(epilog=EPILOG_SCHEMA)
def schema() -> None:
    """Print the JSON Schema (draft 2020-12) of a record."""
    from .records import record_schema
    from .spec import current_spec

    _print_json(record_schema(current_spec()))


@cli.command("build-form", epilog=EPILOG_BUILD)
@click.option("--spec", "spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A form spec (TOML); default: the shipped current spec.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF; default: beside the spec (forms/).")
def build_form(spec_file: Path | None, output: Path | None) -> None:
    """Build the fillable PDF from a form spec (for maintainers: regenerates forms/)."""
    from .build import write_form
    from .spec import load_spec, spec_path

    path = spec_file or spec_path()
    spec = load_spec(path)
    target = output or path.with_suffix(".pdf")
    write_form(spec, target)
    click.echo(f"wrote {target} ({len(spec.fields)} fields, {spec.page_count} pages)", err=True)


@cli.command(epilog=EPILOG_FILL)
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the filled forms (created when missing).")
@click.option("--name", "name", metavar="PATTERN",
              help='File names from fields, e.g. "{leerling.klas}/{leerling.nummer}" ("/" makes folders; '
                   "{row} is the row number). Default: {leerling.nummer}.")
@click.option("--flatten", is_flag=True, help="Burn the values into the pages: read-only copies without form fields.")
@click.option("--merged", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one PDF of all forms for printing (flattened; each form starts on an odd page).")
@click.option("--password-column", metavar="COLUMN",
              help="Encrypt each PDF with AES-256, with the password in this column of the data.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes.")
@click.option("--sheet", help="XLSX: the sheet to read (default: the first).")
@click.option("--delimiter", help="CSV: the delimiter (default: sniffed from the header; 'tab' for tabs).")
@click.option("--encoding", help="CSV/JSON: the text encoding (default: detected).")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Column mapping: JSON object or two-column CSV of column header -> field name.")
@click.option("--ignore-unknown", is_flag=True, help="Skip columns that match no field instead of refusing the file.")
@click.option("--on-duplicate", type=click.Choice(["error", "first", "last", "all"]), default="error",
              show_default=True,
              help="Rows with the same leerling.nummer: fill none (error), only the first, only the last, or all.")
@click.option("--overwrite", is_flag=True, help="Replace files left by an earlier run whose data differ.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Per-row report, .csv or .jsonl (default: OUTPUT/oppforms-report.csv).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no notices; only errors and the summary.")
def fill(
    data: tuple[Path, ...],
    out_dir: Path,
    name: str | None,
    flatten: bool,
    merged: Path | None,
    password_column: str | None,
    jobs: int,
    sheet: str | None,
    delimiter: str | None,
    encoding: str | None,
    map_file: Path | None,
    ignore_unknown: bool,
    on_duplicate: str,
    overwrite: bool,
    report_file: Path | None,
    quiet: bool,
) -> None:
    """Fill one PDF per record from CSV, XLSX, JSON or JSON Lines files.

    Headers are field names or Dutch labels (case, accents and spaces do not matter);
    Roepnaam/Tussenvoegsel/Achternaam make the pupil's name. A bad row is reported and
    the rest is filled; running the same command again continues where it stopped.
    Exit code 1 when any row failed (see the report).
    """
    import shutil

    from .batch import fill_many, merge_for_print, print_copy_path, write_report
    from .intake import ReadOptions, duplicate_verdicts, open_sources, records_from
    from .errors import BatchIncomplete
    from .sources import load_mapping
    from .spec import current_spec

    spec = current_spec()
    mapping = load_mapping(map_file, spec) if map_file else None
    options = ReadOptions(delimiter, sheet, encoding, mapping, ignore_unknown, password_column)
    readers = open_sources(data, spec, options)
    if not quiet:
        for reader in readers:
            for notice in reader.notices:
                click.echo(f"oppforms: {_translated(notice)}", err=True)
    total, verdicts = duplicate_verdicts(readers, spec, on_duplicate)  # type: ignore[arg-type]
    records = records_from(readers, verdicts, password_column=password_column)
    results = []
    show_bar = not quiet and sys.stderr.isatty()
    with click.progressbar(length=total, label=_("filling"), file=sys.stderr, show_eta=True,
                           show_pos=True) if show_bar else _NoBar() as bar:
        for result in fill_many(
            records,
            out_dir,
            spec=spec,
            name=name,
            flatten=flatten,
            overwrite=overwrite,
            jobs=jobs,
            identity_by_row=on_duplicate == "all",
            print_copies=merged is not None,
        ):
            results.append(result)
            bar.update(1)
            if result.status == "failed" and not show_bar:
                click.echo(
                    "oppforms: " + _("{file} row {row}: {reason}", file=Path(result.source).name, row=result.row,
                                     reason=_translated(result.reason)),
                    err=True,
                )
    report = report_file or out_dir / "oppforms-report.csv"
    write_report(results, report)
    ok = sum(r.status == "ok" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    failed = [r for r in results if r.status == "failed"]
    continued = sum(bool(r.continued) for r in results)
    if merged is not None:
        done = [r for r in results if r.status != "failed"]
        pages = merge_for_print((print_copy_path(out_dir, r.document) for r in done), merged)
        shutil.rmtree(out_dir / ".oppforms" / "print", ignore_errors=True)
        click.echo(_n("wrote {file} ({n} form, {pages} pages, for printing)",
                      "wrote {file} ({n} forms, {pages} pages, for printing)", len(done), file=merged, pages=pages),
                   err=True)
        if password_column:
            click.echo("oppforms: " + _("note: the merged print file is not encrypted"), err=True)
    counts = [_("{n} filled", n=ok), _("{n} already done", n=skipped), _("{n} failed", n=len(failed))]
    if continued:
        counts.append(_("{n} with continuation pages", n=continued))
    smart = sum(bool(r.warnings) for r in results)
    if smart and not quiet:
        click.echo("oppforms: " + _n("{n} row with SMART warnings (a goal without a measure or time frame); see the "
                                     "report's warnings", "{n} rows with SMART warnings (goals without a measure or "
                                     "time frame); see the report's warnings", smart, n=smart), err=True)
    rows = _n("{n} row", "{n} rows", len(results))
    click.echo(_("{rows}: {counts}; report: {report}", rows=rows, counts=", ".join(counts), report=report), err=True)
    if failed:
        raise BatchIncomplete(N_("{n} row(s) not filled; see {report}").format(n=len(failed), report=report))


EPILOG_EXTRACT = """Examples:

\b
  oppforms extract terug/ -o opp-terug.xlsx
  oppforms extract terug/*.pdf --password geheim -o records.jsonl --report verslag.csv
  oppforms extract 004512.pdf -o 004512.xfdf
  oppforms extract terug/ -o xfdf/ --format xfdf      (one XFDF file per form)
  oppforms extract scans/ --issued out/ -o terug.xlsx --cluster tcp://scheduler:8786
"""


@cli.command(epilog=EPILOG_EXTRACT)
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
    executor = _open_cluster(cluster, ship=ship, jobs=jobs, quiet=quiet)

    results = []
    counts: dict[str, int] = {}
    forms = 0
    show_bar = not quiet and sys.stderr.isatty()
    out = sys.stdout
    first = True
    later: list[str] = []
    try:
        stdout_json = writer is None and html_report is None
        if stdout_json:
            out.write("[")
        with click.progressbar(length=len(items), label=_("reading"), file=sys.stderr, show_eta=True,
                               show_pos=True) if show_bar else _NoBar() as bar:
            for result in extract_many(items, jobs=jobs, limits=Limits(seconds=timeout, memory_mb=memory),
                                       passwords=passwords, issued=issued, spec=spec, review_dir=review_dir,
                                       executor=executor):
                bar.update(1)
                results.append(_FileLine(result.source, str(result.status), len(result.records), result.reason,
                                         result.notes, result.dependency))
                counts[str(result.status)] = counts.get(str(result.status), 0) + 1
                for record in result.records:
                    forms += 1
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
                        later.append(_status_line(result))
                else:
                    click.echo(_status_line(result), err=True)
        for line in later:
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
    if html_report is not None and (to_review or output is None):
        from .scan import write_review_html

        write_review_html(sorted(to_review, key=lambda r: -len(r.review)), html_report)
        items_to_check = sum(len(r.review) for r in to_review)
        click.echo(_n("review: {n} item to check in {file}", "review: {n} items to check in {file}", items_to_check,
                      file=html_report), err=True)
    summary = ", ".join(f"{n} {_status(status)}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
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


def _open_cluster(address: str | None, *, ship: bool, jobs: int, quiet: bool) -> Any:
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
    from .scan.versions import installed

    executor = connect(address, ship=ship)
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


@cli.group(epilog=EPILOG_CLUSTER)
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


EPILOG_SIGNATURES = """Examples:

\b
  oppforms signatures opp-terug.jsonl -o ontbrekend.xlsx
  oppforms signatures terug/ --issued out/ -o ontbrekend.xlsx
"""


@cli.command(epilog=EPILOG_SIGNATURES)
@click.argument("records", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the list (.xlsx).")
@click.option("--issued", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="For returned scans: the output folder of the `oppforms fill` that issued them.")
@click.option("--incomplete", is_flag=True, help="Only pupils with a box that is not 'getekend'.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
def signatures(records: tuple[Path, ...], output: Path, issued: Path | None, incomplete: bool, jobs: int) -> None:
    """Per pupil, which signature boxes are getekend, ontbreekt or controleren.

    RECORDS are `oppforms extract` output (.json, .jsonl) or returned forms (PDFs,
    scans, folders). One row per pupil (leerlingnummer, naam, klas), a column per box
    (start, tussenevaluatie, eindevaluatie for leerling, opvoeders, zorgcoördinator).
    """
    import logging

    from .errors import UsageError
    from .signatures import load_records, signature_overview, write_signatures_xlsx
    from .spec import current_spec

    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: the list is written as .xlsx")
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    spec = current_spec()
    rows = signature_overview(load_records(list(records), spec, issued=issued, jobs=jobs), spec)
    if incomplete:
        rows = [r for r in rows if not r.complete]
    write_signatures_xlsx(rows, output, spec)
    complete = sum(r.complete for r in rows)
    click.echo(f"{len(rows)} pupil(s), {complete} with every box signed; wrote {output}", err=True)


EPILOG_SERVE = """Examples:

\b
  oppforms serve
  oppforms serve --port 8800 --workspace ~/opp-2026 --no-browser
"""


@cli.command(epilog=EPILOG_SERVE)
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="The port on 127.0.0.1 (default 8765, or a free one when that is taken).")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder that keeps everything between runs (default: oppforms/werkruimte in your data folder).")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
def serve(port: int | None, workspace: Path | None, no_browser: bool) -> None:
    """The web app (Dutch), on this computer only (127.0.0.1).

    The first line on stdout is the address with this run's secret token; open it in the
    browser (it opens by itself unless --no-browser). Ctrl-C stops the server.
    Needs the web extra: pip install "oppforms[web]".
    """
    import os

    from .web import serve as run
    from .workspace import default_workspace

    folder = workspace or default_workspace()

    def ready(url: str) -> None:
        click.echo(url)
        sys.stdout.flush()
        click.echo(f"oppforms: workspace {folder}; stop with Ctrl-C", err=True)

    try:
        stopped = run(folder, port=port, open_browser=not no_browser, on_ready=ready)
    except KeyboardInterrupt:
        stopped = True
    if not stopped:  # a job still in a file: end now (its writes are atomic)
        click.echo("oppforms: stopped (a running job was interrupted; run it again to go on)", err=True)
        sys.stdout.flush()
        os._exit(130)
    click.echo("oppforms: stopped", err=True)
    sys.exit(130)


class _FileLine:
    """One input file in the summary and the report (no pupil data)."""

    __slots__ = ("dependency", "forms", "notes", "reason", "source", "status")

    def __init__(self, source: str, status: str, forms: int, reason: str, notes: tuple[str, ...], dependency: str) -> None:
        self.source, self.status, self.forms, self.reason, self.notes, self.dependency = (
            source, status, forms, reason, notes, dependency,
        )


def _status_line(result: Any) -> str:
    """One file's status on stderr: never values, only counts, reasons and notes."""
    parts = [f"{_status(result.status):<{_status_width()}} {result.source}"]
    details = []
    if result.reason:
        details.append(_translated(result.reason))
    review = sum(len(r.review) for r in result.records)
    warnings = sum(len(r.warnings) for r in result.records) - result.notices
    if len(result.records) > 1:
        details.append(_("{n} forms", n=len(result.records)))
    if review:
        details.append(_("{n} to review", n=review))
    if warnings:
        details.append(_n("{n} warning", "{n} warnings", warnings))
    details.extend(_translated(note) for note in result.notes)
    if details:
        parts.append(": " + "; ".join(details))
    return "".join(parts)


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


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


# ---------------------------------------------------------------------------------------
# The archive (oppforms archive …): a thin layer over oppforms.archive

EPILOG_ARCHIVE = """Examples:

  oppforms archive init archief/ --organization "Het Voorbeeld College"

  oppforms archive add archief/ terug/ --issued out/

  oppforms archive verify archief/

  oppforms archive left archief/ --from uitschrijvingen.xlsx

  oppforms archive purge archief/            (a dry run: says what it would delete)
"""


@cli.group(epilog=EPILOG_ARCHIVE)
def archive() -> None:
    """Archive returned forms: one verifiable package per document, kept for the
    retention term and then deleted.

    A package is a BagIt bag with the original, a PDF/A-2b copy, the record and its
    provenance; a hash-chained ledger records every add, retention change and purge.
    """
    import logging

    # bagit logs every file it hashes and every mismatch; verify reports what matters
    logging.getLogger("bagit").setLevel(logging.CRITICAL)


_ARCHIVE_DIR = click.Path(file_okay=False, path_type=Path)


@archive.command("init", epilog="Example: oppforms archive init archief/ --organization \"Het Voorbeeld College\"")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--organization", required=True, help="The school (Source-Organization of every package).")
@click.option("--retention-years", type=click.IntRange(1, 100), default=2, show_default=True,
              help="Years a package is kept after the pupil left school.")
def archive_init(archive_dir: Path, organization: str, retention_years: int) -> None:
    """Make a new archive in a new or empty folder."""
    from .archive import init_archive

    s = init_archive(archive_dir, organization=organization, retention_years=retention_years)
    click.echo(f"archive made in {archive_dir}: packages kept {s.retention_years} years after the pupil left", err=True)


@archive.command("add", epilog="Example: oppforms archive add archief/ terug/ scans.pdf --issued out/")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--issued", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The output folder of the 'oppforms fill' run that issued the forms (verifies scans).")
@click.option("--password", "passwords", multiple=True, metavar="PASSWORD", help="Password of encrypted forms (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes for reading.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per form on stdout.")
def archive_add(archive_dir: Path, inputs: tuple[Path, ...], issued: Path | None, passwords: tuple[str, ...],
                jobs: int, as_json: bool) -> None:
    """Read returned forms as 'extract' does and archive each one: one package per document.

    The same document again is recognised (duplicate); a changed one is a new version.
    Exit code 1 when some form could not be archived.
    """
    import logging

    from .archive import add
    from .errors import BatchIncomplete

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    counts: dict[str, int] = {}
    for r in add(archive_dir, inputs, issued=issued, passwords=passwords, jobs=jobs):
        counts[r.status] = counts.get(r.status, 0) + 1
        if as_json:
            click.echo(json.dumps({"source": r.source, "status": r.status, "package": r.package,
                                   "document": r.document, "previous": r.previous, "reason": r.reason}, ensure_ascii=False))
        line = f"{r.status:<11} {Path(r.source).name}"
        if r.package:
            line += f"  package {r.package}"
        if r.previous:
            line += f" (follows {r.previous})"
        if r.reason and r.status != "duplicate":
            line += f": {r.reason}"
        click.echo(line, err=True)
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing archived", err=True)
    if counts.get("failed"):
        raise BatchIncomplete(f"{counts['failed']} form(s) or file(s) could not be archived")


@archive.command("verify", epilog="Example: oppforms archive verify archief/")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def archive_verify(archive_dir: Path, jobs: int, as_json: bool) -> None:
    """Check every package fully and the ledger's hash chain.

    Exit code 0 when all is intact; 1 naming each package that is not, and what is wrong.
    """
    from .archive import verify
    from .errors import BatchIncomplete

    rep = verify(archive_dir, jobs=jobs)
    if as_json:
        _print_json({"ok": rep.ok, "packages": rep.packages, "intact": rep.intact, "purged": rep.purged,
                     "problems": [{"package": p.package, "problem": p.what} for p in rep.problems],
                     "ledger_head": rep.ledger_head, "seconds": round(rep.seconds, 3)})
    for pid in rep.recovered:
        click.echo(f"package {pid}: an interrupted add was finished", err=True)
    for p in rep.problems:
        click.echo(f"{'ledger' if p.package == 'ledger' else 'package ' + p.package}: {p.what}", err=True)
    rate = rep.packages / rep.seconds if rep.seconds > 0 else 0.0
    click.echo(f"{rep.packages} package(s) checked in {rep.seconds:.2f} s ({rate:.0f}/s), {rep.intact} intact, "
               f"{rep.purged} purged; ledger head {rep.ledger_head}", err=True)
    if not rep.ok:
        raise BatchIncomplete(f"{len(rep.bad_packages)} package(s) or the ledger are not intact")


@archive.command("index", epilog="Example: oppforms archive index archief/ -o archief-index.xlsx")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The index: .xlsx or .csv.")
def archive_index(archive_dir: Path, output: Path) -> None:
    """Write one row per package (no health data): leerlingnummer, klas, schooljaar,
    document, version, archived, signatures, left, due, hold."""
    from .archive import write_index

    n = write_index(archive_dir, output)
    click.echo(f"wrote {output}: {n} package(s)", err=True)


def _no_packages() -> None:
    from .errors import BatchIncomplete

    raise BatchIncomplete("no package of this pupil in the archive (check the leerlingnummer)")


@archive.command("left", epilog="""Examples:

  oppforms archive left archief/ --pupil 004512 --date 2027-07-15

  oppforms archive left archief/ --from uitschrijvingen.csv
""")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--pupil", metavar="NUMMER", help="The leerlingnummer.")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="The day the pupil left school.")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An administration export (CSV or XLSX) with leerlingnummer/stamnummer and uitschrijfdatum.")
@click.option("--sheet", help="XLSX: the sheet to read (default: the first).")
@click.option("--delimiter", help="CSV: the delimiter (default: sniffed).")
def archive_left(archive_dir: Path, pupil: str | None, date: str | None, from_file: Path | None,
                 sheet: str | None, delimiter: str | None) -> None:
    """Record when pupils left school, which sets when their packages are due."""
    from .archive import left_from_file, set_left
    from .errors import BatchIncomplete, UsageError

    if from_file is not None:
        if pupil or date:
            raise UsageError("give --from, or --pupil with --date, not both")
        res = left_from_file(archive_dir, from_file, sheet=sheet, delimiter=delimiter)
        for problem in res.problems:
            click.echo(problem, err=True)
        click.echo(f"{res.rows} row(s) read: {res.pupils} pupil(s) with {len(res.packages)} package(s) updated, "
                   f"{res.not_archived} pupil(s) without a package", err=True)
        if res.problems:
            raise BatchIncomplete(f"{len(res.problems)} row(s) could not be used")
        return
    if not pupil or not date:
        raise UsageError("give --pupil and --date, or --from FILE")
    change = set_left(archive_dir, pupil, date)
    if not change.packages:
        _no_packages()
    click.echo(f"{len(change.packages)} package(s) updated", err=True)


@archive.command("hold", epilog='Example: oppforms archive hold archief/ --pupil 004512 --reason "bezwaarprocedure"')
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--pupil", metavar="NUMMER", required=True, help="The leerlingnummer.")
@click.option("--reason", required=True, help="Why (kept with the hold, not in the ledger).")
def archive_hold(archive_dir: Path, pupil: str, reason: str) -> None:
    """Put a legal hold on a pupil's packages: none is purged until released."""
    from .archive import hold

    change = hold(archive_dir, pupil, reason)
    if not change.packages:
        _no_packages()
    click.echo(f"{len(change.packages)} package(s) held", err=True)


@archive.command("release", epilog="Example: oppforms archive release archief/ --pupil 004512")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--pupil", metavar="NUMMER", required=True, help="The leerlingnummer.")
def archive_release(archive_dir: Path, pupil: str) -> None:
    """Lift the legal hold on a pupil's packages."""
    from .archive import release

    change = release(archive_dir, pupil)
    click.echo(f"{len(change.packages)} package(s) released", err=True)


def _due_json(items: Any) -> list[dict[str, Any]]:
    return [{"package": i.package, "document": i.document, "leerlingnummer": i.leerlingnummer, "klas": i.klas,
             "left": i.left, "due": i.due, "held": i.held} for i in items]


def _due_lines(title: str, items: Any) -> None:
    for i in items:
        click.echo(f"{title}\t{i.package}\t{i.document}\t{i.leerlingnummer}\t{i.klas}\tleft {i.left}\tdue {i.due}")


@archive.command("due", epilog="Example: oppforms archive due archief/ --on 2029-08-01 --json")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--on", "on", metavar="YYYY-MM-DD", help="The day to look at (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def archive_due(archive_dir: Path, on: str | None, as_json: bool) -> None:
    """List the packages due for deletion (and those due but held)."""
    from .archive import due

    listing = due(archive_dir, on=on)
    if as_json:
        _print_json({"on": listing.on, "due": _due_json(listing.due), "held": _due_json(listing.held)})
        return
    _due_lines("due", listing.due)
    _due_lines("held", listing.held)
    click.echo(f"on {listing.on}: {len(listing.due)} package(s) due, {len(listing.held)} due but held", err=True)


@archive.command("purge", epilog="""Examples:

  oppforms archive purge archief/                      (dry run)

  oppforms archive purge archief/ --execute --issued out/
""")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--on", "on", metavar="YYYY-MM-DD", help="The day to purge as of (default: today).")
@click.option("--execute", is_flag=True, help="Really delete (without it: a dry run that changes nothing).")
@click.option("--issued", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A fill output folder: redact its registry entries of purged documents and remove their PDFs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def archive_purge(archive_dir: Path, on: str | None, execute: bool, issued: Path | None, as_json: bool) -> None:
    """Delete the packages that are due and not held (a dry run unless --execute)."""
    from .archive import purge
    from .errors import UsageError

    if issued is not None and not execute:
        raise UsageError("--issued redacts files: use it with --execute")
    res = purge(archive_dir, on=on, execute=execute, issued=issued)
    if as_json:
        _print_json({"on": res.on, "executed": res.executed, "purged": _due_json(res.purged),
                     "held": _due_json(res.held), "redacted": res.redacted, "issued_files": res.issued_files})
    else:
        _due_lines("purged" if res.executed else "would purge", res.purged)
        _due_lines("held", res.held)
    if res.executed:
        click.echo(f"on {res.on}: {len(res.purged)} package(s) purged, {len(res.held)} held"
                   + (f"; {res.redacted} registry entr(y/ies) redacted, {res.issued_files} issued file(s) removed"
                      if issued else ""), err=True)
    else:
        click.echo(f"dry run on {res.on}: {len(res.purged)} package(s) would be purged, {len(res.held)} held; "
                   "nothing was changed (add --execute to delete)", err=True)


@archive.command("history", epilog="Example: oppforms archive history archief/ --pupil 004512 --json")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--pupil", metavar="NUMMER", required=True, help="The leerlingnummer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def archive_history(archive_dir: Path, pupil: str, as_json: bool) -> None:
    """List a pupil's packages oldest first: signatures, changed fields, and whether the
    parents must agree again (the handelingsdeel changed since they last signed)."""
    from .archive import history, history_json

    versions = history(archive_dir, pupil)
    if as_json:
        _print_json(history_json(versions))
        return
    if not versions:
        _no_packages()
    for v in versions:
        click.echo(f"{v.archived}  {v.package}  document {v.document or '-'}  schooljaar {v.schooljaar or '-'}")
        click.echo(f"    signed: {', '.join(v.signed) or 'none'}")
        click.echo(f"    changed: {', '.join(v.changed) or 'nothing'}")
        if v.consent_needed:
            click.echo("    consent needed: the parents have not signed this handelingsdeel (doelen, acties)")


def _(message: str, /, **values: object) -> str:
    """``message`` (an English template) in the locale's language, formatted with ``values``."""
    from .i18n import cli_language, format_message

    return format_message(message, cli_language(), **values)


def _n(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural ``message`` for ``n`` in the locale's language."""
    from .i18n import cli_language, nformat

    return nformat(singular, plural, n, cli_language(), **values)


def _translated(text: str) -> str:
    """A text the library wrote (a reason, a note, an error) in the locale's language."""
    from .i18n import cli_language, translate

    return translate(text, cli_language())


def _status(status: object) -> str:
    from .i18n import cli_language, status_label

    return status_label(str(status), cli_language())


def _status_width() -> int:
    from .i18n import cli_language, status_label
    from .records import FileStatus

    return max(17, *(len(status_label(s, cli_language())) for s in FileStatus))


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script and ``python -m oppforms``."""
    try:
        code = cli.main(args=argv, prog_name="oppforms", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("oppforms: " + _("interrupted"), err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("oppforms: " + _("interrupted"), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OppformsError as exc:
        click.echo("oppforms: " + _("error: {message}", message=_translated(str(exc))), err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception:  # a bug: say so, with the traceback, and exit 70
        traceback.print_exc()
        click.echo("oppforms: " + _("internal error (a bug); please report it with the traceback above"), err=True)
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
