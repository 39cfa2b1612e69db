"""The national code-system readers on the real excerpts (tests/data/se-codes) and on bad files, and the
FHIR R5 CodeSystem / ConceptMap they make (checked against the fhir.resources models)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codesystems import claml, conceptmap_csv, csv_codelist, fhir_codesystem, national, skos, socialstyrelsen
from codesystems.records import CodeList, CodeSystemMeta, Concept, Where
from terminology import LoadError

REPO = Path(__file__).resolve().parents[1]
SE = REPO / "tests" / "data" / "se-codes"
SKOS = REPO / "tests" / "data" / "skos"
BOM = "\ufeff"


def by_code(code_list: CodeList) -> dict[str, Concept]:
    return {c.code: c for c in code_list.concepts}


def props(c: Concept) -> dict:
    return dict(c.properties)


def r5_valid(resource: dict) -> None:
    from fhir.resources.codesystem import CodeSystem
    from fhir.resources.conceptmap import ConceptMap
    model = {"CodeSystem": CodeSystem, "ConceptMap": ConceptMap}[resource["resourceType"]]
    model.model_validate(resource)


# --- KVÅ ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sources", [["kva-excerpt.txt"], ["kva-excerpt"], ["kva-excerpt/kka", "kva-excerpt/kma"]])
def test_kva_excerpt_in_each_layout(sources):
    code_list = socialstyrelsen.read_kva([SE / s for s in sources])
    codes = by_code(code_list)
    assert len(codes) == 120
    assert sum(1 for c in codes.values() if len(c.code) == 5) == 86
    assert sum(1 for c in codes.values() if props(c)["part"] == "KKÅ" and len(c.code) == 5) == 68
    assert sum(1 for c in codes.values() if props(c)["part"] == "KMÅ" and len(c.code) == 5) == 18
    assert codes["CJE00"].parents == ("CJE",) and codes["CJE"].parents == ("CJ",) and codes["CJ"].parents == ("C",)
    assert codes["VB205"].parents == ("VB2",) and codes["AN042"].parents == ("AN",)
    assert codes["AN042"].display == "Magnetresonanstomografi, knäled"
    assert codes["NFB62"].display.endswith("ytersättningsprotes")  # trailing space of the source trimmed
    assert codes["ZXA00"].display == "Höger sida" and props(codes["ZXA00"])["kind"] == "code"
    assert codes["C"].not_selectable and not codes["CJE00"].not_selectable
    assert props(codes["A"]) == {"kind": "chapter", "level": 1, "part": "KMÅ"}
    assert codes["AA060"].definition.startswith("Beroende på i vilken fas")
    assert code_list.meta.url == "urn:oid:1.2.752.116.1.3.2.1.4"


def test_kva_code_system_resource():
    cs = fhir_codesystem.to_code_system(socialstyrelsen.read_kva([SE / "kva-excerpt.txt"]))
    r5_valid(cs)
    assert cs["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.752.116.1.3.2.1.4"}]
    assert cs["language"] == "sv" and cs["hierarchyMeaning"] == "classified-with" and cs["count"] == 120
    assert [c["code"] for c in cs["concept"]] == list("CJKLNUZADV")
    chapter_c = cs["concept"][0]
    cje00 = chapter_c["concept"][0]["concept"][0]["concept"][0]
    assert cje00 == {"code": "CJE00", "display": "Fakoemulsifikation",  # Swedish: the code system's language
                     "property": [{"code": "kind", "valueCode": "code"}, {"code": "level", "valueInteger": 4},
                                  {"code": "part", "valueString": "KKÅ"}]}
    assert {"code": "notSelectable", "valueBoolean": True} in chapter_c["property"]


def test_kva_parts_that_reuse_codes_are_qualified(tmp_path):
    """KKÅ and KMÅ both use chapter A and section AA in the full files (se-codes README, "Traps")."""
    (tmp_path / "kka").mkdir()
    (tmp_path / "kma").mkdir()
    header = "Kod:\t\tKodtext:\n"
    (tmp_path / "kka" / "level1.txt").write_text(BOM + header + "A\t\tOperationer på nervsystemet")
    (tmp_path / "kka" / "level2.txt").write_text(BOM + header + "AA\t\tSkalle och intrakraniella strukturer")
    (tmp_path / "kka" / "level3.txt").write_text(BOM + header + "AAA\t\tOperationer på skallen")
    (tmp_path / "kka" / "level4.txt").write_text(BOM + header + "AAA00\t\tEn operation")
    (tmp_path / "kma" / "level1.txt").write_text(BOM + header + "A\t\tUtredning, anatomiskt perspektiv")
    (tmp_path / "kma" / "level2.txt").write_text(BOM + header + "AA\t\tNervsystemet")
    (tmp_path / "kma" / "level4.txt").write_text(BOM + header + "AA060\t\tNeuropsykologisk utredning")
    codes = by_code(socialstyrelsen.read_kva([tmp_path]))
    assert set(codes) == {"KKÅ:A", "KKÅ:AA", "AAA", "AAA00", "KMÅ:A", "KMÅ:AA", "AA060"}
    assert codes["AAA"].parents == ("KKÅ:AA",) and codes["AA060"].parents == ("KMÅ:AA",)
    assert props(codes["KMÅ:A"])["sourceCode"] == "A"
    fhir_codesystem.check(codes.values())


def test_kva_missing_levels_fall_back_to_shorter_prefixes(tmp_path):
    f = tmp_path / "kva.txt"
    f.write_text(BOM + "Kod:\t\tKodtext:\tBeskrivning:\r\nZ\t\tTilläggskoder\r\nZS\t\tX\r\nZSC00\t\tY\t\r\n"
                 "Y\t\tTransplantation\r\nYCA\t\tZ")
    codes = by_code(socialstyrelsen.read_kva([f]))
    assert codes["ZSC00"].parents == ("ZS",) and codes["YCA"].parents == ("Y",)


# --- ICD-10-SE ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["icd10se-excerpt.txt", "icd10se-excerpt"])
def test_icd10se_excerpt(source):
    code_list = socialstyrelsen.read_icd10se([SE / source])
    codes = by_code(code_list)
    kinds = [props(c)["kind"] for c in code_list.concepts]
    assert len(codes) == 134 and kinds.count("chapter") == 7 and kinds.count("block") == 8
    assert sum(1 for c in codes if len(c) == 3 and c[0].isalpha()) == 16
    assert sum(1 for c in codes if len(c) == 4 and "-" not in c) == 90
    assert sum(1 for c in codes if len(c) == 5 and "-" not in c) == 13
    assert codes["E113F"].parents == ("E113",) and codes["E113"].parents == ("E11",)
    assert codes["C18"].parents == ("C15-C26",) and codes["C15-C26"].parents == ("02",)
    assert codes["H28"].parents == ("H25-H28",) and props(codes["H28"])["usage"] == "aster"
    assert codes["02"].display == "Tumörer (C00-D48)" and codes["02"].not_selectable
    assert codes["M17"].display == "Knäartros" and codes["E113F"].display.endswith("(diabetisk) katarakt")
    cs = fhir_codesystem.to_code_system(code_list)
    r5_valid(cs)
    assert cs["url"] == national.ICD10SE and cs["identifier"][0]["value"] == "urn:oid:1.2.752.116.1.1.1.1.3"


def test_icd10se_nested_blocks_and_dotted_codes(tmp_path):
    f = tmp_path / "icd.txt"
    f.write_text(BOM + "02\t\tTumörer (C00-D48)\nC00-C97\t\tMaligna tumörer\nC15-C26\t\tI matsmältningsorganen\n"
                 "C18\t\tMalign tumör i tjocktarmen\nC18.9\t\tTjocktarm, ospecificerad")
    codes = by_code(socialstyrelsen.read_icd10se([f]))
    assert codes["C15-C26"].parents == ("C00-C97",) and codes["C00-C97"].parents == ("02",)
    assert codes["C189"].parents == ("C18",)


# --- bad kodtextfiler ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reader, content, message, line", [
    ("kva", "Kod:\t\tKodtext:\nC\t\tÖgon\nC\tÖgon", "expected at least 3 TAB-separated fields", 3),
    ("kva", "Kod:\t\tKodtext:\nC\t\tÖgon\nCJE0\t\tX", "'CJE0' is not a KVÅ code", 3),
    ("kva", "Kod:\t\tKodtext:\nC\t\tÖgon\nC\t\tÖgon igen", "duplicate code 'C' (first at line 2)", 3),
    ("kva", "Kod:\t\tKodtext:\nC\t\t", "code 'C' has no text", 2),
    ("kva", "Kod:\t\tKodtext:\nC\t\tÖgon\tBeskrivning\tannat", "unexpected field 5 'annat'", 2),
    ("icd", "02\t\tTumörer\n", "chapter '02' has no code range", 1),
    ("icd", "02\t\tTumörer (C00-D48)\nC18\t#\tX", "unknown marker '#'", 2),
    ("icd", "02\t\tTumörer (C00-D48)\nc18\t\tX", "'c18' is not an ICD-10-SE code", 2),
    ("icd", "02\t\tTumörer (C00-D48)\nC18\t\tX\nC18\t\tY", "duplicate code 'C18'", 3),
])
def test_bad_kodtextfil(tmp_path, reader, content, message, line):
    f = tmp_path / "codes.txt"
    f.write_text(BOM + content, encoding="utf-8")
    read = socialstyrelsen.read_kva if reader == "kva" else socialstyrelsen.read_icd10se
    with pytest.raises(LoadError) as err:
        fhir_codesystem.to_code_system(read([f]))
    assert message in str(err.value) and err.value.line == line and err.value.file == str(f)


def test_wrong_encoding_names_the_line(tmp_path):
    f = tmp_path / "level4.txt"
    f.write_bytes("Kod:\t\tKodtext:\nNGB49\t\tPrimär totalprotes i knäled med cement".encode("cp1252"))
    with pytest.raises(LoadError) as err:
        socialstyrelsen.read_kva([f])
    assert "not UTF-8" in str(err.value) and err.value.line == 2 and "level4.txt, line 2" in str(err.value)


def test_a_code_in_the_wrong_level_file(tmp_path):
    f = tmp_path / "kka" / "level3.txt"
    f.parent.mkdir()
    f.write_text(BOM + "Kod:\t\tKodtext:\nCJE00\t\tFakoemulsifikation")
    with pytest.raises(LoadError, match="does not belong in a level 3 file"):
        socialstyrelsen.read_kva([f])


def test_folder_without_code_files(tmp_path):
    with pytest.raises(LoadError, match="no KVÅ text files"):
        socialstyrelsen.read_kva([tmp_path])
    with pytest.raises(LoadError, match="no ICD-10-SE text files"):
        socialstyrelsen.read_icd10se([tmp_path])


# --- ClaML --------------------------------------------------------------------------------------------


def test_claml_excerpt_equals_the_text_files():
    grouping = ("chapter", "section", "category")
    from_xml = by_code(claml.read(SE / "kva-excerpt.claml.xml", grouping_kinds=grouping))
    from_text = by_code(socialstyrelsen.read_kva([SE / "kva-excerpt.txt"]))
    assert from_xml.keys() == from_text.keys()
    for code, c in from_text.items():
        x = from_xml[code]
        assert (x.display, x.parents, x.definition, x.not_selectable) == \
            (c.display, c.parents, c.definition, c.not_selectable), code
        assert props(x)["part"] == props(c)["part"] and props(x)["kind"] == props(c)["kind"]
    meta = claml.read(SE / "kva-excerpt.claml.xml").meta
    assert (meta.url, meta.version, meta.language, meta.name, meta.date) == (
        national.KVA, "2021", "sv", "KVA", "2021-01-01")
    r5_valid(fhir_codesystem.to_code_system(claml.read(SE / "kva-excerpt.claml.xml")))


CLAML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ClaML SYSTEM "ClaML.dtd">
<ClaML version="2.0.0">
  <Meta name="lang" value="sv"/>
  <Identifier authority="Testare" uid="1.2.3.4"/>
  <Title name="Test" version="1">Testklassifikation</Title>
  <ClassKinds><ClassKind name="chapter"/><ClassKind name="category"/></ClassKinds>
  <RubricKinds><RubricKind name="preferred"/><RubricKind name="inclusion"/><RubricKind name="exclusion"/>
  </RubricKinds>
  <Modifier code="X_5"><SubClass code="0"/><SubClass code="1"/></Modifier>
  <ModifierClass modifier="X_5" code="0"><SuperClass code="X_5"/>
    <Rubric kind="preferred"><Label xml:lang="sv">sluten</Label></Rubric></ModifierClass>
  <ModifierClass modifier="X_5" code="1"><SuperClass code="X_5"/>
    <Rubric kind="preferred"><Label xml:lang="sv">öppen</Label></Rubric></ModifierClass>
  <Class code="I" kind="chapter"><SubClass code="X01"/><SubClass code="X02"/>
    <Rubric kind="preferred"><Label xml:lang="sv">Kapitel ett</Label><Label xml:lang="en">Chapter one</Label></Rubric>
  </Class>
  <Class code="X01" kind="category"><SuperClass code="I"/><ModifiedBy code="X_5" all="true"/>
    <Rubric kind="preferred"><Label xml:lang="sv">Fraktur på <Term>lårben</Term></Label></Rubric>
    <Rubric kind="inclusion"><Label xml:lang="sv">Höftfraktur</Label></Rubric>
    <Rubric kind="exclusion"><Label xml:lang="sv">Patologisk fraktur</Label></Rubric>
  </Class>
  <Class code="X02" kind="category"><SuperClass code="I"/><SubClass code="X020"/>
    <Rubric kind="preferred"><Label xml:lang="sv">Annan fraktur</Label></Rubric></Class>
  <Class code="X020" kind="category"><SuperClass code="X02"/><ExcludeModifier code="X_5"/>
    <Rubric kind="preferred"><Label xml:lang="sv">Fraktur, ospecificerad</Label></Rubric></Class>
</ClaML>"""


