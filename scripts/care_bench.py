"""``vardterm bench --suite care``: the care-search figures of benchmarks.md on the ``care-50k`` workload.

Workload (benchmarks.md): 21 regions, ~2,000 providers, ~6,000 units, ~50,000 services over ~3,000
distinct service concepts, ~10,000 agreements, waiting times and capacity. The demo terminology has only
~60 care-service concepts, so the benchmark generates (once) a synthetic SNOMED CT release of 25,000 active
concepts (about 4,000 procedures; no International-size load needed), types the services with 3,000 of its
procedures, and measures:

* the time to load the whole directory as one FHIR transaction Bundle, POSTed to a running server (R5 base);
* p50 / p95 of ``HealthcareService/$care-search`` over HTTP (one connection, sequential) for code, text and
  ECL queries, each with filters (region, patient facts, maximum wait, distance, sorting) drawn at random.

Every figure is printed as a table and written as JSON with the machine and the git commit.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import statistics
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import orjson
from sqlalchemy import create_engine, text

import terminology as t
from mappings.care.generate import generate, to_bundle

from .bench import BenchOptions, Figure, _p, _start_server, ensure_release, format_table, git_commit, machine
from .loading import load_rf2
from .progress import Progress

SCALE = 25_000
POOL = 3_000
COUNTIES = ("01", "03", "05", "12", "14", "25")
LINKOPING = "58.4108|15.6214"


def run_care(*, backends: tuple[str, ...], pg_admin_url: str, workdir: Path, out: Path, requests: int = 300,
             load: bool = True) -> list[Figure]:
    """Run the care benchmark on each backend; return the figures."""
    release = ensure_release(BenchOptions(scale=SCALE, workdir=workdir))
    figures: list[Figure] = []
    for backend in backends:
        url = _database_url(backend, workdir, pg_admin_url)
        if load:
            _fresh(backend, workdir, pg_admin_url)
            db = t.Database(url)
            db.initialise()
            started = time.perf_counter()
            load_rf2(db, release, progress=Progress("load"))
            figures.append(Figure(f"care_terminology_load_{backend}", round(time.perf_counter() - started, 1), "s",
                                  note=f"synthetic release, {SCALE:,} active concepts (setup, not a target)"))
            db.dispose()
        pool = _pool(url)
        headers = _credentials(url)
        # The whole directory is one 158 MiB transaction Bundle: above the default request limit on purpose.
        proc, base, _ = _start_server(url, max_request_body_mb="1024")
        try:
            if load:
                figures += _load_figures(base, pool, backend, headers)
            figures += _search_figures(base, pool, backend, requests, headers)
        finally:
            proc.terminate()
            proc.wait(30)
    _report(figures, out)
    return figures


def _database_url(backend: str, workdir: Path, pg_admin_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'care' / 'vardterm.db'}"
    return pg_admin_url.rsplit("/", 1)[0] + "/vardterm_care_bench"


def _fresh(backend: str, workdir: Path, pg_admin_url: str) -> None:
    if backend == "sqlite":
        shutil.rmtree(workdir / "care", ignore_errors=True)
        (workdir / "care").mkdir(parents=True)
        return
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "vardterm_care_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "vardterm_care_bench"'))
    admin.dispose()


def _pool(url: str) -> tuple[t.Coding, ...]:
    """3,000 procedures of the loaded release (the same ones every run), with their displays."""
    db = t.Database(url)
    service = t.TerminologyService(db)
    expansion = service.expand(t.ExpandRequest(url=f"{t.snomed.SYSTEM}?fhir_vs=isa/{t.snomed.PROCEDURE}",
                                               count=100_000, active_only=True))
    items = sorted((i for i in expansion.items if i.code != str(t.snomed.PROCEDURE)), key=lambda i: int(i.code))
    chosen = random.Random(5).sample(items, min(POOL, len(items)))
    db.dispose()
    return tuple(t.Coding(i.system, i.code, i.display) for i in chosen)


def _credentials(url: str) -> dict:
    """An API key with the admin role (writes the Bundle, searches as any region), made for this run."""
    db = t.Database(url)
    key = t.Accounts(db).add_key(f"care-bench-{int(time.time())}", ("admin",), None)
    db.dispose()
    return {"X-API-Key": key}


def _load_figures(base: str, pool: tuple[t.Coding, ...], backend: str, headers: dict) -> list[Figure]:
    progress = Progress("care")
    generated = generate("care-50k", concepts=pool)
    counts = generated.counts()
    body = orjson.dumps(to_bundle(generated.records))
    progress.done(f"Generated care-50k: {len(generated.records):,} resources, {len(body) / 2**20:.0f} MiB of JSON")
    r5 = base.rsplit("/", 1)[0] + "/r5"
    started = time.perf_counter()
    r = httpx.post(r5, content=body, headers={"Content-Type": "application/fhir+json", **headers}, timeout=3600)
    seconds = time.perf_counter() - started
    r.raise_for_status()
    return [Figure(f"care50k_bundle_load_{backend}", round(seconds, 1), "s", "",
                   f"one transaction Bundle over HTTP: {len(generated.records):,} resources "
                   f"({counts['HealthcareService']:,} services, {counts['Contract']:,} agreements, "
                   f"{counts['Organization']:,} organisations, {counts['MeasureReport']:,} waiting times), "
                   f"{len(body) / 2**20:.0f} MiB")]


def _filters(rng: random.Random) -> dict:
    out: dict = {"region": rng.choice(COUNTIES), "_count": 20}
    roll = rng.random()
    if roll < 0.3:
        out.update(age=rng.randint(20, 85), sex=rng.choice(("female", "male")), sort="wait")
    elif roll < 0.55:
        out.update(maxWait=90, sort="wait")
    elif roll < 0.8:
        out.update(near=LINKOPING, distance=rng.choice((100, 200, 400)), sort="distance")
    else:
        out.update(age=rng.randint(5, 90), asa=rng.randint(1, 4), includeExcluded="true")
    return out


def _queries(pool: tuple[t.Coding, ...], kind: str, n: int) -> list[dict]:
    rng = random.Random({"code": 1, "text": 2, "ecl": 3}[kind])
    out = []
    for _ in range(n):
        concept = rng.choice(pool)
        if kind == "code":
            q = {"code": concept.code}
        elif kind == "text":
            words = (concept.display or "").split()
            q = {"text": " ".join(words[:rng.choice((1, 2, len(words)))]) or concept.code}
        else:
            q = {"ecl": f"<< {concept.code}"}
        out.append({**q, **_filters(rng)})
    return out


def _search_figures(base: str, pool: tuple[t.Coding, ...], backend: str, requests: int,
                    headers: dict) -> list[Figure]:
    figures = []
    with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
        for kind in ("code", "text", "ecl"):
            queries = _queries(pool, kind, requests + 20)
            times, totals, errors = [], [], []
            for i, q in enumerate(queries):
                started = time.perf_counter()
                r = client.get("/HealthcareService/$care-search", params=q)
                ms = (time.perf_counter() - started) * 1000
                if r.status_code != 200:
                    errors.append(r.json().get("issue", [{}])[0].get("details", {}).get("text", r.text)[:160])
                    continue
                if i >= 20:
                    times.append(ms)
                    totals.append(r.json().get("total", 0))
            if not times:
                figures.append(Figure(f"care_search_{kind}_p50_{backend}", 0, "ms", "<= 20 ms",
                                      f"NOT MEASURED: {errors[0] if errors else 'no answers'}"))
                continue
            figures.append(Figure(f"care_search_{kind}_p50_{backend}", round(statistics.median(times), 1), "ms",
                                  "<= 20 ms", f"p95 {_p(times, 0.95):.1f} ms (target <= 50), {len(times)} queries "
                                  f"with filters, median {statistics.median(totals):.0f} hits, {len(errors)} errors"))
    return figures


def _report(figures: list[Figure], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    doc = {"suite": "care", "workload": "care-50k", "machine": machine(), "commit": git_commit(), "taken": stamp,
           "date": dt.date.today().isoformat(), "figures": [asdict(f) for f in figures]}
    path = out / f"bench-care-{stamp}.json"
    path.write_text(json.dumps(doc, indent=2))
    print(format_table(figures))
    print(f"\nWritten to {path}")

