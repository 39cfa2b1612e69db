"""CI gate: the HL7 terminology ecosystem test suite (../shared/tx-ecosystem) against a real server.

Starts ``vardterm serve`` on a fresh SQLite database on 127.0.0.1, runs the HL7 runner
(../shared/tools/txtest/run.py) against ``/fhir/r5`` and ``/fhir/r4``, and fails when a test listed in
``tests/tx_passing.txt`` (one ``suite/test`` per line) does not pass on both. Tests not listed may fail: the
list only grows, so a pass cannot silently regress while the remaining tests are worked on.

Refresh the list after making more tests pass (it is rewritten with every test passing on both versions):

    VARDTERM_TX_UPDATE=1 .venv/bin/python -m pytest tests/test_tx_ecosystem.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .serving import VARDTERM, vardterm_server

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SUITE = SHARED / "tx-ecosystem" / "tests"
RUNNER = SHARED / "tools" / "txtest" / "run.py"
ALLOW_LIST = REPO / "tests" / "tx_passing.txt"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not (SUITE / "test-cases.json").is_file() or not RUNNER.is_file():
        pytest.skip(f"the HL7 tx-ecosystem suite or its runner is not at {SHARED}")
    tmp = tmp_path_factory.mktemp("tx")
    db = f"sqlite:///{tmp / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", db, "init"], check=True, capture_output=True, timeout=60)
    with vardterm_server(["--database-url", db, "--log-level", "warning", "serve"], cwd=tmp,
                         log=tmp / "server.log") as base:
        yield base, tmp


def _run_suite(base: str, version: str, out: Path) -> dict[str, str]:
    """Run the whole default suite against one wire version; ``suite/test`` -> status."""
    report = out / f"tx-{version}.json"
    done = subprocess.run([sys.executable, str(RUNNER), "--suite-dir", str(SUITE), "--base-url",
                           f"{base}/fhir/{version}", "--json-out", str(report)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and report.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(report.read_text("utf-8"))
    return {f"{t['suite']}/{t['name']}": t["status"] for s in results["suites"] for t in s.get("tests", [])}


def test_listed_hl7_terminology_tests_pass_on_r5_and_r4(server):
    base, tmp = server
    r5 = _run_suite(base, "r5", tmp)
    r4 = _run_suite(base, "r4", tmp)
    passing = sorted(name for name, status in r5.items() if status == "pass" and r4.get(name) == "pass")
    if os.environ.get("VARDTERM_TX_UPDATE"):
        ALLOW_LIST.write_text("".join(f"{name}\n" for name in passing), "utf-8")
    listed = [line.strip() for line in ALLOW_LIST.read_text("utf-8").splitlines()
              if line.strip() and not line.startswith("#")]
    broken = [f"{name} (r5: {r5.get(name, 'not run')}, r4: {r4.get(name, 'not run')})" for name in listed
              if r5.get(name) != "pass" or r4.get(name) != "pass"]
    assert not broken, f"{len(broken)} listed tests no longer pass:\n" + "\n".join(broken)
