"""The ``oppforms`` command line: a thin click layer over the library.

With :mod:`oppforms.cli_extract` (``extract`` and the ``cluster`` group),
:mod:`oppforms.cli_archive` (the ``archive`` group) and :mod:`oppforms.cli_text` (what they
share), the only modules that print, exit or know click. Errors from the library carry their
exit code (contract §5); one handler in :func:`main` turns them into a message on stderr
and that code. Anything else is a bug: exit 70 with the traceback.
"""

from __future__ import annotations

import re
import sys
import traceback
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ._version import __version__
from .cli_archive import archive as archive_commands
from .cli_extract import cluster as cluster_commands
from .cli_extract import extract as extract_command
from .cli_text import NoBar, _, _n, print_json, status_line, translated
from .errors import OppformsError
from .i18n import N_

if TYPE_CHECKING:
    from .extract import FileResult

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
cli.add_command(extract_command)
cli.add_command(cluster_commands)


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
        print_json(rows)
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

    print_json(record_schema(current_spec()))


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
    import time

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
                click.echo(f"oppforms: {translated(notice)}", err=True)
    total, verdicts = duplicate_verdicts(readers, spec, on_duplicate)  # type: ignore[arg-type]
    records = records_from(readers, verdicts, password_column=password_column)
    results = []
    show_bar = not quiet and sys.stderr.isatty()
    report = report_file or out_dir / "oppforms-report.csv"
    filling: Iterator[Any] = iter(())
    try:
        with click.progressbar(length=total, label=_("filling"), file=sys.stderr, show_eta=True,
                               show_pos=True) if show_bar else NoBar() as bar:
            # the bar is drawn at most ten times a second (drawing it took about 40 µs a form)
            pending, next_draw = 0, 0.0
            filling = fill_many(
                records,
                out_dir,
                spec=spec,
                name=name,
                flatten=flatten,
                overwrite=overwrite,
                jobs=jobs,
                identity_by_row=on_duplicate == "all",
                print_copies=merged is not None,
            )
            for result in filling:
                results.append(result)
                pending += 1
                if show_bar and (now := time.monotonic()) >= next_draw:
                    bar.update(pending)
                    pending, next_draw = 0, now + 0.1
                if result.status == "failed" and not show_bar:
                    # a row's own error names its file and row already ("a.csv, row 4, …"): not twice
                    reason = re.sub(rf"^{re.escape(result.source)}, \S+ {result.row}(?:, |: )", "", translated(result.reason),
                                    count=1)
                    click.echo(
                        "oppforms: " + _("{file} row {row}: {reason}", file=Path(result.source).name, row=result.row,
                                         reason=reason),
                        err=True,
                    )
            if pending:
                bar.update(pending)
    except KeyboardInterrupt:  # what was done is in the registry; the report says it too
        results.extend(_finished(filling))
        write_report(results, report)
        click.echo("oppforms: " + _("interrupted after {n} row(s); they are in the report: {report}", n=len(results),
                                    report=report), err=True)
        raise
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
    keyless = [r.row for r in results if r.keyless]
    if keyless and not quiet:
        click.echo("oppforms: " + _n(
            "{n} row without {field} (row {rows}): its form is named by its row, and returned forms, the list of "
            "signatures and the archive cannot find the pupil by number",
            "{n} rows without {field} (rows {rows}): their forms are named by their rows, and returned forms, the "
            "list of signatures and the archive cannot find these pupils by number",
            len(keyless), n=len(keyless), field=spec.records.key,
            rows=", ".join(map(str, keyless[:10])) + (", …" if len(keyless) > 10 else "")), err=True)
    smart = sum(bool(r.warnings) for r in results)
    if smart and not quiet:
        click.echo("oppforms: " + _n("{n} row with SMART warnings (a goal without a measure or time frame); see the "
                                     "report's warnings", "{n} rows with SMART warnings (goals without a measure or "
                                     "time frame); see the report's warnings", smart, n=smart), err=True)
    rows = _n("{n} row", "{n} rows", len(results))
    click.echo(_("{rows}: {counts}; report: {report}", rows=rows, counts=", ".join(counts), report=report), err=True)
    if failed:
        raise BatchIncomplete(N_("{n} row(s) not filled; see {report}").format(n=len(failed), report=report))


