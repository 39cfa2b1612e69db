"""``vardterm bench --suite resources``: the FHIR resource engine on a large CodeSystem (issue 4 figures).

A generated CodeSystem of 10,000 concepts (a tree of depth 4 with Swedish-looking displays, a designation
and a property each) and three ValueSets over it (the whole system, an ``is-a`` filter, an enumerated list)
are stored in the repository of a fresh SQLite database; a server is started on it and measured over HTTP
with one keep-alive connection: ``ValueSet/$validate-code`` and ``CodeSystem/$validate-code`` p50 / p95,
``$expand`` of the whole system (full and ``count=100``) and of the ``is-a`` value set. When the HL7
tx-ecosystem suite and its runner are beside the checkout (``../shared``), the same server then runs the whole
default suite on ``/fhir/r5`` and ``/fhir/r4``, timed by wall clock.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

import httpx

import terminology as t

from . import httpload
from .bench import Figure, _p, _start_server, format_table, git_commit, machine

URL = "http://example.org/fhir/CodeSystem/bench-10k"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SUITE = SHARED / "tx-ecosystem" / "tests"
RUNNER = SHARED / "tools" / "txtest" / "run.py"
SYLLABLES = ("ka", "lo", "mi", "nä", "ro", "sö", "ta", "ve", "då", "pu", "ri", "lä")


def code_system(n: int = 10_000, seed: int = 3) -> dict:
    """A hierarchical CodeSystem with ``n`` concepts: 10 roots, each level 10 times wider."""
    rng = random.Random(seed)

    def word() -> str:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))

    made = 0

    def concept(depth: int) -> dict:
        nonlocal made
        made += 1
        code = f"C{made:05d}"
        c = {"code": code, "display": f"{word().capitalize()} {word()}",
             "designation": [{"language": "en", "value": f"{word()} {word()} (en)"}],
             "property": [{"code": "grp", "valueCode": f"g{made % 7}"}]}
        if depth < 4 and made < n:
            children = []
            for _ in range(9 if depth < 3 else 10):
                if made >= n:
                    break
                children.append(concept(depth + 1))
            c["concept"] = children
        return c

    roots = []
    while made < n:
        roots.append(concept(1))
    return {"resourceType": "CodeSystem", "url": URL, "version": "1.0.0", "name": "Bench10k", "status": "active",
            "content": "complete", "caseSensitive": True, "hierarchyMeaning": "is-a", "language": "sv",
            "property": [{"code": "grp", "type": "code"}], "concept": roots}


def value_sets(cs: dict) -> list[dict]:
    first_root = cs["concept"][0]["code"]
    some = [c["code"] for c in cs["concept"][:3]]
    return [
        {"resourceType": "ValueSet", "url": f"{URL}/vs/all", "status": "active",
         "compose": {"include": [{"system": URL}]}},
        {"resourceType": "ValueSet", "url": f"{URL}/vs/isa", "status": "active",
         "compose": {"include": [{"system": URL, "filter": [{"property": "concept", "op": "is-a",
                                                            "value": first_root}]}]}},
        {"resourceType": "ValueSet", "url": f"{URL}/vs/list", "status": "active",
         "compose": {"include": [{"system": URL, "concept": [{"code": c} for c in some]}]}},
    ]


def _codes(concepts: list[dict]) -> list[str]:
    out = []
    for c in concepts:
        out.append(c["code"])
        out += _codes(c.get("concept", []))
    return out


def hl7_suite_present() -> bool:
    """Whether the HL7 tx-ecosystem suite and its runner are beside the checkout."""
    return (SUITE / "test-cases.json").is_file() and RUNNER.is_file()


def run_hl7_suite(base_url: str, report: Path) -> dict:
    """Run the HL7 runner over the whole default suite against ``base_url`` (``.../fhir/r5`` or ``r4``) and
    return its JSON results (``summary``, then every suite and test with its status and message)."""
    done = subprocess.run([sys.executable, str(RUNNER), "--suite-dir", str(SUITE), "--base-url", base_url,
                           "--json-out", str(report)], capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not report.is_file():
        raise RuntimeError(f"the HL7 runner failed: {done.stdout[-1000:]}{done.stderr[-1000:]}")
    return json.loads(report.read_text("utf-8"))


def hl7_suite(root: str) -> list[Figure]:
    """Wall time of the HL7 runner over the whole default suite, per wire version, with its verdict."""
    if not hl7_suite_present():
        print(f"HL7 tx-ecosystem suite not found at {SHARED}: no suite figures")
        return []
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for version in ("r5", "r4"):
            print(f"HL7 tx-ecosystem suite on /fhir/{version} ...", flush=True)
            t0 = time.perf_counter()
            n = run_hl7_suite(f"{root}/fhir/{version}", Path(tmp) / f"{version}.json")["summary"]
            wall = time.perf_counter() - t0
            figures.append(Figure(f"hl7_suite_{version}_wall", round(wall, 2), "s", "",
                                  f"{n['passed']} passed, {n['failed'] + n['errors']} failed; "
                                  f"{n['run'] / wall:.0f} tests/s"))
    return figures


def run_resources(*, workdir: Path, out: Path, requests: int = 1000) -> list[Figure]:
    folder = workdir / "resources"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder / 'vardterm.db'}"
    db = t.Database(url)
    db.initialise()
    cs = code_system()
    t0 = time.perf_counter()
    t.ResourceRepository(db).load([cs, *value_sets(cs)], by=t.COMMAND_LINE)
    store_s = time.perf_counter() - t0
    db.dispose()
    codes = _codes(cs["concept"])
    rng = random.Random(9)
    sample = [rng.choice(codes) for _ in range(requests)]
    figures = [Figure("resources_store_10k", round(store_s, 2), "s", "", f"{len(codes):,} concepts + 3 value sets")]
    proc, base, _ = _start_server(url)
    try:
        u = quote(URL, safe="")
        vs_all = quote(f"{URL}/vs/all", safe="")
        vs_isa = quote(f"{URL}/vs/isa", safe="")
        for label, paths in (
                ("vs_validate_code", [f"/ValueSet/$validate-code?url={vs_all}&system={u}&code={c}" for c in sample]),
                ("vs_validate_code_isa", [f"/ValueSet/$validate-code?url={vs_isa}&system={u}&code={c}"
                                          for c in sample]),
                ("cs_validate_code", [f"/CodeSystem/$validate-code?url={u}&code={c}" for c in sample]),
                ("cs_lookup", [f"/CodeSystem/$lookup?system={u}&code={c}" for c in sample])):
            httpload.run(base, paths[:50], requests=50, concurrency=1)
            r = httpload.run(base, paths, requests=len(paths), concurrency=1)
            figures.append(Figure(f"{label}_http_p50", round(statistics.median(r.latencies_ms), 2), "ms", "",
                                  f"p95 {_p(r.latencies_ms, 0.95):.2f} ms, {r.errors} errors"))
        with httpx.Client(base_url=base, timeout=120) as client:
            for label, path in (("expand_10k_full", f"/ValueSet/$expand?url={vs_all}"),
                                ("expand_10k_count100", f"/ValueSet/$expand?url={vs_all}&count=100&offset=5000"),
                                ("expand_isa_full", f"/ValueSet/$expand?url={vs_isa}")):
                times = []
                for _ in range(7):
                    t0 = time.perf_counter()
                    resp = client.get(path)
                    resp.raise_for_status()
                    times.append((time.perf_counter() - t0) * 1000)
                total = resp.json()["expansion"].get("total")
                figures.append(Figure(f"{label}_http_p50", round(statistics.median(times), 1), "ms", "",
                                      f"{total:,} codes in the value set, median of 7"))
        figures += hl7_suite(base.rsplit("/fhir/", 1)[0])
    finally:
        proc.terminate()
        proc.wait(10)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = out / f"bench-resources-{stamp}.json"
    path.write_text(json.dumps({"suite": "resources", "machine": machine(), "commit": git_commit(), "taken": stamp,
                                "figures": [asdict(f) for f in figures]}, indent=2))
    print(format_table(figures))
    print(f"\nWritten to {path}")
    return figures
