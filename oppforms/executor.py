"""Running the same per-item work here or elsewhere: one seam, "run these items, give me
the results in order".

Reading scanned pages (:func:`oppforms.scan.pipeline.read_pages`) and sandboxed PDFs
(:class:`oppforms.extract.sandbox.Sandbox`) hand their items to an :class:`Executor`:

- :class:`LocalPool`: worker processes on this machine (a ``ProcessPoolExecutor``), as
  oppforms has always read pages; the default;
- :class:`DaskExecutor`: the workers of a Dask distributed cluster (``--cluster
  tcp://HOST:8786``), or a ``LocalCluster`` it starts (``--cluster local:N``). Dask is an
  optional extra (``pip install 'oppforms[cluster]'``) and imported only here, on use.

An item whose result never comes back is a :class:`Lost` result, never an exception: the
caller turns it into the status the item gets (a page read too slowly is refused; a page
that killed the worker processes that ran it, again and again, makes its file
``malformed``). The work itself (the function and its items) must be picklable, and
importable where it runs.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .errors import MissingDependencyError, UsageError

__all__ = ["DaskExecutor", "Executor", "LocalPool", "Lost", "connect", "parse_address"]

log = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")
F = TypeVar("F")

#: What to install for ``--cluster``.
INSTALL_HINT = "--cluster needs Dask distributed: pip install 'oppforms[cluster]' (or pip install distributed)"
#: How often a task may be on a worker that died before Dask gives it up (Dask's own
#: default is 3; a page that kills workers is given up sooner on the clusters we start);
#: the local pool gives an item up after as many deaths alone (see :class:`LocalPool`).
ALLOWED_FAILURES = 2
#: Dask settings for the clusters we start (``local:N``), whose scheduler, nannies and
#: workers share the cores that read: Dask's own periodic work is made rarer. Measured idle
#: on 2 cores, the scheduler with two nannies and the client took 5.3 % of a core and each
#: worker 3.6 %, 6 % of the machine; with these, 2.0 % and 0.9 % (2 % of the machine). The event-loop
#: watchdog (``tick``) woke every server 50 times a second, the workers' statistical profiler
#: sampled their stacks 100 times a second (for a dashboard we do not start), the system
#: monitor read the process's counters twice a second. The memory monitor keeps its pace
#: (the nanny's memory limit holds as promptly as Dask's default). A ``tcp://`` cluster's
#: workers take the same settings from their environment (see the README).
QUIET = {
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.profile.enabled": False,
    "distributed.deploy.cluster-repr-interval": "10s",
}
#: The environment variable that may name the cluster (as ``--cluster`` does).
ENV = "OPPFORMS_CLUSTER"


@dataclass(frozen=True, slots=True)
class Lost:
    """An item without a result: the processes that ran it died (``died``: killed, out of
    memory, a crash in native code; Dask ran it elsewhere and gave up), or it ran past its
    time (``died`` False)."""

    reason: str
    died: bool


class Executor(Protocol):
    """Runs ``fn(item, common)`` for every item; yields one result per item, in input
    order, or :class:`Lost`. ``common`` is sent to the workers once, not per item;
    ``timeout`` bounds the wait for one item (seconds). Only a window of items is in
    flight at once, so the items may be a lazy iterable of any length. ``ship``: the
    workers cannot see the client's files (they get the bytes instead)."""

    @property
    def workers(self) -> int: ...

    @property
    def ship(self) -> bool: ...

    @property
    def remote(self) -> bool:
        """The workers are other processes that may not see this machine's folders."""
        ...

    def run(
        self,
        fn: Callable[[T, C], R],
        items: Iterable[T],
        *,
        common: C,
        timeout: float | None = None,
    ) -> Generator[R | Lost, None, None]: ...


