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


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
