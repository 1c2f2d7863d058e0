"""The ``oppforms archive …`` commands: a thin click layer over :mod:`oppforms.archive`.

Part of the command line (:mod:`oppforms.cli` registers the group); like it, the only kind of
module that prints or knows click.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .cli_text import print_json


EPILOG_ARCHIVE = """Examples:

  oppforms archive init archief/ --organization "Het Voorbeeld College"

  oppforms archive add archief/ terug/ --issued out/

  oppforms archive verify archief/

  oppforms archive left archief/ --from uitschrijvingen.xlsx

  oppforms archive purge archief/            (a dry run: says what it would delete)
"""


@click.group(epilog=EPILOG_ARCHIVE)
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


@archive.command("add", epilog="""Examples:

\b
  oppforms archive add archief/ terug/ scans.pdf --issued out/
  oppforms archive add archief/ scans/ --issued out/ --cluster tcp://scheduler.school.lan:8786
""")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--issued", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The output folder of the 'oppforms fill' run that issued the forms (verifies scans).")
@click.option("--password", "passwords", multiple=True, metavar="PASSWORD", help="Password of encrypted forms (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes for reading.")
@click.option("--cluster", "cluster", metavar="ADDRESS", envvar="OPPFORMS_CLUSTER",
              help="Read on a Dask cluster, as 'extract --cluster' does: its scheduler (tcp://HOST:8786), or local:N. "
                   "Default: $OPPFORMS_CLUSTER, else this machine's --jobs.")
@click.option("--ship", is_flag=True,
              help="With --cluster: send the files' bytes (scans page by page), for workers without shared storage.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per form on stdout.")
def archive_add(archive_dir: Path, inputs: tuple[Path, ...], issued: Path | None, passwords: tuple[str, ...],
                jobs: int, cluster: str | None, ship: bool, as_json: bool) -> None:
    """Read returned forms as 'extract' does and archive each one: one package per document.

    The same document again is recognised (duplicate); a changed one is a new version.
    A form whose document was purged when its retention ended is not archived again (purged).
    Exit code 1 when some form could not be archived (failed or purged).
    """
    import logging

    from .archive import add
    from .cli_extract import open_cluster
    from .errors import BatchIncomplete

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    executor = open_cluster(cluster, ship=ship, jobs=jobs, quiet=False)
    counts: dict[str, int] = {}
    for r in add(archive_dir, inputs, issued=issued, passwords=passwords, jobs=jobs, executor=executor):
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
    refused = counts.get("failed", 0) + counts.get("purged", 0)
    if refused:
        raise BatchIncomplete(f"{refused} form(s) or file(s) could not be archived")


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
        print_json({"ok": rep.ok, "packages": rep.packages, "intact": rep.intact, "purged": rep.purged,
                     "problems": [{"package": p.package, "problem": p.what} for p in rep.problems],
                     "ledger_head": rep.ledger_head, "seconds": round(rep.seconds, 3),
                     "recovered": list(rep.recovered), "removed": list(rep.removed)})
    for pid in rep.recovered:
        click.echo(f"package {pid}: an interrupted add was finished", err=True)
    for pid in rep.removed:
        click.echo(f"package {pid}: purged according to the ledger but present again (an interrupted purge, or "
                   "restored from a backup): removed", err=True)
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

  oppforms archive left archief/ --document 6FYF-2O72 --date 2027-07-15
""")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--pupil", metavar="NUMMER", help="The leerlingnummer.")
@click.option("--document", metavar="ID", help="A document id (see the index), for a form without leerlingnummer.")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="The day the pupil left school.")
@click.option("--from", "from_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An administration export (CSV or XLSX) with leerlingnummer/stamnummer and uitschrijfdatum.")
@click.option("--sheet", help="XLSX: the sheet to read (default: the first).")
@click.option("--delimiter", help="CSV: the delimiter (default: sniffed).")
def archive_left(archive_dir: Path, pupil: str | None, document: str | None, date: str | None,
                 from_file: Path | None, sheet: str | None, delimiter: str | None) -> None:
    """Record when pupils left school, which sets when their packages are due."""
    from .archive import left_from_file, set_left
    from .errors import BatchIncomplete, UsageError

    if from_file is not None:
        if pupil or document or date:
            raise UsageError("give --from, or --pupil (or --document) with --date, not both")
        res = left_from_file(archive_dir, from_file, sheet=sheet, delimiter=delimiter)
        for problem in res.problems:
            click.echo(problem, err=True)
        click.echo(f"{res.rows} row(s) read: {res.pupils} pupil(s) with {len(res.packages)} package(s) updated, "
                   f"{res.not_archived} pupil(s) without a package", err=True)
        if res.problems:
            raise BatchIncomplete(f"{len(res.problems)} row(s) could not be used")
        return
    if pupil and document:
        raise UsageError("give --pupil or --document, not both")
    if not (pupil or document) or not date:
        raise UsageError("give --pupil (or --document) and --date, or --from FILE")
    change = set_left(archive_dir, pupil or "", date, document=document)
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
        print_json({"on": listing.on, "due": _due_json(listing.due), "held": _due_json(listing.held)})
        return
    _due_lines("due", listing.due)
    _due_lines("held", listing.held)
    click.echo(f"on {listing.on}: {len(listing.due)} package(s) due, {len(listing.held)} due but held", err=True)


@archive.command("purge", epilog="""Examples:

  oppforms archive purge archief/                      (dry run)

  oppforms archive purge archief/ --execute --issued out/
""")
@click.argument("archive_dir", metavar="ARCHIVE", type=_ARCHIVE_DIR)
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="The day to purge as of (default: today); a later day only without --execute, to look ahead.")
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
        print_json({"on": res.on, "executed": res.executed, "purged": _due_json(res.purged),
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
        print_json(history_json(versions))
        return
    if not versions:
        _no_packages()
    for v in versions:
        click.echo(f"{v.archived}  {v.package}  document {v.document or '-'}  schooljaar {v.schooljaar or '-'}")
        click.echo(f"    signed: {', '.join(v.signed) or 'none'}")
        click.echo(f"    changed: {', '.join(v.changed) or 'nothing'}")
        if v.consent_needed:
            click.echo("    consent needed: the parents have not signed this handelingsdeel (doelen, acties)")
