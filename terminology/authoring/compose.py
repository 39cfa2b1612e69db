"""A value set definition as the editor shows it, and back: an ECL expression, picked concepts and rules, all
stored as an ordinary FHIR ``compose`` (R5 valueset.html "Value Set Content Logical Definition").

* **ECL**: an include of SNOMED CT with the filter ``constraint = <ECL>`` (snomedct.html "Value Set
  Definitions": ``constraint`` takes an ECL expression; ``expression`` is its older name);
* **picked concepts**: includes that list codes (``include.concept``), one per code system;
* **rules**: each one include or exclude by a code list, one filter (``is-a``, ``descendent-of``, ``in``, ``=``
  ... on a property), a whole code system, or an imported value set (``valueSet``).

:func:`from_compose` reads a stored definition back; when the editor cannot show all of it (several filters in
one include, designations on listed codes, ``lockedDate`` ...) it says so, and the editor offers the compose as
JSON instead, so nothing is lost by editing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import snomed
from ..errors import InvalidRequest

RULE_KINDS = {"codes": "kodlista", "filter": "filter", "all": "hela kodsystemet", "valueset": "värdemängd"}
FILTER_OPS = ("is-a", "descendent-of", "is-not-a", "in", "not-in", "=", "regex", "generalizes", "child-of",
              "descendent-leaf", "exists")
ECL_PROPERTIES = ("constraint", "expression")


@dataclass(frozen=True)
class Picked:
    system: str
    code: str
    display: str = ""


@dataclass(frozen=True)
class Rule:
    """One include or exclude of the rule editor."""

    exclude: bool = False
    kind: str = "codes"
    """``codes``, ``filter``, ``all`` or ``valueset`` (:data:`RULE_KINDS`)."""
    system: str = ""
    version: str = ""
    codes: tuple[str, ...] = ()
    property: str = "concept"
    op: str = "is-a"
    value: str = ""
    valueset: str = ""


@dataclass(frozen=True)
class Definition:
    ecl: str = ""
    ecl_version: str = ""
    """A SNOMED CT edition or version URI the ECL include names (empty: the default edition)."""
    picked: tuple[Picked, ...] = ()
    rules: tuple[Rule, ...] = ()
    inactive: bool | None = None


def to_compose(d: Definition) -> dict:
    """The FHIR ``compose`` of a definition (InvalidRequest, in Swedish, for a rule that says too little)."""
    include: list[dict] = []
    exclude: list[dict] = []
    if d.ecl.strip():
        part = {"system": snomed.SYSTEM, **({"version": d.ecl_version} if d.ecl_version else {}),
                "filter": [{"property": "constraint", "op": "=", "value": d.ecl.strip()}]}
        include.append(part)
    by_system: dict[str, list[dict]] = {}
    for p in d.picked:
        if p.code.strip():
            by_system.setdefault(p.system, []).append({"code": p.code.strip(),
                                                       **({"display": p.display} if p.display else {})})
    include += [{"system": system, "concept": concepts} for system, concepts in by_system.items()]
    for i, r in enumerate(d.rules, start=1):
        (exclude if r.exclude else include).append(_rule_part(r, i))
    out: dict = {}
    if d.inactive is not None:
        out["inactive"] = d.inactive
    out["include"] = include
    if exclude:
        out["exclude"] = exclude
    return out


def from_compose(compose: dict) -> tuple[Definition, bool]:
    """The editor's view of ``compose`` and whether it shows all of it (``to_compose`` gives it back)."""
    ecl, ecl_version, picked, rules = "", "", [], []
    for excluded, parts in ((False, compose.get("include", [])), (True, compose.get("exclude", []))):
        for part in parts:
            system, version = part.get("system", ""), part.get("version", "")
            filters, concepts, imports = part.get("filter", []), part.get("concept", []), part.get("valueSet", [])
            if (not excluded and not ecl and system == snomed.SYSTEM and len(filters) == 1 and not concepts
                    and not imports and filters[0].get("property") in ECL_PROPERTIES and filters[0].get("op") == "="):
                ecl, ecl_version = filters[0].get("value", ""), version
            elif concepts and not excluded and not version and not filters and not imports:
                picked += [Picked(system, c.get("code", ""), c.get("display", "")) for c in concepts]
            elif concepts:
                rules.append(Rule(excluded, "codes", system, version, tuple(c.get("code", "") for c in concepts)))
            elif filters:
                f = filters[0]
                rules.append(Rule(excluded, "filter", system, version, property=f.get("property", ""),
                                  op=f.get("op", ""), value=str(f.get("value", ""))))
            elif imports:
                rules += [Rule(excluded, "valueset", system, version, valueset=url) for url in imports]
            else:
                rules.append(Rule(excluded, "all", system, version))
    d = Definition(ecl, ecl_version, tuple(picked), tuple(rules), compose.get("inactive"))
    try:
        exact = _normal(to_compose(d)) == _normal(compose)
    except InvalidRequest:
        exact = False
    return d, exact


