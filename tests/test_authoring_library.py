"""The pieces of code-list maintenance (issue 17) as a library: the value set editor's compose round trip, the
life-cycle rules, a local code system's edits and table import, SNOMED CT subsets (RF2 Snapshot / Delta / list,
inactive members with replacements) and the RF2 refset export (Snapshot and Delta across versions)."""

from __future__ import annotations

import io
import zipfile

import pytest

import terminology as t
from terminology import lifecycle

C = t.authoring.compose
CS = t.authoring.codesystem
SCT = t.snomed.SYSTEM
KVA = "urn:oid:1.2.752.116.1.3.2.1.4"
ANNA = t.Principal("anna", frozenset({"informatiker"}))
BO = t.Principal("bo", frozenset({"informatiker"}))


# --- the editor's compose ---------------------------------------------------------------------------

def test_compose_round_trip_of_the_three_ways():
    d = C.Definition(ecl="<< 609588000", picked=(C.Picked(SCT, "110473004", "Kataraktoperation"),
                                                 C.Picked(KVA, "NGB49")),
                     rules=(C.Rule(kind="filter", system=KVA, property="concept", op="is-a", value="NG"),
                            C.Rule(kind="valueset", valueset="https://ex.se/vs/annan"),
                            C.Rule(exclude=True, kind="codes", system=SCT, codes=("443681002",))),
                     inactive=False)
    compose = C.to_compose(d)
    assert compose["include"][0] == {"system": SCT, "filter": [{"property": "constraint", "op": "=",
                                                                 "value": "<< 609588000"}]}
    assert compose["exclude"] == [{"system": SCT, "concept": [{"code": "443681002"}]}]
    back, exact = C.from_compose(compose)
    assert exact and back == d
    two_filters = {"include": [{"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": "1"},
                                                           {"property": "concept", "op": "is-a", "value": "2"}]}]}
    assert C.from_compose(two_filters)[1] is False  # the editor offers JSON instead of losing a filter
    with pytest.raises(t.InvalidRequest, match="välj kodsystem"):
        C.to_compose(C.Definition(rules=(C.Rule(kind="codes", codes=("A",)),)))
    with pytest.raises(t.InvalidRequest, match="rad 1, kolumn 2"):
        C.compose_from_json("{x")
    assert C.parse_picked("609588000\nurn:oid:x|A|Ett | två\n\n") == (
        C.Picked(SCT, "609588000"), C.Picked("urn:oid:x", "A", "Ett | två"))


def test_life_cycle_rules():
    assert lifecycle.next_version("1.0.0") == "1.1.0"
    assert lifecycle.next_version("1.0.0", {"1.1.0"}) == "1.2.0"
    assert lifecycle.next_version("2021") == "2022" and lifecycle.next_version(None) == "0.1.0"
    active = {"resourceType": "ValueSet", "id": "x", "status": "active", "title": "A", "date": "2026-01-01"}
    lifecycle.check_update(active, {**active, "status": "retired", "date": "2026-02-01"})
    with pytest.raises(t.NotEditable, match=r"\$draft"):
        lifecycle.check_update(active, {**active, "title": "B"})
    with pytest.raises(t.NotEditable):
        lifecycle.check_update({**active, "status": "retired"}, {**active, "status": "active"})
    draft = lifecycle.as_draft({**active, "meta": {"versionId": "3"}, "extension": [
        {"url": lifecycle.RELEASE_LABEL, "valueString": "v"}]}, "2.0.0")
    assert draft == {"resourceType": "ValueSet", "status": "draft", "title": "A", "version": "2.0.0"}
    released = lifecycle.released({**draft, "version": "2.0.0"}, version="3.0.0", behavior="default")
    assert released["version"] == "2.0.0" and released["status"] == "active"
    assert lifecycle.released(draft, version="3.0.0", behavior="force")["version"] == "3.0.0"
    with pytest.raises(t.NotEditable):
        lifecycle.released(draft, version="3.0.0", behavior="check")
    with pytest.raises(t.Forbidden):
        lifecycle.check_reviewer("anna", ANNA, required=True)
    lifecycle.check_reviewer("anna", ANNA, required=False)


# --- a local code system ----------------------------------------------------------------------------

