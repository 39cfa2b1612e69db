"""Running it in production, in process: health and readiness, request ids, metrics, JSON logs, read-only
nodes and a read replica (README "Drift"). Several real processes on one database: ``test_nodes.py``."""

from __future__ import annotations

import io
import json
import logging
import re
import warnings

import pytest
from sqlalchemy import create_engine, text

import terminology as t
from api import Settings, create_app, logs
from terminology import Database

from .conftest import MINI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LOOKUP = "/fhir/r4/CodeSystem/$lookup?system=http://snomed.info/sct&code=609588000"
VALUE_SET = {"resourceType": "ValueSet", "url": "http://example.org/vs/knees", "status": "active",
             "compose": {"include": [{"system": "http://snomed.info/sct", "concept": [{"code": "609588000"}]}]}}


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def _client(db_or_url, **settings) -> TestClient:
    url = db_or_url if isinstance(db_or_url, str) else _url(db_or_url)
    return TestClient(create_app(Settings(database_url=url, catalog_refresh_seconds=0, **settings)))


# --- health -----------------------------------------------------------------------------------------------

def test_live_and_ready_on_a_loaded_database(mini_dbs, backend):
    with _client(mini_dbs(backend)) as client:
        assert client.get("/health/live").json() == {"status": "live"}
        r = client.get("/health/ready")
        assert r.status_code == 200, r.text
        checks = r.json()["checks"]
        assert checks["database"]["ok"] and checks["schema"]["revision"] == t.SCHEMA_REVISION
        assert checks["editions"]["loaded"] == ["http://snomed.info/sct/45991000052106/version/20251130"]
        assert client.get("/health").json()["status"] == "ok"


def test_not_ready_without_an_edition_or_without_the_default_one(new_db, mini_dbs):
    db = new_db("sqlite")
    with _client(db) as client:
        r = client.get("/health/ready")
        assert r.status_code == 503 and r.json()["checks"]["editions"]["problem"] == "no SNOMED CT edition is loaded"
        assert client.get("/health/live").status_code == 200
    with _client(db, ready_needs_edition=False) as client:
        assert client.get("/health/ready").status_code == 200
    with _client(mini_dbs("sqlite"), default_snomed_edition="900000000000207008") as client:
        r = client.get("/health/ready")
        assert r.status_code == 503 and "900000000000207008" in r.json()["checks"]["editions"]["problem"]


def test_not_ready_when_the_schema_falls_behind_or_the_database_goes_away(new_db):
    db = new_db("sqlite")
    with _client(db, ready_needs_edition=False) as client:
        assert client.get("/health/ready").status_code == 200
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
        r = client.get("/health/ready")
        assert r.status_code == 503 and r.json()["checks"]["schema"] == {
            "ok": False, "revision": "0000_older", "needed": t.SCHEMA_REVISION}
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(text("DROP TABLE build_info"))
        r = client.get("/health/ready")
        assert r.status_code == 503 and not r.json()["checks"]["database"]["ok"]
        assert client.get("/health/live").status_code == 200


# --- request ids ------------------------------------------------------------------------------------------

