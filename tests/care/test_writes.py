"""Writes are checked before anything is stored (care-search.md "Writes"): codes against the terminology
(unknown, inactive, wrong system), HSA-id and orgnr formats, date order, references; a transaction Bundle with
one bad entry stores nothing and names the entry and the element; If-Match; the change history."""

from __future__ import annotations

import pytest

from mappings.care import codes as c
from terminology import ROLES, Forbidden, InvalidRequest, Principal, UnknownResource, VersionConflict

from .. import care_fixture as f


TEST = Principal("test", frozenset(ROLES), None, "api")


def user(name: str) -> Principal:
    """An admin calling over the API (writes of organisations need the admin role)."""
    return Principal(name, frozenset({"admin"}), None, "api")


def _bundle(*resources):
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources]}


def _service(id_, code, system=c.SNOMED, unit="u-ortho"):
    return f.service(id_, unit, code, f"Tjänst {id_}", system=system)


@pytest.mark.parametrize("resource, expression, text", [
    (_service("w-unknown", "123456789"), "type[0].coding[0].code", "not a SNOMED CT code"),
    (_service("w-inactive", "99900002004"), "type[0].coding[0].code", "inactive"),
    (_service("w-icd", "C18", system=c.ICD10SE), "type[0].coding[0].system", "wrong code system"),
    (_service("w-kva-unknown", "XYZ99", system=c.KVA), "type[0].coding[0].code", "not a KVÅ code"),
    (_service("w-unit-missing", "73761001", unit="no-such-unit"), "providedBy", "does not exist"),
    (_service("w-provided-by-provider", "73761001", unit="prov-ortho"), "providedBy", "must be a unit"),
    ({**f.unit("w-bad-hsa", "Enhet", "prov-eye", "559000001", "X1"),
      "identifier": [{"system": c.HSA_SYSTEM, "value": "SE123-1"}]}, "identifier[0].value", "not an HSA-id"),
    ({**f.unit("w-long-hsa", "Enhet", "prov-eye", "559000001", "X1"),
      "identifier": [{"system": c.HSA_SYSTEM, "value": f"SE{f.orgnr('559000001').replace('-', '')}-{'A' * 19}"}]},
     "identifier[0].value", "at most 31 characters"),
    ({**f.provider("w-bad-orgnr", "Fel AB", "559000001"),
      "identifier": [{"system": c.ORGNR_SYSTEM, "value": "559000-0012"}]}, "identifier[0].value", "check digit"),
    (f.agreement("w-backwards", "region-05", ["oa-eye"], "2025-05-01", "2025-01-01"), "applies", "before it starts"),
    (f.commission("w-region-is-provider", "prov-eye", "prov-eye", ["s-cat"]), "organization", "must be a region"),
])
def test_bad_records_are_refused_naming_the_element(directory, resource, expression, text):
    with pytest.raises(InvalidRequest) as err:
        directory.transaction(_bundle(resource), by=TEST)
    assert text in err.value.text, err.value.text
    assert err.value.expression.endswith(expression), err.value.expression
    assert directory.store.get(resource["resourceType"], resource["id"]) is None


def test_hsa_ids_are_at_most_31_characters():
    """Inera's format: SE + the ten-digit orgnr + '-' + a suffix, the whole id at most 31 characters."""
    head = f"SE{f.orgnr('559000001').replace('-', '')}-"
    assert c.hsa_problem(head + "A" * 18) is None and len(head + "A" * 18) == 31
    assert "at most 31 characters" in c.hsa_problem(head + "A" * 19)


def test_a_transaction_with_one_bad_entry_stores_nothing(directory):
    good = [f.unit("atomic-unit", "Enhet A", "prov-eye", "559000001", "AT1"),
            f.place("atomic-place", "atomic-unit", "0580", 58.4, 15.6),
            _service("atomic-good", "73761001", unit="atomic-unit")]
    bad = _service("atomic-bad", "99900002004", unit="atomic-unit")
    before = directory.store.generation()
    with pytest.raises(InvalidRequest) as err:
        directory.transaction(_bundle(*good, bad), by=TEST)
    assert err.value.text.startswith("Bundle.entry[3] (HealthcareService/atomic-bad): ")
    assert err.value.expression == "Bundle.entry[3].resource.type[0].coding[0].code"
    for r in good:
        assert directory.store.get(r["resourceType"], r["id"]) is None
    assert directory.store.generation() == before
    done = directory.transaction(_bundle(*good), by=TEST)
    assert [w.created for w in done] == [True, True, True]
    assert done[2].stored.record.types[0].display == "Koloskopi"  # filled in from the terminology (Swedish)


def test_if_match_and_versions(directory):
    created = directory.create(f.provider("ignored", "Versionerad AB", "559000009"), by=user("anna"))
    rid = created.stored.record.id
    assert created.created and created.stored.version_id == 1
    resource = {**f.provider(rid, "Versionerad AB", "559000009"), "name": "Nytt namn AB"}
    second = directory.update("Organization", rid, resource, if_match='W/"1"', by=user("bo"))
    assert second.stored.version_id == 2 and not second.created
    with pytest.raises(VersionConflict):
        directory.update("Organization", rid, resource, if_match='W/"1"', by=user("bo"))
    history = directory.history(by=TEST, resource_type="Organization", resource_id=rid)
    assert [(e.who, e.action, e.version_id) for e in history] == [("bo", "update", 2), ("anna", "create", 1)]
    assert history[0].what == "changed: name" and history[0].channel == "api"


def test_confidential_agreement_reads(directory):
    with pytest.raises(UnknownResource):
        directory.read("Contract", "ct-eye-sthlm", by=Principal("v5", frozenset({"vardlots"}), "05"))
    assert directory.read("Contract", "ct-eye-sthlm", by=Principal("v1", frozenset({"vardlots"}), "01")).record.confidential
    total, found = directory.find("Contract", [("authority", "Organization/region-01")],
                                  by=Principal("v5", frozenset({"vardlots"}), "05"))
    assert total == 0 and found == []


def test_region_scope_keeps_an_administrator_to_the_own_region(directory):
    own = f.agreement("scope-own", "region-05", ["oa-eye"], "2025-01-01", None)
    other = f.agreement("scope-other", "region-01", ["oa-eye"], "2025-01-01", None)
    with pytest.raises(Forbidden, match="region-01"):
        directory.transaction(_bundle(own, other), by=Principal("admin-05", frozenset({"avtalsadmin"}), "05"))
    assert directory.store.get("Contract", "scope-own") is None


def test_a_write_that_changes_nothing_makes_no_new_version(directory):
    """Issue 15: a PUT of the stored content again added a version and a history entry."""
    from mappings.care import render_resource

    stored = directory.store.get("Contract", "ct-eye")
    resource = render_resource(stored)
    events = len(directory.history(by=TEST, resource_type="Contract", resource_id="ct-eye", limit=100))
    again = directory.update("Contract", "ct-eye", resource, by=TEST)
    assert not again.created and again.stored.version_id == stored.version_id
    assert len(directory.history(by=TEST, resource_type="Contract", resource_id="ct-eye", limit=100)) == events
    with pytest.raises(VersionConflict):  # If-Match still has to name the current version
        directory.update("Contract", "ct-eye", resource, if_match=f'W/"{stored.version_id + 5}"', by=TEST)
