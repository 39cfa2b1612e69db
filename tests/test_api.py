"""The FHIR HTTP API: GET and POST forms, both wire versions, errors as OperationOutcomes with the mapped
status, and every answer valid against the ``fhir.resources`` models of its version."""

from __future__ import annotations

import warnings

import pytest

from api import Settings, create_app
from scripts.loading import load_rf2
from terminology import Database, snomed

from .rf2_builder import cid, tiny_international

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCT = "http://snomed.info/sct"
KNEE_REPLACEMENT = str(cid(9000002))


@pytest.fixture(scope="module")
def tiny_urls(tmp_path_factory, request):
    root = tiny_international(tmp_path_factory.mktemp("rel")).write()
    urls = {}
    for backend in ("sqlite", "postgresql"):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'vardterm.db'}"
        else:
            url = request.getfixturevalue("pg_databases").new_url()
        db = Database(url)
        db.initialise()
        load_rf2(db, [root])
        db.dispose()
        urls[backend] = url
    return urls


@pytest.fixture
def client(tiny_urls, backend):
    app = create_app(Settings(database_url=tiny_urls[backend], catalog_refresh_seconds=0))
    with TestClient(app) as c:
        yield c


def _validate_model(body: dict, version: str) -> None:
    """Check a response body against the fhir.resources model of its FHIR version."""
    import importlib
    package = "fhir.resources.R4B" if version == "r4" else "fhir.resources"
    kind = body["resourceType"]
    module = importlib.import_module(f"{package}.{kind.lower()}")
    getattr(module, kind).model_validate(body)


def _params(body: dict) -> dict:
    out: dict = {}
    for p in body["parameter"]:
        value = next((v for k, v in p.items() if k.startswith("value")), p.get("part", p.get("resource")))
        out.setdefault(p["name"], []).append(value)
    return out


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_lookup_get_and_post_agree(client, version):
    r = client.get(f"/fhir/{version}/CodeSystem/$lookup", params={"system": SCT, "code": KNEE_REPLACEMENT})
    assert r.status_code == 200
    assert r.headers["content-type"] == f"application/fhir+json; fhirVersion={'4.0' if version == 'r4' else '5.0'}"
    body = r.json()
    _validate_model(body, version)
    p = _params(body)
    assert p["display"] == ["Knee replacement"]
    assert p["version"] == ["http://snomed.info/sct/900000000000207008/version/20250701"]
    parents = [part for prop in p["property"] for part in prop if part["name"] == "value"
               and any(q.get("valueCode") == "parent" for q in prop)]
    assert sorted(x["valueCode"] for x in parents) == sorted([str(cid(9000001)), str(cid(9000004))])
    posted = client.post(f"/fhir/{version}/CodeSystem/$lookup", json={"resourceType": "Parameters", "parameter": [
        {"name": "coding", "valueCoding": {"system": SCT, "code": KNEE_REPLACEMENT}}]})
    assert posted.status_code == 200 and _params(posted.json())["display"] == ["Knee replacement"]


def test_lookup_display_language_and_accept_language(client):
    r = client.get("/fhir/r4/CodeSystem/$lookup", params={"system": SCT, "code": KNEE_REPLACEMENT,
                                                         "displayLanguage": "sv"})
    assert _params(r.json())["display"] == ["Knäprotes"]
    r = client.get("/fhir/r4/CodeSystem/$lookup", params={"system": SCT, "code": KNEE_REPLACEMENT},
                   headers={"Accept-Language": "sv-x-46011000052107"})
    assert _params(r.json())["display"] == ["Knäprotes"]
    designations = _params(r.json())["designation"]
    assert any({"name": "language", "valueCode": "sv"} in d for d in designations)


def test_lookup_property_selection(client):
    r = client.get("/fhir/r4/CodeSystem/$lookup", params=[("system", SCT), ("code", "71388002"),
                                                          ("property", "inactive"), ("property", "child")])
    codes = {part["valueCode"] for prop in _params(r.json())["property"] for part in prop if part["name"] == "code"}
    assert codes == {"inactive", "child"}


