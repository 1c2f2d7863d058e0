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

EPILOG_BLANK = "Example: oppforms blank -o opp-leeg.pdf"
EPILOG_FIELDS = "Example: oppforms fields --json > velden.json"
EPILOG_SCHEMA = "Example: oppforms schema > opp-record.schema.json"
EPILOG_BUILD = "Example: oppforms build-form  (rewrites forms/opp-kort-v1.pdf from its spec)"


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
    click.echo(f"wrote {output}", err=True)


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


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script and ``python -m oppforms``."""
    try:
        code = cli.main(args=argv, prog_name="oppforms", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("oppforms: interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("oppforms: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OppformsError as exc:
        click.echo(f"oppforms: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception:  # a bug: say so, with the traceback, and exit 70
        traceback.print_exc()
        click.echo("oppforms: internal error (a bug); please report it with the traceback above", err=True)
        sys.exit(70)
    sys.exit(code if isinstance(code, int) else 0)
