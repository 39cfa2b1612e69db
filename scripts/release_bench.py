"""``vardterm bench --suite release``: the release diff and its impact at scale (issue 20).

It generates (or reuses) the synthetic V1 -> V2 International pair of ``--scale``, loads both into one SQLite
database (setup, not a figure of this suite), then in a child process (so its peak RSS is the work's own):

* ``release_diff``: :meth:`terminology.ReleaseReview.diff` of V1 -> V2 (target <= 60 s at ``intl``);
* stores 1,000 active value sets (is-a rules on concepts around the changes and elsewhere, ECL ``<<``, and code
  lists that name inactivated concepts) and the ``care-50k`` directory typed with 3,000 procedures of V1 (some
  of which V2 inactivates or moves; written straight to the store, as they were valid when registered);
* ``release_impact``: the value set, map and service impact of the diff (target <= 120 s at ``intl``);
* ``release_impact_kept``: the same impact asked again, as the page's next view or a download does (kept,
  :mod:`terminology.release.kept`).

Figures go to the console and to ``bench-release-<scale>-<time>.json`` in ``--out``.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import shutil
import time
from pathlib import Path

import terminology as t
from mappings import care
from mappings.care.generate import generate

from .bench import Figure, format_table, git_commit, machine
from .progress import Progress

V1, V2 = "20250601", "20250701"
VALUE_SETS = 1000
POOL = 3000


def ensure_pair(scale, seed: int, workdir: Path) -> list[Path]:
    """The V1 and V2 International packages of ``scale`` (generated once into ``workdir``)."""
    from .synth import SynthParams, generate

    target = workdir / f"release-pair-{scale}-{seed}"
    stamp = target / ".complete"
    if not stamp.exists():
        if not any(target.glob(f"SnomedCT_InternationalRF2_PRODUCTION_{V1}T*")):
            shutil.rmtree(target, ignore_errors=True)
            progress = Progress("synth")
            generate(target, SynthParams(scale=scale, seed=seed, versions=2, full=False), progress)
            progress.done(f"Generated the {scale} V1/V2 pair in {target}")
        stamp.write_text("ok\n")
    return [next(target.glob(f"SnomedCT_InternationalRF2_PRODUCTION_{d}T*")) for d in (V1, V2)]


def run_release(*, scale, seed: int = 42, workdir: Path, out: Path, load: bool = True) -> list[Figure]:
    packages = ensure_pair(scale, seed, workdir)
    url = f"sqlite:///{workdir / 'release-sqlite' / 'vardterm.db'}"
    figures: list[Figure] = []
    if load:
        shutil.rmtree(workdir / "release-sqlite", ignore_errors=True)
        (workdir / "release-sqlite").mkdir(parents=True)
        from .loading import load_rf2

        db = t.Database(url)
        db.initialise()
        for package, date in zip(packages, (V1, V2)):
            started = time.perf_counter()
            load_rf2(db, [package], progress=Progress("load"))
            figures.append(Figure(f"load_{date}", round(time.perf_counter() - started, 1), "s",
                                  note=f"setup, {scale}"))
        db.dispose()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        figures += [Figure(**f) for f in pool.apply(_measure, (url, seed))]
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = out / f"bench-release-{scale}-{stamp}.json"
    path.write_text(json.dumps({"scale": str(scale), "machine": machine(), "commit": git_commit(), "taken": stamp,
                                "figures": [f.__dict__ for f in figures]}, indent=2))
    print(format_table(figures))
    print(f"\nWritten to {path}")
    return figures


def _rss_mib() -> float:
    """Peak resident memory of this process; it counts the pages of the version files SQLite maps (mmap)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)


