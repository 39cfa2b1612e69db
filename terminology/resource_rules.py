"""What a stored CodeSystem, ValueSet or ConceptMap must satisfy beyond its structure: the code values of the
elements the specification binds *required* to a value set, and unique codes in a CodeSystem.

A required binding means "the element SHALL contain a code from the value set" (R5 terminologies.html#required);
the structure models (``fhir.resources``) check types and cardinality but not these codes, so without this
``status: "bogus"`` or a filter ``op: "bogus-op"`` was stored and broke every later expansion. The tables
list the bindings marked required in the R5 resource definitions (codesystem.html, valueset.html,
conceptmap.html) and, for the R4 wire, the two ConceptMap codes R4 has instead (conceptmap.html in 4.0.1).
CodeSystem.concept.code "SHALL be unique" in the code system (invariant csd-1).

The repository calls :func:`check_resource` on every write (REST create and update, bulk loads, the national
loaders); the API checks R4 bodies with ``fhir_version="4.0"`` before converting them, since the conversion
maps R4 codes to R5 ones.
"""

from __future__ import annotations

from typing import Iterator

from .errors import InvalidRequest

PUBLICATION_STATUS = ("http://hl7.org/fhir/ValueSet/publication-status", ("draft", "active", "retired", "unknown"))
FILTER_OPERATOR = ("http://hl7.org/fhir/ValueSet/filter-operator",
                   ("=", "is-a", "descendent-of", "is-not-a", "regex", "in", "not-in", "generalizes", "child-of",
                    "descendent-leaf", "exists"))
PROPERTY_TYPE = ("http://hl7.org/fhir/ValueSet/concept-property-type",
                 ("code", "Coding", "string", "integer", "boolean", "dateTime", "decimal"))
RELATIONSHIP = ("http://hl7.org/fhir/ValueSet/concept-map-relationship",
                ("related-to", "equivalent", "source-is-narrower-than-target", "source-is-broader-than-target",
                 "not-related-to"))

REQUIRED_R5: dict[str, tuple[tuple[tuple[str, ...], tuple[str, tuple[str, ...]]], ...]] = {
    "CodeSystem": (
        (("status",), PUBLICATION_STATUS),
        (("content",), ("http://hl7.org/fhir/ValueSet/codesystem-content-mode",
                        ("not-present", "example", "fragment", "complete", "supplement"))),
        (("hierarchyMeaning",), ("http://hl7.org/fhir/ValueSet/codesystem-hierarchy-meaning",
                                 ("grouped-by", "is-a", "part-of", "classified-with"))),
        (("filter", "*", "operator", "*"), FILTER_OPERATOR),
        (("property", "*", "type"), PROPERTY_TYPE),
    ),
    "ValueSet": (
        (("status",), PUBLICATION_STATUS),
        (("compose", "include", "*", "filter", "*", "op"), FILTER_OPERATOR),
        (("compose", "exclude", "*", "filter", "*", "op"), FILTER_OPERATOR),
    ),
    "ConceptMap": (
        (("status",), PUBLICATION_STATUS),
        (("group", "*", "element", "*", "target", "*", "relationship"), RELATIONSHIP),
        (("group", "*", "unmapped", "mode"), ("http://hl7.org/fhir/ValueSet/conceptmap-unmapped-mode",
                                              ("use-source-code", "fixed", "other-map"))),
        (("group", "*", "unmapped", "relationship"), RELATIONSHIP),
        (("property", "*", "type"), ("http://hl7.org/fhir/ValueSet/conceptmap-property-type",
                                     ("Coding", "string", "integer", "boolean", "dateTime", "decimal", "code"))),
        (("additionalAttribute", "*", "type"), ("http://hl7.org/fhir/ValueSet/conceptmap-attribute-type",
                                                ("code", "Coding", "string", "boolean", "Quantity"))),
    ),
}
"""Required bindings of the R5 resources: (element path, ``*`` for every item of a list) -> value set."""

REQUIRED_R4_ONLY = {
    "ConceptMap": (
        (("group", "*", "element", "*", "target", "*", "equivalence"), (
            "http://hl7.org/fhir/ValueSet/concept-map-equivalence",
            ("relatedto", "equivalent", "equal", "wider", "subsumes", "narrower", "specializes", "inexact",
             "unmatched", "disjoint"))),
        (("group", "*", "unmapped", "mode"), ("http://hl7.org/fhir/ValueSet/conceptmap-unmapped-mode",
                                              ("provided", "fixed", "other-map"))),
    ),
}
"""The R4 codes that R4 bodies carry instead (checked before they are converted to R5)."""


def check_resource(resource: dict, *, fhir_version: str = "5.0") -> None:
    """Refuse ``resource`` (InvalidRequest naming the element) when a required-bound element holds a code outside
    its value set or, for a CodeSystem, a code appears twice. ``fhir_version`` 4.x checks only the R4-only codes
    (the rest is checked on the converted R5 resource)."""
    kind = resource.get("resourceType")
    rules = REQUIRED_R4_ONLY if fhir_version.startswith("4") else REQUIRED_R5
    for path, (value_set, codes) in rules.get(kind, ()):
        for where, value in _values(resource, path, kind):
            if value not in codes:
                shown = repr(value) if not isinstance(value, str) or len(value) < 60 else repr(value[:60] + "...")
                raise InvalidRequest.plain(
                    f"{where}: {shown} is not a code of {value_set} (a required binding): use "
                    f"{', '.join(codes)}", expression=where)
    if kind == "CodeSystem" and not fhir_version.startswith("4"):
        _unique_codes(resource)


def _values(node, path: tuple[str, ...], where: str) -> Iterator[tuple[str, object]]:
    if not path:
        yield where, node
        return
    head, rest = path[0], path[1:]
    if head == "*":
        for i, item in enumerate(node if isinstance(node, list) else []):
            yield from _values(item, rest, f"{where}[{i}]")
    elif isinstance(node, dict) and head in node:
        yield from _values(node[head], rest, f"{where}.{head}")


def _unique_codes(resource: dict) -> None:
    """CodeSystem invariant csd-1: "Within a code system definition, all the codes SHALL be unique"."""
    seen: dict[str, str] = {}
    stack = [(c, f"CodeSystem.concept[{i}]") for i, c in enumerate(resource.get("concept") or [])][::-1]
    while stack:
        concept, where = stack.pop()
        if not isinstance(concept, dict):
            continue
        code = concept.get("code")
        if code in seen:
            raise InvalidRequest.plain(f"{where}.code: the code {code!r} is already defined at {seen[code]} (codes in "
                                       "a code system are unique)", expression=f"{where}.code")
        seen[code] = where
        children = concept.get("concept") or []
        stack.extend((c, f"{where}.concept[{i}]") for i, c in reversed(list(enumerate(children))))
