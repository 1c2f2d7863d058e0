"""Atomic file writes: a temporary file in the target's folder, fsynced, then renamed.

An interrupted write (Ctrl-C, a kill, a full disk) leaves the old file or none, never a
half-written one; the temporary file is removed on every failure path.
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import secrets
import sys
from collections.abc import Callable
from functools import cache

from .i18n import N_
from .errors import OutputError


_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_NAMES = itertools.count()
_TOKEN = secrets.token_hex(4)


def _temp_path(path: str) -> str:
    """A fresh name beside ``path`` (``.NAME.<pid>.<n>.<token>.part``), never used before
    by this process or any other (the file is created with O_EXCL all the same)."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{os.getpid()}.{next(_NAMES)}.{_TOKEN}.part")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically; with ``overwrite=False`` an existing file is
    an :class:`OutputError` (checked at the rename itself, so two writers never clobber).

    ``durable`` fsyncs the data before the rename, so even a power cut leaves the old file
    or the new one. Batches pass ``durable=False`` and sync once at the end instead: an
    interrupt or a kill still leaves whole files or none, and one fsync per file would
    make the disk, not the work, set the pace. The file is readable by its owner only
    (mode 0600), as it holds pupils' data."""
    # plain strings, not Path objects: a batch writes a file per form (about 10 µs less
    # per file on tmpfs)
    target = os.fspath(path)
    tmp = _temp_path(target)
    try:
        try:
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)  # only when the folder is missing
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
    except OSError as exc:
        raise OutputError(N_("{file}: cannot write ({error})").format(file=target, error=exc.strerror)) from exc
    placed = False
    try:
        try:
            written = os.write(fd, data)
            if written < len(data):  # a short write: go on from where it stopped
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
            placed = True
        else:
            _place_new(tmp, target)
            placed = True
    except OSError as exc:
        raise OutputError(N_("{file}: cannot write ({error})").format(file=target, error=exc.strerror)) from exc
    finally:
        if not placed and os.path.lexists(tmp):  # a failure on the way: no temporary file stays
            os.unlink(tmp)


#: link(2)'s answers on a filesystem without hard links (FAT and exFAT USB sticks, some shares)
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK}


def _place_new(tmp: str, target: str) -> None:
    """Move ``tmp`` to ``target``, which must not exist: by a hard link, which fails if the
    path exists (no race with another writer), then the temporary name removed. Where the
    filesystem has no hard links: a rename after a check (on Windows the rename itself refuses
    an existing target; elsewhere a writer in between the two would be overwritten, a window
    the linked way does not have)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise _exists(target) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(target):
            raise _exists(target) from None
        try:
            os.rename(tmp, target)
        except FileExistsError:
            raise _exists(target) from None
        return
    os.unlink(tmp)


def _exists(target: str) -> OutputError:
    return OutputError(N_("{file}: exists already (use overwrite to replace it)").format(file=target))


@cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(2)`` from the C library (Python's ``os`` does not offer it), or None."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def sync_folder(folder: str | os.PathLike[str]) -> str:
    """Bring what was written under ``folder`` to its disk, once, at the end of a batch that
    wrote its files without an fsync each. Returns how: ``"syncfs"`` (Linux: the folder's own
    filesystem only, so a USB stick or a network share being written elsewhere does not keep
    the batch waiting), ``"sync"`` (other Unix systems: every filesystem), or ``"none"``
    (Windows, which has no call for it: its cache manager writes the files out within seconds,
    and an fsync per file is what the batch avoids)."""
    if sys.platform.startswith("linux") and (syncfs := _syncfs()) is not None:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if syncfs(fd) == 0:
                return "syncfs"
        finally:
            os.close(fd)
    if hasattr(os, "sync"):
        os.sync()
        return "sync"
    return "none"
