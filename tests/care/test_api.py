"""The care directory over HTTP: $care-search (GET and POST, R4 and R5, FHIR and JSON), REST create / read /
update with If-Match, search, transaction Bundles, confidentiality, and every answer valid against the
fhir.resources models of its version."""

from __future__ import annotations

import importlib
import time
import warnings

import pytest

from api import Settings, create_app
from api.care import params as care_params
from terminology import Accounts
from mappings.care import codes as c

from .. import care_fixture
from ..care_fixture import DATE
from .conftest import FIXTURE

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def clients():
    """One app per backend for the module (building an app registers a few hundred routes)."""
    made: dict[str, TestClient] = {}
    yield made
    for made_client in made.values():
        made_client.close()


@pytest.fixture
def client(clients, directory, backend):
    if backend not in clients:
        url = directory.db.url.render_as_string(hide_password=False)
        accounts = Accounts(directory.db)
        made = TestClient(create_app(Settings(database_url=url, catalog_refresh_seconds=0)),
                          headers={"X-API-Key": accounts.add_key(f"admin-{backend}", ("admin",), None)})
        made.backend = backend
        made.keys = {region: accounts.add_key(f"lots-{region}-{backend}", ("vardlots",), region)
                     for region in ("01", "05")}
        clients[backend] = made
    return clients[backend]


def valid(body: dict, base: str) -> dict:
    package = "fhir.resources.R4B" if base.endswith("r4") else "fhir.resources"
    kind = body["resourceType"]
    getattr(importlib.import_module(f"{package}.{kind.lower()}"), kind).model_validate(body)
    return body


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_care_search_bundle_get_and_post(client, base):
    r = client.get(f"{base}/HealthcareService/$care-search",
                   params={"text": "kataraktoperation", "region": "05", "date": DATE, "sort": "wait",
                           "includeExcluded": "true"})
    assert r.status_code == 200, r.text
    bundle = valid(r.json(), base)
    assert bundle["type"] == "searchset" and bundle["total"] == 3
    modes = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]]
    assert modes[0] == ("OperationOutcome", "outcome") and ("HealthcareService", "match") in modes
    first_match = next(e for e in bundle["entry"] if e["search"]["mode"] == "match")
    assert first_match["resource"]["id"] == "s-cat"
    explanation = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "explanation-s-cat")
    params = {p["name"]: p for p in explanation["parameter"]}
    assert params["matchType"]["valueCode"] == "exact"
    wait = {p["name"]: p for p in params["waitingTime"]["part"]}
    assert wait["status"]["valueCode"] == "fresh" and wait["days"]["valueDecimal"] == 30
    assert {"Organization", "Location", "OrganizationAffiliation", "Contract"} <= {
        e["resource"]["resourceType"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        valid(entry["resource"], base)
    excluded = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Parameters"
                and any(p["name"] == "status" and p.get("valueCode") == "excluded" for p in e["resource"]["parameter"])]
    reasons = {p["part"][0]["valueCode"] for x in excluded for p in x["parameter"] if p["name"] == "reason"}
    assert {"agreement-expired", "agreement-not-started", "other-region", "confidential"} <= reasons
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "code", "valueString": "99900021000052101"}, {"name": "region", "valueString": "05"},
        {"name": "date", "valueString": DATE}, {"name": "matchTypes", "valueString": "exact,narrower,broader"}]}
    posted = client.post(f"{base}/HealthcareService/$care-search", json=body)
    assert posted.status_code == 200, posted.text
    assert [e["resource"]["id"] for e in posted.json()["entry"] if e["search"]["mode"] == "match"] == \
        ["s-ralp", "s-prostatectomy"]


def test_eligibility_values_and_waiting_time_scores_on_both_wires(client):
    r4 = client.get("/fhir/r4/HealthcareService/s-thr-asa2").json()
    r5 = client.get("/fhir/r5/HealthcareService/s-thr-asa2").json()
    assert r4["eligibility"] == r5["eligibility"]
    asa = next(e for e in r5["eligibility"] if e["code"]["coding"][0]["code"] == "302132005")
    assert asa["extension"][0]["url"].endswith("/eligibility-value") and asa["extension"][0]["valueRange"]["high"]["value"] == 2
    valid(r4, "/fhir/r4"), valid(r5, "/fhir/r5")
    w4, w5 = client.get("/fhir/r4/MeasureReport/w-cat").json(), client.get("/fhir/r5/MeasureReport/w-cat").json()
    assert w4["group"][0]["measureScore"]["value"] == w5["group"][0]["measureScoreQuantity"]["value"] == 30
    valid(w4, "/fhir/r4"), valid(w5, "/fhir/r5")


