"""The synthetic directory generator: deterministic, realistic identifiers, real geography, and the demo size
answers the example questions."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

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
    assert 300 <= counts["HealthcareService"] <= 1_000 and counts["Observation"] > 5


def vardlots_questions(day: dt.date, county: str) -> dict[str, dict]:
    """The questions a vårdlots asks first (issue 16; care-search.md "Example questions"), as asked on ``day``
    in region ``county``: the distance question from a postal code of the län's biggest town."""
    town = max((mu for mu in geo.municipalities().values() if mu.county == county and mu.lat is not None),
               key=lambda mu: (sum(1 for _, k in geo.postal_codes().values() if k == mu.code), mu.code))
    postal = min(code for code, (_, k) in geo.postal_codes().items() if k == town.code)
    return {
        "kataraktoperation, kortast väntetid": dict(text="kataraktoperation", sort="wait"),
        "primär total höftledsplastik, 78 år, ASA 3": dict(text="primär total höftledsplastik", age=78,
                                                            sex="female", asa=3, include_excluded=True),
        "knäprotes": dict(text="knäprotes"),
        "koloskopi inom 100 km": dict(text="koloskopi", meeting_form="physical", postal_code=postal,
                                      distance_km=100, sex="female", age=45, sort="distance"),
        "C18 via ConceptMap": dict(code="C18", system=codes.ICD10SE, match_types=("mapped",)),
        "MR knä, kapacitet två veckor": dict(text="MR knä", capacity_from=day.isoformat(),
                                             capacity_to=(day + dt.timedelta(days=14)).isoformat()),
        "prostatektomi": dict(text="prostatektomi"),
        "NPF-utredning, 10 år, digitalt": dict(text="neuropsykiatrisk utredning", age=10, meeting_form="virtual"),
        "framfall, högst 90 dagar": dict(text="operation för framfall", max_wait_days=90),
    }


@pytest.mark.parametrize("day", [dt.date(2024, 2, 29), dt.date.today()], ids=["2024-02-29", "today"])
def test_every_region_gets_answers_to_the_vardlots_questions_on_the_day_it_is_made(new_db, day):
    """Issue 16: whatever day the demo directory is made, each of the 21 regions finds hits for each question
    (current own-region agreements, units with positions in the län, fresh waits, capacity ahead), and the
    hip question shows a provider limited to ASA 1-2 excluded with the reason."""
    from mappings.care import CareDirectory
    from scripts.care_cli import load_concept_maps
    from scripts.loading import load_rf2
    from terminology import ResourceRepository, TerminologyService

    from ..conftest import MINI

    db = new_db("sqlite")
    load_rf2(db, [MINI])
    directory = CareDirectory(db, TerminologyService(db, refresh_seconds=0), maps=ResourceRepository(db),
                              refresh_seconds=0)
    g = generate("demo", today=day)
    directory.write_records(g.records, by=GENERATOR)
    load_concept_maps(db, g.concept_maps)
    unanswered = []
    for county in sorted(geo.REGION_NAMES):
        for question, q in vardlots_questions(day, county).items():
            r = directory.search(CareSearchRequest(region=county, date=day.isoformat(), **q), by=GENERATOR)
            if not r.total or (q.get("asa") and not any("asa" in h.reasons for h in r.excluded)):
                unanswered.append((county, question))
    assert unanswered == []


def test_a_unit_is_named_after_the_town_it_is_in():
    """Issue 16: no "Klarhav Endoskopicenter Vadstena" placed in Åtvidaberg."""
    g = generate("demo", today=TODAY)
    places = {r.unit: r for r in g.records if isinstance(r, m.Location)}
    units = [r for r in g.records if isinstance(r, m.Organization) and r.kind == "unit"]
    assert units and all(places[u.id].city and places[u.id].city in u.name for u in units), \
        [(u.name, places[u.id].city) for u in units if places[u.id].city not in u.name][:5]
    towns = {mu.short for mu in geo.municipalities().values()} | {x for x, _ in geo.postal_codes().values()}
    assert all(places[u.id].city.upper() in {x.upper() for x in towns} for u in units)
    assert len({u.name for u in units}) == len(units)


@pytest.mark.slow
def test_care_50k_size():
    g = generate("care-50k", today=TODAY)
    counts = g.counts()
    assert 45_000 <= counts["HealthcareService"] <= 60_000, counts
    assert 9_000 <= counts["Contract"] <= 11_000, counts
    units = sum(1 for r in g.records if isinstance(r, m.Organization) and r.kind == "unit")
    assert 5_000 <= units <= 7_000


def test_the_demo_directory_is_made_again_for_the_day_the_demo_starts(new_db, tmp_path):
    """Issue 16: a demo directory made months ago answers today's questions once ``vardterm demo`` starts
    again: the generator's records move to today, a record a user changed keeps the user's version."""
    from api.settings import Settings
    from mappings.care import CareDirectory
    from scripts.care_cli import ensure_demo_directory, load_generated
    from scripts.loading import load_rf2
    from terminology import ROLES, Principal, ResourceRepository, TerminologyService

    from ..conftest import MINI

    db = new_db("sqlite")
    load_rf2(db, [MINI])
    directory = CareDirectory(db, TerminologyService(db, refresh_seconds=0), maps=ResourceRepository(db),
                              refresh_seconds=0)
    today, then = dt.date.today(), dt.date.today() - dt.timedelta(days=400)
    load_generated(directory, "demo", today=then)
    user = Principal("anna", frozenset(ROLES), None, "web")
    kept = directory.read("Contract", "ct-00001", by=user).record
    directory.write_records([replace(kept, title="Ändrad av Anna")], by=user)
    before = {q: directory.search(CareSearchRequest(region="05", date=today.isoformat(), **kw), by=user).total
              for q, kw in vardlots_questions(today, "05").items()}
    assert 0 in before.values()  # made 400 days ago: agreements ended, waits stale, capacity gone

    ensure_demo_directory(Settings(database_url=str(db.url)), today=today)
    after = {q: directory.search(CareSearchRequest(region="05", date=today.isoformat(), **kw), by=user).total
             for q, kw in vardlots_questions(today, "05").items()}
    assert 0 not in after.values(), after
    assert directory.read("Contract", "ct-00001", by=user).record.title == "Ändrad av Anna"
    events = len(directory.store.events(limit=100_000))
    ensure_demo_directory(Settings(database_url=str(db.url)), today=today)  # the same day: nothing to do
    assert len(directory.store.events(limit=100_000)) == events
