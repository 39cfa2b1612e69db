"""The README's main job end to end: ``vardterm demo`` loads the demo data into a SQLite file and serves it
over HTTP on 127.0.0.1 (a real uvicorn process, not a test client)."""

from __future__ import annotations

import subprocess

import httpx

from .serving import VARDTERM, vardterm_server


def test_demo_serves_the_demo_data(tmp_path):
    db = f"sqlite:///{tmp_path / 'data' / 'vardterm.db'}"
    with vardterm_server(["--database-url", db, "--log-level", "WARNING", "demo"], cwd=tmp_path) as base:
        assert httpx.get(f"{base}/health").json()["status"] == "ok"  # the demo data is loaded before serving
        r = httpx.get(f"{base}/fhir/r4/CodeSystem/$lookup", params={
            "system": "http://snomed.info/sct", "code": "609588000", "displayLanguage": "sv"})
        assert r.status_code == 200
        assert {"name": "display", "valueString": "Total knäledsplastik"} in r.json()["parameter"]
        r5 = httpx.get(f"{base}/fhir/r5/metadata").json()
        assert r5["fhirVersion"] == "5.0.0"
    # A second start reuses the database instead of loading again.
    again = subprocess.run([VARDTERM, "--database-url", db, "demo", "--no-serve"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "Loaded: http://snomed.info/sct/45991000052106/version/20251130" in again.stdout
    assert "Loaded the demo data" not in again.stdout + again.stderr
