"""The terminology service on the hand-made fixture (real concept ids, our labels), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from terminology import (Coding, ExpandRequest, LookupRequest, SubsumesRequest, TooCostly,
                         UnknownCode, UnknownCodeSystem, UnknownValueSet, ValidateRequest, snomed)

SCT = snomed.SYSTEM
EDITION = "http://snomed.info/sct/45991000052106/version/20251130"
TKR = "609588000"
REVISION_TKR = "99900031000052104"
ROBOT_PROSTATECTOMY = "99900021000052101"


def _validate(service, system, code, *, display=None, display_language=None, lenient_display=False,
              value_set=None):
    """``CodeSystem/$validate-code`` of ``system#code``, or ``ValueSet/$validate-code`` with ``value_set``."""
    return service.validate(ValidateRequest(
        target="ValueSet" if value_set else "CodeSystem", mode="code", url=value_set or system,
        codings=(Coding(system, code, display),), display_language=display_language, lenient_display=lenient_display))


def _props(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in result.properties:
        out.setdefault(p.code, []).append(p)
    return out


def test_the_fixture_loads_as_the_swedish_edition(mini_service):
    assert [v.version for v in mini_service.versions()] == [EDITION]
    assert mini_service.default_version() == EDITION


def test_every_snomed_constant_is_a_concept_with_the_right_semantic_tag(mini_service):
    tags = {"ROOT": "SNOMED RT+CTV3", "IS_A": "attribute", "CONCEPT_MODEL_ATTRIBUTE": "attribute",
            "FSN": "core metadata concept", "PREFERRED": "foundation metadata concept",
            "US_ENGLISH": "foundation metadata concept", "SWEDISH_LANGUAGE_REFSET": "foundation metadata concept",
            "SWEDISH_MODULE": "core metadata concept", "CORE_MODULE": "core metadata concept",
            "SAME_AS": "foundation metadata concept", "DUPLICATE": "foundation metadata concept"}
    constants = {name: value for name, value in vars(snomed).items()
                 if name.isupper() and isinstance(value, int) and not isinstance(value, bool)}
    assert len(constants) > 60
    for name, value in constants.items():
        result = mini_service.lookup(LookupRequest(system=SCT, code=str(value)))
        fsn = next(d.value for d in result.designations if d.use.code == str(snomed.FSN))
        assert fsn.endswith(")"), (name, fsn)
        if name in tags:
            assert fsn.endswith(f"({tags[name]})"), (name, fsn)


def test_lookup_in_english_and_swedish(mini_service):
    en = mini_service.lookup(LookupRequest(system=SCT, code=TKR))
    assert en.display == "Total knee replacement" and en.version == EDITION
    sv = mini_service.lookup(LookupRequest(system=SCT, code=TKR, display_language="sv-SE"))
    assert sv.display == "Total knäledsplastik"
    knaprotes = next(d for d in sv.designations if d.value == "Knäprotes")
    assert knaprotes.language == "sv"
    assert knaprotes.contexts == ((str(snomed.SWEDISH_LANGUAGE_REFSET), str(snomed.ACCEPTABLE)),)
    props = _props(sv)
    assert props["sufficientlyDefined"][0].value is True
    assert props["inactive"][0].value is False
    assert props["effectiveTime"][0].value == "2015-01-31"
    assert {p.value for p in props["child"]} >= {"179344006", REVISION_TKR}
    assert props["normalForm"][0].value.startswith("=== ")
    assert "|" in props["normalForm"][0].value and "|" not in props["normalFormTerse"][0].value


def test_us_and_gb_displays_differ_where_the_refsets_do(mini_service):
    us = mini_service.lookup(LookupRequest(system=SCT, code="363406005", display_language="en-US"))
    gb = mini_service.lookup(LookupRequest(system=SCT, code="363406005", display_language="en-GB"))
    assert (us.display, gb.display) == ("Malignant tumor of colon", "Malignant tumour of colon")
    gb_refset = mini_service.lookup(LookupRequest(system=SCT, code="363406005",
                                                  display_language="en-x-900000000000508004"))
    assert gb_refset.display == "Malignant tumour of colon"


def test_swedish_only_concepts_have_an_english_name_and_a_swedish_term(mini_service):
    r = mini_service.lookup(LookupRequest(system=SCT, code=ROBOT_PROSTATECTOMY, display_language="sv"))
    assert r.display == "Robotassisterad radikal prostatektomi"
    assert _props(r)["moduleId"][0].value == str(snomed.SWEDISH_MODULE)


def test_attributes_are_properties_named_by_their_type(mini_service):
    r = mini_service.lookup(LookupRequest(system=SCT, code=TKR, properties=("260686004", "405813007", "parent")))
    codes = {p.code for p in r.properties}
    assert "parent" in codes and codes <= {"parent", "260686004", "405813007"} and len(codes) > 1
    for p in r.properties:
        if p.code != "parent":
            assert p.code_display and p.description


def test_concrete_values_are_typed_properties(mini_service):
    r = mini_service.lookup(LookupRequest(system=SCT, code="322236009"))
    assert any(p.kind == "integer" and p.value == 500 for p in r.properties)


def test_lookup_errors(mini_service):
    with pytest.raises(UnknownCode, match="Unknown code '123456789'"):
        mini_service.lookup(LookupRequest(system=SCT, code="123456789"))
    with pytest.raises(UnknownCodeSystem):
        mini_service.lookup(LookupRequest(system="http://example.org/x", code="1"))


def test_subsumption_walks_the_closure(mini_service):
    def outcome(a, b):
        return mini_service.subsumes(SubsumesRequest(system=SCT, code_a=a, code_b=b))
    assert outcome("90470006", ROBOT_PROSTATECTOMY) == "subsumes"
    assert outcome(ROBOT_PROSTATECTOMY, "26294005") == "subsumed-by"
    assert outcome(TKR, TKR) == "equivalent"
    assert outcome(TKR, "90470006") == "not-subsumed"
    assert outcome("71388002", "99900001006") == "not-subsumed"  # inactive concepts are in no hierarchy
    with pytest.raises(UnknownCode):
        outcome(TKR, "123456789")


def test_validate_code(mini_service):
    ok = _validate(mini_service, SCT, TKR, display="Knäprotes")
    assert ok.result and ok.display == "Total knee replacement" and not ok.issues
    sv = _validate(mini_service, SCT, TKR, display="knäprotes", display_language="sv")
    assert sv.result and sv.display == "Total knäledsplastik"
    wrong = _validate(mini_service, SCT, TKR, display="Höftprotes")
    assert not wrong.result and wrong.issues[0].message_id == "Display_Name_for__should_be_one_of__instead_of"
    lenient = _validate(mini_service, SCT, TKR, display="Höftprotes", lenient_display=True)
    assert lenient.result and lenient.issues[0].severity == "warning"
    unknown = _validate(mini_service, SCT, "123456789")
    assert not unknown.result and unknown.issues[0].message_id == "Unknown_Code_in_Version"
    no_system = _validate(mini_service, "http://example.org", "x")
    assert not no_system.result and no_system.issues[0].code == "not-found"


def test_inactive_concepts_and_displays(mini_service):
    inactive = _validate(mini_service, SCT, "99900001006")
    assert inactive.result and inactive.inactive
    assert inactive.issues[0].message_id == "INACTIVE_CONCEPT_FOUND" and inactive.issues[0].severity == "warning"
    old_display = _validate(mini_service, SCT, "110473004", display="Cataract extraction")
    assert old_display.result and old_display.issues[0].message_id == "INACTIVE_DISPLAY_FOUND"
    url = f"{SCT}?fhir_vs=isa/71388002"
    in_vs = _validate(mini_service, SCT, "99900001006", value_set=url)
    assert not in_vs.result  # inactive concepts have no is-a rows (snomed-fhir.md §1.7)


def test_validate_against_implicit_value_sets(mini_service):
    prostatectomies = f"{SCT}?fhir_vs=isa/90470006"
    assert _validate(mini_service, SCT, ROBOT_PROSTATECTOMY, value_set=prostatectomies).result
    miss = _validate(mini_service, SCT, TKR, value_set=prostatectomies)
    assert not miss.result and miss.issues[0].tx_code == "not-in-vs"
    care = f"{SCT}?fhir_vs=refset/99900111000052105"
    assert _validate(mini_service, SCT, TKR, value_set=care).result
    assert not _validate(mini_service, SCT, "446745002", value_set=care).result


def test_expand_a_subtree_with_paging(mini_service):
    url = f"{SCT}?fhir_vs=isa/{TKR}"
    full = mini_service.expand(ExpandRequest(url=url))
    codes = [i.code for i in full.items]
    assert full.total == len(codes) and {TKR, "179344006", REVISION_TKR} <= set(codes)
    assert full.unclosed and full.parameters[0].value == f"{SCT}|{EDITION}"
    page = mini_service.expand(ExpandRequest(url=url, count=2, offset=1))
    assert [i.code for i in page.items] == codes[1:3] and page.total == full.total


def test_expand_text_filter_folds_diacritics_and_ranks(mini_service):
    url = f"{SCT}?fhir_vs=isa/71388002"
    hits = mini_service.expand(ExpandRequest(url=url, filter="knaprotes", display_language="sv"))
    assert hits.items[0].code == TKR  # "Knäprotes" is an exact term of total knee replacement
    assert REVISION_TKR in [i.code for i in hits.items]
    assert mini_service.expand(ExpandRequest(url=url, filter="KNÄPROTES")).total == hits.total
    none = mini_service.expand(ExpandRequest(url=url, filter="zzzqqq"))
    assert none.total == 0 and none.items == ()


def test_expand_all_refsets_and_members(mini_service):
    refsets = {i.code for i in mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=refset")).items}
    assert {"99900111000052105", str(snomed.US_ENGLISH), str(snomed.SWEDISH_LANGUAGE_REFSET)} <= refsets
    members = mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=refset/99900111000052105"))
    codes = {i.code: i for i in members.items}
    assert TKR in codes and "446745002" not in codes  # removed from the refset in the Swedish release
    assert codes["99900002004"].inactive  # an active member pointing at an inactive concept
    active = mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=refset/99900111000052105", active_only=True))
    assert "99900002004" not in {i.code for i in active.items}


def test_all_concepts_counts_inactive_ones_too(mini_service):
    everything = mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs", count=0))
    active = mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs", count=0, active_only=True))
    assert everything.total - active.total == 5


def test_expansion_limits(mini_service):
    with pytest.raises(TooCostly):
        mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs", max_size=10))
    assert len(mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs", max_size=10, count=10)).items) == 10
    with pytest.raises(UnknownValueSet):  # names no value set (tx.fhir.org: Unable_to_resolve_value_Set_)
        mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=isa/12345"))


def test_designations_in_expansions(mini_service):
    e = mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=isa/{TKR}", include_designations=True, count=1))
    assert any(d.language == "sv" for d in e.items[0].designations)
