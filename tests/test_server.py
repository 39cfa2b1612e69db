"""The README's main job end to end: ``vardterm demo`` loads the demo data into a SQLite file and serves it
over HTTP on 127.0.0.1 (a real uvicorn process, not a test client)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

VARDTERM = str(Path(sys.executable).parent / "vardterm")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_the_demo_data(tmp_path):
    port = _free_port()
    db = f"sqlite:///{tmp_path / 'data' / 'vardterm.db'}"
    proc = subprocess.Popen([VARDTERM, "--database-url", db, "--log-level", "WARNING", "demo", "--port", str(port)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).json()["status"] == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the demo server did not start"
            time.sleep(0.1)
        r = httpx.get(f"{base}/fhir/r4/CodeSystem/$lookup", params={
            "system": "http://snomed.info/sct", "code": "609588000", "displayLanguage": "sv"})
        assert r.status_code == 200
        assert {"name": "display", "valueString": "Total knäledsplastik"} in r.json()["parameter"]
        r5 = httpx.get(f"{base}/fhir/r5/metadata").json()
        assert r5["fhirVersion"] == "5.0.0"
    finally:
        proc.terminate()
        proc.wait(10)
    # A second start reuses the database instead of loading again.
    again = subprocess.run([VARDTERM, "--database-url", db, "demo", "--no-serve"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "Loaded: http://snomed.info/sct/45991000052106/version/20251130" in again.stdout
    assert "Loaded the demo data" not in again.stdout + again.stderr
