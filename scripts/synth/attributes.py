"""Concept model attributes, role groups, inheritance and concrete values (synthetic-rf2.md §6.3).

* ``attribute_types``: 60 object attributes under 762705008 and 8 data attributes under 762706009,
  each with a domain hierarchy and a range (the top of a hierarchy or one of its level-2 subtrees).
* ``inheritance``: concepts are visited in topological order; a concept copies its parents' groups
  (distribution normal form), refines about 30 % of the copied values to a child of the value, then
  adds new attributes at a per-hierarchy rate chosen so that the mean per concept meets
  ``attributes_per_concept``.
* ``grouping``: grouped attributes join an existing group or open a new one; the laterality-like and
  "all or part of"-like attributes (and a few others) stay ungrouped in group 0.
* ``concrete_values``: about 3 per product, ``#int`` 70 %, ``#decimal`` 25 %, quoted string 5 %.
* V1 -> V2 attribute changes (§6.5) touch leaves only, so the inherited attributes of other concepts
  never change: a value change (old row inactivated, new row with a new id), an added attribute and
  a removed one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .hierarchy import CODE_INDEX, Graph
from .lifecycle import Lifecycle
from .model import Concepts
from .profile import INT_V1, Profile

Row = tuple[int, int, int]
"""One attribute relationship of a concept: (relationshipGroup, type concept, value concept)."""
Group = tuple[int, bool, tuple[tuple[int, int], ...]]
"""A role group while building: (origin id, grouped?, sorted (type, value) pairs)."""

RANGES: dict[str, list[tuple[str, int, int]]] = {
    "finding": [
        ("body", 3, 0),
        ("organism", 1, 0),
        ("substance", 1, 0),
        ("qualifier", 3, 2),
        ("finding", 2, 0),
        ("event", 1, 0),
        ("procedure", 1, 0),
        ("object", 1, 1),
    ],
    "procedure": [
        ("body", 4, 1),
        ("object", 2, 0),
        ("substance", 2, 0),
        ("qualifier", 4, 2),
        ("procedure", 1, 0),
        ("finding", 1, 0),
        ("specimen", 1, 0),
    ],
    "product": [("substance", 3, 0), ("qualifier", 4, 3), ("product", 1, 0)],
    "observable": [("substance", 2, 0), ("body", 2, 0), ("qualifier", 3, 1), ("organism", 1, 0)],
    "situation": [("finding", 1, 0), ("procedure", 1, 0), ("qualifier", 2, 1)],
    "specimen": [("body", 1, 0), ("substance", 1, 0), ("procedure", 1, 0), ("qualifier", 1, 0)],
    "body": [("body", 2, 1), ("qualifier", 2, 1)],
    "event": [("finding", 1, 0), ("event", 1, 0)],
    "organism": [("organism", 1, 0)],
    "substance": [("substance", 1, 0)],
}
"""Per domain hierarchy: (range hierarchy, number of attributes, how many of them are ungrouped)."""

DATA_TYPES = ("int", "int", "int", "int", "dec", "dec", "dec", "str")
DATA_DOMAINS = ("product",) * 6 + ("observable", "product")
REFINE_SHARE = 0.3
JOIN_GROUP_SHARE = 0.4
NEW_GROUP_EXTRA = (0.4, 0.45, 0.15)
SUBTREE_SCALE = 5.0
MAX_PER_GROUP = 4
MAX_ATTRIBUTES = 14


@dataclass(frozen=True)
class AttributeType:
    """One synthetic concept model attribute."""

    concept: int
    domain: str
    range_root: int
    range_code: str
    grouped: bool
    weight: float
    data_type: str | None = None


@dataclass
class Attributes:
    """Final (V2) attribute rows per concept, the V1 rows of changed leaves, and the attribute types."""

    types: list[AttributeType]
    rows: dict[int, list[Row]]
    v1_rows: dict[int, list[Row]] = field(default_factory=dict)
    concrete: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)


def _range_roots(graph: Graph, code: str) -> list[int]:
    """The top of a hierarchy and its level-2 concepts that have children."""
    top = graph.top[code]
    kids = [k for k in graph.children[top] if graph.children[k]]
    return [top] + kids


def define_types(graph: Graph, rnd: random.Random) -> list[AttributeType]:
    """Domain, range and grouping of each synthetic attribute concept."""
    types: list[AttributeType] = []
    slots = iter(graph.object_attributes)
    for domain, ranges in RANGES.items():
        for range_code, count, ungrouped in ranges:
            roots = _range_roots(graph, range_code)
            for i in range(count):
                root = (
                    roots[0]
                    if (i == 0 and range_code != "qualifier") or len(roots) == 1
                    else roots[1 + rnd.randrange(len(roots) - 1)]
                )
                types.append(
                    AttributeType(
                        next(slots), domain, root, range_code, grouped=i >= ungrouped, weight=1.0 / (1 + len(types) % 5)
                    )
                )
    for slot, data_type, domain in zip(graph.data_attributes, DATA_TYPES, DATA_DOMAINS):
        types.append(AttributeType(slot, domain, -1, "", grouped=True, weight=1.0, data_type=data_type))
    return types


def _value_pools(
    types: list[AttributeType], concepts: Concepts, graph: Graph, stable: np.ndarray
) -> dict[int, list[int]]:
    """Stable proper descendants of each range root."""
    roots = {t.range_root for t in types if t.data_type is None}
    by_code: dict[int, list[int]] = {}
    for r in roots:
        by_code.setdefault(int(concepts.code[r]), []).append(r)
    pools: dict[int, list[int]] = {r: [] for r in roots}
    for v in np.flatnonzero(stable & (concepts.kind[: graph.n_active] == 1)).tolist():
        anc = graph.anc[v]
        for r in by_code.get(int(concepts.code[v]), ()):
            if r in anc:
                pools[r].append(v)
    return pools


def _rates(profile: Profile, concepts: Concepts, graph: Graph) -> dict[int, float]:
    """New-attribute rate per hierarchy: target mean divided by the mean in-hierarchy lineage size."""
    rates = {}
    for h in profile.hierarchy_by_code.values():
        if h.attributes <= 0 or h.code not in RANGES:
            continue
        ci = CODE_INDEX[h.code]
        idx = np.flatnonzero((concepts.code[: graph.n_active] == ci) & (concepts.kind[: graph.n_active] == 1))
        lineage = np.mean(
            [sum(1 for a in graph.anc[v] if concepts.code[a] == ci) for v in idx[:: max(1, len(idx) // 2000)]]
        )
        rates[ci] = h.attributes / (0.85 * lineage)
    return rates


class _Assigner:
    """Visits concepts in topological order and builds their groups."""

    def __init__(self, profile, concepts, graph, life, types, rnd):
        self.concepts, self.graph, self.life, self.rnd = concepts, graph, life, rnd
        self.types_by_domain: dict[int, list[AttributeType]] = {}
        for t in types:
            if t.data_type is None:
                self.types_by_domain.setdefault(CODE_INDEX[t.domain], []).append(t)
        self.pools = _value_pools(types, concepts, graph, life.stable)
        self.rates = _rates(profile, concepts, graph)
        self.groups: dict[int, list[Group]] = {}
        self.origins = 0
        self.uniform = np.random.default_rng(rnd.getrandbits(64)).random(len(concepts))
        self.weight = _addition_weights(graph)

    def pick_value(self, t: AttributeType) -> int | None:
        pool = self.pools.get(t.range_root) or []
        return pool[self.rnd.randrange(len(pool))] if pool else None

    def refine(self, value: int) -> int:
        kids = [k for k in self.graph.children[value] if self.life.stable[k]]
        return kids[self.rnd.randrange(len(kids))] if kids else value

    def visit(self, v: int) -> None:
        """Inherit the parents' groups (one copy per group origin), refine some values, add new ones."""
        rnd = self.rnd
        merged: dict[int, Group] = {}
        for p in self.concepts.parents[v]:
            for origin, grouped, attrs in self.groups.get(p, ()):
                if origin not in merged:
                    attrs = tuple(
                        sorted((t, self.refine(val) if rnd.random() < REFINE_SHARE else val) for t, val in attrs)
                    )
                    merged[origin] = (origin, grouped, attrs)
        groups = list(merged.values())
        ci = int(self.concepts.code[v])
        rate = self.rates.get(ci, 0.0) * self.weight[v]
        n_new = min(3, _poisson_quantile(self.uniform[v], rate)) if rate else 0
        candidates = self.types_by_domain.get(ci, [])
        for _ in range(n_new):
            if not candidates or sum(len(g[2]) for g in groups) >= MAX_ATTRIBUTES:
                break
            t = rnd.choices(candidates, weights=[c.weight for c in candidates])[0]
            value = self.pick_value(t)
            if value is None:
                continue
            open_groups = [i for i, (_, g, a) in enumerate(groups) if g and len(a) < MAX_PER_GROUP]
            if t.grouped and open_groups and rnd.random() < JOIN_GROUP_SHARE:
                i = open_groups[rnd.randrange(len(open_groups))]
                origin, _, attrs = groups[i]
                groups[i] = (origin, True, tuple(sorted(set(attrs) | {(t.concept, value)})))
                continue
            members = {(t.concept, value)}
            if t.grouped:
                for _ in range(rnd.choices((0, 1, 2), weights=NEW_GROUP_EXTRA)[0]):
                    other = rnd.choices(candidates, weights=[c.weight for c in candidates])[0]
                    other_value = self.pick_value(other) if other.grouped else None
                    if other_value is not None:
                        members.add((other.concept, other_value))
            self.origins += 1
            groups.append((self.origins, t.grouped, tuple(sorted(members))))
        if groups:
            self.groups[v] = groups


