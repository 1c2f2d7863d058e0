"""What the command line's modules share: its messages in the user's language, status
labels, JSON on stdout and a progress bar that shows nothing.

Part of the command line (with :mod:`oppforms.cli`, :mod:`oppforms.cli_extract` and
:mod:`oppforms.cli_archive`): the only kind of module that prints or knows click.
"""

from __future__ import annotations

import json
from typing import Any

import click


class NoBar:
    def __enter__(self) -> NoBar:
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


def translated(text: str) -> str:
    """A text the library wrote (a reason, a note, an error) in the locale's language."""
    from .i18n import cli_language, translate

    return translate(text, cli_language())


def status_text(status: object) -> str:
    from .i18n import cli_language, status_label

    return status_label(str(status), cli_language())


def status_width() -> int:
    from .i18n import cli_language, status_label
    from .records import FileStatus

    return max(17, *(len(status_label(s, cli_language())) for s in FileStatus))


def status_line(result: Any) -> str:
    """One file's status on stderr (``extract``, ``signatures``): never values, only counts,
    reasons and notes."""
    parts = [f"{status_text(result.status):<{status_width()}} {result.source}"]
    details = []
    if result.reason:
        details.append(translated(result.reason))
    review = sum(len(r.review) for r in result.records)
    warnings = sum(len(r.warnings) for r in result.records) - result.notices
    if len(result.records) > 1:
        details.append(_("{n} forms", n=len(result.records)))
    if review:
        details.append(_("{n} to review", n=review))
    if warnings:
        details.append(_n("{n} warning", "{n} warnings", warnings))
    details.extend(translated(note) for note in result.notes)
    if details:
        parts.append(": " + "; ".join(details))
    return "".join(parts)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
