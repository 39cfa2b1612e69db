"""SNOMED CT (one loaded edition/version) as a :class:`~terminology.providers.base.CodeSystemProvider`.

So a ValueSet compose can include SNOMED CT next to other code systems. Filters follow "Using SNOMED CT with
FHIR" (snomed-fhir.md §1.6): ``concept is-a X`` (``<< X``), ``concept descendent-of X`` (``< X``),
``concept in X`` (active members of refset X), ``concept = X``, and ``constraint = <ECL>`` /
``expression = <ECL>`` (evaluated by :mod:`terminology.ecl` when that package is installed). Sets stay SQL
(:class:`~terminology.store.ConceptSet`) until the expansion lists them; listing more than ``max_codes``
concepts is refused as too costly, whatever page the request asks for, because a compose definition is
evaluated whole.
"""

from __future__ import annotations

from typing import Iterator

from .. import ecl, snomed
from ..edition import Edition
from ..errors import InvalidRequest, TooCostly
from ..model import Property
from ..store import ConceptSet
from .base import ConceptInfo, PropertyDef, SubsumptionOutcome

_PROPERTY_DEFS = (PropertyDef("inactive", "http://hl7.org/fhir/concept-properties#inactive", "boolean"),
                  PropertyDef("parent", "http://hl7.org/fhir/concept-properties#parent", "code"),
                  PropertyDef("child", "http://hl7.org/fhir/concept-properties#child", "code"),
                  PropertyDef("moduleId", None, "code"))


class SnomedSelection:
    """A :class:`~terminology.providers.base.ConceptSelection` backed by a store query."""

    def __init__(self, provider: "SnomedProvider", concepts: ConceptSet) -> None:
        self.provider = provider
        self.concepts = concepts

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str) or not snomed.is_concept_id(code):
            return False
        return self.provider.edition.store.contains(self.concepts, int(code))

    def codes(self) -> Iterator[str]:
        return (info.code for info in self.infos())

    def infos(self) -> Iterator[ConceptInfo]:
        """The members as concepts with display and status only, read in two queries whatever the size
        (the value set engine uses this instead of a :meth:`SnomedProvider.locate` per member)."""
        store = self.provider.edition.store
        n = store.count(self.concepts)
        if n > self.provider.max_codes:
            raise TooCostly("VALUESET_TOO_COSTLY", snomed.SYSTEM, self.provider.max_codes)
        rows = store.page(self.concepts, refsets=self.provider.display_refsets)
        return (ConceptInfo(code=str(cid), display=display, inactive=not active) for cid, display, active in rows)


class SnomedProvider:
    """One SNOMED CT edition/version, read through its :class:`~terminology.edition.Edition`."""

    url = snomed.SYSTEM
    status = "active"
    content = "complete"
    case_sensitive = False
    hierarchy_meaning = "is-a"
    experimental = False
    property_defs = _PROPERTY_DEFS
    supplements: tuple[str, ...] = ()
    resource = None
    is_hierarchical = False
    """Expansions of SNOMED CT stay flat: a subtree can hold hundreds of thousands of concepts."""

    def __init__(self, edition: Edition, *, max_codes: int = 100_000, display_language: str | None = None,
                 ecl_limits: ecl.EclLimits | None = None) -> None:
        self.edition = edition
        self.ecl_limits = ecl_limits
        self.version = edition.version.version
        self.name = "SNOMED CT"
        self.title = edition.version.title
        self.language = edition.default_language
        self.max_codes = max_codes
        self.display_refsets = edition.display_refsets(display_language)

    def locate(self, code: str) -> ConceptInfo | None:
        row = self.edition.find(code)
        if row is None:
            return None
        store = self.edition.store
        parents, children = store.parents(row.id), store.children(row.id)
        display = store.displays([row.id], self.display_refsets).get(row.id)
        return ConceptInfo(code=str(row.id), display=display, designations=self.edition.designations(row.id),
                           properties=(Property("inactive", "boolean", not row.active),
                                       Property("moduleId", "code", str(row.module_id))),
                           inactive=not row.active, parents=tuple(str(p) for p in parents),
                           children=tuple(str(c) for c in children))

    def roots(self) -> tuple[str, ...]:
        return (str(snomed.ROOT),)

    def all_codes(self) -> SnomedSelection:
        return SnomedSelection(self, self.edition.store.all_concepts())

    def filter(self, prop: str, op: str, value: str) -> SnomedSelection:
        store = self.edition.store
        if prop == "concept":
            if op in ("is-a", "descendent-of"):
                return SnomedSelection(self, store.descendants(self.edition.check_sctid(value),
                                                               include_self=op == "is-a"))
            if op == "in":
                return SnomedSelection(self, store.refset_members(self.edition.check_sctid(value)))
            if op == "=":
                return SnomedSelection(self, store.ids([self.edition.check_sctid(value)]))
        if prop in ("constraint", "expression") and op == "=":
            return SnomedSelection(self, ecl.evaluate(self.edition, value, limits=self.ecl_limits))
        raise InvalidRequest("FILTER_NOT_UNDERSTOOD", prop, op, value, snomed.SYSTEM)

    def subsumes(self, code_a: str, code_b: str) -> SubsumptionOutcome:
        a, b = self.edition.concept(code_a.strip()), self.edition.concept(code_b.strip())
        if a.id == b.id:
            return "equivalent"
        if self.edition.store.is_descendant(b.id, a.id):
            return "subsumes"
        if self.edition.store.is_descendant(a.id, b.id):
            return "subsumed-by"
        return "not-subsumed"