def test_json_api(client):
    r = client.get("/api/care/search", params={"text": "knäprotes", "region": "05", "date": DATE})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["resolution"]["used"][0]["code"] == "609588000" and body["resolution"]["ambiguous"]
    assert "Revision av knäprotes" in body["resolution"]["text"] or body["resolution"]["alternatives"]
    hit = body["hits"][0]
    assert hit["match"]["text"] and hit["provider"]["name"] == "Ortopedkliniken Öst AB"
    posted = client.post("/api/care/search", json={"text": "koloskopi", "region": "05", "date": DATE,
                                                   "postalCode": "58224", "distance": 100, "includeExcluded": True})
    assert posted.json()["total"] == 1 and posted.json()["excludedTotal"] == 2


@pytest.mark.parametrize("params, where", [
    ({"text": "x", "code": "1", "region": "05"}, "exactly one of"),
    ({"text": "katarakt"}, "region"),
    ({"text": "katarakt", "region": "99"}, "region"),
    ({"text": "katarakt", "region": "05", "matchTypes": "exact,sideways"}, "matchTypes"),
    ({"text": "katarakt", "region": "05", "near": "north"}, "near"),
    ({"text": "katarakt", "region": "05", "colour": "blue"}, "colour"),
    ({"ecl": "<< 110473004 AND", "region": "05"}, "ecl"),
])
def test_bad_parameters_are_operation_outcomes(client, params, where):
    r = client.get("/fhir/r4/HealthcareService/$care-search", params=params)
    assert r.status_code in (400, 422), r.text
    assert r.json()["resourceType"] == "OperationOutcome" and where in r.text


def _unit(id_: str, suffix: str) -> dict:
    return care_fixture.unit(id_, f"Enhet {id_}", "prov-eye", "559000001", suffix)


