"""Post-coordinated expressions and SNOMED CT errors over HTTP, as tx.fhir.org gives them (the HL7 tx ecosystem
SNOMED CT tests ``sct/*-pc-*``, ``sct/subsumes-*`` and ``sct/ecl/expand-ecl-*``): answer shapes, message ids,
tx-issue-types, texts and HTTP statuses, on both bases and both backends, every answer valid against the FHIR
models of its version."""

from __future__ import annotations

import warnings
from urllib.parse import quote

import pytest

from api import Settings, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCT = "http://snomed.info/sct"
TX = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"
MESSAGE_ID = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id"
NESTED = "609588000:{363704007=(49076000:272741003=24028007)}"
NESTED_DISPLAY = ("609588000|Total knee replacement|:{363704007|Procedure site|=(49076000|Knee joint structure|:"
                  "272741003|Laterality|=24028007|Right side|)}")


@pytest.fixture
def client(mini_dbs, backend):
    url = mini_dbs(backend).url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(database_url=url, catalog_refresh_seconds=0))) as c:
        yield c


def _valid(body: dict, base: str) -> dict:
    import importlib
    package = "fhir.resources.R4B" if base == "r4" else "fhir.resources"
    kind = body["resourceType"]
    getattr(importlib.import_module(f"{package}.{kind.lower()}"), kind).model_validate(body)
    return body


def _params(body: dict) -> dict:
    out: dict = {}
    for p in body["parameter"]:
        out.setdefault(p["name"], []).append(next((v for k, v in p.items() if k.startswith("value")),
                                                  p.get("part", p.get("resource"))))
    return out


def _issue(body: dict) -> tuple:
    [i] = body["issue"]
    ids = [e["valueString"] for e in i.get("extension", []) if e["url"] == MESSAGE_ID]
    tx = [c["code"] for c in i["details"].get("coding", []) if c["system"] == TX]
    return i["severity"], i["code"], (ids or [None])[0], (tx or [None])[0], i["details"]["text"]


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_lookup_of_an_expression(client, base):
    r = client.get(f"/fhir/{base}/CodeSystem/$lookup", params={"system": SCT, "code": NESTED})
    assert r.status_code == 200
    p = _params(_valid(r.json(), base))
    assert p["code"] == [NESTED] and p["display"] == [NESTED_DISPLAY]
    props = {prop[0]["valueCode"]: prop for prop in p["property"]}
    assert {"normalForm", "normalFormTerse", "inactive", "parent", "363704007"} <= set(props)
    assert props["normalFormTerse"][1]["valueString"] == \
        "=== 19063003:{260686004=713295009,405813007=49076000},{363704007=(49076000:272741003=24028007)}"


@pytest.mark.parametrize("base", ["r4", "r5"])
def test_validate_code_of_an_expression(client, base):
    # GET with the expression percent-encoded, and POST with a Parameters body (the README's two forms)
    r = client.get(f"/fhir/{base}/CodeSystem/$validate-code?url={SCT}&code={quote(NESTED)}")
    p = _params(_valid(r.json(), base))
    assert (p["result"], p["code"], p["display"]) == ([True], [NESTED], [NESTED_DISPLAY]) and "issues" not in p
    r = client.post(f"/fhir/{base}/CodeSystem/$validate-code", json={"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": SCT}, {"name": "code", "valueCode": "609588000 : { 363704007 = 99900003009 }"}]})
    p = _params(_valid(r.json(), base))
    assert p["result"] == [False] and "display" not in p
    issues = p["issues"][0]["issue"]
    assert [(i["severity"], i["code"], i["details"]["coding"][0]["code"], i["expression"]) for i in issues] == [
        ("error", "code-invalid", "invalid-code", ["code"]), ("information", "code-invalid", "invalid-code", ["code"])]
    assert issues[0]["extension"][0]["valueString"] == "Unknown_Code_in_Version"
    assert issues[1]["details"]["text"] == ("Not a valid expression: the concept 99900003009 |Knee replacement| at "
                                            "position 27 is inactive")
    assert p["message"][0].startswith("Unknown code '609588000 : { 363704007 = 99900003009 }' in the CodeSystem")


def test_validate_code_of_an_expression_in_a_value_set(client):
    r = client.get("/fhir/r4/ValueSet/$validate-code", params={
        "url": f"{SCT}?fhir_vs=ecl/<< 71388002 : 363704007 = << 49076000", "system": SCT, "code": NESTED})
    assert _params(r.json())["result"] == [True]
    r = client.get("/fhir/r4/ValueSet/$validate-code", params={
        "url": f"{SCT}?fhir_vs=isa/404684003", "system": SCT, "code": NESTED})
    p = _params(r.json())
    assert p["result"] == [False] and p["display"] == [NESTED_DISPLAY]
    [issue] = p["issues"][0]["issue"]
    assert issue["details"]["coding"][0]["code"] == "not-in-vs"


