"""SNOMED CT map and association refsets read as concept maps (``http://snomed.info/sct?fhir_cm=<refset id>``).

FHIR R5 snomedct.html §"Implicit Concept Maps": a map refset (simple, complex or extended map: its members
carry ``mapTarget``) or a historical association refset (``targetComponentId``) of an edition is a concept
map from SNOMED CT to the map's target. This module reads the members for one source concept (forward) or
one target (reverse) with what each member says (group, priority, rule, advice, correlation); turning them
into ``$translate`` matches (target system, relationship) is the job of ``mappings.translate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from . import snomed
from .edition import Edition
from .errors import UnknownResource

IMPLICIT_MAP = snomed.SYSTEM + "?fhir_cm="


@dataclass(frozen=True)
class RefsetMapEntry:
    """One active member of a map or association refset."""

    refset_id: str
    kind: str
    """``map`` (the refset has ``mapTarget``) or ``association`` (``targetComponentId``)."""
    source_code: str
    source_display: str | None
    target: str
    """``mapTarget`` as written in the release, or the SCTID of the association target."""
    target_display: str | None = None
    """For associations: the target concept's display."""
    map_group: int | None = None
    map_priority: int | None = None
    map_rule: str | None = None
    map_advice: str | None = None
    correlation_id: str | None = None
    version: str | None = None
    """The edition version URI the member was read from."""


def entries(ed: Edition, refset_id: str, codes: Sequence[str], *, reverse: bool = False,
            display_language: str | None = None) -> list[RefsetMapEntry]:
    """Members of refset ``refset_id`` whose source (forward) or target (reverse) is one of ``codes``.

    Raises UnknownResource (the implicit ConceptMap URL) when the refset is not in the edition or is not a
    map or association refset. A source code that is not a concept of the edition matches nothing.
    """
    url = IMPLICIT_MAP + refset_id
    if not snomed.is_concept_id(refset_id):
        raise UnknownResource("OP_UNKNOWN_RESOURCE", "ConceptMap", url)
    fields = ed.store.refset_fields(int(refset_id))
    if fields is None or not ({"mapTarget", "targetComponentId"} & set(fields)):
        raise UnknownResource("OP_UNKNOWN_RESOURCE", "ConceptMap", url)
    kind = "map" if "mapTarget" in fields else "association"
    rows: list[tuple] = []
    if reverse:
        rows = ed.store.map_members(int(refset_id), targets=[c for c in codes if c])
    else:
        for code in codes:
            if snomed.is_concept_id(code.strip()):
                rows += ed.store.map_members(int(refset_id), component_id=int(code.strip()))
    refsets = ed.display_refsets(display_language)
    ids = {r[0] for r in rows}
    if kind == "association":
        ids |= {int(r[1]) for r in rows if r[1] and r[1].isdigit()}
    names = ed.store.displays(sorted(ids), refsets)
    return [RefsetMapEntry(refset_id, kind, str(r[0]), names.get(r[0]), r[1],
                           names.get(int(r[1])) if kind == "association" and r[1] and r[1].isdigit() else None,
                           r[2], r[3], r[4], r[5], str(r[6]) if r[6] is not None else None, ed.version.version)
            for r in rows if r[1] is not None]
