"""Atomic file writes: a temporary file in the target's folder, fsynced, then renamed
(on Linux, a new file is written without a name and named when whole).

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
    if not overwrite and _ANONYMOUS and _write_unnamed(target, data, durable):
        return
    tmp = _temp_path(target)
    try:
        try:
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(target) or ".", exist_ok=True)  # only when the folder is missing
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    placed = False
    try:
        try:
            _write_all(fd, data, durable)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, target)
            placed = True
        else:
            _place_new(tmp, target)
            placed = True
    except OSError as exc:
        raise _cannot_write(target, exc) from exc
    finally:
        if not placed and os.path.lexists(tmp):  # a failure on the way: no temporary file stays
            os.unlink(tmp)


def _write_all(fd: int, data: bytes, durable: bool) -> None:
    written = os.write(fd, data)
    if written < len(data):  # a short write: go on from where it stopped
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view) :]
    if durable:
        os.fsync(fd)


#: Linux: a file without a name in a folder (open(2) O_TMPFILE), named once it is whole
_ANONYMOUS = getattr(os, "O_TMPFILE", 0) if sys.platform.startswith("linux") else 0
_PROC_FDS: list[int] = []  # [pid, this process's /proc/self/fd folder] (a child reopens it)
#: what open(2) answers where the filesystem (or the kernel) has no unnamed files
_NO_UNNAMED = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOSYS, errno.EPERM}


def _proc_fds() -> int | None:
    """This process's ``/proc/self/fd`` as an open folder, or None. Opened again in a
    forked child: the parent's would name the parent's files."""
    pid = os.getpid()
    if _PROC_FDS and _PROC_FDS[0] == pid:
        return _PROC_FDS[1]
    try:
        fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    _PROC_FDS[:] = [pid, fd]
    return fd


def _write_unnamed(target: str, data: bytes, durable: bool) -> bool:
    """Write ``data`` into a new file that has no name until it is whole, then give it
    ``target`` (which must not exist) in one step (linkat, which refuses an existing
    name). Nothing is left by an interrupt or a kill, not even a temporary name, and
    two calls fewer than a temporary file renamed (61 µs of CPU against 70 for a form's
    100 KB on tmpfs). False where the filesystem cannot (the caller then writes a
    temporary file)."""
    folder = os.path.dirname(target) or "."
    procs = _proc_fds()
    if procs is None:
        return False
    try:
        try:
            fd = os.open(folder, _ANONYMOUS | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)  # only when the folder is missing
            fd = os.open(folder, _ANONYMOUS | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in _NO_UNNAMED:
            return False
        raise _cannot_write(target, exc) from exc
    try:
        _write_all(fd, data, durable)
        os.link(str(fd), target, src_dir_fd=procs, follow_symlinks=True)
    except FileExistsError:
        raise _exists(target) from None
    except OSError as exc:
        if exc.errno in _NO_LINKS or exc.errno in {errno.EXDEV, errno.ENOENT}:
            return False  # no hard links here, or no /proc to name the file by: the written file goes
        raise _cannot_write(target, exc) from exc
    finally:
        os.close(fd)
    return True


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


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 (hex) of a file, read in blocks (:class:`OSError` when it cannot be read)."""
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class TargetExists(OutputError):
    """The file to write appeared before it could be placed (``overwrite=False``)."""


def _exists(target: str) -> OutputError:
    return TargetExists(N_("{file}: exists already (written meanwhile by another run?); use --overwrite to replace it").format(file=target))


def _cannot_write(target: str, exc: OSError) -> OutputError:
    return OutputError(N_("{file}: cannot write ({error})").format(file=target, error=exc.strerror))


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
    and an fsync per file is what the batch avoids). Never raises: a folder that cannot be
    opened any more is synced with everything else."""
    if sys.platform.startswith("linux") and (syncfs := _syncfs()) is not None:
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            fd = -1  # gone or unreadable since (it runs in a batch's ``finally``: it must not raise)
        if fd >= 0:
            try:
                if syncfs(fd) == 0:
                    return "syncfs"
            finally:
                os.close(fd)
    if hasattr(os, "sync"):
        os.sync()
        return "sync"
    return "none"


def shown_name(path: str | os.PathLike[str]) -> str:
    """A file's name as text that can be written anywhere (a report, a registry line, a
    record's ``source``): bytes of the name that are not UTF-8, which Python keeps as lone
    surrogates that no UTF-8 text can hold, become U+FFFD."""
    name = os.fspath(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return name
