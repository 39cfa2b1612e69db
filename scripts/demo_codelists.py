"""The demo's code lists (issue 17): value sets and a local code system in draft and active versions, authored by
the demo informatiker ``info`` and released by ``info2``, so the code-list pages, the review and the history
have something to show.

* Tjänstetyper för vårdavtal: the care-service types of the generated care directory (SNOMED CT and KVÅ), the
  codes a region may register agreements with; active 1.0.0.
* Knäledsplastik-åtgärder: ECL ``<< 609588000``; active 1.0.0 and a draft 1.1.0 that adds the KVÅ code.
* Kataraktoperationer: rules (is-a on SNOMED CT, a KVÅ code list); a draft only.
* Prioriteringsgrupper: a region's own code system; active 1.0.0 and a draft 1.1.0 with one more code, and the
  value set Akuta prioriteringsgrupper over it.
"""

from __future__ import annotations

import terminology as t
from mappings.care import codes
from mappings.care.generate import SPECIALTIES

BASE = "https://vardterm.example/fhir"
PUBLISHER = "Region Östergötland (demo)"
AUTHOR = t.Principal("info", frozenset({"informatiker"}), "05", "cli")
REVIEWER = t.Principal("info2", frozenset({"informatiker"}), "05", "cli")
SCT = t.snomed.SYSTEM
KNEE_ECL = "<< 609588000 |Total knäledsplastik|"


def _vs(name: str, title: str, compose: dict, description: str) -> dict:
    return {"resourceType": "ValueSet", "url": f"{BASE}/ValueSet/{name}", "version": "1.0.0", "name": name,
            "title": title, "status": "draft", "publisher": PUBLISHER, "description": description,
            "compose": compose}


def _service_types() -> dict:
    by_system: dict[str, list[dict]] = {}
    for specialty in SPECIALTIES:
        for coding in specialty.services:
            by_system.setdefault(coding.system, []).append({"code": coding.code, "display": coding.display})
    return {"include": [{"system": system, "concept": concepts} for system, concepts in by_system.items()]}


PRIO = {"resourceType": "CodeSystem", "url": f"{BASE}/CodeSystem/prioriteringsgrupper", "version": "1.0.0",
        "name": "Prioriteringsgrupper", "title": "Prioriteringsgrupper", "status": "draft", "content": "complete",
        "publisher": PUBLISHER, "language": "sv", "caseSensitive": True, "hierarchyMeaning": "is-a",
        "description": "Regionens prioriteringsgrupper för remisser (demo).",
        "concept": [
            {"code": "1", "display": "Akut", "definition": "Ska bedömas samma dag.",
             "designation": [{"language": "en", "value": "Acute"}],
             "concept": [{"code": "1A", "display": "Akut, inom en timme",
                          "designation": [{"language": "en", "value": "Acute, within an hour"}]}]},
            {"code": "2", "display": "Förtur", "designation": [{"language": "en", "value": "Priority"}]},
            {"code": "3", "display": "Planerad", "designation": [{"language": "en", "value": "Planned"}]}]}


def ensure_demo_codelists(db: t.Database, service: t.TerminologyService) -> int:
    """Store the demo code lists once (nothing when they are there); returns how many resources were written."""
    a = t.Authoring(service)
    if a.repository.find("CodeSystem", PRIO["url"]):
        return 0
    written = 0

    def released(resource: dict) -> dict:
        nonlocal written
        rid = a.create(resource, by=AUTHOR, what="skapad som utkast (demo)").resource["id"]
        written += 2
        return a.release(resource["resourceType"], rid, by=REVIEWER).resource

    def draft_of(active: dict, change) -> dict:
        nonlocal written
        d = a.draft(active["resourceType"], active["id"], by=AUTHOR).resource
        written += 2
        return a.save(d["resourceType"], d["id"], change(d), by=AUTHOR).resource

    prio = released(PRIO)
    draft_of(prio, lambda d: t.authoring.codesystem.set_concept(
        d, t.authoring.codesystem.ConceptRow("4", "Vid behov", en="When needed", definition="Ingen tidsgräns.")))
    released(_vs("AkutaPrioriteringsgrupper", "Akuta prioriteringsgrupper",
                 {"include": [{"system": PRIO["url"], "filter": [{"property": "concept", "op": "is-a",
                                                                  "value": "1"}]}]},
                 "Prioriteringsgrupp Akut och det som ligger under den."))
    released(_vs("Vardtjanstetyper", "Tjänstetyper för vårdavtal", _service_types(),
                 "Vårdtjänster (SNOMED CT och KVÅ) som regionen registrerar avtal med i vårdkatalogen."))
    knee = released(_vs("Knaledsplastik", "Knäledsplastik-åtgärder",
                        {"include": [{"system": SCT, "filter": [{"property": "constraint", "op": "=",
                                                                 "value": KNEE_ECL}]}]},
                        "Åtgärder för total knäledsplastik."))
    draft_of(knee, lambda d: {**d, "compose": {"include": d["compose"]["include"] + [
        {"system": codes.KVA, "concept": [{"code": "NGB49", "display": "Primär totalprotes i knäled med cement"}]}]}})
    cataract = _vs("Kataraktoperationer", "Kataraktoperationer",
                   {"include": [{"system": SCT, "filter": [{"property": "concept", "op": "is-a",
                                                            "value": "110473004"}]},
                                {"system": codes.KVA, "concept": [{"code": "CJE20"}]}]},
                   "Operationer för grå starr (utkast).")
    a.create(cataract, by=AUTHOR, what="skapad som utkast (demo)")
    return written + 1
