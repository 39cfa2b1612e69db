"""ValueSet/$expand over resources (terminology.valuesets): compose semantics, languages, properties, hierarchy,
paging, version rules and errors, on small hand-written resources."""

from __future__ import annotations

import pytest

from terminology import (CircularReference, ExpandRequest, InvalidValueSet, LookupRequest, MissingSupplement,
                         TooCostly, UnknownCodeSystemVersion, UnknownValueSet, VersionCheckFailed)
from terminology.valuesets import ResolutionContext, VersionRules, expand_value_set, lookup_code

from .test_valuesets_providers import SHAPES, SUPPLEMENT, URL

VS = "http://example.org/vs/"


def vs(name: str, *includes: dict, exclude: list | None = None, **extra) -> dict:
    compose: dict = {"include": list(includes)}
    if exclude:
        compose["exclude"] = exclude
    return {"resourceType": "ValueSet", "url": VS + name, "version": "1", "status": "active", "compose": compose,
            **extra}


V2 = {**SHAPES, "version": "2.0.0", "concept": [{"code": "square", "display": "Square (v2)"},
                                                  {"code": "hexagon", "display": "Hexagon"}]}
RESOURCES = (SHAPES, V2, SUPPLEMENT,
             vs("all", {"system": URL, "version": "1.0.0"}),
             vs("latest", {"system": URL}),
             vs("listed", {"system": URL, "version": "1.0.0", "concept": [
                 {"code": "square", "display": "Four corners"}, {"code": "nope"}, {"code": "circle"}]}),
             vs("polygons", {"system": URL, "version": "1.0.0", "filter": [
                 {"property": "concept", "op": "is-a", "value": "polygon"}]}),
             vs("no-polygon", {"system": URL, "version": "1.0.0"}, exclude=[{"system": URL, "version": "1.0.0",
                                                                             "concept": [{"code": "polygon"}]}]),
             vs("import", {"valueSet": [VS + "polygons"]}, {"valueSet": [VS + "listed"]}),
             vs("loop-a", {"valueSet": [VS + "loop-b"]}),
             vs("loop-b", {"system": URL, "version": "1.0.0"}, exclude=[{"valueSet": [VS + "loop-a"]}]),
             vs("broken", {"system": URL, "filter": [{"property": "concept", "op": "is-a"}]}),
             vs("both", {"system": URL, "version": "1.0.0", "concept": [{"code": "square"}]},
                {"system": URL, "version": "2.0.0", "concept": [{"code": "square"}]}),
             vs("pinned-import", {"valueSet": [VS + "all|1"]}))


def expand(name: str | None = None, **kw):
    rules = kw.pop("rules", None)
    ctx = ResolutionContext(resources=RESOURCES, rules=rules)
    req = ExpandRequest(url=VS + name if name else None, **kw)
    return expand_value_set(ctx, req, max_size=kw.pop("max_size", 1000))


def flat(items, depth=0):
    for i in items:
        yield depth, i
        yield from flat(i.contains, depth + 1)


def codes(e) -> list[str]:
    return [i.code for _, i in flat(e.items)]


def params(e) -> dict:
    out: dict = {}
    for p in e.parameters:
        out.setdefault(p.name, []).append(p.value)
    return out


def test_whole_system_is_nested_by_hierarchy_unless_exclude_nested():
    e = expand("all")
    assert e.total == 6
    assert [(d, i.code) for d, i in flat(e.items)] == [
        (0, "shape"), (1, "polygon"), (2, "triangle"), (2, "square"), (1, "circle"), (1, "oval")]
    assert [i.code for i in expand("all", exclude_nested=True).items] == codes(e)
    assert params(e)["used-codesystem"] == [URL + "|1.0.0"]


def test_item_flags_and_status_property():
    items = {i.code: i for _, i in flat(expand("all").items)}
    assert items["shape"].abstract and items["circle"].inactive
    assert [(p.code, p.value) for p in items["oval"].properties] == [("status", "deprecated")]
    assert items["square"].properties == ()


def test_listed_codes_stay_flat_use_the_value_set_display_and_skip_unknown_codes():
    e = expand("listed")
    assert [(d, i.code, i.display) for d, i in flat(e.items)] == [(0, "square", "Four corners"),
                                                                    (0, "circle", "Circle")]


def test_active_only_and_exclusions_reattach_children_to_the_nearest_ancestor():
    assert "circle" not in codes(expand("all", active_only=True))
    e = expand("no-polygon")
    assert [(d, i.code) for d, i in flat(e.items)][:3] == [(0, "shape"), (1, "triangle"), (1, "square")]


def test_filters_and_imports_intersect():
    assert codes(expand("polygons")) == ["polygon", "triangle", "square"]
    e = expand("import")
    assert codes(e) == ["polygon", "triangle", "square", "circle"]
    assert params(e)["used-valueset"] == [VS + "polygons|1", VS + "listed|1"]


