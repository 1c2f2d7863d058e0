"""Reading untrusted PDFs in worker processes with time and memory limits.

A returned form is untrusted input: a decompression bomb, a reference loop or a broken
cross-reference table must cost seconds, not the machine, and must not stop the batch.
Each input is read by :func:`.reader.read_pdf` in a worker process:

- **memory**: the worker's address space is capped (``RLIMIT_AS``, its size at start plus
  :attr:`Limits.memory_mb`); running out raises ``MemoryError`` in the worker, or kills it;
- **time**: the worker stops itself after :attr:`Limits.seconds` (plus
  :attr:`Limits.seconds_per_page` for every page of a long file, up to
  :data:`MAX_TIMED_PAGES` pages) with ``SIGALRM``; a worker stuck in native code past that
  (and :attr:`Limits.grace`) is killed by the parent;
- **crashes**: a worker that dies (a segfault, the kernel's OOM killer) is replaced; its
  file is reported as malformed, and the batch goes on.

A worker that hit a limit is replaced rather than reused, so its memory is given back.
Workers ignore Ctrl-C: the parent stops them. Results come back in input order. Limits
are POSIX only; elsewhere the workers run without the memory cap (the time limit is
still kept by the parent).
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..i18n import N_
from ..records import FileStatus
from .reader import FileResult, read_pdf

__all__ = ["Limits", "Sandbox"]

#: Time the parent waits beyond a worker's own deadline before killing it.
GRACE = 5.0
#: Pages that earn a file more time; a file claiming more pages gets no more.
MAX_TIMED_PAGES = 200


@dataclass(frozen=True, slots=True)
class Limits:
    """Per input file: seconds (and more per page) and megabytes of memory; ``grace`` is
    how long the parent waits past a worker's own deadline before it kills the worker."""

    seconds: float = 30.0
    seconds_per_page: float = 2.0
    memory_mb: int = 1024
    grace: float = GRACE


Reader = Callable[..., FileResult]


class _Stop(Exception):
    """Raised in a worker by its alarm."""


def _alarm(signum: int, frame: object) -> None:
    raise _Stop


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(megabytes: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    base = _vm_bytes()
    limit = base + megabytes * 1024 * 1024
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):  # pragma: no cover - a hard limit below ours
        pass


@dataclass(frozen=True, slots=True)
class _PageTimer:
    """Called by the reader with a file's page count: grants a long file more time (and
    tells the parent, which keeps the outer deadline)."""

    conn: Connection
    index: int
    limits: Limits
    use_alarm: bool

    def __call__(self, pages: int) -> None:
        extra = min(pages, MAX_TIMED_PAGES) * self.limits.seconds_per_page
        if extra < self.limits.seconds / 2:  # a short file: the base time will do
            return
        self.conn.send(("pages", self.index, pages))
        if self.use_alarm:
            signal.setitimer(signal.ITIMER_REAL, self.limits.seconds + extra)


def _worker(conn: Connection, limits: Limits, passwords: tuple[str, ...], reader: Reader) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()  # a crash is reported by the parent, without a native traceback
    use_alarm = hasattr(signal, "setitimer")
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
    _limit_memory(limits.memory_mb)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, path, source = task
        on_pages = _PageTimer(conn, index, limits, use_alarm)

        retire = False
        try:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, limits.seconds)
            result = reader(Path(path), passwords=passwords, source=source, on_pages=on_pages)
        except _Stop:
            result = FileResult(source, FileStatus.MALFORMED, reason=N_("took too long to read (stopped)"))
            retire = True
        except MemoryError:
            result = FileResult(
                source,
                FileStatus.MALFORMED,
                reason=N_("needed more than {mb} MB of memory to read (stopped; a decompression bomb?)").format(mb=limits.memory_mb),
            )
            retire = True
        except RecursionError:
            result = FileResult(source, FileStatus.MALFORMED, reason=N_("nested too deeply to read"))
            retire = True
        except Exception as exc:  # noqa: BLE001 - a file no reader copes with: the batch goes on
            if _caused_by(exc, MemoryError):  # pdfminer wraps what it runs into
                reason = N_("needed more than {mb} MB of memory to read (stopped; a decompression bomb?)").format(mb=limits.memory_mb)
            elif _caused_by(exc, RecursionError):
                reason = N_("nested too deeply to read")
            else:
                reason = N_("could not be read ({error})").format(error=type(exc).__name__)
            result = FileResult(source, FileStatus.MALFORMED, reason=reason)
            retire = True
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            conn.send(("done" if not retire else "retired", index, result))
        except (OSError, ValueError):
            return
        if retire:
            return


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    # fork is fastest (the worker starts with oppforms imported), but not safe once the
    # parent runs threads; forkserver then, else spawn
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


