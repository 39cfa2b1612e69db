"""Issue 18: the hot FHIR operations (``api/fhir/hot.py``) answer exactly as their FastAPI routes do, keep the
edge's behaviour (request id, security headers, metrics label, read guard), choose the event loop or the thread
pool by cost, and an operation's reads share one pooled connection (``one_connection``)."""

from __future__ import annotations

import sqlite3
import threading
import warnings

import orjson
import psycopg
import pytest
from sqlalchemy import event

from api import Settings, create_app
from api.fhir import hot
from api.settings import default_workers
from terminology import Accounts, TerminologyService
from terminology.store.snomed_store import one_connection

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SCT = "http://snomed.info/sct"
KNEE = "609588000"
PROCEDURE = "71388002"


def _app(db, *, hot_path: bool = True, **settings):
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0,
                              **settings))
    if not hot_path:  # the stack is built at the first request: without the hot path, the router answers all
        app.user_middleware = [m for m in app.user_middleware if m.cls is not hot.HotOperations]
    return app


REQUESTS = [
    ("GET", "/fhir/r5/CodeSystem/$lookup", {"system": SCT, "code": KNEE}, None),
    ("GET", "/fhir/r4/CodeSystem/$lookup", {"system": SCT, "code": KNEE, "displayLanguage": "sv"}, None),
    ("GET", "/fhir/CodeSystem/$lookup", {"system": SCT, "code": "1"}, None),  # 404 not-found
    ("GET", "/fhir/r5/CodeSystem/$lookup", {"code": KNEE}, None),  # 400 missing system
    ("GET", "/fhir/r5/CodeSystem/$lookup", [("system", SCT), ("system", SCT), ("code", KNEE)], None),  # repeated
    ("GET", "/fhir/r5/CodeSystem/$validate-code", {"url": SCT, "code": KNEE, "display": "Knäprotes"}, None),
    ("GET", "/fhir/r4/CodeSystem/$validate-code", {"url": SCT, "code": KNEE, "display": "wrong"}, None),
    ("GET", "/fhir/r5/CodeSystem/$subsumes", {"system": SCT, "codeA": PROCEDURE, "codeB": KNEE}, None),
    ("GET", "/fhir/r5/CodeSystem/$subsumes", {"system": SCT, "codeA": PROCEDURE, "codeB": "x"}, None),
    ("GET", "/fhir/r5/ValueSet/$validate-code", {"url": f"{SCT}?fhir_vs=isa/{PROCEDURE}", "system": SCT,
                                                 "code": KNEE}, None),
    ("GET", "/fhir/r4/ValueSet/$validate-code", {"url": "http://example.org/none", "system": SCT, "code": KNEE},
     None),
    ("GET", "/fhir/r5/ValueSet/$expand", {"url": f"{SCT}?fhir_vs=isa/{PROCEDURE}", "filter": "knä", "count": "5"},
     None),
    ("GET", "/fhir/r5/ValueSet/$expand", {"url": f"{SCT}?fhir_vs=isa/{PROCEDURE}", "count": "-1"}, None),
    ("POST", "/fhir/r5/CodeSystem/$lookup", None,
     {"resourceType": "Parameters", "parameter": [{"name": "system", "valueUri": SCT},
                                                  {"name": "code", "valueCode": KNEE}]}),
    ("POST", "/fhir/r4/ValueSet/$validate-code", None,
     {"resourceType": "Parameters", "parameter": [
         {"name": "url", "valueUri": f"{SCT}?fhir_vs=isa/{PROCEDURE}"},
         {"name": "coding", "valueCoding": {"system": SCT, "code": KNEE, "display": "Knäprotes"}}]}),
    ("POST", "/fhir/r5/ValueSet/$expand", None, {"resourceType": "Bundle"}),  # 400 not a Parameters
]


def _send(client, method, path, query, body):
    if method == "GET":
        return client.get(path, params=query)
    return client.post(path, content=orjson.dumps(body), headers={"Content-Type": "application/fhir+json"})


def _stable(response) -> bytes:
    """The body without what differs between any two answers (an expansion's identifier and timestamp, the
    request id in an error's diagnostics)."""
    doc = orjson.loads(response.content)
    for issue in doc.get("issue", []) if doc.get("resourceType") == "OperationOutcome" else []:
        assert issue.pop("diagnostics").startswith("request id ")
    if doc.get("resourceType") == "ValueSet":
        doc["expansion"].pop("identifier", None)
        doc["expansion"].pop("timestamp", None)
    return orjson.dumps(doc)