@pytest.mark.parametrize("path, params, status, code", [
    ("/fhir/r4/CodeSystem/$lookup", {"system": SCT, "code": "999999999"}, 404, "not-found"),
    ("/fhir/r4/CodeSystem/$lookup", {"system": "http://example.org/cs", "code": "1"}, 404, "not-found"),
    ("/fhir/r4/CodeSystem/$lookup", {"code": "71388002"}, 400, "invalid"),
    ("/fhir/r4/CodeSystem/$lookup", {"system": SCT, "code": "71388002",
                                     "version": f"{SCT}/900000000000207008/version/20200101"}, 404, "not-found"),
    ("/fhir/r5/CodeSystem/$subsumes", {"system": SCT, "codeA": "71388002"}, 400, "invalid"),
    ("/fhir/r4/ValueSet/$expand", {"url": "http://example.org/vs"}, 404, "not-found"),
    ("/fhir/r4/ValueSet/$expand", {"url": f"{SCT}?fhir_vs=nonsense"}, 400, "invalid"),
    ("/fhir/r4/ValueSet/$expand", {"url": f"{SCT}?fhir_vs=isa/71388002", "count": "-1"}, 400, "invalid"),
    ("/fhir/r4/ValueSet/$expand", {"url": f"{SCT}?fhir_vs=isa/71388002", "count": "many"}, 400, "invalid"),
    ("/fhir/r4/metadata", {"mode": "everything"}, 400, "invalid"),
    ("/fhir/r4/NoSuchThing", {}, 404, "not-found"),
])
def test_errors_are_operation_outcomes_with_the_mapped_status(client, path, params, status, code):
    r = client.get(path, params=params)
    assert r.status_code == status
    body = r.json()
    _validate_model(body, "r4")
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code and body["issue"][0]["details"]["text"]


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b'{"resourceType": "Patient"}', "must be a Parameters"),
    (b'{"resourceType": "Parameters", "parameter": [{"name": "code", "valueCodeX": "1"}]}', "not valid"),
    (b'{"resourceType": "Parameters", "parameter": [{"name": "tx-resource", "resource": {"resourceType": "n2?"}}]}',
     "no valid resourceType"),
    (b'{"resourceType": "Parameters", "parameter": [{"name": "tx-resource", "resource": {"resourceType": 7}}]}',
     "no valid resourceType"),
])
def test_bad_bodies_are_refused_with_a_reason(client, body, message):
    r = client.post("/fhir/r4/CodeSystem/$lookup", content=body, headers={"Content-Type": "application/fhir+json"})
    assert r.status_code == 400 and message in r.json()["issue"][0]["details"]["text"]


def test_too_costly_expansions_are_refused_unless_paged(client):
    url = f"{SCT}?fhir_vs"
    r = client.get("/fhir/r4/ValueSet/$expand", params={"url": url}, headers={"X-TOO-COSTLY-THRESHOLD": "3"})
    assert r.status_code == 422 and r.json()["issue"][0]["code"] == "too-costly"
    r = client.get("/fhir/r4/ValueSet/$expand", params={"url": url, "count": 2},
                   headers={"X-TOO-COSTLY-THRESHOLD": "3"})
    assert r.status_code == 200 and len(r.json()["expansion"]["contains"]) == 2


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_expand_paging_filter_and_language(client, version):
    url = f"{SCT}?fhir_vs=isa/71388002"
    full = client.get(f"/fhir/{version}/ValueSet/$expand", params={"url": url}).json()
    _validate_model(full, version)
    assert full["expansion"]["total"] == 5
    codes = [c["code"] for c in full["expansion"]["contains"]]
    page = client.get(f"/fhir/{version}/ValueSet/$expand", params={"url": url, "count": 2, "offset": 2}).json()
    assert [c["code"] for c in page["expansion"]["contains"]] == codes[2:4] and page["expansion"]["offset"] == 2
    sv = client.get(f"/fhir/{version}/ValueSet/$expand",
                    params={"url": url, "filter": "knä", "displayLanguage": "sv"}).json()
    assert sorted(c["display"] for c in sv["expansion"]["contains"]) == \
        ["Knäoperation", "Knäprotes", "Revision av knäprotes"]
    used = {p["name"]: p for p in sv["expansion"]["parameter"]}
    assert used["used-codesystem"]["valueUri"].startswith(f"{SCT}|{SCT}/900000000000207008/version/")
    assert used["filter"]["valueString"] == "knä"