@dataclass(slots=True)
class _Slot:
    process: Any
    conn: Connection
    task: tuple[int, str] | None = None
    deadline: float = 0.0
    started: float = 0.0


@dataclass(slots=True)
class Sandbox:
    """``jobs`` worker processes reading PDFs under ``limits``, with ``passwords`` to try
    on encrypted files. ``reader`` is what a worker runs per file (the seam for tests; an
    importable function, as a worker may be started fresh). Use :meth:`read` (once per
    sandbox)."""

    jobs: int = 1
    limits: Limits = field(default_factory=Limits)
    passwords: Sequence[str] = ()
    reader: Reader = read_pdf
    _slots: list[_Slot] = field(default_factory=list)

    def _start(self) -> _Slot:
        ctx = _context()
        parent, child = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=_worker,
            args=(child, self.limits, tuple(self.passwords), self.reader),
            daemon=True,
            name="oppforms-extract",
        )
        process.start()
        child.close()
        return _Slot(process, parent)

    def _stop(self, slot: _Slot, *, kill: bool) -> None:
        if kill:
            slot.process.kill()
        else:
            try:
                slot.conn.send(None)
            except (OSError, ValueError):
                pass
        slot.process.join(timeout=2.0)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join(timeout=2.0)
        slot.conn.close()

    def read(self, items: Iterable[tuple[Path, str]]) -> Generator[FileResult, None, None]:
        """Read each ``(path, source)``; yield one result per item, in order."""
        pending = iter(enumerate(items))
        results: dict[int, FileResult] = {}
        sources: dict[int, str] = {}
        next_out = 0
        exhausted = False
        window = max(4, self.jobs * 4)
        try:
            while True:
                # hand out work to idle workers, never too far ahead of what was yielded
                idle = [s for s in self._slots if s.task is None]
                while not exhausted and (idle or len(self._slots) < self.jobs):
                    in_flight = len(sources) + len(results)
                    if in_flight >= window:
                        break
                    try:
                        index, (path, source) = next(pending)
                    except StopIteration:
                        exhausted = True
                        break
                    slot = idle.pop() if idle else self._new_slot()
                    sources[index] = source
                    now = time.monotonic()
                    slot.task = (index, source)
                    slot.started = now
                    slot.deadline = now + self.limits.seconds + self.limits.grace
                    try:
                        slot.conn.send((index, str(path), source))
                    except (OSError, ValueError):
                        self._replace(slot, results, sources, N_("the reader process could not be started"))
                        idle = [s for s in self._slots if s.task is None]
                while next_out in results:
                    yield results.pop(next_out)
                    next_out += 1
                busy = [s for s in self._slots if s.task is not None]
                if not busy:
                    if exhausted and not sources:
                        return
                    continue
                timeout = max(0.0, min(s.deadline for s in busy) - time.monotonic())
                ready = multiprocessing.connection.wait([s.conn for s in busy], timeout=timeout)
                for slot in busy:
                    if slot.conn in ready:
                        self._receive(slot, results, sources)
                now = time.monotonic()
                for slot in [s for s in self._slots if s.task is not None and s.deadline < now]:
                    self._replace(slot, results, sources, N_("took too long to read (stopped)"), kill=True)
        finally:
            for slot in self._slots:
                self._stop(slot, kill=True)
            self._slots.clear()

    def _new_slot(self) -> _Slot:
        slot = self._start()
        self._slots.append(slot)
        return slot

    def _receive(self, slot: _Slot, results: dict[int, FileResult], sources: dict[int, str]) -> None:
        try:
            message = slot.conn.recv()
        except (EOFError, OSError):
            code = slot.process.exitcode
            slot.process.join(timeout=1.0)
            code = slot.process.exitcode if code is None else code
            how = N_("signal {n}").format(n=-code) if isinstance(code, int) and code < 0 else N_("exit code {code}").format(code=code)
            self._replace(slot, results, sources, N_("the reader process died on this file ({how})").format(how=how))
            return
        kind, index, payload = message
        if kind == "pages":
            limits = self.limits
            extra = min(payload, MAX_TIMED_PAGES) * limits.seconds_per_page
            slot.deadline = slot.started + limits.seconds + extra + limits.grace
            return
        results[index] = payload
        sources.pop(index, None)
        slot.task = None
        if kind == "retired":
            # a worker that hit a limit ends itself, so its memory is given back
            self._stop(slot, kill=False)
            self._slots.remove(slot)

    def _replace(
        self, slot: _Slot, results: dict[int, FileResult], sources: dict[int, str], reason: str, *, kill: bool = True
    ) -> None:
        if slot.task is not None:
            index, source = slot.task
            results[index] = FileResult(source, FileStatus.MALFORMED, reason=reason)
            sources.pop(index, None)
        self._stop(slot, kill=kill)
        self._slots.remove(slot)
