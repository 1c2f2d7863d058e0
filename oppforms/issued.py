"""The issued registry of a fill output folder, read back.

``oppforms fill`` keeps, in ``DIR/.oppforms/issued/*.jsonl``, one JSON line per document it
issued: the document id, the file, the row, the form and version, the page count, the exact
values (dates ISO) and hashes. Filling writes it (:mod:`oppforms.batch`); reading scanned
pages back verifies them against it (:mod:`oppforms.scan`). This module sits low in the
layers so that both can use it without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

#: The folder inside a fill output folder that holds the secret key and the registry.
STATE_DIR = ".oppforms"


def issued_folder(out_dir: Path) -> Path:
    return Path(out_dir) / STATE_DIR / "issued"


def read_issued(out_dir: Path) -> Iterator[dict[str, object]]:
    """Every entry of the issued registry of a fill output folder, oldest first per file;
    lines that a kill cut short are skipped."""
    for path in sorted(issued_folder(out_dir).glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and "document" in entry:
                    yield entry


def latest_values(entries: Iterable[Mapping[str, object]], form_id: str) -> dict[str, dict[str, str]]:
    """Document id (upper case) → the values issued for it, from registry ``entries``
    (:func:`read_issued`): the latest entry of each document wins; entries of another form,
    and redacted ones (without values), are passed over."""
    out: dict[str, dict[str, str]] = {}
    for entry in entries:
        document, values = entry.get("document"), entry.get("values")
        if entry.get("form", form_id) != form_id or not isinstance(document, str) or not document.strip():
            continue
        if isinstance(values, Mapping):
            out[document.strip().upper()] = {str(k): "" if v is None else str(v) for k, v in values.items()}
    return out