def test_text_filter_count_and_offset():
    e = expand("all", filter="squ")
    assert codes(e) == ["square"] and e.total == 1
    page = expand("all", count=2, offset=1)
    assert page.total == 6 and [i.code for i in page.items] == ["polygon", "triangle"]
    assert params(page)["count"] == [2] and params(page)["offset"] == [1]


def test_too_costly_without_count():
    with pytest.raises(TooCostly) as err:
        expand("all", max_size=3)
    assert err.value.message_id == "VALUESET_TOO_COSTLY" and VS + "all|1" in err.value.text
    assert expand("all", max_size=3, count=2).total == 6


def test_display_language_designations_and_properties():
    e = expand("all", display_language="sv", include_designations=True, properties=("sides", "definition"))
    square = {i.code: i for _, i in flat(e.items)}["square"]
    assert square.display == "Kvadrat"
    assert [(d.language, d.value) for d in square.designations] == [("en", "Square")]
    assert {(p.code, p.value) for p in square.properties} == {("sides", 4), ("definition", "Four equal sides")}
    assert dict(e.property_defs)["definition"] == "http://hl7.org/fhir/concept-properties#definition"
    hard = expand("all", display_language="sv, *; q=0")
    assert {i.code: i.display for _, i in flat(hard.items)}["triangle"] is None
    assert params(hard)["displayLanguage"] == ["sv, *; q=0"]


def test_supplements_are_applied_when_asked_and_missing_ones_refused():
    e = expand("all", use_supplements=("http://example.org/cs/shapes-de",), include_designations=True,
               display_language="de")
    square = {i.code: i for _, i in flat(e.items)}["square"]
    assert square.display == "Quadrat" and ("label", "b.") in [(p.code, p.value) for p in square.properties]
    assert params(e)["used-supplement"] == ["http://example.org/cs/shapes-de|2"]
    with pytest.raises(MissingSupplement):
        expand("all", use_supplements=("http://example.org/cs/missing",))


def test_versions_latest_default_force_and_check():
    assert codes(expand("latest")) == ["square", "hexagon"]
    default = expand("latest", rules=VersionRules.from_canonicals(defaults=[URL + "|1.0.0"]))
    assert len(codes(default)) == 6 and params(default)["system-version"] == [URL + "|1.0.0"]
    forced = expand("all", rules=VersionRules.from_canonicals(forced=[URL + "|2.x"]))
    assert codes(forced) == ["square", "hexagon"] and params(forced)["force-system-version"] == [URL + "|2.x"]
    with pytest.raises(VersionCheckFailed):
        expand("all", rules=VersionRules.from_canonicals(checks=[URL + "|2.0.x"]))
    both = expand("both")
    assert [(i.code, i.version) for i in both.items] == [("square", "2.0.0"), ("square", "1.0.0")]


def test_errors():
    with pytest.raises(CircularReference) as err:
        expand("loop-a")
    assert err.value.message_id == "VALUESET_CIRCULAR_REFERENCE"
    with pytest.raises(InvalidValueSet) as err:
        expand("broken")
    assert err.value.expression == "ValueSet.compose.include[0].filter[0]"
    with pytest.raises(UnknownValueSet):
        expand("nowhere")
    bad = vs("bad-version", {"system": URL, "version": "9"})
    with pytest.raises(UnknownCodeSystemVersion) as err:
        expand(value_set=bad)
    assert err.value.text.endswith("Valid versions: 1.0.0 or 2.0.0")


def test_inline_value_set_and_default_value_set_version():
    inline = vs("inline", {"valueSet": [VS + "all"]})
    assert expand(value_set=inline).total == 6
    ctx = ResolutionContext(resources=RESOURCES, rules=VersionRules.from_canonicals(
        value_set_defaults=[VS + "all|2"]))
    with pytest.raises(UnknownValueSet) as err:
        expand_value_set(ctx, ExpandRequest(value_set=inline), max_size=100)
    assert err.value.message_id == "VS_EXP_IMPORT_UNK_PINNED"


def test_lookup_on_a_resource():
    ctx = ResolutionContext(resources=RESOURCES)
    r = lookup_code(ctx, LookupRequest(system=URL, code="square", version="1.0.0"))
    assert (r.name, r.version, r.display, r.definition) == ("Shapes", "1.0.0", "Square", "Four equal sides")
    props = {(p.code, str(p.value)) for p in r.properties}
    assert {("parent", "polygon"), ("sides", "4"), ("inactive", "False")} <= props
    assert r.abstract is False
    supplemented = lookup_code(ctx, LookupRequest(system=URL, code="square", version="1.0.0",
                                                  use_supplements=("http://example.org/cs/shapes-de",)))
    assert ("de", "http://example.org/cs/shapes-de|2") in [(d.language, d.source) for d in supplemented.designations]
