"""``vardterm bench --suite http``: throughput and latency over HTTP, the way validating systems meet the server.

The request shapes are those of the public HealthSamurai tx-benchmark's SNOMED CT tests and of issue 18's list
(:mod:`scripts.http_pools` builds the pools). Each test runs for a fixed time at each client count (1, 10, 50)
with `wrk`, a C load generator driven by :file:`http_bench.lua`, which draws every request at random from the
test's pool; a Python client on a 2-core machine would saturate before the server does. The same run measures
the generator against a trivial endpoint (``GET /health/live``: the *ceiling*) and records the CPU time wrk and the
server used, so a reader can see which side was the limit.

By default the server is started here exactly as the README tells users: ``vardterm serve`` on a database (the
demo database, built with ``vardterm demo --no-serve`` when missing), one worker, default settings. With
``url`` an already running server is measured instead (e.g. an older commit's, for before/after comparisons).

Before the timed runs every pool entry is sent once (also a warm-up) and its answer checked against what the
pool expects (status, result, outcome, total, number of codes); disagreements are reported per test with
examples. During the runs an answer whose HTTP status is not the test's expected one (200, or 404 for LK05) or a
transport error counts as an error.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

from api import Settings
from terminology import Accounts, Database

from . import http_pools as pools
from .bench import free_port, git_commit, machine

LUA = Path(__file__).with_name("http_bench.lua")
CEILING = "ceiling"
INSTALL_WRK = ("the load generator wrk is not installed. Install it with: apt-get install wrk "
               "(Debian/Ubuntu; brew install wrk on macOS)")


class HttpBenchError(RuntimeError):
    """A run that cannot be made (no wrk, a server that does not start, a database with nothing loaded)."""


@dataclass(frozen=True)
class HttpBenchOptions:
    url: str | None = None
    """A running server's root URL (``http://host:port``); None starts ``vardterm serve`` on ``database_url``."""
    database_url: str | None = "sqlite:///data/vardterm.db"
    """The database of the server started here; with ``url``, the running server's database if known (only to
    make a temporary API key for test i's PUT)."""
    build_demo: bool = True
    """Build the demo data into ``database_url`` when it holds no SNOMED CT edition yet."""
    clients: tuple[int, ...] = (1, 10, 50)
    seconds: int = 10
    fhir: str = "r5"
    pools: Path | None = None
    """A pools file written by an earlier run, to send exactly the same requests again."""
    api_key: str | None = None
    """For the PUT of test i's ValueSet on a running server (a server started here gets a temporary key)."""
    tests: tuple[str, ...] = ()
    """Only these tests (ids such as LK01 or a); all when empty. The ceiling always runs."""
    seed: int = 42
    lookups: int = 250
    """How many concepts the pools read whole (fewer for a smoke run)."""
    preflight: int = 400
    """How many entries of each pool are sent once and checked before the timed runs."""
    out: Path = Path("bench-results")


