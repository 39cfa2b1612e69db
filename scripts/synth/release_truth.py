"""Ground truth of the V1 -> V2 release diff (``truth/release_diff.json``; synthetic-rf2.md §6.5, §6.7).

What changed between International V1 and V2, taken from the generator's own tables: the snapshot of each
edition is read the way a loader would (newest row per component, §1.7) with the brute-force edition of
:mod:`.ecl_oracle`, and the two are compared in plain Python. It never reads a database or calls the
project's diff (``terminology.release``), so the diff can be tested against it.

The meaning of each entry (the same contract as ``terminology.release.ReleaseDiff``):

* ``added``: concepts active in V2 that V1 does not have; ``reactivated``: inactive in V1, active in V2;
  ``inactivated``: active in V1, inactive in V2, with the V2 concept inactivation indicator (valueId) and
  every active V2 historical association (refset, target).
* ``moved``: concepts active in both whose active inferred is-a parents (between active concepts) differ.
* ``terms``: concepts active in both whose preferred term per language refset (``0``: the FSN) differs:
  the preferred synonym is the lowest-id active synonym with an active *preferred* member in the refset; the
  FSN is the lowest-id active FSN, English first.
* ``descriptions``: descriptions active in V2 and not in V1 (``added``), and the reverse (``inactivated``).
* ``refsets``: per refset (language refsets and OWL axioms left out), the referenced components that have an
  active member in V2 and none in V1 (``added``) or the reverse (``removed``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from terminology import snomed as s

from .ecl_oracle import Edition
from .model import Table, snapshot

SKIPPED_TABLES = ("concept", "description", "relationship", "concrete", "language", "owl")


def _preferred_terms(ed: Edition) -> dict[tuple[int, int], str]:
    """``(concept id, refset) -> term`` for the active concepts (refset 0: the FSN)."""
    out: dict[tuple[int, int], tuple[int, str]] = {}
    order = np.argsort(ed.d_id, kind="stable")
    for i in order.tolist():
        if ed.d_type[i] != s.FSN or not ed.active[ed.d_concept[i]]:
            continue
        key = (int(ed.ids[ed.d_concept[i]]), 0)
        rank = (0 if ed.d_language[i] == "en" else 1, int(ed.d_id[i]))
        if key not in out or rank < out[key][0]:
            out[key] = (rank, str(ed.d_term[i]))  # type: ignore[assignment]
    position = {int(d): i for i, d in enumerate(ed.d_id.tolist())}
    for refset, (components, acceptability) in ed.lang.items():
        for d, acc in zip(components.tolist(), acceptability.tolist()):
            i = position.get(int(d))
            if acc != s.PREFERRED or i is None or ed.d_type[i] != s.SYNONYM or not ed.active[ed.d_concept[i]]:
                continue
            key = (int(ed.ids[ed.d_concept[i]]), int(refset))
            if key not in out or d < out[key][0]:
                out[key] = (int(d), str(ed.d_term[i]))  # type: ignore[assignment]
    return {k: v[1] for k, v in out.items()}


def _parents(ed: Edition) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for v in np.flatnonzero(ed.active).tolist():
        ps = ed.parents[ed.parents_ptr[v]:ed.parents_ptr[v + 1]]
        out[int(ed.ids[v])] = {int(ed.ids[p]) for p in ps.tolist()}
    return out


def _active_members(tables: dict[str, Table], modules, date: int) -> dict[str, tuple[np.ndarray, ...]]:
    out = {}
    for name, table in tables.items():
        if name in SKIPPED_TABLES or "refsetId" not in table.columns:
            continue
        r = snapshot(table, modules, date)
        r = r[table.columns["active"][r] == 1]
        extra = next((table.columns[f][r] for f in ("targetComponentId", "valueId") if f in table.columns), None)
        out[name] = (table.columns["refsetId"][r].astype(np.int64),
                     table.columns["referencedComponentId"][r].astype(np.int64), extra)
    return out


def release_changes(tables: dict[str, Table], modules: tuple[int, ...] | None, v1: int, v2: int) -> dict:
    """The changes from the edition at ``v1`` to the edition at ``v2`` (see the module docstring)."""
    a, b = Edition(tables, modules, v1), Edition(tables, modules, v2)
    status_a = dict(zip(a.ids.tolist(), a.active.tolist()))
    status_b = dict(zip(b.ids.tolist(), b.active.tolist()))
    added = sorted(c for c, act in status_b.items() if act and c not in status_a)
    reactivated = sorted(c for c, act in status_b.items() if act and status_a.get(c) is False)
    inactivated_ids = sorted(c for c, act in status_b.items() if not act and status_a.get(c) is True)
    members_b = _active_members(tables, modules, v2)
    reasons: dict[int, int] = {}
    associations: dict[int, list[list[int]]] = {}
    wanted = set(inactivated_ids)
    refsets_ = {r: members_b[r] for r in ("attribute_value", "association") if r in members_b}
    if "attribute_value" in refsets_:
        rs, comps, values = refsets_["attribute_value"]
        for r, c, v in zip(rs.tolist(), comps.tolist(), values.tolist()):
            if r == s.CONCEPT_INACTIVATION_INDICATOR and c in wanted:
                reasons[c] = int(v)
    if "association" in refsets_:
        rs, comps, targets = refsets_["association"]
        for r, c, t in zip(rs.tolist(), comps.tolist(), targets.tolist()):
            if r in s.HISTORICAL_ASSOCIATIONS and c in wanted:
                associations.setdefault(c, []).append([int(r), int(t)])
    inactivated = {str(c): {"reason": reasons.get(c), "associations": sorted(associations.get(c, []))}
                   for c in inactivated_ids}
    pa, pb = _parents(a), _parents(b)
    moved = {}
    for c in sorted(set(pa) & set(pb)):
        if pa[c] != pb[c]:
            moved[str(c)] = {"added": sorted(pb[c] - pa[c]), "removed": sorted(pa[c] - pb[c])}
    ta, tb = _preferred_terms(a), _preferred_terms(b)
    both = {c for c in pa if c in pb}
    terms = sorted([c, r, ta.get((c, r)), tb.get((c, r))] for (c, r) in set(ta) | set(tb)
                   if c in both and ta.get((c, r)) != tb.get((c, r)))
    da, db = set(a.d_id.tolist()), set(b.d_id.tolist())
    members_a = _active_members(tables, modules, v1)
    pairs_a = {(r, c) for rs, cs, _ in members_a.values() for r, c in zip(rs.tolist(), cs.tolist())}
    pairs_b = {(r, c) for rs, cs, _ in members_b.values() for r, c in zip(rs.tolist(), cs.tolist())}
    refsets: dict[str, dict[str, list[int]]] = {}
    for (r, c) in pairs_b - pairs_a:
        refsets.setdefault(str(r), {"added": [], "removed": []})["added"].append(c)
    for (r, c) in pairs_a - pairs_b:
        refsets.setdefault(str(r), {"added": [], "removed": []})["removed"].append(c)
    for v in refsets.values():
        v["added"].sort()
        v["removed"].sort()
    return {"from": v1, "to": v2, "added": added, "reactivated": reactivated, "inactivated": inactivated,
            "moved": moved, "terms": terms,
            "descriptions": {"added": sorted(int(x) for x in db - da), "inactivated": sorted(int(x) for x in da - db)},
            "refsets": refsets}


def write_release_truth(path: Path, tables: dict[str, Table], modules: tuple[int, ...] | None,
                        v1: int, v2: int) -> dict:
    """Write ``release_diff.json`` (sorted keys, one stable layout) and return it."""
    changes = release_changes(tables, modules, v1, v2)
    path.write_text(json.dumps(changes, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return changes
