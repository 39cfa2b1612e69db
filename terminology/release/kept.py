"""Computed release impacts kept for the page Ny release, its drill-downs and downloads (issue 20).

An impact at International size takes seconds to minutes (every active value set expanded at two versions, the
care directory walked on two closures), and the page, each decision's redirect and each CSV/Excel download ask
for the same one. It is kept under a key the caller gives: the code system, FROM, TO, the catalog generation
(:meth:`terminology.TerminologyService.generation`, which changes with every load, removal and stored resource
write) and whatever else the impact read (the care directory's generation), so a new load or write makes the
next request compute it again and nothing stale is shown.

At most ``size`` impacts are kept (oldest dropped first, :class:`~terminology.bounded.Bounded`) and one is
computed at a time, on a worker thread of its own: a second request for an impact being computed waits for
that computation instead of starting another, and a page may wait a bounded time and say "beräknar..." while
the work goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Callable, Hashable

from ..bounded import Bounded

log = logging.getLogger(__name__)


class KeptImpacts:
    """The last ``size`` computed impacts by key, and the one being computed."""

    def __init__(self, size: int = 4) -> None:
        self._done = Bounded(size, "release_impacts")
        self._running: dict[Hashable, Future] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="release-impact")

    def get(self, key: Hashable, compute: Callable[[], object], wait: float | None = None):
        """The impact kept under ``key``, computing it (once, on the worker) when there is none. ``wait``: how
        many seconds to wait for a computation (None: until it is done); None when it is still running then.
        An error of the computation is raised to every caller waiting for it, and nothing is kept."""
        with self._lock:
            found = self._done.get(key)
            if found is not None:
                return found
            future = self._running.get(key)
            if future is None:
                future = self._worker.submit(self._run, key, compute)
                self._running[key] = future
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            return None

    def running(self, key: Hashable) -> bool:
        """Whether the impact under ``key`` is being computed now."""
        with self._lock:
            return key in self._running

    def _run(self, key: Hashable, compute: Callable[[], object]):
        t0 = time.perf_counter()
        try:
            result = compute()
            self._done[key] = result
            log.info("release impact computed in %.1f s and kept: %s", time.perf_counter() - t0, key)
            return result
        finally:
            with self._lock:
                self._running.pop(key, None)