def test_the_hot_path_answers_exactly_as_the_routes(mini_dbs, backend):
    db = mini_dbs(backend)
    with TestClient(_app(db)) as fast, TestClient(_app(db, hot_path=False)) as routed:
        for method, path, query, body in REQUESTS:
            a, b = _send(fast, method, path, query, body), _send(routed, method, path, query, body)
            assert (a.status_code, a.headers["content-type"]) == (b.status_code, b.headers["content-type"]), path
            assert _stable(a) == _stable(b), (method, path, query)
            assert a.headers["x-request-id"] and a.headers["x-content-type-options"] == "nosniff"
    statuses = set()
    with TestClient(_app(db)) as fast:
        statuses = {_send(fast, *r).status_code for r in REQUESTS}
    assert statuses == {200, 400, 404}  # the list covers answers and errors


def test_closed_reads_need_credentials_on_the_hot_path_too(mini_dbs):
    db = mini_dbs("sqlite")
    key = Accounts(db).add_key("hot-path-test", ("informatiker",), None)
    with TestClient(_app(db, open_terminology_reads=False)) as client:
        refused = client.get("/fhir/r5/CodeSystem/$lookup", params={"system": SCT, "code": KNEE})
        assert refused.status_code == 401
        assert refused.json()["issue"][0]["code"] == "login"
        assert "WWW-Authenticate" in refused.headers
        allowed = client.get("/fhir/r5/CodeSystem/$lookup", params={"system": SCT, "code": KNEE},
                             headers={"Authorization": f"ApiKey {key}"})
        assert allowed.status_code == 200


def test_metrics_label_hot_answers_by_their_route(mini_dbs):
    db = mini_dbs("sqlite")
    with TestClient(_app(db, metrics=True, metrics_public=True)) as client:
        client.get("/fhir/r5/CodeSystem/$subsumes", params={"system": SCT, "codeA": PROCEDURE, "codeB": KNEE})
        text = client.get("/metrics").text
    assert 'route="/fhir/r5/CodeSystem/$subsumes"' in text


def test_value_set_operations_move_to_the_event_loop_once_seen_fast(mini_dbs, monkeypatch):
    db = mini_dbs("sqlite")
    threads: list[str] = []
    original = hot.HOT_OPERATIONS["/ValueSet/$validate-code"]

    def recording(params, svc):
        threads.append(threading.current_thread().name)
        return original(params, svc)

    monkeypatch.setitem(hot.HOT_OPERATIONS, "/ValueSet/$validate-code", recording)
    query = {"url": f"{SCT}?fhir_vs=isa/{PROCEDURE}", "system": SCT, "code": KNEE}
    with TestClient(_app(db, answer_cache_mb=0)) as client:  # every request computed
        loop_thread = client.portal.call(lambda: threading.current_thread().name)
        monkeypatch.setattr(hot, "FAST_SECONDS", 10.0)
        for code in (KNEE, PROCEDURE, KNEE):  # the code is not part of the kind: from the second on, the loop
            assert client.get("/fhir/r5/ValueSet/$validate-code", params={**query, "code": code}).status_code == 200
        assert threads[0] != loop_thread and threads[1:] == [loop_thread, loop_thread]
        threads.clear()
        monkeypatch.setattr(hot, "FAST_SECONDS", 0.0)  # nothing is fast enough: back to the pool, and stays
        for _ in range(3):
            client.get("/fhir/r5/ValueSet/$validate-code", params=query)
        assert len(threads) == 3 and loop_thread not in threads


def test_a_value_set_in_the_body_is_never_answered_on_the_loop():
    from api.fhir.params import OpParams
    inline = OpParams(items=[("valueSet", {"resourceType": "ValueSet"}), ("code", "x")], operation="$validate-code")
    assert hot._kind(inline) is None
    expand = OpParams(items=[("valueSet", {"resourceType": "ValueSet"})], operation="$expand")
    assert hot._kind(expand) is None
    a = OpParams(items=[("url", "http://x/vs"), ("code", "1")], operation="$validate-code")
    b = OpParams(items=[("url", "http://x/vs"), ("code", "2")], operation="$validate-code")
    assert hot._kind(a) == hot._kind(b) is not None


def test_an_operations_reads_share_one_pooled_connection(mini_dbs, backend):
    db = mini_dbs(backend)
    svc = TerminologyService(db, refresh_seconds=0)
    from terminology.requests import LookupRequest
    request = LookupRequest(system=SCT, code=KNEE)
    svc.lookup(request)  # warm the caches, so both runs below read the same
    store = svc.edition().store
    checkouts = []
    listener = lambda *args: checkouts.append(1)  # noqa: E731
    event.listen(store.engine, "checkout", listener)
    try:
        store.parents(int(KNEE))
        store.children(int(KNEE))
        separate = len(checkouts)
        checkouts.clear()
        with one_connection():
            store.parents(int(KNEE))
            store.children(int(KNEE))
            with one_connection():  # nested: the outer block's connection
                store.parents(int(KNEE))
        assert (separate, len(checkouts)) == (2, 1)
        assert store.engine.pool.checkedout() == 0  # returned at the end of the block
    finally:
        event.remove(store.engine, "checkout", listener)


