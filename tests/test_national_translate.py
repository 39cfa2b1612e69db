"""``ConceptMap/$translate`` with the example maps (SNOMED CT care services <-> KVÅ, ICD-10-SE -> care services)
and with SNOMED CT map and association refsets as implicit maps (``?fhir_cm=``) of the mini fixture, on both
engines and both wire versions."""

from __future__ import annotations

import warnings

import pytest

from scripts import national as pipeline

SCT = "http://snomed.info/sct"
KVA = "urn:oid:1.2.752.116.1.3.2.1.4"
ICD = "urn:oid:1.2.752.116.1.1.1.1.3"
ICD_MAP = "99900121000052102"
"""The mini fixture's simple map refset to ICD-10-SE (tests/data/mini/README.md)."""
SAME_AS, POSSIBLY_EQUIVALENT_TO = "900000000000527005", "900000000000523009"
SE_EDITION = "http://snomed.info/sct/45991000052106/version/20251130"


def _matches(body: dict) -> tuple[bool, list[dict]]:
    result = next(p["valueBoolean"] for p in body["parameter"] if p["name"] == "result")
    matches = [{q["name"]: next(v for k, v in q.items() if k.startswith("value")) for q in p["part"]}
               for p in body["parameter"] if p["name"] == "match"]
    return result, matches


def _translate(client, base: str, **params) -> tuple[bool, list[dict]]:
    r = client.get(f"{base}/ConceptMap/$translate", params=params)
    assert r.status_code == 200, r.text
    return _matches(r.json())


# --- the example maps -----------------------------------------------------------------------------------


@pytest.fixture
def maps_server(empty_server):
    pipeline.load_demo_national(empty_server.app.state.service.db)
    return empty_server


def test_care_service_to_kva_forward_and_reverse(maps_server):
    ok, matches = _translate(maps_server, "/fhir/r5", sourceSystem=SCT, sourceCode="609588000", targetSystem=KVA)
    assert ok and [(m["concept"]["code"], m["relationship"]) for m in matches] == [
        ("NGB29", "source-is-broader-than-target"), ("NGB39", "source-is-broader-than-target"),
        ("NGB49", "source-is-broader-than-target")]
    assert matches[2]["concept"] == {"system": KVA, "code": "NGB49", "version": "2021",
                                     "display": "Primär totalprotes i knäled med cement"}
    assert matches[0]["originMap"] == "https://vardterm.example/fhir/ConceptMap/sct-care-services-to-kva|0.1.0"
    ok, matches = _translate(maps_server, "/fhir/r5", targetCode="NGB49", targetSystem=KVA)
    assert ok and {m["source"]["code"] for m in matches} == {"609588000", "179344006"}
    assert {m["relationship"] for m in matches if m["source"]["code"] == "179344006"} == {"equivalent"}


def test_r4_names_and_equivalences(maps_server):
    ok, matches = _translate(maps_server, "/fhir/r4", system=SCT, code="99900021000052101", targetsystem=KVA)
    assert ok and [(m["concept"]["code"], m["equivalence"]) for m in matches] == [("KEC01", "wider"),
                                                                                  ("ZXC96", "relatedto")]
    ok, matches = _translate(maps_server, "/fhir/r4", system=SCT, code="241641004")
    assert ok and matches[0]["concept"]["code"] == "AN042" and matches[0]["equivalence"] == "equivalent"


def test_diagnoses_to_care_services(maps_server):
    ok, matches = _translate(maps_server, "/fhir/r5", sourceSystem=ICD, sourceCode="C189")
    assert ok and [(m["concept"]["code"], m["relationship"]) for m in matches] == [
        ("73761001", "related-to"), ("23968004", "related-to")]
    ok, matches = _translate(maps_server, "/fhir/r5", sourceSystem=ICD, sourceCode="E113F")
    assert ok and matches[0]["concept"]["display"] == "Kataraktoperation"
    ok, matches = _translate(maps_server, "/fhir/r5", targetCode="110473004", targetSystem=SCT, sourceSystem=ICD)
    assert ok and {m["source"]["code"] for m in matches} >= {"H250", "H269", "E103F"}
    ok, _ = _translate(maps_server, "/fhir/r5", sourceSystem=ICD, sourceCode="I219")
    assert not ok


# --- SNOMED CT refsets as implicit maps (the mini fixture) ------------------------------------------------


@pytest.fixture
def mini_server(mini_dbs, backend):
    from api import Settings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    db = mini_dbs(backend)
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0,
                              snomed_map_targets={ICD_MAP: ICD}))
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_map_refset_forward(mini_server, base):
    url = f"{SCT}?fhir_cm={ICD_MAP}"
    ok, matches = _translate(mini_server, base, url=url, sourceSystem=SCT, sourceCode="363406005")
    assert ok and len(matches) == 1
    assert matches[0]["concept"] == {"system": ICD, "code": "C189"}  # C18.9 in the refset, C189 in ICD-10-SE
    assert matches[0]["relationship"] == "equivalent" and matches[0]["originMap"] == url
    if base.endswith("r4"):
        assert matches[0]["equivalence"] == "equivalent"
    ok, matches = _translate(mini_server, base, url=url, sourceSystem=SCT, sourceCode="73761001")
    assert not ok and matches == []


