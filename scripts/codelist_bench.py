"""``vardterm bench --suite codelists``: the figures of code-list maintenance (issue 17).

* **ECL preview**: the editor's live preview (``GET /app/api/ecl``: the member count and the first 50 members
  with Swedish displays) over HTTP, end to end, for the mixed expression set of the ECL benchmark (hierarchy,
  member-of, refinements, groups, cardinality, reverse, term filters, AND / OR / MINUS) drawn from the loaded
  edition. Each expression is asked once, as a keystroke would: a different set drawn with another seed warms
  the connections and the page cache first. Target p50 <= 100 ms on the ``intl`` edition.
* **Which value sets contain this code**: ``GET /fhir/r4/ValueSet?code=http://snomed.info/sct|<code>`` with
  1,000 stored active value sets over the edition (400 ``<< X`` ECL sets of 20 to 5,000 concepts, 400 code
  lists of 5 to 200 concepts, 200 with an include and an exclude), for codes that are members of some and for
  random concepts; and the time to build the membership index of all of them. Target p50 <= 20 ms.

It never writes into the loaded benchmark database: the catalog is copied into ``<workdir>/codelists`` with
the loaded version files linked beside it (they are opened read-only), and the value sets, the API key and
the index go there.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import statistics
import time
from dataclasses import asdict
from pathlib import Path

import httpx
from sqlalchemy import text

import terminology as t

from . import ecl_bench
from .bench import BenchOptions, Figure, _database_url, _load_in_child, _p, _start_server, ensure_release
from .bench import format_table, git_commit, machine

VALUE_SETS = 1000
SCT = t.snomed.SYSTEM
BASE = "https://bench.example/fhir/ValueSet"


def run_codelists(opts: BenchOptions, *, requests: int = 500) -> list[Figure]:
    source = _database_url("sqlite", opts)
    if opts.load:
        folder = opts.workdir / "sqlite"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _load_in_child(source, ensure_release(opts))
    url = _copy_catalog(Path(source.removeprefix("sqlite:///")), opts.workdir / "codelists")
    db = t.Database(url)
    db.initialise()
    key = t.Accounts(db).add_key("bench-informatiker", ("informatiker",), None)
    figures: list[Figure] = []
    codes, stored = _store_value_sets(db)
    service = t.TerminologyService(db, max_expansion=100_000, refresh_seconds=0)
    t0 = time.perf_counter()
    report = t.Authoring(service).membership.refresh()
    figures.append(Figure("membership_index_build", round(time.perf_counter() - t0, 1), "s", "",
                          f"{report.indexed} active value sets indexed ({report.too_large} too large)"))
    sample = _codes_to_ask(db, codes, requests)
    proc, fhir_base, _ = _start_server(url)
    root = fhir_base.rsplit("/fhir/", 1)[0]
    try:
        with httpx.Client(base_url=root, timeout=120, headers={"Authorization": f"ApiKey {key}"}) as client:
            figures += _ecl_preview(client, db)
        with httpx.Client(base_url=root, timeout=120) as client:  # a terminology read: open, as by default
            figures += _containing(client, sample, stored)
    finally:
        proc.terminate()
        proc.wait(10)
        db.dispose()
    _write(figures, opts)
    return figures


def _copy_catalog(catalog: Path, folder: Path) -> str:
    """A private copy of the catalog beside a link to the loaded version files (read-only for us)."""
    if not catalog.exists():
        raise t.StoreError(f"no loaded benchmark database at {catalog}; run without --no-load first")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    target = folder / "vardterm.db"
    with sqlite3.connect(catalog) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    (folder / "vardterm.db.versions").symlink_to(catalog.parent / "vardterm.db.versions")
    return f"sqlite:///{target}"


def _store_value_sets(db: t.Database) -> tuple[list[str], int]:
    """1,000 active value sets over the edition; returns the codes they list and how many were stored."""
    version = db.versions()[0]
    with db.storage_engine(version.storage).connect() as conn:
        mids = [r[0] for r in conn.execute(text(
            "SELECT ancestor_id FROM closure GROUP BY ancestor_id HAVING COUNT(*) BETWEEN 20 AND 5000 "
            "ORDER BY ancestor_id LIMIT 5000"))]
        concepts = [r[0] for r in conn.execute(text(
            "SELECT id FROM concept WHERE active = 1 ORDER BY id LIMIT 200000"))]
    rng = random.Random(17)
    listed: list[str] = []
    out = []
    for i in range(VALUE_SETS):
        if i < 400:
            include = [{"system": SCT, "filter": [{"property": "constraint", "op": "=",
                                                   "value": f"<< {rng.choice(mids)}"}]}]
            compose = {"include": include}
        elif i < 800:
            codes = [str(c) for c in rng.sample(concepts, rng.randint(5, 200))]
            listed += codes
            compose = {"include": [{"system": SCT, "concept": [{"code": c} for c in codes]}]}
        else:
            compose = {"include": [{"system": SCT, "filter": [{"property": "concept", "op": "is-a",
                                                               "value": str(rng.choice(mids))}]}],
                       "exclude": [{"system": SCT, "filter": [{"property": "concept", "op": "is-a",
                                                               "value": str(rng.choice(mids))}]}]}
        out.append({"resourceType": "ValueSet", "url": f"{BASE}/vs{i:04d}", "version": "1.0.0", "name": f"Vs{i:04d}",
                    "status": "active", "compose": compose})
    t.ResourceRepository(db).load(out, by=t.COMMAND_LINE)
    return listed, len(out)


def _codes_to_ask(db: t.Database, listed: list[str], n: int) -> list[str]:
    """Half codes some code list holds, half random active concepts (members of the ECL sets or of none)."""
    version = db.versions()[0]
    with db.storage_engine(version.storage).connect() as conn:
        concepts = [str(r[0]) for r in conn.execute(text(
            "SELECT id FROM concept WHERE active = 1 ORDER BY id LIMIT 200000"))]
    rng = random.Random(23)
    return [rng.choice(listed) if i % 2 else rng.choice(concepts) for i in range(n)]


def _timed(client: httpx.Client, path: str, params: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = client.get(path, params=params)
    elapsed = (time.perf_counter() - t0) * 1000
    r.raise_for_status()
    return elapsed, r.json()


def _ecl_preview(client: httpx.Client, db: t.Database) -> list[Figure]:
    for _, expr in ecl_bench.expressions(db, seed=99)[::4]:
        client.get("/app/api/ecl", params={"uttryck": expr})
    by_family: dict[str, list[float]] = {}
    errors = 0
    for family, expr in ecl_bench.expressions(db, seed=5):
        ms, answer = _timed(client, "/app/api/ecl", {"uttryck": expr})
        errors += 0 if answer.get("ok") else 1
        by_family.setdefault(family, []).append(ms)
    every = [x for v in by_family.values() for x in v]
    slowest = max(by_family, key=lambda f: statistics.median(by_family[f]))
    return [Figure("ecl_preview_http_p50", round(statistics.median(every), 1), "ms", "<= 100 ms",
                   f"{len(every)} expressions in {len(by_family)} families, count + first 50 with Swedish "
                   f"display; p95 {_p(every, 0.95):.1f} ms, max {max(every):.0f} ms; slowest family {slowest} "
                   f"(p50 {statistics.median(by_family[slowest]):.1f} ms); {errors} not ok")]


def _containing(client: httpx.Client, sample: list[str], stored: int) -> list[Figure]:
    """``ValueSet?code=``, and ``$lookup`` of the same codes as the baseline of this run (benchmarks.md: ratios
    against a baseline measured in the same run, since the machine is shared)."""
    for code in sample[:20]:
        client.get("/fhir/r4/ValueSet", params={"code": f"{SCT}|{code}"})
        client.get("/fhir/r4/CodeSystem/$lookup", params={"system": SCT, "code": code})
    times, hits, lookups = [], [], []
    for code in sample:
        ms, bundle = _timed(client, "/fhir/r4/ValueSet", {"code": f"{SCT}|{code}"})
        times.append(ms)
        hits.append(bundle["total"])
        lookups.append(_timed(client, "/fhir/r4/CodeSystem/$lookup", {"system": SCT, "code": code})[0])
    search, base = statistics.median(times), statistics.median(lookups)
    return [Figure("valueset_code_search_http_p50", round(search, 2), "ms", "<= 20 ms",
                   f"{stored} active value sets; {len(times)} codes, median {statistics.median(hits):g} value sets "
                   f"found (max {max(hits)}); p95 {_p(times, 0.95):.2f} ms"),
            Figure("lookup_http_p50_same_run", round(base, 2), "ms", "",
                   f"baseline: $lookup of the same codes, alternating with the searches; search/lookup "
                   f"{search / base:.1f}x")]


def _write(figures: list[Figure], opts: BenchOptions) -> None:
    opts.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = opts.out / f"bench-codelists-{stamp}.json"
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    path.write_text(json.dumps({"suite": "codelists", "scale": str(opts.scale), "machine": machine(),
                                "commit": git_commit(), "taken": stamp, "load_average": load,
                                "figures": [asdict(f) for f in figures]}, indent=2))
    print(format_table(figures))
    print(f"\nLoad average {' '.join(load)}. Written to {path}")
