"""SNOMED CT inside ValueSet.compose (terminology.providers.snomed) on the hand-made fixture, both engines."""

from __future__ import annotations

import pytest

from terminology import ExpandRequest, InvalidRequest

from .test_valuesets_providers import SHAPES, URL

SCT = "http://snomed.info/sct"
TKR = "609588000"  # total knee replacement
KNEE_REPLACEMENT_PARENT = "179344006"


def inline(*includes: dict, exclude: list | None = None) -> dict:
    compose: dict = {"include": list(includes)}
    if exclude:
        compose["exclude"] = exclude
    return {"resourceType": "ValueSet", "status": "active", "compose": compose}


def test_is_a_filter_and_listed_concepts(mini_service):
    implicit = {i.code for i in mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=isa/{TKR}")).items}
    e = mini_service.expand(ExpandRequest(value_set=inline(
        {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": TKR}]})))
    assert {i.code for i in e.items} == implicit and e.unclosed
    assert all(i.display for i in e.items) and all(not i.contains for i in e.items)  # SNOMED stays flat
    listed = mini_service.expand(ExpandRequest(value_set=inline({"system": SCT, "concept": [{"code": TKR}]}),
                                               display_language="sv"))
    assert [(i.code, i.display) for i in listed.items] == [(TKR, "Total knäledsplastik")]


def test_exclusions_and_other_code_systems(mini_service):
    vs = inline({"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": TKR}]},
                {"system": URL, "concept": [{"code": "square"}]},
                exclude=[{"system": SCT, "concept": [{"code": TKR}]}])
    e = mini_service.expand(ExpandRequest(value_set=vs, resources=(SHAPES,)))
    codes = {(i.system, i.code) for i in e.items}
    assert (SCT, TKR) not in codes and (URL, "square") in codes
    used = [p.value for p in e.parameters if p.name == "used-codesystem"]
    assert used[0].startswith(SCT + "|http://snomed.info/sct/") and used[1] == URL + "|1.0.0"


def test_bad_snomed_filters(mini_service):
    with pytest.raises(InvalidRequest):
        mini_service.expand(ExpandRequest(value_set=inline(
            {"system": SCT, "filter": [{"property": "concept", "op": "is-a", "value": "12345"}]})))
    with pytest.raises(InvalidRequest):
        mini_service.expand(ExpandRequest(value_set=inline(
            {"system": SCT, "filter": [{"property": "moduleId", "op": "regex", "value": ".*"}]})))
