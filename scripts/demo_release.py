"""The demo's previous release (issue 20), so ``vardterm release impact`` and the page Ny release have something
to show.

* The earlier SNOMED CT version is the demo fixture's own Full files read as of 20231231
  (``http://snomed.info/sct/45991000052106/version/20231231``). From it to the serving 20251130 version the
  fixture inactivates 99900002004 |Hip replacement operation| (REPLACED BY 52734007 |Total hip replacement|),
  moves 415089008 |Phacoemulsification ...| (its is-a parent changed in 20240101) and changes the Swedish
  preferred term of 609588000 (20250531), beside the Swedish terms and concepts the edition gained.
* What was registered while 20231231 was current: the value set Höftprotesoperationer 1.0.0 listing
  99900002004, the map KVÅ till SNOMED CT (höft) with 99900002004 as a target, and a hip service of the
  generated directory registered under 99900002004 (written past the code check, which the concept passed
  when it was registered), covered by the same commissions as its twin.
* The earlier KVÅ version is ``2020``: ``tests/data/se-codes/kva-excerpt-2020.txt``, a predecessor of the 2021
  excerpt made up by the project (not Socialstyrelsen's 2020 list). From it to 2021, NFB59 is removed
  (NFB62 takes its place), NFB39 gets a new text and UJF32 is new. The map KVÅ till SNOMED CT (höft) still
  lists NFB59 (it was made under 2020), and the value set Tjänstetyper för vårdavtal gains UJF32 |Koloskopi|.
"""

from __future__ import annotations

from dataclasses import replace

import terminology as t
from mappings.care import CareDirectory, CareService, Commission, codes

from .demo_codelists import AUTHOR, BASE, PUBLISHER, REVIEWER, SCT

PREVIOUS_AS_OF = "20231231"
PREVIOUS_VERSION = f"{SCT}/{t.snomed.SWEDISH_MODULE}/version/{PREVIOUS_AS_OF}"
OLD_HIP = "99900002004"
HIP = "52734007"
SERVICE_ID = "demo-release-hip"
PREVIOUS_KVA = "2020"
OLD_KVA_CODE = "NFB59"

HIP_VS = {"resourceType": "ValueSet", "url": f"{BASE}/ValueSet/Hoftprotesoperationer", "version": "1.0.0",
          "name": "Hoftprotesoperationer", "title": "Höftprotesoperationer", "status": "draft",
          "publisher": PUBLISHER, "description": "Operationer med höftprotes (skapad 2023, före releasen 2025-11-30).",
          "compose": {"include": [{"system": SCT, "concept": [
              {"code": OLD_HIP, "display": "Höftprotesoperation"},
              {"code": "99900041000052105", "display": "Primär total höftledsplastik"}]}]}}
HIP_MAP = {"resourceType": "ConceptMap", "url": f"{BASE}/ConceptMap/kva-sct-hoft", "version": "1.0.0",
           "name": "KvaSctHoft", "title": "KVÅ till SNOMED CT (höft)", "status": "draft", "publisher": PUBLISHER,
           "group": [{"source": codes.KVA, "target": SCT, "element": [
               {"code": "NFB49", "target": [{"code": OLD_HIP, "relationship": "equivalent"}]},
               {"code": OLD_KVA_CODE, "target": [{"code": HIP, "relationship": "source-is-narrower-than-target"}]}]}]}


def ensure_previous_release(db: t.Database, load) -> bool:
    """Load the fixture's 20231231 version once (``load``: ``scripts.loading.load_rf2``); True when loaded now."""
    if any(v.version == PREVIOUS_VERSION for v in db.versions(kind="snomed")):
        return False
    from .cli import DEMO_RF2

    load(db, [DEMO_RF2], release_type="Full", as_of=PREVIOUS_AS_OF)
    return True


def ensure_previous_kva(db: t.Database) -> bool:
    """Load the project's KVÅ 2020 excerpt once beside the demo's 2021 one; True when loaded now."""
    from .national import SE_CODES, load_kva

    if t.ResourceRepository(db).find("CodeSystem", codes.KVA, PREVIOUS_KVA):
        return False
    load_kva(db, [SE_CODES / "kva-excerpt-2020.txt"], version=PREVIOUS_KVA, content="fragment")
    return True


def ensure_release_findings(service: t.TerminologyService, directory: CareDirectory) -> int:
    """Store what was registered before the release (once); returns how many records were written."""
    a = t.Authoring(service)
    written = 0
    if not a.repository.find("ValueSet", HIP_VS["url"]):
        for resource in (HIP_VS, HIP_MAP):
            rid = a.create(resource, by=AUTHOR, what="skapad som utkast (demo, före releasen)").resource["id"]
            a.release(resource["resourceType"], rid, by=REVIEWER)
            written += 1
    if directory.store.get("HealthcareService", SERVICE_ID) is None:
        written += _old_hip_service(directory)
    return written


def _old_hip_service(directory: CareDirectory) -> int:
    _, found = directory.store.search("HealthcareService", [], count=None)
    twin = next((s.record for s in found if isinstance(s.record, CareService)
                 and any(c.code == HIP for c in s.record.types)), None)
    if twin is None:
        return 0
    record = replace(twin, id=SERVICE_ID, name=f"{twin.name} (registrerad 2023)",
                     types=(t.Coding(SCT, OLD_HIP, "Höftprotesoperation"),))
    _, commissions = directory.store.search("OrganizationAffiliation", [], count=None)
    covering = [replace(c.record, services=(*c.record.services, SERVICE_ID)) for c in commissions
                if isinstance(c.record, Commission) and twin.id in c.record.services]
    directory.store.write([(record, None)] + [(c, None) for c in covering], who="demo", channel="cli",
                          note="registrerad 2023 med SNOMED CT 20231231, före releasen 20251130")
    return 1 + len(covering)
