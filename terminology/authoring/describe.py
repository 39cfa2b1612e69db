"""What a code system, value set or concept map says, as lines of Swedish text: shown on the resource pages
and compared line by line between two versions (:mod:`.compare`).

A value set's ``compose`` becomes one line per listed code and one per filter or import (FHIR R5
valueset.html "Value Set Content Logical Definition"); a code system one line per concept with everything it
carries; a concept map one line per mapping. Two versions differ exactly where their lines differ.
"""

from __future__ import annotations

import json

from .. import snomed

KNOWN_SYSTEMS = {
    snomed.SYSTEM: "SNOMED CT",
    "urn:oid:1.2.752.116.1.3.2.1.4": "KVÅ",
    "urn:oid:1.2.752.116.1.1.1.1.3": "ICD-10-SE",
    "urn:oid:1.2.752.129.2.2.1.3": "HSA verksamhetskod",
    "urn:oid:1.2.752.129.2.2.1.13": "HSA vård- och omsorgsform",
}
"""Swedish names of the code systems the server knows by heart (the national ones and SNOMED CT)."""

OPERATORS = {"=": "=", "is-a": "är en (is-a)", "descendent-of": "under (descendent-of)", "is-not-a": "är inte en",
             "in": "en av", "not-in": "inte en av", "regex": "matchar", "generalizes": "generaliserar",
             "child-of": "barn till", "descendent-leaf": "löv under", "exists": "finns"}
DEFINITION_KEYS = ("compose", "concept", "group", "property", "filter", "expansion")
"""Top-level elements that make up the definition; every other element is metadata."""
NOT_COMPARED = ("meta", "id", "text")


def system_name(url: str | None, names: dict[str, str] | None = None) -> str:
    """``SNOMED CT``, ``KVÅ``, a stored code system's title, or the URL itself."""
    if not url:
        return "(inget kodsystem)"
    return KNOWN_SYSTEMS.get(url) or (names or {}).get(url) or url


def definition_lines(resource: dict, names: dict[str, str] | None = None) -> list[str]:
    """The definition of ``resource`` as lines (order kept; a line per code, rule or mapping)."""
    kind = resource.get("resourceType")
    if kind == "ValueSet":
        return compose_lines(resource.get("compose") or {}, names)
    if kind == "CodeSystem":
        return [f"Egenskap {p.get('code')} ({p.get('type', '')})" for p in resource.get("property", [])] + \
            [concept_line(c, parent) for c, parent in walk_concepts(resource.get("concept", []))]
    if kind == "ConceptMap":
        return mapping_lines(resource, names)
    return []


def compose_lines(compose: dict, names: dict[str, str] | None = None) -> list[str]:
    """One line per code, filter, whole system and imported value set of each include and exclude."""
    out = []
    if compose.get("inactive") is not None:
        out.append(f"Inaktiva koder {'tas med' if compose['inactive'] else 'tas inte med'}")
    for verb, parts in (("Inkludera", compose.get("include", [])), ("Exkludera", compose.get("exclude", []))):
        for part in parts:
            where = system_name(part.get("system"), names) + (f" {part['version']}" if part.get("version") else "")
            for vs in part.get("valueSet", []):
                out.append(f"{verb} värdemängden {vs}" + (f" (inom {where})" if part.get("system") else ""))
            for c in part.get("concept", []):
                out.append(f"{verb} {where} {c.get('code')}" + (f" {c['display']}" if c.get("display") else ""))
            filters = part.get("filter", [])
            if filters:
                out.append(f"{verb} {where} där " + " och ".join(filter_text(f) for f in filters))
            if part.get("system") and not part.get("concept") and not filters and not part.get("valueSet"):
                out.append(f"{verb} hela {where}")
    return out


def filter_text(f: dict) -> str:
    """``concept är en (is-a) 609588000``; an ECL filter as ``ECL: << 609588000``."""
    if f.get("property") in ("constraint", "expression") and f.get("op") == "=":
        return f"ECL: {f.get('value', '')}"
    return f"{f.get('property')} {OPERATORS.get(f.get('op'), f.get('op'))} {f.get('value', '')}".strip()


def ecl_of(compose: dict) -> str | None:
    """The ECL expression of a value set defined by one (a SNOMED CT include with a ``constraint`` filter)."""
    for part in compose.get("include", []):
        if part.get("system") == snomed.SYSTEM:
            for f in part.get("filter", []):
                if f.get("property") in ("constraint", "expression") and f.get("op") == "=":
                    return f.get("value")
    return None


def walk_concepts(concepts: list, parent: str | None = None):
    """``(concept, parent code)`` of every concept, nested ones after their parent."""
    for c in concepts:
        yield c, parent
        yield from walk_concepts(c.get("concept", []), c.get("code"))


def concept_line(c: dict, parent: str | None = None) -> str:
    """Everything one concept says, on one line."""
    parts = [f"{c.get('code')}: {c.get('display', '')}"]
    for d in c.get("designation", []):
        parts.append(f"{d.get('language', '?')}: {d.get('value', '')}")
    if c.get("definition"):
        parts.append(f"definition: {c['definition']}")
    parents = [parent] if parent else []
    for p in c.get("property", []):
        value = next((v for k, v in p.items() if k.startswith("value")), "")
        if p.get("code") == "parent":
            parents.append(value if not isinstance(value, dict) else value.get("code"))
        else:
            parts.append(f"{p.get('code')}={value if not isinstance(value, (dict, list)) else json.dumps(value)}")
    if parents:
        parts.append("förälder: " + ", ".join(str(x) for x in parents))
    return " | ".join(parts)


def mapping_lines(cm: dict, names: dict[str, str] | None = None) -> list[str]:
    out = []
    for group in cm.get("group", []):
        source, target = system_name(group.get("source"), names), system_name(group.get("target"), names)
        for element in group.get("element", []):
            if element.get("noMap"):
                out.append(f"{source} {element.get('code')} → (ingen motsvarighet)")
            for t in element.get("target", []):
                out.append(f"{source} {element.get('code')} → {target} {t.get('code')} "
                           f"({t.get('relationship') or t.get('equivalence', '')})")
    return out


def metadata(resource: dict) -> dict[str, str]:
    """Every element that is not part of the definition, as text."""
    return {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in resource.items() if k not in DEFINITION_KEYS and k not in NOT_COMPARED}
