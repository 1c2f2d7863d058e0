"""What a fill hands over besides the forms: the per-record report, the merged print file
and its copies, and an encrypted form. :mod:`oppforms.batch` uses them and offers them
under its own name too."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._io import atomic_write_bytes
from .issued import STATE_DIR


def encrypt(data: bytes, password: str) -> bytes:
    """``data`` encrypted with AES-256 (never RC4), with a fresh random file id."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    file_id = ByteStringObject(secrets.token_bytes(16))
    writer._ID = ArrayObject([file_id, file_id])
    writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def print_copy_path(out_dir: Path, doc_id: str) -> Path:
    """Where a flattened, unencrypted copy for the merged print file is kept until merged."""
    return Path(out_dir) / STATE_DIR / "print" / f"{doc_id}.pdf"


def write_report(results: Iterable[Any], path: Path) -> None:
    """The per-record report of :class:`oppforms.batch.FillResult` s as CSV (``.csv``) or
    JSON Lines (``.jsonl``), atomically."""
    import csv
    import io

    rows = list(results)
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        text = "".join(
            json.dumps(
                {
                    "source": r.source,
                    "row": r.row,
                    "file": r.file,
                    "status": r.status,
                    "reason": r.reason,
                    "document": r.document,
                    "pages": r.pages,
                    "warnings": list(r.warnings),
                },
                ensure_ascii=False,
            )
            + "\n"
            for r in rows
        )
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["source", "row", "file", "status", "reason", "document", "pages", "warnings"])
        for r in rows:
            w.writerow([r.source, r.row, r.file, r.status, r.reason, r.document, r.pages, "; ".join(r.warnings)])
        text = buf.getvalue()
    atomic_write_bytes(path, text.encode("utf-8"))


def merge_for_print(files: Iterable[Path], target: Path) -> int:
    """One PDF of all ``files`` for printing, each starting on an odd page (a blank page
    follows a form with an odd page count, for duplex printers). Returns the page count."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    pages = 0
    for path in files:
        reader = PdfReader(path)
        writer.append(reader)
        pages += len(reader.pages)
        if len(reader.pages) % 2:
            box = reader.pages[-1].mediabox
            writer.add_blank_page(float(box.width), float(box.height))
            pages += 1
    out = io.BytesIO()
    writer.write(out)
    atomic_write_bytes(target, out.getvalue())
    return pages
