"""The benchmark (``vardterm bench``): every figure of ``shared/design/benchmarks.md`` that the server can
measure today, on synthetic data anyone can regenerate.

It generates (or reuses) a synthetic release, loads it into each backend in a child process (wall time and
the child's peak RSS), starts the server (one uvicorn worker) on the embedded SQLite database and measures
over HTTP with a keep-alive load generator. Medians and 95th percentiles over repeated requests; the table
is printed and written as JSON with the machine and the git commit.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import text

from terminology import Database, SubsumesRequest, TerminologyService, snomed

from . import ecl_bench, httpload
from .progress import Progress


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    note: str = ""


@dataclass(frozen=True)
class BenchOptions:
    scale: str | int = "ci"
    seed: int = 42
    workdir: Path = Path("/tmp/vardterm-bench")
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    pg_admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    requests: int = 2000
    concurrency: int = 8
    out: Path = Path("bench-results")
    load: bool = True
    """False: reuse the databases loaded by an earlier run in ``workdir``."""


def run(opts: BenchOptions) -> list[Figure]:
    """Run the whole benchmark and return its figures."""
    release = ensure_release(opts)
    figures: list[Figure] = []
    urls: dict[str, str] = {}
    for backend in opts.backends:
        if not opts.load:
            urls[backend] = _database_url(backend, opts)
            continue
        url = _fresh_database(backend, opts)
        seconds, rss = _load_in_child(url, release)
        target = "<= 120 s, <= 3 GiB (intl)" if backend == "sqlite" else "<= 240 s (intl)"
        figures.append(Figure(f"load_{backend}", round(seconds, 1), "s", target, f"scale {opts.scale}"))
        figures.append(Figure(f"load_{backend}_peak_rss", round(rss / 1024, 0), "MiB", "<= 3072 (intl)"))
        urls[backend] = url
    serve_url = urls.get("sqlite") or next(iter(urls.values()))
    figures += _http_figures(serve_url, opts)
    figures += _in_process_figures(serve_url)
    figures += ecl_bench.figures(serve_url, Figure)
    _report(figures, opts)
    return figures


def run_expressions(opts: BenchOptions) -> list[Figure]:
    """``--suite expressions``: post-coordinated expressions over HTTP and in process, on the SQLite database of
    ``workdir`` (loaded first unless ``opts.load`` is false)."""
    from . import expression_bench

    url = _database_url("sqlite", opts)
    if opts.load:
        release = ensure_release(opts)
        url = _fresh_database("sqlite", opts)
        _load_in_child(url, release)
    proc, base, _ = _start_server(url)
    try:
        figures = expression_bench.figures(url, base, Figure)
    finally:
        proc.terminate()
        proc.wait(10)
    _report(figures, opts)
    return figures


# --- data -------------------------------------------------------------------------------------------


def ensure_release(opts: BenchOptions) -> list[Path]:
    """Generate the synthetic release for ``opts.scale`` once; later runs reuse it."""
    from .synth import SynthParams, generate

    params = SynthParams(scale=opts.scale, seed=opts.seed, extension=False, versions=1, full=False)
    target = opts.workdir / f"release-{opts.scale}-{opts.seed}"
    stamp = target / ".complete"
    if not stamp.exists():
        shutil.rmtree(target, ignore_errors=True)
        progress = Progress("synth")
        result = generate(target, params, progress)
        progress.done(f"Generated a {opts.scale} release in {target}")
        stamp.write_text(json.dumps({"packages": [str(p.path) for p in result.packages]}))
    return [Path(p) for p in json.loads(stamp.read_text())["packages"]]


def _database_url(backend: str, opts: BenchOptions) -> str:
    if backend == "sqlite":
        return f"sqlite:///{opts.workdir / 'sqlite' / 'vardterm.db'}"
    return opts.pg_admin_url.rsplit("/", 1)[0] + "/vardterm_bench"


def _fresh_database(backend: str, opts: BenchOptions) -> str:
    if backend == "sqlite":
        folder = opts.workdir / "sqlite"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return _database_url(backend, opts)
    from sqlalchemy import create_engine
    admin = create_engine(opts.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "vardterm_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "vardterm_bench"'))
    admin.dispose()
    return _database_url(backend, opts)


def _load_child(url: str, release: list[str], queue) -> None:
    from .loading import load_rf2

    db = Database(url)
    db.initialise()
    t0 = time.perf_counter()
    load_rf2(db, release, progress=Progress("load"))
    queue.put((time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def _load_in_child(url: str, release: list[Path]) -> tuple[float, int]:
    """Load in a fresh process; return wall seconds and that process's peak RSS in KiB."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_load_child, args=(url, [str(p) for p in release], queue))
    proc.start()
    result = queue.get()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"the benchmark load failed (exit {proc.exitcode})")
    return result