def _anon_mib() -> float:
    """This process's own (anonymous) memory now, without the mapped files (Linux; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return round(int(line.split()[1]) / 1024, 0)
    except OSError:
        pass
    return 0.0


def _measure(url: str, seed: int) -> list[dict]:
    """In the child: the diff, the stored value sets and directory, the impact."""
    db = t.Database(url)
    service = t.TerminologyService(db, refresh_seconds=0)
    review = t.ReleaseReview(service, t.Authoring(service))
    versions = sorted(v.version for v in service.versions())
    v1, v2 = versions[0], versions[-1]
    out = []
    started = time.perf_counter()
    diff = review.diff(v1, v2)
    out.append(Figure("release_diff", round(time.perf_counter() - started, 1), "s", "<= 60 s (intl)",
                      ", ".join(f"{k} {v}" for k, v in diff.counts().items())).__dict__)
    out.append(Figure("release_diff_peak_rss", _rss_mib(), "MiB", note=f"anonymous {_anon_mib():g} MiB after it")
               .__dict__)
    rnd = random.Random(seed)
    value_sets = _value_sets(service, diff, v1, rnd)
    service.repository.load(value_sets, by=t.COMMAND_LINE)
    directory = care.CareDirectory(db, service, refresh_seconds=0)
    directory.store.clear(who="bench")
    pool = _procedures(service, v1, rnd)
    generated = generate("care-50k", seed=7, concepts=pool)
    started = time.perf_counter()
    directory.store.write([(r, None) for r in generated.records], who="bench", channel="cli")
    services = generated.counts().get("HealthcareService", 0)
    out.append(Figure("release_setup_directory", round(time.perf_counter() - started, 1), "s",
                      note=f"care-50k: {services} services typed with {len(pool)} V1 procedures").__dict__)
    started = time.perf_counter()
    impact = care.release.release_impact(review, directory, diff)
    summary = {k: sum(v.values()) for k, v in impact.summary().items()}
    out.append(Figure("release_impact", round(time.perf_counter() - started, 1), "s", "<= 120 s (intl)",
                      f"{VALUE_SETS} value sets, care-50k; checked {impact.checked}; findings {summary}; "
                      f"{len(impact.notes)} not checked").__dict__)
    started = time.perf_counter()
    again = care.release.release_impact(review, directory, diff)
    out.append(Figure("release_impact_kept", round((time.perf_counter() - started) * 1000, 1), "ms",
                      note="the same impact asked again (the page's next view, a download): "
                           + ("kept, not recomputed" if again is impact else "RECOMPUTED")).__dict__)
    out.append(Figure("release_peak_rss", _rss_mib(), "MiB",
                      note=f"the child: diff, setup and impact; anonymous {_anon_mib():g} MiB at the end").__dict__)
    db.dispose()
    return out


def _procedures(service: t.TerminologyService, version: str, rnd: random.Random) -> tuple[t.Coding, ...]:
    expansion = service.expand(t.ExpandRequest(url=f"{t.snomed.SYSTEM}?fhir_vs=isa/{t.snomed.PROCEDURE}",
                                               count=100_000, active_only=True,
                                               system_versions=(f"{t.snomed.SYSTEM}|{version}",),
                                               force_system_versions=(f"{t.snomed.SYSTEM}|{version}",)))
    items = sorted((i for i in expansion.items if i.code != str(t.snomed.PROCEDURE)), key=lambda i: int(i.code))
    return tuple(t.Coding(i.system, i.code, i.display) for i in rnd.sample(items, min(POOL, len(items))))


def _value_sets(service: t.TerminologyService, diff, version: str, rnd: random.Random) -> list[dict]:
    """1,000 active value sets: a third on the parents of changed concepts, the rest on random concepts that
    have a few descendants, some listing inactivated codes."""
    ed = service.edition(version)
    near = sorted({p.code for m in diff.moved for p in (*m.parents_added, *m.parents_removed)}
                  | {a.target.code for i in diff.inactivated for a in i.associations if a.name == "WAS A"})
    with_children = [str(c) for c in _sample_parents(ed, rnd, 4000)]
    focus = rnd.sample(near, min(len(near), VALUE_SETS // 3))
    focus += rnd.sample(with_children, min(len(with_children), VALUE_SETS - len(focus)))
    focus = (focus * (VALUE_SETS // max(1, len(focus)) + 1))[:VALUE_SETS]  # small scales repeat concepts
    inactivated = [i.concept.code for i in diff.inactivated]
    out = []
    for n, code in enumerate(focus[:VALUE_SETS]):
        if n % 10 == 0 and inactivated:
            include = {"system": t.snomed.SYSTEM, "concept": [{"code": c} for c in rnd.sample(
                inactivated, min(3, len(inactivated)))] + [{"code": code}]}
        elif n % 10 == 1:
            include = {"system": t.snomed.SYSTEM, "filter": [{"property": "constraint", "op": "=",
                                                              "value": f"<< {code}"}]}
        else:
            include = {"system": t.snomed.SYSTEM, "filter": [{"property": "concept", "op": "is-a", "value": code}]}
        out.append({"resourceType": "ValueSet", "id": f"bench-vs-{n}", "url": f"http://bench.example/vs/{n}",
                    "version": "1.0.0", "name": f"BenchVs{n}", "status": "active", "compose": {"include": [include]}})
    return out


def _sample_parents(ed, rnd: random.Random, n: int) -> list[int]:
    """Concepts with 2..200 descendants (the size of a typical clinical value set)."""
    from sqlalchemy import text

    with ed.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT ancestor_id FROM closure GROUP BY ancestor_id "
                                 "HAVING COUNT(*) BETWEEN 2 AND 200")).all()
    ids = [r[0] for r in rows]
    return rnd.sample(ids, min(n, len(ids)))
