"""Versions, Delta and the must-have edge cases of synthetic-rf2.md §6.5, plus ``verify`` (§6.7 item 4)."""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict

from scripts.synth import verify
from terminology import snomed as s

INT_V1, INT_V2, SE_V1, SE_V2 = 20250601, 20250701, 20250531, 20251130


def _edge_cases(ci) -> dict:
    return json.loads((ci.result.truth_dir / "edge_cases.json").read_text())


def _by_id(rows):
    return {r["id"]: r for r in rows}


def _lines(rows) -> Counter:
    return Counter(tuple(r.values()) for r in rows)


def test_verify_finds_no_problems(ci):
    assert verify(ci.root) == []


def test_verify_detects_a_tampered_snapshot(ci, tmp_path):
    package = ci.package("intl", INT_V2)
    copy = tmp_path / package.name
    shutil.copytree(package, copy)
    path = copy / "Snapshot/Terminology/sct2_Concept_Snapshot_INT_20250701.txt"
    lines = path.read_bytes().split(b"\r\n")
    lines[5] = lines[5].replace(b"\t1\t", b"\t0\t", 1)
    path.write_bytes(b"\r\n".join(lines))
    problems = verify(tmp_path)
    assert any("sct2_Concept_Snapshot" in p for p in problems)


def test_verify_detects_a_broken_delta_and_bare_line_feeds(ci, tmp_path):
    for kind, version in (("intl", INT_V1), ("intl", INT_V2)):
        shutil.copytree(ci.package(kind, version), tmp_path / ci.package(kind, version).name)
    delta = next((tmp_path / ci.package("intl", INT_V2).name / "Delta").rglob("sct2_Description_Delta-en_*.txt"))
    data = delta.read_bytes()
    delta.write_bytes(data[: data.rindex(b"\r\n", 0, len(data) - 2) + 2].replace(b"\r\n", b"\n", 1))
    problems = verify(tmp_path)
    assert any("Full(V1) + Delta" in p for p in problems)
    assert any("bare LF" in p for p in problems)


def test_full_v1_plus_delta_equals_full_v2(ci):
    for kind, v1, v2 in (("intl", INT_V1, INT_V2), ("se", SE_V1, SE_V2)):
        for content, lang in (
            ("Concept_", ""),
            ("Relationship_", ""),
            ("sRefset_OWLExpression", ""),
            ("cRefset_Association", ""),
            ("cRefset_Language", "en" if kind == "intl" else "sv"),
        ):
            full1 = ci.rows(ci.file(ci.package(kind, v1), "Full", content, lang))
            delta = ci.rows(ci.file(ci.package(kind, v2), "Delta", content, lang))
            full2 = ci.rows(ci.file(ci.package(kind, v2), "Full", content, lang))
            assert _lines(full1) + _lines(delta) == _lines(full2), (kind, content)
            assert all(v1 < int(r["effectiveTime"]) <= v2 for r in delta)
    assert len(ci.table("intl", INT_V2, "Description_", "Delta", "en")) > 20


def test_most_concept_rows_carry_the_history_start(ci):
    rows = ci.table("intl", INT_V2, "Concept_")
    share = sum(r["effectiveTime"] == "20020131" for r in rows) / len(rows)
    assert 0.5 < share < 0.7


def test_edge_case_1_component_with_three_rows(ci):
    full = ci.table("intl", INT_V2, "Concept_", "Full")
    counts = Counter(r["id"] for r in full)
    for concept in _edge_cases(ci)["1_component_with_three_or_more_rows"]["concepts"]:
        assert counts[str(concept)] >= 3


def test_edge_case_2_reactivated_concept(ci):
    case = _edge_cases(ci)["2_concept_inactivated_and_reactivated"]
    c = str(case["concept"])
    rows = [r for r in ci.table("intl", INT_V2, "Concept_", "Full") if r["id"] == c]
    assert [r["active"] for r in sorted(rows, key=lambda r: r["effectiveTime"])] == ["1", "0", "1"]
    assert _by_id(ci.table("intl", INT_V1, "Concept_"))[c]["active"] == "0"
    assert _by_id(ci.table("intl", INT_V2, "Concept_"))[c]["active"] == "1"
    v2_rels = [r for r in ci.table("intl", INT_V2, "Relationship_") if r["sourceId"] == c]
    assert v2_rels and all(r["active"] == "1" for r in v2_rels)


def test_edge_case_3_acceptability_change(ci):
    case = _edge_cases(ci)["3_language_member_acceptability_change"]
    v1 = _by_id(ci.table("intl", INT_V1, "cRefset_Language", lang="en"))
    v2 = _by_id(ci.table("intl", INT_V2, "cRefset_Language", lang="en"))
    changed = [i for i, r in v2.items() if i in v1 and r["acceptabilityId"] != v1[i]["acceptabilityId"]]
    assert len(changed) == 2 * len(case["concepts"]) > 0
    assert all(v2[i]["effectiveTime"] == str(INT_V2) and v2[i]["refsetId"] == str(s.US_ENGLISH) for i in changed)


