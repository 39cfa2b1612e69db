"""Content invariants of synthetic-rf2.md §6.2, checked on the files of the CI-scale release."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from terminology import snomed as s

INT_V1, INT_V2, SE_V2 = 20250601, 20250701, 20251130
IS_A = str(s.IS_A)


def _concepts(ci, version):
    rows = ci.table("intl", version, "Concept_")
    return {r["id"]: r for r in rows}


def _parents(ci, version):
    active = {c for c, r in _concepts(ci, version).items() if r["active"] == "1"}
    parents = defaultdict(set)
    for r in ci.table("intl", version, "Relationship_"):
        if r["active"] == "1" and r["typeId"] == IS_A:
            assert r["sourceId"] in active, "active is-a from an inactive concept"
            assert r["destinationId"] in active, "active is-a to an inactive concept"
            parents[r["sourceId"]].add(r["destinationId"])
    return active, parents


def _ancestors(parents):
    memo: dict[str, frozenset] = {}

    def anc(c, path=()):
        if c in memo:
            return memo[c]
        assert c not in path, f"cycle through {c}"
        out = set()
        for p in parents.get(c, ()):
            out |= {p} | anc(p, path + (c,))
        memo[c] = frozenset(out)
        return memo[c]

    return {c: anc(c) for c in list(parents)}


@pytest.mark.parametrize("version", [INT_V1, INT_V2])
def test_isa_graph_is_acyclic_connected_and_proximal(ci, version):
    active, parents = _parents(ci, version)
    roots = [c for c in active if not parents.get(c)]
    assert roots == [str(s.ROOT)]
    ancestors = _ancestors(parents)
    for c, ps in parents.items():
        assert str(s.ROOT) in ancestors[c] or c == str(s.ROOT)
        for p in ps:
            assert not (ps - {p}) & ancestors.get(p, frozenset()), f"{c}: parent {p} is an ancestor of another parent"


def test_graph_is_built_in_topological_order_of_creation(ci):
    concepts = _concepts(ci, INT_V2)
    full = ci.table("intl", INT_V2, "Concept_", "Full")
    first = {}
    for r in full:
        first[r["id"]] = min(first.get(r["id"], "99999999"), r["effectiveTime"])
    _, parents = _parents(ci, INT_V2)
    for c, ps in parents.items():
        for p in ps:
            assert first[p] <= first[c] or concepts[c]["moduleId"] != str(s.CORE_MODULE), (c, p)


@pytest.mark.parametrize("version", [INT_V1, INT_V2])
def test_one_fsn_per_concept_and_fsns_unique(ci, version):
    concepts = _concepts(ci, version)
    fsns = defaultdict(list)
    for r in ci.table("intl", version, "Description_", lang="en"):
        if r["active"] == "1" and r["typeId"] == str(s.FSN):
            fsns[r["conceptId"]].append(r["term"])
    for c in concepts:
        assert len(fsns[c]) == 1, (c, fsns[c])
    active_terms = [fsns[c][0] for c, r in concepts.items() if r["active"] == "1"]
    assert len(active_terms) == len(set(active_terms))
    assert all(t.endswith(")") and " (" in t for t in active_terms)


def _language_index(ci, version):
    descs = {
        r["id"]: r
        for content in ("Description_", "TextDefinition_")
        for r in ci.table("intl", version, content, lang="en")
    }
    preferred = defaultdict(list)
    for r in ci.table("intl", version, "cRefset_Language", lang="en"):
        if (
            r["active"] == "1"
            and r["acceptabilityId"] == str(s.PREFERRED)
            and descs[r["referencedComponentId"]]["active"] == "1"
        ):
            d = descs[r["referencedComponentId"]]
            preferred[(d["conceptId"], r["refsetId"], d["typeId"])].append(d["term"])
    return preferred


@pytest.mark.parametrize("version", [INT_V1, INT_V2])
def test_one_preferred_synonym_and_preferred_fsn_per_dialect(ci, version):
    preferred = _language_index(ci, version)
    for c in _concepts(ci, version):
        for refset in (s.US_ENGLISH, s.GB_ENGLISH):
            assert len(preferred[(c, str(refset), str(s.FSN))]) == 1, (c, refset)
            assert len(preferred[(c, str(refset), str(s.SYNONYM))]) == 1, (c, refset)


def test_us_and_gb_preferred_terms_differ_for_some_concepts(ci):
    preferred = _language_index(ci, INT_V2)
    concepts = _concepts(ci, INT_V2)
    differ = [
        c
        for c in concepts
        if preferred[(c, str(s.US_ENGLISH), str(s.SYNONYM))] != preferred[(c, str(s.GB_ENGLISH), str(s.SYNONYM))]
    ]
    assert 0.02 * len(concepts) < len(differ) < 0.06 * len(concepts)


def test_swedish_refset_has_one_preferred_swedish_term_per_concept(ci):
    se = ci.package("se", SE_V2)
    intl = ci.package("intl", INT_V2)
    descs = {
        r["id"]: r
        for p in (
            ci.file(se, "Snapshot", "Description_", "sv"),
            ci.file(se, "Snapshot", "Description_", "en"),
            ci.file(intl, "Snapshot", "Description_", "en"),
        )
        for r in ci.rows(p)
    }
    preferred = defaultdict(list)
    for r in ci.rows(ci.file(se, "Snapshot", "cRefset_Language", "sv")):
        assert r["refsetId"] == str(s.SWEDISH_LANGUAGE_REFSET)
        if r["active"] == "1" and r["acceptabilityId"] == str(s.PREFERRED):
            d = descs[r["referencedComponentId"]]
            preferred[(d["conceptId"], d["typeId"], d["languageCode"])].append(d["term"])
    swedish = {c for c, t, lang in preferred if lang == "sv"}
    assert len(swedish) > 1000
    for c in swedish:
        assert len(preferred[(c, str(s.SYNONYM), "sv")]) == 1
        assert len(preferred[(c, str(s.FSN), "en")]) == 1
    terms = [d["term"] for d in descs.values() if d["languageCode"] == "sv"]
    assert sum(any(ch in t for ch in "åäö") for t in terms) > 0.5 * len(terms)
    assert all(t[0].islower() for (c, typ, lang), ts in preferred.items() if lang == "sv" for t in ts)


def test_terms_never_contain_separators_and_have_features(ci):
    terms = [r["term"] for r in ci.table("intl", INT_V2, "Description_", lang="en")]
    assert not any(ch in t for t in terms for ch in "\t\r\n|")
    assert any(len(t) >= 200 for t in terms)
    assert all(len(t) <= 255 for t in terms)
    assert any(not t.isascii() for t in terms)
    for mark in ('"', "*", "\\", "/", "-", "'"):
        assert any(mark in t for t in terms), mark
    case = Counter(r["caseSignificanceId"] for r in ci.table("intl", INT_V2, "Description_", lang="en"))
    assert set(case) == {
        str(s.CASE_INSENSITIVE),
        str(s.INITIAL_CHARACTER_CASE_INSENSITIVE),
        str(s.ENTIRE_TERM_CASE_SENSITIVE),
    }


@pytest.mark.parametrize("version", [INT_V1, INT_V2])
def test_inactive_concepts_follow_the_rules(ci, version):
    concepts = _concepts(ci, version)
    inactive = {c for c, r in concepts.items() if r["active"] == "0"}
    assert len(inactive) > 1000
    for r in ci.table("intl", version, "Relationship_"):
        assert not (r["active"] == "1" and r["sourceId"] in inactive), r
    indicators = Counter()
    desc_reasons = {}
    for r in ci.table("intl", version, "cRefset_AttributeValue"):
        if r["active"] != "1":
            continue
        if r["refsetId"] == str(s.CONCEPT_INACTIVATION_INDICATOR):
            indicators[r["referencedComponentId"]] += 1
        else:
            desc_reasons[r["referencedComponentId"]] = r["valueId"]
    assert all(indicators[c] == 1 for c in inactive)
    assert not set(indicators) - inactive
    for d in ci.table("intl", version, "Description_", lang="en"):
        if d["conceptId"] in inactive:
            assert d["active"] == "1", d
            assert desc_reasons.get(d["id"]) == str(s.CONCEPT_NON_CURRENT), d


def test_historical_associations(ci):
    concepts = _concepts(ci, INT_V2)
    active = {c for c, r in concepts.items() if r["active"] == "1"}
    by_refset = Counter()
    for r in ci.table("intl", INT_V2, "cRefset_Association"):
        if r["active"] != "1" or r["refsetId"] == str(s.REFERS_TO):
            continue
        by_refset[r["refsetId"]] += 1
        assert r["referencedComponentId"] in concepts and concepts[r["referencedComponentId"]]["active"] == "0"
    for refset in (
        s.SAME_AS,
        s.REPLACED_BY,
        s.POSSIBLY_EQUIVALENT_TO,
        s.WAS_A,
        s.MOVED_TO,
        s.ALTERNATIVE,
        s.POSSIBLY_REPLACED_BY,
        s.PARTIALLY_EQUIVALENT_TO,
    ):
        assert by_refset[str(refset)] > 0, refset
    assert len(active) > 3000


def test_every_active_concept_has_one_class_axiom(ci):
    axioms = Counter()
    for r in ci.table("intl", INT_V2, "sRefset_OWLExpression"):
        if r["active"] == "1" and r["refsetId"] == str(s.OWL_AXIOM_REFSET):
            head = r["owlExpression"].split("(", 1)
            if head[1].startswith(f":{r['referencedComponentId']} "):
                axioms[r["referencedComponentId"]] += 1
            assert r["owlExpression"].count("(") == r["owlExpression"].count(")")
    concepts = _concepts(ci, INT_V2)
    for c, row in concepts.items():
        if row["active"] == "1" and c != str(s.ROOT):
            assert axioms[c] == 1, c


def test_attributes_grouped_and_described_by_mrcm(ci):
    rows = [r for r in ci.table("intl", INT_V2, "Relationship_") if r["active"] == "1" and r["typeId"] != IS_A]
    assert sum(r["relationshipGroup"] != "0" for r in rows) > 0.6 * len(rows)
    ranges = {r["referencedComponentId"] for r in ci.table("intl", INT_V2, "ssccRefset_MRCMAttributeRange")}
    domains = {r["referencedComponentId"] for r in ci.table("intl", INT_V2, "cissccRefset_MRCMAttributeDomain")}
    used = {r["typeId"] for r in rows} | {r["typeId"] for r in ci.table("intl", INT_V2, "RelationshipConcreteValues_")}
    assert used <= ranges and used <= domains
    values = [r["value"] for r in ci.table("intl", INT_V2, "RelationshipConcreteValues_")]
    assert {v[0] for v in values} == {"#", '"'}
    assert any("." in v for v in values if v.startswith("#"))


def test_refset_descriptors_cover_every_refset(ci):
    described = {r["referencedComponentId"] for r in ci.table("intl", INT_V2, "cciRefset_RefsetDescriptor")}
    described |= {r["referencedComponentId"] for r in ci.table("se", SE_V2, "cciRefset_RefsetDescriptor")}
    used = set()
    for pkg in (ci.package("intl", INT_V2), ci.package("se", SE_V2)):
        for path in (pkg / "Snapshot").rglob("der2_*.txt"):
            used |= {r["refsetId"] for r in ci.rows(path)}
        used |= {r["refsetId"] for r in ci.rows(ci.file(pkg, "Snapshot", "sRefset_OWLExpression"))}
    assert used <= described, used - described


def test_simple_map_and_module_dependency(ci):
    maps = ci.table("intl", INT_V2, "sRefset_SimpleMap")
    assert maps and all(r["mapTarget"] for r in maps)
    deps = ci.table("se", SE_V2, "ssRefset_ModuleDependency")
    targets = {r["referencedComponentId"]: r["targetEffectiveTime"] for r in deps}
    assert targets == {str(s.CORE_MODULE): "20250701", str(s.MODEL_MODULE): "20250701"}
    assert {r["sourceEffectiveTime"] for r in deps} == {"20251130"}
