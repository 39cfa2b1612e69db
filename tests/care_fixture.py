"""A small hand-made care directory for exact tests of the care-search rules (care-search.md), as one FHIR
(R5) transaction Bundle, plus two ConceptMaps.

Search date 2025-10-01. Region Östergötland (05) is the searching region; Region Stockholm (01) has one
confidential agreement. Places are in real kommuner with their real positions; Ydre (0512) has none.
Every service id says what it is for; the tests refer to them by id.
"""

from __future__ import annotations

from mappings.care import codes as c

DATE = "2025-10-01"
ICD = c.ICD10SE


def orgnr(nine: str) -> str:
    return c.make_orgnr(nine)


def _ref(rtype: str, id_: str) -> dict:
    return {"reference": f"{rtype}/{id_}"}


def region(county: str, name: str, nine: str) -> dict:
    return {"resourceType": "Organization", "id": f"region-{county}", "name": name,
            "identifier": [{"system": c.ORGNR_SYSTEM, "value": orgnr(nine)}],
            "type": [{"coding": [{"system": c.ORG_KIND_SYSTEM, "code": "region"}]}],
            "extension": [{"url": f"{c.NS}/StructureDefinition/county",
                           "valueCoding": {"system": c.COUNTY_SYSTEM, "code": county}}]}


def provider(id_: str, name: str, nine: str) -> dict:
    return {"resourceType": "Organization", "id": id_, "name": name,
            "identifier": [{"system": c.ORGNR_SYSTEM, "value": orgnr(nine)}],
            "type": [{"coding": [{"system": c.ORG_KIND_SYSTEM, "code": "provider"}]}]}


def unit(id_: str, name: str, provider_id: str, nine: str, suffix: str, activity: str = "1324") -> dict:
    digits = orgnr(nine).replace("-", "")
    return {"resourceType": "Organization", "id": id_, "name": name,
            "identifier": [{"system": c.HSA_SYSTEM, "value": f"SE{digits}-{suffix}"}],
            "type": [{"coding": [{"system": c.ORG_KIND_SYSTEM, "code": "unit"}]},
                     {"coding": [{"system": c.VERKSAMHETSKOD, "code": activity}]}],
            "partOf": _ref("Organization", provider_id)}


def place(id_: str, unit_id: str, municipality: str, lat: float | None, lon: float | None) -> dict:
    out = {"resourceType": "Location", "id": id_, "name": f"Mottagning {id_}", "managingOrganization":
           _ref("Organization", unit_id),
           "address": {"line": ["Storgatan 1"], "extension": [
               {"url": f"{c.NS}/StructureDefinition/municipality",
                "valueCoding": {"system": c.MUNICIPALITY_SYSTEM, "code": municipality}}]}}
    if lat is not None:
        out["position"] = {"latitude": lat, "longitude": lon}
    return out


def service(id_: str, unit_id: str, code: str, name: str, *, system: str = c.SNOMED, age=None, sex=None,
            asa=None, bmi=None, forms=("physical",), referral=None, valid=None) -> dict:
    elig = []
    if age:
        rng = {}
        if age[0] is not None:
            rng["low"] = {"value": age[0], "unit": "a"}
        if age[1] is not None:
            rng["high"] = {"value": age[1], "unit": "a"}
        elig.append({"code": {"coding": [{"system": c.SNOMED, "code": "424144002"}]}, "valueRange": rng})
    if sex:
        elig.append({"code": {"coding": [{"system": c.SNOMED, "code": "184100006"}]},
                     "valueCodeableConcept": {"coding": [{"system": c.GENDER_SYSTEM, "code": sex}]}})
    if asa:
        elig.append({"code": {"coding": [{"system": c.SNOMED, "code": "302132005"}]}, "valueRange": {"high": {"value": asa}}})
    if bmi:
        elig.append({"code": {"coding": [{"system": c.SNOMED, "code": "60621009"}]}, "valueRange": {"high": {"value": bmi}}})
    if referral:
        elig.append({"code": {"coding": [{"system": f"{c.NS}/CodeSystem/care-condition", "code": "referral"}]},
                     "valueCodeableConcept": {"coding": [{"system": c.REFERRAL_SYSTEM, "code": referral}]}})
    elig = [{"extension": [{"url": f"{c.NS}/StructureDefinition/eligibility-value",
                            **{k: v for k, v in e.items() if k.startswith("value")}}],
             **{k: v for k, v in e.items() if not k.startswith("value")}} for e in elig]
    out = {"resourceType": "HealthcareService", "id": id_, "name": name, "providedBy": _ref("Organization", unit_id),
           "type": [{"coding": [{"system": system, "code": code}]}],
           "characteristic": [{"coding": [{"system": c.MEETING_FORM_SYSTEM, "code": f}]} for f in forms]}
    if elig:
        out["eligibility"] = elig
    if valid:
        out["extension"] = [{"url": f"{c.NS}/StructureDefinition/validity-period",
                             "valuePeriod": {k: v for k, v in zip(("start", "end"), valid) if v}}]
    return out