def test_a_failed_read_leaves_the_held_connection_usable(mini_dbs, backend):
    store = TerminologyService(mini_dbs(backend), refresh_seconds=0).edition().store
    with one_connection():
        with pytest.raises((sqlite3.OperationalError, psycopg.errors.UndefinedTable)):
            store._run("SELECT * FROM no_such_table", {})
        assert store.parents(int(KNEE))


def test_the_default_is_one_worker_per_core(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1, 2})
    assert default_workers() == 3 and Settings().workers == 3
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(32)))
    assert default_workers() == 8
    monkeypatch.setenv("VARDTERM_WORKERS", "1")
    assert Settings().workers == 1


def _hot(app) -> hot.HotOperations:
    layer = app.middleware_stack
    while not isinstance(layer, hot.HotOperations):
        layer = layer.app
    return layer


def test_snomed_answers_are_kept_until_the_terminology_changes(new_db):
    from scripts.loading import load_rf2

    from .conftest import MINI
    db = new_db("sqlite")
    load_rf2(db, [MINI])
    key = Accounts(db).add_key("hot-path-cache", ("informatiker",), None)
    lookup = {"system": SCT, "code": KNEE}
    with TestClient(_app(db)) as client:
        cache = _hot(client.app).cache
        first = client.get("/fhir/r5/CodeSystem/$lookup", params=lookup)
        again = client.get("/fhir/r5/CodeSystem/$lookup", params=lookup)
        assert (cache.misses, cache.hits) == (1, 1) and again.content == first.content
        assert again.headers["x-request-id"] != first.headers["x-request-id"]  # the edge still runs per request
        swedish = client.get("/fhir/r5/CodeSystem/$lookup", params=lookup, headers={"Accept-Language": "sv"})
        assert cache.misses == 2 and swedish.content != first.content
        client.get("/fhir/r4/CodeSystem/$lookup", params=lookup)  # another base, another answer
        client.get("/fhir/r5/CodeSystem/$lookup", params={"system": SCT, "code": "1"})  # 404: not kept
        client.get("/fhir/r5/CodeSystem/$lookup", params={"system": SCT, "code": "1"})
        assert (cache.misses, cache.hits, len(cache.answers)) == (5, 1, 3)
        stored = {"resourceType": "CodeSystem", "id": "cache-test", "url": "http://example.org/cs/cache-test",
                  "version": "1", "status": "active", "content": "complete",
                  "concept": [{"code": "a", "display": "A"}]}
        assert client.put("/fhir/r5/CodeSystem/cache-test", json=stored,
                          headers={"Authorization": f"ApiKey {key}"}).status_code in (200, 201)
        client.get("/fhir/r5/CodeSystem/$lookup", params=lookup)  # a new generation: computed again
        assert (cache.misses, cache.hits) == (6, 1)
        client.get("/fhir/r5/CodeSystem/$lookup", params={"system": "http://example.org/cs/cache-test",
                                                           "code": "a"})
        client.post("/fhir/r5/CodeSystem/$lookup", json={"resourceType": "Parameters", "parameter": [
            {"name": "system", "valueUri": SCT}, {"name": "code", "valueCode": KNEE}]})
        assert (cache.misses, cache.hits) == (6, 1)  # other code systems and POSTs are not looked up
        implicit = {"url": f"{SCT}?fhir_vs=isa/{PROCEDURE}", "system": SCT, "code": KNEE}
        for _ in range(2):
            assert client.get("/fhir/r5/ValueSet/$validate-code", params=implicit).json()["parameter"][0] == {
                "name": "result", "valueBoolean": True}
        assert (cache.misses, cache.hits) == (7, 2)  # an implicit SNOMED CT value set is kept
        client.get("/fhir/r5/ValueSet/$validate-code", params={**implicit, "url": "http://example.org/vs"})
        assert (cache.misses, cache.hits) == (7, 2)  # a stored one is not


def test_the_answer_cache_is_bounded_and_can_be_off(mini_dbs):
    db = mini_dbs("sqlite")
    with TestClient(_app(db, answer_cache_mb=0)) as client:
        client.get("/fhir/r5/CodeSystem/$lookup", params={"system": SCT, "code": KNEE})
        assert _hot(client.app).cache is None
    cache = hot.AnswerCache(16 * 1000)
    from starlette.responses import Response
    for i in range(40):
        cache.put((i,), Response(b"x" * 900))
    assert cache.size <= 16 * 1000 and len(cache.answers) == 17 and (0,) not in cache.answers
    cache.put(("big",), Response(b"x" * 1001))  # more than a sixteenth of the cache: not kept
    assert ("big",) not in cache.answers
