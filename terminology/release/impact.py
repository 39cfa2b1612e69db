"""What a release diff does to the stored value sets and concept maps.

Value sets: every current, ``active`` ValueSet whose ``compose`` names the code system (or imports other value
sets) is expanded twice by the one engine (:mod:`terminology.valuesets`), with ``force-system-version`` set to
FROM and then to TO (FHIR ValueSet-expand, parameter ``force-system-version``); the members that leave or
join are findings, each with its cause read from the diff. Codes written in ``compose.include.concept`` that
the release inactivates are findings of their own, with the replacements the release suggests.

Concept maps: every current ConceptMap that is not retired; a ``group`` whose source or target is the code
system, with an element or target code the release inactivates, is a finding.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..errors import TerminologyError, TooCostly
from ..requests import ExpandRequest
from .model import Finding, ReleaseDiff

log = logging.getLogger(__name__)

CAUSE_TEXT = {"inactivated": "inaktiverat i den nya versionen", "moved": "flyttat i hierarkin",
              "new": "nytt begrepp", "reactivated": "återaktiverat", "refset": "ändrat medlemskap i en refset",
              "hierarchy": "ett överordnat begrepp har flyttats eller ändrats"}


class Causes:
    """Why a code left or joined an expansion, read from the diff."""

    def __init__(self, diff: ReleaseDiff) -> None:
        self.inactivated = {i.concept.code for i in diff.inactivated}
        self.added = {r.code for r in diff.added}
        self.reactivated = {r.code for r in diff.reactivated}
        self.moved = {m.concept.code for m in diff.moved}
        self.refset = {c for r in diff.refsets for c in (*r.added, *r.removed)}

    def left(self, code: str) -> str:
        for cause, codes in (("inactivated", self.inactivated), ("moved", self.moved), ("refset", self.refset)):
            if code in codes:
                return cause
        return "hierarchy"

    def joined(self, code: str) -> str:
        for cause, codes in (("new", self.added), ("reactivated", self.reactivated), ("moved", self.moved),
                             ("refset", self.refset)):
            if code in codes:
                return cause
        return "hierarchy"


def title_of(resource: dict) -> str:
    name = resource.get("title") or resource.get("name") or resource.get("url") or resource.get("id")
    return f"{name} {resource.get('version')}" if resource.get("version") else str(name)


def mentions(value_set: dict, system: str) -> bool:
    """Whether a value set's definition may depend on ``system`` (names it, or imports value sets)."""
    compose = value_set.get("compose") or {}
    for part in (*compose.get("include", []), *compose.get("exclude", [])):
        if part.get("system") == system or part.get("valueSet"):
            return True
    return False


def value_set_impact(service, diff: ReleaseDiff, value_sets: Iterable[dict], *, limit: int
                     ) -> tuple[list[Finding], list[str], int]:
    """Findings for the value sets, notes on those that could not be checked, and how many were checked."""
    causes = Causes(diff)
    findings: list[Finding] = []
    notes: list[str] = []
    checked = 0
    value_sets = [vs for vs in value_sets if mentions(vs, diff.system)]
    for vs in value_sets:
        checked += 1
        if checked % 100 == 0:
            log.info("release impact: %d of %d value sets expanded at both versions", checked, len(value_sets))
        title = title_of(vs)
        findings.extend(_listed(vs, diff, title))
        try:
            before = _members(service, vs, diff.system, diff.from_version, limit)
            after = _members(service, vs, diff.system, diff.to_version, limit)
        except TooCostly as exc:
            notes.append(f"Värdemängden {title} har för många medlemmar för att jämföras: {exc.text}")
            continue
        except TerminologyError as exc:
            notes.append(f"Värdemängden {title} kan inte expanderas i båda versionerna: {exc.text}")
            continue
        for code in sorted(set(before) - set(after), key=_code_order):
            cause = causes.left(code)
            inact = diff.inactivation(code)
            findings.append(Finding("valueset", vs["id"], title, code, before[code], "left", cause,
                                    f"Lämnar värdemängden: {CAUSE_TEXT[cause]}",
                                    inact.replacements if inact else ()))
        for code in sorted(set(after) - set(before), key=_code_order):
            cause = causes.joined(code)
            findings.append(Finding("valueset", vs["id"], title, code, after[code], "joined", cause,
                                    f"Kommer med i värdemängden: {CAUSE_TEXT[cause]}"))
    return findings, notes, checked


def _listed(vs: dict, diff: ReleaseDiff, title: str) -> list[Finding]:
    out = []
    seen = set()
    for part in (vs.get("compose") or {}).get("include", []):
        if part.get("system") != diff.system:
            continue
        for c in part.get("concept", []):
            inact = diff.inactivation(str(c.get("code")))
            if inact is None or inact.concept.code in seen:
                continue
            seen.add(inact.concept.code)
            out.append(Finding("valueset", vs["id"], title, inact.concept.code,
                               c.get("display") or inact.concept.display, "listed-inactive", "inactivated",
                               f"Koden står i definitionen men är inaktiverad ({inact.reason_text or 'utan orsak'})",
                               inact.replacements))
    return out


def _members(service, vs: dict, system: str, version: str, limit: int) -> dict[str, str | None]:
    expansion = service.expand(ExpandRequest(value_set=vs, exclude_nested=True, max_size=limit,
                                             display_language="sv", force_system_versions=(f"{system}|{version}",)))
    out: dict[str, str | None] = {}
    stack = list(expansion.items)
    while stack:
        item = stack.pop()
        if item.system == system:
            out[item.code] = item.display
        stack.extend(item.contains)
    return out


def _code_order(code: str):
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def concept_map_impact(diff: ReleaseDiff, concept_maps: Iterable[dict]) -> tuple[list[Finding], int]:
    """Findings for ConceptMaps whose source or target codes the release inactivates."""
    findings: list[Finding] = []
    checked = 0
    for cm in concept_maps:
        if cm.get("status") == "retired":
            continue
        groups = [g for g in cm.get("group", []) if _system(g.get("source")) == diff.system
                  or _system(g.get("target")) == diff.system]
        if not groups:
            continue
        checked += 1
        title = title_of(cm)
        seen = set()
        for g in groups:
            for element in g.get("element", []):
                if _system(g.get("source")) == diff.system:
                    _map_finding(findings, seen, diff, cm, title, str(element.get("code")), "source-inactive",
                                 "Källkoden i mappningen är inaktiverad")
                if _system(g.get("target")) == diff.system:
                    for target in element.get("target", []):
                        _map_finding(findings, seen, diff, cm, title, str(target.get("code")), "target-inactive",
                                     f"Målkoden för {element.get('code')} i mappningen är inaktiverad")
    return findings, checked


def _map_finding(findings, seen, diff, cm, title, code, change, text) -> None:
    inact = diff.inactivation(code)
    if inact is None or (change, code) in seen:
        return
    seen.add((change, code))
    findings.append(Finding("conceptmap", cm["id"], title, code, inact.concept.display, change, "inactivated",
                            f"{text} ({inact.reason_text or 'utan orsak'})", inact.replacements))


def _system(canonical: str | None) -> str | None:
    return canonical.split("|", 1)[0] if canonical else None