def parse_picked(lines: str) -> tuple[Picked, ...]:
    """Picked concepts written one per line as ``system|code|display`` (or ``code`` alone: SNOMED CT), the
    form the editor posts (its list is a textarea when scripts are off)."""
    out = []
    for line in lines.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|", 2)]
        if len(parts) == 1:
            out.append(Picked(snomed.SYSTEM, parts[0]))
        else:
            out.append(Picked(parts[0] or snomed.SYSTEM, parts[1], parts[2] if len(parts) > 2 else ""))
    return tuple(out)


def picked_text(picked: tuple[Picked, ...]) -> str:
    return "\n".join(f"{p.system}|{p.code}|{p.display}" for p in picked)


def compose_from_json(text: str) -> dict:
    """The compose written as JSON in the editor's advanced field (InvalidRequest naming the problem)."""
    try:
        compose = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest.plain(f"Definitionen är inte giltig JSON: rad {exc.lineno}, kolumn {exc.colno}: "
                                   f"{exc.msg}", expression="compose") from None
    if not isinstance(compose, dict) or not isinstance(compose.get("include"), list):
        raise InvalidRequest.plain("Definitionen ska vara ett JSON-objekt med en lista include (ValueSet.compose)",
                                   expression="compose")
    return compose


def _rule_part(r: Rule, i: int) -> dict:
    where = f"Regel {i}"
    system = r.system.strip()
    base = {"system": system, **({"version": r.version.strip()} if r.version.strip() else {})}
    if r.kind == "valueset":
        if not r.valueset.strip():
            raise InvalidRequest.plain(f"{where}: ange värdemängdens URL", expression="rules")
        return {**(base if system else {}), "valueSet": [r.valueset.strip()]}
    if not system:
        raise InvalidRequest.plain(f"{where}: välj kodsystem", expression="rules")
    if r.kind == "codes":
        codes = [c.strip() for c in r.codes if c.strip()]
        if not codes:
            raise InvalidRequest.plain(f"{where}: ange minst en kod", expression="rules")
        return {**base, "concept": [{"code": c} for c in codes]}
    if r.kind == "filter":
        if r.op not in FILTER_OPS:
            raise InvalidRequest.plain(f"{where}: okänd operator '{r.op}'", expression="rules")
        if not r.property.strip() or (not r.value.strip() and r.op != "exists"):
            raise InvalidRequest.plain(f"{where}: ett filter behöver egenskap och värde", expression="rules")
        return {**base, "filter": [{"property": r.property.strip(), "op": r.op, "value": r.value.strip()}]}
    if r.kind == "all":
        return base
    raise InvalidRequest.plain(f"{where}: okänd regeltyp '{r.kind}'", expression="rules")


def _normal(compose: dict) -> str:
    return json.dumps(compose, sort_keys=True, ensure_ascii=False)