def test_map_refset_reverse_finds_both_spellings(mini_server):
    url = f"{SCT}?fhir_cm={ICD_MAP}"
    for code in ("C189", "C18.9"):
        ok, matches = _translate(mini_server, "/fhir/r5", url=url, targetCode=code, targetSystem=ICD)
        assert ok and [m["source"]["code"] for m in matches] == ["363406005"], code
        assert matches[0]["source"]["version"] == SE_EDITION
    ok, matches = _translate(mini_server, "/fhir/r4", url=url, system=ICD, code="C187", reverse="true")
    assert ok and matches[0]["source"]["code"] == "363410008"


def test_map_refsets_are_used_without_url_when_the_target_system_is_known(mini_server):
    ok, matches = _translate(mini_server, "/fhir/r5", sourceSystem=SCT, sourceCode="239873007", targetSystem=ICD)
    assert ok and matches[0]["concept"]["code"] == "M179"
    assert matches[0]["originMap"] == f"{SCT}?fhir_cm={ICD_MAP}"
    ok, matches = _translate(mini_server, "/fhir/r5", targetCode="F900", targetSystem=ICD)
    assert ok and matches[0]["source"]["code"] == "406506008"
    ok, matches = _translate(mini_server, "/fhir/r5", sourceSystem=SCT, sourceCode="239873007")
    assert not ok


def test_historical_associations(mini_server):
    ok, matches = _translate(mini_server, "/fhir/r4", url=f"{SCT}?fhir_cm={SAME_AS}", system=SCT,
                             code="99900001006")
    assert ok and matches[0]["concept"]["code"] == "110473004" and matches[0]["equivalence"] == "equivalent"
    assert matches[0]["concept"]["system"] == SCT and matches[0]["concept"]["display"]
    ok, matches = _translate(mini_server, "/fhir/r5", url=f"{SCT}?fhir_cm={POSSIBLY_EQUIVALENT_TO}",
                             sourceSystem=SCT, sourceCode="99900003009")
    assert ok and sorted(m["concept"]["code"] for m in matches) == ["19063003", "609588000"]
    assert {m["relationship"] for m in matches} == {"related-to"}
    ok, matches = _translate(mini_server, "/fhir/r5", url=f"{SCT}?fhir_cm={SAME_AS}", targetCode="110473004",
                             targetSystem=SCT)
    assert ok and matches[0]["source"]["code"] == "99900001006"


def test_edition_urls_and_unknown_maps(mini_server):
    ok, _ = _translate(mini_server, "/fhir/r5", url=f"{SE_EDITION}?fhir_cm={ICD_MAP}", sourceSystem=SCT,
                       sourceCode="398022005")
    assert ok
    for url, status in ((f"{SCT}?fhir_cm=99900111000052105", 404),  # a simple refset, not a map
                        (f"{SCT}?fhir_cm=12345", 404),
                        (f"{SCT}/45991000052106/version/20990101?fhir_cm={ICD_MAP}", 404)):
        r = mini_server.get("/fhir/r5/ConceptMap/$translate", params={"url": url, "sourceSystem": SCT,
                                                                      "sourceCode": "363406005"})
        assert r.status_code == status and r.json()["resourceType"] == "OperationOutcome", url


def test_a_map_whose_target_system_is_not_configured(mini_dbs, backend):
    from api import Settings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    db = mini_dbs(backend)
    with TestClient(create_app(Settings(database_url=db.url.render_as_string(hide_password=False)))) as client:
        params = {"url": f"{SCT}?fhir_cm={ICD_MAP}", "sourceSystem": SCT, "sourceCode": "363406005"}
        r = client.get("/fhir/r5/ConceptMap/$translate", params=params)
        assert r.status_code == 400 and "name it with targetSystem" in r.text
        ok, matches = _translate(client, "/fhir/r5", targetSystem=ICD, **params)
        assert ok and matches[0]["concept"]["code"] == "C189"


def test_service_reads_map_members(mini_service):
    entries = mini_service.map_refset_targets(ICD_MAP, "363406005")
    assert [(e.kind, e.source_code, e.target, e.correlation_id) for e in entries] == [
        ("map", "363406005", "C18.9", None)]
    assert entries[0].source_display and entries[0].version == SE_EDITION
    assert [e.source_code for e in mini_service.map_refset_targets(ICD_MAP, ["C61"], reverse=True)] == ["399068003"]
    same_as = mini_service.map_refset_targets(SAME_AS, "99900001006")
    assert [(e.kind, e.target) for e in same_as] == [("association", "110473004")] and same_as[0].target_display
