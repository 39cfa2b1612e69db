"""A code system defined by a FHIR R5 CodeSystem resource (sent as ``tx-resource`` or kept by the server).

Rules implemented (FHIR R5 codesystem.html and the concept properties of
http://hl7.org/fhir/concept-properties):

* The hierarchy comes from nested ``concept`` elements *and* from the ``parent`` / ``child`` properties
  (property code ``parent``/``child`` or a property whose ``uri`` is ``concept-properties#parent``/``#child``).
* ``caseSensitive`` false: codes are found whatever their case.
* A concept is inactive when its ``inactive`` property is true or its ``status`` is ``retired`` or
  ``inactive``; ``deprecated`` (status, or the ``structuredefinition-standards-status`` extension) keeps it
  active. ``notSelectable`` (by code, or by the ``#notSelectable`` URI) makes it abstract.
* Supplements (``CodeSystem.supplements``, R5 §"Code System Supplements") add designations, properties and
  the label/order/weight/rendering extensions to concepts of the supplemented system; designations taken
  from a supplement remember it as their ``source``.
* Standard concept extensions become properties, as tx.fhir.org reports them in expansions:
  ``codesystem-conceptOrder`` -> ``order``, ``codesystem-label`` -> ``label``, ``itemWeight`` -> ``weight``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Iterable, Iterator, Sequence

from ..errors import InvalidRequest
from ..model import Coding, Designation, Property
from .base import CONCEPT_PROPERTIES, CodeSet, ConceptInfo, PropertyDef, SubsumptionOutcome, canonical
from .patterns import PatternMatcher

SD = "http://hl7.org/fhir/StructureDefinition/"
EXT_CONCEPT_ORDER = SD + "codesystem-conceptOrder"
EXT_LABEL = SD + "codesystem-label"
EXT_ITEM_WEIGHT = SD + "itemWeight"
EXT_STANDARDS_STATUS = SD + "structuredefinition-standards-status"
PASS_THROUGH_EXTENSIONS = (SD + "rendering-style", SD + "rendering-xhtml")
"""Concept extensions copied unchanged into expansions."""

ANNOTATION_URIS = {"order": CONCEPT_PROPERTIES + "#order", "label": CONCEPT_PROPERTIES + "#label",
                   "weight": CONCEPT_PROPERTIES + "#itemWeight"}

_INACTIVE_STATUSES = ("retired", "inactive")


def property_value(p: dict) -> Property | None:
    """A ``concept.property`` element as a :class:`Property` (None when it has no value)."""
    for key, value in p.items():
        if key.startswith("value") and len(key) > 5:
            kind = key[5:]
            kind = kind if kind == "Coding" else kind[0].lower() + kind[1:]
            if kind == "Coding":
                value = Coding(value.get("system", ""), value.get("code", ""), value.get("display"),
                               value.get("version"))
            return Property(p.get("code", ""), kind, value)
    return None


def value_text(value: object) -> str:
    """The string form a filter compares: ``true``/``false`` for booleans, the code of a Coding."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Coding):
        return value.code
    return str(value)


def designation(d: dict, *, source: str | None = None) -> Designation:
    use = d.get("use")
    return Designation(
        language=d.get("language"),
        use=Coding(use.get("system", ""), use.get("code", ""), use.get("display")) if use else None,
        value=d.get("value", ""),
        additional_use=tuple(Coding(u.get("system", ""), u.get("code", ""), u.get("display"))
                             for u in d.get("additionalUse", [])),
        extensions=tuple(d.get("extension", [])), source=source)


@dataclass
class _Node:
    code: str
    element: dict
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    supplements: list[tuple[str, dict]] = field(default_factory=list)
    """(supplement canonical, concept element of the supplement)."""


