"""Transitive closure of the is-a hierarchy, computed once at load time.

ARCHITECTURE.md: subsumption and ``<<`` read a closure table and never walk the graph at query time.
The closure is computed in topological order (Kahn's algorithm): a concept's ancestors are the union of
its parents and their ancestors, and each parent is finished before its children. A cycle in the
inferred is-a relationships (which a valid release never has) stops the load with the concepts involved.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from itertools import repeat
from typing import Callable, Iterable, Iterator

import numpy as np

from .errors import LoadError

Progress = Callable[[str, int, int], None]


def ancestor_sets(edges: Iterable[tuple[int, int]],
                  progress: Progress | None = None) -> Iterator[tuple[int, frozenset[int]]]:
    """Yield ``(concept, its proper ancestors)`` for every concept in ``edges`` (``(child, parent)`` pairs).

    Each concept's set is released once all its children are done, so memory follows the width of the
    hierarchy, not its size.
    """
    parents: dict[int, set[int]] = defaultdict(set)
    children: dict[int, set[int]] = defaultdict(set)
    for child, parent in edges:
        if child == parent:
            raise LoadError(f"concept {child} is-a itself")
        parents[child].add(parent)
        children[parent].add(child)
    nodes = set(parents) | set(children)
    waiting = {n: len(parents[n]) for n in nodes}
    pending_children = {n: len(children[n]) for n in nodes}
    ready = [n for n in nodes if waiting[n] == 0]
    ancestors: dict[int, frozenset[int]] = {}
    done = 0
    total = len(nodes)
    while ready:
        node = ready.pop()
        ps = parents[node]
        if len(ps) == 1:
            (p,) = ps
            anc = ancestors[p] | {p}
        else:
            acc: set[int] = set(ps)
            for p in ps:
                acc |= ancestors[p]
            anc = frozenset(acc)
        yield node, anc
        if pending_children[node]:
            ancestors[node] = anc
        for p in ps:
            pending_children[p] -= 1
            if pending_children[p] == 0:
                ancestors.pop(p, None)
        for c in children[node]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
        done += 1
        if progress and done % 50_000 == 0:
            progress("closure", done, total)
    if done != total:
        stuck = sorted(n for n, w in waiting.items() if w > 0)[:10]
        raise LoadError(f"the is-a hierarchy has a cycle through concepts {', '.join(map(str, stuck))}")
    if progress:
        progress("closure", total, total)


def closure_arrays(edges: Iterable[tuple[int, int]],
                   progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The closure as two int64 arrays ``(ancestors, descendants)``, sorted by ancestor then descendant.

    Sorted pairs let the store append to its closure index in order instead of inserting at random.
    """
    anc, desc = array("q"), array("q")
    for node, ancestors in ancestor_sets(edges, progress):
        anc.extend(ancestors)
        desc.extend(repeat(node, len(ancestors)))
    a = np.frombuffer(anc, dtype=np.int64) if len(anc) else np.zeros(0, dtype=np.int64)
    d = np.frombuffer(desc, dtype=np.int64) if len(desc) else np.zeros(0, dtype=np.int64)
    order = np.lexsort((d, a))
    return a[order], d[order]
