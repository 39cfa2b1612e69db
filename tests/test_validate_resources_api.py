"""$validate-code and $batch-validate-code over the HTTP API with resources sent as ``tx-resource``: both wire
versions, answers valid against the fhir.resources models, and the error responses (4xx OperationOutcome)."""

from __future__ import annotations

import pytest

from .test_validate_resources import COLOURS, CS, RESOURCES, VS
from .test_valuesets_api import check_model, tx_body

LISTED = next(r for r in RESOURCES if r.get("url") == VS + "listed")


@pytest.fixture(scope="module")
def client(sqlite_server):
    return sqlite_server


def body(*params: dict, resources=(COLOURS, LISTED)) -> dict:
    return tx_body(params, resources)


def params(out: dict) -> dict:
    found: dict = {}
    for p in out["parameter"]:
        found.setdefault(p["name"], []).append(next((v for k, v in p.items() if k.startswith("value") or
                                                     k == "resource"), None))
    return found


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_value_set_validate_code(client, version):
    r = client.post(f"/fhir/{version}/ValueSet/$validate-code", json=body(
        {"name": "url", "valueUri": VS + "listed"},
        {"name": "coding", "valueCoding": {"system": CS, "code": "red", "display": "Rot"}},
        {"name": "displayLanguage", "valueCode": "de"}))
    assert r.status_code == 200, r.text
    check_model(r.json(), version)
    p = params(r.json())
    assert p["result"] == [True] and p["display"] == ["Rot"] and p["version"] == ["1.0.0"]
    bad = client.post(f"/fhir/{version}/ValueSet/$validate-code", json=body(
        {"name": "url", "valueUri": VS + "listed"},
        {"name": "codeableConcept", "valueCodeableConcept": {"coding": [{"system": CS, "code": "grey"}]}}))
    check_model(bad.json(), version)
    p = params(bad.json())
    assert p["result"] == [False] and p["codeableConcept"][0]["coding"][0]["code"] == "grey"
    issues = p["issues"][0]["issue"]
    assert {i["details"]["coding"][0]["code"] for i in issues} == {"not-in-vs", "this-code-not-in-vs"}
    assert p["message"] == ["No valid coding was found for the value set 'http://example.org/vs/listed|1'"]


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_code_system_validate_code(client, version):
    r = client.post(f"/fhir/{version}/CodeSystem/$validate-code", json=body(
        {"name": "url", "valueUri": CS}, {"name": "code", "valueCode": "purple"}))
    assert r.status_code == 200, r.text
    check_model(r.json(), version)
    p = params(r.json())
    assert p["result"] == [False] and p["system"] == [CS]
    assert p["message"] == ["Unknown code 'purple' in the CodeSystem 'http://example.org/cs/colours' version '1.0.0'"]
    issue = p["issues"][0]["issue"][0]
    assert issue["expression"] == ["code"] and issue["details"]["coding"][0]["code"] == "invalid-code"


def test_unknown_value_set_and_bad_display_language_are_errors(client):
    r = client.post("/fhir/r5/ValueSet/$validate-code", json=body(
        {"name": "url", "valueUri": VS + "nowhere"}, {"name": "code", "valueCode": "red"},
        {"name": "system", "valueUri": CS}))
    assert r.status_code == 404
    issue = r.json()["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "not-found"
    assert issue["details"]["text"] == "A definition for the value Set 'http://example.org/vs/nowhere' could not be found"
    r = client.post("/fhir/r5/ValueSet/$validate-code", json=body(
        {"name": "url", "valueUri": VS + "listed"}, {"name": "code", "valueCode": "red"},
        {"name": "system", "valueUri": CS}, {"name": "displayLanguage", "valueCode": "-"}))
    assert r.status_code == 400 and r.json()["issue"][0]["code"] == "processing"


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_batch_validate_code(client, version):
    def validation(*ps: dict) -> dict:
        return {"name": "validation", "resource": {"resourceType": "Parameters", "parameter": list(ps)}}
    r = client.post(f"/fhir/{version}/ValueSet/$batch-validate-code", json=body(
        {"name": "url", "valueUri": VS + "listed"}, {"name": "lenient-display-validation", "valueBoolean": True},
        validation({"name": "coding", "valueCoding": {"system": CS, "code": "red", "display": "x"}}),
        validation({"name": "coding", "valueCoding": {"system": CS, "code": "red", "display": "x"}},
                   {"name": "lenient-display-validation", "valueBoolean": False}),
        validation({"name": "codingX", "valueCoding": {"system": CS, "code": "red"}})))
    assert r.status_code == 200, r.text
    check_model(r.json(), version)
    answers = [p["resource"] for p in r.json()["parameter"]]
    assert [a["resourceType"] for a in answers] == ["Parameters", "Parameters", "OperationOutcome"]
    assert params(answers[0])["result"] == [True] and params(answers[1])["result"] == [False]
    assert answers[2]["issue"][0]["details"]["text"].startswith("Unable to find code to validate")
