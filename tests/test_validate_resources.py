"""$validate-code on FHIR resources (terminology.valuesets.validate): membership, unknown codes, systems and
versions, version rules, displays per language, inferSystem, case-insensitive systems, inactive, abstract and
deprecated concepts, fragments, imports and definition errors, on small hand-written resources."""

from __future__ import annotations

import pytest

from terminology import (CircularReference, Coding, InvalidValueSet, MissingSupplement, TerminologyError,
                         UnknownValueSet, ValidateRequest)
from terminology.valuesets import ResolutionContext, validate_code

CS = "http://example.org/cs/colours"
VS = "http://example.org/vs/"

COLOURS = {
    "resourceType": "CodeSystem", "url": CS, "version": "1.0.0", "language": "en", "status": "active",
    "content": "complete", "caseSensitive": True,
    "concept": [
        {"code": "red", "display": "Red", "designation": [{"language": "de", "value": "Rot"},
                                                          {"language": "sv", "value": "Röd"}]},
        {"code": "green", "display": "Green"},
        {"code": "grey", "display": "Grey", "property": [{"code": "status", "valueCode": "retired"}]},
        {"code": "old", "display": "Old", "property": [{"code": "inactive", "valueBoolean": True}]},
        {"code": "warm", "display": "Warm colours", "property": [{"code": "notSelectable", "valueBoolean": True}],
         "concept": [{"code": "orange", "display": "Orange"}]},
        {"code": "mauve", "display": "Mauve", "property": [{"code": "status", "valueCode": "deprecated"}]},
    ]}
COLOURS_2 = {**COLOURS, "version": "2.0.0", "concept": [{"code": "red", "display": "Red (2)"},
                                                         {"code": "blue", "display": "Blue"}]}
FOLDED = {"resourceType": "CodeSystem", "url": "http://example.org/cs/folded", "version": "1", "status": "active",
          "content": "complete", "caseSensitive": False, "concept": [{"code": "abc", "display": "ABC"}]}
PART = {"resourceType": "CodeSystem", "url": "http://example.org/cs/part", "version": "1", "status": "draft",
        "content": "fragment", "concept": [{"code": "p1", "display": "P1"}]}


def vs(name: str, *includes: dict, exclude: list | None = None, **extra) -> dict:
    compose: dict = {"include": list(includes), **extra.pop("compose_extra", {})}
    if exclude:
        compose["exclude"] = exclude
    return {"resourceType": "ValueSet", "url": VS + name, "version": "1", "status": "active", "compose": compose,
            **extra}


RESOURCES = (
    COLOURS, COLOURS_2, FOLDED, PART,
    vs("v1", {"system": CS, "version": "1.0.0"}),
    vs("latest", {"system": CS}),
    vs("v2", {"system": CS, "version": "2.0.0"}),
    vs("wild", {"system": CS, "version": "1.x"}),
    vs("listed", {"system": CS, "version": "1.0.0", "concept": [
        {"code": "red"}, {"code": "green", "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/valueset-deprecated", "valueBoolean": True}]}]}),
    vs("warm", {"system": CS, "version": "1.0.0", "filter": [{"property": "concept", "op": "is-a", "value": "warm"}]}),
    vs("no-red", {"system": CS, "version": "1.0.0"}, exclude=[{"system": CS, "version": "1.0.0",
                                                               "concept": [{"code": "red"}]}]),
    vs("active", {"system": CS, "version": "1.0.0"}, compose_extra={"inactive": False}),
    vs("import", {"valueSet": [VS + "listed"]}),
    vs("bad-import", {"valueSet": [VS + "nowhere"]}),
    vs("loop-a", {"valueSet": [VS + "loop-b"]}),
    vs("loop-b", {"valueSet": [VS + "loop-a"]}),
    vs("broken", {"system": CS, "version": "1.0.0", "filter": [{"property": "concept", "op": "is-a"}]}),
    vs("folded", {"system": "http://example.org/cs/folded"}),
    vs("part", {"system": "http://example.org/cs/part"}),
    vs("two", {"system": CS, "version": "1.0.0"}, {"system": "http://example.org/cs/folded"}),
    vs("supplemented", {"system": CS}, extension=[{"url": "http://hl7.org/fhir/StructureDefinition/valueset-supplement",
                                                   "valueCanonical": "http://example.org/cs/missing"}]),
)


