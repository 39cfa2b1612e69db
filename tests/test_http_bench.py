"""``vardterm bench --suite http``: a smoke run on the hand-made fixture (SQLite), and the answer checks it relies on.

The run needs the load generator wrk (Debian package ``wrk``; ``.ci/run`` installs it); without it the run is
skipped and only the checks are tested.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.http_bench import check

REPO = Path(__file__).resolve().parents[1]
VARDTERM = str(Path(sys.executable).parent / "vardterm")
TESTS = ["ceiling", "LK01", "LK05", "VC01", "VC02", "VC03", "EX01", "EX02", "EX03", "EX05", "EX08", "SS01", "CM01",
         "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="the load generator wrk is not installed (apt-get install wrk)")
def test_quick_run_on_the_fixture_has_every_test_without_errors(tmp_path):
    url = f"sqlite:///{tmp_path / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", url, "--log-level", "WARNING", "load", "rf2",
                    str(REPO / "tests" / "data" / "mini")], check=True, capture_output=True)
    done = subprocess.run([VARDTERM, "bench", "--suite", "http", "--database-url", url, "--quick", "--seconds", "1",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [report] = (tmp_path / "out").glob("bench-http-2*.json")
    doc = json.loads(report.read_text())
    assert [t["id"] for t in doc["tests"]] == TESTS
    assert doc["target"]["started"] and doc["clients"] == [1] and not doc["skipped"]
    for t in doc["tests"]:
        [run] = t["runs"]
        assert run["errors"] == 0 and run["transport_errors"] == 0, (t["id"], run["statuses"])
        assert t["preflight"]["checked"] > 0 and t["preflight"]["wrong"] == 0, (t["id"], t["preflight"]["examples"])
        if t["id"] in ("ceiling", "LK01", "VC01", "SS01", "a", "b", "d", "f"):  # slow ones may finish none in 1 s
            assert run["requests"] > 0 and run["rps"] > 0, t["id"]
    lk05 = next(t for t in doc["tests"] if t["id"] == "LK05")
    assert set(lk05["runs"][0]["statuses"]) == {"404"}  # the expected not-found answers are no errors
    assert "| LK01 " in done.stdout and "Ceiling (GET /health" in done.stdout
    # the same requests again, from the pools file the run wrote (before/after comparisons)
    pools = doc["pools"]
    assert json.loads(Path(pools).read_text())["stored_value_set"]["compose"]["include"][0]["filter"]


def test_answer_checks():
    ok = {"resourceType": "Parameters", "parameter": [{"name": "result", "valueBoolean": True}]}
    assert check({"status": 200, "result": True}, 200, ok) is None
    assert check({"status": 200, "result": False}, 200, ok) == "result True, expected False"
    assert check({"status": 404}, 404, {"resourceType": "OperationOutcome"}) is None
    assert check({"status": 404}, 200, ok) == "HTTP 200, expected 404"
    subsumes = {"resourceType": "Parameters", "parameter": [{"name": "outcome", "valueCode": "not-subsumed"}]}
    assert check({"status": 200, "outcome": ["not-subsumed", "subsumed-by"]}, 200, subsumes) is None
    assert check({"status": 200, "outcome": "subsumes"}, 200, subsumes) == "outcome not-subsumed, expected subsumes"
    expansion = {"resourceType": "ValueSet", "expansion": {"total": 3, "contains": [{"code": "1"}]}}
    assert check({"status": 200, "total": 3, "contains": 1}, 200, expansion) is None
    assert check({"status": 200, "total": 4}, 200, expansion) == "total 3, expected 4"
    assert check({"status": 200, "contains": 2}, 200, expansion) == "1 codes in the expansion, expected 2"
    assert check({"status": 200, "nonempty": True}, 200, {"expansion": {"total": 0}}) == \
        "empty expansion, expected codes"


def test_without_wrk_the_bench_says_how_to_install_it(monkeypatch, tmp_path):
    from scripts import http_bench

    monkeypatch.setattr(http_bench.shutil, "which", lambda name: None)
    with pytest.raises(http_bench.HttpBenchError, match="apt-get install wrk"):
        http_bench.run_http(http_bench.HttpBenchOptions(out=tmp_path))
