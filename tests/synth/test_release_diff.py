"""The release diff and its impact against independent truths (issue 20), on both engines.

* The diff of International V1 -> V2 must equal ``truth/release_diff.json``, which the generator derives from its
  own tables (``scripts/synth/release_truth.py``), never from a database.
* The impact on a generated set of value sets and care services must equal a brute-force recomputation over the
  generator's snapshots of both versions (the ECL oracle's editions): descendants by walking the is-a edges,
  ancestors of every service concept in each version.
"""

from __future__ import annotations

import json
import random

import pytest

import terminology as t
from mappings import care
from scripts.loading import load_rf2
from scripts.synth.ecl_oracle import Edition
from scripts.synth.profile import INT_MODULES

INT_V1, INT_V2 = 20250601, 20250701
V1 = "http://snomed.info/sct/900000000000207008/version/20250601"
V2 = "http://snomed.info/sct/900000000000207008/version/20250701"
SCT = t.snomed.SYSTEM


@pytest.fixture(scope="module")
def loaded(ci):
    """International V1 and V2 loaded side by side, once per backend."""
    made = {}

    def get(backend: str, new_db):
        if backend not in made:
            db = new_db(backend)
            load_rf2(db, [ci.package("intl", INT_V1)])
            load_rf2(db, [ci.package("intl", INT_V2)])
            service = t.TerminologyService(db, refresh_seconds=0)
            made[backend] = (db, service, t.ReleaseReview(service, t.Authoring(service)))
        return made[backend]

    return get


@pytest.fixture(scope="module")
def editions(ci):
    """The generator's snapshots of V1 and V2 (the brute-force side)."""
    from scripts.synth.build import build_world
    from scripts.synth import SynthParams

    world = build_world(SynthParams(scale="ci", extension=True, versions=2), lambda *a: None)
    return Edition(world.tables, INT_MODULES, INT_V1), Edition(world.tables, INT_MODULES, INT_V2)


def test_the_diff_equals_the_generator_truth(ci, loaded, new_db, backend):
    _, _, review = loaded(backend, new_db)
    truth = json.loads((ci.result.truth_dir / "release_diff.json").read_text())
    d = review.diff(V1, V2)
    assert d.from_version == V1 and d.to_version == V2
    assert [int(r.code) for r in d.added] == truth["added"]
    assert [int(r.code) for r in d.reactivated] == truth["reactivated"]
    assert {i.concept.code: {"reason": int(i.reason) if i.reason else None,
                             "associations": sorted([t.snomed.__dict__[_constant(a.name)], int(a.target.code)]
                                                    for a in i.associations)}
            for i in d.inactivated} == truth["inactivated"]
    assert {m.concept.code: {"added": [int(p.code) for p in m.parents_added],
                             "removed": [int(p.code) for p in m.parents_removed]} for m in d.moved} == truth["moved"]
    refsets = {0: "fsn", t.snomed.US_ENGLISH: "en-US", t.snomed.GB_ENGLISH: "en-GB",
               t.snomed.SWEDISH_LANGUAGE_REFSET: "sv"}
    assert sorted([int(x.concept.code), x.language, x.before, x.after] for x in d.terms) == sorted(
        [c, refsets.get(r, str(r)), before, after] for c, r, before, after in truth["terms"])
    assert [int(x.id) for x in d.descriptions_added] == truth["descriptions"]["added"]
    assert [int(x.id) for x in d.descriptions_inactivated] == truth["descriptions"]["inactivated"]
    assert {r.refset.code: {"added": [int(c) for c in r.added], "removed": [int(c) for c in r.removed]}
            for r in d.refsets} == truth["refsets"]
    assert d.counts()["inactivated"] == len(truth["inactivated"]) > 0
    assert sum(d.by_hierarchy["inactivated"].values()) == len(truth["inactivated"])
    assert sum(d.by_module["added"].values()) == len(truth["added"])


def _constant(name: str) -> str:
    return name.replace(" ", "_")


def _descendants(ed: Edition, code: int) -> set[int]:
    """Descendants-or-self of an active concept, walking the is-a edges (empty when it is not active)."""
    pos = ed.index([code])[0]
    if pos < 0 or not ed.active[pos]:
        return set()
    seen, stack = {pos}, [pos]
    while stack:
        v = stack.pop()
        for c in ed.children[ed.children_ptr[v]:ed.children_ptr[v + 1]].tolist():
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return {int(ed.ids[v]) for v in seen}


