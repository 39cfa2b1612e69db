"""The national code systems answer the FHIR operations through the resource code-system engine, over HTTP on
both engines: $lookup, $expand (is-a filters on the hierarchy, Swedish text search with or without å/ä/ö),
$validate-code (a fragment warns about unknown codes), and $subsumes on the classification hierarchy."""

from __future__ import annotations

import pytest

from scripts import national as pipeline

KVA = "urn:oid:1.2.752.116.1.3.2.1.4"
ICD = "urn:oid:1.2.752.116.1.1.1.1.3"
VERKSAMHET = "urn:oid:1.2.752.129.2.2.1.3"


@pytest.fixture
def client(empty_server):
    pipeline.load_demo_national(empty_server.app.state.service.db)
    return empty_server


def _params(body: dict) -> dict:
    out: dict = {}
    for p in body["parameter"]:
        value = next((v for k, v in p.items() if k.startswith("value")), p.get("part"))
        out.setdefault(p["name"], []).append(value)
    return out


def _expand(client, base: str, include: dict, **params) -> dict:
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "valueSet", "resource": {"resourceType": "ValueSet", "status": "active",
                                          "compose": {"include": [include]}}}]}
    body["parameter"] += [{"name": k, "valueString" if isinstance(v, str) else "valueInteger": v}
                          for k, v in params.items()]
    r = client.post(f"{base}/ValueSet/$expand", json=body)
    assert r.status_code == 200, r.text
    return r.json()["expansion"]


def _codes(contains: list[dict]) -> list[str]:
    out = []
    for c in contains:
        out.append(c["code"])
        out += _codes(c.get("contains", []))
    return out


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_lookup(client, base):
    r = client.get(f"{base}/CodeSystem/$lookup", params={"system": KVA, "code": "NGB49", "displayLanguage": "sv"})
    assert r.status_code == 200, r.text
    p = _params(r.json())
    assert p["display"] == ["Primär totalprotes i knäled med cement"] and p["version"] == ["2021"]
    props = {next(x["valueCode"] for x in part if x["name"] == "code"):
             next(v for x in part if x["name"] == "value" for k, v in x.items() if k.startswith("value"))
             for part in p["property"]}
    assert props["parent"] == "NGB" and props["part"] == "KKÅ" and props["kind"] == "code"
    r = client.get(f"{base}/CodeSystem/$lookup", params={"system": ICD, "code": "H28"})
    assert _params(r.json())["display"][0].startswith("Katarakt (grå starr)")
    assert client.get(f"{base}/CodeSystem/$lookup", params={"system": ICD, "code": "X999"}).status_code == 404


def test_expand_is_a_and_swedish_text_search(client):
    expansion = _expand(client, "/fhir/r5", {"system": ICD, "filter": [
        {"property": "concept", "op": "is-a", "value": "C18"}]}, excludeNested="true")
    assert sorted(_codes(expansion["contains"])) == ["C18"] + [f"C18{d}" for d in range(10)]
    for text in ("knäled", "knaled", "KNÄLED"):
        expansion = _expand(client, "/fhir/r5", {"system": KVA}, filter=text)
        assert {"NGB49", "AN042"} <= set(_codes(expansion["contains"])), text
    expansion = _expand(client, "/fhir/r5", {"system": VERKSAMHET, "filter": [
        {"property": "concept", "op": "descendent-of", "value": "15"}]}, filter="distriktssköt")
    assert _codes(expansion["contains"]) == ["1506"]


def test_validate_code(client):
    r = client.get("/fhir/r4/CodeSystem/$validate-code", params={
        "url": KVA, "code": "NGB49", "display": "Primär totalprotes i knäled med cement"})
    assert _params(r.json())["result"] == [True]
    r = client.get("/fhir/r4/CodeSystem/$validate-code", params={"url": KVA, "code": "NGB49", "display": "Knä"})
    assert _params(r.json())["result"] == [False]
    # The excerpt is a fragment: a code outside it is not declared invalid, only warned about.
    r = client.get("/fhir/r5/CodeSystem/$validate-code", params={"url": ICD, "code": "J459"})
    p = _params(r.json())
    assert p["result"] == [True] and "fragment" in r.text


def test_subsumes(client):
    r = client.get("/fhir/r4/CodeSystem/$subsumes", params={"system": ICD, "codeA": "C18", "codeB": "C189"})
    assert r.status_code == 200 and _params(r.json())["outcome"] == ["subsumes"]
    r = client.get("/fhir/r5/CodeSystem/$subsumes", params={"system": KVA, "codeA": "NGB49", "codeB": "NGB"})
    assert _params(r.json())["outcome"] == ["subsumed-by"]
    r = client.get("/fhir/r5/CodeSystem/$subsumes", params={"system": KVA, "codeA": "NGB49", "codeB": "NFB49"})
    assert _params(r.json())["outcome"] == ["not-subsumed"]