class ResourceCodeSystem:
    """:class:`~terminology.providers.base.CodeSystemProvider` over a CodeSystem resource (R5 JSON)."""

    query_selections = False
    chooses_display = False
    """Displays are chosen among the concept's designations by the engine (:mod:`..valuesets.languages`)."""

    def __init__(self, resource: dict, supplements: Sequence[dict] = ()) -> None:
        self.resource = resource
        self.url: str = resource.get("url", "")
        self.version: str | None = resource.get("version")
        self.name: str | None = resource.get("name")
        self.title: str | None = resource.get("title")
        self.status: str | None = resource.get("status")
        self.content: str = resource.get("content", "complete")
        self.case_sensitive: bool = bool(resource.get("caseSensitive", False))
        self.language: str | None = resource.get("language")
        self.hierarchy_meaning: str | None = resource.get("hierarchyMeaning")
        self.experimental: bool = bool(resource.get("experimental", False))
        defs = [PropertyDef(p.get("code", ""), p.get("uri"), p.get("type"), p.get("description"))
                for p in resource.get("property", [])]
        for s in supplements:
            known = {d.code for d in defs}
            defs += [PropertyDef(p.get("code", ""), p.get("uri"), p.get("type"), p.get("description"))
                     for p in s.get("property", []) if p.get("code") not in known]
        self.property_defs: tuple[PropertyDef, ...] = tuple(defs)
        self.supplements: tuple[str, ...] = tuple(canonical(s.get("url", ""), s.get("version")) for s in supplements)
        self._nodes: dict[str, _Node] = {}
        self._roots: list[str] = []
        self._nested = False
        self._read(resource.get("concept", []), None)
        self._folded = None if self.case_sensitive else {c.casefold(): c for c in self._nodes}
        self._link_properties()
        for s, key in zip(supplements, self.supplements):
            self._merge(s, key)
        self._infos: dict[str, ConceptInfo] = {}

    # --- building ---------------------------------------------------------------------------------

    def _read(self, concepts: list, parent: str | None) -> None:
        for c in concepts:
            code = c.get("code")
            if not isinstance(code, str):
                continue
            node = self._nodes.get(code)
            if node is None:
                node = self._nodes[code] = _Node(code, c)
            if parent is None:
                self._roots.append(code)
            else:
                self._nested = True
                self._link(parent, code)
            self._read(c.get("concept", []), code)

    def _link(self, parent: str, child: str) -> None:
        parent = self._find_code(parent) or parent
        p, c = self._nodes.get(parent), self._nodes.get(child)
        if p is None or c is None or parent in c.parents or parent == child:
            return
        c.parents.append(parent)
        p.children.append(child)

    def _codes_for(self, name: str) -> set[str]:
        """Property codes meaning the standard concept property ``name`` (by code or by URI)."""
        return {name} | {d.code for d in self.property_defs if d.uri == f"{CONCEPT_PROPERTIES}#{name}"}

    def _link_properties(self) -> None:
        parent_codes, child_codes = self._codes_for("parent"), self._codes_for("child")
        for node in list(self._nodes.values()):
            for p in node.element.get("property", []):
                value = p.get("valueCode") or (p.get("valueCoding") or {}).get("code")
                if not value:
                    continue
                if p.get("code") in parent_codes:
                    self._link(value, node.code)
                elif p.get("code") in child_codes:
                    self._link(node.code, value)
        self._roots = [c for c in dict.fromkeys(self._roots) if not self._nodes[c].parents]
        self._roots += [c for c, n in self._nodes.items() if not n.parents and c not in self._roots]

    def _merge(self, supplement: dict, key: str) -> None:
        def walk(concepts: list) -> None:
            for c in concepts:
                code = self._find_code(c.get("code", ""))
                if code is not None:
                    self._nodes[code].supplements.append((key, c))
                walk(c.get("concept", []))
        walk(supplement.get("concept", []))

    def _find_code(self, code: str) -> str | None:
        if code in self._nodes:
            return code
        if getattr(self, "_folded", None) is None:
            return None
        return self._folded.get(code.casefold()) if self._folded is not None else None

    # --- the provider interface ---------------------------------------------------------------------

    @property
    def is_hierarchical(self) -> bool:
        """True when the resource nests concepts. A hierarchy given only by ``parent`` properties is used for
        subsumption and filters, but expansions stay flat (as tx.fhir.org answers for THO code systems)."""
        return self._nested

    def locate(self, code: str) -> ConceptInfo | None:
        found = self._find_code(code)
        return self._info(found) if found is not None else None

    def code_problem(self, code: str) -> None:
        """A code that is not found is unknown; there is nothing more to say."""
        return None

    def roots(self) -> tuple[str, ...]:
        return tuple(self._roots)

    @cached_property
    def _order(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}

        def visit(code: str) -> None:
            if code in seen:
                return
            seen[code] = None
            for child in self._nodes[code].children:
                visit(child)
        for root in self._roots:
            visit(root)
        for code in self._nodes:
            visit(code)
        return tuple(seen)

    def all_codes(self) -> CodeSet:
        return CodeSet.of(self._order)

    def concepts(self) -> Iterator[ConceptInfo]:
        """Every concept in hierarchy order."""
        return (self._info(c) for c in self._order)

    def subsumes(self, code_a: str, code_b: str) -> SubsumptionOutcome:
        a, b = self.locate(code_a), self.locate(code_b)
        if a is None or b is None:
            raise InvalidRequest("Unknown_Code_in", (code_a if a is None else code_b), self.url)
        if a.code == b.code:
            return "equivalent"
        if a.code in self._ancestors(b.code):
            return "subsumes"
        if b.code in self._ancestors(a.code):
            return "subsumed-by"
        return "not-subsumed"

    def lookup_properties(self, info: ConceptInfo, wanted: Sequence[str]) -> Iterator[Property]:
        """``$lookup`` properties (FHIR R5 CodeSystem-lookup): the concept's own, plus ``inactive``,
        ``parent`` and ``child`` (each code with its display as ``description``); ``wanted`` selects, and
        none or ``*`` means all."""
        every = not wanted or "*" in wanted

        def want(code: str) -> bool:
            return every or code in wanted
        if want("inactive") and not any(p.code == "inactive" for p in info.properties):
            yield Property("inactive", "boolean", info.inactive)
        for p in info.properties:
            if want(p.code):
                yield p
        for code, related in (("parent", info.parents), ("child", info.children)):
            if want(code):
                for other in related:
                    found = self.locate(other)
                    yield Property(code, "code", other, description=found.display if found else None)

    # --- concepts -----------------------------------------------------------------------------------

    def _info(self, code: str) -> ConceptInfo:
        info = self._infos.get(code)
        if info is None:
            info = self._infos[code] = self._build_info(self._nodes[code])
        return info

    def _build_info(self, node: _Node) -> ConceptInfo:
        c = node.element
        designations = [designation(d) for d in c.get("designation", [])]
        properties = [p for p in (property_value(x) for x in c.get("property", [])) if p is not None]
        extensions = list(c.get("extension", []))
        display, definition = c.get("display"), c.get("definition")
        for source, s in node.supplements:
            designations += [designation(d, source=source) for d in s.get("designation", [])]
            properties += [p for p in (property_value(x) for x in s.get("property", [])) if p is not None]
            extensions += s.get("extension", [])
            display = display or s.get("display")
            definition = definition or s.get("definition")
        status_codes, inactive_codes = self._codes_for("status"), self._codes_for("inactive")
        not_selectable = self._codes_for("notSelectable")
        status = next((value_text(p.value) for p in properties if p.code in status_codes), None)
        inactive = any(p.code in inactive_codes and p.value is True for p in properties) or \
            status in _INACTIVE_STATUSES
        abstract = any(p.code in not_selectable and p.value is True for p in properties)
        annotations, passed = _read_extensions(extensions)
        standards = next((e.get("valueCode") for e in extensions if e.get("url") == EXT_STANDARDS_STATUS), None)
        if status is None and standards in ("deprecated", "withdrawn"):
            status = standards
        return ConceptInfo(code=node.code, display=display, definition=definition,
                           designations=tuple(designations), properties=tuple(properties), inactive=inactive,
                           status=status, abstract=abstract, deprecated=status == "deprecated",
                           parents=tuple(node.parents), children=tuple(node.children),
                           annotations=annotations, extensions=passed)

    def _ancestors(self, code: str) -> set[str]:
        out: set[str] = set()
        stack = list(self._nodes[code].parents)
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack.extend(self._nodes[c].parents)
        return out

    def _descendants(self, code: str) -> set[str]:
        out: set[str] = set()
        stack = list(self._nodes[code].children)
        while stack:
            c = stack.pop()
            if c not in out:
                out.add(c)
                stack.extend(self._nodes[c].children)
        return out

    # --- filters (http://hl7.org/fhir/filter-operator) ----------------------------------------------

    def filter(self, prop: str, op: str, value: str) -> CodeSet:
        if prop in ("concept", "code"):
            return self._concept_filter(prop, op, value)
        if prop == "display":
            return self._value_filter(op, value, lambda i: [i.display] if i.display is not None else [])
        if prop in self._codes_for("parent") and op == "=":
            return self._concept_filter(prop, "child-of", value)
        if prop in self._codes_for("child") and op == "=":
            return self._select(lambda i: value in i.children)
        if op in ("is-a", "descendent-of", "is-not-a", "generalizes", "child-of", "descendent-leaf"):
            raise InvalidRequest("FILTER_NOT_UNDERSTOOD", prop, op, value, self.url)
        return self._value_filter(op, value, self._property_reader(prop))

    def _property_reader(self, prop: str):
        codes = {prop} | {d.code for d in self.property_defs if d.uri and d.uri.endswith("#" + prop)}
        derived = {"inactive": lambda i: [i.inactive], "status": lambda i: [i.status] if i.status else []}

        def read(info: ConceptInfo) -> list:
            values = [p.value for p in info.properties if p.code in codes]
            if not values and prop in derived:
                values = derived[prop](info)
            return values
        return read

    def _concept_filter(self, prop: str, op: str, value: str) -> CodeSet:
        if op in ("=", "in", "not-in", "regex", "exists"):
            return self._value_filter(op, value, lambda i: [i.code])
        target = self._find_code(value)
        if op == "is-not-a":
            excluded = ({target} | self._descendants(target)) if target is not None else set()
            return CodeSet.of(c for c in self._order if c not in excluded)
        if target is None:
            return CodeSet.of(())
        if op == "is-a":
            members = {target} | self._descendants(target)
        elif op == "descendent-of":
            members = self._descendants(target)
        elif op == "generalizes":
            members = {target} | self._ancestors(target)
        elif op == "child-of":
            members = set(self._nodes[target].children)
        elif op == "descendent-leaf":
            members = {c for c in self._descendants(target) if not self._nodes[c].children}
        else:
            raise InvalidRequest("FILTER_NOT_UNDERSTOOD", prop, op, value, self.url)
        return CodeSet.of(c for c in self._order if c in members)

    def _value_filter(self, op: str, value: str, read) -> CodeSet:
        if op == "=":
            return self._select(lambda i: any(value_text(v) == value for v in read(i)))
        if op in ("in", "not-in"):
            wanted = {v.strip() for v in value.split(",")}
            hit = (lambda i: any(value_text(v) in wanted for v in read(i)))
            return self._select(hit if op == "in" else (lambda i: not hit(i)))
        if op == "regex":
            matcher = PatternMatcher(value)
            return self._select(lambda i: any(matcher.matches(value_text(v)) for v in read(i)))
        if op == "exists":
            if value not in ("true", "false"):
                raise InvalidRequest("OP_INVALID_PARAM", "filter.value", value, "exists takes true or false")
            want = value == "true"
            return self._select(lambda i: bool(read(i)) == want)
        raise InvalidRequest("FILTER_NOT_UNDERSTOOD", "property", op, value, self.url)

    def _select(self, test) -> CodeSet:
        return CodeSet.of(c for c in self._order if test(self._info(c)))


def _read_extensions(extensions: Iterable[dict]) -> tuple[tuple[Property, ...], tuple[dict, ...]]:
    """Split concept extensions into the properties they stand for and those copied to expansions."""
    annotations: dict[str, Property] = {}
    passed: list[dict] = []
    for e in extensions:
        url = e.get("url")
        if url == EXT_CONCEPT_ORDER and "valueInteger" in e:
            annotations["order"] = Property("order", "decimal", e["valueInteger"])
        elif url == EXT_LABEL and "valueString" in e:
            annotations["label"] = Property("label", "string", e["valueString"])
        elif url == EXT_ITEM_WEIGHT and "valueDecimal" in e:
            annotations["weight"] = Property("weight", "decimal", e["valueDecimal"])
        elif url in PASS_THROUGH_EXTENSIONS:
            passed.append(e)
    return tuple(annotations.values()), tuple(passed)


def with_display(info: ConceptInfo, display: str | None) -> ConceptInfo:
    """A copy of ``info`` with another display (a value set's own display for a concept)."""
    return replace(info, display=display)
