"""``vardterm bench --suite expressions``: post-coordinated expressions on a loaded synthetic edition.

Expressions are made from the loaded version itself, so they are valid whatever the scale: a concept with an
attribute, refined by a child of that attribute's value (``C : { T = V' }``, grouped where the concept groups
it), half of them with the preferred terms in pipes, a quarter with a second attribute of the same group.
Figures (``shared/design/benchmarks.md`` style, medians and 95th percentiles):

* ``CodeSystem/$validate-code`` of an expression over HTTP (one worker, one connection), each expression the
  first time it is asked for (the concept model of the version is warm, the expression is not) and asked again;
* ``$subsumes`` in process between a concept and its refinement, and between two refinements of one concept,
  the first time and again.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import time
from urllib.parse import quote

from sqlalchemy import text

from terminology import Coding, Database, SubsumesRequest, TerminologyService, ValidateRequest, snomed

from . import httpload

SCT = snomed.SYSTEM


def sample_expressions(url: str, n: int, seed: int = 19) -> list[tuple[str, str, str]]:
    """``(concept, its refinement, a more specific refinement)`` triples of valid expressions of the version."""
    db = Database(url)
    version = db.versions()[0]
    engine = db.storage_engine(version.storage)
    rng = random.Random(seed)
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT r.source_id, r.rel_group, r.type_id, r.destination_id FROM relationship r JOIN concept c "
            f"ON c.id = r.source_id AND c.active = 1 WHERE r.type_id <> {snomed.IS_A} ORDER BY r.source_id "
            f"LIMIT 40000")).all()
        rng.shuffle(rows)
        children: dict[int, list[int]] = {}

        def child(concept: int) -> int | None:
            if concept not in children:
                children[concept] = [r[0] for r in conn.execute(text(
                    f"SELECT source_id FROM relationship WHERE destination_id = :d AND type_id = {snomed.IS_A} "
                    f"ORDER BY source_id LIMIT 3"), {"d": concept})]
            found = children[concept]
            return found[0] if found else None

        terms = {}

        def term(concept: int) -> str:
            if concept not in terms:
                found = conn.execute(text("SELECT term FROM concept_term WHERE concept_id = :c AND refset_id = :r"),
                                     {"c": concept, "r": snomed.US_ENGLISH}).scalar()
                terms[concept] = f" |{found}|" if found and "|" not in found else ""
            return terms[concept]

        service = TerminologyService(db, refresh_seconds=3600)
        out: list[tuple[str, str, str]] = []
        for source, group, type_, value in rows:
            finer = child(value)
            finest = child(finer) if finer else None
            if finer is None or finest is None:
                continue
            shown = term if rng.random() < 0.5 else (lambda c: "")
            candidates = (_refine(source, group, type_, finer, shown), _refine(source, group, type_, finest, shown))
            if all(_valid(service, c) for c in candidates):
                out.append((str(source), *candidates))
            if len(out) >= n:
                break
    db.dispose()
    return out


def _refine(source: int, group: int, type_: int, value: int, term) -> str:
    """``source : type = value`` (in braces when the concept has the attribute in a group), with terms."""
    attribute = f"{type_}{term(type_)} = {value}{term(value)}"
    return f"{source}{term(source)} : " + (f"{{ {attribute} }}" if group else attribute)


def _valid(service: TerminologyService, code: str) -> bool:
    return service.validate(ValidateRequest(target="CodeSystem", mode="code", url=SCT,
                                            codings=(Coding(SCT, code),))).result


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(url: str, base: str, figure, *, n: int = 300) -> list:
    """The figures of the suite, the server at ``base`` serving ``url``. The expressions are made in a child
    process, so that nothing of them is remembered here before it is measured."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        triples = pool.apply(sample_expressions, (url, n))
    expressions = [e for _, a, b in triples for e in (a, b)]
    paths = [f"/CodeSystem/$validate-code?url={quote(SCT, safe='')}&code={quote(e, safe='')}" for e in expressions]
    first = httpload.run(base, paths, requests=len(paths), concurrency=1)
    again = httpload.run(base, paths, requests=len(paths), concurrency=1)
    out = [figure("validate_code_expression_http_p50", round(statistics.median(first.latencies_ms), 2), "ms",
                  "<= 3 ms", f"{len(paths)} expressions, each the first time; p95 {_p(first.latencies_ms, 0.95):.2f} "
                             f"ms, {first.errors} errors"),
           figure("validate_code_expression_http_again_p50", round(statistics.median(again.latencies_ms), 2), "ms",
                  "", f"the same, asked again; p95 {_p(again.latencies_ms, 0.95):.2f} ms")]
    db = Database(url)
    service = TerminologyService(db, refresh_seconds=3600)
    pairs = [(c, a) for c, a, _ in triples] + [(a, b) for _, a, b in triples]
    for label in ("first", "again"):
        times = []
        for a, b in pairs:
            t0 = time.perf_counter()
            service.subsumes(SubsumesRequest(system=SCT, code_a=a, code_b=b))
            times.append((time.perf_counter() - t0) * 1000)
        name = "subsumes_expression_in_process_p50" + ("" if label == "first" else "_again")
        out.append(figure(name, round(statistics.median(times), 3), "ms", "<= 1 ms" if label == "first" else "",
                          f"{len(pairs)} pairs (concept / refinement, refinement / finer refinement), {label} time; "
                          f"p95 {_p(times, 0.95):.3f} ms"))
    db.dispose()
    return out
