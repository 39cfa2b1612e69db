"""Concept history: creation dates, inactive concepts and the V1 -> V2 concept changes.

Implements synthetic-rf2.md §6.5 (effectiveTime profile, change volume, the concept-level must-have
edge cases 1, 2, 4, 8 and 9) and §6.6 (inactivation reasons with their historical associations).

* Active concepts are created on the history start (20020131), except 20 % of the leaves, which
  get a later release; so a child is never older than its parents, and about 60 % of the concept
  Snapshot rows carry 20020131 (the 2014 profile of §2.1).
* Inactive concepts are leaves outside the active graph, with "former parents" in their hierarchy,
  one concept inactivation indicator each and associations per §6.6. The §6.6 row "no indicator
  (old data)" conflicts with the §6.2 invariant "one concept inactivation indicator member each";
  the invariant wins and that 5 % is spread over the other reasons.
* Targets of associations are concepts active from their creation on ("stable"), except the
  intended chains A SAME AS B, B REPLACED BY C where B is inactivated in V2.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

import numpy as np

from terminology import snomed as s

from .hierarchy import CODE_INDEX, Graph
from .ids import ItemAllocator, sctids
from .model import KIND_INACTIVE, Concepts
from .profile import HIERARCHIES, HISTORY_START, INT_V1, INT_V2, OWL_START, SPECIAL_CODE, Profile

REASONS: tuple[tuple[int, float], ...] = (
    (s.DUPLICATE, 0.21),
    (s.OUTDATED, 0.16),
    (s.AMBIGUOUS, 0.13),
    (s.ERRONEOUS, 0.11),
    (s.LIMITED, 0.21),
    (s.MOVED_ELSEWHERE, 0.05),
    (s.NONCONFORMANCE_TO_EDITORIAL_POLICY, 0.05),
    (s.CLASSIFICATION_DERIVED_COMPONENT, 0.05),
    (s.MEANING_OF_COMPONENT_UNKNOWN, 0.03),
)
"""Inactivation reasons and their shares (§6.6, with "no indicator" redistributed)."""
LATE_LEAF_SHARE = 0.2


@dataclass(slots=True)
class Association:
    """One historical association member: ``source`` concept index, refset, ``target`` concept index."""

    source: int
    refset: int
    target: int
    created: int
    inactivated: int = 0


@dataclass
class Lifecycle:
    """Concept-level history decisions shared by the later stages."""

    stable: np.ndarray
    new_v2: np.ndarray
    reactivated: int
    reactivated_off: int
    defstatus_v2: np.ndarray
    defstatus_old: dict[int, int]
    reparent_v2: list[tuple[int, int, int]]
    reparent_old: list[tuple[int, int, int]]
    inactive: range
    reason: dict[int, int]
    associations: list[Association] = field(default_factory=list)
    chains: list[tuple[int, int, int]] = field(default_factory=list)
    retargeted: int = -1


def _dates_between(dates: list[int], lo: int, hi: int) -> list[int]:
    return [d for d in dates if lo < d <= hi]


def _assign_created(concepts: Concepts, graph: Graph, profile: Profile, rnd: random.Random) -> None:
    """Creation dates: the history start for most concepts, later releases for some leaves (§6.5).

    Later dates go to leaves only, so they never cascade down a subtree (a child is never older than
    its parents).
    """
    later = _dates_between(profile.int_dates, HISTORY_START, INT_V1)
    created = np.full(graph.n_active, HISTORY_START, np.int32)
    for v in _leaves(concepts, graph).tolist():
        if rnd.random() < LATE_LEAF_SHARE:
            created[v] = later[rnd.randrange(len(later))]
    concepts.created[: graph.n_active] = created


def _leaves(concepts: Concepts, graph: Graph) -> np.ndarray:
    has_children = np.zeros(graph.n_active, bool)
    for v in range(graph.n_active):
        for p in concepts.parents[v]:
            has_children[p] = True
    gen = concepts.kind[: graph.n_active] == 1
    return np.flatnonzero(gen & ~has_children)


def _pick(rnd: random.Random, pool: list[int], n: int) -> list[int]:
    return rnd.sample(pool, min(n, len(pool)))


def _reparent_candidates(concepts: Concepts, graph: Graph, stable: np.ndarray, cutoff: int) -> list[int]:
    """Concepts with one parent, that parent being a generated concept (so it has a parent of its own)."""
    out = []
    for v in np.flatnonzero(stable & (concepts.kind[: graph.n_active] == 1)).tolist():
        ps = concepts.parents[v]
        if len(ps) == 1 and concepts.kind[ps[0]] == 1 and concepts.created[v] < cutoff:
            out.append(v)
    return out


def plan_lifecycle(
    profile: Profile, concepts: Concepts, graph: Graph, alloc: ItemAllocator, rng: np.random.Generator
) -> Lifecycle:
    """Decide creation dates, inactive concepts and V2 concept changes; append inactive concepts."""
    rnd = random.Random(int(rng.integers(1 << 62)))
    _assign_created(concepts, graph, profile, rnd)
    ch = profile.changes
    leaves = _leaves(concepts, graph).tolist()
    rnd.shuffle(leaves)
    new_v2 = np.array(sorted(leaves[: ch.new_concepts]), np.int64)
    concepts.created[new_v2] = INT_V2
    reactivated = next(v for v in leaves[ch.new_concepts :] if concepts.created[v] < 20150131)
    stable = np.ones(graph.n_active, bool)
    stable[new_v2] = False
    stable[reactivated] = False
    old_dates = _dates_between(profile.int_dates, 20191231, INT_V1 - 100)
    reactivated_off = old_dates[rnd.randrange(len(old_dates))]

    pool = np.flatnonzero(stable & (concepts.kind[: graph.n_active] == 1)).tolist()
    defstatus_v2 = np.array(sorted(_pick(rnd, pool, ch.changed)), np.int64)
    three_rows = [v for v in defstatus_v2.tolist() if concepts.created[v] < 20100131][:2]
    defstatus_old = {v: 20120131 for v in three_rows}

    cands = _reparent_candidates(concepts, graph, stable, INT_V1)
    rnd.shuffle(cands)
    n_rep = max(2, ch.relationship_changes * 15 // 100)
    chosen = [v for v in cands if stable[concepts.parents[v][0]]][:n_rep]
    reparent_v2 = [(v, concepts.parents[concepts.parents[v][0]][0], concepts.parents[v][0]) for v in chosen]
    taken = set(chosen)
    old_cands = [v for v in cands if v not in taken and concepts.created[v] < 20150131]
    old_pick = old_cands[: int(0.08 * graph.n_active)]
    reparent_old = []
    for v in old_pick:
        p = concepts.parents[v][0]
        lo = max(int(concepts.created[v]), int(concepts.created[p]))
        dates = _dates_between(profile.int_dates, lo, OWL_START - 600)
        if dates:
            reparent_old.append((v, concepts.parents[p][0], dates[rnd.randrange(len(dates))]))

    inactive = _add_inactive(profile, concepts, graph, alloc, rnd, stable)
    life = Lifecycle(
        stable=stable,
        new_v2=new_v2,
        reactivated=reactivated,
        reactivated_off=reactivated_off,
        defstatus_v2=defstatus_v2,
        defstatus_old=defstatus_old,
        reparent_v2=reparent_v2,
        reparent_old=reparent_old,
        inactive=inactive,
        reason={},
    )
    _assign_reasons(profile, concepts, graph, life, rnd)
    return life


def _add_inactive(
    profile: Profile, concepts: Concepts, graph: Graph, alloc: ItemAllocator, rnd: random.Random, stable: np.ndarray
) -> range:
    """Append the inactive concepts: hierarchy, former parents, created and inactivation dates."""
    by_code: dict[int, list[int]] = {}
    for v in np.flatnonzero(stable & (concepts.created[: graph.n_active] < 20240101)).tolist():
        by_code.setdefault(int(concepts.code[v]), []).append(v)
    codes, parents, levels, created, off = [], [], [], [], []
    n_v2 = profile.changes.inactivated
    plan = [(h.code, profile.inactive.get(h.code, 0)) for h in HIERARCHIES]
    plan.append((SPECIAL_CODE, profile.inactive.get(SPECIAL_CODE, 0)))
    dates = _dates_between(profile.int_dates, HISTORY_START, INT_V1)
    for code, count in plan:
        ci = CODE_INDEX[code]
        pool = by_code.get(ci, [graph.top[code]])
        for _ in range(count):
            p = pool[rnd.randrange(len(pool))]
            c = max(
                HISTORY_START if rnd.random() < 0.8 else dates[rnd.randrange(len(dates) - 4)], int(concepts.created[p])
            )
            first_later = bisect.bisect_right(dates, c)
            codes.append(ci)
            parents.append((p,))
            levels.append(int(concepts.level[p]) + 1)
            created.append(c)
            off.append(dates[rnd.randrange(first_later, len(dates))] if first_later < len(dates) else INT_V1)
    order = list(range(len(codes)))
    rnd.shuffle(order)
    eligible = [i for i in order if created[i] < INT_V1]
    for i in eligible[:n_v2]:
        off[i] = INT_V2
    n = len(codes)
    rows = concepts.extend(
        sctid=sctids(alloc.take(n), "0"),
        code=codes,
        kind=KIND_INACTIVE,
        level=levels,
        module=s.CORE_MODULE,
        created=created,
        term=[None] * n,
        tag=[None] * n,
        parents=parents,
    )
    concepts.inactivated[rows.start : rows.stop] = off
    return rows


def _targets(rnd: random.Random, pool: list[int], concepts: Concepts, date: int, k: int) -> list[int]:
    out: list[int] = []
    for _ in range(4 * k):
        t = pool[rnd.randrange(len(pool))]
        if concepts.created[t] <= date and t not in out:
            out.append(t)
            if len(out) == k:
                break
    return out


def _associations_for(reason: int, rnd: random.Random) -> list[tuple[int, int]]:
    """(refset, how many targets) for one inactivation reason (§6.6 table)."""
    if reason == s.DUPLICATE:
        return [(s.SAME_AS, 1)]
    if reason == s.OUTDATED:
        return [(s.REPLACED_BY, 1)] if rnd.random() < 0.5 else [(s.POSSIBLY_REPLACED_BY, rnd.randint(1, 3))]
    if reason == s.AMBIGUOUS:
        return [(s.POSSIBLY_EQUIVALENT_TO, rnd.randint(2, 4))]
    if reason == s.ERRONEOUS:
        return [(s.REPLACED_BY, 1)] if rnd.random() < 0.6 else []
    if reason == s.LIMITED:
        return [(s.WAS_A, rnd.randint(1, 2))]
    if reason == s.MOVED_ELSEWHERE:
        return [(s.MOVED_TO, 1)]
    if reason == s.NONCONFORMANCE_TO_EDITORIAL_POLICY:
        return [(s.ALTERNATIVE, 1)] if rnd.random() < 0.5 else []
    if reason == s.CLASSIFICATION_DERIVED_COMPONENT:
        refset = s.PARTIALLY_EQUIVALENT_TO if rnd.random() < 0.5 else s.POSSIBLY_REPLACED_BY
        return [(refset, rnd.randint(1, 2))]
    return []


def _assign_reasons(profile: Profile, concepts: Concepts, graph: Graph, life: Lifecycle, rnd: random.Random) -> None:
    """Reasons and associations for every inactive concept, then chains and the edge-case members."""
    ids, weights = zip(*REASONS)
    cum = np.cumsum(weights) / sum(weights)
    generated = np.flatnonzero(life.stable & (concepts.kind[: graph.n_active] == 1)).tolist()
    by_code: dict[int, list[int]] = {}
    for v in generated:
        by_code.setdefault(int(concepts.code[v]), []).append(v)
    for v in life.inactive:
        reason = ids[int(np.searchsorted(cum, rnd.random(), side="right"))]
        life.reason[v] = reason
        date = int(concepts.inactivated[v])
        pool = by_code.get(int(concepts.code[v]), generated)
        for refset, k in _associations_for(reason, rnd):
            if refset == s.MOVED_TO:
                targets = [graph.namespaces[rnd.randrange(len(graph.namespaces))]]
            elif refset == s.WAS_A:
                targets = list(concepts.parents[v][:k])
            else:
                targets = _targets(rnd, pool, concepts, date, k)
            life.associations += [Association(v, refset, t, date) for t in targets]
    _add_chains(profile, concepts, life, rnd)
    _add_reactivation(concepts, graph, life, rnd, by_code)
    _add_retargeted(concepts, life, rnd, by_code)


def _add_chains(profile: Profile, concepts: Concepts, life: Lifecycle, rnd: random.Random) -> None:
    """A SAME AS B (A inactivated earlier), B REPLACED BY C (B inactivated in V2): edge case 8."""
    inact = list(life.inactive)
    b_pool = [v for v in inact if concepts.inactivated[v] == INT_V2 and life.reason[v] in (s.OUTDATED, s.ERRONEOUS)]
    a_pool = [v for v in inact if concepts.inactivated[v] < INT_V1 and life.reason[v] == s.DUPLICATE]
    rnd.shuffle(b_pool)
    rnd.shuffle(a_pool)
    for b in b_pool[: profile.chains]:
        a = next(
            (
                x
                for x in a_pool
                if concepts.inactivated[x] >= concepts.created[b] and concepts.code[x] == concepts.code[b]
            ),
            None,
        )
        if a is None:
            continue
        a_pool.remove(a)
        life.reason[b] = s.OUTDATED
        life.chains.append((a, b, concepts.parents[b][0]))
    in_chain = {x for a, b, _ in life.chains for x in (a, b)}
    life.associations = [x for x in life.associations if x.source not in in_chain]
    for a, b, c in life.chains:
        life.associations.append(Association(a, s.SAME_AS, b, int(concepts.inactivated[a])))
        life.associations.append(Association(b, s.REPLACED_BY, c, INT_V2))


def _add_reactivation(
    concepts: Concepts, graph: Graph, life: Lifecycle, rnd: random.Random, by_code: dict[int, list[int]]
) -> None:
    """The reactivated concept: inactive (AMBIGUOUS) between its off date and V2 (edge case 2)."""
    v = life.reactivated
    life.reason[v] = s.AMBIGUOUS
    pool = by_code[int(concepts.code[v])]
    for t in _targets(rnd, pool, concepts, life.reactivated_off, 2):
        life.associations.append(Association(v, s.POSSIBLY_EQUIVALENT_TO, t, life.reactivated_off, INT_V2))


def _add_retargeted(concepts: Concepts, life: Lifecycle, rnd: random.Random, by_code: dict[int, list[int]]) -> None:
    """An association member inactivated later and replaced by one to another target (edge case 9)."""
    by_source: dict[int, list[Association]] = {}
    for a in life.associations:
        by_source.setdefault(a.source, []).append(a)
    in_chain = {x for a, b, _ in life.chains for x in (a, b)}
    for v in life.inactive:
        off = int(concepts.inactivated[v])
        if life.reason[v] != s.OUTDATED or off >= 20200131 or v in in_chain:
            continue
        members = by_source.get(v, [])
        if len(members) != 1:
            continue
        pool = by_code[int(concepts.code[v])]
        new = _targets(rnd, pool, concepts, INT_V1, 2)
        new = [t for t in new if t != members[0].target]
        if not new:
            continue
        change = 20220131
        members[0].inactivated = change
        life.associations.append(Association(v, members[0].refset, new[0], change))
        life.retargeted = v
        return