def test_claml_rubrics_languages_and_modifiers(tmp_path):
    f = tmp_path / "test.xml"
    f.write_text(CLAML, encoding="utf-8")
    code_list = claml.read(f)
    codes = by_code(code_list)
    assert set(codes) == {"I", "X01", "X010", "X011", "X02", "X020"}
    assert codes["X01"].display == "Fraktur på lårben" and codes["I"].display == "Kapitel ett"
    assert ("en", "Chapter one") in [(d.language, d.value) for d in codes["I"].designations]
    assert [(d.use, d.value) for d in codes["X01"].designations if d.use == "inclusion"] == \
        [("inclusion", "Höftfraktur")]
    assert props(codes["X01"])["exclusion"] == "Patologisk fraktur"
    assert codes["X011"].display == "Fraktur på lårben, öppen" and codes["X011"].parents == ("X01",)
    assert codes["I"].not_selectable and not codes["X01"].not_selectable
    assert code_list.meta.url == "urn:oid:1.2.3.4" and code_list.meta.publisher == "Testare"
    r5_valid(fhir_codesystem.to_code_system(code_list))


@pytest.mark.parametrize("change, message, line", [
    (lambda s: s.replace("</ClaML>", "<Class code='Y'>"), "not well-formed XML", None),
    (lambda s: s.replace('<SuperClass code="X02"/>', '<SuperClass code="X99"/>'), "parent 'X99'", 25),
    (lambda s: s.replace('<Class code="X02" kind="category"><SuperClass code="I"/>',
                         '<Class code="X02" kind="category"><SuperClass code="X020"/>'), "cycle in the hierarchy", 23),
    (lambda s: s.replace('code="X020" kind', 'code="X01" kind'), "duplicate code 'X01' (first at line 18)", 25),
    (lambda s: s.replace('<ModifiedBy code="X_5"', '<ModifiedBy code="X_9"'), "not a Modifier of the file", 18),
    (lambda s: s.replace("<ClaML", "<Klassifikation").replace("</ClaML>", "</Klassifikation>"),
     "not <ClaML>", 3),
])
def test_bad_claml(tmp_path, change, message, line):
    f = tmp_path / "bad.xml"
    f.write_text(change(CLAML), encoding="utf-8")
    with pytest.raises(LoadError) as err:
        fhir_codesystem.to_code_system(claml.read(f))
    assert message in str(err.value) and err.value.file == str(f)
    if line is not None:
        assert err.value.line == line
    else:
        assert err.value.line is not None


