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


# --- text filters: bounded in length and words, and their statements under the time budget ---------------

MANY_WORDS = " ".join(f"ord{i}" for i in range(40))
HUGE_TEXT = " ".join(f"w{i}" for i in range(20_000))


@pytest.mark.parametrize("text, status, code", [(MANY_WORDS, 422, "too-costly"), (HUGE_TEXT, 400, "invalid")])
def test_expand_filter_is_bounded(client, text, status, code):
    form = {"url": "http://snomed.info/sct?fhir_vs", "filter": text}
    r = client.get("/fhir/r4/ValueSet/$expand", params=form) if len(text) < 1000 else \
        client.post("/fhir/r4/ValueSet/$expand", data=form)
    issue = _invalid(r, status)
    assert issue["code"] == code and "filter" in issue["details"]["text"]
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "url", "valueUri": "http://snomed.info/sct?fhir_vs"}, {"name": "filter", "valueString": text}]}
    _invalid(client.post("/fhir/r5/ValueSet/$expand", json=body), status)


class _LateClock:
    """A clock for terminology.store.budget whose every reading after the first is 100 s later, so a statement
    under a budget is past its deadline as soon as the database asks."""

    def __init__(self):
        import time
        self.calls, self.real = 0, time.monotonic

    def monotonic(self):
        self.calls += 1
        return self.real() + (0 if self.calls == 1 else 100)


def test_text_filter_statements_run_under_the_time_budget(mini_dbs, monkeypatch):
    import terminology as t
    from terminology.store import budget

    db = mini_dbs("sqlite")
    budgeted = t.Database(db.url.render_as_string(hide_password=False), statement_budget_ms=50)
    try:
        service = t.TerminologyService(budgeted, refresh_seconds=0)
        request = t.ExpandRequest(url="http://snomed.info/sct?fhir_vs", filter="a", count=10)
        assert service.expand(request).total > 0
        monkeypatch.setattr(budget, "time", _LateClock())
        with pytest.raises(t.TooCostly, match="text filter took longer than its time budget of 50 ms"):
            service.expand(request)
    finally:
        budgeted.dispose()


def test_statement_budget_stops_a_slow_statement(new_db, backend, monkeypatch):
    """Database.budgeted (the care search's statements): SQLite by its progress handler, PostgreSQL by
    statement_timeout."""
    import terminology as t
    from sqlalchemy import text
    from terminology.store import budget

    db = new_db(backend)
    db.statement_budget_ms = 50
    slow = ("SELECT pg_sleep(2)" if backend == "postgresql" else
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000) SELECT COUNT(*) FROM n")
    if backend == "sqlite":
        monkeypatch.setattr(budget, "time", _LateClock())
    with db.engine.connect() as conn:
        with pytest.raises(t.TooCostly, match="The care search took longer than its time budget of 50 ms"):
            with db.budgeted(conn, "the care search"):
                conn.execute(text(slow)).all()
