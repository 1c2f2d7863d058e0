"""The ``oppforms`` command line: a thin click layer over the library.

With :mod:`oppforms.cli_archive` (the archive group), the only module that prints, exits or
knows click. Errors from the library carry their
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
from .cli_archive import archive as archive_commands
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


# the archive's commands (oppforms/cli_archive.py): one group, kept in a module of its own
cli.add_command(archive_commands)


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

