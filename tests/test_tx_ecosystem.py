"""CI gate: the HL7 terminology ecosystem test suite (../shared/tx-ecosystem) against a real server.

Starts ``vardterm serve`` on a fresh SQLite database on 127.0.0.1, runs the HL7 runner
(../shared/tools/txtest/run.py) over the whole default suite against ``/fhir/r5`` and ``/fhir/r4``, and fails
when any test does not pass on either: the runner's verdict is the test's verdict.
"""

from __future__ import annotations

import subprocess

import pytest

from scripts.resource_bench import SHARED, hl7_suite_present, run_hl7_suite

from .serving import VARDTERM, vardterm_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not hl7_suite_present():
        pytest.skip(f"the HL7 tx-ecosystem suite or its runner is not at {SHARED}")
    tmp = tmp_path_factory.mktemp("tx")
    db = f"sqlite:///{tmp / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", db, "init"], check=True, capture_output=True, timeout=60)
    with vardterm_server(["--database-url", db, "--log-level", "warning", "serve"], cwd=tmp,
                         log=tmp / "server.log") as base:
        yield base, tmp


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_every_hl7_terminology_test_passes(server, version):
    base, tmp = server
    results = run_hl7_suite(f"{base}/fhir/{version}", tmp / f"tx-{version}.json")
    summary = results["summary"]
    not_passed = [f"{s['name']}/{t['name']}: {t['status']} {t.get('message', '')}"[:300]
                  for s in results["suites"] for t in s.get("tests", []) if t["status"] not in ("pass", "skipped")]
    assert summary["run"] > 500 and summary["passed"] == summary["run"], (
        f"{summary['passed']} passed of {summary['run']}:\n" + "\n".join(not_passed))
