"""SNOMED CT map and association refsets as implicit ConceptMaps for ``$translate``.

URL form (FHIR R5 snomedct.html §"Implicit Concept Maps"): ``http://snomed.info/sct?fhir_cm=<refset id>``,
optionally with an edition or version URI in front of the query (``http://snomed.info/sct/45991000052106/
version/20251130?fhir_cm=...``) to read a given edition. The members come from the terminology
(:class:`RefsetMaps`, which :class:`terminology.TerminologyService` fits); this module says what they mean:

* **Target system.** RF2 does not say what code system a map refset maps to. Known refsets are listed in
  :data:`KNOWN_TARGETS` (SNOMED International's, as Snowstorm configures them; see
  ``shared/design/snomed-fhir.md`` §1.5), more can be configured (``VARDTERM_SNOMED_MAP_TARGETS``), and a
  request's ``targetSystem`` names it otherwise. Association refsets map to SNOMED CT itself.
* **Relationship.** Historical associations: SAME AS and REPLACED BY are ``equivalent``, POSSIBLY
  EQUIVALENT TO, ALTERNATIVE and the others ``related-to``. Complex and extended maps: by their
  ``correlationId`` (the 4471... map correlation values and the 11935... map correlation and origin values
  Snowstorm maps). Simple maps carry no correlation and are read as ``equivalent`` (as Snow Owl does). A
  member without a target, or with the "not mappable" correlation, is ``not-related-to``.
* **ICD-10-SE codes** are written without a dot in the code system (``C189``) but often with one in map
  refsets (``C18.9``): for such target systems the dot is removed on the way out, and both spellings are
  looked for in a reverse translation.
"""

from __future__ import annotations

import re
from typing import Mapping, Protocol, Sequence

import terminology as t

SNOMED = t.snomed.SYSTEM
ICD10SE = "urn:oid:1.2.752.116.1.1.1.1.3"

KNOWN_TARGETS: dict[str, str] = {
    "447562003": "http://hl7.org/fhir/sid/icd-10",
    "446608001": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "900000000000497000": "http://read.info/ctv3",
    "6011000124106": "http://hl7.org/fhir/sid/icd-10-cm",
}
"""Map refset id -> target code system of SNOMED International's map refsets."""

UNDOTTED_SYSTEMS = frozenset({ICD10SE})
"""Target systems whose codes are written without the dot of ICD-10 (``tests/data/se-codes/README.md``)."""

ASSOCIATION_RELATIONSHIPS = {
    "900000000000527005": "equivalent",      # SAME AS
    "900000000000526001": "equivalent",      # REPLACED BY
    "900000000000523009": "related-to",      # POSSIBLY EQUIVALENT TO
    "900000000000530003": "related-to",      # ALTERNATIVE
}

CORRELATION_RELATIONSHIPS = {
    "447557004": "equivalent",                      # exact match
    "447559001": "source-is-broader-than-target",   # broad to narrow
    "447558009": "source-is-narrower-than-target",  # narrow to broad
    "447560006": "related-to",                      # partial overlap
    "447561005": "related-to",                      # not specified
    "447556008": "not-related-to",                  # not mappable
    "1193548004": "equivalent",                     # equal
    "1193547009": "source-is-broader-than-target",  # narrower (the target is narrower)
    "1193549007": "source-is-narrower-than-target",  # wider
    "1193550007": "related-to",                     # inexact
    "1193551006": "not-related-to",                 # disjoint
    "1193552004": "not-related-to",                 # unmatched
}

_IMPLICIT = re.compile(r"(?P<base>http://snomed\.info/(?:x?sct)(?:/[0-9]+(?:/version/[0-9]{8})?)?)\?fhir_cm=(?P<id>\S+)")


class RefsetMaps(Protocol):
    """The members of SNOMED CT map and association refsets (``terminology.TerminologyService`` fits)."""

    def map_refset_targets(self, refset_id: str, code: str | Sequence[str], *, reverse: bool = False,
                           version: str | None = None, display_language: str | None = None
                           ) -> list[t.RefsetMapEntry]: ...


def parse_url(url: str | None) -> tuple[str, str | None] | None:
    """``(refset id, edition version URI or None)`` of an implicit ConceptMap URL, else None."""
    m = _IMPLICIT.fullmatch(url or "")
    if m is None:
        return None
    base = m.group("base")
    return m.group("id"), (base if base != SNOMED else None)


def relationship(entry: t.RefsetMapEntry) -> str:
    """The R5 relationship a member stands for (see the module docstring)."""
    if not entry.target:
        return "not-related-to"
    if entry.kind == "association":
        return ASSOCIATION_RELATIONSHIPS.get(entry.refset_id, "related-to")
    if entry.correlation_id:
        return CORRELATION_RELATIONSHIPS.get(entry.correlation_id, "related-to")
    return "equivalent"


def target_code(entry: t.RefsetMapEntry, system: str | None) -> str:
    """The target as a code of ``system`` (the ICD-10 dot removed where the system writes none)."""
    return entry.target.replace(".", "") if system in UNDOTTED_SYSTEMS else entry.target


def spellings(code: str, system: str | None) -> list[str]:
    """Ways a target code may be written in a refset: ``C189`` is also ``C18.9`` in an undotted system."""
    if system in UNDOTTED_SYSTEMS:
        bare = code.replace(".", "")
        return list(dict.fromkeys([code, bare] + ([f"{bare[:3]}.{bare[3:]}"] if len(bare) > 3 else [])))
    return [code]


def target_system(refset_id: str, kind: str, configured: Mapping[str, str], requested: str | None) -> str | None:
    """The target code system of a refset: associations -> SNOMED CT, then configured, known, requested."""
    if kind == "association":
        return SNOMED
    return configured.get(refset_id) or KNOWN_TARGETS.get(refset_id) or requested