def _finished(filling: Iterator[Any]) -> list[Any]:
    """After Ctrl-C came while a result was being handled here: the results of the work
    the batch finished meanwhile (other worker processes' files), which it gives when told
    of the interrupt. Nothing when the interrupt reached the batch itself (it gave them)."""
    out: list[Any] = []
    throw = getattr(filling, "throw", None)  # no batch started yet: nothing
    if throw is None:
        return out
    try:
        out.append(throw(KeyboardInterrupt()))
        out.extend(filling)
    except (KeyboardInterrupt, StopIteration):
        pass
    return out


EPILOG_SIGNATURES = """Examples:

\b
  oppforms signatures opp-terug.jsonl -o ontbrekend.xlsx
  oppforms signatures terug/ --issued out/ -o ontbrekend.xlsx
  oppforms signatures terug/ --issued out/ --schooljaar 2026-2027 -o ontbrekend.xlsx
"""


@cli.command(epilog=EPILOG_SIGNATURES)
@click.argument("records", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the list (.xlsx).")
@click.option("--issued", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The output folder of the `oppforms fill` that issued the forms: returned scans are "
                   "verified against it, and every pupil whose form was issued but did not come back is "
                   "in the list too (Teruggekomen 'nee', every box 'ontbreekt').")
@click.option("--incomplete", is_flag=True, help="Only pupils with a box that is not 'getekend' (not returned included).")
@click.option("--schooljaar", "school_year", metavar="JAAR",
              help="Only the forms of this schooljaar (as on the form, e.g. 2026-2027): with --issued, pupils of "
                   "earlier years whose forms never came back are left out.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
def signatures(records: tuple[Path, ...], output: Path, issued: Path | None, incomplete: bool, school_year: str | None,
               jobs: int) -> None:
    """Per pupil, which signature boxes are getekend, ontbreekt or controleren.

    RECORDS are `oppforms extract` output (.json, .jsonl) or returned forms (PDFs,
    scans, folders). One row per pupil (leerlingnummer, naam, klas, teruggekomen), a
    column per box (start, tussenevaluatie, eindevaluatie for leerling, opvoeders,
    zorgcoördinator). With --issued, pupils whose form was issued but never came back
    are listed as well.
    """
    import logging

    from .errors import BatchIncomplete, InputError, UsageError
    from .issued import read_issued
    from .signatures import load_records, school_years, signature_overview, write_signatures_xlsx
    from .spec import current_spec

    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"{output}: the list is written as .xlsx")
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    spec = current_spec()
    entries = None
    if issued is not None:
        entries = [e for e in read_issued(issued) if e.get("form", spec.form_id) == spec.form_id]
        if not entries:
            raise InputError(N_("{folder}: no issued forms found (expected the output folder of oppforms fill)").format(
                folder=issued))
    unread: list[FileResult] = []
    loaded = list(load_records(list(records), spec, issued=issued, jobs=jobs, unread=unread))
    if school_year is not None and school_year.strip() not in (years := school_years(loaded, entries, spec)):
        raise UsageError(N_("--schooljaar {year}: no form of that schooljaar (there are: {years})").format(
            year=school_year, years=", ".join(years) or "none"))
    rows = signature_overview(loaded, spec, issued=entries, school_year=school_year)
    if incomplete:
        rows = [r for r in rows if not r.complete]
    write_signatures_xlsx(rows, output, spec)
    for result in unread:  # a pupil whose form was not read must not just be missing from the list
        click.echo(status_line(result), err=True)
    complete = sum(r.complete for r in rows)
    not_returned = f", {sum(not r.returned for r in rows)} not returned" if issued is not None else ""
    click.echo(f"{len(rows)} pupil(s), {complete} with every box signed{not_returned}; wrote {output}", err=True)
    if unread:
        whose = ("their boxes are not in the list (a pupil issued there shows as not returned)" if issued is not None
                 else "their pupils are not in the list")
        raise BatchIncomplete(f"{len(unread)} file(s) gave no form (see above): {whose}")


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
        click.echo("oppforms: " + _("error: {message}", message=translated(str(exc))), err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception:  # a bug: say so, with the traceback, and exit 70
        traceback.print_exc()
        click.echo("oppforms: " + _("internal error (a bug); please report it with the traceback above"), err=True)
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)

