"""The ECL evaluator against the synthetic generator's brute-force truth (``truth/ecl_cases.jsonl``,
synthetic-rf2.md §6.7 item 3) at CI scale, on SQLite and PostgreSQL.

The generator computes every expected result from its own tables with an oracle that never calls
``terminology.ecl`` (``scripts/synth/ecl_oracle.py``); "intl" is the International V2 snapshot and "se" the
merged International V2 + Swedish extension V2 edition. The release is generated the way
``tests/synth/conftest.py`` does (scale ci, extension, two versions; Full files are not needed here).
"""

from __future__ import annotations

import json

import pytest

from scripts.loading import load_rf2
from scripts.synth import SynthParams, generate
from terminology import EclLimits, TerminologyService, ecl, snomed


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth-ecl")
    result = generate(root, SynthParams(scale="ci", extension=True, versions=2, full=False))
    path = result.truth_dir / "ecl_cases.jsonl"
    if not path.exists():
        pytest.skip("this generator writes no truth/ecl_cases.jsonl")
    cases = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    packages = {(p.kind, p.version): p.path for p in result.packages}
    sources = {"intl": [packages[("intl", "20250701")]],
               "se": [packages[("intl", "20250701")], packages[("se", "20251130")]]}
    return cases, sources


@pytest.fixture(scope="module")
def editions(release, request):
    """One database per backend holding both editions' stores, loaded on first use."""
    loaded: dict[str, dict] = {}

    def get(backend: str, new_db):
        if backend not in loaded:
            stores = {}
            for name, sources in release[1].items():
                db = new_db(backend)
                load_rf2(db, sources)
                stores[name] = TerminologyService(db, refresh_seconds=0).edition().store
            loaded[backend] = stores
        return loaded[backend]

    return get


def test_every_synthetic_case_gives_the_brute_force_answer(release, editions, new_db, backend):
    cases, _ = release
    assert len(cases) > 100
    assert {c["section"] for c in cases} >= {f"6.{i}" for i in range(1, 13)}
    wrong = _differences(cases, editions(backend, new_db))
    assert not wrong, f"{len(wrong)} of {len(cases)} cases differ:\n" + "\n".join(wrong)


def _differences(cases, stores) -> list[str]:
    wrong = []
    for case in cases:
        store = stores[case["edition"]]
        found = ecl.evaluate(store, case["ecl"], limits=EclLimits(time_budget_ms=30_000))
        ids = sorted(r[0] for r in store.page(found, refsets=[snomed.US_ENGLISH]))
        if ids != case["expected"]:
            missing = sorted(set(case["expected"]) - set(ids))
            extra = sorted(set(ids) - set(case["expected"]))
            wrong.append(f"{case['name']} ({case['section']}) {case['ecl']!r}: missing {missing[:5]}, "
                         f"extra {extra[:5]}")
    return wrong


@pytest.mark.parametrize("plan", ["drive", "probe"])
def test_both_sides_of_every_refinement_and_filter_give_the_same_answer(release, editions, new_db, backend,
                                                                        monkeypatch, plan):
    """The evaluator starts a refinement or filter from whichever side it estimates cheaper; forced to
    always start from the condition's rows (drive) or always test the focus members (probe), every case
    still gives the brute-force answer."""
    from terminology.ecl import compiler

    if plan == "drive":
        monkeypatch.setattr(compiler, "_FAN_IN", 0)
        monkeypatch.setattr(compiler, "_DRIVE_ABOVE", -1)
    else:
        monkeypatch.setattr(compiler, "_FAN_IN", compiler._HUGE)
        monkeypatch.setattr(compiler, "_DRIVE_ABOVE", compiler._HUGE * 100)
    cases, _ = release
    stores = editions(backend, new_db)
    sql = ecl.evaluate(stores["intl"], "<< 404684003 : * = << 123037004").sql
    assert ("destination_id IN (SELECT" in sql) == (plan == "drive")  # the plan is really forced
    wrong = _differences(cases, stores)
    assert not wrong, f"{len(wrong)} of {len(cases)} cases differ with plan {plan}:\n" + "\n".join(wrong)
