"""The ten example questions of care-search.md, answered from the hand-made directory by the rules of
"Precise rules" (search date 2025-10-01, searching region Östergötland, 05)."""

from __future__ import annotations

from mappings.care import CareSearchRequest, codes
from terminology import COMMAND_LINE

from ..care_fixture import DATE


def ask(directory, **kw):
    kw.setdefault("region", "05")
    kw.setdefault("date", DATE)
    return directory.search(CareSearchRequest(**kw), by=COMMAND_LINE)


def ids(hits):
    return [h.service.record.id for h in hits]


def test_q1_cataract_shortest_wait_first(directory):
    """1. Kataraktoperation, kortast väntetid först: exact + narrower, fresh waits ascending, stale/missing last."""
    r = ask(directory, text="kataraktoperation", sort="wait")
    assert [c.concept.code for c in r.resolution.used] == ["110473004"]
    assert ids(r.hits) == ["s-cat", "s-cat-left", "s-cat-phaco"] or ids(r.hits) == ["s-cat", "s-cat-phaco", "s-cat-left"]
    first = r.hits[0]
    assert first.wait.status == "fresh" and first.wait.days == 30 and first.wait.reported == "2025-09-20"
    assert first.wait.source == "Väntetider i vården"
    stale = next(h for h in r.hits if h.service.record.id == "s-cat-phaco")
    assert stale.wait.status == "stale" and "Uppgift saknas" in stale.wait.label
    assert next(h for h in r.hits if h.service.record.id == "s-cat-left").wait.status == "missing"
    assert first.match.type == "exact" and [c.code for c in first.match.path] == ["110473004"]
    phaco = stale.match
    assert phaco.type == "narrower" and [c.code for c in phaco.path][0] == "110473004" \
        and phaco.path[-1].code == "415089008"
    assert first.agreement.record.id == "ct-eye" and first.provider.record.name == "Ögonkliniken Syd AB"
    assert first.unit.record.hsa_id.startswith("SE") and first.commission.record.id == "oa-eye"


def test_q1_expired_future_and_other_region_agreements_are_not_hits(directory):
    r = ask(directory, text="kataraktoperation", include_excluded=True)
    reasons = {h.service.record.id: h.reasons for h in r.excluded}
    assert reasons["s-cat-expired"] == ("agreement-expired", "commission-expired") or \
        reasons["s-cat-expired"] == ("agreement-expired",)
    assert reasons["s-cat-future"] == ("agreement-not-started",)
    assert reasons["s-cat-sthlm"] == ("other-region", "confidential")
    sthlm = next(h for h in r.excluded if h.service.record.id == "s-cat-sthlm")
    assert sthlm.agreement is None and sthlm.commission is None and sthlm.agreement_withheld


def test_q2_primary_hip_for_78_year_old_woman_asa3(directory):
    """2. Primär total höftledsplastik, kvinna 78 år, ASA 3: the ASA 1-2 service is excluded with the reason."""
    r = ask(directory, text="primär total höftledsplastik", age=78, sex="female", asa=3, include_excluded=True,
            match_types=("exact", "narrower", "broader"))
    assert r.resolution.used[0].concept.code == "99900041000052105"
    assert "s-thr-asa2" in ids(r.excluded)
    asa2 = next(h for h in r.excluded if h.service.record.id == "s-thr-asa2")
    assert asa2.reasons == ("asa",)
    verdicts = {v.criterion: v.verdict for v in asa2.eligibility}
    assert verdicts == {"age": "met", "sex": "not-stated", "asa": "not-met"}
    broader = next(h for h in r.hits if h.service.record.id == "s-thr-asa3")
    assert broader.match.type == "broader"
    assert [c.code for c in broader.match.path] == ["99900041000052105", "52734007"]
    assert {v.criterion: v.verdict for v in broader.eligibility}["asa"] == "met"


def test_q3_knee_prosthesis_free_text_offers_primary_and_revision(directory):
    """3. "knäprotes" resolves to total knee replacement and offers the primary and revision alternatives."""
    r = ask(directory, text="knäprotes")
    assert r.resolution.used[0].concept.code == "609588000"
    assert r.resolution.used[0].term == "Knäprotes" and r.resolution.used[0].how == "exact"
    alternatives = {c.concept.code for c in r.resolution.alternatives}
    assert {"179344006", "99900031000052104"} <= alternatives
    assert r.resolution.ambiguous
    assert set(ids(r.hits)) == {"s-tkr", "s-tkr-primary", "s-tkr-revision"}


def test_q4_prostatectomy_and_below_then_narrower_query_with_broader(directory):
    """4. prostatektomi -> the concept and below; the robot-assisted query adds broader agreements, marked."""
    r = ask(directory, text="prostatektomi", sex="male")
    assert set(ids(r.hits)) == {"s-prostatectomy", "s-ralp"}
    ralp = next(h for h in r.hits if h.service.record.id == "s-ralp")
    assert ralp.match.type == "narrower"
    assert [c.code for c in ralp.match.path] == ["90470006", "26294005", "99900011000052109", "99900021000052101"]
    r = ask(directory, code="99900021000052101", match_types=("exact", "narrower", "broader"), sort="match")
    assert [(h.service.record.id, h.match.type) for h in r.hits] == [("s-ralp", "exact"), ("s-prostatectomy", "broader")]
    assert [c.code for c in r.hits[1].match.path] == ["99900021000052101", "99900011000052109", "26294005", "90470006"]
    r = ask(directory, code="99900021000052101")
    assert ids(r.hits) == ["s-ralp"]