def run_http(opts: HttpBenchOptions) -> dict:
    """Run the suite; print the table and write the JSON report (and the pools) to ``opts.out``."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise HttpBenchError(INSTALL_WRK)
    opts.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    load_start = os.getloadavg()
    with _target(opts) as (root, server_pid, key, target):
        base = f"{root}/fhir/{opts.fhir}"
        with httpx.Client(base_url=base, timeout=120, headers={"Accept": "application/fhir+json"}) as client:
            if opts.pools:
                tests, stored = pools.from_json(opts.pools.read_text("utf-8"))
                _say(f"pools read from {opts.pools}")
            else:
                tests, stored = pools.build(client, seed=opts.seed, lookups=opts.lookups, fhir=opts.fhir,
                                            progress=_say)
            pools_path = opts.out / f"bench-http-pools-{stamp}.json"
            pools_path.write_text(pools.to_json(tests, y_value_set=stored), "utf-8")
            unknown = set(opts.tests) - {t.id for t in tests}
            if unknown:
                raise HttpBenchError(f"no test {', '.join(sorted(unknown))}; the tests are "
                                     + ", ".join(t.id for t in tests))
            tests = [t for t in tests if t.entries and (not opts.tests or t.id in opts.tests)]
            storing = any(t.id == "i" for t in tests)
            skipped = _store(client, stored, key or opts.api_key) if storing else []
            tests = [t for t in tests if t.id not in skipped]
            try:
                results = [_run_test(wrk, root, f"/fhir/{opts.fhir}", t, client, opts, server_pid)
                           for t in [_ceiling(), *tests]]
            finally:
                if storing and not skipped:
                    client.delete(f"/ValueSet/{stored['id']}", headers=_auth(key or opts.api_key))
    doc = {"suite": "http", "machine": machine(), "commit": git_commit(), "taken": stamp,
           "load_average": {"start": [round(x, 2) for x in load_start],
                            "end": [round(x, 2) for x in os.getloadavg()]},
           "target": target, "fhir_base": f"/fhir/{opts.fhir}", "seconds": opts.seconds,
           "clients": list(opts.clients), "generator": _wrk_version(wrk), "pools": str(pools_path),
           "skipped": skipped, "tests": results}
    path = opts.out / f"bench-http-{stamp}.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), "utf-8")
    print(format_report(doc))
    print(f"\nWritten to {path} (pools: {pools_path})")
    return doc


# --- the server -------------------------------------------------------------------------------------------


@contextmanager
def _target(opts: HttpBenchOptions) -> Iterator[tuple[str, int | None, str | None, dict]]:
    """``(root URL, server pid or None, temporary API key or None, description)`` of the server to measure."""
    if opts.url:
        root = re.sub(r"/fhir(/r[45])?/?$", "", opts.url.rstrip("/"))
        with _temporary_key(opts.database_url) as key:
            yield root, _local_server(root), key, {"url": root, "started": False, "health": _health(root)}
        return
    url = _absolute(opts.database_url)
    _ensure_loaded(url, opts.build_demo)
    with _temporary_key(url) as key, _server(url) as (root, pid):
        yield root, pid, key, {"url": root, "started": True, "database_url": url, "command": "vardterm serve",
                               "health": _health(root)}


@contextmanager
def _temporary_key(database_url: str | None) -> Iterator[str | None]:
    """An API key with the informatiker role in ``database_url`` for the run (revoked after it), or None."""
    if database_url is None:
        yield None
        return
    db = Database(_absolute(database_url))
    key = Accounts(db).add_key("vardterm-bench", ("informatiker",), None)
    try:
        yield key
    finally:
        Accounts(db).revoke_key(key.split(".", 1)[0])
        db.dispose()


@contextmanager
def _server(url: str) -> Iterator[tuple[str, int]]:
    """``vardterm serve`` on ``url`` with its defaults (one worker per core), on a free port of 127.0.0.1."""
    port = free_port()
    command = [sys.executable, "-m", "scripts.cli", "--database-url", url, "serve", "--host", "127.0.0.1",
               "--port", str(port)]
    with tempfile.NamedTemporaryFile("w+", prefix="vardterm-bench-serve-", suffix=".log") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        root = f"http://127.0.0.1:{port}"
        try:
            _wait(root, proc, log)
            _say(f"started vardterm serve (default settings: {Settings().workers} workers) on {url} at {root}")
            yield root, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _absolute(url: str) -> str:
    """A SQLite URL with an absolute path, so the server finds the file whatever its working directory."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
    return url


def _ensure_loaded(url: str, build_demo: bool) -> None:
    db = Database(url)
    try:
        db.initialise()
        loaded = bool(db.versions(kind="snomed"))
    finally:
        db.dispose()
    if loaded:
        return
    if not build_demo:
        raise HttpBenchError(f"no SNOMED CT edition is loaded in {url}: load one (vardterm load rf2 ...), "
                             "or leave out --database-url to use the demo data")
    _say(f"building the demo data in {url} (vardterm demo --no-serve)")
    done = subprocess.run([sys.executable, "-m", "scripts.cli", "--database-url", url, "--log-level", "WARNING",
                           "demo", "--no-serve"], capture_output=True, text=True)
    if done.returncode != 0:
        raise HttpBenchError(f"vardterm demo failed: {done.stderr[-800:]}")


