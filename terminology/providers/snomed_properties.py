"""The concept properties of SNOMED CT, as ``$lookup`` and expansions (``property``) return them.

Sources: "Using SNOMED CT with FHIR" §1.2 (snomed-fhir.md): ``inactive``, ``sufficientlyDefined``,
``moduleId``, ``normalForm``, ``normalFormTerse``, ``parent``, ``child``, and every concept model attribute as
a property named by its SCTID; the HL7 tx ecosystem SNOMED tests: ``effectiveTime`` as a dateTime, ``module``
as an alias of ``moduleId``, a ``description`` part with the display of each code value and a
``code-display`` part with the attribute's display.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from .. import snomed
from ..edition import Edition
from ..model import Property
from ..store import ConceptRow, RelationshipRow

DEFAULT_PROPERTIES = ("inactive", "sufficientlyDefined", "moduleId", "effectiveTime", "normalForm",
                      "normalFormTerse", "parent", "child", "attributes")
"""Returned when the request names no ``property``; ``attributes`` stands for every attribute property."""


def wanted_properties(properties: Sequence[str]) -> set[str]:
    """The property codes a request asks for: the default set for none or ``*``, plus any named."""
    if not properties or "*" in properties:
        return set(DEFAULT_PROPERTIES) | set(properties) - {"*"}
    return set(properties)


def concept_properties(ed: Edition, row: ConceptRow, wanted: set[str], refsets: Sequence[int]) -> Iterator[Property]:
    """The properties in ``wanted`` of one concept, with the displays of code values in ``refsets``' language
    (one query each for parents, children, attributes and the displays, and only those needed)."""
    store = ed.store
    parents = store.parents(row.id) if wanted & {"parent", "normalForm", "normalFormTerse"} else []
    children = store.children(row.id) if "child" in wanted else []
    attributes = store.attributes(row.id) if wanted & {"attributes", "normalForm", "normalFormTerse"} or \
        any(p.isdigit() for p in wanted) else []
    ids = {row.id, row.module_id, *parents, *children, *(a.type_id for a in attributes),
           *(a.destination_id for a in attributes if a.destination_id)}
    names = store.displays(sorted(ids), refsets)
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
