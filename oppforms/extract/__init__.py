"""Reading returned forms back: PDFs filled in any viewer, flattened, printed to PDF or
signed, into records (contract §4).

- :func:`read_pdf` reads one PDF in this process (no limits);
- :func:`extract_many` reads many inputs (files and folders) in worker processes with time
  and memory limits, hands scanned ones to the scanned-forms reader when it is installed,
  and yields one :class:`FileResult` per input file, in order; the scanned inputs of one
  call are read together, so a form whose pages came in several files is one record;
- :func:`documents` gives every form of those results once, each with ``pages`` saying
  which input file and page each of its pages came from.

Inside: :mod:`.reader` (one file, triage first), :mod:`.detect` (which form),
:mod:`.acroform` and :mod:`.live` (forms with fields), :mod:`.pages`, :mod:`.align`,
:mod:`.layout` and :mod:`.flat` (forms without), :mod:`.signatures`, :mod:`.actions`,
:mod:`.textdecode` (what an appearance shows), :mod:`.normalize` (values as records hold
them), :mod:`.sandbox` (the limits) and :mod:`.run` (many inputs, the scanned-forms seam).
Nothing here imports the filling side: round trips are composed in the tests.
"""

from __future__ import annotations

from .reader import FileResult, read_pdf, read_pdf_bytes, status_of
from .run import Input, documents, extract_many, find_inputs
from .sandbox import Limits

__all__ = ["FileResult", "Input", "Limits", "documents", "extract_many", "find_inputs", "read_pdf", "read_pdf_bytes", "status_of"]
