"""``ConceptMap/$translate``: forward and reverse translation with FHIR ConceptMap resources (R5 semantics).

Rules implemented (FHIR R5 ConceptMap and OperationDefinition ConceptMap-translate):

* The maps used are the one named by ``url`` (and ``conceptMapVersion``), else every known map, from the
  request's ``tx-resource`` maps first and then the repository; ``sourceScope`` / ``targetScope`` narrow
  the candidates to maps declaring that scope.
* Forward (``sourceCode`` + ``sourceSystem``, or a Coding): every group whose ``source`` is the system
  (and whose ``target`` is ``targetSystem`` when given) and every element with the code gives one match
  per target, with the target's relationship; an element with ``noMap`` gives a ``not-related-to`` match
  without a concept. A code that no element of a matching group lists falls to the group's ``unmapped``:
  ``fixed`` gives its code, ``use-source-code`` the source code itself, ``other-map`` the answer of that
  map (followed at most a few levels deep, so a cycle cannot loop).
* Reverse (``targetCode`` + ``targetSystem``, or the R4 ``reverse`` flag): every element whose target is
  the code gives a match whose ``concept`` is the target coding and whose ``source`` is the element's code.
* ``result`` is true when at least one match has a concept and a relationship other than
  ``not-related-to``.

Canonical references in ``group.source`` / ``group.target`` may carry ``|version``; the version becomes the
version of the coding and is ignored when comparing systems.

SNOMED CT map and association refsets are implicit maps (``url`` = ``http://snomed.info/sct?fhir_cm=<refset
id>``, see :mod:`mappings.snomed_maps`): with that ``url`` the refset's members answer; without a ``url``, a
SNOMED CT code translated to a ``targetSystem`` (or a code of that system translated back) also uses the map
refsets whose target system is known to be that system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Protocol

import terminology as t

from . import snomed_maps
from .snomed_maps import RefsetMaps

MAX_OTHER_MAP_DEPTH = 5


class MapSource(Protocol):
    """Where stored ConceptMaps come from (the terminology repository)."""

    def find(self, resource_type: str, url: str, version: str | None = None) -> list[dict]: ...

    def current(self, resource_type: str) -> list[dict]: ...


@dataclass(frozen=True, kw_only=True)
class TranslateRequest:
    code: str
    system: str | None = None
    version: str | None = None
    reverse: bool = False
    """True when ``code`` / ``system`` name a *target* code (R5 ``targetCode``, R4 ``reverse``)."""
    target_system: str | None = None
    """Forward: the system wanted. Reverse: the system of ``code``."""
    source_system: str | None = None
    """Reverse only: the source system wanted (R5 ``sourceSystem`` next to ``targetCode``)."""
    url: str | None = None
    concept_map_version: str | None = None
    source_scope: str | None = None
    target_scope: str | None = None
    resources: tuple[dict, ...] = ()
    """ConceptMaps sent with the request (``tx-resource``), R5."""


@dataclass(frozen=True)
class Match:
    relationship: str
    concept: t.Coding | None
    origin_map: str
    source: t.Coding | None = None


@dataclass(frozen=True)
class TranslateResult:
    result: bool
    matches: tuple[Match, ...]
    message: str | None = None


class Translator:
    """Translates codes with the ConceptMaps of a repository (plus those sent with a request)."""

    def __init__(self, maps: MapSource, snomed: RefsetMaps | None = None, *,
                 map_targets: Mapping[str, str] | None = None) -> None:
        """``snomed``: where SNOMED CT map refsets are read (None: no implicit maps); ``map_targets``: target
        code systems of map refsets by refset id, beyond :data:`snomed_maps.KNOWN_TARGETS`."""
        self.maps = maps
        self.snomed = snomed
        self.map_targets = dict(map_targets or {})

    def translate(self, req: TranslateRequest) -> TranslateResult:
        if not req.code:
            raise t.InvalidRequest("OP_MISSING_PARAM", "sourceCode (or targetCode, sourceCoding, ...)",
                                   "ConceptMap/$translate")
        implicit = snomed_maps.parse_url(req.url)
        matches: list[Match] = []
        if implicit is not None:
            used = [req.url]
            matches += self._refset(implicit[0], implicit[1], req)
        else:
            candidates = self._candidates(req)
            used = [_canonical(cm) for cm in candidates]
            for cm in candidates:
                matches += (_reverse(cm, req) if req.reverse else self._forward(cm, req, req.code, 0))
            if not req.url:
                for refset_id in self._refsets_to(req):
                    try:
                        found_here = self._refset(refset_id, None, req)
                    except t.UnknownResource:
                        continue
                    used.append(snomed_maps.SNOMED + "?fhir_cm=" + refset_id)
                    matches += found_here
        found = any(m.concept is not None and m.relationship != "not-related-to" for m in matches)
        message = None if found else t.format_message(
            "TRANSLATE_NO_MATCH", f"{req.system or req.target_system or ''}#{req.code}",
            ", ".join(used) or "(none)")
        return TranslateResult(found, tuple(matches), message)

    # --- SNOMED CT map refsets ------------------------------------------------------------------------

    def _refsets_to(self, req: TranslateRequest) -> list[str]:
        """Map refsets that a translation without ``url`` also uses: those whose target is the other system."""
        if self.snomed is None:
            return []
        if req.reverse:
            other, snomed_side = req.target_system or req.system, req.source_system
        else:
            other, snomed_side = req.target_system, req.system
        if not other or other == snomed_maps.SNOMED or snomed_side not in (None, snomed_maps.SNOMED):
            return []
        if not req.reverse and snomed_side is None:
            return []
        targets = {**snomed_maps.KNOWN_TARGETS, **self.map_targets}
        return [refset for refset, system in targets.items() if system == other]

    def _refset(self, refset_id: str, version: str | None, req: TranslateRequest) -> list[Match]:
        """Matches from the members of one map or association refset (the implicit map ``req.url``)."""
        origin = f"{version or snomed_maps.SNOMED}?fhir_cm={refset_id}"
        if self.snomed is None:
            raise t.UnknownResource("OP_UNKNOWN_RESOURCE", "ConceptMap", origin)
        if req.reverse:
            wanted = req.target_system or req.system
            if req.source_system not in (None, snomed_maps.SNOMED):
                return []
            entries = self.snomed.map_refset_targets(refset_id, snomed_maps.spellings(req.code, wanted),
                                                     reverse=True, version=version)
        else:
            wanted = req.target_system
            if req.system not in (None, snomed_maps.SNOMED):
                return []
            entries = self.snomed.map_refset_targets(refset_id, req.code, version=version or req.version)
        out: list[Match] = []
        for e in entries:
            system = snomed_maps.target_system(refset_id, e.kind, self.map_targets, wanted)
            if wanted and system != wanted:
                continue
            if system is None:
                raise t.InvalidRequest.plain(
                    f"The code system that map refset {refset_id} maps to is not known to this server; name it "
                    "with targetSystem (or configure VARDTERM_SNOMED_MAP_TARGETS)")
            relationship = snomed_maps.relationship(e)
            concept = t.Coding(system, snomed_maps.target_code(e, system), e.target_display) \
                if e.target and relationship != "not-related-to" else None
            source = t.Coding(snomed_maps.SNOMED, e.source_code, e.source_display, e.version) if req.reverse else None
            out.append(Match(relationship, concept, origin, source))
        return out

    def _candidates(self, req: TranslateRequest) -> list[dict]:
        sent = [r for r in req.resources if r.get("resourceType") == "ConceptMap"]
        if req.url:
            found = [r for r in sent if r.get("url") == req.url] + self.maps.find("ConceptMap", req.url)
            if req.concept_map_version:
                found = [r for r in found if r.get("version") == req.concept_map_version]
            if not found:
                raise t.UnknownResource("OP_UNKNOWN_RESOURCE", "ConceptMap", req.url)
        else:
            found = sent + self.maps.current("ConceptMap")
        for scope, keys in ((req.source_scope, ("sourceScopeUri", "sourceScopeCanonical")),
                            (req.target_scope, ("targetScopeUri", "targetScopeCanonical"))):
            if scope:
                found = [r for r in found if any(_base(r.get(k)) == _base(scope) for k in keys)]
        return _unique(found)

    def _forward(self, cm: dict, req: TranslateRequest, code: str, depth: int) -> list[Match]:
        out: list[Match] = []
        origin = _canonical(cm)
        for group in cm.get("group", []):
            source, _ = _split(group.get("source"))
            target, target_version = _split(group.get("target"))
            if req.system and source != req.system or req.target_system and target != req.target_system:
                continue
            elements = [e for e in group.get("element", []) if e.get("code") == code]
            for element in elements:
                if element.get("noMap"):
                    out.append(Match("not-related-to", None, origin))
                for tgt in element.get("target", []):
                    concept = t.Coding(target, tgt["code"], tgt.get("display"), target_version) \
                        if tgt.get("code") else None
                    out.append(Match(tgt.get("relationship", "related-to"), concept, origin))
            if not elements:
                out += self._unmapped(group, req, code, origin, target, target_version, depth)
        return out

    def _unmapped(self, group: dict, req: TranslateRequest, code: str, origin: str, target: str | None,
                  target_version: str | None, depth: int) -> list[Match]:
        unmapped = group.get("unmapped") or {}
        mode = unmapped.get("mode")
        relationship = unmapped.get("relationship", "related-to")
        if mode == "fixed" and unmapped.get("code"):
            return [Match(relationship, t.Coding(target, unmapped["code"], unmapped.get("display"), target_version),
                          origin)]
        if mode == "use-source-code":
            return [Match(relationship, t.Coding(target, code, None, target_version), origin)]
        if mode == "other-map" and unmapped.get("otherMap") and depth < MAX_OTHER_MAP_DEPTH:
            url, version = _split(unmapped["otherMap"])
            maps = [r for r in req.resources if r.get("url") == url] + self.maps.find("ConceptMap", url)
            maps = [m for m in maps if version is None or m.get("version") == version]
            return [m for cm in _unique(maps) for m in self._forward(cm, req, code, depth + 1)]
        return []


def _reverse(cm: dict, req: TranslateRequest) -> list[Match]:
    out: list[Match] = []
    origin = _canonical(cm)
    for group in cm.get("group", []):
        source, source_version = _split(group.get("source"))
        target, target_version = _split(group.get("target"))
        wanted_target = req.target_system or req.system
        if wanted_target and target != wanted_target or req.source_system and source != req.source_system:
            continue
        for element in group.get("element", []):
            for tgt in element.get("target", []):
                if tgt.get("code") == req.code:
                    out.append(Match(tgt.get("relationship", "related-to"),
                                     t.Coding(target, req.code, None, target_version), origin,
                                     t.Coding(source, element["code"], element.get("display"), source_version)))
    return out


def _split(canonical: str | None) -> tuple[str | None, str | None]:
    if not canonical:
        return None, None
    url, _, version = canonical.partition("|")
    return url, version or None


def _base(canonical: str | None) -> str | None:
    return _split(canonical)[0]


def _canonical(cm: dict) -> str:
    return f"{cm.get('url')}|{cm['version']}" if cm.get("version") else str(cm.get("url"))


def _unique(maps: Iterable[dict]) -> list[dict]:
    seen, out = set(), []
    for cm in maps:
        key = (cm.get("url"), cm.get("version"))
        if key not in seen:
            seen.add(key)
            out.append(cm)
    return out
