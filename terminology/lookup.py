"""``CodeSystem/$lookup`` for SNOMED CT.

Sources: FHIR R5 OperationDefinition CodeSystem-lookup; "Using SNOMED CT with FHIR" §1.2 (properties
``inactive``, ``sufficientlyDefined``, ``moduleId``, ``normalForm``, ``normalFormTerse``, ``parent``,
``child``, and every concept model attribute as a property named by its SCTID); the HL7 tx ecosystem
SNOMED tests (``effectiveTime`` as a dateTime, ``module`` as an alias of ``moduleId``, a ``description``
part with the display of each code value and a ``code-display`` part with the attribute's display).
The version returned is the edition/version URI, as the FHIR page requires.
"""

from __future__ import annotations

from . import snomed
from .edition import Edition
from .model import LookupResult, Property
from .store import ConceptRow, RelationshipRow

DEFAULT_PROPERTIES = ("inactive", "sufficientlyDefined", "moduleId", "effectiveTime", "normalForm",
                      "normalFormTerse", "parent", "child", "attributes")
"""Returned when the request names no ``property``; ``attributes`` stands for every attribute property."""

def lookup(ed: Edition, code: str, *, display_language: str | None, properties: tuple[str, ...]) -> LookupResult:
    """The ``$lookup`` answer for one concept of ``ed``. Raises UnknownCode when it is not there."""
    row = ed.concept(code)
    refsets = ed.display_refsets(display_language)
    store = ed.store
    wanted = _wanted(properties)
    parents = store.parents(row.id) if wanted & {"parent", "normalForm", "normalFormTerse"} else []
    children = store.children(row.id) if "child" in wanted else []
    attributes = store.attributes(row.id) if wanted & {"attributes", "normalForm", "normalFormTerse"} or \
        any(p.isdigit() for p in wanted) else []
    ids = {row.id, row.module_id, *parents, *children, *(a.type_id for a in attributes),
           *(a.destination_id for a in attributes if a.destination_id)}
    names = store.displays(sorted(ids), refsets)
    display = names.get(row.id, code)
    return LookupResult(
        system=snomed.SYSTEM, version=ed.version.version,
        name=f"{snomed.SYSTEM}|{ed.version.version}",
        code=str(row.id), display=display,
        designations=ed.designations(row.id),
        properties=tuple(_properties(row, wanted, parents, children, attributes, names)),
    )


def _wanted(properties: tuple[str, ...]) -> set[str]:
    if not properties or "*" in properties:
        return set(DEFAULT_PROPERTIES) | set(properties) - {"*"}
    return set(properties)


def _properties(row: ConceptRow, wanted: set[str], parents: list[int], children: list[int],
                attributes: list[RelationshipRow], names: dict[int, str]):
    if "inactive" in wanted:
        yield Property("inactive", "boolean", not row.active)
    if "sufficientlyDefined" in wanted:
        yield Property("sufficientlyDefined", "boolean", row.definition_status_id == snomed.DEFINED)
    for alias in ("moduleId", "module"):
        if alias in wanted:
            yield Property(alias, "code", str(row.module_id), description=names.get(row.module_id))
    if "effectiveTime" in wanted:
        et = str(row.effective_time)
        yield Property("effectiveTime", "dateTime", f"{et[:4]}-{et[4:6]}-{et[6:8]}")
    if "normalForm" in wanted:
        yield Property("normalForm", "string", normal_form(row, parents, attributes, names))
    if "normalFormTerse" in wanted:
        yield Property("normalFormTerse", "string", normal_form(row, parents, attributes, None))
    if "parent" in wanted:
        for p in parents:
            yield Property("parent", "code", str(p), description=names.get(p))
    if "child" in wanted:
        for c in children:
            yield Property("child", "code", str(c), description=names.get(c))
    every = "attributes" in wanted
    for a in attributes:
        if every or str(a.type_id) in wanted:
            yield _attribute(a, names)


def _attribute(a: RelationshipRow, names: dict[int, str]) -> Property:
    code = str(a.type_id)
    if a.destination_id is not None:
        return Property(code, "code", str(a.destination_id), description=names.get(a.destination_id),
                        code_display=names.get(a.type_id))
    v = a.value or ""
    if v.startswith("#"):
        number = v[1:]
        if "." in number:
            return Property(code, "decimal", number, code_display=names.get(a.type_id))
        return Property(code, "integer", int(number), code_display=names.get(a.type_id))
    if v.startswith('"') and v.endswith('"'):
        v = v[1:-1]
    if v in ("true", "false"):
        return Property(code, "boolean", v == "true", code_display=names.get(a.type_id))
    return Property(code, "string", v, code_display=names.get(a.type_id))


def normal_form(row: ConceptRow, parents: list[int], attributes: list[RelationshipRow],
                names: dict[int, str] | None) -> str:
    """The necessary normal form in SNOMED CT compositional grammar, with terms when ``names`` is given.

    ``===`` marks a sufficiently defined concept, ``<<<`` a primitive one; focus concepts are the proximal
    parents; ungrouped attributes come first, then one ``{ }`` per role group.
    """
    def ref(cid: int) -> str:
        term = names.get(cid) if names is not None else None
        return f"{cid} |{term}|" if term else str(cid)

    def attr(a: RelationshipRow) -> str:
        value = ref(a.destination_id) if a.destination_id is not None else (a.value or "")
        return f"{ref(a.type_id)} = {value}"

    lead = "===" if row.definition_status_id == snomed.DEFINED else "<<<"
    focus = " + ".join(ref(p) for p in parents) or ref(row.id)
    groups: dict[int, list[str]] = {}
    for a in attributes:
        groups.setdefault(a.group, []).append(attr(a))
    parts = list(groups.pop(0, []))
    parts += ["{ " + ", ".join(items) + " }" for _, items in sorted(groups.items())]
    return f"{lead} {focus}" + (" : " + ", ".join(parts) if parts else "")