def _ancestors(ed: Edition, code: int) -> set[int] | None:
    pos = ed.index([code])[0]
    if pos < 0 or not ed.active[pos]:
        return None
    seen, stack = set(), [pos]
    while stack:
        v = stack.pop()
        for p in ed.parents[ed.parents_ptr[v]:ed.parents_ptr[v + 1]].tolist():
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return {int(ed.ids[v]) for v in seen}


def _focus_concepts(review, ed1: Edition, ed2: Edition, rnd: random.Random) -> list[int]:
    """Concepts whose subtrees the release changes (parents of moved and inactivated concepts, and of new ones)
    and random others."""
    d = review.diff(V1, V2)
    focus = {int(p.code) for m in d.moved for p in (*m.parents_added, *m.parents_removed)}
    for r in d.added:
        pos = ed2.index([int(r.code)])[0]
        focus |= {int(ed2.ids[p]) for p in ed2.parents[ed2.parents_ptr[pos]:ed2.parents_ptr[pos + 1]].tolist()}
    active_both = [int(c) for c in ed1.ids[ed1.active].tolist() if _descendants(ed2, int(c))]
    focus |= set(rnd.sample(active_both, 25))
    return sorted(focus)


def test_the_impact_equals_a_brute_force_recomputation(loaded, editions, new_db, backend):
    db, service, review = loaded(backend, new_db)
    ed1, ed2 = editions
    rnd = random.Random(20)
    diff = review.diff(V1, V2)
    inactivated = [int(i.concept.code) for i in diff.inactivated]
    focus = _focus_concepts(review, ed1, ed2, rnd)
    value_sets = [{"resourceType": "ValueSet", "id": f"vs{i}", "url": f"http://example.org/vs/{i}",
                   "version": "1", "status": "active",
                   "compose": {"include": [{"system": SCT, "filter": [{"property": "concept", "op": "is-a",
                                                                      "value": str(c)}]}]}}
                  for i, c in enumerate(focus)]
    listed = {"resourceType": "ValueSet", "id": "listed", "url": "http://example.org/vs/listed", "version": "1",
              "status": "active", "compose": {"include": [{"system": SCT, "concept": [
                  {"code": str(c)} for c in inactivated[:5] + focus[:3]]}]}}
    impact = review.impact(diff, value_sets=value_sets + [listed], concept_maps=[])
    found = {(f.target, f.change, f.code) for f in impact.findings if f.target != "listed"}
    expected = set()
    for vs, c in zip(value_sets, focus):
        before, after = _descendants(ed1, c), _descendants(ed2, c)
        expected |= {(vs["id"], "left", str(x)) for x in before - after}
        expected |= {(vs["id"], "joined", str(x)) for x in after - before}
    assert found == expected
    assert found, "the generated value sets must see the release"
    assert {f.code for f in impact.findings if f.target == "listed" and f.change == "listed-inactive"} == {
        str(c) for c in inactivated[:5]}
    assert not impact.notes

    # Services typed with inactivated, moved and unchanged concepts: written straight to the store (the
    # inactivated ones were valid when they were registered).
    directory = care.CareDirectory(db, service, refresh_seconds=0)
    moved = [int(m.concept.code) for m in diff.moved]
    below_moved = sorted({x for m in moved for x in _descendants(ed2, m)} - set(moved))[:10]
    codes = inactivated + moved + below_moved + focus[:10]
    records = [care.CareService(id=f"svc-{i}", name=f"Tjänst {c}", unit="u-1",
                                types=(t.Coding(SCT, str(c)),)) for i, c in enumerate(codes)]
    directory.store.write([(r, None) for r in records], who="test", channel="cli")
    found_services, checked = care.release.service_impact(directory, diff)
    assert checked == len(records)
    expected_services = set()
    for r, c in zip(records, codes):
        if str(c) in {i.concept.code for i in diff.inactivated}:
            expected_services.add((r.id, "inactivated", (), ()))
            continue
        a1, a2 = _ancestors(ed1, c), _ancestors(ed2, c)
        if a1 is not None and a2 is not None and a1 != a2:
            expected_services.add((r.id, "moved", tuple(sorted(a1 - a2)), tuple(sorted(a2 - a1))))
    assert {(f.target, f.change, tuple(int(x.code) for x in f.searches_lost),
             tuple(int(x.code) for x in f.searches_gained)) for f in found_services} == expected_services
    assert any(f.change == "moved" for f in found_services)
    with_replacement = [f for f in found_services if f.change == "inactivated" and f.suggestion]
    assert all(f.suggestion.name in t.release.REPLACEMENT_ORDER for f in with_replacement)