LOCAL = {"resourceType": "CodeSystem", "url": "https://region.example/fhir/CodeSystem/lokal", "version": "1",
         "status": "draft", "content": "complete",
         "concept": [{"code": "A", "display": "Akut", "designation": [{"language": "de", "value": "Akut!"}]},
                     {"code": "B", "display": "Brådskande", "concept": [{"code": "B1", "display": "Inom en vecka"}]}]}


def test_code_system_edits_keep_what_they_do_not_touch():
    cs = CS.set_concept(LOCAL, CS.ConceptRow("C", "Planerad", en="Planned", parent="B",
                                              properties=(("niva", "2"),)))
    cs = CS.set_concept(cs, CS.ConceptRow("B2", "Brådskande", sv="Förtur"), original="B")
    cs = CS.retire_concept(cs, "A")
    rows = CS.rows_by_code(cs)
    assert rows["C"].parent == "B2" and rows["B1"].parent == "B2" and rows["C"].properties == (("niva", "2"),)
    assert rows["A"].retired and cs["concept"][0]["designation"] == [{"language": "de", "value": "Akut!"}]
    assert {p["code"] for p in cs["property"]} == {"niva", "status"} and cs["hierarchyMeaning"] == "is-a"
    with pytest.raises(t.InvalidRequest, match="cykel"):
        CS.set_concept(cs, CS.ConceptRow("B2", "x", parent="C"), original="B2")
    with pytest.raises(t.InvalidRequest, match="finns redan"):
        CS.set_concept(cs, CS.ConceptRow("A", "Igen"))
    assert CS.preview_table(t.spreadsheet.xlsx_bytes(CS.table_rows(cs)), "kod.xlsx").ok


def test_code_system_table_import_checks_every_row():
    bad = ("kod;visningsnamn;förälder;status;egenskap:niva\n"
           "A;Akut;;aktiv;1\nA;Igen;;;\nX;;Z;;\nY;Ypsilon;;kanske;\n").encode()
    preview = CS.preview_table(bad, "koder.csv")
    assert not preview.ok
    errors = {r.line: r.errors for r in preview.rows}
    assert errors[2] == () and errors[3] == ("koden A finns på flera rader",)
    assert errors[4] == ("visningsnamnet saknas", "föräldern Z finns inte i kodverket")
    assert "ska vara aktiv eller avvecklad" in errors[5][0]
    with pytest.raises(t.InvalidRequest):
        CS.with_table(LOCAL, preview)
    assert CS.preview_table("kod;färg\nx;röd\n".encode(), "x.csv").problems[0].startswith("Okända kolumner: färg")
    assert CS.preview_table(b"\xff\xfe", "x.csv").problems == ("Filen är inte UTF-8 (byte 0); spara den som CSV "
                                                             "UTF-8 eller .xlsx",)
    good = CS.preview_table("kod,visningsnamn,förälder\n1,Ett,\n11,Elva,1\n".encode(), "ok.csv")
    cs = CS.with_table(LOCAL, good)
    assert [r.code for r in CS.rows(cs)] == ["1", "11"] and CS.rows(cs)[1].parent == "1"


# --- SNOMED CT subsets and RF2 ----------------------------------------------------------------------

HEADER = "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\r\n"
REFSET = "99900111000052105"


def _rf2(*rows: tuple[str, str, str]) -> bytes:
    return (HEADER + "".join(f"{i}\t20250101\t{active}\t45991000052106\t{refset}\t{code}\r\n"
                             for i, (code, active, refset) in enumerate(rows))).encode()


@pytest.fixture
def authoring(mini_dbs, backend):
    return t.Authoring(t.TerminologyService(mini_dbs(backend), refresh_seconds=0))


