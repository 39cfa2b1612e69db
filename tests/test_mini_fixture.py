"""Fast checks on the hand-made mini RF2 fixture (tests/data/mini): the files are valid RF2 and keep the
promises its README makes. Reads the files directly, without the project's loader."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from terminology import snomed
from terminology.snomed import namespace_of, sctid_problem

MINI = Path(__file__).resolve().parent / "data" / "mini"
INT = MINI / "SnomedCT_InternationalRF2_PRODUCTION_20250701T120000Z"
SE = MINI / "SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_20251130T120000Z"
PACKAGES = {INT: ("INT", "20250701"), SE: ("SE1000052", "20251130")}

COMMON = ["id", "effectiveTime", "active", "moduleId"]
REFSET = COMMON + ["refsetId", "referencedComponentId"]
HEADERS = {  # file name prefix -> header (Release File Specification; synthetic-rf2.md §1.3, §1.4)
    "sct2_Concept_": COMMON + ["definitionStatusId"],
    "sct2_Description_": COMMON + ["conceptId", "languageCode", "typeId", "term", "caseSignificanceId"],
    "sct2_TextDefinition_": COMMON + ["conceptId", "languageCode", "typeId", "term", "caseSignificanceId"],
    "sct2_Relationship_": COMMON + ["sourceId", "destinationId", "relationshipGroup", "typeId",
                                    "characteristicTypeId", "modifierId"],
    "sct2_RelationshipConcreteValues_": COMMON + ["sourceId", "value", "relationshipGroup", "typeId",
                                                  "characteristicTypeId", "modifierId"],
    "der2_cRefset_Language": REFSET + ["acceptabilityId"],
    "der2_cRefset_Association": REFSET + ["targetComponentId"],
    "der2_cRefset_AttributeValue": REFSET + ["valueId"],
    "der2_Refset_Simple": REFSET,
    "der2_sRefset_SimpleMap": REFSET + ["mapTarget"],
    "der2_cciRefset_RefsetDescriptor": REFSET + ["attributeDescription", "attributeType", "attributeOrder"],
    "der2_ssRefset_ModuleDependency": REFSET + ["sourceEffectiveTime", "targetEffectiveTime"],
    "der2_cissccRefset_MRCMAttributeDomain": REFSET + ["domainId", "grouped", "attributeCardinality",
                                                       "attributeInGroupCardinality", "ruleStrengthId",
                                                       "contentTypeId"],
    "der2_ssccRefset_MRCMAttributeRange": REFSET + ["rangeConstraint", "attributeRule", "ruleStrengthId",
                                                    "contentTypeId"],
}
EXPECTED_FILES = {
    "INT": ["Terminology/sct2_Concept_{R}_INT_20250701.txt", "Terminology/sct2_Description_{R}-en_INT_20250701.txt",
            "Terminology/sct2_TextDefinition_{R}-en_INT_20250701.txt",
            "Terminology/sct2_Relationship_{R}_INT_20250701.txt",
            "Terminology/sct2_RelationshipConcreteValues_{R}_INT_20250701.txt",
            "Refset/Content/der2_cRefset_Association{R}_INT_20250701.txt",
            "Refset/Content/der2_cRefset_AttributeValue{R}_INT_20250701.txt",
            "Refset/Content/der2_Refset_Simple{R}_INT_20250701.txt",
            "Refset/Language/der2_cRefset_Language{R}-en_INT_20250701.txt",
            "Refset/Map/der2_sRefset_SimpleMap{R}_INT_20250701.txt",
            "Refset/Metadata/der2_cciRefset_RefsetDescriptor{R}_INT_20250701.txt",
            "Refset/Metadata/der2_ssRefset_ModuleDependency{R}_INT_20250701.txt",
            "Refset/Metadata/der2_cissccRefset_MRCMAttributeDomain{R}_INT_20250701.txt",
            "Refset/Metadata/der2_ssccRefset_MRCMAttributeRange{R}_INT_20250701.txt"],
    "SE1000052": ["Terminology/sct2_Concept_{R}_SE1000052_20251130.txt",
                  "Terminology/sct2_Description_{R}-en_SE1000052_20251130.txt",
                  "Terminology/sct2_Description_{R}-sv_SE1000052_20251130.txt",
                  "Terminology/sct2_Relationship_{R}_SE1000052_20251130.txt",
                  "Terminology/sct2_RelationshipConcreteValues_{R}_SE1000052_20251130.txt",
                  "Refset/Content/der2_cRefset_Association{R}_SE1000052_20251130.txt",
                  "Refset/Content/der2_cRefset_AttributeValue{R}_SE1000052_20251130.txt",
                  "Refset/Content/der2_Refset_Simple{R}_SE1000052_20251130.txt",
                  "Refset/Language/der2_cRefset_Language{R}-en_SE1000052_20251130.txt",
                  "Refset/Language/der2_cRefset_Language{R}-sv_SE1000052_20251130.txt",
                  "Refset/Map/der2_sRefset_SimpleMap{R}_SE1000052_20251130.txt",
                  "Refset/Metadata/der2_cciRefset_RefsetDescriptor{R}_SE1000052_20251130.txt",
                  "Refset/Metadata/der2_ssRefset_ModuleDependency{R}_SE1000052_20251130.txt"],
}
FILE_NAME = re.compile(r"^(sct2|der2)_[A-Za-z_]+?(Snapshot|Full)(-[a-z]{2})?_(INT|SE1000052)_(\d{8})\.txt$")


def header_for(name: str) -> list[str]:
    prefixes = [p for p in HEADERS if name.startswith(p)]
    assert prefixes, f"unknown RF2 file {name}"
    return HEADERS[max(prefixes, key=len)]


def rf2_files(release: str | None = None) -> list[Path]:
    files = sorted(p for pkg in PACKAGES for p in pkg.rglob("*.txt"))
    return [p for p in files if release is None or f"/{release}/" in p.as_posix()]


@cache
def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\r\n")
    header = lines[0].split("\t")
    return header, [dict(zip(header, line.split("\t"))) for line in lines[1:-1]]


def rows(pattern: str, release: str = "Snapshot") -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for path in rf2_files(release):
        if path.name.startswith(pattern):
            out.extend(read(path)[1])
    return out


@cache
def concepts() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in rows("sct2_Concept_")}


@cache
def descriptions() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in rows("sct2_Description_") + rows("sct2_TextDefinition_")}


@cache
def parents() -> dict[str, set[str]]:
    active = {c for c, r in concepts().items() if r["active"] == "1"}
    out: dict[str, set[str]] = defaultdict(set)
    for r in rows("sct2_Relationship_"):
        if r["active"] == "1" and r["typeId"] == str(snomed.IS_A):
            assert r["sourceId"] in active and r["destinationId"] in active, r["id"]
            out[r["sourceId"]].add(r["destinationId"])
    return out


def fsn_of(concept_id: int | str) -> str:
    [fsn] = [d["term"] for d in descriptions().values()
             if d["conceptId"] == str(concept_id) and d["active"] == "1" and d["typeId"] == str(snomed.FSN)]
    return fsn


def preferred_terms(concept_id: int | str, refset: int) -> list[str]:
    by_id = descriptions()
    return [by_id[m["referencedComponentId"]]["term"] for m in rows("der2_cRefset_Language")
            if m["active"] == "1" and m["refsetId"] == str(refset) and m["acceptabilityId"] == str(snomed.PREFERRED)
            and by_id[m["referencedComponentId"]]["conceptId"] == str(concept_id)
            and by_id[m["referencedComponentId"]]["typeId"] == str(snomed.SYNONYM)]


# --- build ----------------------------------------------------------------------------------------


def test_build_check_passes():
    result = subprocess.run([sys.executable, str(MINI / "build.py"), "--check"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --- wire format ----------------------------------------------------------------------------------


@pytest.mark.parametrize("package", list(PACKAGES), ids=lambda p: PACKAGES[p][0])
@pytest.mark.parametrize("release", ["Snapshot", "Full"])
def test_expected_files_and_no_others(package, release):
    ns, _ = PACKAGES[package]
    expected = {f"{release}/{f.format(R=release)}" for f in EXPECTED_FILES[ns]}
    present = {p.relative_to(package).as_posix() for p in (package / release).rglob("*") if p.is_file()}
    assert present == expected
    assert (package / "release_package_information.json").is_file()


def test_files_are_utf8_tab_crlf_with_exact_headers():
    assert rf2_files()
    for path in rf2_files():
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), f"{path.name} has a BOM"
        text = data.decode("utf-8")
        assert text.endswith("\r\n"), f"{path.name}: last line without CRLF"
        assert "\n" not in text.replace("\r\n", ""), f"{path.name}: bare LF"
        assert "\r" not in text.replace("\r\n", ""), f"{path.name}: bare CR"
        m = FILE_NAME.match(path.name)
        assert m, f"bad file name {path.name}"
        assert f"/{m[2]}/" in path.as_posix(), f"{path.name} is in the wrong release folder"
        ns, date = PACKAGES[next(p for p in PACKAGES if p in path.parents)]
        assert (m[4], m[5]) == (ns, date), path.name
        header, body = read(path)
        assert header == header_for(path.name), path.name
        for row in body:
            assert len(row) == len(header) and None not in row.values(), f"{path.name}: {row}"
            assert re.fullmatch(r"\d{8}", row["effectiveTime"]) and row["effectiveTime"] <= date
            assert row["active"] in ("0", "1")


# --- identifiers ----------------------------------------------------------------------------------


def test_identifiers_are_valid_sctids_and_uuids():
    partitions = {"sct2_Concept_": "0", "sct2_Description_": "1", "sct2_TextDefinition_": "1",
                  "sct2_Relationship": "2"}
    for path in rf2_files():
        header, body = read(path)
        component = next((p for prefix, p in partitions.items() if path.name.startswith(prefix)), None)
        extension = "SE1000052" in path.name
        for row in body:
            if component is None:
                uuid.UUID(row["id"])
            else:
                assert sctid_problem(row["id"], component) is None, f"{path.name}: {row['id']}"
                expected_ns = 1000052 if extension else None
                assert namespace_of(row["id"]) == expected_ns, f"{path.name}: {row['id']} namespace"
            for column in header[3:]:
                if column.endswith("Id") and column not in ("referencedComponentId",):
                    assert sctid_problem(row[column], "0") is None, f"{path.name}: {column} {row[column]}"
            if "referencedComponentId" in row:
                assert sctid_problem(row["referencedComponentId"]) is None
            if "targetComponentId" in row:
                assert sctid_problem(row["targetComponentId"]) is None


def test_component_references_resolve():
    ids = set(concepts()) | set(descriptions())
    for path in rf2_files("Snapshot"):
        _, body = read(path)
        for row in body:
            assert row["moduleId"] in concepts()
            for column in ("refsetId", "referencedComponentId", "targetComponentId", "valueId", "acceptabilityId",
                           "conceptId", "typeId", "sourceId", "destinationId", "definitionStatusId",
                           "caseSignificanceId", "characteristicTypeId", "modifierId", "attributeDescription",
                           "attributeType"):
                if column in row:
                    assert row[column] in ids, f"{path.name}: {column} {row[column]} is not a component"


def test_full_contains_the_snapshot_and_the_snapshot_is_its_latest_rows():
    for snapshot in rf2_files("Snapshot"):
        full = Path(str(snapshot).replace("/Snapshot/", "/Full/").replace("Snapshot", "Full"))
        latest: dict[str, dict[str, str]] = {}
        seen = set()
        for row in read(full)[1]:
            assert (row["id"], row["effectiveTime"]) not in seen, f"{full.name}: duplicate {row['id']}"
            seen.add((row["id"], row["effectiveTime"]))
            if row["id"] not in latest or row["effectiveTime"] > latest[row["id"]]["effectiveTime"]:
                latest[row["id"]] = row
        assert {r["id"]: r for r in read(snapshot)[1]} == latest, snapshot.name
    assert len(rows("sct2_Concept_", "Full")) > len(rows("sct2_Concept_"))


# --- content rules ----------------------------------------------------------------------------------


def test_size():
    assert 150 <= len(concepts()) <= 300


def test_every_snomed_constant_is_a_concept_with_its_semantic_tag():
    top_level = {snomed.CLINICAL_FINDING: "finding", snomed.PROCEDURE: "procedure",
                 snomed.BODY_STRUCTURE: "body structure", snomed.ORGANISM: "organism",
                 snomed.SUBSTANCE: "substance", snomed.PHARMACEUTICAL_PRODUCT: "product",
                 snomed.PHYSICAL_OBJECT: "physical object", snomed.QUALIFIER_VALUE: "qualifier value",
                 snomed.OBSERVABLE_ENTITY: "observable entity", snomed.SITUATION: "situation",
                 snomed.SOCIAL_CONTEXT: "social concept", snomed.EVENT: "event",
                 snomed.ENVIRONMENT_OR_LOCATION: "environment / location", snomed.SPECIMEN: "specimen",
                 snomed.STAGING_AND_SCALES: "staging scale", snomed.RECORD_ARTIFACT: "record artifact",
                 snomed.PHYSICAL_FORCE: "physical force", snomed.SPECIAL_CONCEPT: "special concept",
                 snomed.ROOT: "SNOMED RT+CTV3", snomed.MODEL_COMPONENT: "metadata"}
    attributes = {snomed.IS_A, snomed.CONCEPT_MODEL_ATTRIBUTE, snomed.CONCEPT_MODEL_OBJECT_ATTRIBUTE,
                  snomed.CONCEPT_MODEL_DATA_ATTRIBUTE, snomed.ROLE_GROUP}
    core = {snomed.MODULE, snomed.CORE_MODULE, snomed.MODEL_MODULE, snomed.SWEDISH_MODULE, snomed.PRIMITIVE,
            snomed.DEFINED, snomed.FSN, snomed.SYNONYM, snomed.DEFINITION, snomed.CASE_INSENSITIVE,
            snomed.INITIAL_CHARACTER_CASE_INSENSITIVE, snomed.ENTIRE_TERM_CASE_SENSITIVE, snomed.INFERRED,
            snomed.STATED, snomed.ADDITIONAL, snomed.EXISTENTIAL}
    owl = {snomed.OWL_ONTOLOGY_NAMESPACE, snomed.OWL_ONTOLOGY_HEADER}
    checked = 0
    for name in dir(snomed):
        value = getattr(snomed, name)
        if not name.isupper() or not isinstance(value, int) or isinstance(value, bool):
            continue
        want = (top_level.get(value) or ("attribute" if value in attributes else None)
                or ("core metadata concept" if value in core else None)
                or ("OWL metadata concept" if value in owl else "foundation metadata concept"))
        assert fsn_of(value).endswith(f" ({want})"), f"snomed.{name} = {value}: {fsn_of(value)!r}"
        checked += 1
    assert checked > 100


def test_one_fsn_per_concept_unique_among_active_concepts():
    fsns: dict[str, list[str]] = defaultdict(list)
    for d in descriptions().values():
        if d["active"] == "1" and d["typeId"] == str(snomed.FSN):
            fsns[d["conceptId"]].append(d["term"])
    assert set(fsns) == set(concepts())
    assert all(len(v) == 1 and re.search(r" \([^()]+\)$", v[0]) for v in fsns.values()), fsns
    active = [fsns[c][0] for c, r in concepts().items() if r["active"] == "1"]
    assert len(active) == len(set(active))


def test_one_preferred_synonym_per_language_refset_and_fsn_preferred():
    by_id = descriptions()
    preferred: dict[tuple[str, str], int] = defaultdict(int)
    members: set[tuple[str, str]] = set()
    for m in rows("der2_cRefset_Language"):
        d = by_id[m["referencedComponentId"]]
        if m["active"] != "1":
            continue
        assert d["active"] == "1", f"active member {m['id']} of an inactive description"
        members.add((d["conceptId"], m["refsetId"]))
        if d["typeId"] == str(snomed.SYNONYM) and m["acceptabilityId"] == str(snomed.PREFERRED):
            preferred[(d["conceptId"], m["refsetId"])] += 1
        if d["typeId"] == str(snomed.FSN):
            assert m["acceptabilityId"] == str(snomed.PREFERRED)
    assert members and all(preferred[k] == 1 for k in members), [k for k in members if preferred[k] != 1]
    for concept_id in concepts():
        assert (concept_id, str(snomed.US_ENGLISH)) in members and (concept_id, str(snomed.GB_ENGLISH)) in members


def test_is_a_hierarchy_is_acyclic_proximal_and_complete():
    active = {c for c, r in concepts().items() if r["active"] == "1"}
    graph = parents()
    assert active - set(graph) == {str(snomed.ROOT)}

    @cache
    def ancestors(concept_id: str) -> frozenset[str]:
        out: set[str] = set()
        for p in graph.get(concept_id, ()):
            assert p != concept_id
            out |= {p} | ancestors(p)
        assert concept_id not in out, f"cycle through {concept_id}"
        return frozenset(out)

    for concept_id, ps in graph.items():
        assert str(snomed.ROOT) in ancestors(concept_id)
        for p in ps:
            assert not (ancestors(p) & ps), f"{concept_id}: parent {p} is not proximal"


def test_inactive_concepts_have_no_active_relationships_and_carry_history():
    inactive = {c for c, r in concepts().items() if r["active"] == "0"}
    assert len(inactive) >= 4
    for r in rows("sct2_Relationship_") + rows("sct2_RelationshipConcreteValues_"):
        assert not (r["active"] == "1" and r["sourceId"] in inactive), r["id"]
    indicators = [m for m in rows("der2_cRefset_AttributeValue")
                  if m["refsetId"] == str(snomed.CONCEPT_INACTIVATION_INDICATOR) and m["active"] == "1"]
    assert sorted(m["referencedComponentId"] for m in indicators) == sorted(inactive)
    non_current = {m["referencedComponentId"] for m in rows("der2_cRefset_AttributeValue")
                   if m["refsetId"] == str(snomed.DESCRIPTION_INACTIVATION_INDICATOR)
                   and m["valueId"] == str(snomed.CONCEPT_NON_CURRENT)}
    for d in descriptions().values():
        if d["conceptId"] in inactive:
            assert d["active"] == "1" and d["id"] in non_current, d["id"]
    associations = defaultdict(list)
    for m in rows("der2_cRefset_Association"):
        if m["active"] == "1":
            associations[m["refsetId"]].append((m["referencedComponentId"], m["targetComponentId"]))
    assert associations[str(snomed.SAME_AS)] and associations[str(snomed.REPLACED_BY)]
    assert any(len([t for s_, t in associations[str(snomed.POSSIBLY_EQUIVALENT_TO)] if s_ == source]) == 2
               for source, _ in associations[str(snomed.POSSIBLY_EQUIVALENT_TO)])
    # the chain A SAME AS B, B REPLACED BY C
    same_as = dict(associations[str(snomed.SAME_AS)])
    replaced_by = dict(associations[str(snomed.REPLACED_BY)])
    assert any(b in replaced_by and concepts()[replaced_by[b]]["active"] == "1" for b in same_as.values())


def test_edge_cases_are_present():
    by_id = descriptions()
    # different US and GB preferred terms
    assert preferred_terms(363406005, snomed.US_ENGLISH) == ["Malignant tumor of colon"]
    assert preferred_terms(363406005, snomed.GB_ENGLISH) == ["Malignant tumour of colon"]
    # case-sensitive and non-ASCII terms, Swedish letters
    assert any(d["caseSignificanceId"] == str(snomed.ENTIRE_TERM_CASE_SENSITIVE) for d in by_id.values())
    assert any(not d["term"].isascii() and d["languageCode"] == "en" for d in by_id.values())
    assert preferred_terms(609588000, snomed.SWEDISH_LANGUAGE_REFSET) == ["Total knäledsplastik"]
    # an inactive description of an active concept, with its indicator
    inactive_desc = [d for d in by_id.values() if d["active"] == "0"]
    assert any(concepts()[d["conceptId"]]["active"] == "1" for d in inactive_desc)
    # a concrete value, a simple refset, a simple map, module dependencies, refset descriptors
    assert [r["value"] for r in rows("sct2_RelationshipConcreteValues_")] == ["#500"]
    assert rows("der2_Refset_Simple") and rows("der2_sRefset_SimpleMap") and rows("der2_cciRefset_RefsetDescriptor")
    deps = {(m["moduleId"], m["referencedComponentId"], m["targetEffectiveTime"])
            for m in rows("der2_ssRefset_ModuleDependency")}
    assert (str(snomed.SWEDISH_MODULE), str(snomed.CORE_MODULE), "20250701") in deps
    assert (str(snomed.SWEDISH_MODULE), str(snomed.MODEL_MODULE), "20250701") in deps
    # Swedish-only concepts in the Swedish module with International parents
    se_only = [c for c, r in concepts().items() if r["moduleId"] == str(snomed.SWEDISH_MODULE)
               and namespace_of(c) == 1000052]
    assert len(se_only) >= 2
    assert all(preferred_terms(c, snomed.SWEDISH_LANGUAGE_REFSET) for c in se_only)


def test_full_history_edge_cases():
    full_concepts = defaultdict(list)
    for r in rows("sct2_Concept_", "Full"):
        full_concepts[r["id"]].append(r)
    # definition status changed
    assert {r["definitionStatusId"] for r in full_concepts["609588000"]} == {str(snomed.PRIMITIVE),
                                                                            str(snomed.DEFINED)}
    # active earlier, inactivated at the release date
    assert any([r["active"] for r in sorted(v, key=lambda r: r["effectiveTime"])] == ["1", "0"]
               and v[-1]["effectiveTime"] == "20250701" for v in full_concepts.values())
    # a corrected term
    terms = defaultdict(set)
    for r in rows("sct2_Description_", "Full"):
        terms[r["id"]].add(r["term"])
    assert any(len(t) > 1 for t in terms.values())
    # a language member whose acceptability changed
    acceptability = defaultdict(set)
    for r in rows("der2_cRefset_Language", "Full"):
        acceptability[r["id"]].add(r["acceptabilityId"])
    assert any(len(a) > 1 for a in acceptability.values())
    # a relationship destination change: an inactivated is-a and a newer is-a of the same source
    rels = rows("sct2_Relationship_", "Full")
    old = [r for r in rels if r["active"] == "0" and r["typeId"] == str(snomed.IS_A)
           and concepts()[r["sourceId"]]["active"] == "1"]
    assert old and any(r["sourceId"] == o["sourceId"] and r["typeId"] == str(snomed.IS_A) and r["active"] == "1"
                       and r["effectiveTime"] == o["effectiveTime"] for o in old for r in rels)