def check(url: str | None = VS + "v1", *codings: Coding, mode: str = "coding", target: str = "ValueSet",
          resources=RESOURCES, **kw):
    req = ValidateRequest(target=target, mode=mode, codings=codings, url=url,
                          codeable_concept={"coding": [{"code": c.code} for c in codings]}
                          if mode == "codeableConcept" else None, **kw)
    return validate_code(ResolutionContext(resources=resources), req)


def coding(code: str, system: str | None = CS, display: str | None = None, version: str | None = None) -> Coding:
    return Coding(system, code, display, version)  # type: ignore[arg-type]


def ids(result) -> list[tuple[str, str | None, str | None, tuple]]:
    return [(i.severity, i.tx_code, i.message_id, i.expression) for i in result.issues]


# --- membership ------------------------------------------------------------------------------------


def test_valid_code_answers_code_system_version_and_display():
    r = check(VS + "v1", coding("red"))
    assert (r.result, r.system, r.code, r.version, r.display) == (True, CS, "red", "1.0.0", "Red")
    assert r.issues == () and not r.message_text


def test_unknown_code_is_not_in_the_value_set_and_unknown_in_the_code_system():
    r = check(VS + "v1", coding("purple"))
    assert r.result is False
    assert sorted(ids(r)) == [("error", "invalid-code", "Unknown_Code_in_Version", ("Coding.code",)),
                              ("error", "not-in-vs", "None_of_the_provided_codes_are_in_the_value_set_one",
                               ("Coding.code",))]
    assert r.message_text == ("The provided code 'http://example.org/cs/colours#purple' was not found in the value set "
                              "'http://example.org/vs/v1|1'; Unknown code 'purple' in the CodeSystem "
                              "'http://example.org/cs/colours' version '1.0.0'")


def test_listed_filtered_excluded_and_imported_value_sets():
    assert check(VS + "listed", coding("red")).result
    assert not check(VS + "listed", coding("grey")).result
    assert check(VS + "warm", coding("orange")).result and not check(VS + "warm", coding("red")).result
    assert not check(VS + "no-red", coding("red")).result and check(VS + "no-red", coding("green")).result
    assert check(VS + "import", coding("red")).result and not check(VS + "import", coding("grey")).result


def test_value_set_marks_a_listed_concept_deprecated():
    r = check(VS + "listed", coding("green"))
    assert r.result and ids(r) == [("warning", "code-comment", "CONCEPT_DEPRECATED_IN_VALUESET", ("Coding.code",))]


def test_codeable_concept_is_valid_when_one_coding_is():
    r = check(VS + "v1", coding("purple"), coding("red"), mode="codeableConcept")
    assert r.result is False  # the unknown code is an error
    r = check(VS + "listed", coding("grey"), coding("red"), mode="codeableConcept")
    assert r.result and r.code == "red"
    assert [i.tx_code for i in r.issues] == ["this-code-not-in-vs"]
    assert r.issues[0].expression == ("CodeableConcept.coding[0].code",)
    bad = check(VS + "listed", coding("grey"), mode="codeableConcept")
    assert "TX_GENERAL_CC_ERROR_MESSAGE" in [i.message_id for i in bad.issues] and bad.code is None


# --- code systems and versions ----------------------------------------------------------------------


def test_unknown_system_and_version_are_results_with_the_cause():
    r = check(VS + "v1", coding("red", system="http://example.org/cs/nothing"))
    assert r.result is False and r.unknown_systems == ("http://example.org/cs/nothing",)
    assert [i.message_id for i in r.issues if i.severity == "error"] == [
        "UNKNOWN_CODESYSTEM", "None_of_the_provided_codes_are_in_the_value_set_one"]
    r = check(VS + "latest", coding("red", version="9.9"))
    assert r.result is False and r.caused_by_unknown == (f"{CS}|9.9",)
    assert any(i.message_id == "UNKNOWN_CODESYSTEM_VERSION" and "Valid versions: 1.0.0 or 2.0.0" in i.text
               for i in r.issues)
    assert any(i.message_id == "VALUESET_VALUE_MISMATCH_DEFAULT" and i.severity == "warning" for i in r.issues)


