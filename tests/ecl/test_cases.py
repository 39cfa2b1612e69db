"""ECL cases named after the sections of the ECL specification (``tests/cases/ecl/<section>_<topic>.yaml``),
evaluated over the hand-made fixture on SQLite and PostgreSQL.

Each case has ``ecl`` and either ``expected`` (concept ids, any order), ``count: active`` (every active
concept) or ``error`` (the name of the domain error class).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import terminology
from terminology import ecl

CASES = Path(__file__).resolve().parents[1] / "cases" / "ecl"


def _cases():
    for path in sorted(CASES.glob("*.yaml"), key=lambda p: [int(x) for x in p.name.split("_")[0].split(".")]):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for case in doc["cases"]:
            yield pytest.param(case, id=f"{doc['section']}: {case['name']}")


def test_every_spec_section_has_a_case_file():
    sections = {p.name.split("_")[0] for p in CASES.glob("*.yaml")}
    assert sections >= {f"6.{i}" for i in range(1, 13)}


@pytest.mark.parametrize("case", list(_cases()))
def test_case(case, mini_service):
    store = mini_service.edition().store
    if "error" in case:
        with pytest.raises(getattr(terminology, case["error"])):
            store.count(ecl.evaluate(store, case["ecl"]))
        return
    found = sorted(r[0] for r in store.page(ecl.evaluate(store, case["ecl"]), refsets=[terminology.snomed.US_ENGLISH]))
    if case.get("count") == "active":
        assert len(found) == store.count(ecl.evaluate(store, "* {{ C active = 1 }}")) > 250
        return
    assert found == sorted(case["expected"]), case["ecl"]
