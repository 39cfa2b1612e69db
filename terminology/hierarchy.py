"""Transitive closure of the is-a hierarchy, computed once at load time.

ARCHITECTURE.md: subsumption and ``<<`` read a closure table and never walk the graph at query time.
The closure is computed in topological order (Kahn's algorithm): a concept's ancestors are the union of
its parents and their ancestors, and each parent is finished before its children. A cycle in the
inferred is-a relationships (which a valid release never has) stops the load with the concepts involved.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Iterator

from .errors import LoadError


def closure_pairs(edges: Iterable[tuple[int, int]],
                  progress: Callable[[str, int, int], None] | None = None) -> Iterator[tuple[int, int]]:
    """Yield ``(descendant, ancestor)`` for every pair in the transitive closure of ``edges``.

    ``edges`` are ``(child, parent)`` pairs. Self pairs are not yielded. Each concept's ancestor set is
    released once all its children are done, so memory follows the width of the hierarchy, not its size.
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
        for a in anc:
            yield node, a
        if pending_children[node]:
            ancestors[node] = frozenset(anc)
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