def test_request_ids_are_made_kept_when_sane_and_named_in_error_outcomes(mini_dbs):
    with _client(mini_dbs("sqlite")) as client:
        made = client.get(LOOKUP).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)
        assert client.get(LOOKUP, headers={"X-Request-ID": "lb-7f3a:42"}).headers["x-request-id"] == "lb-7f3a:42"
        bad = client.get(LOOKUP, headers={"X-Request-ID": "two words\" <script>"}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", bad)
        r = client.get("/fhir/r4/CodeSystem/$lookup?system=http://snomed.info/sct&code=1234",
                       headers={"X-Request-ID": "abc-123"})
        assert r.status_code in (400, 404) and r.headers["x-request-id"] == "abc-123"
        assert r.json()["issue"][0]["diagnostics"] == "request id abc-123"
        missing = client.get("/fhir/r4/NoSuchThing", headers={"X-Request-ID": "abc-124"})
        assert missing.json()["issue"][0]["diagnostics"] == "request id abc-124"


def test_an_unexpected_failure_carries_the_request_id(mini_dbs, monkeypatch):
    app = create_app(Settings(database_url=_url(mini_dbs("sqlite")), catalog_refresh_seconds=0))

    def broken(_req):
        raise RuntimeError("boom")

    class Seen(logging.Handler):
        ids: list = []

        def emit(self, record):
            self.ids.append((record.getMessage(), logs.REQUEST_ID.get()))

    monkeypatch.setattr(app.state.service, "lookup", broken)
    seen = Seen()
    logging.getLogger("api.errors").addHandler(seen)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.get(LOOKUP, headers={"X-Request-ID": "fail-1"})
    finally:
        logging.getLogger("api.errors").removeHandler(seen)
    assert r.status_code == 500 and r.headers["x-request-id"] == "fail-1"
    assert r.json()["issue"][0]["diagnostics"] == "request id fail-1"
    assert ("unexpected failure on GET /fhir/r4/CodeSystem/$lookup", "fail-1") in seen.ids


# --- logs -------------------------------------------------------------------------------------------------

def test_json_access_log_has_one_line_per_request_without_secrets(mini_dbs):
    db = mini_dbs("sqlite")
    key = t.Accounts(db).add_key("logtest", ("vardlots",), "05")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    access = logging.getLogger("vardterm.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        with _client(db, access_log=True) as client:
            client.get(LOOKUP + "&displayLanguage=sv", headers={"X-API-Key": key, "X-Request-ID": "json-1"})
            client.put("/fhir/r4/ValueSet/knees", json=VALUE_SET, headers={"Authorization": "ApiKey " + key})
    finally:
        access.removeHandler(handler)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["request_id"] == "json-1" and first["route"] == "/fhir/r4/CodeSystem/$lookup"
    assert first["status"] == 200 and first["method"] == "GET" and first["duration_ms"] > 0
    assert first["user"] == "key:logtest" and first["region"] == "05" and first["channel"] == "api"
    assert first["time"].endswith("+00:00") and first["level"] == "INFO"
    assert lines[1]["status"] == 403 and lines[1]["route"] == "/fhir/r4/ValueSet/{id}"
    text_ = out.getvalue()
    assert key.split(".")[1] not in text_ and "displayLanguage" not in text_ and "609588000" not in text_


def test_the_json_formatter_writes_the_request_id_and_tracebacks():
    record = logging.LogRecord("vardterm.x", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    token = logs.REQUEST_ID.set("r-1")
    try:
        try:
            raise ValueError("inner")
        except ValueError:
            import sys
            record.exc_info = sys.exc_info()
        line = json.loads(logs.JsonFormatter().format(record))
    finally:
        logs.REQUEST_ID.reset(token)
    assert line["message"] == "failed here" and line["request_id"] == "r-1" and "ValueError: inner" in line["exception"]


# --- metrics ----------------------------------------------------------------------------------------------

def _count(body: str, route: str, status: str = "200") -> float:
    pattern = (r'vardterm_http_request_duration_seconds_count\{method="GET",route="' + re.escape(route)
               + r'",status="' + status + r'"\} (\S+)')
    found = re.search(pattern, body)
    return float(found.group(1)) if found else 0.0


def test_metrics_need_credentials_unless_public_and_count_requests(mini_dbs):
    db = mini_dbs("sqlite")
    key = t.Accounts(db).add_key("prometheus", ("vardlots",), None)
    with _client(db) as client:
        assert client.get("/metrics").status_code == 401
        before = _count(client.get("/metrics", headers={"X-API-Key": key}).text, "/fhir/r4/CodeSystem/$lookup")
        for _ in range(3):
            client.get(LOOKUP)
        client.get("/fhir/r4/CodeSystem/$lookup?system=http://snomed.info/sct&code=1234")
        for _ in range(2):  # a paged expansion counts its members once per version: a miss, then a hit
            client.get("/fhir/r4/ValueSet/$expand?url=http://snomed.info/sct?fhir_vs=isa/71388002&count=1")
        body = client.get("/metrics", headers={"X-API-Key": key}).text
    assert _count(body, "/fhir/r4/CodeSystem/$lookup") == before + 3
    assert re.search(r'vardterm_db_connections\{pool="catalog",state="open"\} [1-9]', body)
    assert re.search(r'vardterm_terminology_version_loaded\{system="http://snomed.info/sct",version="http://snomed'
                     r'.info/sct/45991000052106/version/20251130"\} 1.0', body)
    assert re.search(r'vardterm_cache_lookups_total\{cache="concept_set_counts",result="hit"\} [1-9]', body)
    assert re.search(r'vardterm_cache_entries\{cache="concept_set_counts"\} [1-9]', body)
    with _client(db, metrics_public=True) as client:
        assert "vardterm_http_request_duration_seconds" in client.get("/metrics").text
    with _client(db, metrics=False) as client:
        assert client.get("/metrics").status_code == 404


# --- read-only nodes --------------------------------------------------------------------------------------

def test_a_read_only_node_refuses_every_write_and_names_the_writer(mini_dbs, backend):
    db = mini_dbs(backend)
    key = t.Accounts(db).add_key(f"ro-{backend}", ("admin",), None)
    writer = "https://tx-writer.example.se"
    with _client(db, read_only=True, writer_url=writer, ready_needs_edition=True) as client:
        headers = {"X-API-Key": key}
        for method, path, body in (
                ("PUT", "/fhir/r4/ValueSet/knees", VALUE_SET), ("POST", "/fhir/r5/ValueSet", VALUE_SET),
                ("DELETE", "/fhir/r4/CodeSystem/x", None), ("POST", "/fhir/r4", {"resourceType": "Bundle"}),
                ("PUT", "/fhir/r4/Contract/ct-1", {"resourceType": "Contract"}),
                ("POST", "/fhir/r4/Organization", {"resourceType": "Organization"})):
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 405, (method, path, r.text)
            assert r.headers["allow"] == "GET, HEAD"
            issue = r.json()["issue"][0]
            assert issue["code"] == "not-supported" and writer in issue["details"]["text"]
        page = client.post("/app/avtal/ny", data={"csrf": "x"})
        assert page.status_code == 405 and "Skrivskyddad server" in page.text and writer in page.text
        # reads, and operations sent with POST, still work
        assert client.get(LOOKUP).status_code == 200
        expanded = client.post("/fhir/r4/ValueSet/$expand", json={"resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": "http://snomed.info/sct?fhir_vs=isa/71388002"}]})
        assert expanded.status_code == 200
        assert client.get("/health/ready").status_code == 200


def test_a_write_past_the_guard_is_refused_by_the_read_only_database(mini_dbs, backend):
    db = Database(_url(mini_dbs(backend)), read_only=True)
    try:
        with pytest.raises(t.ReadOnlyNode):
            t.Accounts(db).add_key("sneaky", ("admin",), None)
        with pytest.raises(t.ReadOnlyNode):
            t.ResourceRepository(db).create(VALUE_SET, by=t.COMMAND_LINE)
        assert db.versions()  # reading is fine
    finally:
        db.dispose()


def test_the_command_line_of_a_read_only_node_does_not_load(tmp_path, mini_dbs):
    from click.testing import CliRunner

    from scripts.cli import main
    result = CliRunner(env={"VARDTERM_READ_ONLY": "true", "VARDTERM_WRITER_URL": "https://w.example"}).invoke(
        main, ["--database-url", _url(mini_dbs("sqlite")), "load", "rf2", str(MINI)])
    assert result.exit_code == 1 and "read-only" in result.output and "https://w.example" in result.output
    upgrade = CliRunner(env={"VARDTERM_READ_ONLY": "true"}).invoke(
        main, ["--database-url", _url(mini_dbs("sqlite")), "db", "upgrade"])
    assert upgrade.exit_code == 1 and "read-only" in upgrade.output


def test_reads_go_to_the_replica(pg_databases):
    """The "replica" is a copy of the primary (CREATE DATABASE ... TEMPLATE) with a SNOMED CT edition loaded
    into it alone, so whatever a node answers about SNOMED CT shows where it read."""
    from scripts.loading import load_rf2

    primary_url = pg_databases.new_url()
    primary = Database(primary_url)
    primary.initialise()
    primary.dispose()
    replica_name = f"{primary_url.rsplit('/', 1)[1]}_replica"
    admin = create_engine(pg_databases.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{replica_name}" TEMPLATE "{primary_url.rsplit("/", 1)[1]}"'))
    pg_databases.created.append(replica_name)
    admin.dispose()
    replica_url = primary_url.rsplit("/", 1)[0] + "/" + replica_name
    loader = Database(replica_url)
    load_rf2(loader, [MINI])
    loader.dispose()
    key = t.Accounts(Database(primary_url)).add_key("writer", ("informatiker",), None)

    with _client(primary_url, read_database_url=replica_url) as writer:
        assert writer.get(LOOKUP).status_code == 200  # SNOMED CT: from the replica
        assert writer.put("/fhir/r4/ValueSet/knees", json=VALUE_SET, headers={"X-API-Key": key}).status_code == 201
        assert writer.get("/fhir/r4/ValueSet/knees").status_code == 200  # its own write: from the primary
    with Database(replica_url).engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fhir_resource")).scalar() == 0
    with _client(primary_url, read_only=True, read_database_url=replica_url) as reader:
        assert reader.get(LOOKUP).status_code == 200
        assert reader.get("/fhir/r4/ValueSet/knees").status_code == 404  # everything from the replica
        assert reader.put("/fhir/r4/ValueSet/knees", json=VALUE_SET).status_code == 405


# --- a reload keeps the replaced copy until the other nodes switched ------------------------------------------

def test_a_replaced_copy_is_dropped_only_after_the_retire_time(new_db):
    import threading
    import time

    from scripts.loading import load_rf2

    db = new_db("sqlite")
    first = load_rf2(db, [MINI])
    started = time.monotonic()
    done = threading.Thread(target=load_rf2, args=(db, [MINI]), kwargs={"retire_after": 3})
    done.start()
    while not any(v.key != first.key for v in db.versions()):
        assert time.monotonic() - started < 60
        time.sleep(0.05)
    assert db.storage_exists(first.storage)  # published, but the old copy is still there for the others
    done.join()
    assert not db.storage_exists(first.storage)
    assert [v.version for v in db.versions()] == [first.version]