def _recalibrate(profile: Profile, concepts: Concepts, active: list[int], assigner: _Assigner) -> None:
    """Rescale each hierarchy's new-attribute rate by target / achieved mean (the mean is about linear in it)."""
    totals: dict[int, list[int]] = {}
    for v in active:
        ci = int(concepts.code[v])
        if ci in assigner.rates:
            entry = totals.setdefault(ci, [0, 0])
            entry[0] += sum(len(g[2]) for g in assigner.groups.get(v, ()))
            entry[1] += 1
    for h in profile.hierarchy_by_code.values():
        ci = CODE_INDEX[h.code]
        if ci in totals and totals[ci][0]:
            assigner.rates[ci] *= h.attributes * totals[ci][1] / totals[ci][0]


def _addition_weights(graph: Graph) -> np.ndarray:
    """How likely a concept is to add new attributes: 1 for leaves, falling with the size of its subtree.

    Every descendant inherits what a concept adds, so without this a few wide, shallow concepts would
    decide the attribute count of whole hierarchies; with it each concept's expected contribution is
    bounded by ``SUBTREE_SCALE``, which keeps the per-hierarchy means stable at every scale.
    """
    descendants = np.zeros(graph.n_active, np.int64)
    for anc in graph.anc:
        for a in anc:
            descendants[a] += 1
    return (1.0 + descendants / SUBTREE_SCALE) ** -2.0


