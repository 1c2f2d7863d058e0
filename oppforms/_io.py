"""Atomic file writes: a temporary file in the target's folder, fsynced, then renamed.

An interrupted write (Ctrl-C, a kill, a full disk) leaves the old file or none, never a
half-written one; the temporary file is removed on every failure path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .i18n import N_
from .errors import OutputError


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically; with ``overwrite=False`` an existing file is
    an :class:`OutputError` (checked at the rename itself, so two writers never clobber).

    ``durable`` fsyncs the data before the rename, so even a power cut leaves the old file
    or the new one. Batches pass ``durable=False`` and sync once at the end instead: an
    interrupt or a kill still leaves whole files or none, and one fsync per file would
    make the disk, not the work, set the pace."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(N_("{file}: cannot write ({error})").format(file=path, error=exc.strerror)) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path exists: no race with another writer
            except FileExistsError:
                raise OutputError(N_("{file}: exists already (use overwrite to replace it)").format(file=path)) from None
            tmp.unlink()
    except OSError as exc:
        raise OutputError(N_("{file}: cannot write ({error})").format(file=path, error=exc.strerror)) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
