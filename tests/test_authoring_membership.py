"""The membership index behind "which value sets contain this code" (issue 17): filled when a version is
released, refreshed when a terminology version is loaded or removed, and too-large value sets asked per
request; on SQLite and PostgreSQL."""

from __future__ import annotations

import terminology as t
from scripts.loading import load_rf2, refresh_memberships

from .conftest import MINI

SCT = "http://snomed.info/sct"
KNEE = {"resourceType": "ValueSet", "url": "https://region.example/fhir/ValueSet/kna", "version": "1.0.0",
        "status": "active", "name": "Kna",
        "compose": {"include": [{"system": SCT, "filter": [{"property": "constraint", "op": "=",
                                                             "value": "<< 609588000 |Total knäledsplastik|"}]}]}}
EVERYTHING = {**KNEE, "url": "https://region.example/fhir/ValueSet/allt", "name": "Allt",
              "compose": {"include": [{"system": SCT, "filter": [{"property": "constraint", "op": "=",
                                                                   "value": "*"}]}]}}


def test_index_follows_snomed_loads_and_removals(new_db, backend):
    db = new_db(backend)
    authoring = t.Authoring(t.TerminologyService(db, refresh_seconds=0))
    authoring.create(KNEE, by=t.COMMAND_LINE, what="importerad")
    assert authoring.containing(SCT, "179344006") == []  # no SNOMED CT loaded yet: the expansion failed
    assert authoring.store.active_value_sets()[0].state == "failed"

    version = load_rf2(db, [MINI])
    assert refresh_memberships(db).indexed == 1
    state = authoring.store.active_value_sets()[0]
    assert state.state == "complete"
    assert [vs["url"] for vs in authoring.containing(SCT, "179344006")] == [KNEE["url"]]
    assert authoring.containing(SCT, "110473004") == []  # cataract surgery is not a knee replacement

    db.remove(version.key)
    refresh_memberships(db)
    assert authoring.containing(SCT, "179344006") == []


def test_too_large_value_sets_are_asked_per_request(mini_dbs, backend, new_db):
    db = mini_dbs(backend)
    service = t.TerminologyService(db, refresh_seconds=0)
    authoring = t.Authoring(service, index_limit=50)
    try:
        saved = authoring.create(EVERYTHING, by=t.COMMAND_LINE)
        rows = {r.url: r for r in authoring.store.active_value_sets()}
        assert rows[EVERYTHING["url"]].state == "too-large"
        assert [vs["url"] for vs in authoring.containing(SCT, "110473004")] == [EVERYTHING["url"]]
        assert authoring.containing(SCT, "999999999") == []
    finally:
        authoring.repository.delete("ValueSet", saved.resource["id"], by=t.COMMAND_LINE)
        authoring.membership.refresh()