# --- CSV code lists -----------------------------------------------------------------------------------


def test_verksamhetskod_preset():
    preset = csv_codelist.PRESETS["verksamhetskod"]
    code_list = csv_codelist.read(SE / "verksamhetskod.csv", preset.mapping, preset.meta)
    codes = by_code(code_list)
    assert len(codes) == 283 and sum(1 for c in codes.values() if not c.parents) == 12
    assert codes["1506"].display == "Distriktssköterskeverksamhet" and codes["1506"].parents == ("15",)
    assert codes["21"].display == "Vård-, Omsorg- och Omvårdnadsverksamhet"
    cs = fhir_codesystem.to_code_system(code_list)
    r5_valid(cs)
    assert cs["url"] == "urn:oid:1.2.752.129.2.2.1.3" and len(cs["concept"]) == 12


def test_vard_och_omsorgsform_preset():
    preset = csv_codelist.PRESETS["vard-och-omsorgsform"]
    codes = by_code(csv_codelist.read(SE / "vard-och-omsorgsform.csv", preset.mapping, preset.meta))
    assert list(codes) == ["01", "02", "03", "04"]
    assert codes["01"].display == "Öppen vård"
    assert [(d.value, d.use, d.language) for d in codes["01"].designations] == [("Öppenvård", "synonym", "sv")]
    assert codes["03"].designations == ()