def _poisson_quantile(u: float, rate: float) -> int:
    """The Poisson(rate) quantile of ``u``: the same ``u`` gives a count that grows with the rate.

    Drawing counts this way (common random numbers) keeps the mean a smooth function of the rate, so
    the calibration pass converges.
    """
    k, p = 0, math.exp(-rate)
    cdf = p
    while u > cdf and k < 10:
        k += 1
        p *= rate / k
        cdf += p
    return k


def _rows_of(groups: list[Group]) -> list[Row]:
    """Attribute rows with role group numbers 1..n for grouped groups and 0 for ungrouped attributes."""
    rows: list[Row] = []
    number = 0
    for _, grouped, attrs in groups:
        if grouped:
            number += 1
        rows += [(number if grouped else 0, t, v) for t, v in attrs]
    return sorted(set(rows))


def _concrete(types: list[AttributeType], rnd: random.Random, groups: int) -> list[tuple[int, int, str]]:
    data = [t for t in types if t.data_type is not None and t.domain == "product"]
    k = rnd.choices((0, 1, 2, 3, 4, 5), weights=(0.05, 0.1, 0.1, 0.3, 0.25, 0.2))[0]
    out = []
    for i in range(k):
        kind = rnd.choices(("int", "dec", "str"), weights=(0.70, 0.25, 0.05))[0]
        t = rnd.choice([d for d in data if d.data_type == kind])
        if kind == "int":
            value = f"#{rnd.randint(1, 1000)}"
        elif kind == "dec":
            value = f"#{rnd.randint(1, 999)}.{rnd.randint(1, 99)}"
        else:
            value = f'"{rnd.choice(("tablet", "vial", "ampoule", "sachet", "patch"))} {rnd.randint(1, 50)}"'
        out.append((1 + i % groups if groups else 1, t.concept, value))
    return sorted(set(out))


