"""RF2 wire format, file layout and identifiers of the generated packages (synthetic-rf2.md §1, §6.2)."""

from __future__ import annotations

import json
import uuid

from scripts.synth.verify import rf2_name
from scripts.synth.writer import HEADERS
from terminology.snomed import SWEDISH_MODULE, namespace_of, sctid_problem

INT_V1, INT_V2, SE_V1, SE_V2 = 20250601, 20250701, 20250531, 20251130

TABLE_OF = {
    "Concept_": "concept",
    "Description_": "description",
    "TextDefinition_": "description",
    "Relationship_": "relationship",
    "RelationshipConcreteValues_": "concrete",
    "StatedRelationship_": "relationship",
    "Identifier_": "identifier",
    "sRefset_OWLExpression": "owl",
    "Refset_Simple": "simple",
    "Refset_DeltagandeÅtgärderSimple": "simple",
    "cRefset_Association": "association",
    "cRefset_AttributeValue": "attribute_value",
    "sRefset_SimpleMap": "simple_map",
    "cRefset_Language": "language",
    "cciRefset_RefsetDescriptor": "descriptor",
    "ssRefset_ModuleDependency": "module_dependency",
    "sssssssRefset_MRCMDomain": "mrcm_domain",
    "cissccRefset_MRCMAttributeDomain": "mrcm_attribute_domain",
    "ssccRefset_MRCMAttributeRange": "mrcm_attribute_range",
    "cRefset_MRCMModuleScope": "mrcm_module_scope",
}
CONCEPT_COLUMNS = {
    "moduleId",
    "definitionStatusId",
    "conceptId",
    "typeId",
    "caseSignificanceId",
    "sourceId",
    "destinationId",
    "characteristicTypeId",
    "modifierId",
    "refsetId",
    "targetComponentId",
    "valueId",
    "acceptabilityId",
    "attributeDescription",
    "attributeType",
    "domainId",
    "ruleStrengthId",
    "contentTypeId",
    "mrcmRuleRefsetId",
}
ID_PARTITION = {"concept": "0", "description": "1", "relationship": "2", "concrete": "2"}


def _rf2_files(ci):
    return [p for pkg in ci.result.packages for p in sorted(pkg.path.rglob("*.txt")) if rf2_name(p.name)]


def test_packages_and_folders(ci):
    names = sorted(p.path.name for p in ci.result.packages)
    assert names == [
        "SnomedCT_InternationalRF2_PRODUCTION_20250601T120000Z",
        "SnomedCT_InternationalRF2_PRODUCTION_20250701T120000Z",
        "SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_20250531T120000Z",
        "SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_20251130T120000Z",
    ]
    v2 = ci.package("intl", INT_V2)
    for folder in ("Terminology", "Refset/Content", "Refset/Map", "Refset/Language", "Refset/Metadata"):
        for release in ("Snapshot", "Full", "Delta"):
            assert (v2 / release / folder).is_dir(), (release, folder)
    assert not (ci.package("intl", INT_V1) / "Delta").exists()
    assert (v2 / "Snapshot/Terminology/sct2_Concept_Snapshot_INT_20250701.txt").is_file()
    assert (v2 / "Snapshot/Terminology/sct2_sRefset_OWLExpressionSnapshot_INT_20250701.txt").is_file()
    assert (v2 / "Snapshot/Refset/Language/der2_cRefset_LanguageSnapshot-en_INT_20250701.txt").is_file()
    se = ci.package("se", SE_V2)
    assert (se / "Snapshot/Terminology/sct2_Description_Snapshot-sv_SE1000052_20251130.txt").is_file()
    assert (se / "Snapshot/Refset/Language/der2_cRefset_LanguageSnapshot-sv_SE1000052_20251130.txt").is_file()
    info = json.loads((v2 / "release_package_information.json").read_text())
    assert info["effectiveTime"] == "20250701"
    assert info["previousPublishedPackage"] == "SnomedCT_InternationalRF2_PRODUCTION_20250601T120000Z.zip"
    assert (v2 / "Readme_en_20250701.txt").is_file()