def test_q5_colonoscopy_within_100_km_of_linkoping(directory):
    """5. Koloskopi, fysiskt besök, inom 100 km från Linköping, kvinna 45 år: distance shown, places
    without coordinates listed apart."""
    r = ask(directory, text="koloskopi", meeting_form="physical", near=(58.4108, 15.6214), distance_km=100,
            sex="female", age=45, include_excluded=True, sort="distance")
    assert ids(r.hits) == ["s-col-motala"]
    assert 30 < r.hits[0].distance_km < 40
    excluded = {h.service.record.id: h for h in r.excluded}
    assert excluded["s-col-kiruna"].reasons == ("distance",) and excluded["s-col-kiruna"].distance_km > 900
    assert excluded["s-col-ydre"].reasons == ("distance",) and excluded["s-col-ydre"].distance_km is None
    postal = ask(directory, text="koloskopi", postal_code="582 24", distance_km=100)
    assert ids(postal.hits) == ["s-col-motala"]


def test_q6_neuropsychiatric_assessment_for_a_10_year_old_online(directory):
    """6. Neuropsykiatrisk utredning för 10-åring, digitalt möte: age, meeting form, referral condition."""
    r = ask(directory, text="neuropsykiatrisk utredning", age=10, meeting_form="virtual", include_excluded=True)
    assert ids(r.hits) == ["s-npf-child"]
    hit = r.hits[0]
    assert hit.service.record.referral == "region"
    assert {v.criterion: v.verdict for v in hit.eligibility} == {"age": "met"}
    excluded = {h.service.record.id: h.reasons for h in r.excluded}
    assert excluded == {"s-npf-adult": ("age",), "s-npf-physical": ("meeting-form",)}


def test_q7_prolapse_max_90_days_stale_and_missing_listed_apart(directory):
    """7. Operation för framfall, max 90 dagars väntetid: stale or missing waits listed apart, not dropped."""
    r = ask(directory, text="operation för framfall", max_wait_days=90, include_excluded=True)
    assert ids(r.hits) == ["s-prolapse-fresh"]
    excluded = {h.service.record.id: h for h in r.excluded}
    assert set(excluded) == {"s-prolapse-stale", "s-prolapse-missing", "s-prolapse-long"}
    assert all(h.reasons == ("wait",) for h in excluded.values())
    assert excluded["s-prolapse-stale"].wait.status == "stale"
    assert excluded["s-prolapse-missing"].wait.status == "missing"
    without = ask(directory, text="operation för framfall", sort="wait")
    assert ids(without.hits)[:2] == ["s-prolapse-fresh", "s-prolapse-long"]
    assert {h.wait.status for h in without.hits[2:]} == {"stale", "missing"}


def test_q8_free_capacity_for_knee_mri_in_two_weeks(directory):
    """8. Ledig kapacitet för MR knä de närmaste två veckorna: overlapping periods, touching counts."""
    r = ask(directory, text="MR knä", capacity_from="2025-10-01", capacity_to="2025-10-15", include_excluded=True)
    assert set(ids(r.hits)) == {"s-mri-soon", "s-mri-touch"}
    assert [x.volume for x in next(h for h in r.hits if h.service.record.id == "s-mri-soon").capacity] == [5]
    assert {h.service.record.id: h.reasons for h in r.excluded} == {"s-mri-later": ("no-capacity",)}


def test_q9_colon_cancer_icd10_via_concept_map(directory):
    """9. Misstänkt tjocktarmscancer (C18): ICD-10-SE -> services through a ConceptMap, the map named."""
    r = ask(directory, code="C18", system=codes.ICD10SE, match_types=("mapped",))
    found = {h.service.record.id: h for h in r.hits}
    assert {"s-col-motala", "s-colectomy", "s-col-ydre"} <= set(found)
    assert found["s-colectomy"].match.type == "mapped"
    assert found["s-colectomy"].match.map.startswith("http://example.org/fhir/ConceptMap/test-care-pathways")
    assert [c.code for c in found["s-col-ydre"].match.path] == ["C18", "73761001", "444783004"]
    assert ask(directory, code="C18", system=codes.ICD10SE).total == 0  # never broadened silently


def test_q9_snomed_to_kva_via_concept_map(directory):
    r = ask(directory, code="73761001", match_types=("exact", "mapped"))
    kva = next(h for h in r.hits if h.service.record.id == "s-col-kva")
    assert kva.match.type == "mapped" and kva.match.path[-1].code == "UJF32"
    assert kva.wait.status == "fresh" and kva.wait.days == 25  # reported by activity code (unit x KVÅ)


def test_q10_valid_orthopaedic_agreements_and_those_ending_within_90_days(directory):
    """10. Giltiga ortopediavtal per 2025-10-01 och vilka som löper ut inom 90 dagar."""
    r = ask(directory, code="179342005", match_types=("exact", "narrower"), include_excluded=True)
    assert {"s-tkr", "s-arthroscopy"} <= set(ids(r.hits))
    ending = {h.service.record.id for h in r.hits if h.expires_within_90_days}
    assert ending == {"s-arthroscopy"}
    assert {h.service.record.id: h.reasons for h in r.excluded}["s-expired-service"] == ("service-expired",)


def test_ecl_selects_the_service_concepts(directory):
    """ECL (evaluated by the terminology service): every selected concept's services are exact hits."""
    r = ask(directory, ecl="<< 90470006 OR << 179342005", sex="male")
    assert r.resolution.how == "ecl" and r.resolution.ecl_members >= 10
    assert {"s-prostatectomy", "s-ralp", "s-tkr", "s-arthroscopy"} <= set(ids(r.hits))
    assert {h.match.type for h in r.hits} == {"exact"}