@pytest.mark.parametrize("a, b, status, outcome", [
    ("609588000", NESTED, 200, "subsumes"),
    (NESTED, "609588000", 200, "subsumed-by"),
    ("64572001:{363698007=10200004}", "609588000", 400, "code-invalid"),
    ("71388002:{363704007=24136001}", NESTED, 422, "not-supported"),
])
def test_subsumes_with_expressions(client, a, b, status, outcome):
    r = client.get("/fhir/r5/CodeSystem/$subsumes", params={"system": SCT, "codeA": a, "codeB": b})
    assert r.status_code == status
    body = _valid(r.json(), "r5")
    if status == 200:
        assert _params(body)["outcome"] == [outcome]
        return
    severity, code, _, _, text = _issue(body)
    assert (severity, code) == ("error", outcome)
    assert a in text and b in text if status == 422 else a in text and SCT in text


ECL_ERRORS = [
    # (the expression, what the explanation says): tx.fhir.org's sct/ecl tests missing-focus, trailing-tokens,
    # mixed-operators-rejected, unknown-concept and invalid-sctid
    ("<<", "syntax error at position 3: expected a concept id"),
    ("<< 10200004 <<", "syntax error at position 13:"),
    ("<< 404684003 OR << 71388002 AND << 123037004", "(AND and OR cannot be mixed without parentheses)"),
    ("< 123456001", "the SNOMED CT concept 123456001 at position 3 is not known"),
    ("< 99999999", "99999999 is not a concept id: partition 99 is not a known partition"),
    ("<< abc", "syntax error at position 4: expected a concept id"),
    ("<< 123456002", "123456002 is not a concept id: Verhoeff check digit is wrong"),
]


@pytest.mark.parametrize("ecl, explanation", ECL_ERRORS)
@pytest.mark.parametrize("operation", ["expand", "validate-code"])
def test_ecl_errors_as_the_reference_server_gives_them(client, ecl, explanation, operation):
    params = {"url": f"{SCT}?fhir_vs=ecl/{ecl}"}
    if operation == "validate-code":
        params.update(system=SCT, code="71388002")
    r = client.get(f"/fhir/r4/ValueSet/${operation}", params=params)
    assert r.status_code == 400
    severity, code, message_id, tx, text = _issue(_valid(r.json(), "r4"))
    assert (severity, code, message_id, tx) == ("error", "invalid", "INVALID_ECL", "vs-invalid")
    assert text.startswith(f"Invalid ECL expression: '{ecl}': (") and explanation in text, text


def test_ecl_errors_in_a_compose_filter(client):
    vs = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [
        {"system": SCT, "filter": [{"property": "constraint", "op": "=", "value": "<< 10200004 <<"}]}]}}
    r = client.post("/fhir/r5/ValueSet/$expand", json={"resourceType": "Parameters", "parameter": [
        {"name": "valueSet", "resource": vs}]})
    assert r.status_code == 400 and _issue(r.json())[2:4] == ("INVALID_ECL", "vs-invalid")


@pytest.mark.parametrize("query", ["isa/abc", "isa/123456001", "refset/609588000", "refset/12"])
@pytest.mark.parametrize("operation", ["expand", "validate-code"])
def test_implicit_value_sets_that_name_no_value_set(client, query, operation):
    """``isa/`` of something that is not a concept of the version, ``refset/`` of a concept that is not a refset:
    the value set does not exist (tx.fhir.org: not-found, ``Unable_to_resolve_value_Set_``)."""
    url = f"{SCT}?fhir_vs={query}"
    params = {"url": url} if operation == "expand" else {"url": url, "system": SCT, "code": "71388002"}
    r = client.get(f"/fhir/r4/ValueSet/${operation}", params=params)
    assert r.status_code == 404
    assert _issue(_valid(r.json(), "r4")) == (
        "error", "not-found", "Unable_to_resolve_value_Set_", "not-found",
        f"A definition for the value Set '{url}' could not be found")
    assert client.get("/fhir/r4/ValueSet/$expand", params={"url": f"{SCT}?fhir_vs=refset/99900111000052105",
                                                           "count": 1}).status_code == 200


def test_expressions_in_a_listed_value_set_are_expanded_with_their_display(client):
    vs = {"resourceType": "ValueSet", "status": "active", "compose": {"include": [
        {"system": SCT, "concept": [{"code": "609588000"}, {"code": NESTED}]}]}}
    r = client.post("/fhir/r4/ValueSet/$expand", json={"resourceType": "Parameters", "parameter": [
        {"name": "valueSet", "resource": vs}]})
    body = _valid(r.json(), "r4")
    assert [(c["code"], c["display"]) for c in body["expansion"]["contains"]] == [
        ("609588000", "Total knee replacement"), (NESTED, NESTED_DISPLAY)]