def test_coding_version_differing_from_the_include_is_reported():
    r = check(VS + "v1", coding("red", version="2.0.0"))
    assert not r.result
    assert [i.message_id for i in r.issues if i.severity == "error"] == ["VALUESET_VALUE_MISMATCH"]
    assert check(VS + "wild", coding("red", version="1.0.0")).result  # 1.x allows 1.0.0


def test_version_rules_force_default_and_check():
    forced = check(VS + "latest", coding("red"), force_system_versions=(f"{CS}|1.0.0",))
    assert forced.result and forced.version == "1.0.0" and forced.display == "Red"
    default = check(VS + "latest", coding("red"), system_versions=(f"{CS}|1.0.0",))
    assert default.version == "1.0.0"
    assert check(VS + "latest", coding("red"), check_system_versions=(f"{CS}|1.x",)).version == "1.0.0"
    checked = check(VS + "v2", coding("red"), check_system_versions=(f"{CS}|1.x",))
    assert not checked.result and [i.message_id for i in checked.issues] == ["VALUESET_VERSION_CHECK"]


def test_code_system_validation_uses_the_whole_code_system_without_value_set_issues():
    ok = check(CS, coding("red"), target="CodeSystem", mode="code")
    assert ok.result and ok.version == "2.0.0"  # the latest version
    bad = check(CS, coding("purple", version="1.0.0"), target="CodeSystem", mode="code")
    assert not bad.result and [i.message_id for i in bad.issues] == ["Unknown_Code_in_Version"]
    assert bad.issues[0].expression == ("code",)
    unknown = check("http://example.org/cs/nothing", coding("x", system=None), target="CodeSystem", mode="code")
    assert not unknown.result and unknown.caused_by_unknown == ("http://example.org/cs/nothing",)


# --- displays -----------------------------------------------------------------------------------------


def test_wrong_display_is_an_error_or_with_lenient_validation_a_warning():
    r = check(VS + "v1", coding("red", display="Blue"))
    assert not r.result and r.issues[0].message_id == "Display_Name_for__should_be_one_of__instead_of"
    assert r.message_text == ("Wrong Display Name 'Blue' for http://example.org/cs/colours#red. Valid display is one "
                              "of 3 choices: 'Red' (en), 'Rot' (de) or 'Röd' (sv) (for the language(s) '--')")
    lenient = check(VS + "v1", coding("red", display="Blue"), lenient_display=True)
    assert lenient.result and lenient.issues[0].severity == "warning"
    assert check(VS + "v1", coding("red", display="red")).result  # case does not matter


def test_display_per_requested_language():
    assert check(VS + "v1", coding("red", display="Rot"), display_language="de").result
    r = check(VS + "v1", coding("red", display="Röd"), display_language="de")
    assert not r.result and "Valid display is 'Rot' (de) (for the language(s) 'de')" in r.message_text
    assert check(VS + "v1", coding("red"), display_language="sv").display == "Röd"
    none_fr = check(VS + "v1", coding("red", display="Red"), display_language="fr")
    assert none_fr.result and none_fr.issues[0].message_id == "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK"
    wrong_fr = check(VS + "v1", coding("red", display="Rouge"), display_language="fr")
    assert not wrong_fr.result and wrong_fr.issues[0].message_id == "NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR"


def test_white_space_difference_has_its_own_message():
    r = check(VS + "v1", coding("green", display="  Green "))
    assert r.issues[0].message_id == "Display_Name_WS_for__should_be_one_of__instead_of"


def test_bad_display_language_is_refused():
    with pytest.raises(TerminologyError) as err:
        check(VS + "v1", coding("red"), display_language="-")
    assert err.value.message_id == "INVALID_DISPLAY_NAME"


# --- concept states and code system kinds -------------------------------------------------------------


