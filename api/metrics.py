"""Prometheus metrics with ``prometheus-client`` (its one home), at ``/metrics`` and optionally on a port of
their own.

What is measured:

* ``vardterm_http_request_duration_seconds{route,method,status}``: a histogram per route template (the FHIR
  operation or REST interaction), method and status; its ``_count`` is the number of requests;
* ``vardterm_db_connections{pool,state}``: connections ``open`` and ``in_use`` per pool (``catalog``,
  ``replica``, ``storage:<name>`` per loaded version);
* ``vardterm_cache_lookups_total{cache,result}`` (``hit``/``miss``) and ``vardterm_cache_entries{cache}``:
  the caches keyed by version (parsed resources, code-system providers, concept-set counts);
* ``vardterm_terminology_version_loaded{system,version}``: 1 for every version the node serves.

Several workers (``vardterm serve --workers N``) share one set of numbers through prometheus-client's
multiprocess mode: ``vardterm serve`` gives the workers a fresh ``PROMETHEUS_MULTIPROC_DIR``, each writes its
values there, and a scrape of any worker (or of ``VARDTERM_METRICS_PORT``, served by the parent process)
sums them. Pool, cache and version figures are sampled every few seconds and at each scrape, so a request
pays only for one histogram observation.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess, start_http_server)

import terminology as t

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SAMPLE_SECONDS = 5.0
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Histogram("vardterm_http_request_duration_seconds", "HTTP requests by route template, method and "
                     "status: duration in seconds (_count: number of requests)", ["route", "method", "status"],
                     buckets=BUCKETS)
POOL = Gauge("vardterm_db_connections", "Database connections per pool: open, in_use", ["pool", "state"],
             multiprocess_mode="livesum")
CACHE = Counter("vardterm_cache_lookups", "Cache lookups by cache and result (hit, miss)", ["cache", "result"])
CACHE_SIZE = Gauge("vardterm_cache_entries", "Entries per cache", ["cache"], multiprocess_mode="livesum")
VERSIONS = Gauge("vardterm_terminology_version_loaded", "1 for each code system version the node serves",
                 ["system", "version"], multiprocess_mode="livemax")


def registry() -> CollectorRegistry:
    """What a scrape reads: every worker's files in multiprocess mode, else this process's registry."""
    if os.environ.get(MULTIPROC_ENV):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    """The metrics in the Prometheus text format, and its media type."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def serve_port(port: int, host: str) -> None:
    """Serve the metrics without credentials on ``port`` (a daemon thread of the calling process)."""
    start_http_server(port, addr=host, registry=registry())


class Metrics:
    """The metrics of one app: request observations, and a sampler of pools, caches and versions."""

    def __init__(self, service: t.TerminologyService) -> None:
        self.service = service
        self._children: dict[tuple[str, str, int], object] = {}
        self._cache_seen: dict[str, tuple[int, int]] = {}
        self._versions: set[tuple[str, str]] = set()
        self._pools: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """One finished request (called by :class:`api.observe.RequestObserver`)."""
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = REQUESTS.labels(route, method, str(status))
        child.observe(seconds)

    def sample(self) -> None:
        """Read the pools, caches and loaded versions of this process into the gauges and counters."""
        with self._lock:
            pools = self.service.db.pools()
            for name in self._pools - set(pools):
                for state in ("open", "in_use"):
                    POOL.labels(name, state).set(0)
            for name, (open_, in_use) in pools.items():
                POOL.labels(name, "open").set(open_)
                POOL.labels(name, "in_use").set(in_use)
            self._pools = set(pools)
            for name, (hits, misses, entries) in t.cache_stats().items():
                seen_hits, seen_misses = self._cache_seen.get(name, (0, 0))
                if hits > seen_hits:
                    CACHE.labels(name, "hit").inc(hits - seen_hits)
                if misses > seen_misses:
                    CACHE.labels(name, "miss").inc(misses - seen_misses)
                self._cache_seen[name] = (max(hits, seen_hits), max(misses, seen_misses))
                CACHE_SIZE.labels(name).set(entries)
            versions = {(v.system, v.version) for v in self.service.versions()}
            for gone in self._versions - versions:
                VERSIONS.labels(*gone).set(0)
            for current in versions:
                VERSIONS.labels(*current).set(1)
            self._versions = versions

    def start(self) -> None:
        """Sample every few seconds in a daemon thread (until :meth:`stop`), so idle workers report too."""
        _forget_dead_workers()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="vardterm-metrics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if os.environ.get(MULTIPROC_ENV):
            multiprocess.mark_process_dead(os.getpid())

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a failed sample (database away) must not end the sampler
                log.debug("metrics sample failed", exc_info=True)


def _forget_dead_workers() -> None:
    """Multiprocess mode: drop the live gauges of workers that are gone (a restarted worker has a new pid)."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        return
    pids = {int(m.group(1)) for p in Path(folder).glob("gauge_live*_*.db")
            if (m := re.search(r"_(\d+)\.db$", p.name))}
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid)
        except PermissionError:
            pass