@dataclass(slots=True)
class LocalPool:
    """``jobs`` worker processes on this machine (``initializer`` runs once in each).

    A worker process that dies (killed, out of memory, a crash in native code) breaks a
    ``ProcessPoolExecutor`` and every item it had in flight, and which item killed it is
    not known. So each of those items is read again alone, in a process of its own: the
    innocent ones give their results, and one that kills its process alone
    :data:`ALLOWED_FAILURES` times (three deaths in all, as on a ``local:N`` cluster) is
    :class:`Lost`. A fresh pool takes the items after them."""

    jobs: int
    initializer: Callable[..., object] | None = None
    initargs: tuple[Any, ...] = ()

    @property
    def workers(self) -> int:
        return self.jobs

    @property
    def ship(self) -> bool:
        return False

    @property
    def remote(self) -> bool:
        return False

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, initializer=self.initializer, initargs=self.initargs)

    def run(
        self, fn: Callable[[T, C], R], items: Iterable[T], *, common: C, timeout: float | None = None
    ) -> Generator[R | Lost, None, None]:
        window = max(8, self.jobs * 4)
        pools = [self._pool(self.jobs)]  # the one in use last; earlier ones broke

        def submit(item: T) -> tuple[T, Future[R]]:
            try:
                return item, pools[-1].submit(fn, item, common)
            except BrokenProcessPool:  # a worker died: the items in flight are read again alone
                pools[-1].shutdown(wait=False, cancel_futures=True)
                pools.append(self._pool(self.jobs))
                return item, pools[-1].submit(fn, item, common)

        pending: deque[tuple[T, Future[R]]] = deque()
        try:
            for item, fut in _in_order(submit, items, window, pending):
                try:
                    yield fut.result(timeout=timeout)
                except BrokenProcessPool:
                    yield self._alone(fn, item, common, timeout)
                except FutureTimeout:
                    fut.cancel()
                    yield Lost(f"took longer than {timeout:g} s", died=False)
        except BaseException:
            for pool in pools:
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        for pool in pools:
            pool.shutdown(wait=True)

    def _alone(self, fn: Callable[[T, C], R], item: T, common: C, timeout: float | None) -> R | Lost:
        """``fn(item, common)`` in a process of its own, again while it kills its process."""
        for _ in range(ALLOWED_FAILURES):
            single = self._pool(1)
            fut = single.submit(fn, item, common)
            try:
                return fut.result(timeout=timeout)
            except BrokenProcessPool:
                log.warning("an item killed the worker process that read it alone")
            except FutureTimeout:
                return Lost(f"took longer than {timeout:g} s", died=False)
            finally:
                single.shutdown(wait=False, cancel_futures=True)
        return Lost(f"the worker processes died on it, {ALLOWED_FAILURES + 1} times", died=True)


def _in_order(submit: Callable[[T], F], items: Iterable[T], window: int, pending: deque[F]) -> Iterator[F]:
    """Each of ``items`` submitted, at most ``window`` in flight, and the futures handed out
    in submission order; ``pending`` holds those submitted and not yet handed out, for the
    caller to cancel when it stops early."""
    source = iter(items)
    while True:
        while len(pending) < window:
            try:
                item = next(source)
            except StopIteration:
                break
            pending.append(submit(item))
        if not pending:
            return
        yield pending.popleft()


def parse_address(address: str) -> tuple[str, int]:
    """``("local", N)`` for ``local:N``, ``("remote", 0)`` for a scheduler address
    (``tcp://HOST:PORT``, ``tls://…``, ``HOST:PORT``); :class:`UsageError` otherwise."""
    text = address.strip()
    if text.startswith("local:") or text == "local":
        count = text.partition(":")[2] or str(os.cpu_count() or 1)
        if not count.isdigit() or not 1 <= int(count) <= 1024:
            raise UsageError(f"--cluster {address}: local:N takes a number of worker processes (1-1024)")
        return "local", int(count)
    scheme, sep, rest = text.partition("://")
    if sep and scheme not in ("tcp", "tls", "ucx", "inproc", "ws", "wss"):
        raise UsageError(f"--cluster {address}: not a Dask scheduler address (tcp://HOST:8786) nor local:N")
    host, colon, port = (rest if sep else text).rpartition(":")
    if not colon or not host or not port.isdigit():
        raise UsageError(f"--cluster {address}: not a Dask scheduler address (tcp://HOST:8786) nor local:N")
    return "remote", 0


#: glibc's mallopt parameters, and the values its own sliding thresholds grow to at most
#: on 64-bit systems (the mmap threshold's maximum, the trim threshold twice that).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 << 20


def tune_malloc() -> None:
    """Undo Dask's ``MALLOC_TRIM_THRESHOLD_`` in this process (glibc only).

    Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
    ``distributed.nanny.pre-spawn-environ``), so that freed memory goes back to the system
    at once. Setting it also freezes glibc's mmap threshold at 128 KiB: every array the size
    of an image (a page is 4-8 MB, and reading it makes many) is then a fresh mapping that
    the kernel fills with zeros page by page. Measured on a page read: 20 times the page
    faults and about 15 % more time. A worker reads one page at a time, so letting glibc
    keep freed memory up to its usual thresholds costs little memory."""
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD_MAX)
    except (OSError, AttributeError):
        log.debug("cluster: mallopt is not available here")


def _identity(value: T) -> T:
    return value