def test_edge_case_4_relationship_destination_change(ci):
    v1 = ci.table("intl", INT_V1, "Relationship_")
    v2 = _by_id(ci.table("intl", INT_V2, "Relationship_"))
    for case in _edge_cases(ci)["4_relationship_destination_change"]:
        src, old, new = str(case["source"]), str(case["old_destination"]), str(case["new_destination"])
        old_row = next(r for r in v1 if r["sourceId"] == src and r["destinationId"] == old and r["active"] == "1")
        assert v2[old_row["id"]]["active"] == "0"
        new_rows = [r for r in v2.values() if r["sourceId"] == src and r["destinationId"] == new and r["active"] == "1"]
        assert len(new_rows) == 1 and new_rows[0]["id"] != old_row["id"]
        assert new_rows[0]["effectiveTime"] == str(INT_V2)


def test_edge_case_5_description_module_change(ci):
    case = _edge_cases(ci)["5_description_module_change"]
    d = str(case["description"])
    assert _by_id(ci.table("intl", INT_V1, "Description_", lang="en"))[d]["moduleId"] == str(s.MODEL_MODULE)
    assert _by_id(ci.table("intl", INT_V2, "Description_", lang="en"))[d]["moduleId"] == str(s.CORE_MODULE)


def test_edge_case_6_promoted_concept(ci):
    c = str(_edge_cases(ci)["6_promoted_concept"]["concept"])
    se_row = _by_id(ci.table("se", SE_V1, "Concept_"))[c]
    int_row = _by_id(ci.table("intl", INT_V2, "Concept_"))[c]
    assert se_row["moduleId"] == str(s.SWEDISH_MODULE) and int(se_row["effectiveTime"]) <= SE_V1
    assert int_row["moduleId"] == str(s.CORE_MODULE) and int_row["effectiveTime"] == str(INT_V2)
    assert c not in _by_id(ci.table("intl", INT_V1, "Concept_"))
    edges = (ci.result.truth_dir / "edges.tsv").read_text().splitlines()
    assert any(line.startswith(f"{c}\t") for line in edges)


def test_edge_case_7_member_on_inactive_concept(ci):
    case = _edge_cases(ci)["7_refset_member_on_inactive_concept"]
    concepts = _by_id(ci.table("intl", INT_V2, "Concept_"))
    members = {
        r["referencedComponentId"]: r
        for r in ci.table("intl", INT_V2, "Refset_Simple")
        if r["refsetId"] == str(case["refset"])
    }
    assert case["concepts"]
    for c in map(str, case["concepts"]):
        assert members[c]["active"] == "1" and concepts[c]["active"] == "0"
    assert any(r["active"] == "0" for r in members.values())


def test_edge_case_8_association_chain(ci):
    concepts = _by_id(ci.table("intl", INT_V2, "Concept_"))
    assoc = {
        (r["refsetId"], r["referencedComponentId"], r["targetComponentId"]): r
        for r in ci.table("intl", INT_V2, "cRefset_Association")
    }
    chains = _edge_cases(ci)["8_association_chains"]
    assert chains
    for chain in chains:
        a, b, c = str(chain["a"]), str(chain["b"]), str(chain["c"])
        assert assoc[(str(s.SAME_AS), a, b)]["active"] == "1"
        assert assoc[(str(s.REPLACED_BY), b, c)]["active"] == "1"
        assert (concepts[a]["active"], concepts[b]["active"], concepts[c]["active"]) == ("0", "0", "1")
        assert _by_id(ci.table("intl", INT_V1, "Concept_"))[b]["active"] == "1"


def test_edge_case_9_association_member_inactivated(ci):
    concepts = {str(c) for c in _edge_cases(ci)["9_association_member_inactivated"]["concepts"]}
    rows = ci.table("intl", INT_V2, "cRefset_Association")
    inactive = {r["referencedComponentId"] for r in rows if r["active"] == "0"}
    assert concepts and concepts <= inactive


def test_swedish_history_and_merge(ci):
    v1 = _by_id(ci.table("se", SE_V1, "Description_", lang="sv"))
    v2 = _by_id(ci.table("se", SE_V2, "Description_", lang="sv"))
    assert set(v1) < set(v2)
    assert all(int(r["effectiveTime"]) <= SE_V1 for r in v1.values())
    merged = defaultdict(set)
    for line in (ci.result.truth_dir / "se" / "edges.tsv").read_text().splitlines()[1:]:
        child, parent = line.split("\t")
        merged[child].add(parent)
    se_concepts = [r["id"] for r in ci.table("se", SE_V2, "Concept_") if r["active"] == "1"]
    assert se_concepts and all(merged[c] for c in se_concepts)
