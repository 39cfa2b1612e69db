"""What a new release changed and what that breaks: the records of the release diff and its impact.

Plain frozen dataclasses; codes are strings (FHIR codes, SNOMED CT concept ids written as digits). The JSON and
CSV shapes are made by :mod:`.render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import snomed

ASSOCIATION_NAMES: dict[int, str] = {
    snomed.SAME_AS: "SAME AS", snomed.REPLACED_BY: "REPLACED BY",
    snomed.POSSIBLY_EQUIVALENT_TO: "POSSIBLY EQUIVALENT TO", snomed.ALTERNATIVE: "ALTERNATIVE",
    snomed.WAS_A: "WAS A", snomed.MOVED_TO: "MOVED TO", snomed.MOVED_FROM: "MOVED FROM",
    snomed.SIMILAR_TO: "SIMILAR TO", snomed.REFERS_TO: "REFERS TO",
    snomed.POSSIBLY_REPLACED_BY: "POSSIBLY REPLACED BY", snomed.PARTIALLY_EQUIVALENT_TO: "PARTIALLY EQUIVALENT TO",
}
"""Historical association refsets by name (synthetic-rf2.md §1.6; SNOMED CT Editorial Guide)."""

REPLACEMENT_ORDER = ("SAME AS", "REPLACED BY", "POSSIBLY REPLACED BY", "POSSIBLY EQUIVALENT TO",
                     "PARTIALLY EQUIVALENT TO", "ALTERNATIVE", "replacedBy")
"""Associations that name a replacement, most certain first (WAS A, MOVED TO, ... name none)."""

REASON_NAMES: dict[int, str] = {
    snomed.DUPLICATE: "dubblett", snomed.OUTDATED: "föråldrat", snomed.AMBIGUOUS: "tvetydigt",
    snomed.ERRONEOUS: "felaktigt", snomed.LIMITED: "begränsat", snomed.MOVED_ELSEWHERE: "flyttat till annan modul",
    snomed.PENDING_MOVE: "flytt pågår", snomed.INAPPROPRIATE: "olämpligt",
    snomed.NONCONFORMANCE_TO_EDITORIAL_POLICY: "bryter mot redaktionella regler",
    snomed.CLASSIFICATION_DERIVED_COMPONENT: "härlett av klassificeringen",
    snomed.MEANING_OF_COMPONENT_UNKNOWN: "okänd betydelse",
}
"""Concept inactivation reasons (refset 900000000000489007 values), in Swedish for the pages and the CLI."""


@dataclass(frozen=True)
class Ref:
    """A code with its display (in TO, or FROM for what TO lacks)."""

    code: str
    display: str | None = None


@dataclass(frozen=True)
class Association:
    """A historical association of an inactivated concept: ``name`` (``REPLACED BY``, ...) and its target."""

    name: str
    target: Ref


@dataclass(frozen=True)
class Inactivation:
    concept: Ref
    reason: str | None
    """The inactivation reason's code (SNOMED CT: the indicator's valueId), None when the release gives none."""
    reason_text: str | None
    associations: tuple[Association, ...] = ()

    @property
    def replacements(self) -> tuple[Association, ...]:
        """The associations that name a replacement, most certain first."""
        ranked = [a for a in self.associations if a.name in REPLACEMENT_ORDER]
        return tuple(sorted(ranked, key=lambda a: (REPLACEMENT_ORDER.index(a.name), a.target.code)))


@dataclass(frozen=True)
class Move:
    """A concept whose parents changed (moved in the hierarchy)."""

    concept: Ref
    parents_added: tuple[Ref, ...]
    parents_removed: tuple[Ref, ...]


@dataclass(frozen=True)
class TermChange:
    """The preferred term (or FSN, ``language`` "fsn") of a concept changed in one language."""

    concept: Ref
    language: str
    """``fsn``, a language code (``sv``, ``en-US``, ...) or the language refset id when unknown."""
    before: str | None
    after: str | None


@dataclass(frozen=True)
class DescriptionChange:
    id: str
    concept: str
    language: str
    type: str
    """``fsn``, ``synonym`` or ``definition``."""
    term: str


@dataclass(frozen=True)
class RefsetChange:
    refset: Ref
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseDiff:
    """Everything that changed from ``from_version`` to ``to_version`` of ``system``."""

    system: str
    from_version: str
    to_version: str
    added: tuple[Ref, ...] = ()
    reactivated: tuple[Ref, ...] = ()
    inactivated: tuple[Inactivation, ...] = ()
    moved: tuple[Move, ...] = ()
    terms: tuple[TermChange, ...] = ()
    descriptions_added: tuple[DescriptionChange, ...] = ()
    descriptions_inactivated: tuple[DescriptionChange, ...] = ()
    refsets: tuple[RefsetChange, ...] = ()
    by_hierarchy: dict[str, dict[str, int]] = field(default_factory=dict)
    """category -> {hierarchy display: count} (categories: added, reactivated, inactivated, moved, terms)"""
    by_module: dict[str, dict[str, int]] = field(default_factory=dict)
    """category -> {module id: count}"""

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "reactivated": len(self.reactivated),
                "inactivated": len(self.inactivated), "moved": len(self.moved), "terms": len(self.terms),
                "descriptions_added": len(self.descriptions_added),
                "descriptions_inactivated": len(self.descriptions_inactivated),
                "refset_members_added": sum(len(r.added) for r in self.refsets),
                "refset_members_removed": sum(len(r.removed) for r in self.refsets)}

    def inactivation(self, code: str) -> Inactivation | None:
        return self._inactivated.get(code)

    @property
    def _inactivated(self) -> dict[str, Inactivation]:
        found = self.__dict__.get("_inactivated_cache")
        if found is None:
            found = {i.concept.code: i for i in self.inactivated}
            object.__setattr__(self, "_inactivated_cache", found)
        return found


@dataclass(frozen=True)
class Finding:
    """One thing a release breaks or changes in what the server stores, and what to do about it.

    ``kind``: ``valueset``, ``conceptmap`` or ``service``; ``target`` the resource or record id;
    ``change``: ``left`` / ``joined`` (expansion members), ``listed-inactive`` (a code written in ``compose``),
    ``source-inactive`` / ``target-inactive`` (ConceptMap), ``inactivated`` / ``moved`` (a service's type).
    ``cause``: ``inactivated``, ``moved``, ``new``, ``reactivated``, ``refset`` or ``hierarchy`` (an ancestor
    moved or a filter's input changed).
    """

    kind: str
    target: str
    title: str
    code: str
    display: str | None
    change: str
    cause: str
    text: str
    """What happened, in Swedish."""
    replacements: tuple[Association, ...] = ()
    region: tuple[str, ...] = ()
    """Services: the regions whose commissions cover it."""
    agreements: tuple[str, ...] = ()
    """Services: the agreements (avtals-id) that cover it."""
    searches_lost: tuple[Ref, ...] = ()
    """Services whose concept moved: ancestors under which a care search no longer finds the service."""
    searches_gained: tuple[Ref, ...] = ()

    @property
    def key(self) -> str:
        """Stable name of the finding, for the decision taken about it."""
        return f"{self.kind}:{self.target}:{self.change}:{self.code}"

    @property
    def suggestion(self) -> Association | None:
        return self.replacements[0] if self.replacements else None


@dataclass(frozen=True)
class Impact:
    """The impact of a release diff on the value sets, maps and care services the server stores."""

    diff: ReleaseDiff
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    """What could not be checked (a value set too large to expand, ...), in Swedish."""
    checked: dict[str, int] = field(default_factory=dict)
    """How many value sets / maps / services were looked at."""

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for f in self.findings:
            out.setdefault(f.kind, {}).setdefault(f.change, 0)
            out[f.kind][f.change] += 1
        return out
