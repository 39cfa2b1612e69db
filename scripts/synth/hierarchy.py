"""The active is-a graph of the International edition (synthetic-rf2.md §6.2 "Hierarchy", §6.3).

Built in two passes, in topological order (every parent gets a lower index than its children, so the
graph is acyclic by construction):

1. A primary tree per top-level hierarchy, level by level. Level sizes follow a gamma-shaped depth
   profile (``depth_target``); each level's nodes are spread over a fertile subset of the previous
   level with heavy-tailed (Pareto) weights, which gives the ``fanout`` shape (median 2, leaves about
   70 %), plus a few very wide ``hub`` nodes.
2. Extra parents (``parents_dist``, ``extra_parent_policy``): "cousins" found by going 2-4 levels up
   the primary chain and walking back down, from the same hierarchy, mostly one level above the node.
   A candidate is kept only if the parent set stays proximal (no parent is an ancestor of another),
   checked against the ancestor sets kept while building.

The fixed metadata (``metadata.py``) and the synthetic metadata concepts (concept model attributes,
refset concepts, namespace concepts) are placed first, under their fixed parents.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from terminology import snomed as s

from . import metadata as md
from .ids import ItemAllocator, sctids
from .model import KIND_ACTIVE, KIND_FIXED, Concepts
from .profile import HIERARCHIES, HUB_HIERARCHIES, META_CODE, ROOT_CODE, SPECIAL_CODE, TOP_LEVEL_TAGS, Profile

CODES: tuple[str, ...] = (*(h.code for h in HIERARCHIES), META_CODE, SPECIAL_CODE, ROOT_CODE)
CODE_INDEX = {c: i for i, c in enumerate(CODES)}

OBJECT_ATTRIBUTES = 60
DATA_ATTRIBUTES = 8
MEAN_CHILDREN = 4.3
WEIGHT_CAP = 300.0
SINGLE_CHILD_SHARE = 0.5
SAME_LEVEL_SHARE = 0.12
PARETO_SHAPE = 1.1
GROWTH_CAP = 10
Progress = Callable[[str, int, int], None]


@dataclass
class Graph:
    """Indices of the special concepts of the active graph, plus ancestor sets used by later stages."""

    n_active: int
    index_of: dict[int, int]
    top: dict[str, int]
    object_attributes: list[int]
    data_attributes: list[int]
    descriptor_attributes: dict[str, int]
    simple_refset: int
    map_refset: int
    namespaces: list[int]
    hubs: list[int]
    anc: list[set[int]]
    children: list[list[int]]

    def release(self) -> None:
        """Drop the ancestor sets and child lists once the attribute stage no longer needs them."""
        self.anc = []
        self.children = []


def up2_share(factor: float) -> float:
    """Share of extra parents found two levels up; lower in small editions, whose trees are narrower.

    Calibrated so that the mean ancestor count stays within the 12-16 target (§6.3 ``ancestors_mean``)
    from the 1 % profile (0.5) to the full one (0.8).
    """
    t = np.clip(np.log10(max(factor, 1e-6) / 0.01), 0.0, 1.0)
    return float(0.5 + 0.3 * t)


def level_sizes(n: int, mean: float, dmax: int) -> list[int]:
    """Sizes of tree levels 2..dmax for ``n`` nodes below a top concept (gamma-shaped, growth-capped)."""
    if n <= 0:
        return []
    x = np.arange(1, dmax, dtype=float)
    theta = (mean - 1.0) / 5.0
    pmf = x**4 * np.exp(-x / theta)
    target = pmf / pmf.sum() * n
    cap2 = int(np.clip(round(2 * n**0.3), 1, 60))
    sizes = [0] * len(x)
    prev = 1
    for d in range(len(x)):
        cap = cap2 if d == 0 else prev * GROWTH_CAP
        sizes[d] = int(min(np.floor(target[d]), cap))
        if d == 0:
            sizes[d] = max(1, sizes[d])
        prev = sizes[d]
    left = n - sum(sizes)
    while left > 0:
        progress = False
        for d in np.argsort(-(target - np.array(sizes)), kind="stable"):
            cap = cap2 if d == 0 else sizes[d - 1] * GROWTH_CAP
            room = min(cap - sizes[d], left, max(1, left // 4))
            if room > 0:
                sizes[d] += room
                left -= room
                progress = True
            if left == 0:
                break
        if not progress:
            sizes[-1] += left
            left = 0
    while sizes and sizes[-1] == 0:
        sizes.pop()
    return sizes


def allocate_children(n_prev: int, n_new: int, rng: np.random.Generator, hubs: list[int]) -> np.ndarray:
    """Children per node of the previous level: a fertile subset, Pareto-weighted, with hub nodes first."""
    counts = np.zeros(n_prev, np.int64)
    fertile_n = min(n_prev, max(1, round(n_new / MEAN_CHILDREN)))
    fertile = rng.choice(n_prev, fertile_n, replace=False)
    counts[fertile] = 1
    extra = n_new - fertile_n
    for i, size in enumerate(hubs[: len(fertile)]):
        take = min(size - 1, extra)
        counts[fertile[i]] += take
        extra -= take
    if extra > 0:
        weights = np.minimum(rng.pareto(PARETO_SHAPE, fertile_n) + 0.05, WEIGHT_CAP)
        if fertile_n > 3:
            weights[rng.random(fertile_n) < SINGLE_CHILD_SHARE] = 0.0
            weights[0] = max(weights[0], 0.05)
        counts[fertile] += rng.multinomial(extra, weights / weights.sum())
    return counts


def _hub_plan(profile: Profile) -> dict[str, list[int]]:
    sizes = {code: profile.active[code] for code in HUB_HIERARCHIES}
    total = sum(sizes.values())
    plan: dict[str, list[int]] = {code: [] for code in HUB_HIERARCHIES}
    for i, hub in enumerate(sorted(profile.hub_sizes, reverse=True)):
        weights = [sizes[c] / total / (1 + len(plan[c])) for c in HUB_HIERARCHIES]
        code = HUB_HIERARCHIES[int(np.argmax(weights))] if i else "organism"
        plan[code].append(hub)
    return plan


class _Builder:
    """Mutable state while the graph grows: concept rows, primary parents, ancestor sets."""

    def __init__(self, profile: Profile, alloc: ItemAllocator, seed: int) -> None:
        self.profile = profile
        self.alloc = alloc
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        self.pyrng = random.Random(seed * 7919 + 3)
        self.sctid: list[int] = []
        self.code: list[int] = []
        self.level: list[int] = []
        self.term: list[str | None] = []
        self.parents: list[tuple[int, ...]] = []
        self.anc: list[set[int]] = []
        self.children: list[list[int]] = []
        self.primary: list[int] = []
        self.index_of: dict[int, int] = {}
        self.hubs: list[int] = []
        self.up2_share = up2_share(profile.factor)

    def add(self, sctid: int, parents: tuple[int, ...], code: int, term: str | None) -> int:
        i = len(self.sctid)
        self.sctid.append(sctid)
        self.code.append(code)
        self.term.append(term)
        self.parents.append(parents)
        self.level.append(1 + max((self.level[p] for p in parents), default=-1))
        anc: set[int] = set()
        for p in parents:
            anc |= self.anc[p]
            anc.add(p)
            self.children[p].append(i)
        self.anc.append(anc)
        self.children.append([])
        self.primary.append(parents[0] if parents else -1)
        self.index_of[sctid] = i
        return i

    def new_ids(self, n: int) -> list[int]:
        return sctids(self.alloc.take(n), "0").tolist()


def _code_of_meta(row: md.MetaConcept) -> int:
    if row.sctid == s.ROOT:
        return CODE_INDEX[ROOT_CODE]
    for h in HIERARCHIES:
        if row.sctid == h.top:
            return CODE_INDEX[h.code]
    if row.sctid in (s.SPECIAL_CONCEPT, md.NAVIGATIONAL_CONCEPT):
        return CODE_INDEX[SPECIAL_CODE]
    return CODE_INDEX[META_CODE]


def _add_metadata(b: _Builder) -> tuple[list[int], list[int], dict[str, int], int, int, list[int]]:
    meta_code = CODE_INDEX[META_CODE]
    for row in md.fixed_metadata(TOP_LEVEL_TAGS):
        parents = () if row.parent is None else (b.index_of[row.parent],)
        b.add(row.sctid, parents, _code_of_meta(row), row.term)
    obj_parent = b.index_of[s.CONCEPT_MODEL_OBJECT_ATTRIBUTE]
    data_parent = b.index_of[s.CONCEPT_MODEL_DATA_ATTRIBUTE]
    ids = iter(b.new_ids(OBJECT_ATTRIBUTES + DATA_ATTRIBUTES + len(md.SYNTHETIC_DESCRIPTOR_ATTRIBUTES) + 2))
    objects: list[int] = []
    for i in range(OBJECT_ATTRIBUTES):
        parent = objects[b.pyrng.randrange(len(objects))] if i >= 10 and b.pyrng.random() < 0.1 else obj_parent
        objects.append(b.add(next(ids), (parent,), meta_code, None))
    data = [b.add(next(ids), (data_parent,), meta_code, None) for _ in range(DATA_ATTRIBUTES)]
    descr_parent = b.index_of[md.ATTRIBUTE_DESCRIPTION]
    descriptors = {
        field: b.add(next(ids), (descr_parent,), meta_code, term)
        for field, term in md.SYNTHETIC_DESCRIPTOR_ATTRIBUTES.items()
    }
    simple = b.add(next(ids), (b.index_of[s.SIMPLE_TYPE_REFSET],), meta_code, None)
    map_refset = b.add(next(ids), (b.index_of[s.SIMPLE_MAP_TYPE_REFSET],), meta_code, None)
    n_ns = max(3, b.profile.active[META_CODE] - len(b.sctid))
    ns_parent = b.index_of[md.NAMESPACE_CONCEPT]
    namespaces = [b.add(i, (ns_parent,), meta_code, None) for i in b.new_ids(n_ns)]
    return objects, data, descriptors, simple, map_refset, namespaces


def _grow_primary(b: _Builder, code: str, top: int, n: int, hubs: list[int]) -> list[int]:
    """Primary tree of one hierarchy; returns the new node indices in creation order."""
    h = b.profile.hierarchy_by_code[code]
    sizes = level_sizes(n, h.depth_mean, h.depth_max)
    prev = [top]
    created: list[int] = []
    hub_nodes: list[int] = []
    pending = sorted(hubs, reverse=True)
    for size in sizes:
        here = [hb for hb in pending if hb <= size * 0.6]
        pending = [hb for hb in pending if hb not in here]
        counts = allocate_children(len(prev), size, b.rng, here)
        ids = b.new_ids(size)
        level: list[int] = []
        k = 0
        for p, c in zip(prev, counts.tolist()):
            if c >= min(hubs, default=10**9):
                hub_nodes.append(p)
            for _ in range(c):
                level.append(b.add(ids[k], (p,), CODE_INDEX[code], None))
                k += 1
        created.extend(level)
        prev = level
    b.hubs.extend(hub_nodes)
    return created


def _cousin(b: _Builder, v: int) -> int | None:
    """A candidate extra parent for ``v``: go 2-4 levels up the primary chain, walk down again."""
    rnd = b.pyrng
    lv = b.level[v]
    a = v
    for _ in range(2 if rnd.random() < b.up2_share else rnd.randint(3, 4)):
        if b.level[b.primary[a]] < 1:
            break
        a = b.primary[a]
    r = rnd.random()
    target = lv if r < SAME_LEVEL_SHARE else (lv - 2 if r < SAME_LEVEL_SHARE + 0.12 else lv - 1)
    if target <= b.level[a]:
        return None
    x = a
    while b.level[x] < target:
        kids = b.children[x]
        if not kids:
            return None
        if b.level[x] == target - 1:
            fertile = [k for k in kids if b.children[k]]
            if fertile and rnd.random() < 0.85:
                kids = fertile
        x = kids[rnd.randrange(len(kids))]
    return x if x < v else None


def _add_extra_parents(b: _Builder, nodes: list[int], weights: tuple[float, ...]) -> None:
    """Second pass over one hierarchy: extra proximal parents, recomputing ancestor sets in order."""
    rnd = b.pyrng
    cum = np.cumsum(weights) / sum(weights)
    for v in nodes:
        p0 = b.primary[v]
        if b.level[v] >= 3:
            want = int(np.searchsorted(cum, rnd.random(), side="right")) + 1
        else:
            want = 1
        parents = [p0]
        anc_v = set(b.anc[p0])
        anc_v.add(p0)
        tries = 0
        while len(parents) < want and tries < 4 * want:
            tries += 1
            q = _cousin(b, v)
            if q is None or q in anc_v or any(p in b.anc[q] for p in parents):
                continue
            parents.append(q)
            anc_v |= b.anc[q]
            anc_v.add(q)
            b.children[q].append(v)
        b.parents[v] = tuple(parents)
        b.anc[v] = anc_v
        b.level[v] = 1 + max(b.level[p] for p in parents)


def build_active_graph(
    profile: Profile, concepts: Concepts, alloc: ItemAllocator, seed: int, progress: Progress | None = None
) -> Graph:
    """Grow the active International graph and append it to ``concepts`` (kinds FIXED and ACTIVE)."""
    b = _Builder(profile, alloc, seed)
    objects, data, descriptors, simple, map_refset, namespaces = _add_metadata(b)
    n_fixed = len(b.sctid)
    plan = _hub_plan(profile)
    for i, h in enumerate(HIERARCHIES):
        top = b.index_of[h.top]
        nodes = _grow_primary(b, h.code, top, profile.active[h.code] - 1, plan.get(h.code, []))
        _add_extra_parents(b, nodes, h.parents)
        if progress:
            progress("hierarchy", i + 1, len(HIERARCHIES))
    n = len(b.sctid)
    module = np.full(n, s.CORE_MODULE, np.int64)
    meta_idx = [i for i in range(n_fixed) if b.code[i] == CODE_INDEX[META_CODE]]
    module[meta_idx] = s.MODEL_MODULE
    kind = np.full(n, KIND_ACTIVE, np.int8)
    kind[:n_fixed] = KIND_FIXED
    concepts.extend(
        sctid=b.sctid,
        code=b.code,
        kind=KIND_ACTIVE,
        level=b.level,
        module=module,
        created=0,
        term=b.term,
        tag=[None] * n,
        parents=b.parents,
    )
    concepts.kind[:] = kind
    top = {h.code: b.index_of[h.top] for h in HIERARCHIES}
    top[META_CODE] = b.index_of[s.MODEL_COMPONENT]
    top[SPECIAL_CODE] = b.index_of[s.SPECIAL_CONCEPT]
    top[ROOT_CODE] = 0
    return Graph(
        n_active=n,
        index_of=b.index_of,
        top=top,
        object_attributes=objects,
        data_attributes=data,
        descriptor_attributes=descriptors,
        simple_refset=simple,
        map_refset=map_refset,
        namespaces=namespaces,
        hubs=sorted(set(b.hubs)),
        anc=b.anc,
        children=b.children,
    )