def assign_attributes(
    profile: Profile,
    concepts: Concepts,
    graph: Graph,
    life: Lifecycle,
    rng: np.random.Generator,
    progress: Callable[[str, int, int], None],
) -> Attributes:
    """Attribute rows for every active generated concept, concrete values, and the V2 leaf changes."""
    rnd = random.Random(int(rng.integers(1 << 62)))
    types = define_types(graph, rnd)
    assigner = _Assigner(profile, concepts, graph, life, types, rnd)
    product = CODE_INDEX["product"]
    active = np.flatnonzero(concepts.kind[: graph.n_active] == 1).tolist()
    state = rnd.getstate()
    passes = (True, True, False)
    for i, calibrating in enumerate(passes):
        progress("attributes", i, len(passes))
        rnd.setstate(state)
        assigner.groups, assigner.origins = {}, 0
        for v in active:
            if int(concepts.code[v]) in assigner.rates:
                assigner.visit(v)
        if calibrating:
            _recalibrate(profile, concepts, active, assigner)
    attrs = Attributes(types=types, rows={v: _rows_of(g) for v, g in assigner.groups.items()})
    for v in active:
        if concepts.code[v] == product:
            groups = max((g for g, _, _ in attrs.rows.get(v, [])), default=0)
            cv = _concrete(types, rnd, groups)
            if cv:
                attrs.concrete[v] = cv
    _plan_v2_changes(profile, concepts, graph, life, attrs, assigner, rnd)
    return attrs


def _plan_v2_changes(
    profile, concepts, graph, life, attrs: Attributes, assigner: _Assigner, rnd: random.Random
) -> None:
    """Value changes, additions and removals on leaves (§6.5 "relationship rows changed")."""
    leaves = [
        v for v, rows in attrs.rows.items() if not graph.children[v] and life.stable[v] and concepts.created[v] < INT_V1
    ]
    leaves.sort()
    rnd.shuffle(leaves)
    n = profile.changes.relationship_changes
    per_kind = max(1, n * 15 // 100)
    by_concept = {t.concept: t for t in attrs.types}
    it = iter(leaves)
    for kind, count in (("change", max(1, n * 20 // 100)), ("add", per_kind), ("remove", per_kind)):
        done = 0
        for v in it:
            if done == count:
                break
            rows = list(attrs.rows[v])
            if kind == "remove" and len(rows) < 2:
                continue
            old = rows[rnd.randrange(len(rows))]
            t = by_concept[old[1]]
            if kind == "change":
                value = assigner.pick_value(t)
                if value is None or value == old[2]:
                    continue
                new_rows = sorted(set(rows) - {old} | {(old[0], old[1], value)})
            elif kind == "add":
                value = assigner.pick_value(t)
                if value is None:
                    continue
                new_rows = sorted(
                    set(rows) | {(0 if not t.grouped else max(g for g, _, _ in rows) + 1, t.concept, value)}
                )
            else:
                new_rows = sorted(set(rows) - {old})
            if new_rows == sorted(rows):
                continue
            attrs.v1_rows[v] = sorted(rows)
            attrs.rows[v] = new_rows
            done += 1
