"""What every worker of a Dask cluster runs when it starts (imported only with Dask
installed, by :func:`oppforms.executor.connect`): a :class:`Prepare` plugin that gives
glibc's allocator its usual behaviour back (:func:`oppforms.executor.tune_malloc`) and
loads what reading needs, so a run's first pages do not wait for it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .executor import tune_malloc

log = logging.getLogger(__name__)


class Prepare(WorkerPlugin):
    """Runs ``prepare()`` in every worker process of the cluster: those there when it is
    registered, and every worker that joins later (one a nanny restarted after a death).
    Registered once per cluster (``idempotent``): a scheduler that other runs use keeps
    warm workers."""

    idempotent = True
    name = "oppforms-prepare"

    def __init__(self, prepare: Callable[[], object] | None) -> None:
        self.prepare = prepare

    def setup(self, worker: Any) -> None:
        tune_malloc()
        if self.prepare is not None:
            try:
                self.prepare()
            except Exception:  # a worker that cannot read says so on its first page, and in `cluster check`
                log.warning("cluster: preparing the worker failed", exc_info=True)
