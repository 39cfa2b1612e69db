"""Code systems defined by CodeSystem resources (terminology.providers.resource) and canonical versions
(terminology.valuesets.versions), on small hand-written resources."""

from __future__ import annotations

import time

import pytest

from terminology import InvalidRequest, TooCostly
from terminology.providers import ResourceCodeSystem
from terminology.providers.patterns import PatternMatcher
from terminology.valuesets import versions

URL = "http://example.org/cs/shapes"

SHAPES = {
    "resourceType": "CodeSystem", "url": URL, "version": "1.0.0", "name": "Shapes", "status": "active",
    "content": "complete", "caseSensitive": False, "language": "en",
    "property": [{"code": "sides", "type": "integer"},
                 {"code": "status", "uri": "http://hl7.org/fhir/concept-properties#status", "type": "code"},
                 {"code": "abstract", "uri": "http://hl7.org/fhir/concept-properties#notSelectable",
                  "type": "boolean"},
                 {"code": "broader", "uri": "http://hl7.org/fhir/concept-properties#parent", "type": "code"}],
    "concept": [
        {"code": "shape", "display": "Shape", "property": [{"code": "abstract", "valueBoolean": True}], "concept": [
            {"code": "polygon", "display": "Polygon", "concept": [
                {"code": "triangle", "display": "Triangle", "property": [{"code": "sides", "valueInteger": 3}]},
                {"code": "square", "display": "Square", "definition": "Four equal sides",
                 "designation": [{"language": "sv", "value": "Kvadrat"}],
                 "property": [{"code": "sides", "valueInteger": 4}]}]},
            {"code": "circle", "display": "Circle", "property": [{"code": "status", "valueCode": "retired"}]}]},
        {"code": "oval", "display": "Oval", "property": [{"code": "broader", "valueCode": "shape"},
                                                          {"code": "status", "valueCode": "deprecated"}]},
    ]}

SUPPLEMENT = {
    "resourceType": "CodeSystem", "url": "http://example.org/cs/shapes-de", "version": "2", "status": "active",
    "content": "supplement", "supplements": URL,
    "property": [{"code": "corners", "type": "integer"}],
    "concept": [{"code": "SQUARE", "designation": [{"language": "de", "value": "Quadrat"}],
                 "property": [{"code": "corners", "valueInteger": 4}],
                 "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/codesystem-label", "valueString": "b."}]}],
}


@pytest.fixture(scope="module")
def shapes() -> ResourceCodeSystem:
    return ResourceCodeSystem(SHAPES)


def codes(selection) -> list[str]:
    return list(selection.codes())


def test_hierarchy_from_nesting_and_parent_properties(shapes):
    assert codes(shapes.all_codes()) == ["shape", "polygon", "triangle", "square", "circle", "oval"]
    assert shapes.locate("oval").parents == ("shape",)
    assert set(shapes.locate("shape").children) == {"polygon", "circle", "oval"}
    assert shapes.is_hierarchical
    assert shapes.subsumes("shape", "oval") == "subsumes"
    assert shapes.subsumes("triangle", "polygon") == "subsumed-by"
    assert shapes.subsumes("circle", "square") == "not-subsumed"


def test_case_insensitive_code_system_finds_codes_in_any_case(shapes):
    assert shapes.locate("SQUARE").code == "square"
    assert ResourceCodeSystem({**SHAPES, "caseSensitive": True}).locate("SQUARE") is None


def test_status_inactive_abstract_deprecated(shapes):
    circle, oval, shape = shapes.locate("circle"), shapes.locate("oval"), shapes.locate("shape")
    assert circle.inactive and circle.status == "retired"
    assert oval.deprecated and not oval.inactive
    assert shape.abstract  # notSelectable by property URI, whatever its code


@pytest.mark.parametrize("prop, op, value, expected", [
    ("concept", "is-a", "polygon", ["polygon", "triangle", "square"]),
    ("concept", "descendent-of", "polygon", ["triangle", "square"]),
    ("concept", "is-not-a", "polygon", ["shape", "circle", "oval"]),
    ("concept", "generalizes", "square", ["shape", "polygon", "square"]),
    ("concept", "child-of", "shape", ["polygon", "circle", "oval"]),
    ("concept", "descendent-leaf", "shape", ["triangle", "square", "circle", "oval"]),
    ("concept", "in", "oval, circle", ["circle", "oval"]),
    ("code", "regex", "[a-z]{6}", ["square", "circle"]),
    ("sides", "=", "4", ["square"]),
    ("sides", "in", "3,4", ["triangle", "square"]),
    ("sides", "not-in", "3", ["shape", "polygon", "square", "circle", "oval"]),
    ("sides", "exists", "true", ["triangle", "square"]),
    ("sides", "exists", "false", ["shape", "polygon", "circle", "oval"]),
    ("status", "=", "retired", ["circle"]),
    ("inactive", "=", "true", ["circle"]),
    ("display", "regex", "S.*", ["shape", "square"]),
])
def test_filters(shapes, prop, op, value, expected):
    assert codes(shapes.filter(prop, op, value)) == expected


def test_filter_errors(shapes):
    with pytest.raises(InvalidRequest):
        shapes.filter("sides", "is-a", "3")
    with pytest.raises(InvalidRequest):
        shapes.filter("code", "regex", "(unclosed")
    with pytest.raises(InvalidRequest):
        shapes.filter("sides", "exists", "maybe")


def test_regex_runs_within_a_time_budget():
    matcher = PatternMatcher("(a+)+$", budget=0.0)
    time.sleep(0.001)
    with pytest.raises(TooCostly):
        matcher.matches("a" * 30 + "b")
    assert PatternMatcher("((a+)+)+").matches("a" * 56)  # the HL7 regex-bad pattern finishes quickly


def test_supplement_adds_designations_properties_and_labels():
    cs = ResourceCodeSystem(SHAPES, [SUPPLEMENT])
    square = cs.locate("square")
    assert [(d.language, d.value, d.source) for d in square.designations] == [
        ("sv", "Kvadrat", None), ("de", "Quadrat", "http://example.org/cs/shapes-de|2")]
    assert any(p.code == "corners" and p.value == 4 for p in square.properties)
    assert [(p.code, p.value) for p in square.annotations] == [("label", "b.")]
    assert cs.supplements == ("http://example.org/cs/shapes-de|2",)
    assert {d.code for d in cs.property_defs} >= {"sides", "corners"}


@pytest.mark.parametrize("pattern, version, ok", [
    ("1.0.0", "1.0.0", True), ("1.0.x", "1.0.7", True), ("1.x.x", "1.2.0", True), ("1.x", "1.2.0", True),
    ("1.0.*", "1.0.3", True), ("1.0.x", "1.2.0", False), ("1", "1.0.0", False), (None, "9", True),
])
def test_version_patterns(pattern, version, ok):
    assert versions.matches(pattern, version) is ok


def test_latest_is_semver_aware():
    assert versions.latest(["1.9.0", "1.10.0", "1.2.0"]) == "1.10.0"
    assert versions.latest(["2.0.0-beta", "2.0.0"]) == "2.0.0"
    assert versions.latest(["20240101", "20231231"]) == "20240101"
    found = versions.pick([{"v": "1.0.0"}, {"v": "1.2.0"}, {"v": "2.0.0"}], "1.x", lambda r: r["v"])
    assert found == {"v": "1.2.0"}
    assert versions.join_versions(["1.2.0", "1.0.0"]) == "1.0.0 or 1.2.0"
    assert versions.split_canonical("http://x|1.0") == ("http://x", "1.0")
