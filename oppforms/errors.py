"""The error hierarchy of oppforms.

Every error carries the exit code the command line turns it into (contract §5), so the
CLI has one handler and never tells errors apart by their message text. Messages name
files, rows and fields, never a pupil's data: they may be shown to people who are not
allowed to see it.
"""

from __future__ import annotations


class OppformsError(Exception):
    """Base of every error oppforms raises on purpose."""

    exit_code: int = 70


class UsageError(OppformsError):
    """The command or call was used wrongly (bad option, conflicting arguments)."""

    exit_code = 2


class InputError(OppformsError):
    """An input file could not be read or does not hold what it should."""

    exit_code = 3


class SpecError(InputError):
    """A form specification is invalid; the message names the file and the entry."""


class RecordError(InputError):
    """One record (row) has a bad value; the batch reports it and goes on.

    ``row`` is the 1-based data row (or record index) in its source, ``field`` the
    contract field name the problem is in (None when it concerns the whole row).
    """

    def __init__(self, message: str, *, row: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.field = field


class NotThisFormError(OppformsError):
    """The input is a readable document, but not an OPP korte versie form."""

    exit_code = 4


class MissingDependencyError(OppformsError):
    """An optional library or program is missing; the message says how to install it."""

    exit_code = 5


class OutputError(OppformsError):
    """An output file could not be written."""

    exit_code = 6


class BatchIncomplete(OppformsError):
    """A batch finished, but some items failed (each is named in the batch's report)."""

    exit_code = 1