def _wait(root: str, proc: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{root}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    log.seek(0)
    raise HttpBenchError(f"vardterm serve did not start: {log.read()[-1500:]}")


def _health(root: str) -> dict:
    try:
        return httpx.get(f"{root}/health", timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise HttpBenchError(f"no answer from {root}/health: {exc}") from None


def _auth(key: str | None) -> dict:
    return {"Authorization": f"ApiKey {key}"} if key else {}


def _store(client: httpx.Client, value_set: dict, key: str | None) -> list[str]:
    """PUT test i's ValueSet; the ids of the tests skipped (``["i"]``) when the server refuses it."""
    r = client.put(f"/ValueSet/{value_set['id']}", json=value_set,
                   headers={"Content-Type": "application/fhir+json", **_auth(key)})
    if r.status_code in (200, 201):
        return []
    _say(f"test i skipped: PUT ValueSet/{value_set['id']} answered {r.status_code} (give --api-key with the "
         "informatiker role to measure a stored ValueSet on a running server)")
    return ["i"]


# --- one test ---------------------------------------------------------------------------------------------


def _ceiling() -> pools.Test:
    return pools.Test(CEILING, "GET /health/live: the load generator's ceiling (a trivial endpoint)", "generator",
                      [pools.Entry("GET", "/health/live")])


def _run_test(wrk: str, root: str, prefix: str, test: pools.Test, client: httpx.Client, opts: HttpBenchOptions,
              server_pid: int | None) -> dict:
    path_prefix = "" if test.id == CEILING else prefix
    preflight = _preflight(client, root, path_prefix, test, opts.preflight)
    runs = []
    with tempfile.TemporaryDirectory(prefix="vardterm-bench-") as tmp:
        pool_file = Path(tmp) / "pool.txt"
        pool_file.write_text("".join(f"{e.method}\t{path_prefix}{e.path}\t"
                                     f"{json.dumps(e.body, separators=(',', ':')) if e.body else ''}\n"
                                     for e in test.entries), "utf-8")
        for clients in opts.clients:
            run = _wrk(wrk, root, pool_file, clients, opts.seconds, server_pid, test.expected_status)
            _say(f"{test.id:<8} {clients:>3} clients: {run['rps']:>9,.0f} req/s, p50 {run['p50_ms']:.2f} ms, "
                 f"p99 {run['p99_ms']:.2f} ms, {run['errors']} errors")
            runs.append(run)
            _settle(root, server_pid)
    return {"id": test.id, "title": test.title, "source": test.source, "expected_status": test.expected_status,
            "pool_size": len(test.entries), "preflight": preflight, "runs": runs}


def _preflight(client: httpx.Client, root: str, prefix: str, test: pools.Test, limit: int) -> dict:
    """Send each pool entry once and check its answer: the count of disagreements with up to 5 examples, and
    the 3 slowest requests (one client, so these times are the request's own)."""
    wrong, examples, timed = 0, [], []
    entries = test.entries[:limit]
    for e in entries:
        url = f"{root}{prefix}{e.path}"
        started = time.perf_counter()
        r = client.request(e.method, url, json=e.body,
                           headers={"Content-Type": "application/fhir+json"} if e.body else None)
        timed.append(((time.perf_counter() - started) * 1000, e))
        problem = check(e.expect, r.status_code, _json_or_none(r))
        if problem:
            wrong += 1
            if len(examples) < 5:
                examples.append({"request": f"{e.method} {prefix}{e.path}", "body": e.body, "problem": problem})
    slowest = [{"ms": round(ms, 1), "request": f"{e.method} {prefix}{e.path}", "body": e.body}
               for ms, e in sorted(timed, key=lambda x: -x[0])[:3]]
    return {"checked": len(entries), "wrong": wrong, "examples": examples, "slowest": slowest}


def _json_or_none(r: httpx.Response) -> dict | None:
    try:
        return r.json()
    except ValueError:
        return None


def check(expect: dict, status: int, doc: dict | None) -> str | None:
    """What is wrong with an answer (None when it is what the pool entry expects)."""
    if status != expect.get("status", 200):
        return f"HTTP {status}, expected {expect.get('status', 200)}"
    if not isinstance(doc, dict):
        return "the body is not JSON"
    if status >= 400:
        return None if doc.get("resourceType") == "OperationOutcome" else "not an OperationOutcome"
    params = {p.get("name"): p for p in doc.get("parameter", [])} if doc.get("resourceType") == "Parameters" else {}
    if "result" in expect and params.get("result", {}).get("valueBoolean") != expect["result"]:
        return f"result {params.get('result', {}).get('valueBoolean')}, expected {expect['result']}"
    if "outcome" in expect:
        allowed = expect["outcome"] if isinstance(expect["outcome"], list) else [expect["outcome"]]
        got = params.get("outcome", {}).get("valueCode")
        if got not in allowed:
            return f"outcome {got}, expected {' or '.join(allowed)}"
    expansion = doc.get("expansion") or {}
    if "total" in expect and expansion.get("total") != expect["total"]:
        return f"total {expansion.get('total')}, expected {expect['total']}"
    contains = len(expansion.get("contains", []))
    if "contains" in expect and contains != expect["contains"]:
        return f"{contains} codes in the expansion, expected {expect['contains']}"
    if expect.get("nonempty") and not contains:
        return "empty expansion, expected codes"
    return None


def _local_server(root: str) -> int | None:
    """The pid of the first process listening on the port of a running server on this machine (with several
    workers, their supervisor: its CPU per request is measured as for a server started here), or None when it
    is elsewhere or cannot be seen."""
    found = re.match(r"https?://(127\.0\.0\.1|localhost|\[::1\]):(\d+)$", root)
    if not found:
        return None
    port = f"{int(found.group(2)):04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[1].endswith(":" + port) and cols[3] == "0A":  # local address :port, state LISTEN
                inodes.add(cols[9])
    for proc in sorted((p for p in Path("/proc").iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return int(proc.name)
    return None


def _processes(pid: int | None) -> list[int]:
    """``pid`` and its descendants: the server's supervisor and its worker processes."""
    if pid is None:
        return []
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return found


def _cpu_seconds(pid: int | None) -> float | None:
    """CPU time of the server: its process and its workers."""
    total = None
    for p in _processes(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total = (total or 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _memory_mib(pid: int | None) -> dict:
    """The server's resident memory now (MiB), when its process is known: ``rss`` in all, and ``anon``, its
    own (heap) part, of the largest process (a worker, when there are several). The rest is mostly the SQLite
    files mapped into it (``mmap_size``), which the kernel shares and can drop, so ``anon`` is the figure to
    watch for the memory a worker needs."""
    rss = anon = None
    for p in _processes(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        found = {k: re.search(rf"^{k}:\s+(\d+) kB", status, re.M) for k in ("VmRSS", "RssAnon")}
        if found["VmRSS"]:
            rss = max(rss or 0.0, round(int(found["VmRSS"].group(1)) / 1024, 1))
        if found["RssAnon"]:
            anon = max(anon or 0.0, round(int(found["RssAnon"].group(1)) / 1024, 1))
    return {"server_rss_mib": rss, "server_anon_mib": anon}


def _wrk(wrk: str, root: str, pool_file: Path, clients: int, seconds: int, server_pid: int | None,
         expected_status: int) -> dict:
    threads = max(1, min(clients, os.cpu_count() or 1))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = _cpu_seconds(server_pid)
    done = subprocess.run([wrk, "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "60s",
                           "-s", str(LUA), root, "--", str(pool_file)], capture_output=True, text=True,
                          timeout=seconds + 180)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = _cpu_seconds(server_pid)
    line = next((x for x in done.stdout.splitlines() if x.startswith("VARDTERM_WRK ")), None)
    if done.returncode != 0 or line is None:
        raise HttpBenchError(f"wrk failed: {done.stdout[-800:]} {done.stderr[-800:]}")
    w = json.loads(line.split(" ", 1)[1])
    wall = w["duration_us"] / 1e6
    statuses = {int(k): v for k, v in w["statuses"].items()}
    answered = sum(statuses.values())
    transport = w["connect"] + w["read"] + w["write"] + w["timeout"]
    errors = answered - statuses.get(expected_status, 0) + transport
    wrk_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"clients": clients, "threads": threads, "seconds": round(wall, 2), "requests": w["requests"],
            "rps": round(w["requests"] / wall, 1) if wall else 0.0,
            "p50_ms": w["p50_us"] / 1000, "p95_ms": w["p95_us"] / 1000, "p99_ms": w["p99_us"] / 1000,
            "max_ms": w["max_us"] / 1000, "mean_ms": round(w["mean_us"] / 1000, 3),
            "errors": errors, "error_rate": round(errors / max(1, answered + transport), 4),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "transport_errors": transport,
            "wrk_cpu_pct": round(100 * wrk_cpu / wall, 1) if wall else None,
            "wrk_cpu_us_per_request": round(1e6 * wrk_cpu / w["requests"], 1) if w["requests"] else None,
            "server_cpu_pct": round(100 * (server_after - server_before) / wall, 1)
            if wall and server_before is not None and server_after is not None else None,
            "server_cpu_us_per_request": round(1e6 * (server_after - server_before) / w["requests"], 1)
            if w["requests"] and server_before is not None and server_after is not None else None,
            **_memory_mib(server_pid)}


def _settle(root: str, pid: int | None, timeout: float = 300) -> None:
    """Wait until the server has finished the requests still queued when wrk stopped, so they do not slow the
    next run: until its CPU use drops below a tenth of a core (or, not knowing its process, until it answers)."""
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(0.1)
        after = _cpu_seconds(pid)
        if before is None or after is None or after - before < 0.015:
            return
    if pid is None:
        httpx.get(f"{root}/health", timeout=timeout)


def _wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].strip() if first else "wrk"


def _say(message: str) -> None:
    print(f"bench http: {message}", file=sys.stderr, flush=True)


# --- report -----------------------------------------------------------------------------------------------


def _ms(v: float) -> str:
    return "-" if not v else f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def _describe(request: str, body: dict | None) -> str:
    """A request in a line: the path, or for a POST the parameters (a ValueSet by its compose)."""
    if not body:
        return request
    parts = []
    for p in body.get("parameter", []):
        if "resource" in p:
            parts.append(f"{p['name']}=" + json.dumps(p["resource"].get("compose", p["resource"]),
                                                      separators=(",", ":")))
        else:
            parts.append(f"{p['name']}=" + str(next(v for k, v in p.items() if k.startswith("value"))))
    return f"{request} " + " ".join(parts)


def format_report(doc: dict) -> str:
    """The table (one row a test, each cell the figures at every client count, 'a / b / c') and the notes."""
    clients = " / ".join(str(c) for c in doc["clients"])
    rows = [("test", f"req/s ({clients} clients)", "p50 ms", "p95 ms", "p99 ms", "errors", "what")]
    for t in doc["tests"]:
        runs = t["runs"]
        rows.append((t["id"], " / ".join(f"{r['rps']:,.0f}" for r in runs),
                     " / ".join(_ms(r["p50_ms"]) for r in runs), " / ".join(_ms(r["p95_ms"]) for r in runs),
                     " / ".join(_ms(r["p99_ms"]) for r in runs), " / ".join(str(r["errors"]) for r in runs),
                     t["title"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    ceiling = next(t for t in doc["tests"] if t["id"] == CEILING)
    la = doc["load_average"]
    cost = max((r["wrk_cpu_us_per_request"] or 0) for r in ceiling["runs"])
    notes = [f"Load generator: {doc['generator'].split(' Copyright')[0]}, {doc['seconds']} s per run. "
             "Ceiling (GET /health/live, the cheapest route): "
             + ", ".join(f"{r['rps']:,.0f} req/s at {r['clients']} clients (wrk used {r['wrk_cpu_pct']}% of a core"
                         + (f", the server {r['server_cpu_pct']}%" if r["server_cpu_pct"] is not None else "")
                         + ")" for r in ceiling["runs"])
             + (f"; wrk spends {cost:.0f} µs of CPU a request, so one wrk thread could send about "
                f"{1e6 / cost:,.0f} req/s: the server, not the generator, is the limit" if cost else ""),
             f"Load average {la['start'][0]} at the start, {la['end'][0]} at the end; commit {doc['commit']}; "
             f"target {doc['target']['url']}{doc['fhir_base']}"
             + (" (vardterm serve started here, default settings)" if doc["target"].get("started") else "")]
    busiest = max((r for t in doc["tests"] if t["id"] != CEILING for r in t["runs"]),
                  key=lambda r: r["wrk_cpu_pct"] or 0, default=None)
    if busiest:
        notes.append(f"wrk used at most {busiest['wrk_cpu_pct']}% of a core in any test run")
    for key, what in (("server_anon_mib", "own (anonymous) memory"), ("server_rss_mib", "resident memory with "
                                                                           "the mapped database files")):
        memory = [(r[key], t["id"]) for t in doc["tests"] for r in t["runs"] if r.get(key)]
        if memory:
            notes.append(f"server {what}: {memory[0][0]:,.0f} MiB after the first run, {memory[-1][0]:,.0f} MiB "
                         f"at the end, most {max(memory)[0]:,.0f} MiB (after {max(memory)[1]})")
    for t in doc["tests"]:
        p = t["preflight"]
        if p["wrong"]:
            notes.append(f"{t['id']}: {p['wrong']} of {p['checked']} answers differ from what the pool expects, e.g. "
                         + "; ".join(f"{_describe(x['request'], x['body'])[:300]} -> {x['problem']}"
                                     for x in p["examples"][:2]))
    for t in doc["tests"]:
        slow = t["preflight"].get("slowest") or []
        if slow and slow[0]["ms"] >= 100:
            notes.append(f"{t['id']}: slowest answer {slow[0]['ms']:,.0f} ms: "
                         f"{_describe(slow[0]['request'], slow[0]['body'])[:300]}")
    if doc["skipped"]:
        notes.append("skipped: " + ", ".join(doc["skipped"]))
    return "\n".join(lines) + "\n\n" + "\n".join(f"* {n}" for n in notes)