# --- HTTP figures -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(url: str, **settings: str) -> tuple[subprocess.Popen, str, float]:
    """A server on ``url`` (one uvicorn worker); ``settings`` are extra ``VARDTERM_*`` values by name."""
    port = free_port()
    env = {**os.environ, "VARDTERM_DATABASE_URL": url, "VARDTERM_MAX_EXPANSION_SIZE": "1000000",
           "VARDTERM_LOG_LEVEL": "WARNING", **{f"VARDTERM_{k.upper()}": v for k, v in settings.items()}}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "scripts.serve:app", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env=env, cwd=Path(__file__).resolve().parents[1])
    base = f"http://127.0.0.1:{port}/fhir/r4"
    wait_for(f"{base}/metadata", proc, timeout=60, interval=0.02)
    return proc, base, time.perf_counter() - t0


def wait_for(url: str, proc: subprocess.Popen, *, timeout: float, interval: float = 0.2) -> None:
    """Return once ``url`` answers 200; RuntimeError when ``proc`` exits or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start ({url})")
        time.sleep(interval)


def _sample(url: str, n: int, seed: int = 7) -> tuple[list[int], list[tuple[int, int]], list[str]]:
    """Random active concepts, the subtrees by size, and words from terms, read from the loaded version."""
    db = Database(url)
    version = db.versions()[0]
    engine = db.storage_engine(version.storage)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM concept WHERE active = 1"))]
        sizes = [(r[0], r[1]) for r in conn.execute(text(
            "SELECT ancestor_id, COUNT(*) FROM closure GROUP BY ancestor_id ORDER BY 2 DESC LIMIT 400"))]
        terms = [r[0] for r in conn.execute(text(
            "SELECT term FROM description WHERE active = 1 ORDER BY id LIMIT 5000"))]
    db.dispose()
    rng = random.Random(seed)
    words = sorted({w for t in terms for w in t.split() if w.isalpha() and len(w) > 4})
    return rng.sample(ids, min(n, len(ids))), sizes, rng.sample(words, min(200, len(words)))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _timed_get(client: httpx.Client, path: str, headers: dict | None = None) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    r = client.get(path, headers=headers)
    return (time.perf_counter() - t0) * 1000, r


def _http_figures(url: str, opts: BenchOptions) -> list[Figure]:
    proc, base, started = _start_server(url)
    figures = [Figure("server_start_to_first_answer", round(started, 2), "s", "<= 2 s")]
    try:
        ids, sizes, words = _sample(url, opts.requests)
        sct = quote(snomed.SYSTEM, safe="")
        lookups = [f"/CodeSystem/$lookup?system={sct}&code={i}" for i in ids]
        httpload.run(base, lookups[:200], requests=200, concurrency=1)
        seq = httpload.run(base, lookups, requests=len(lookups), concurrency=1)
        figures.append(Figure("lookup_http_p50", round(statistics.median(seq.latencies_ms), 2), "ms", "<= 2 ms",
                              f"p95 {_p(seq.latencies_ms, 0.95):.2f} ms, 1 connection"))
        conc = httpload.run(base, lookups, requests=max(5 * len(lookups), 5000), concurrency=opts.concurrency)
        figures.append(Figure("lookup_http_rps", round(conc.rate), "req/s", ">= 2000 req/s",
                              f"{opts.concurrency} concurrent clients, {conc.errors} errors"))
        top = sizes[0][0]
        vs = quote(f"{snomed.SYSTEM}?fhir_vs=isa/{top}", safe="")
        validates = [f"/ValueSet/$validate-code?url={vs}&system={sct}&code={i}" for i in ids]
        val = httpload.run(base, validates, requests=len(validates), concurrency=1)
        figures.append(Figure("validate_code_isa_http_p50", round(statistics.median(val.latencies_ms), 2), "ms",
                              "<= 3 ms", f"value set isa/{top} ({sizes[0][1]:,} codes)"))
        with httpx.Client(base_url=base, timeout=120) as client:
            figures += _expand_figures(client, sizes, words)
            ecl = quote(f"{snomed.SYSTEM}?fhir_vs=ecl/{ecl_bench.refinement_expression(url)}", safe="")
            times, total = [], 0
            for _ in range(5):
                ms, r = _timed_get(client, f"/ValueSet/$expand?url={ecl}&count=100")
                r.raise_for_status()
                times.append(ms)
                total = r.json()["expansion"]["total"]
            figures.append(Figure("expand_ecl_refinement_http", round(statistics.median(times), 1), "ms", "",
                                  f"two grouped refinements OR-ed, {total:,} codes, first 100, median of 5"))
    finally:
        proc.terminate()
        proc.wait(10)
    return figures


def _expand_figures(client: httpx.Client, sizes: list[tuple[int, int]], words: list[str]) -> list[Figure]:
    figures = []
    largest, largest_n = sizes[0]
    near, near_n = min(sizes, key=lambda s: abs(s[1] - 100_000))
    for label, concept, n in (("largest", largest, largest_n), ("near_100k", near, near_n)):
        url = quote(f"{snomed.SYSTEM}?fhir_vs=isa/{concept}", safe="")
        times = []
        for _ in range(3):
            ms, r = _timed_get(client, f"/ValueSet/$expand?url={url}")
            r.raise_for_status()
            times.append(ms)
        figures.append(Figure(f"expand_full_{label}", round(statistics.median(times)), "ms", "<= 1000 ms (100k)",
                              f"{n + 1:,} codes, median of 3"))
    url = quote(f"{snomed.SYSTEM}?fhir_vs=isa/{largest}", safe="")
    rng = random.Random(3)
    paged = [_timed_get(client, f"/ValueSet/$expand?url={url}&count=100&offset={rng.randrange(largest_n)}")[0]
             for _ in range(50)]
    figures.append(Figure("expand_paged_100", round(statistics.median(paged), 2), "ms", "<= 20 ms",
                          f"largest subtree, random offsets, p95 {_p(paged, 0.95):.1f} ms"))
    root = quote(f"{snomed.SYSTEM}?fhir_vs=isa/{snomed.ROOT}", safe="")
    search = [_timed_get(client, f"/ValueSet/$expand?url={root}&count=20&filter={quote(w[:5])}")[0] for w in words]
    figures.append(Figure("text_search_top20_p50", round(statistics.median(search), 2), "ms", "<= 10 ms",
                          f"5-letter prefixes over all concepts, p95 {_p(search, 0.95):.1f} ms"))
    return figures


def _in_process_figures(url: str) -> list[Figure]:
    db = Database(url)
    svc = TerminologyService(db, refresh_seconds=60)
    ids, _, _ = _sample(url, 2000, seed=11)
    pairs = list(zip(ids[::2], ids[1::2]))
    for a, b in pairs[:100]:
        svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a=str(a), code_b=str(b)))
    times = []
    for a, b in pairs:
        t0 = time.perf_counter()
        svc.subsumes(SubsumesRequest(system=snomed.SYSTEM, code_a=str(a), code_b=str(b)))
        times.append((time.perf_counter() - t0) * 1000)
    db.dispose()
    return [Figure("subsumes_in_process_p50", round(statistics.median(times), 3), "ms", "<= 1 ms",
                   f"p95 {_p(times, 0.95):.3f} ms")]


# --- report -----------------------------------------------------------------------------------------


def machine() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "memory_gib": round(mem, 1), "processor": platform.processor() or platform.machine()}


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1]).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _report(figures: list[Figure], opts: BenchOptions) -> None:
    opts.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    doc = {"scale": str(opts.scale), "machine": machine(), "commit": git_commit(), "taken": stamp,
           "figures": [asdict(f) for f in figures]}
    path = opts.out / f"bench-{opts.scale}-{stamp}.json"
    path.write_text(json.dumps(doc, indent=2))
    print(format_table(figures))
    print(f"\nWritten to {path}")


def format_table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "note")] + [
        (f.name, f"{f.value:g} {f.unit}", f.target, f.note) for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
