"""Ground truth for test oracles (synthetic-rf2.md §6.7 items 1 and 2).

* ``edges.tsv``: the active is-a edges (child, parent) of the V2 edition, read from the same
  snapshot rows the packages contain; ``closure.tsv.gz``: their transitive closure (descendant,
  ancestor; self excluded), computed level by level in numpy.
* ``stats.json``: the acceptance metrics of §6.7 with their targets, a tolerance (±10 % for ratios,
  ±15 % for distribution moments) and pass/fail.
* ``edge_cases.json``: the ids that carry each §6.5 must-have edge case.
* With the extension, ``se/edges.tsv`` and ``se/closure.tsv.gz`` for the merged SE edition
  (International V2 plus SE V2, newest row per component wins).
* ``ecl_cases.jsonl``: ECL expressions with their expected concept ids, computed by brute force over the
  generator's own tables for the International edition and, with the extension, the merged SE edition
  (§6.7 item 3; ``ecl_cases.py``).
* ``release_diff.json`` (with ``versions=2``): what changed from International V1 to V2, from the
  generator's own tables (``release_truth.py``), the oracle of the release diff.

The TSV truth files have a header row and LF line ends (they are not RF2).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from terminology import snomed as s

from .build import World
from .ecl_cases import write_ecl_cases
from .model import Table, snapshot
from .profile import INT_MODULES, INT_V1, INT_V2, SE_V2
from .release_truth import write_release_truth
from .stats import acceptance_stats


def isa_edges(tables: dict[str, Table], modules: tuple[int, ...] | None, date: int) -> np.ndarray:
    """Active is-a edges as an (n, 2) array of (child, parent) SCTIDs, sorted, between active concepts."""
    concept = tables["concept"]
    ci = snapshot(concept, modules, date)
    active = set(concept.ids[concept.columns["key"][ci[concept.columns["active"][ci] == 1]]].tolist())
    rel = tables["relationship"]
    ri = snapshot(rel, modules, date)
    cols = rel.columns
    ri = ri[(cols["active"][ri] == 1) & (cols["typeId"][ri] == s.IS_A)]
    pairs = np.stack([cols["sourceId"][ri], cols["destinationId"][ri]], axis=1)
    keep = np.array([a in active and b in active for a, b in pairs.tolist()], bool) if len(pairs) else np.zeros(0, bool)
    pairs = np.unique(pairs[keep], axis=0) if len(pairs) else pairs.reshape(0, 2)
    return pairs


def closure(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transitive closure of a DAG given as (child, parent) SCTID pairs.

    Returns (nodes, pairs, longest) where ``pairs`` are (descendant, ancestor) SCTIDs sorted and
    ``longest`` is the longest-path level of each node (roots 0).
    """
    nodes, inv = np.unique(edges.reshape(-1), return_inverse=True)
    child, parent = inv.reshape(-1, 2).T
    n = len(nodes)
    level = np.zeros(n, np.int64)
    for _ in range(n + 1):
        new = level.copy()
        np.maximum.at(new, child, level[parent] + 1)
        if np.array_equal(new, level):
            break
        level = new
    else:
        raise ValueError("is-a graph has a cycle")
    start = np.zeros(n, np.int64)
    length = np.zeros(n, np.int64)
    flat = np.zeros(max(16, 16 * n), np.int64)
    used = 0
    order = np.argsort(level[child], kind="stable")
    child, parent = child[order], parent[order]
    bounds = np.searchsorted(level[child], np.arange(1, level.max() + 2))
    lo = 0
    for hi in bounds:
        c, p = child[lo:hi], parent[lo:hi]
        lo = hi
        if not len(c):
            continue
        counts = length[p] + 1
        offsets = np.repeat(start[p] - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        is_self = np.zeros(counts.sum(), bool)
        is_self[np.cumsum(counts) - 1] = True
        values = np.where(is_self, np.repeat(p, counts), flat[np.minimum(offsets, len(flat) - 1)])
        keys = np.unique(np.repeat(c, counts) * n + values)
        desc, anc = np.divmod(keys, n)
        uniq, first, cnt = np.unique(desc, return_index=True, return_counts=True)
        if used + len(anc) > len(flat):
            flat = np.concatenate([flat, np.zeros(max(len(flat), len(anc)), np.int64)])
        flat[used : used + len(anc)] = anc
        start[uniq] = used + first
        length[uniq] = cnt
        used += len(anc)
    desc = np.repeat(np.arange(n), length)
    anc = np.concatenate([flat[start[v] : start[v] + length[v]] for v in range(n)]) if n else np.zeros(0, np.int64)
    pairs = np.stack([nodes[desc], nodes[anc]], axis=1)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return nodes, pairs, level


def _write_tsv(path: Path, header: str, pairs: np.ndarray, compress: bool = False) -> None:
    """Stream (a, b) pairs as TSV with a header row, optionally gzip-compressed without a timestamp."""
    with path.open("wb") as raw:
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=5) if compress else raw
        out.write((header + "\n").encode())
        for start in range(0, len(pairs), 500_000):
            part = pairs[start : start + 500_000].tolist()
            out.write("".join(f"{a}\t{b}\n" for a, b in part).encode())
        if compress:
            out.close()


def write_graph_truth(folder: Path, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``edges.tsv`` and ``closure.tsv.gz`` in ``folder``; returns the closure for the statistics."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_tsv(folder / "edges.tsv", "child\tparent", edges)
    nodes, pairs, level = closure(edges)
    _write_tsv(folder / "closure.tsv.gz", "descendant\tancestor", pairs, compress=True)
    return nodes, pairs, level


def write_truth(
    folder: Path, world: World, file_counts: dict[str, int], progress: Callable[[str, int, int], None]
) -> dict:
    """All truth files; returns the statistics written to ``stats.json``."""
    steps = 4 if world.ext is not None else 3
    edges = isa_edges(world.tables, INT_MODULES, INT_V2)
    nodes, pairs, level = write_graph_truth(folder, edges)
    progress("truth", 1, steps)
    stats = acceptance_stats(world, edges, nodes, pairs, level, file_counts)
    (folder / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
    (folder / "edge_cases.json").write_text(json.dumps(world.edge_cases, indent=2, sort_keys=True) + "\n")
    progress("truth", 2, steps)
    if world.ext is not None:
        write_graph_truth(folder / "se", isa_edges(world.tables, None, SE_V2))
        progress("truth", 3, steps)
    write_ecl_cases(folder / "ecl_cases.jsonl", world, world.profile.params.seed)
    if world.profile.params.versions == 2:
        write_release_truth(folder / "release_diff.json", world.tables, INT_MODULES, INT_V1, INT_V2)
    progress("truth", steps, steps)
    return stats