def test_subset_members_are_checked_and_never_dropped_silently(authoring, backend):
    data = _rf2(("609588000", "1", REFSET), ("99900002004", "1", REFSET), ("99900003009", "1", REFSET),
                ("123456789", "1", REFSET), ("999990000000001007", "1", REFSET), ("110473004", "0", REFSET))
    preview = authoring.check_subset(data, "der2_Refset_SimpleSnapshot_SE1000052_20250101.txt")
    assert preview.kind == "snapshot" and preview.refset_id == REFSET and preview.ok
    state = {m.code: m for m in preview.members}
    assert set(state) == {"609588000", "99900002004", "99900003009", "123456789", "999990000000001007"}
    assert state["609588000"].state == "active" and state["609588000"].display == "Total knäledsplastik"
    assert [(r.association, r.code) for r in state["99900002004"].replacements] == [("REPLACED BY", "52734007")]
    assert state["123456789"].state == "invalid" and state["999990000000001007"].state in ("unknown", "invalid")

    url = f"https://region.example/fhir/ValueSet/urval-{backend}"
    saved = authoring.import_subset(data, "der2_Refset_SimpleSnapshot_SE1000052_20250101.txt", url=url,
                                    version="1.0.0", title="Urval", replace_inactive=True, by=ANNA)
    vs = saved.resource
    codes = [c["code"] for c in vs["compose"]["include"][0]["concept"]]
    assert codes == ["609588000", "52734007", "19063003"]  # 609588000 once, though a replacement too
    assert vs["identifier"] == [{"system": SCT, "value": REFSET}] and vs["status"] == "draft"
    what = authoring.history("ValueSet", id_=vs["id"])[0].what
    assert "99900002004 inaktiv (REPLACED BY 52734007) ersatt" in what and "123456789" in what
    authoring.release("ValueSet", vs["id"], by=BO)

    delta = _rf2(("52734007", "0", REFSET), ("110473004", "1", REFSET))
    later = authoring.import_subset(delta, "der2_Refset_SimpleDelta_SE1000052_20250301.txt", url=url,
                                    version="1.1.0", by=ANNA).resource
    assert [c["code"] for c in later["compose"]["include"][0]["concept"]] == ["609588000", "19063003", "110473004"]
    assert later["title"] == "Urval"  # kept from the version the Delta applies to

    two = _rf2(("609588000", "1", REFSET), ("110473004", "1", "99900121000052102"))
    assert "flera refset" in authoring.check_subset(two, "der2_Refset_SimpleSnapshot_X.txt").problems[0]
    listed = authoring.check_subset(b"conceptId\n609588000 |Total knee|\nabc\n", "lista.txt")
    assert listed.kind == "list" and [m.code for m in listed.members] == ["609588000"]
    assert listed.problems == ("rad 3: 'abc' är inget begrepps-id",)
    with pytest.raises(t.InvalidRequest):
        authoring.import_subset(delta, "der2_Refset_SimpleDelta_X.txt", url=url + "-ny", version="1", by=ANNA)


def test_rf2_export_snapshot_and_delta_across_versions(authoring, backend):
    url = f"https://region.example/fhir/ValueSet/export-{backend}"
    first = {"resourceType": "ValueSet", "url": url, "version": "1.0.0", "name": "Export", "status": "draft",
             "compose": {"include": [{"system": SCT, "concept": [{"code": "609588000"}, {"code": "179344006"}]}]}}
    v1 = authoring.create(first, by=ANNA).resource
    v1 = authoring.release("ValueSet", v1["id"], by=BO).resource
    v2 = authoring.draft("ValueSet", v1["id"], by=ANNA).resource
    v2 = authoring.save("ValueSet", v2["id"], {**v2, "date": "2026-06-01", "compose": {"include": [
        {"system": SCT, "concept": [{"code": "609588000"}, {"code": "110473004"}]}]}}, by=ANNA).resource
    with pytest.raises(t.InvalidRequest, match="VARDTERM_RF2_NAMESPACE"):
        authoring.refset_export(v2, namespace=None, module_id=None)
    name, content = authoring.refset_export(v2, namespace="1000052", module_id=None)
    files = {n.split("/")[1]: zipfile.ZipFile(io.BytesIO(content)).read(n).decode() for n in
             zipfile.ZipFile(io.BytesIO(content)).namelist()}
    assert name.startswith("SnomedCT_Export_SE1000052_20260601")
    snapshot = [line.split("\t") for line in files["Snapshot"].splitlines()[1:]]
    delta = [line.split("\t") for line in files["Delta"].splitlines()[1:]]
    d1 = v1["date"][:10].replace("-", "")
    assert {(r[5], r[2], r[1]) for r in snapshot} == {("609588000", "1", d1), ("110473004", "1", "20260601"),
                                                      ("179344006", "0", "20260601")}
    assert {(r[5], r[2]) for r in delta} == {("110473004", "1"), ("179344006", "0")}
    refset = snapshot[0][4]
    assert t.snomed.is_concept_id(refset) and t.snomed.namespace_of(refset) == 1000052
    same = {r[5]: r[0] for r in snapshot}
    assert {r[5]: r[0] for r in delta}["179344006"] == same["179344006"]  # member ids stay across versions
    assert files["Snapshot"].endswith("\r\n") and "\r\n" in files["Delta"]
