"""The synthetic directory generator: deterministic, realistic identifiers, real geography, and the demo size
answers the example questions."""

from __future__ import annotations

import datetime as dt

import pytest

from mappings.care import CareSearchRequest, codes, geo
from mappings.care import model as m
from mappings.care.generate import generate, to_bundle
from scripts.care_cli import GENERATOR

TODAY = dt.date(2025, 10, 1)


def test_same_seed_same_directory_and_another_seed_another():
    a, b = generate("demo", seed=7, today=TODAY), generate("demo", seed=7, today=TODAY)
    assert a == b and to_bundle(a.records) == to_bundle(b.records)
    assert generate("demo", seed=8, today=TODAY).records != a.records


def test_realistic_identifiers_and_geography():
    g = generate("demo", today=TODAY)
    regions = [r for r in g.records if isinstance(r, m.Organization) and r.kind == "region"]
    assert sorted(r.county for r in regions) == sorted(geo.counties()) and len(regions) == 21
    assert {r.name for r in regions} == set(geo.REGION_NAMES.values())
    for r in g.records:
        if isinstance(r, m.Organization):
            assert r.orgnr is None or codes.orgnr_problem(r.orgnr) is None
            assert r.hsa_id is None or codes.hsa_problem(r.hsa_id) is None
        if isinstance(r, m.Location):
            assert geo.municipalities()[r.municipality].county == r.county
    waits = [r for r in g.records if isinstance(r, m.WaitingTime)]
    ages = [(TODAY - dt.date.fromisoformat(w.reported)).days for w in waits]
    assert any(a <= 42 for a in ages) and any(a > 42 for a in ages)
    counts = g.counts()
    assert 300 <= counts["HealthcareService"] <= 800 and counts["Observation"] > 5


def test_demo_directory_answers_the_example_questions(new_db):
    from mappings.care import CareDirectory
    from scripts.care_cli import load_concept_maps
    from scripts.loading import load_rf2
    from terminology import ResourceRepository, TerminologyService

    from ..conftest import MINI

    db = new_db("sqlite")
    load_rf2(db, [MINI])
    directory = CareDirectory(db, TerminologyService(db, refresh_seconds=0), maps=ResourceRepository(db),
                              refresh_seconds=0)
    g = generate("demo", today=TODAY)
    directory.write_records(g.records, by=GENERATOR)
    load_concept_maps(db, g.concept_maps)
    questions = [dict(text="kataraktoperation", sort="wait"), dict(text="höftledsplastik", age=78, sex="female"),
                 dict(text="knäprotes"), dict(text="prostatektomi"), dict(text="koloskopi"),
                 dict(text="neuropsykiatrisk utredning"), dict(text="operation för framfall"),
                 dict(text="MR knä", capacity_from="2025-10-01", capacity_to="2025-10-31"),
                 dict(code="C18", system=codes.ICD10SE, match_types=("mapped",)), dict(code="179342005")]
    for q in questions:
        answered = [directory.search(CareSearchRequest(region=county, date=TODAY.isoformat(), **q), by=GENERATOR).total
                    for county in ("05", "01", "12")]
        assert sum(answered) > 0, q


@pytest.mark.slow
def test_care_50k_size():
    g = generate("care-50k", today=TODAY)
    counts = g.counts()
    assert 45_000 <= counts["HealthcareService"] <= 60_000, counts
    assert 9_000 <= counts["Contract"] <= 11_000, counts
    units = sum(1 for r in g.records if isinstance(r, m.Organization) and r.kind == "unit")
    assert 5_000 <= units <= 7_000
