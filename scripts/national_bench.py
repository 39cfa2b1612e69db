"""``vardterm bench --suite national``: load times of the national code systems and ``$translate`` over HTTP.

Figures (issue 6), on each backend asked for:

* the load time of each excerpt of ``tests/data/se-codes`` and the SKOS test vocabulary (read, check,
  convert, store in one transaction; the median of five loads, each replacing the previous one);
* the load time of generated full-size kodtextfiler (``vardterm synth kodtextfil``): KVÅ-shaped and
  ICD-10-SE-shaped, 40,000 codes each by default (median of three);

and, on SQLite with the demo terminology (the mini SNOMED CT fixture) and the demo's national data:

* ``$translate`` p50 / p95 over HTTP (one keep-alive connection, sequential): stored example maps forward
  and reverse, ICD-10-SE to care services, and a SNOMED CT map refset as an implicit map (``?fhir_cm=``);
* ``$lookup`` of a code of the stored 40,000-code KVÅ-shaped CodeSystem, for the resource engine.

The table is printed and written as JSON (machine, git commit) to ``out``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

import terminology as t
from codesystems import national as systems

from . import httpload, national
from .bench import Figure, _p, _start_server, format_table, git_commit, machine
from .loading import load_rf2
from .synth_codes import icd10se_shaped, kva_shaped

SE = national.SE_CODES
SKOS = national.REPO / "tests" / "data" / "skos"
MINI = national.REPO / "tests" / "data" / "mini"

EXCERPTS = {
    "kva_text": lambda db: national.load_kva(db, [SE / "kva-excerpt.txt"], version="2021", content="fragment"),
    "kva_level_files": lambda db: national.load_kva(db, [SE / "kva-excerpt"], version="2021", content="fragment"),
    "kva_claml": lambda db: national.load_claml(db, SE / "kva-excerpt.claml.xml", version="2021-claml",
                                                grouping_kinds=("chapter", "section", "category"),
                                                content="fragment"),
    "icd10se_text": lambda db: national.load_icd10se(db, [SE / "icd10se-excerpt.txt"], version="2021",
                                                     content="fragment"),
    "verksamhetskod_csv": lambda db: national.load_csv(db, SE / "verksamhetskod.csv", preset="verksamhetskod",
                                                       version="2025-10", content="fragment"),
    "vard_och_omsorgsform_csv": lambda db: national.load_csv(db, SE / "vard-och-omsorgsform.csv",
                                                             preset="vard-och-omsorgsform", version="2025-04",
                                                             content="fragment"),
    "skos_turtle": lambda db: national.load_skos(db, SKOS / "vardniva.ttl"),
}


def run_national(*, backends: tuple[str, ...], pg_admin_url: str, workdir: Path, out: Path, codes: int = 40_000,
                 requests: int = 500) -> list[Figure]:
    """Run the national suite; return the figures."""
    workdir.mkdir(parents=True, exist_ok=True)
    generated = {"kva": workdir / f"kva-shaped-{codes}", "icd10se": workdir / f"icd10se-shaped-{codes}"}
    for shape, folder in generated.items():
        if not folder.exists():
            (kva_shaped if shape == "kva" else icd10se_shaped)(folder, codes=codes)
    figures: list[Figure] = []
    for backend in backends:
        url = _fresh(backend, workdir, pg_admin_url, "national")
        db = t.Database(url)
        db.initialise()
        for name, load in EXCERPTS.items():
            times, n = [], 0
            for _ in range(5):
                loaded = load(db)
                times.append(loaded.seconds * 1000)
                n = loaded.concepts
            figures.append(Figure(f"load_{name}_{backend}", round(statistics.median(times), 1), "ms",
                                  note=f"{n:,} concepts, median of 5"))
        for shape, folder in generated.items():
            times = []
            for _ in range(3):
                loaded = (national.load_kva if shape == "kva" else national.load_icd10se)(db, [folder],
                                                                                          version="synth")
                times.append(loaded.seconds)
            figures.append(Figure(f"load_{shape}_shaped_{backend}", round(statistics.median(times), 2), "s",
                                  note=f"{loaded.concepts:,} concepts (generated, {codes:,} codes), median of 3"))
        db.dispose()
    figures += _http_figures(workdir, generated["kva"], requests)
    _report(figures, out)
    return figures


def _http_figures(workdir: Path, kva_folder: Path, requests: int) -> list[Figure]:
    url = _fresh("sqlite", workdir, "", "national-http")
    db = t.Database(url)
    db.initialise()
    load_rf2(db, [MINI])
    national.load_demo_national(db)
    big = national.load_kva(db, [kva_folder], version="synth")
    db.dispose()
    os.environ["VARDTERM_SNOMED_MAP_TARGETS"] = json.dumps(national.DEMO_MAP_TARGETS)
    proc, base, _ = _start_server(url)
    figures = []
    try:
        sct, kva, icd = (quote(s, safe="") for s in ("http://snomed.info/sct", systems.KVA, systems.ICD10SE))
        implicit = quote("http://snomed.info/sct?fhir_cm=99900121000052102", safe="")
        cases = {
            "sct_to_kva": [f"/ConceptMap/$translate?system={sct}&code={c}&targetsystem={kva}"
                           for c in ("609588000", "110473004", "73761001", "241641004", "99900021000052101")],
            "kva_to_sct_reverse": [f"/ConceptMap/$translate?targetCode={c}&targetSystem={kva}"
                                   for c in ("NGB49", "CJE20", "UJF32", "AN042", "KEC01")],
            "icd10se_to_sct": [f"/ConceptMap/$translate?system={icd}&code={c}"
                               for c in ("C189", "H259", "M169", "M171", "F900")],
            "sct_map_refset_fhir_cm": [f"/ConceptMap/$translate?url={implicit}&system={sct}&code={c}"
                                       for c in ("363406005", "363410008", "239873007", "406506008")],
        }
        for name, paths in cases.items():
            httpload.run(base, paths, requests=50, concurrency=1)
            res = httpload.run(base, paths, requests=requests, concurrency=1)
            figures.append(Figure(f"translate_{name}_http_p50", round(statistics.median(res.latencies_ms), 2),
                                  "ms", note=f"p95 {_p(res.latencies_ms, 0.95):.2f} ms, {res.requests} requests, "
                                             f"{res.errors} errors"))
        codes = [c["code"] for c in big.saved.resource["concept"][0]["concept"][0]["concept"][0]["concept"]][:5]
        paths = [f"/CodeSystem/$lookup?system={kva}&version=synth&code={c}" for c in codes]
        res = httpload.run(base, paths, requests=20, concurrency=1)
        figures.append(Figure("lookup_kva_shaped_http_p50", round(statistics.median(res.latencies_ms), 1), "ms",
                              note=f"stored CodeSystem of {big.concepts:,} concepts (resource engine), "
                                   f"p95 {_p(res.latencies_ms, 0.95):.1f} ms, {res.errors} errors"))
    finally:
        proc.terminate()
        proc.wait(10)
    return figures


def _fresh(backend: str, workdir: Path, pg_admin_url: str, name: str) -> str:
    if backend == "sqlite":
        folder = workdir / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return f"sqlite:///{folder / 'vardterm.db'}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    db_name = f"vardterm_bench_{name.replace('-', '_')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return pg_admin_url.rsplit("/", 1)[0] + "/" + db_name


def _report(figures: list[Figure], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    doc = {"suite": "national", "machine": machine(), "commit": git_commit(), "taken": stamp,
           "figures": [asdict(f) for f in figures]}
    path = out / f"bench-national-{stamp}.json"
    path.write_text(json.dumps(doc, indent=2))
    print(format_table(figures))
    print(f"\nWritten to {path}")