def test_inactive_and_retired_concepts_are_valid_with_a_warning_unless_active_only():
    r = check(VS + "v1", coding("grey"))
    assert r.result and r.inactive and r.status == "retired"
    assert r.issues[0].text == "The concept 'grey' has a status of retired and inactive and its use should be reviewed"
    assert r.issues[0].expression == ("Coding",)
    strict = check(VS + "v1", coding("old"), active_only=True)
    assert not strict.result and "STATUS_CODE_WARNING_CODE" in [i.message_id for i in strict.issues]
    assert not check(VS + "active", coding("old")).result


def test_deprecated_concept_is_valid_with_a_warning():
    r = check(VS + "v1", coding("mauve"))
    assert r.result and r.status == "deprecated"
    assert [i.message_id for i in r.issues] == ["DEPRECATED_CONCEPT_FOUND"]


def test_abstract_concept_is_refused_only_when_abstract_is_false():
    assert check(VS + "v1", coding("warm")).result
    r = check(VS + "v1", coding("warm"), abstract_ok=False)
    assert not r.result and "ABSTRACT_CODE_NOT_ALLOWED" in [i.message_id for i in r.issues]


def test_case_insensitive_code_system_normalises_the_code():
    r = check(VS + "folded", coding("ABC", system="http://example.org/cs/folded"))
    assert r.result and r.normalized_code == "abc"
    assert [i.message_id for i in r.issues] == ["CODE_CASE_DIFFERENCE"]


def test_fragment_code_system_makes_an_unknown_code_a_warning():
    r = check(VS + "part", coding("p9", system="http://example.org/cs/part"))
    assert r.result and [(i.severity, i.message_id) for i in r.issues if i.message_id != "MSG_DRAFT"] == [
        ("warning", "UNKNOWN_CODE_IN_FRAGMENT")]


def test_infer_system():
    r = check(VS + "v1", coding("red", system=None), mode="code", infer_system=True)
    assert r.result and r.system == CS
    r = check(VS + "v1", coding("nothing", system=None), mode="code", infer_system=True)
    assert not r.result and "UNABLE_TO_INFER_CODESYSTEM" in [i.message_id for i in r.issues]
    no_system = check(VS + "v1", coding("red", system=None))
    assert no_system.issues[0].message_id == "Coding_has_no_system__cannot_validate"


def test_membership_only_reports_only_membership():
    r = check(VS + "v1", coding("purple"), membership_only=True)
    assert not r.result and [i.tx_code for i in r.issues] == ["not-in-vs"]


# --- errors ---------------------------------------------------------------------------------------------


def test_unknown_value_set_and_broken_definitions_are_errors():
    with pytest.raises(UnknownValueSet):
        check(VS + "nowhere", coding("red"))
    with pytest.raises(InvalidValueSet) as err:
        check(VS + "broken", coding("red"))
    assert err.value.expression == "ValueSet.compose.include[0].filter[0]"
    with pytest.raises(CircularReference):
        check(VS + "loop-a", coding("red"))
    with pytest.raises(MissingSupplement):
        check(VS + "supplemented", coding("red"))


def test_unknown_import_is_a_result():
    r = check(VS + "bad-import", coding("red"))
    assert not r.result and r.issues[0].message_id == "Unable_to_resolve_value_Set_"


def test_inline_code_system_is_used_for_code_system_validation():
    inline = {**COLOURS, "url": "http://example.org/cs/inline", "version": "7"}
    r = check(None, coding("red", system=None), target="CodeSystem", mode="code",
              resources=(inline, *RESOURCES), code_system=inline)
    assert r.result and r.system == "http://example.org/cs/inline" and r.version == "7"


def test_snomed_ct_concepts_in_a_value_set_resource(mini_service):
    """A ValueSet resource that includes SNOMED CT by filter: membership and displays come from the store."""
    sct, tkr = "http://snomed.info/sct", "609588000"
    knees = {"resourceType": "ValueSet", "url": VS + "knees", "status": "active", "compose": {"include": [
        {"system": sct, "filter": [{"property": "concept", "op": "is-a", "value": tkr}]}]}}

    def ask(code: str, display: str | None = None):
        return mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", url=VS + "knees",
                                                     codings=(Coding(sct, code, display),), resources=(knees,)))
    ok = ask(tkr)
    assert ok.result and ok.system == sct and ok.display and ok.version.startswith(sct)
    assert not ask("71388002").result
    assert not ask(tkr, display="Hip replacement").result
