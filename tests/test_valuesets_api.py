"""$expand and $lookup over the HTTP API with resources sent as ``tx-resource``: both wire versions, answers
valid against the fhir.resources models, R4 wire differences, and errors with their tx-issue-type."""

from __future__ import annotations

import copy
import importlib

import pytest

from .test_valuesets_providers import SHAPES, URL

CHILD_OF = {"resourceType": "ValueSet", "url": "http://example.org/vs/children", "version": "1", "status": "active",
            "compose": {"include": [{"system": URL, "filter": [{"property": "concept", "op": "child-of",
                                                                 "value": "polygon"}]}]}}


@pytest.fixture(scope="module")
def client(sqlite_server):
    return sqlite_server


def tx_body(params: tuple[dict, ...], resources) -> dict:
    """A Parameters body with ``params`` and each of ``resources`` (copied) as a ``tx-resource``."""
    return {"resourceType": "Parameters",
            "parameter": [*params, *({"name": "tx-resource", "resource": copy.deepcopy(r)} for r in resources)]}


def body(*params: dict, resources=(SHAPES, CHILD_OF)) -> dict:
    return tx_body(params, resources)


def r4_value_set(vs: dict) -> dict:
    """The R4 form of a ValueSet whose filter uses the R5-only child-of operator."""
    out = copy.deepcopy(vs)
    f = out["compose"]["include"][0]["filter"][0]
    op = f.pop("op")
    f["_op"] = {"extension": [{"url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose."
                                      "include.filter.op", "valueCode": op}]}
    return out


def check_model(resource: dict, version: str) -> None:
    package = "fhir.resources.R4B" if version == "r4" else "fhir.resources"
    kind = resource["resourceType"]
    getattr(importlib.import_module(f"{package}.{kind.lower()}"), kind).model_validate(resource)


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_expand_with_tx_resources(client, version):
    vs = r4_value_set(CHILD_OF) if version == "r4" else CHILD_OF
    r = client.post(f"/fhir/{version}/ValueSet/$expand", json=body(
        {"name": "url", "valueUri": CHILD_OF["url"]}, {"name": "property", "valueString": "sides"},
        resources=(SHAPES, vs)))
    assert r.status_code == 200, r.text
    out = r.json()
    check_model(out, version)
    assert out["url"] == CHILD_OF["url"] and "compose" not in out
    exp = out["expansion"]
    assert exp["total"] == 2 and [c["code"] for c in exp["contains"]] == ["triangle", "square"]
    assert {"name": "used-codesystem", "valueUri": URL + "|1.0.0"} in exp["parameter"]
    if version == "r5":
        assert exp["property"] == [{"code": "sides"}]
        assert exp["contains"][0]["property"] == [{"code": "sides", "valueInteger": 3}]
    else:
        assert "property" not in exp and "property" not in exp["contains"][0]
        ext = exp["contains"][0]["extension"][0]
        assert ext["url"].endswith("extension-ValueSet.expansion.contains.property")
        assert ext["extension"] == [{"url": "code", "valueCode": "sides"}, {"url": "value", "valueInteger": 3}]


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_inline_value_set_is_nested(client, version):
    inline = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": URL}]}}
    r = client.post(f"/fhir/{version}/ValueSet/$expand", json=body({"name": "valueSet", "resource": inline}))
    assert r.status_code == 200, r.text
    check_model(r.json(), version)
    top = r.json()["expansion"]["contains"]
    assert [c["code"] for c in top] == ["shape"] and top[0]["abstract"] is True
    assert [c["code"] for c in top[0]["contains"]] == ["polygon", "circle", "oval"]


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_lookup_on_a_resource(client, version):
    r = client.post(f"/fhir/{version}/CodeSystem/$lookup", json=body(
        {"name": "system", "valueUri": URL}, {"name": "code", "valueCode": "SQUARE"}))
    assert r.status_code == 200, r.text
    check_model(r.json(), version)
    got = {p["name"]: p for p in r.json()["parameter"]}
    assert got["display"]["valueString"] == "Square" and got["definition"]["valueString"] == "Four equal sides"


def test_broken_value_set_is_an_outcome_with_the_tx_issue_type(client):
    broken = {"resourceType": "ValueSet", "status": "active",
              "compose": {"include": [{"system": URL, "filter": [{"property": "concept", "op": "is-a"}]}]}}
    r = client.post("/fhir/r5/ValueSet/$expand", json=body({"name": "valueSet", "resource": broken}))
    assert r.status_code == 400
    issue = r.json()["issue"][0]
    assert issue["code"] == "invalid" and issue["expression"] == ["ValueSet.compose.include[0].filter[0]"]
    assert issue["details"]["coding"] == [{"system": "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type",
                                           "code": "vs-invalid"}]
    assert issue["details"]["text"].startswith(f"The system {URL} filter with property = concept, op = is-a")


def test_unknown_value_set_and_too_costly(client):
    r = client.post("/fhir/r5/ValueSet/$expand", json=body({"name": "url", "valueUri": "http://example.org/none"}))
    assert r.status_code == 404 and r.json()["issue"][0]["details"]["coding"][0]["code"] == "not-found"
    inline = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": URL}]}}
    r = client.post("/fhir/r5/ValueSet/$expand", headers={"X-TOO-COSTLY-THRESHOLD": "2"},
                    json=body({"name": "valueSet", "resource": inline}))
    assert r.status_code == 422 and r.json()["issue"][0]["code"] == "too-costly"
