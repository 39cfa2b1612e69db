"""ECL figures for ``vardterm bench`` (benchmarks.md: median <= 2 ms, p95 <= 50 ms over a mixed set).

The expression set is drawn from the loaded edition with a fixed seed, in equal parts: hierarchy
(``<``, ``<<``, ``>>``, ``<!``), member-of, attribute refinements (exact and subsumed values), attribute
groups, cardinality, reverse attributes, description filters, and AND / OR / MINUS compositions. Each
expression is evaluated to its size (the whole result is computed in the database) and to its first page of
20 with displays; parsing is timed on its own.
"""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import text

from terminology import Database, TerminologyService, snomed
from terminology.ecl import parse

PER_FAMILY = 12


def expressions(db: Database, seed: int = 5) -> list[tuple[str, str]]:
    """``(family, expression)`` pairs drawn from the first loaded version."""
    version = db.versions()[0]
    engine = db.storage_engine(version.storage)
    with engine.connect() as conn:
        mids = [r[0] for r in conn.execute(text(
            "SELECT ancestor_id FROM closure GROUP BY ancestor_id HAVING COUNT(*) BETWEEN 20 AND 5000 "
            "ORDER BY ancestor_id LIMIT 3000"))]
        rels = [tuple(r) for r in conn.execute(text(
            f"SELECT source_id, type_id, destination_id, rel_group FROM relationship WHERE type_id <> {snomed.IS_A} "
            "AND rel_group > 0 ORDER BY source_id, type_id, destination_id LIMIT 20000"))]
        refsets = [r[0] for r in conn.execute(text("SELECT refset_id FROM refset ORDER BY refset_id"))]
        words = [r[0] for r in conn.execute(text(
            "SELECT term FROM description WHERE active = 1 AND type_id = :syn ORDER BY id LIMIT 3000"),
            {"syn": snomed.SYNONYM})]
        sources = ",".join(str(int(r[0])) for r in rels[:3000]) or "NULL"
        parent_of = dict(conn.execute(text(  # one is-a parent of each source, in one query
            f"SELECT source_id, MIN(destination_id) FROM relationship WHERE type_id = {snomed.IS_A} "
            f"AND source_id IN ({sources}) GROUP BY source_id")).all())
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []

    def add(family: str, make) -> None:
        for _ in range(PER_FAMILY):
            out.append((family, make()))

    grouped = [r for r in rels if r[0] in parent_of]
    add("hierarchy", lambda: f"{rng.choice(('<', '<<', '<!'))} {rng.choice(mids)}")
    add("ancestors", lambda: f">> {rng.choice(grouped)[0]}")
    simple_refsets = [r for r in refsets if r not in (snomed.US_ENGLISH, snomed.GB_ENGLISH)] or refsets
    add("member_of", lambda: f"^ {rng.choice(simple_refsets)}")

    def attribute(template: str):
        """An expression from a template over a random grouped attribute row: ``{p}`` is a parent of the
        source, ``{s}`` the source, ``{t}`` the attribute type, ``{d}`` its value."""
        def make() -> str:
            source, type_, dest, _ = rng.choice(grouped)
            return template.format(p=parent_of[source], s=source, t=type_, d=dest)
        return make

    def term() -> str:
        word = next((w for w in rng.choice(words).split() if len(w) > 3 and w.isalpha()), "abcd")
        return f"< {rng.choice(mids)} {{{{ term = \"{word[:4]}\" }}}}"

    def compose() -> str:
        a, b = rng.choice(mids), rng.choice(mids)
        return f"(<< {a} OR << {b}) MINUS < {rng.choice(mids)}"

    for family, make in (("refinement", attribute("< {p} : {t} = {d}")),
                         ("refinement_subsumed", attribute("<< {p} : {t} = << {d}")),
                         ("group", attribute("<< {p} : {{ {t} = << {d} }}")),
                         ("cardinality", attribute("<< {p} : [1..2] {t} = *")),
                         ("reverse", attribute("* : R {t} = {s}")),
                         ("term_filter", term), ("compose", compose)):
        add(family, make)
    return out


def figures(url: str, figure) -> list:
    """ECL evaluation and parse figures on the database at ``url`` (``figure`` builds a bench Figure)."""
    db = Database(url)
    # Two services: a store remembers the sizes of sets it has counted, so each figure gets its own.
    counting, paging = TerminologyService(db, refresh_seconds=60), TerminologyService(db, refresh_seconds=60)
    exprs = expressions(db)
    for _, e in expressions(db, seed=99)[:20]:  # warm the caches of the database, not of these expressions
        counting.evaluate_ecl(e, count=0)
        paging.evaluate_ecl(e, count=20)
    counts, pages, parses, by_family = [], [], [], {}
    for family, e in exprs:
        t0 = time.perf_counter()
        parse(e)
        parses.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        counting.evaluate_ecl(e, count=0)
        ms = (time.perf_counter() - t0) * 1000
        counts.append(ms)
        by_family.setdefault(family, []).append(ms)
        t0 = time.perf_counter()
        paging.evaluate_ecl(e, count=20)
        pages.append((time.perf_counter() - t0) * 1000)
    db.dispose()
    slowest = max(by_family, key=lambda f: statistics.median(by_family[f]))
    return [
        figure("ecl_eval_p50", round(statistics.median(counts), 2), "ms", "<= 2 ms",
               f"{len(exprs)} expressions in {len(by_family)} families, whole result counted; "
               f"p95 {_p(counts, 0.95):.1f} ms; slowest family {slowest} "
               f"(p50 {statistics.median(by_family[slowest]):.1f} ms)"),
        figure("ecl_eval_p95", round(_p(counts, 0.95), 1), "ms", "<= 50 ms"),
        figure("ecl_first_page_p50", round(statistics.median(pages), 2), "ms", "",
               f"size and first 20 with displays, p95 {_p(pages, 0.95):.1f} ms"),
        figure("ecl_parse_p50", round(statistics.median(parses), 3), "ms", "", f"p95 {_p(parses, 0.95):.3f} ms"),
    ]


def refinement_expression(url: str) -> str:
    """A refinement-heavy expression for the ``$expand`` over HTTP figure."""
    db = Database(url)
    exprs = [e for f, e in expressions(db) if f in ("group", "refinement_subsumed")]
    db.dispose()
    return f"({exprs[0]}) OR ({exprs[1]})"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
