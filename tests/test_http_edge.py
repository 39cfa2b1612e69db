"""Issue 15, the HTTP edge (``api/middleware.py``): the request body limit (413 before reading), credentials
checked before a write's body is parsed, security headers, forwarded headers believed only from configured
proxies, an unexpected failure answered as an OperationOutcome on a connection that stays open, and a bounded
graceful shutdown."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
import warnings

import pytest

from api import Settings, create_app
from terminology import Accounts, Database

from .serving import VARDTERM, free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def db(new_db, backend) -> Database:
    return new_db(backend)


def _app(db: Database, **settings):
    return create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0,
                               **settings))


def test_a_body_over_the_limit_is_refused_before_it_is_read(db):
    with TestClient(_app(db, max_request_body_mb=1)) as client:
        big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
        for path in ("/fhir/r4/CodeSystem", "/fhir/r4", "/fhir/r4/ValueSet/$expand", "/api/care/search"):
            r = client.post(path, content=big, headers={"Content-Type": "application/fhir+json"})
            assert r.status_code == 413, (path, r.text)
            issue = r.json()["issue"][0]
            assert issue["code"] == "too-long" and "1 MiB" in issue["details"]["text"]

        def streamed():  # no Content-Length: refused once the limit is passed while reading
            for _ in range(3):
                yield b" " * (600 * 1024)

        r = client.post("/fhir/r4/ValueSet/$expand", content=streamed(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        page = client.post("/app/uppladdning", files={"fil": ("avtal.csv", big, "text/csv")})
        assert page.status_code == 413 and "För stor fil" in page.text
        small = client.post("/fhir/r4/ValueSet/$expand", json={"resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": "http://snomed.info/sct?fhir_vs"}]})
        assert small.status_code != 413


def test_credentials_are_checked_before_a_write_body_is_parsed(db):
    reader = Accounts(db).add_key("reader", ("vardlots",), "05")
    with TestClient(_app(db)) as client:
        not_json = b"this is not JSON at all"
        for path in ("/fhir/r4/CodeSystem", "/fhir/r5/ValueSet/x", "/fhir/r4", "/fhir/r4/Contract",
                     "/api/care/search", "/fhir/r4/HealthcareService/$care-search"):
            if "search" in path:  # reads: anonymous is refused before parsing; a reader may search
                assert client.post(path, content=not_json).status_code == 401
                continue
            method = client.put if path.endswith("/x") else client.post
            anonymous = method(path, content=not_json)
            assert anonymous.status_code == 401, (path, anonymous.text)
            read_only = method(path, content=not_json, headers={"X-API-Key": reader})
            assert read_only.status_code == 403, (path, read_only.text)


def test_security_headers_on_every_answer(db):
    key = Accounts(db).add_key("lots", ("vardlots",), "05")
    with TestClient(_app(db)) as client:
        for path in ("/fhir/r4/metadata", "/app/login", "/fhir/r4/nothing-here", "/docs", "/api/care/search"):
            r = client.get(path, headers={"X-API-Key": key})
            csp = r.headers["content-security-policy"]
            assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, path
            assert "script-src 'self'" in csp
            assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert "strict-transport-security" not in r.headers  # plain http
        assert "no-store" not in client.get("/fhir/r4/metadata").headers.get("cache-control", "")
        assert client.get("/app/login").headers["cache-control"] == "no-store"
        care = client.get("/fhir/r4/HealthcareService/$care-search", params={"text": "x"}, headers={"X-API-Key": key})
        assert care.headers["cache-control"] == "no-store"
        assert client.get("/api/care/history", headers={"X-API-Key": key}).headers["cache-control"] == "no-store"
        docs = client.get("/docs").text
        assert "<script>" not in docs and "/app/static/docs.js" in docs
        assert client.get("/app/static/docs.js").status_code == 200


def test_pages_have_no_inline_script_or_style():
    from pathlib import Path

    import re
    templates = Path(__file__).resolve().parents[1] / "api" / "web" / "templates"
    for page in templates.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), page.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), page.name


def test_forwarded_headers_only_from_trusted_proxies(db):
    """The session cookie is Secure and HSTS is sent only when a trusted proxy says the request came over https."""
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    with TestClient(_app(db), client=("198.51.100.7", 5000)) as client:
        r = client.get("/app/login", headers=https)
        assert "secure" not in r.headers["set-cookie"].lower() and "strict-transport-security" not in r.headers
    with TestClient(_app(db, trusted_proxies="198.51.100.0/24"), client=("198.51.100.7", 5000)) as client:
        r = client.get("/app/login", headers=https)
        assert "secure" in r.headers["set-cookie"].lower()
        assert r.headers["strict-transport-security"].startswith("max-age=")
    with TestClient(_app(db, trusted_proxies="10.0.0.1"), client=("198.51.100.7", 5000)) as client:
        assert "secure" not in client.get("/app/login", headers=https).headers["set-cookie"].lower()


@pytest.fixture
def live_app(new_db):
    """The app served by uvicorn in a thread on a free port, with a route that fails unexpectedly."""
    import uvicorn

    app = _app(new_db("sqlite"))

    @app.get("/fhir/r4/failing")
    def failing():
        raise RuntimeError("a bug")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(10)


def test_an_unexpected_failure_is_an_outcome_and_the_connection_stays_open(live_app):
    conn = http.client.HTTPConnection("127.0.0.1", live_app, timeout=10)
    conn.request("GET", "/fhir/r4/failing")
    r = conn.getresponse()
    body = r.read()
    assert r.status == 500 and b'"OperationOutcome"' in body and b"a bug" not in body
    assert r.getheader("connection") != "close"
    sock = conn.sock
    conn.request("GET", "/fhir/r4/metadata")
    again = conn.getresponse()
    assert again.status == 200 and again.read()
    assert conn.sock is sock  # the same keep-alive connection
    conn.close()


def test_sigterm_gives_running_requests_a_bounded_time(tmp_path):
    db = f"sqlite:///{tmp_path / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", db, "init"], check=True, capture_output=True, timeout=60)
    env = {**os.environ, "VARDTERM_SHUTDOWN_TIMEOUT_SECONDS": "1"}
    port = free_port()
    proc = subprocess.Popen([VARDTERM, "--database-url", db, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        # A request whose body never finishes: it keeps running until the server gives up on it.
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"POST /fhir/r4/ValueSet/$expand HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"resourceType\"")
        time.sleep(0.5)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        assert time.monotonic() - stopped < 10
        output = proc.stdout.read()
        assert "timeout graceful shutdown exceeded" in output and "database connections closed" in output, output
        slow.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