@dataclass(slots=True)
class DaskExecutor:
    """The workers of a Dask cluster, through ``client``; ``ship``: send file bytes (the
    workers do not share this machine's storage). Close it (or use it as a context
    manager) to let go of the client and of the cluster it started."""

    client: Any
    address: str
    ship: bool = False
    cluster: Any = None  # the LocalCluster started for local:N, closed with this

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    @property
    def remote(self) -> bool:
        return True

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def each_worker(self, fn: Callable[[], R]) -> dict[str, R]:
        """``fn()`` run once in every worker process: worker address → its result."""
        return dict(self.client.run(fn))

    def run(
        self, fn: Callable[[T, C], R], items: Iterable[T], *, common: C, timeout: float | None = None
    ) -> Generator[R | Lost, None, None]:
        from distributed import KilledWorker

        # ``common`` as the result of a task rather than scattered data: a task's result
        # that is lost with its workers is computed again, scattered data is gone
        shared = self.client.submit(_identity, common, pure=False)
        window = max(8, self.workers * 4)
        pending: deque[Any] = deque()
        try:
            for fut in _in_order(lambda item: self.client.submit(fn, item, shared, pure=False), items, window, pending):
                try:
                    yield fut.result(timeout=timeout)
                except KilledWorker as exc:
                    log.warning("cluster: a task was given up after its workers died")
                    yield Lost(f"the worker processes died on it, again and again ({_worker_deaths(exc)})", died=True)
                except TimeoutError:
                    fut.cancel()
                    yield Lost(f"took longer than {timeout:g} s", died=False)
        finally:
            for fut in pending:
                fut.cancel()
            shared.cancel()


def _worker_deaths(exc: BaseException) -> str:
    text = str(exc)
    return "Dask gave it up" if not text else "Dask gave it up: " + text.split("\n")[0][:200]


def connect(
    address: str,
    *,
    ship: bool = False,
    memory_limit: str | int | None = None,
    prepare: Callable[[], object] | None = None,
) -> DaskExecutor:
    """An executor on the Dask cluster at ``address`` (``tcp://HOST:8786``), or on a
    ``LocalCluster`` of N single-threaded worker processes it starts (``local:N``).

    Every worker, those there now and those that join later, tunes its allocator
    (:func:`tune_malloc`) and runs ``prepare()`` once when it starts (loading what the
    work needs); this returns when the workers there now have done so.

    :class:`MissingDependencyError` (exit 5) when Dask distributed is not installed;
    :class:`UsageError` for an address that is none, or a scheduler that cannot be reached."""
    kind, count = parse_address(address)
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependencyError(INSTALL_HINT) from exc
    if kind == "local":
        # workers start the sandbox's reader processes, so they must not be daemonic; the
        # nannies in this process read this whenever they (re)start a worker, so it stays set
        dask.config.set({"distributed.worker.daemon": False})
        with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES, **QUIET}):
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=count,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=memory_limit if memory_limit is not None else "auto",
                silence_logs=logging.ERROR,
            )
            try:
                client = Client(cluster)  # type: ignore[no-untyped-call]
                _prepare(client, prepare)
            except BaseException:
                cluster.close()
                raise
        return DaskExecutor(client, address, ship=ship, cluster=cluster)
    try:
        client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"--cluster {address}: cannot reach the Dask scheduler ({type(exc).__name__})") from exc
    try:
        _prepare(client, prepare)
    except BaseException:
        client.close()
        raise
    return DaskExecutor(client, address, ship=ship)


def _prepare(client: Any, prepare: Callable[[], object] | None) -> None:
    from ._dask_worker import Prepare

    client.register_plugin(Prepare(prepare))


def differences(here: dict[str, str], workers: dict[str, dict[str, str]]) -> list[str]:
    """One line per worker and item where the worker's versions (``workers``: address →
    what :func:`oppforms.scan.versions.installed` gave there) differ from ``here``."""
    lines = []
    for address, theirs in sorted(workers.items()):
        for key in sorted(set(here) | set(theirs)):
            mine, other = here.get(key, "absent"), theirs.get(key, "absent")
            if mine != other:
                lines.append(f"{address}: {key} {other} (here: {mine})")
    return lines


def check_workers(executor: DaskExecutor, probe: Callable[[], dict[str, str]]) -> dict[str, dict[str, str]]:
    """Every worker's versions (``probe()`` run there), after checking them against this
    machine's; a :class:`MissingDependencyError` naming each difference when they differ,
    or when the cluster has no workers."""
    found = executor.each_worker(probe)
    if not found:
        raise MissingDependencyError(f"--cluster {executor.address}: the cluster has no workers")
    lines = differences(probe(), found)
    if lines:
        raise MissingDependencyError(
            f"--cluster {executor.address}: the workers differ from this machine; install the same versions "
            "there (see the README, 'Reading on a cluster'):\n  " + "\n  ".join(lines)
        )
    return found
