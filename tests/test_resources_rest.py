"""FHIR REST on CodeSystem / ValueSet / ConceptMap: create, update with If-Match, read, vread, history,
delete, search, on both engines and both wire versions; and the bulk load of packages."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from codesystems import fhir_package
from terminology import COMMAND_LINE, LoadError, ResourceRepository


def code_system(url="http://example.org/cs/colours", version="1.0.0", name="Colours", codes=("red", "green"),
                status="active"):
    return {"resourceType": "CodeSystem", "url": url, "version": version, "name": name, "status": status,
            "content": "complete", "concept": [{"code": c, "display": c.title()} for c in codes]}


@pytest.fixture
def client(empty_server):
    return empty_server


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_create_read_update_delete(client, base):
    created = client.post(f"{base}/CodeSystem", json=code_system(status="draft"))
    assert created.status_code == 201, created.text
    body = created.json()
    rid = body["id"]
    assert body["meta"]["versionId"] == "1"
    assert created.headers["etag"] == 'W/"1"'
    assert created.headers["location"] == f"CodeSystem/{rid}/_history/1"

    read = client.get(f"{base}/CodeSystem/{rid}")
    assert read.status_code == 200 and read.json()["concept"][0]["code"] == "red"

    changed = code_system(codes=("red", "green", "blue"), status="draft") | {"id": rid}
    assert client.put(f"{base}/CodeSystem/{rid}", json=changed, headers={"If-Match": 'W/"1"'}).status_code == 200
    stale = client.put(f"{base}/CodeSystem/{rid}", json=changed, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    assert stale.json()["issue"][0]["code"] == "conflict"
    assert len(client.get(f"{base}/CodeSystem/{rid}").json()["concept"]) == 3
    assert len(client.get(f"{base}/CodeSystem/{rid}/_history/1").json()["concept"]) == 2
    history = client.get(f"{base}/CodeSystem/{rid}/_history").json()
    assert history["type"] == "history" and history["total"] == 2

    assert client.delete(f"{base}/CodeSystem/{rid}").status_code == 204
    gone = client.get(f"{base}/CodeSystem/{rid}")
    assert gone.status_code == 410 and gone.json()["issue"][0]["code"] == "deleted"
    assert client.get(f"{base}/CodeSystem/{rid}/_history/2").status_code == 200
    assert client.delete(f"{base}/CodeSystem/{rid}").status_code == 204
    assert client.get(f"{base}/CodeSystem/nope").status_code == 404


def test_put_creates_with_the_given_id(client):
    r = client.put("/fhir/r5/ValueSet/colours", json={
        "resourceType": "ValueSet", "id": "colours", "url": "http://example.org/vs/colours", "status": "draft",
        "compose": {"include": [{"system": "http://example.org/cs/colours"}]}})
    assert r.status_code == 201 and r.json()["id"] == "colours"
    mismatch = client.put("/fhir/r5/ValueSet/other", json={"resourceType": "ValueSet", "id": "colours",
                                                            "status": "draft"})
    assert mismatch.status_code == 400


def test_search(client):
    for version in ("1.0.0", "2.0.0"):
        assert client.post("/fhir/r5/CodeSystem", json=code_system(version=version)).status_code == 201
    assert client.post("/fhir/r5/CodeSystem", json=code_system(url="http://example.org/cs/shapes",
                                                               name="Shapes")).status_code == 201
    found = client.get("/fhir/r5/CodeSystem", params={"url": "http://example.org/cs/colours"}).json()
    assert found["type"] == "searchset" and found["total"] == 2
    assert client.get("/fhir/r5/CodeSystem", params={"name": "sha"}).json()["total"] == 1
    one = client.get("/fhir/r5/CodeSystem", params={"url": "http://example.org/cs/colours", "version": "2.0.0"})
    assert one.json()["entry"][0]["resource"]["version"] == "2.0.0"
    paged = client.get("/fhir/r5/CodeSystem", params={"_count": "1"}).json()
    assert len(paged["entry"]) == 1 and any(link["relation"] == "next" for link in paged["link"])
    bad = client.get("/fhir/r5/CodeSystem", params={"nmae": "x"})
    assert bad.status_code == 400 and "nmae" in bad.json()["issue"][0]["details"]["text"]


def test_bad_bodies_are_refused_with_an_outcome(client):
    r = client.post("/fhir/r5/CodeSystem", content=b"{not json")
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    r = client.post("/fhir/r5/CodeSystem", json={"resourceType": "CodeSystem", "status": "active"})
    assert r.status_code == 400 and "content" in r.json()["issue"][0]["details"]["text"]
    r = client.post("/fhir/r5/CodeSystem", json={"resourceType": "Patient"})
    assert r.status_code == 400


def test_packages_load_in_one_transaction(new_db, backend, tmp_path):
    package = tmp_path / "example.fhir.core-1.0.0.tgz"
    with tarfile.open(package, "w:gz") as tar:
        for name, content in [("package/package.json", {"name": "example", "fhirVersions": ["4.0.1"]}),
                              ("package/CodeSystem-colours.json", code_system() | {"id": "colours"}),
                              ("package/StructureDefinition-x.json", {"resourceType": "StructureDefinition"})]:
            data = json.dumps(content).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    found = list(fhir_package.read([package]))
    assert [(r.resource["id"], r.fhir_version) for r in found] == [("colours", "4.0.1")]
    repo = ResourceRepository(new_db(backend))
    repo.load([r.resource for r in found], by=COMMAND_LINE)
    again = repo.load([r.resource for r in found], by=COMMAND_LINE)
    assert not again[0].created and again[0].version_id == 1  # the same content again adds no version
    assert repo.find("CodeSystem", "http://example.org/cs/colours")[0]["id"] == "colours"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(LoadError, match="bad.json"):
        list(fhir_package.read([bad]))


def test_core_code_systems_are_there_out_of_the_box(new_db):
    repo = ResourceRepository(new_db("sqlite"))
    gender = repo.find("CodeSystem", "http://hl7.org/fhir/administrative-gender", fhir_version="4.0.1")
    assert gender[0]["version"] == "4.0.1"
    assert {c["code"] for c in gender[0]["concept"]} == {"male", "female", "other", "unknown"}
    assert repo.find("ValueSet", "http://hl7.org/fhir/ValueSet/publication-status")



def test_cli_load_fhir_is_all_or_nothing(tmp_path):
    from click.testing import CliRunner

    from scripts.cli import main

    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(code_system()))
    (folder / "b.json").write_text(json.dumps({"resourceType": "ValueSet", "status": "active", "compose": {"include": "x"}}))
    url = f"sqlite:///{tmp_path / 'vardterm.db'}"
    failed = CliRunner().invoke(main, ["--database-url", url, "load", "fhir", str(folder)])
    assert failed.exit_code != 0 and "b.json" in failed.output and "Traceback" not in failed.output
    from terminology import Database
    assert ResourceRepository(Database(url)).search("CodeSystem")[0] == 0
    (folder / "b.json").unlink()
    ok = CliRunner().invoke(main, ["--database-url", url, "load", "fhir", str(folder)])
    assert ok.exit_code == 0 and "1 new" in ok.output


def test_concept_maps_are_kept_as_r5_and_answered_in_the_wire_version(client):
    r4 = {"resourceType": "ConceptMap", "url": "http://example.org/cm/kva-sct", "status": "active",
          "sourceUri": "http://example.org/vs/kva", "targetUri": "http://example.org/vs/sct",
          "group": [{"source": "urn:oid:1.2.752.116.1.3.2.1.4", "target": "http://snomed.info/sct",
                     "element": [{"code": "NFB49", "target": [{"code": "179344006", "equivalence": "wider"}]},
                                 {"code": "XXX00", "target": [{"equivalence": "unmatched"}]}]}]}
    rid = client.post("/fhir/r4/ConceptMap", json=r4).json()["id"]
    r5 = client.get(f"/fhir/r5/ConceptMap/{rid}").json()
    assert r5["sourceScopeUri"] == "http://example.org/vs/kva"
    elements = r5["group"][0]["element"]
    assert elements[0]["target"][0]["relationship"] == "source-is-narrower-than-target"
    assert elements[1]["noMap"] is True
    back = client.get(f"/fhir/r4/ConceptMap/{rid}").json()
    assert back["group"][0]["element"][0]["target"][0]["equivalence"] == "wider"
    assert back["targetUri"] == "http://example.org/vs/sct"


# --- issue 15: writes that must be refused, and writes that change nothing -------------------------------

BAD = [
    ("CodeSystem", {"status": "bogus"}, "CodeSystem.status"),
    ("CodeSystem", {"content": "nonsense"}, "CodeSystem.content"),
    ("CodeSystem", {"hierarchyMeaning": "sort-of"}, "CodeSystem.hierarchyMeaning"),
    ("CodeSystem", {"filter": [{"code": "f", "operator": ["=", "bogus-op"], "value": "x"}]},
     "CodeSystem.filter[0].operator[1]"),
    ("CodeSystem", {"property": [{"code": "p", "type": "colour"}]}, "CodeSystem.property[0].type"),
    ("CodeSystem", {"concept": [{"code": "a", "concept": [{"code": "b"}]}, {"code": "b"}]}, "CodeSystem.concept[1].code"),
    ("ValueSet", {"compose": {"include": [{"system": "http://x.org", "filter": [
        {"property": "concept", "op": "bogus-op", "value": "a"}]}]}}, "ValueSet.compose.include[0].filter[0].op"),
    ("ConceptMap", {"group": [{"source": "http://x.org/a", "target": "http://x.org/b", "element": [
        {"code": "a", "target": [{"code": "b", "relationship": "kind-of"}]}]}]},
     "ConceptMap.group[0].element[0].target[0].relationship"),
    ("ConceptMap", {"group": [{"source": "http://x.org/a", "element": [{"code": "a", "noMap": True}],
                               "unmapped": {"mode": "guess"}}]}, "ConceptMap.group[0].unmapped.mode"),
]


def _resource(rtype: str, extra: dict) -> dict:
    base = {"resourceType": rtype, "url": f"http://example.org/{rtype}/bad", "status": "active"}
    if rtype == "CodeSystem":
        base["content"] = "complete"
    return base | extra


@pytest.mark.parametrize("rtype, extra, where", BAD)
def test_required_bindings_and_duplicate_codes_are_refused_on_every_write_path(client, new_db, backend, tmp_path,
                                                                                rtype, extra, where):
    resource = _resource(rtype, extra)
    for base in ("/fhir/r5", "/fhir/r4"):
        if base == "/fhir/r4" and rtype == "ConceptMap":
            continue  # R4 ConceptMaps have equivalence instead (below)
        for r in (client.post(f"{base}/{rtype}", json=resource), client.put(f"{base}/{rtype}/bad", json=resource)):
            assert r.status_code == 400, r.text
            issue = r.json()["issue"][0]
            assert issue["expression"] == [where] and "required binding" in issue["details"]["text"] or \
                "already defined" in issue["details"]["text"]
        assert client.get(f"{base}/{rtype}").json()["total"] == 0
    (tmp_path / "bad.json").write_text(json.dumps(resource))
    from scripts.loading import load_fhir
    with pytest.raises(LoadError, match="bad.json"):
        load_fhir(new_db(backend), [tmp_path / "bad.json"], fhir_version="5.0.0")


def test_r4_concept_map_codes_are_checked_before_conversion(client):
    cm = {"resourceType": "ConceptMap", "url": "http://example.org/cm", "status": "active", "group": [
        {"source": "http://x.org/a", "target": "http://x.org/b",
         "element": [{"code": "a", "target": [{"code": "b", "equivalence": "sort-of"}]}]}]}
    r = client.post("/fhir/r4/ConceptMap", json=cm)
    assert r.status_code == 400 and r.json()["issue"][0]["expression"] == [
        "ConceptMap.group[0].element[0].target[0].equivalence"]
    cm["group"][0]["element"][0]["target"][0]["equivalence"] = "wider"
    assert client.post("/fhir/r4/ConceptMap", json=cm).status_code == 201


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_the_type_in_the_url_must_match_the_body(client, base):
    vs = {"resourceType": "ValueSet", "url": "http://example.org/vs", "status": "active"}
    r = client.post(f"{base}/CodeSystem", json=vs)
    assert r.status_code == 400 and r.json()["issue"][0]["expression"] == ["resourceType"]
    assert client.get(f"{base}/ValueSet").json()["total"] == 0
    assert client.put(f"{base}/CodeSystem/x", json=vs).status_code == 400


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_a_put_that_changes_nothing_makes_no_new_version(client, base):
    created = client.post(f"{base}/CodeSystem", json=code_system() | {"status": "draft"}).json()  # a draft may change
    rid = created["id"]
    again = client.put(f"{base}/CodeSystem/{rid}", json=created)
    assert again.status_code == 200 and again.headers["etag"] == 'W/"1"' and again.json()["meta"]["versionId"] == "1"
    unchanged = {k: v for k, v in created.items() if k != "meta"}
    assert client.put(f"{base}/CodeSystem/{rid}", json=unchanged).headers["etag"] == 'W/"1"'
    assert client.get(f"{base}/CodeSystem/{rid}/_history").json()["total"] == 1
    changed = client.put(f"{base}/CodeSystem/{rid}", json=unchanged | {"title": "Colours"})
    assert changed.headers["etag"] == 'W/"2"'
    active = client.post(f"{base}/CodeSystem", json=code_system() | {"url": "http://example.org/cs/other"}).json()
    same = client.put(f"{base}/CodeSystem/{active['id']}", json=active)  # no change is no change to an active one
    assert same.status_code == 200 and same.headers["etag"] == 'W/"1"'
