"""Sources: rows from CSV, XLSX, JSON, JSON Lines, XFDF and FDF files → raw records keyed by
field name.

:func:`read_records` checks a file's header (or keys) once, up front, and returns a
:class:`SourceReader` that streams one :class:`SourceRow` per data row. Problems come in two
sizes:

- a file-level problem (unreadable file, unknown encoding, unknown or doubled columns, no
  header) raises :class:`~oppforms.errors.InputError` naming the file and the columns;
- a row-level problem (a bad JSON line, a value under a column without header) is a
  ``SourceRow`` with an ``error``, and the batch goes on.

Values are *not* coerced here (that is :mod:`oppforms.values`); they keep the type the file
gave them: CSV cells are always text (leading zeros survive), XLSX cells are text, numbers or
dates (a date cell becomes a ``datetime.date``), JSON values are what JSON has (lists stay
lists, for numbered lines). A CSV cell that starts with an apostrophe before ``=``, ``+``,
``-``, ``@`` (and the other characters :data:`oppforms.exports.FORMULA_TRIGGERS` names) is
read without that apostrophe: it is how an export protects such cells from being run as
formulas (:func:`oppforms.exports.protect_cell`). An XFDF or FDF file (Acrobat's and
pdftk's interchange formats, as ``oppforms extract`` or ``pdftk generate_fdf`` write them)
holds one record, row 1, its fields named by their full (dotted) names.

Row numbers (``SourceRow.row``) are what a user finds the row by: for CSV and XLSX the row
number Excel shows (the header is usually row 1, the first data row row 2; a CSV record
with a multi-line cell is one row, as in Excel); for a JSON array the 1-based index of the
record; for JSON Lines the 1-based line number. Blank rows (every cell empty) are skipped,
wherever they are, and keep their number.

Headers match a field when, after :func:`normalize_header`, they equal its name, label or
one of its aliases. How other columns are treated:

- a mapping (``{"Column header": "field.name"}``, see :func:`load_mapping`) comes first;
  mapping a column to ``""`` ignores it on purpose;
- composite columns of the spec (``Roepnaam``, ``Tussenvoegsel``, ``Achternaam``) make their
  field when it has no column of its own and at least two of its parts have one: the
  non-empty parts joined with one space. A lone part column is an unknown column;
- columns naming a signature field are passed on (``values`` accepts only nothing or a
  true/false mark there: a filled form is never signed), with a notice;
- the non-field columns of an extract export (``source``, ``form``, ``version``, …, taken
  from the record schema) are ignored with a notice, except that a ``form`` other than this
  form's id is a row error; a JSON record in the extract format (``{"form": …, "fields":
  {…}}``) is read from its ``fields``;
- a column with no header must stay empty (a value there is a row error);
- any other column is unknown: an InputError naming all of them, or, with
  ``ignore_unknown``, a notice naming them.
"""


from __future__ import annotations

from .headers import EXTRA, SourceRow, normalize_header
from .readers import FORMATS, SourceReader, load_mapping, read_records

__all__ = [
    "EXTRA",
    "FORMATS",
    "SourceReader",
    "SourceRow",
    "load_mapping",
    "normalize_header",
    "read_records",
]