def test_custom_mapping_with_properties_and_languages(tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("kod;namn;name_en;nivå;kommentar\nA;Ärende;Case;1;x\nA1;Underärende;Sub-case;2;\n", "utf-8-sig")
    mapping = csv_codelist.ColumnMapping.parse("code=kod,display=namn,designation.en=name_en,property.niva=nivå,"
                                               "ignore=kommentar")
    code_list = csv_codelist.read(f, mapping, CodeSystemMeta(url="https://ex.se/cs", name="X", title="X"))
    codes = by_code(code_list)
    assert codes["A"].display == "Ärende" and props(codes["A1"]) == {"niva": "2"}
    assert codes["A1"].designations[0].language == "en"
    r5_valid(fhir_codesystem.to_code_system(code_list))


@pytest.mark.parametrize("content, mapping, message, line", [
    ("code,name,parent,extra\n10,A,,x\n", None, "unknown column 'extra'", 1),
    ("code,namn,parent\n10,A,\n", None, "names column 'name', which the header lacks", 1),
    ("code,name,parent\n10,A,\n10,B,\n", None, "duplicate code '10' (first at line 2)", 3),
    ("code,name,parent\n10,A,\n1001,B,99\n", None, "names parent '99'", 3),
    ("code,name,parent\n10,A,11\n11,B,10\n", None, "cycle in the hierarchy: 10 -> 11 -> 10", 2),
    ("code,name,parent\n10,A\n", None, "2 fields, but the header has 3", 2),
    ("code,name,parent\n,A,\n", None, "the code (column 'code') is empty", 2),
    ("code,name,parent\n10,,\n", None, "code '10' has no name", 2),
    ("code,code,name\n", "code=code,display=name", "column 'code' occurs twice", 1),
])
def test_bad_csv(tmp_path, content, mapping, message, line):
    f = tmp_path / "list.csv"
    f.write_text(content, "utf-8")
    preset = csv_codelist.PRESETS["verksamhetskod"]
    columns = csv_codelist.ColumnMapping.parse(mapping) if mapping else preset.mapping
    with pytest.raises(LoadError) as err:
        fhir_codesystem.to_code_system(csv_codelist.read(f, columns, preset.meta))
    assert message in str(err.value) and err.value.line == line


def test_bad_mapping_specs():
    for spec, message in (("display=x", "no code="), ("code=a,colour=b", "unknown mapping field 'colour'"),
                          ("code", "not field=column"), ("code=a,code=b", "names 'code' twice")):
        with pytest.raises(LoadError, match=message):
            csv_codelist.ColumnMapping.parse(spec)


# --- SKOS ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vardniva.ttl", "vardniva.rdf", "vardniva.jsonld"])
def test_skos_in_three_syntaxes(name):
    code_list = skos.read(SKOS / name)
    codes = by_code(code_list)
    assert list(codes) == ["1", "2", "2.1", "2.2", "2.2.1", "2.3", "3"]
    assert codes["2.2"].parents == ("2",)          # from skos:narrower of 2
    assert codes["2.3"].parents == ("2.1", "2.2")  # two broader concepts
    assert codes["1"].display == "Primärvård" and codes["1"].definition.startswith("Vård som ges")
    assert {(d.language, d.value, d.use) for d in codes["2"].designations} == {
        ("sv", "Specialiserad vård", "display"), ("en", "Specialised care", "display"),
        ("sv", "Specialistvård", "synonym")}
    meta = code_list.meta
    assert (meta.url, meta.version, meta.title, meta.hierarchy_meaning) == (
        "https://vardterm.example/fhir/skos/vardniva", "1.0.0", "Vårdnivå (testvokabulär)", "grouped-by")
    assert skos.read(SKOS / name, language="en").concepts[0].display == "Primary care"
    cs = fhir_codesystem.to_code_system(code_list)
    r5_valid(cs)
    dagkirurgi = cs["concept"][1]["concept"][0]["concept"][0]
    assert dagkirurgi["code"] == "2.3" and dagkirurgi["property"] == [
        {"code": "parent", "valueCode": "2.1"}, {"code": "parent", "valueCode": "2.2"}]


def test_bad_skos(tmp_path):
    text = (SKOS / "vardniva.ttl").read_text("utf-8")
    cases = [
        (text.replace("skos:notation \"1\" ;", "skos:notation \"1\" "), "not readable as turtle"),
        (text.replace("skos:broader v:specialiserad", "skos:broader v:okand"), "which is not a skos:Concept"),
        (text.replace("skos:prefLabel \"Specialiserad vård\"@sv", "skos:broader v:hogspecialiserad ; "
                      "skos:prefLabel \"Specialiserad vård\"@sv"), "cycle in the hierarchy"),
        (text.replace('skos:notation "2.2.1"', 'skos:notation "2.1"'), "duplicate code '2.1'"),
        (text + "\n<https://ex.se/annan> a skos:ConceptScheme .\n", "2 concept schemes"),
    ]
    for i, (content, message) in enumerate(cases):
        f = tmp_path / f"bad{i}.ttl"
        f.write_text(content, "utf-8")
        with pytest.raises(LoadError) as err:
            fhir_codesystem.to_code_system(skos.read(f))
        assert message in str(err.value) and str(f) in str(err.value), (i, str(err.value))
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n\n<a> a skos:Concept ;;; .\n<<", "utf-8")
    with pytest.raises(LoadError) as err:
        skos.read(broken)
    assert err.value.line is not None
    with pytest.raises(LoadError, match="cannot tell the RDF syntax"):
        skos.read(shutil.copy(SKOS / "vardniva.ttl", tmp_path / "vardniva.txt"))


# --- ConceptMap CSV -----------------------------------------------------------------------------------


def test_conceptmap_csv(tmp_path):
    f = tmp_path / "map.csv"
    f.write_text("source_code,source_display,target_code,target_display,relationship,comment\n"
                 "NGB49,Primär totalprotes i knäled med cement,179344006,,equivalent,\n"
                 "NGB49,,609588000,,narrower,KVÅ-koden är snävare\n"
                 "ZXA00,Höger sida,,,,\n", "utf-8")
    rows = conceptmap_csv.read(f, source_system=national.KVA, target_system="http://snomed.info/sct")
    cm = conceptmap_csv.to_concept_map(conceptmap_csv.MapMeta(url="https://ex.se/cm", name="KvaSct", title="K",
                                                              version="1"), rows)
    r5_valid(cm)
    element = cm["group"][0]["element"]
    assert element[0]["display"] == "Primär totalprotes i knäled med cement"
    assert [t["relationship"] for t in element[0]["target"]] == ["equivalent", "source-is-broader-than-target"]
    assert element[1] == {"code": "ZXA00", "display": "Höger sida", "noMap": True}
    assert cm["id"] == "kvasct-1" and cm["group"][0]["source"] == national.KVA


@pytest.mark.parametrize("content, message, line", [
    ("source_code,target_code,relationship\nA,B,same\n", "unknown relationship 'same'", 2),
    ("source_code,target_code,relationship\nA,,equivalent\n", "no target code, but the relationship", 2),
    ("source_code,target_code\nA,B\nA,B\n", "repeats line 2", 3),
    ("source_code,target_code\nA,B\nA,\n", "both targets and a row without a target", 3),
    ("source_code,goal\nA,B\n", "unknown column 'goal'", 1),
    ("source_code,relationship\nA,equal\n", "no target_code column", 1),
    ("source_code,target_code\n", "no mappings", None),
])
def test_bad_conceptmap_csv(tmp_path, content, message, line):
    f = tmp_path / "map.csv"
    f.write_text(content, "utf-8")
    with pytest.raises(LoadError) as err:
        conceptmap_csv.read(f, source_system="a", target_system="b")
    assert message in str(err.value) and err.value.line == line


def test_example_maps_are_valid_and_use_excerpt_codes():
    kva = by_code(socialstyrelsen.read_kva([SE / "kva-excerpt.txt"]))
    icd = by_code(socialstyrelsen.read_icd10se([SE / "icd10se-excerpt.txt"]))
    for path in sorted((SE / "maps").glob("*.json")):
        cm = json.loads(path.read_text("utf-8"))
        r5_valid(cm)
        for group in cm["group"]:
            for element in group["element"]:
                for target in element.get("target", []):
                    if group["target"].startswith(national.KVA):
                        assert kva[target["code"]].display == target["display"], target
                if group["source"].startswith(national.ICD10SE):
                    assert icd[element["code"]].display == element["display"], element


def test_records_without_a_place_still_report():
    a = Concept("a", "A", ("b",), where=Where("x.csv", 2))
    with pytest.raises(LoadError, match="x.csv, line 2: code 'a' names parent 'b'"):
        fhir_codesystem.check([a])
    with pytest.raises(LoadError, match="cycle in the hierarchy: a -> a"):
        fhir_codesystem.check([Concept("a", "A", ("a",))])
