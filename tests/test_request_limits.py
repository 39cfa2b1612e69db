"""Issue 15 "Server errors and unbounded work": every request gets a 4xx OperationOutcome or an answer, never a
500, and no request runs unbounded: integer parameters range-checked in one place, text filters bounded,
request bodies limited, unexpected failures answered without dropping the connection."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.fixture
def client(empty_server):
    return empty_server


def _invalid(r, status: int = 400) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
@pytest.mark.parametrize("rtype", ["CodeSystem", "ValueSet", "ConceptMap"])
def test_history_version_that_is_not_a_small_ascii_number(client, base, rtype):
    for vid in ("%C2%B9", "999999999999999999999999999999", "-1", "0"):
        issue = _invalid(client.get(f"{base}/{rtype}/x/_history/{vid}"))
        assert issue["code"] == "invalid" and "_history" in issue["details"]["text"]
    assert client.get(f"{base}/{rtype}/x/_history/1").status_code == 404


@pytest.mark.parametrize("query", [
    f"ValueSet/$expand?url=http://snomed.info/sct?fhir_vs&count={HUGE}",
    f"ValueSet/$expand?url=http://snomed.info/sct?fhir_vs&offset={HUGE}",
    "ValueSet/$expand?url=http://snomed.info/sct?fhir_vs&count=%C2%B9",
    "ValueSet/$expand?url=http://snomed.info/sct?fhir_vs&count=-5",
    f"ValueSet?_offset={HUGE}",
    f"CodeSystem?_count={HUGE}",
    "ConceptMap?_count=1e3",
])
def test_integer_parameters_are_range_checked(client, query):
    issue = _invalid(client.get(f"/fhir/r4/{query}"))
    assert issue["code"] == "invalid" and "whole number" in issue["details"]["text"]


def test_integer_parameter_in_a_parameters_body(client):
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": "http://snomed.info/sct?fhir_vs"}, {"name": "count", "valueInteger": 5},
        {"name": "offset", "valueString": HUGE}]}
    _invalid(client.post("/fhir/r5/ValueSet/$expand", json=body))


def test_too_costly_threshold_header_is_checked(client):
    r = client.get("/fhir/r4/ValueSet/$expand?url=http://snomed.info/sct?fhir_vs",
                   headers={"X-TOO-COSTLY-THRESHOLD": HUGE})
    _invalid(r)


def test_if_match_that_is_not_a_version(client):
    created = client.post("/fhir/r4/CodeSystem", json={"resourceType": "CodeSystem", "url": "http://x.org/cs",
                                                        "status": "active", "content": "complete"}).json()
    for etag in ('W/"¹"'.encode(), f'W/"{HUGE}"'.encode()):
        r = client.put(f"/fhir/r4/CodeSystem/{created['id']}", json=created, headers={"If-Match": etag})
        _invalid(r)
