"""``vardterm bench --suite nodes``: throughput of ``$lookup`` and ``$validate-code`` with 1, 2 and 4 server
processes (``vardterm serve --workers N``) on one database, SQLite and PostgreSQL, and the cost of the
metrics (``$lookup`` at 1 and 8 clients with ``VARDTERM_METRICS`` on and off).

The synthetic edition of ``--scale`` is loaded into each backend (or, with ``--no-load``, the databases of an
earlier ``vardterm bench`` run in the same ``--workdir`` are reused). Each figure is ``hey`` (Go; a load
generator that costs the 2-core machine far less than a Python one) for a fixed time against one request
shape: a concept in the middle of the hierarchy for ``$lookup``, and ``CodeSystem/$validate-code`` of the same
concept with its display. Requests per second, with the load average beside each figure (the machine is
shared); without ``hey`` on the PATH the project's own load generator (``scripts/httpload.py``) is used.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from terminology import Database, snomed

from . import httpload
from .bench import (BenchOptions, Figure, _database_url, free_port, _fresh_database, _load_in_child, _report,
                    ensure_release, wait_for)
from .progress import Progress

PROCESSES = (1, 2, 4)
REPO = Path(__file__).resolve().parents[1]


def run_nodes(*, backends: tuple[str, ...], pg_admin_url: str, workdir: Path, out: Path, scale: str | int,
              load: bool, seconds: int = 10, clients: int = 8) -> list[Figure]:
    opts = BenchOptions(scale=scale, backends=backends, pg_admin_url=pg_admin_url, workdir=workdir, out=out)
    progress = Progress("bench")
    figures: list[Figure] = []
    for backend in backends:
        if load:
            url = _fresh_database(backend, opts)
            wall, rss = _load_in_child(url, ensure_release(opts))
            figures.append(Figure(f"load_{backend}", round(wall, 1), "s", "", f"scale {scale}, {_load_avg()}"))
            figures.append(Figure(f"load_{backend}_peak_rss", round(rss / 1024), "MiB", ""))
        else:
            url = _database_url(backend, opts)
        code, display = _concept(url)
        sct = quote(snomed.SYSTEM, safe="")
        shapes = {"lookup": f"/fhir/r4/CodeSystem/$lookup?system={sct}&code={code}",
                  "validate_code": f"/fhir/r4/CodeSystem/$validate-code?url={sct}&code={code}"
                                   f"&display={quote(display)}"}
        for n in PROCESSES:
            progress(f"{backend}, {n} process(es)", PROCESSES.index(n), len(PROCESSES))
            with _server(url, workers=n) as base:
                for name, path in shapes.items():
                    rate = _throughput(base + path, clients=clients, seconds=seconds)
                    figures.append(Figure(f"{name}_rps_{backend}_{n}_processes", round(rate), "req/s", "",
                                          f"{clients} clients, {_load_avg()}"))
        if backend == backends[0]:
            for metrics, micros in _observer_overhead().items():
                figures.append(Figure(f"request_observer_cpu_{'with' if metrics else 'without'}_metrics",
                                      round(micros, 1), "us", "", "per request, in process (no HTTP, no database)"))
            for metrics in (True, False):
                with _server(url, workers=1, metrics=metrics) as base:
                    for c in (1, 8):
                        rate = _throughput(base + shapes["lookup"], clients=c, seconds=seconds)
                        figures.append(Figure(f"lookup_rps_{backend}_metrics_{'on' if metrics else 'off'}_{c}_"
                                              f"client{'s' if c > 1 else ''}", round(rate), "req/s", "",
                                              f"1 process, {_load_avg()}"))
    progress.done("measured")
    _report(figures, BenchOptions(scale=f"nodes-{scale}", out=out))
    return figures


def _observer_overhead(requests: int = 20_000) -> dict[bool, float]:
    """CPU microseconds per request that ``api.observe.RequestObserver`` adds (request id, route template,
    and with metrics one histogram observation) around an app that answers at once: a figure of the code
    alone, which a busy machine disturbs far less than a throughput."""
    import asyncio

    from api.metrics import Metrics
    from api.observe import RequestObserver

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        return None

    def scope() -> dict:
        return {"type": "http", "method": "GET", "path": "/fhir/r4/CodeSystem/$lookup", "route": app,
                "path_params": {}, "headers": [(b"host", b"localhost")]}

    async def cpu(handler) -> float:
        started = time.process_time()
        for _ in range(requests):
            await handler(scope(), receive, send)
        return time.process_time() - started

    async def measure() -> dict[bool, float]:
        bare = min([await cpu(app) for _ in range(3)])
        out = {}
        for metrics in (True, False):
            observer = RequestObserver(app, metrics=Metrics(None) if metrics else None)
            out[metrics] = (min([await cpu(observer) for _ in range(3)]) - bare) / requests * 1e6
        return out

    return asyncio.run(measure())


def _concept(url: str) -> tuple[str, str]:
    """An active concept with at least one parent and one child (mid-hierarchy), and its English display."""
    db = Database(url)
    version = db.versions()[0]
    with db.storage_engine(version.storage).connect() as conn:
        from sqlalchemy import text
        row = conn.execute(text(
            "SELECT c.ancestor_id, t.term FROM closure c JOIN concept_term t ON t.concept_id = c.ancestor_id "
            "AND t.refset_id = 900000000000509007 GROUP BY c.ancestor_id, t.term HAVING COUNT(*) BETWEEN 5 AND 50 "
            "ORDER BY c.ancestor_id LIMIT 1")).first()
    db.dispose()
    return str(row[0]), row[1]


class _server:
    """``vardterm serve --workers N`` on ``url`` and a free port, until the block ends."""

    def __init__(self, url: str, *, workers: int, metrics: bool = True) -> None:
        self.url, self.workers, self.metrics = url, workers, metrics

    def __enter__(self) -> str:
        port = free_port()
        env = {**os.environ, "VARDTERM_DATABASE_URL": self.url, "VARDTERM_LOG_LEVEL": "WARNING",
               "VARDTERM_METRICS": str(self.metrics).lower(), "VARDTERM_DB_POOL_SIZE": "8"}
        self.proc = subprocess.Popen([sys.executable, "-m", "scripts.cli", "serve", "--port", str(port),
                                      "--workers", str(self.workers)], env=env, cwd=REPO)
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/health/ready", self.proc, timeout=180)
        for _ in range(50 * self.workers):  # warm every worker's connections and caches
            httpx.get(f"{base}/health/ready")
        return base

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _throughput(url: str, *, clients: int, seconds: int) -> float:
    """Requests per second over ``seconds`` with ``clients`` keep-alive connections (after 2 s of warm-up)."""
    hey = shutil.which("hey")
    if hey is None:
        base, _, path = url.partition("/fhir")
        path = "/fhir" + path
        httpload.run(base, [path], requests=500, concurrency=clients)
        return httpload.run(base, [path], requests=clients * 2000, concurrency=clients).rate
    subprocess.run([hey, "-z", "2s", "-c", str(clients), url], capture_output=True, check=True)
    out = subprocess.run([hey, "-z", f"{seconds}s", "-c", str(clients), url], capture_output=True, text=True,
                         check=True).stdout
    statuses = re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)
    if any(code != "200" for code, _ in statuses):
        raise RuntimeError(f"non-200 answers during the benchmark: {statuses}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _load_avg() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"
