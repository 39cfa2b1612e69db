"""Records to a FHIR R5 CodeSystem resource, after checking them as a whole.

Checks (each failure is a :class:`~terminology.errors.LoadError` naming the file and line of the record):

* every code occurs once (``duplicate code``);
* every parent is a code of the same code system (``parent ... is not a code``);
* the hierarchy has no cycle (``cycle in the hierarchy: A -> B -> A``).

Writing (FHIR R5 codesystem.html): a concept with parents is nested under its *first* parent (the nested
``concept`` form of the hierarchy, which every client understands); a concept with more than one parent
also carries a ``parent`` property (``http://hl7.org/fhir/concept-properties#parent``) for each of them, so
the other links are not lost. ``notSelectable`` marks grouping concepts. The code system's OID becomes an
``identifier`` with system ``urn:ietf:rfc:3986`` and value ``urn:oid:<oid>`` (FHIR R5 datatypes.html
§"Identifier" and terminologies-systems.html). The display is in the code system's ``language``
(``CodeSystem.language``), so it is not repeated as a designation; texts in other languages, synonyms and
other rubrics are designations.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable

from terminology.errors import LoadError

from .records import (NOT_SELECTABLE, PARENT, CodeList, CodeSystemMeta, Concept, Designation, PropertyDef,
                      logical_id)

DESIGNATION_USAGE = "http://terminology.hl7.org/CodeSystem/designation-usage"
SNOMED = "http://snomed.info/sct"
RUBRIC_KIND_SYSTEM = "https://vardterm.example/fhir/CodeSystem/classification-rubric-kind"
"""The project's code system for designation uses that are a classification's own text kinds (ClaML
``RubricKind`` names such as ``inclusion``); ``.example`` until the project has a published base."""

USES = {
    "display": {"system": DESIGNATION_USAGE, "code": "display"},
    "synonym": {"system": SNOMED, "code": "900000000000013009", "display": "Synonym"},
}

_VALUE_KEYS = {"code": "valueCode", "string": "valueString", "integer": "valueInteger", "boolean": "valueBoolean",
               "decimal": "valueDecimal", "dateTime": "valueDateTime", "Coding": "valueCoding"}


def check(concepts: Iterable[Concept]) -> dict[str, Concept]:
    """The concepts by code, after the whole-file checks (duplicates, unknown parents, cycles)."""
    by_code: dict[str, Concept] = {}
    for c in concepts:
        first = by_code.get(c.code)
        if first is not None:
            where = f" (first at {_place(first)})" if first.where is not None else ""
            raise _error(f"duplicate code '{c.code}'{where}", c)
        by_code[c.code] = c
    for c in by_code.values():
        for p in c.parents:
            if p not in by_code:
                raise _error(f"code '{c.code}' names parent '{p}', which is not a code of this code system", c)
    _check_acyclic(by_code)
    return by_code


def to_code_system(code_list: CodeList) -> dict:
    """The R5 CodeSystem for ``code_list`` (checked with :func:`check` first)."""
    meta = code_list.meta
    by_code = check(code_list.concepts)
    multi = any(len(c.parents) > 1 for c in by_code.values())
    properties = list(meta.properties)
    if any(c.not_selectable for c in by_code.values()) and NOT_SELECTABLE.code not in {p.code for p in properties}:
        properties.append(NOT_SELECTABLE)
    if multi and PARENT.code not in {p.code for p in properties}:
        properties.append(PARENT)
    types = {p.code: p.type for p in properties}

    elements = {code: _element(c, meta, types) for code, c in by_code.items()}
    roots: list[dict] = []
    for code, c in by_code.items():
        if c.parents:
            elements[c.parents[0]].setdefault("concept", []).append(elements[code])
            if len(c.parents) > 1:
                elements[code].setdefault("property", []).extend({"code": PARENT.code, "valueCode": p}
                                                                  for p in c.parents)
        else:
            roots.append(elements[code])

    out: dict = {"resourceType": "CodeSystem", "id": resource_id(meta)}
    if meta.language:
        out["language"] = meta.language
    out["url"] = meta.url
    if meta.oid:
        out["identifier"] = [{"system": "urn:ietf:rfc:3986", "value": f"urn:oid:{meta.oid}"}]
    for key, value in (("version", meta.version), ("name", meta.name), ("title", meta.title),
                       ("status", meta.status)):
        if value:
            out[key] = value
    out["experimental"] = False
    for key, value in (("date", meta.date), ("publisher", meta.publisher), ("description", meta.description),
                       ("copyright", meta.copyright)):
        if value:
            out[key] = value
    out["caseSensitive"] = meta.case_sensitive
    if meta.hierarchy_meaning and any(c.parents for c in by_code.values()):
        out["hierarchyMeaning"] = meta.hierarchy_meaning
    out["content"] = meta.content
    if meta.content == "complete":
        out["count"] = len(by_code)
    if properties:
        out["property"] = [_property_def(p) for p in properties]
    out["concept"] = roots
    return out


def resource_id(meta: CodeSystemMeta) -> str:
    """A readable logical id: the name and version, e.g. ``kva-2021``."""
    return logical_id(meta.name, meta.version)


def _element(c: Concept, meta: CodeSystemMeta, types: dict[str, str]) -> dict:
    e: dict = {"code": c.code}
    if c.display:
        e["display"] = c.display
    if c.definition:
        e["definition"] = c.definition
    designations = [d for d in c.designations
                    if not (d.use == "display" and d.value == c.display and d.language in (None, meta.language))]
    if designations:
        e["designation"] = [_designation(d) for d in designations]
    props = []
    for code, value in c.properties:
        kind = types.get(code)
        if kind is None:
            raise _error(f"property '{code}' of code '{c.code}' is not declared by the code system", c)
        props.append({"code": code, _VALUE_KEYS[kind]: value})
    if c.not_selectable:
        props.append({"code": NOT_SELECTABLE.code, "valueBoolean": True})
    if props:
        e["property"] = props
    return e


def _designation(d: Designation) -> dict:
    out: dict = {}
    if d.language:
        out["language"] = d.language
    out["use"] = USES.get(d.use) or {"system": RUBRIC_KIND_SYSTEM, "code": d.use}
    out["value"] = d.value
    return out


def _property_def(p: PropertyDef) -> dict:
    out = {"code": p.code}
    if p.uri:
        out["uri"] = p.uri
    out["description"] = p.description
    out["type"] = p.type
    return out


def _check_acyclic(by_code: dict[str, Concept]) -> None:
    """Kahn's algorithm over the parent links; what is left over lies on or below a cycle."""
    pending = {code: len(set(c.parents)) for code, c in by_code.items()}
    children: dict[str, list[str]] = {}
    for code, c in by_code.items():
        for p in set(c.parents):
            children.setdefault(p, []).append(code)
    queue = deque(code for code, n in pending.items() if n == 0)
    while queue:
        code = queue.popleft()
        del pending[code]
        for child in children.get(code, ()):
            pending[child] -= 1
            if pending[child] == 0:
                queue.append(child)
    if not pending:
        return
    # Walk up from any left-over concept through left-over parents until a code repeats: that is a cycle.
    start = next(iter(pending))
    path, seen = [start], {start: 0}
    while True:
        nxt = next(p for p in by_code[path[-1]].parents if p in pending)
        if nxt in seen:
            cycle = path[seen[nxt]:] + [nxt]
            break
        seen[nxt] = len(path)
        path.append(nxt)
    first = min((by_code[c] for c in cycle[:-1]), key=lambda c: (c.where.line or 0) if c.where else 0)
    raise _error("cycle in the hierarchy: " + " -> ".join(cycle), first)


def _place(c: Concept) -> str:
    return f"line {c.where.line}" if c.where and c.where.line is not None else (c.where.file if c.where else "?")


def _error(problem: str, c: Concept) -> LoadError:
    if c.where is None:
        return LoadError(problem)
    return LoadError(problem, file=c.where.file, line=c.where.line)