def test_wire_format_and_headers(ci):
    files = _rf2_files(ci)
    assert len(files) > 100
    for path in files:
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), path.name
        assert data.endswith(b"\r\n"), path.name
        assert b"\n" not in data.replace(b"\r\n", b""), path.name
        text = data.decode("utf-8")
        lines = text.split("\r\n")[:-1]
        table = TABLE_OF[rf2_name(path.name)["prefix"].split("_", 1)[1]]
        assert tuple(lines[0].split("\t")) == HEADERS[table], path.name
        width = len(HEADERS[table])
        for line in lines[1:]:
            fields = line.split("\t")
            assert len(fields) == width, (path.name, line)
            assert fields[2] in ("0", "1"), (path.name, line)
            assert len(fields[1]) == 8 and fields[1].isdigit(), (path.name, line)


def test_every_sctid_is_valid_with_the_right_partition(ci):
    checked = 0
    for path in _rf2_files(ci):
        table = TABLE_OF[rf2_name(path.name)["prefix"].split("_", 1)[1]]
        for row in ci.rows(path):
            if table in ID_PARTITION:
                assert sctid_problem(row["id"], ID_PARTITION[table]) is None, (path.name, row["id"])
            for column in CONCEPT_COLUMNS & row.keys():
                if row[column]:
                    assert sctid_problem(row[column], "0") is None, (path.name, column, row[column])
                    checked += 1
            if "referencedComponentId" in row:
                assert sctid_problem(row["referencedComponentId"]) is None, (path.name, row)
    assert checked > 100_000


def test_refset_member_ids_are_uuid5(ci):
    seen = set()
    for path in _rf2_files(ci):
        if rf2_name(path.name)["prefix"].startswith(("der2", "sct2_sRefset")):
            for row in ci.rows(path):
                parsed = uuid.UUID(row["id"])
                assert parsed.version == 5 and str(parsed) == row["id"]
                seen.add(row["id"])
    assert len(seen) > 10_000


def test_swedish_package_uses_long_format_namespace_ids(ci):
    se = ci.package("se", SE_V2)
    for content, partition in (("Concept_", "0"), ("Description_", "1"), ("Relationship_", "2")):
        langs = ("en", "sv") if content == "Description_" else ("",)
        for lang in langs:
            rows = ci.rows(ci.file(se, "Full", content, lang))
            assert rows, (content, lang)
            for row in rows:
                assert row["moduleId"] == str(SWEDISH_MODULE)
                assert namespace_of(row["id"]) == 1000052, row["id"]
                assert sctid_problem(row["id"], partition) is None


def test_international_package_holds_only_international_modules(ci):
    for path in (p for p in ci.package("intl", INT_V2).rglob("*.txt") if rf2_name(p.name)):
        for row in ci.rows(path):
            assert row["moduleId"] in ("900000000000207008", "900000000000012004"), (path.name, row)


def test_tricky_swedish_file_name_is_a_snapshot(ci):
    snapshot = ci.package("se", SE_V2) / "Snapshot" / "Refset" / "Content"
    tricky = [p for p in snapshot.iterdir() if "Delta" in p.name]
    assert len(tricky) == 1
    name = tricky[0].name
    assert not name.isascii()
    assert rf2_name(name)["release"] == "Snapshot"
    assert len(ci.rows(tricky[0])) > 0


def test_header_only_files(ci):
    for content in ("StatedRelationship_", "Identifier_"):
        path = ci.file(ci.package("intl", INT_V2), "Snapshot", content)
        assert path.read_bytes().count(b"\r\n") == 1


def test_authoring_delta_has_blank_effective_times(ci):
    folder = ci.result.authoring_delta
    files = sorted(folder.rglob("*.txt"))
    assert len(files) == 5
    for path in files:
        rows = ci.rows(path)
        assert rows and all(r["effectiveTime"] == "" for r in rows), path.name