def commission(id_: str, region_id: str, provider_id: str, services: list[str], start=None, end=None) -> dict:
    out = {"resourceType": "OrganizationAffiliation", "id": id_, "organization": _ref("Organization", region_id),
           "participatingOrganization": _ref("Organization", provider_id),
           "healthcareService": [_ref("HealthcareService", s) for s in services]}
    if start or end:
        out["period"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    return out


def agreement(id_: str, region_id: str, commissions: list[str], start: str, end: str | None, *,
              confidential: bool = False, status: str = "executed") -> dict:
    out = {"resourceType": "Contract", "id": id_, "identifier": [{"system": c.AGREEMENT_ID_SYSTEM, "value": id_.upper()}],
           "status": status, "applies": {k: v for k, v in (("start", start), ("end", end)) if v},
           "authority": [_ref("Organization", region_id)],
           "subject": [_ref("OrganizationAffiliation", x) for x in commissions],
           "title": f"Avtal {id_}", "term": [{"offer": {"text": "Avtal för test"}}],
           "extension": [{"url": f"{c.NS}/StructureDefinition/contact", "valueString": "avtal@region.example"}]}
    if confidential:
        out["meta"] = {"security": [{"system": c.CONFIDENTIALITY_SYSTEM, "code": "R"}]}
    return out


def wait(id_: str, unit_id: str, days: float, reported: str, *, service_id: str | None = None,
         activity: tuple[str, str] | None = None, measure: str = "current-estimate") -> dict:
    ext = [{"url": f"{c.NS}/StructureDefinition/source", "valueString": "Väntetider i vården"}]
    if service_id:
        ext.append({"url": f"{c.NS}/StructureDefinition/healthcare-service",
                    "valueReference": _ref("HealthcareService", service_id)})
    if activity:
        ext.append({"url": f"{c.NS}/StructureDefinition/activity",
                    "valueCodeableConcept": {"coding": [{"system": activity[0], "code": activity[1]}]}})
    return {"resourceType": "MeasureReport", "id": id_, "extension": ext, "status": "complete", "type": "summary",
            "measure": f"{c.NS}/Measure/waiting-time", "date": reported, "reporter": _ref("Organization", unit_id),
            "period": {"start": reported[:8] + "01", "end": reported},
            "group": [{"code": {"coding": [{"system": c.MEASURE_SYSTEM, "code": measure}]},
                       "measureScoreQuantity": {"value": days, "unit": "d"}}]}


def capacity(id_: str, unit_id: str, service_id: str, start: str, end: str, volume: int) -> dict:
    return {"resourceType": "Observation", "id": id_, "status": "final",
            "code": {"coding": [{"system": c.CAPACITY_CODE[0], "code": c.CAPACITY_CODE[1]}]},
            "focus": [_ref("HealthcareService", service_id)], "performer": [_ref("Organization", unit_id)],
            "effectivePeriod": {"start": start, "end": end}, "issued": "2025-09-30T08:00:00+02:00",
            "valueQuantity": {"value": volume, "unit": "st"}}


def resources() -> list[dict]:
    out = [region("05", "Region Östergötland", "232100004"), region("01", "Region Stockholm", "232100001"),
           region("06", "Region Jönköpings län", "232100006")]
    providers = [("prov-eye", "Ögonkliniken Syd AB", "559000001"), ("prov-ortho", "Ortopedkliniken Öst AB", "559000002"),
                 ("prov-endo", "Koloskopicentret AB", "559000003"), ("prov-uro", "Urologi Väst AB", "559000004"),
                 ("prov-npf", "NPF-centret AB", "559000005"), ("prov-gyn", "Gynekologi Öst AB", "559000006"),
                 ("prov-mri", "Röntgen Linköping AB", "559000007")]
    nine = {p: n for p, _, n in providers}
    out += [provider(*p) for p in providers]
    units = [("u-eye", "Ögonmottagningen Linköping", "prov-eye", "0580", 58.4108, 15.6214, "1335"),
             ("u-ortho", "Ortopeden Norrköping", "prov-ortho", "0581", 58.5877, 16.1924, "1324"),
             ("u-endo-motala", "Endoskopi Motala", "prov-endo", "0583", 58.5371, 15.0365, "1130"),
             ("u-endo-kiruna", "Endoskopi Kiruna", "prov-endo", "2584", 67.8557, 20.2253, "1130"),
             ("u-endo-ydre", "Endoskopi Ydre", "prov-endo", "0512", None, None, "1130"),
             ("u-uro", "Urologen Jönköping", "prov-uro", "0680", 57.7826, 14.1618, "1332"),
             ("u-npf", "NPF Stockholm", "prov-npf", "0180", 59.3293, 18.0686, "1020"),
             ("u-gyn", "Gynekologen Linköping", "prov-gyn", "0580", 58.4108, 15.6214, "1311"),
             ("u-mri", "MR Linköping", "prov-mri", "0580", 58.4108, 15.6214, "1706"),
             ("u-gastro", "Gastroskopi Linköping", "prov-endo", "0580", 58.4108, 15.6214, "1130")]
    for i, (uid, name, pid, muni, lat, lon, code) in enumerate(units):
        out.append(unit(uid, name, pid, nine[pid], f"U{i:03d}", code))
        out.append(place(f"p-{uid}", uid, muni, lat, lon))
    services = [
        service("s-cat", "u-eye", "110473004", "Kataraktoperation", age=(18, None)),
        service("s-cat-phaco", "u-eye", "415089008", "Fakoemulsifikation"),
        service("s-cat-left", "u-eye", "860930005", "Kataraktoperation vänster öga"),
        service("s-cat-expired", "u-eye", "110473004", "Kataraktoperation (gammalt avtal)"),
        service("s-cat-future", "u-eye", "110473004", "Kataraktoperation (nytt avtal)"),
        service("s-cat-sthlm", "u-eye", "110473004", "Kataraktoperation (Stockholms avtal)"),
        service("s-thr-asa2", "u-ortho", "99900041000052105", "Primär höftplastik ASA 1-2", asa=2, age=(18, None)),
        service("s-thr-asa3", "u-ortho", "52734007", "Höftplastik ASA 1-3", asa=3),
        service("s-tkr", "u-ortho", "609588000", "Knäprotes"),
        service("s-tkr-primary", "u-ortho", "179344006", "Primär knäprotes"),
        service("s-tkr-revision", "u-ortho", "99900031000052104", "Revision av knäprotes"),
        service("s-arthroscopy", "u-ortho", "309431009", "Knäartroskopi"),
        service("s-col-motala", "u-endo-motala", "73761001", "Koloskopi Motala", age=(18, None)),
        service("s-col-kiruna", "u-endo-kiruna", "73761001", "Koloskopi Kiruna"),
        service("s-col-ydre", "u-endo-ydre", "444783004", "Screeningkoloskopi Ydre"),
        service("s-colectomy", "u-endo-motala", "23968004", "Kolektomi"),
        service("s-col-kva", "u-endo-motala", "UJF32", "Koloskopi (KVÅ)", system=c.KVA),
        service("s-prostatectomy", "u-uro", "90470006", "Prostatektomi", sex="male"),
        service("s-ralp", "u-uro", "99900021000052101", "Robotassisterad radikal prostatektomi", sex="male"),
        service("s-npf-child", "u-npf", "99900061000052106", "NPF-utredning barn", age=(6, 17),
                forms=("physical", "virtual"), referral="region"),
        service("s-npf-adult", "u-npf", "99900071000052102", "ADHD-utredning vuxen", age=(18, None), forms=("virtual",)),
        service("s-npf-physical", "u-npf", "99900061000052106", "NPF-utredning på plats", age=(6, 17)),
        service("s-prolapse-fresh", "u-gyn", "99900051000052108", "Framfall, aktuell väntetid", sex="female"),
        service("s-prolapse-stale", "u-gyn", "99900051000052108", "Framfall, gammal uppgift", sex="female"),
        service("s-prolapse-missing", "u-gyn", "99900051000052108", "Framfall, utan uppgift", sex="female"),
        service("s-prolapse-long", "u-gyn", "99900051000052108", "Framfall, lång väntetid", sex="female"),
        service("s-mri-soon", "u-mri", "241641004", "MR knä, ledigt snart"),
        service("s-mri-later", "u-mri", "241641004", "MR knä, ledigt senare"),
        service("s-mri-touch", "u-mri", "241641004", "MR knä, ledigt från sista dagen"),
        service("s-expired-service", "u-ortho", "609588000", "Knäprotes (upphörd tjänst)", valid=("2020-01-01", "2024-12-31")),
        # Gastroskopi: routes of other regions only, or of the own region beside another region's.
        service("s-gastro-06-ended", "u-gastro", "76009000", "Gastroskopi (Jönköpings gamla avtal)"),
        service("s-gastro-01-secret", "u-gastro", "76009000", "Gastroskopi (Stockholms sekretessavtal)"),
        service("s-gastro-06-future", "u-gastro", "76009000", "Gastroskopi (Jönköpings kommande avtal)"),
        service("s-gastro-05-ended", "u-gastro", "76009000", "Gastroskopi (eget gammalt avtal, Jönköpings gäller)"),
    ]
    out += services
    out += [
        commission("oa-eye", "region-05", "prov-eye", ["s-cat", "s-cat-phaco", "s-cat-left"], "2024-01-01"),
        agreement("ct-eye", "region-05", ["oa-eye"], "2024-01-01", "2026-12-31"),
        commission("oa-eye-old", "region-05", "prov-eye", ["s-cat-expired"]),
        agreement("ct-eye-old", "region-05", ["oa-eye-old"], "2022-01-01", "2024-12-31"),
        commission("oa-eye-new", "region-05", "prov-eye", ["s-cat-future"]),
        agreement("ct-eye-new", "region-05", ["oa-eye-new"], "2026-01-01", "2027-12-31"),
        commission("oa-eye-sthlm", "region-01", "prov-eye", ["s-cat-sthlm"]),
        agreement("ct-eye-sthlm", "region-01", ["oa-eye-sthlm"], "2024-01-01", None, confidential=True),
        commission("oa-ortho", "region-05", "prov-ortho",
                   ["s-thr-asa2", "s-thr-asa3", "s-tkr", "s-tkr-primary", "s-tkr-revision", "s-expired-service"]),
        agreement("ct-ortho", "region-05", ["oa-ortho"], "2025-01-01", "2027-12-31"),
        commission("oa-arthro", "region-05", "prov-ortho", ["s-arthroscopy"]),
        agreement("ct-arthro", "region-05", ["oa-arthro"], "2024-01-01", "2025-11-15"),
        commission("oa-endo", "region-05", "prov-endo",
                   ["s-col-motala", "s-col-kiruna", "s-col-ydre", "s-colectomy", "s-col-kva"]),
        agreement("ct-endo", "region-05", ["oa-endo"], "2024-06-01", "2026-05-31"),
        commission("oa-uro", "region-05", "prov-uro", ["s-prostatectomy", "s-ralp"]),
        agreement("ct-uro", "region-05", ["oa-uro"], "2024-01-01", None),
        commission("oa-npf", "region-05", "prov-npf", ["s-npf-child", "s-npf-adult", "s-npf-physical"]),
        agreement("ct-npf", "region-05", ["oa-npf"], "2025-01-01", "2026-12-31"),
        commission("oa-gyn", "region-05", "prov-gyn",
                   ["s-prolapse-fresh", "s-prolapse-stale", "s-prolapse-missing", "s-prolapse-long"]),
        agreement("ct-gyn", "region-05", ["oa-gyn"], "2024-01-01", "2026-12-31"),
        commission("oa-mri", "region-05", "prov-mri", ["s-mri-soon", "s-mri-later", "s-mri-touch"]),
        agreement("ct-mri", "region-05", ["oa-mri"], "2024-01-01", "2026-12-31"),
        commission("oa-gastro-06-ended", "region-06", "prov-endo", ["s-gastro-06-ended"], "2022-01-01", "2024-12-31"),
        agreement("ct-gastro-06-ended", "region-06", ["oa-gastro-06-ended"], "2022-01-01", "2024-12-31"),
        commission("oa-gastro-01-secret", "region-01", "prov-endo", ["s-gastro-01-secret"]),
        agreement("ct-gastro-01-secret", "region-01", ["oa-gastro-01-secret"], "2020-01-01", "2024-06-30",
                  confidential=True),
        commission("oa-gastro-06-future", "region-06", "prov-endo", ["s-gastro-06-future"], "2026-01-01"),
        agreement("ct-gastro-06-future", "region-06", ["oa-gastro-06-future"], "2026-01-01", None),
        commission("oa-gastro-05-ended", "region-05", "prov-endo", ["s-gastro-05-ended"]),
        agreement("ct-gastro-05-ended", "region-05", ["oa-gastro-05-ended"], "2023-01-01", "2025-06-30"),
        commission("oa-gastro-06-now", "region-06", "prov-endo", ["s-gastro-05-ended"]),
        agreement("ct-gastro-06-now", "region-06", ["oa-gastro-06-now"], "2025-01-01", None),
    ]
    out += [
        wait("w-cat", "u-eye", 30, "2025-09-20", service_id="s-cat"),
        wait("w-cat-old", "u-eye", 99, "2025-06-01", service_id="s-cat"),
        wait("w-cat-future", "u-eye", 1, "2025-12-01", service_id="s-cat"),
        wait("w-phaco", "u-eye", 10, "2025-07-01", service_id="s-cat-phaco"),
        wait("w-prolapse-fresh", "u-gyn", 60, "2025-09-20", service_id="s-prolapse-fresh"),
        wait("w-prolapse-stale", "u-gyn", 20, "2025-06-01", service_id="s-prolapse-stale"),
        wait("w-prolapse-long", "u-gyn", 120, "2025-09-25", service_id="s-prolapse-long"),
        wait("w-col-kva", "u-endo-motala", 25, "2025-09-28", activity=(c.KVA, "UJF32")),
        wait("w-col-motala", "u-endo-motala", 40, "2025-09-28", service_id="s-col-motala"),
        capacity("c-mri-soon", "u-mri", "s-mri-soon", "2025-10-05", "2025-10-12", 5),
        capacity("c-mri-later", "u-mri", "s-mri-later", "2025-11-20", "2025-11-30", 8),
        capacity("c-mri-touch", "u-mri", "s-mri-touch", "2025-10-15", "2025-10-20", 2),
    ]
    return out


def bundle() -> dict:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources()]}


CONCEPT_MAPS = [
    {"resourceType": "ConceptMap", "url": "http://example.org/fhir/ConceptMap/test-care-pathways", "version": "1",
     "status": "active", "name": "TestCarePathways",
     "group": [{"source": ICD, "target": c.SNOMED, "element": [
         {"code": "C18", "display": "Malign tumör i tjocktarmen",
          "target": [{"code": "73761001", "relationship": "related-to"},
                     {"code": "23968004", "relationship": "related-to"}]}]}]},
    {"resourceType": "ConceptMap", "url": "http://example.org/fhir/ConceptMap/test-snomed-kva", "version": "1",
     "status": "active", "name": "TestSnomedKva",
     "group": [{"source": c.SNOMED, "target": c.KVA, "element": [
         {"code": "73761001", "target": [{"code": "UJF32", "relationship": "equivalent"}]}]}]},
]
