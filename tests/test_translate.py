"""ConceptMap/$translate: forward, reverse, unmapped modes, scopes, stored and sent maps, both wire versions."""

from __future__ import annotations

import pytest


KVA = "http://example.org/kva"
SCT = "http://snomed.info/sct"

MAP = {
    "resourceType": "ConceptMap", "url": "http://example.org/cm/kva-sct", "version": "1.0", "status": "active",
    "sourceScopeUri": "http://example.org/vs/kva", "targetScopeUri": "http://example.org/vs/sct",
    "group": [{
        "source": KVA, "target": f"{SCT}|http://snomed.info/sct/45991000052106/version/20251130",
        "element": [
            {"code": "NFB49", "display": "Knäprotes", "target": [
                {"code": "179344006", "display": "Knee replacement", "relationship": "equivalent"},
                {"code": "71388002", "relationship": "source-is-narrower-than-target"}]},
            {"code": "XX000", "noMap": True},
        ],
        "unmapped": {"mode": "fixed", "code": "261665006", "display": "Unknown", "relationship": "related-to"},
    }],
}
OTHER = {"resourceType": "ConceptMap", "url": "http://example.org/cm/fallback", "status": "active",
         "group": [{"source": "http://example.org/local", "target": KVA, "element": [{"code": "z", "noMap": True}],
                    "unmapped": {"mode": "other-map", "otherMap": "http://example.org/cm/loop"}}]}
LOOP = {"resourceType": "ConceptMap", "url": "http://example.org/cm/loop", "status": "active",
        "group": [{"source": "http://example.org/local", "target": KVA, "element": [{"code": "z", "noMap": True}],
                   "unmapped": {"mode": "other-map", "otherMap": "http://example.org/cm/fallback"}}]}


@pytest.fixture
def client(empty_server):
    assert empty_server.post("/fhir/r5/ConceptMap", json=MAP).status_code == 201
    return empty_server


def _matches(body: dict) -> tuple[bool, list[dict]]:
    result = next(p["valueBoolean"] for p in body["parameter"] if p["name"] == "result")
    matches = [{q["name"]: next(v for k, v in q.items() if k.startswith("value")) for q in p["part"]}
               for p in body["parameter"] if p["name"] == "match"]
    return result, matches


def test_forward_with_a_stored_map(client):
    r = client.get("/fhir/r5/ConceptMap/$translate", params={"sourceSystem": KVA, "sourceCode": "NFB49"})
    ok, matches = _matches(r.json())
    assert ok and [m["concept"]["code"] for m in matches] == ["179344006", "71388002"]
    assert matches[0]["relationship"] == "equivalent"
    assert matches[0]["concept"]["version"] == "http://snomed.info/sct/45991000052106/version/20251130"
    assert matches[0]["originMap"] == "http://example.org/cm/kva-sct|1.0"


def test_r4_names_and_equivalence_on_the_r4_wire(client):
    r = client.get("/fhir/r4/ConceptMap/$translate", params={"system": KVA, "code": "NFB49", "targetsystem": SCT})
    ok, matches = _matches(r.json())
    assert ok and matches[1]["equivalence"] == "wider"


def test_reverse(client):
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "targetCode", "valueCode": "179344006"}, {"name": "targetSystem", "valueUri": SCT}]}
    ok, matches = _matches(client.post("/fhir/r5/ConceptMap/$translate", json=body).json())
    assert ok and matches[0]["source"]["code"] == "NFB49" and matches[0]["concept"]["code"] == "179344006"


def test_no_map_unmapped_and_scopes(client):
    ok, matches = _matches(client.get("/fhir/r5/ConceptMap/$translate",
                                      params={"sourceSystem": KVA, "sourceCode": "XX000"}).json())
    assert not ok and matches == [{"relationship": "not-related-to",
                                   "originMap": "http://example.org/cm/kva-sct|1.0"}]
    ok, matches = _matches(client.get("/fhir/r5/ConceptMap/$translate",
                                      params={"sourceSystem": KVA, "sourceCode": "ZZ999"}).json())
    assert ok and matches[0]["concept"]["code"] == "261665006"
    out = client.get("/fhir/r5/ConceptMap/$translate", params={"sourceSystem": KVA, "sourceCode": "NFB49",
                                                              "sourceScope": "http://example.org/vs/other"}).json()
    assert _matches(out) == (False, [])
    assert "No translation found" in next(p["valueString"] for p in out["parameter"] if p["name"] == "message")


def test_maps_sent_with_the_request_and_other_map_cycles(client):
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": "http://example.org/cm/fallback"},
        {"name": "sourceCoding", "valueCoding": {"system": "http://example.org/local", "code": "a"}},
        {"name": "tx-resource", "resource": OTHER}, {"name": "tx-resource", "resource": LOOP}]}
    r = client.post("/fhir/r5/ConceptMap/$translate", json=body)
    assert r.status_code == 200 and _matches(r.json()) == (False, [])


def test_instance_level_and_unknown_map(client):
    rid = client.get("/fhir/r5/ConceptMap", params={"url": MAP["url"]}).json()["entry"][0]["resource"]["id"]
    ok, _ = _matches(client.get(f"/fhir/r5/ConceptMap/{rid}/$translate",
                                params={"sourceSystem": KVA, "sourceCode": "NFB49"}).json())
    assert ok
    missing = client.get("/fhir/r5/ConceptMap/$translate", params={"url": "http://nowhere", "sourceCode": "a",
                                                                   "sourceSystem": KVA})
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/r5/ConceptMap/$translate", params={"sourceSystem": KVA}).status_code == 400
