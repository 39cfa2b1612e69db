"""Post-coordinated SNOMED CT expressions through the one engine, on SQLite and PostgreSQL: ``$validate-code``
(concepts, attributes, the MRCM, terms, display), ``$lookup`` (display, normal forms), ``$subsumes``, membership
in filters and ECL value sets, compose lists and the ``expressions`` filter, and the command line. The cases are
``tests/cases/expressions.yaml``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from scripts.cli import main
from scripts.loading import load_rf2
from terminology import (Coding, Database, ExpandRequest, InvalidCode, LookupRequest, SubsumesRequest,
                         TerminologyService, UnknownCode, Unsupported, ValidateRequest)

from .conftest import MINI

SCT = "http://snomed.info/sct"
CASES = yaml.safe_load((Path(__file__).parent / "cases" / "expressions.yaml").read_text("utf-8"))
NESTED = "609588000 |Total knee replacement| : { 363704007 |Procedure site| = ( 49076000 |Knee joint structure| : " \
         "272741003 |Laterality| = 24028007 |Right side| ) }"


def _validate(service: TerminologyService, code: str, **kw):
    return service.validate(ValidateRequest(target="CodeSystem", mode="code", url=SCT, codings=(Coding(SCT, code),),
                                            **kw))


@pytest.mark.parametrize("case", CASES["validate"], ids=lambda c: c["name"])
def test_validate(mini_service, case):
    result = _validate(mini_service, case["code"])
    assert result.result is case["valid"], [i.text for i in result.issues]
    if case["valid"]:
        assert [i.severity for i in result.issues] == []  # the fixture has an MRCM: nothing to note
        assert result.code == case["code"]
        if "display" in case:
            assert result.display == case["display"]
        if "display_sv" in case:
            assert _validate(mini_service, case["code"], display_language="sv").display == case["display_sv"]
        return
    unknown, why = result.issues
    assert (unknown.severity, unknown.tx_code, unknown.message_id, unknown.expression) == \
        ("error", "invalid-code", "Unknown_Code_in_Version", ("code",))
    assert unknown.text.startswith(f"Unknown code '{case['code']}' in the CodeSystem '{SCT}'")
    assert (why.severity, why.code, why.tx_code, why.expression) == ("information", "code-invalid", "invalid-code",
                                                                     ("code",))
    assert why.text.startswith("Not a valid expression: ") and case["problem"] in why.text, why.text


@pytest.mark.parametrize("case", CASES["terms"], ids=lambda c: c["name"])
def test_terms_in_pipes(mini_service, case):
    result = _validate(mini_service, case["code"])
    if "wrong" not in case:
        assert result.result and not result.issues
        return
    assert not result.result and result.display  # the code is known, its display is not right
    [found] = result.issues
    assert (found.severity, found.tx_code, found.expression) == ("error", "invalid-display", ("code",))
    assert found.text.startswith(case["wrong"]) and "'Knee joint structure'" in found.text
    lenient = _validate(mini_service, case["code"], lenient_display=True)
    assert lenient.result and [i.severity for i in lenient.issues] == ["warning"]


def test_the_display_of_the_coding_is_checked_against_the_rendered_expression(mini_service):
    code = "49076000 : 272741003 = 24028007"
    service_validate = _validate(mini_service, code)
    assert service_validate.result
    right = mini_service.validate(ValidateRequest(target="CodeSystem", mode="coding", url=SCT, codings=(
        Coding(SCT, code, "49076000|Knäled|:272741003|Laterality|=24028007|Höger|"),)))
    assert right.result, [i.text for i in right.issues]
    wrong = mini_service.validate(ValidateRequest(target="CodeSystem", mode="coding", url=SCT, codings=(
        Coding(SCT, code, "Right knee"),)))
    assert not wrong.result and any(i.tx_code == "invalid-display" for i in wrong.issues)
    assert service_validate.display == "49076000|Knee joint structure|:272741003|Laterality|=24028007|Right side|"


def test_an_edition_without_an_mrcm_says_the_expression_was_not_checked_against_one(tmp_path):
    release = tmp_path / "mini"
    shutil.copytree(MINI, release, ignore=shutil.ignore_patterns("*MRCM*", "source", "*.py", "*.md"))
    db = Database(f"sqlite:///{tmp_path / 'vardterm.db'}")
    db.initialise()
    load_rf2(db, [release])
    service = TerminologyService(db, refresh_seconds=0)
    laterality_on_a_procedure = _validate(service, "609588000 : 272741003 = 24028007")
    assert laterality_on_a_procedure.result
    [note] = laterality_on_a_procedure.issues
    assert (note.severity, note.code, note.tx_code, note.message_id, note.text) == (
        "information", "informational", "process-note", "SCT_NO_MRCM",
        "Not validated against the Machine Readable Concept Model (MRCM)")
    db.dispose()


def test_lookup(mini_service):
    found = mini_service.lookup(LookupRequest(system=SCT, code=NESTED))
    assert found.code == NESTED
    assert found.display == ("609588000|Total knee replacement|:{363704007|Procedure site|=(49076000|Knee joint "
                             "structure|:272741003|Laterality|=24028007|Right side|)}")
    assert [d.value for d in found.designations] == [found.display]
    props = {}
    for p in found.properties:
        props.setdefault(p.code, []).append(p)
    assert props["inactive"][0].value is False
    # Total knee replacement is defined: its proximal primitive supertype and its definition, plus the refinement
    assert props["normalFormTerse"][0].value == ("=== 19063003:{260686004=713295009,405813007=49076000},"
                                                 "{363704007=(49076000:272741003=24028007)}")
    assert props["normalForm"][0].value.startswith("=== 19063003 |Knee joint arthroplasty| : { 260686004 |Method| =")
    assert [(p.value, p.description) for p in props["parent"]] == [("609588000", "Total knee replacement")]
    site = props["363704007"][0]
    assert (site.value, site.code_display) == ("49076000:272741003=24028007", "Procedure site")
    assert props["405813007"][0].value == "49076000" and props["405813007"][0].description == "Knee joint structure"
    only = mini_service.lookup(LookupRequest(system=SCT, code=NESTED, properties=("normalFormTerse",)))
    assert [p.code for p in only.properties] == ["normalFormTerse"]
    swedish = mini_service.lookup(LookupRequest(system=SCT, code=NESTED, display_language="sv"))
    assert swedish.display.startswith("609588000|Total knäledsplastik|")


def test_lookup_of_an_invalid_expression_says_why(mini_service):
    with pytest.raises(InvalidCode) as info:
        mini_service.lookup(LookupRequest(system=SCT, code="609588000 : { 363704007 = 99900003009 }"))
    assert "Not a valid expression: the concept 99900003009 |Knee replacement| at position 27 is inactive" in \
        str(info.value)
    with pytest.raises(UnknownCode):  # a number stays an unknown code
        mini_service.lookup(LookupRequest(system=SCT, code="123456001"))


@pytest.mark.parametrize("a, b, outcome", CASES["subsumes"], ids=lambda v: str(v)[:30])
def test_subsumes(mini_service, a, b, outcome):
    request = SubsumesRequest(system=SCT, code_a=str(a), code_b=str(b))
    if outcome == "error":
        with pytest.raises(Unsupported, match="Unable to determine the subsumption relationship"):
            mini_service.subsumes(request)
        return
    assert mini_service.subsumes(request) == outcome


def test_subsumes_with_an_invalid_expression_names_it(mini_service):
    with pytest.raises(InvalidCode) as info:
        mini_service.subsumes(SubsumesRequest(system=SCT, code_a="609588000", code_b="609588000 : { 363704007 = }"))
    assert info.value.expression == "codeB" and info.value.tx_code == "invalid-code"
    assert "Unknown code '609588000 : { 363704007 = }'" in str(info.value) and "position 27" in str(info.value)


@pytest.mark.parametrize("fltr, code, member", CASES["member"], ids=lambda v: str(v)[:40])
def test_membership_in_filters(mini_service, fltr, code, member):
    vs = {"resourceType": "ValueSet", "status": "active", "url": "http://example.org/vs/pc",
          "compose": {"include": [{"system": SCT, "filter": [fltr]}]}}
    found = mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", value_set=vs,
                                                  codings=(Coding(SCT, code),)))
    assert found.result is member, [i.text for i in found.issues]


@pytest.mark.parametrize("url, member", [
    (f"{SCT}?fhir_vs", True),
    (f"{SCT}?fhir_vs=isa/71388002", True),
    (f"{SCT}?fhir_vs=isa/404684003", False),
    (f"{SCT}?fhir_vs=refset/99900111000052105", False),
    (SCT + "?fhir_vs=ecl/<< 71388002 : { 363704007 = (<< 49076000 : 272741003 = 24028007) }", True),
    (SCT + "?fhir_vs=ecl/<< 71388002 : { 363704007 = (<< 49076000 : 272741003 = 7771000) }", False),
])
def test_membership_in_implicit_value_sets(mini_service, url, member):
    found = mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", url=url,
                                                  codings=(Coding(SCT, NESTED),)))
    assert found.result is member
    if member:
        assert found.display.startswith("609588000|Total knee replacement|:{")


def test_compose_lists_keep_expressions_with_their_display(mini_service):
    vs = {"resourceType": "ValueSet", "status": "active", "url": "http://example.org/vs/listed",
          "compose": {"include": [{"system": SCT, "concept": [
              {"code": "609588000"}, {"code": "609588000:{363704007=(49076000:272741003=24028007)}"},
              {"code": "609588000:{363704007=123456001}"}]}]}}
    e = mini_service.expand(ExpandRequest(value_set=vs))
    assert [(i.code, i.display) for i in e.items] == [
        ("609588000", "Total knee replacement"),
        ("609588000:{363704007=(49076000:272741003=24028007)}",
         "609588000|Total knee replacement|:{363704007|Procedure site|=(49076000|Knee joint structure|:272741003|"
         "Laterality|=24028007|Right side|)}")]
    assert not e.unclosed
    listed = mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", value_set=vs, codings=(
        Coding(SCT, "609588000:{363704007=(49076000:272741003=24028007)}"),)))
    assert listed.result
    only_its_focus = mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", value_set=vs, codings=(
        Coding(SCT, "609588000:{363704007=(49076000:272741003=7771000)}"),)))
    assert not only_its_focus.result


@pytest.mark.parametrize("allowed", ["true", "false"])
def test_the_expressions_filter(mini_service, allowed):
    vs = {"resourceType": "ValueSet", "status": "active", "url": f"http://example.org/vs/{allowed}",
          "compose": {"include": [{"system": SCT, "filter": [
              {"property": "concept", "op": "is-a", "value": "609588000"},
              {"property": "expressions", "op": "=", "value": allowed}]}]}}
    e = mini_service.expand(ExpandRequest(value_set=vs))
    plain = mini_service.expand(ExpandRequest(url=f"{SCT}?fhir_vs=isa/609588000"))
    assert [i.code for i in e.items] == [i.code for i in plain.items]  # an expansion never lists expressions
    assert e.unclosed is (allowed == "true")  # ... so it is unclosed when they are members
    found = mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", value_set=vs,
                                                  codings=(Coding(SCT, NESTED),)))
    assert found.result is (allowed == "true")
    concept = mini_service.validate(ValidateRequest(target="ValueSet", mode="coding", value_set=vs,
                                                    codings=(Coding(SCT, "609588000"),)))
    assert concept.result


def test_the_command_line(mini_dbs, backend):
    url = mini_dbs(backend).url.render_as_string(hide_password=False)
    run = CliRunner().invoke
    ok = run(main, ["--database-url", url, "expression", "validate", "--language", "sv", NESTED])
    assert ok.exit_code == 0 and ok.output.splitlines()[:2] == [
        "valid", "display: 609588000|Total knäledsplastik|:{363704007|Procedure site|=(49076000|Knäled|:272741003|"
                 "Laterality|=24028007|Höger|)}"]
    bad = run(main, ["--database-url", url, "expression", "validate", "609588000 : 272741003 = 24028007"])
    assert bad.exit_code == 1 and bad.output.startswith("not valid\nerror: Unknown code")
    assert "does not allow the attribute 272741003 |Laterality| (position 13)" in bad.output
    nf = run(main, ["--database-url", url, "expression", "normalize", NESTED])
    assert nf.exit_code == 0 and nf.output.splitlines()[1] == \
        "=== 19063003:{260686004=713295009,405813007=49076000},{363704007=(49076000:272741003=24028007)}"
    sub = run(main, ["--database-url", url, "expression", "subsumes", "609588000", NESTED])
    assert (sub.exit_code, sub.output) == (0, "subsumes\n")
    unknown = run(main, ["--database-url", url, "expression", "subsumes", "71388002:{363704007=24136001}", "609588000"])
    assert unknown.exit_code == 1 and "Unable to determine the subsumption relationship" in unknown.output
    assert "Traceback" not in unknown.output
    for command in ("validate", "normalize", "subsumes"):
        assert run(main, ["expression", command, "--help"]).exit_code == 0


def test_a_codeable_concept_with_an_expression(mini_service):
    codings = (Coding(SCT, "404684003"), Coding(SCT, NESTED))
    found = mini_service.validate(ValidateRequest(
        target="ValueSet", mode="codeableConcept", url=f"{SCT}?fhir_vs=isa/71388002", codings=codings,
        codeable_concept={"coding": [{"system": SCT, "code": c.code} for c in codings]}))
    assert found.result and found.code == NESTED and found.display.startswith("609588000|Total knee replacement|")
    assert [(i.tx_code, i.expression) for i in found.issues] == [
        ("this-code-not-in-vs", ("CodeableConcept.coding[0].code",))]
    invalid = mini_service.validate(ValidateRequest(
        target="ValueSet", mode="codeableConcept", url=f"{SCT}?fhir_vs=isa/71388002",
        codings=(Coding(SCT, "609588000 : 272741003 = 24028007"),),
        codeable_concept={"coding": [{"system": SCT, "code": "609588000 : 272741003 = 24028007"}]}))
    assert not invalid.result
    assert any(i.expression == ("CodeableConcept.coding[0].code",) and i.text.startswith("Not a valid expression")
               for i in invalid.issues)