def test_create_read_update_with_if_match_and_search(client):
    created = client.post("/fhir/r4/Organization", json=_unit("ignored", "API1"))
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == 'W/"1"' and created.headers["Location"].startswith("Organization/")
    uid = created.json()["id"]
    assert uid != "ignored"
    got = client.get(f"/fhir/r4/Organization/{uid}")
    assert got.status_code == 200 and got.headers["ETag"] == 'W/"1"'
    body = {**got.json(), "name": "Nytt namn"}
    ok = client.put(f"/fhir/r4/Organization/{uid}", json=body, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200 and ok.json()["meta"]["versionId"] == "2"
    stale = client.put(f"/fhir/r4/Organization/{uid}", json=body, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412 and stale.json()["resourceType"] == "OperationOutcome"
    found = client.get("/fhir/r4/Organization", params={"name": "nytt"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [uid]
    history = client.get("/api/care/history", params={"resource": f"Organization/{uid}"}).json()
    admin = f"key:admin-{client.backend}"
    assert [(e["who"], e["action"], e["channel"]) for e in history] == [(admin, "update", "api"),
                                                                       (admin, "create", "api")]
    assert "name" in history[0]["what"]
    assert client.get("/fhir/r4/HealthcareService", params={"service-type": f"{c.SNOMED}|609588000"}).json()["total"] == 2
    assert client.get("/fhir/r4/HealthcareService", params={"colour": "blue"}).status_code == 400


def test_confidential_agreement_only_for_its_own_region(client):
    def as_region(region: str) -> dict:
        return {"X-API-Key": client.keys[region]}

    assert client.get("/fhir/r4/Contract/ct-eye-sthlm", headers={"X-API-Key": ""}).status_code == 401
    assert client.get("/fhir/r4/Contract/ct-eye-sthlm", headers=as_region("05")).status_code == 404
    assert client.get("/fhir/r4/Contract/ct-eye-sthlm", headers=as_region("01")).status_code == 200
    ids = {e["resource"]["id"] for e in client.get("/fhir/r4/Contract", params={"_count": 100},
                                                    headers=as_region("05")).json()["entry"]}
    assert "ct-eye-sthlm" not in ids and "ct-eye" in ids
    own = client.get("/fhir/r4/Contract", params={"_count": 100}, headers=as_region("01")).json()
    assert "ct-eye-sthlm" in {e["resource"]["id"] for e in own["entry"]}
    search = client.get("/api/care/search", params={"text": "kataraktoperation", "region": "01", "date": DATE}).json()
    assert [h["agreement"]["id"] for h in search["hits"]] == ["ct-eye-sthlm"]


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_transaction_bundle_over_http(client, base):
    unit = _unit("tx-unit", "TX1")
    loc = care_fixture.place(f"tx-place-{base[-2:]}", "tx-unit", "0580", 58.41, 15.62)
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:11111111-1111-4111-8111-111111111111", "resource": {**unit, "id": None},
         "request": {"method": "POST", "url": "Organization"}},
        {"resource": {**loc, "managingOrganization": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"}},
         "request": {"method": "PUT", "url": f"Location/tx-place-{base[-2:]}"}}]}
    bundle["entry"][0]["resource"].pop("id")
    r = client.post(base, json=bundle, follow_redirects=False)
    assert r.status_code == 200, r.text
    body = valid(r.json(), base)
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created", "201 Created"]
    place = client.get(f"{base}/Location/tx-place-{base[-2:]}").json()
    assert place["managingOrganization"]["reference"] == body["entry"][0]["response"]["location"].split("/_history")[0]


def _resolution(bundle: dict) -> dict:
    found = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "care-search-resolution")
    return {p["name"]: p for p in found["parameter"]}


def _listed(bundle: dict) -> tuple[list[str], list[str]]:
    """(hit ids, excluded ids) of one page of a $care-search Bundle."""
    hits = [e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    excluded = [e["resource"]["id"].removeprefix("explanation-") for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Parameters" and any(
                    p["name"] == "status" and p.get("valueCode") == "excluded" for p in e["resource"]["parameter"])]
    return hits, excluded


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_care_search_bundle_reports_both_totals_and_pages_both_lists(client, base):
    """Bundle.total counts the hits, the resolution Parameters the excluded; the next link pages both lists
    (issue 16), until each is read to its end."""
    params = {"text": "kataraktoperation", "region": "05", "date": DATE, "includeExcluded": "true", "_count": "1"}
    bundle = valid(client.get(f"{base}/HealthcareService/$care-search", params=params).json(), base)
    resolution = _resolution(bundle)
    total, excluded_total = bundle["total"], resolution["excludedTotal"]["valueInteger"]
    assert total == 3 and excluded_total >= 3
    hits, excluded = [], []
    for _ in range(10):
        page_hits, page_excluded = _listed(bundle)
        assert len(page_hits) <= 1 and len(page_excluded) <= 1
        hits += page_hits
        excluded += page_excluded
        following = [x["url"] for x in bundle.get("link", []) if x["relation"] == "next"]
        if not following:
            break
        assert "_offset=" in following[0]
        bundle = valid(client.get(following[0].replace("http://testserver", "")).json(), base)
    assert len(hits) == len(set(hits)) == total
    assert len(excluded) == len(set(excluded)) == excluded_total


def test_care_search_json_pages_hits_and_excluded(client):
    params = {"text": "kataraktoperation", "region": "05", "date": DATE, "includeExcluded": "true", "_count": "2"}
    first = client.get("/api/care/search", params=params).json()
    second = client.get("/api/care/search", params={**params, "_offset": "2"}).json()
    assert first["total"] == second["total"] == 3 and first["excludedTotal"] == second["excludedTotal"] >= 3
    assert first["offset"] == 0 and second["offset"] == 2 and first["count"] == 2
    assert len(first["hits"]) == 2 and len(second["hits"]) == 1
    ids = [h["service"]["id"] for h in first["excluded"] + second["excluded"]]
    assert len(ids) == len(set(ids)) == min(4, first["excludedTotal"])
    assert "_offset=2" in first["next"]
@pytest.mark.parametrize("path", ["/fhir/r4/HealthcareService/$care-search", "/api/care/search"])
def test_care_search_text_and_numbers_are_bounded(client, path):
    """Issue 15: a text of thousands of words was a 500 (LIKE pattern too complex) and minutes of work."""
    many = " ".join(f"ord{i}" for i in range(40))
    r = client.get(path, params={"text": many, "region": "05"})
    assert r.status_code == 422 and "at most 32" in r.text, r.text
    huge = {"text": " ".join(f"w{i}" for i in range(20_000)), "region": "05"}
    r = client.post(path, data=huge) if path.startswith("/fhir") else client.post(path, json=huge)
    assert r.status_code == 400 and "at most 500" in r.text, r.text
    for name, value in (("age", "99999999999999999999"), ("maxWait", "¹"), ("_count", "-1"), ("distance", "nan"),
                        ("bmi", "1e400"), ("_offset", "99999999999999999999"), ("_count", "99999999999999999999")):
        r = client.get(path, params={"text": "kataraktoperation", "region": "05", name: value})
        assert r.status_code == 400 and name in r.text, (name, r.text)


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
@pytest.mark.parametrize("rtype", ["Contract", "HealthcareService", "Organization"])
@pytest.mark.parametrize("name, value", [("_offset", "99999999999999999999"), ("_count", "99999999999999999999"),
                                         ("_count", "¹"), ("_offset", "-1")])
def test_care_search_paging_is_range_checked(client, base, rtype, name, value):
    """Issue 15: the care resources' FHIR search checks _count and _offset like the terminology searches (a
    400 OperationOutcome naming the parameter, never a 500 or an overflow in the database)."""
    r = client.get(f"{base}/{rtype}", params={name: value})
    assert r.status_code == 400, r.text
    issue = r.json()["issue"][0]
    assert r.json()["resourceType"] == "OperationOutcome" and issue["code"] == "invalid"
    assert name in issue["details"]["text"] and "whole number" in issue["details"]["text"], issue
    assert client.get(f"{base}/{rtype}", params={name: "1"}).status_code == 200


def test_care_search_statements_run_under_the_statement_budget(directory, backend, monkeypatch):
    """Issue 15: the care search's statements run under VARDTERM_ECL_TIME_BUDGET_MS (Database.budgeted): past
    it the search is refused as too costly (422 OperationOutcome on FHIR, a JSON error on /api, a Swedish
    message on the web page), not run to the end. A statement that takes seconds (SQLite: a recursive count
    to thirty million; PostgreSQL: pg_sleep) is run first on the search's own connection."""
    from sqlalchemy import text
    from mappings.care.store.repository import CareStore

    slow_statement = ("SELECT pg_sleep(3)" if backend == "postgresql" else
                      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000) "
                      "SELECT COUNT(*) FROM n")
    region_rows = CareStore.region_rows

    def slow(self, conn, region):
        conn.execute(text(slow_statement)).all()
        return region_rows(self, conn, region)

    monkeypatch.setattr(CareStore, "region_rows", slow)
    url = directory.db.url.render_as_string(hide_password=False)
    key = Accounts(directory.db).add_key(f"budget-{backend}", ("admin",), None)
    app = create_app(Settings(database_url=url, catalog_refresh_seconds=0, ecl_time_budget_ms=50))
    params = {"code": "99900021000052101", "region": "05", "date": DATE}
    with TestClient(app, headers={"X-API-Key": key}) as budgeted:
        started = time.monotonic()
        r = budgeted.get("/fhir/r4/HealthcareService/$care-search", params=params)
        assert r.status_code == 422, r.text
        assert time.monotonic() - started < 2.5  # stopped, not run to the end
        issue = r.json()["issue"][0]
        assert r.json()["resourceType"] == "OperationOutcome" and issue["code"] == "too-costly"
        assert "The care search took longer than its time budget of 50 ms" in issue["details"]["text"], issue
        r = budgeted.get("/api/care/search", params=params)
        assert r.status_code == 422 and "time budget of 50 ms" in r.text, r.text
        r = budgeted.get("/app/sok", params={"code": "99900021000052101", "region": "05"})
        assert "tog längre tid än" in r.text, r.text[-2000:]
    monkeypatch.undo()
    assert directory.search(care_params.search_request(params.items()), by=FIXTURE).total > 0
