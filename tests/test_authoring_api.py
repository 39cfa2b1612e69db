"""Code-list maintenance over FHIR (issue 17): CRMI ``$draft`` and ``$release`` on CodeSystem, ValueSet and
ConceptMap (both bases), immutability of active versions, review by a second person, ``ValueSet?code=`` from
the membership index, and the roles, on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings

import pytest

import terminology as t

SCT = "http://snomed.info/sct"
CS_URL = "https://region.example/fhir/CodeSystem/prio"
VS_URL = "https://region.example/fhir/ValueSet/prio-hog"


def code_system(status="draft", version="1.0.0", codes=("A", "B", "C")):
    return {"resourceType": "CodeSystem", "url": CS_URL, "version": version, "name": "Prio", "status": status,
            "content": "complete", "concept": [{"code": c, "display": f"Grupp {c}"} for c in codes]}


def value_set(status="draft", version="1.0.0", codes=("A", "B")):
    return {"resourceType": "ValueSet", "url": VS_URL, "version": version, "name": "PrioHog", "status": status,
            "compose": {"include": [{"system": CS_URL, "concept": [{"code": c} for c in codes]}]}}


def concept_map(status="draft", r4=False):
    relation = {"equivalence": "equivalent"} if r4 else {"relationship": "equivalent"}
    return {"resourceType": "ConceptMap", "url": "https://region.example/fhir/ConceptMap/prio", "version": "1",
            "status": status, "group": [{"source": CS_URL, "target": SCT,
                                         "element": [{"code": "A", "target": [{"code": "609588000", **relation}]}]}]}


@pytest.fixture
def server(new_db, backend):
    """The app over a fresh database with keys of two informatiker (``anna``, ``bo``), a vårdlots and an
    avtalsadmin; the client calls as ``anna`` unless a request names another key."""
    from api import Settings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    db = new_db(backend)
    accounts = t.Accounts(db)
    keys = {name: {"Authorization": f"ApiKey {accounts.add_key(name, roles, region)}"}
            for name, roles, region in (("anna", ("informatiker",), None), ("bo", ("informatiker",), None),
                                        ("lots", ("vardlots",), "05"), ("avtal", ("avtalsadmin",), "05"))}
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0))
    with TestClient(app, headers=keys["anna"]) as client:
        yield client, keys


def _entry(r) -> dict:
    body = r.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "transaction-response", body
    return body["entry"][0]["resource"]


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
@pytest.mark.parametrize("make", [code_system, value_set, concept_map], ids=["CodeSystem", "ValueSet", "ConceptMap"])
def test_release_by_a_second_person_then_immutable_then_draft(server, base, make):
    client, keys = server
    rtype = make()["resourceType"]
    body = make(r4=base == "/fhir/r4") if make is concept_map else make()
    rid = client.post(f"{base}/{rtype}", json=body).json()["id"]

    own = client.post(f"{base}/{rtype}/{rid}/$release")
    assert own.status_code == 403, own.text  # anna made the last change
    assert "Granskning krävs" in own.json()["issue"][0]["details"]["text"]
    refused = client.post(f"{base}/{rtype}/{rid}/$release", headers=keys["lots"])
    assert refused.status_code == 403 and refused.json()["issue"][0]["code"] == "forbidden"

    released = client.post(f"{base}/{rtype}/$release", params={"id": rid, "releaseLabel": "Vår 2026"},
                           headers=keys["bo"])
    assert released.status_code == 200, released.text
    active = _entry(released)
    assert active["status"] == "active" and active["version"] == "1" + (".0.0" if rtype != "ConceptMap" else "")
    assert active["date"] and any(e["valueString"] == "Vår 2026" for e in active["extension"])

    changed = {**active, "title": "Ändrad"}
    immutable = client.put(f"{base}/{rtype}/{rid}", json=changed)
    assert immutable.status_code == 422
    issue = immutable.json()["issue"][0]
    assert issue["code"] == "business-rule" and "$draft" in issue["details"]["text"]

    drafted = client.post(f"{base}/{rtype}/{rid}/$draft")
    assert drafted.status_code == 201, drafted.text
    draft = _entry(drafted)
    assert draft["status"] == "draft" and draft["id"] != rid and "date" not in draft
    assert draft["version"] == ("1.1.0" if rtype != "ConceptMap" else "2")
    edited = client.put(f"{base}/{rtype}/{draft['id']}", json={**draft, "title": "Nästa"})
    assert edited.status_code == 200

    taken = client.post(f"{base}/{rtype}/{rid}/$draft", params={"version": draft["version"]})
    assert taken.status_code == 422 and "finns redan" in taken.json()["issue"][0]["details"]["text"]
    again = client.post(f"{base}/{rtype}/{rid}/$release", headers=keys["bo"])
    assert again.status_code == 422  # only a draft is released


def test_a_draft_becomes_active_only_through_release(server):
    client, keys = server
    rid = client.post("/fhir/r5/ValueSet", json=value_set()).json()["id"]
    sneaky = client.put(f"/fhir/r5/ValueSet/{rid}", json={**value_set(status="active"), "id": rid},
                        headers=keys["bo"])
    assert sneaky.status_code == 422 and "$release" in sneaky.json()["issue"][0]["details"]["text"]


def test_retire_is_the_one_change_of_an_active_version(server):
    client, keys = server
    rid = client.post("/fhir/r5/CodeSystem", json=code_system()).json()["id"]
    active = _entry(client.post(f"/fhir/r5/CodeSystem/{rid}/$release", headers=keys["bo"]))
    retired = client.put(f"/fhir/r5/CodeSystem/{rid}", json={**active, "status": "retired"})
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    back = client.put(f"/fhir/r5/CodeSystem/{rid}", json={**active, "status": "active"})
    assert back.status_code == 422


def test_release_versions_and_bad_input(server):
    client, keys = server
    rid = client.post("/fhir/r5/ValueSet", json={**value_set(), "version": None}).json()["id"]
    missing = client.post(f"/fhir/r5/ValueSet/{rid}/$release", headers=keys["bo"])
    assert missing.status_code == 400 and missing.json()["issue"][0]["expression"] == ["version"]
    bad = client.post(f"/fhir/r5/ValueSet/{rid}/$release", params={"version": "2", "versionBehavior": "maybe"},
                      headers=keys["bo"])
    assert bad.status_code == 400
    body = {"resourceType": "Parameters", "parameter": [{"name": "version", "valueString": "2.0.0"},
                                                        {"name": "versionBehavior", "valueCode": "force"}]}
    forced = client.post(f"/fhir/r5/ValueSet/{rid}/$release", json=body, headers=keys["bo"])
    assert forced.status_code == 200 and _entry(forced)["version"] == "2.0.0"
    unknown = client.post(f"/fhir/r5/ValueSet/{rid}/$draft", params={"colour": "blue"})
    assert unknown.status_code == 400 and "colour" in unknown.json()["issue"][0]["details"]["text"]
    assert client.post("/fhir/r5/ValueSet/nope/$draft").status_code == 404
    assert client.post("/fhir/r4/ValueSet/$draft").status_code == 400  # no id
    assert client.get(f"/fhir/r5/ValueSet/{rid}/$release").status_code == 405


def test_value_set_code_search_answers_from_the_membership_index(server, backend):
    client, keys = server
    cs = client.post("/fhir/r4/CodeSystem", json=code_system(status="active")).json()["id"]
    assert cs
    rid = client.post("/fhir/r4/ValueSet", json=value_set()).json()["id"]
    found = client.get("/fhir/r4/ValueSet", params={"code": f"{CS_URL}|A"}).json()
    assert found["total"] == 0  # a draft is not searched
    client.post(f"/fhir/r4/ValueSet/{rid}/$release", headers=keys["bo"])
    found = client.get("/fhir/r4/ValueSet", params={"code": f"{CS_URL}|A"}).json()
    assert found["total"] == 1 and found["entry"][0]["resource"]["url"] == VS_URL
    assert client.get("/fhir/r5/ValueSet", params={"code": f"{CS_URL}|C"}).json()["total"] == 0
    assert client.get("/fhir/r5/ValueSet", params={"code": f"{CS_URL}|A", "version": "9"}).json()["total"] == 0

    # A whole-system value set picks up a code added to a new version of the code system (stamps).
    whole = {**value_set(status="active", version="1"), "url": VS_URL + "-alla",
             "compose": {"include": [{"system": CS_URL}]}}
    client.post("/fhir/r5/ValueSet", json=whole)
    assert client.get("/fhir/r5/ValueSet", params={"code": f"{CS_URL}|C"}).json()["total"] == 1
    client.post("/fhir/r5/CodeSystem", json=code_system(status="active", version="2.0.0", codes=("A", "B", "C", "D")))
    hits = client.get("/fhir/r5/ValueSet", params={"code": f"{CS_URL}|D"}).json()
    assert [e["resource"]["url"] for e in hits["entry"]] == [VS_URL + "-alla"]

    # Retired versions leave the index.
    client.put(f"/fhir/r5/ValueSet/{rid}", json={**client.get(f"/fhir/r5/ValueSet/{rid}").json(), "status": "retired"})
    assert client.get("/fhir/r5/ValueSet", params={"code": f"{CS_URL}|A"}).json()["total"] == 1  # only "-alla"

    bad = client.get("/fhir/r5/ValueSet", params={"code": "A"})
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/r5/CodeSystem", params={"code": f"{CS_URL}|A"}).status_code == 400


def test_readers_may_not_author(server):
    client, keys = server
    rid = client.post("/fhir/r5/ValueSet", json=value_set()).json()["id"]
    for who in ("lots", "avtal"):
        assert client.post(f"/fhir/r5/ValueSet/{rid}/$draft", headers=keys[who]).status_code == 403
        assert client.post(f"/fhir/r5/ValueSet/{rid}/$release", headers=keys[who]).status_code == 403
        assert client.put(f"/fhir/r5/ValueSet/{rid}", json={**value_set(), "id": rid},
                          headers=keys[who]).status_code == 403
        assert client.get(f"/fhir/r5/ValueSet/{rid}", headers=keys[who]).status_code == 200
    anonymous = client.post(f"/fhir/r5/ValueSet/{rid}/$release", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_review_can_be_turned_off(new_db):
    db = new_db("sqlite")
    service = t.TerminologyService(db, refresh_seconds=0)
    alone = t.Principal("ensam", frozenset({"informatiker"}))
    solo = t.Authoring(service, review_required=False)
    rid = solo.create(value_set(), by=alone).resource["id"]
    assert solo.release("ValueSet", rid, by=alone).resource["status"] == "active"
    events = solo.history("ValueSet", id_=rid)
    assert [e.action for e in events] == ["release", "create"] and events[0].who == "ensam"