def test_validate_code_results(client):
    ok = client.get("/fhir/r4/CodeSystem/$validate-code", params={"url": SCT, "code": KNEE_REPLACEMENT,
                                                                  "display": "knee replacement"}).json()
    assert _params(ok)["result"] == [True]
    bad = client.get("/fhir/r4/CodeSystem/$validate-code", params={"url": SCT, "code": KNEE_REPLACEMENT,
                                                                   "display": "Hip replacement"}).json()
    _validate_model(bad, "r4")
    assert _params(bad)["result"] == [False] and "Wrong Display Name" in _params(bad)["message"][0]
    vs = f"{SCT}?fhir_vs=isa/{cid(9000001)}"
    inside = client.get("/fhir/r4/ValueSet/$validate-code", params={"url": vs, "system": SCT,
                                                                    "code": str(cid(9000003))}).json()
    assert _params(inside)["result"] == [True]
    outside = client.get("/fhir/r4/ValueSet/$validate-code", params={"url": vs, "system": SCT,
                                                                     "code": "71388002"}).json()
    assert _params(outside)["result"] == [False]
    unknown = client.get("/fhir/r4/ValueSet/$validate-code", params={"url": vs, "system": SCT,
                                                                     "code": "12345678"}).json()
    assert _params(unknown)["result"] == [False]


def test_validate_codeable_concept_by_post(client):
    def validate(*codings: dict) -> dict:
        body = {"resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": f"{SCT}?fhir_vs=isa/71388002"},
            {"name": "codeableConcept", "valueCodeableConcept": {"coding": list(codings)}}]}
        r = client.post("/fhir/r5/ValueSet/$validate-code", json=body)
        assert r.status_code == 200
        _validate_model(r.json(), "r5")
        return _params(r.json())
    # valid when one coding is in the value set; the other is reported as information
    found = validate({"system": SCT, "code": str(snomed.IS_A)}, {"system": SCT, "code": KNEE_REPLACEMENT})
    assert found["result"] == [True] and found["code"] == [KNEE_REPLACEMENT]
    [issue] = found["issues"][0]["issue"]
    assert issue["severity"] == "information" and issue["expression"] == ["CodeableConcept.coding[0].code"]
    # a coding of an unknown code system makes the answer depend on it (as tx.fhir.org answers)
    unknown = validate({"system": "http://example.org", "code": "x"}, {"system": SCT, "code": KNEE_REPLACEMENT})
    assert unknown["result"] == [False] and unknown["x-caused-by-unknown-system"] == ["http://example.org"]


def test_subsumes(client):
    for a, b, outcome in [("71388002", KNEE_REPLACEMENT, "subsumes"), (KNEE_REPLACEMENT, "71388002", "subsumed-by"),
                          ("71388002", "71388002", "equivalent"),
                          (str(cid(9000001)), str(cid(9000004)), "not-subsumed")]:
        r = client.get("/fhir/r4/CodeSystem/$subsumes", params={"system": SCT, "codeA": a, "codeB": b})
        assert _params(r.json())["outcome"] == [outcome]


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_metadata(client, version):
    cs = client.get(f"/fhir/{version}/metadata").json()
    _validate_model(cs, version)
    assert cs["fhirVersion"] == ("4.0.1" if version == "r4" else "5.0.0")
    tc = client.get(f"/fhir/{version}/metadata", params={"mode": "terminology"}).json()
    _validate_model(tc, version)
    assert tc["codeSystem"][0]["version"][0]["code"] == "http://snomed.info/sct/900000000000207008/version/20250701"
    assert client.get(f"/fhir/{version}/$versions").json()["parameter"][0]["valueCode"] in ("4.0", "5.0")


def test_fhir_alias_is_r4(client):
    assert client.get("/fhir/metadata").json()["fhirVersion"] == "4.0.1"


def test_openapi_docs_describe_the_operations(client):
    spec = client.get("/openapi.json").json()
    assert "/fhir/r4/CodeSystem/$lookup" in spec["paths"] and "/fhir/r5/ValueSet/$expand" in spec["paths"]
    assert client.get("/docs").status_code == 200
