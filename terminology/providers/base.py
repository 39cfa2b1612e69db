"""What every code system offers to the value set engine, whatever stores it.

FHIR R5 CodeSystem (http://hl7.org/fhir/R5/codesystem.html): a code system has metadata (``url``,
``version``, ``status``, ``content``, ``caseSensitive``, ``hierarchyMeaning``, property definitions), concepts
with a display, a definition, designations and property values, a subsumption hierarchy, and filters
(``CodeSystem.filter``; the operators of http://hl7.org/fhir/filter-operator). A
:class:`CodeSystemProvider` exposes exactly that, so ``$expand``, ``$lookup`` and ``$validate-code`` run the
same way over a CodeSystem resource sent in the request, one kept by the server, or SNOMED CT in the store.

A filter answers a :class:`ConceptSelection`: a set of codes that can be tested for membership and listed in
hierarchy order without the caller knowing whether it is a Python set or a SQL query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Literal, Protocol, runtime_checkable

from ..model import Designation, Property

FILTER_OPERATORS = ("=", "is-a", "descendent-of", "is-not-a", "regex", "in", "not-in", "generalizes", "child-of",
                    "descendent-leaf", "exists")
"""http://hl7.org/fhir/filter-operator (R5), the operators :meth:`CodeSystemProvider.filter` understands."""

CONCEPT_PROPERTIES = "http://hl7.org/fhir/concept-properties"
"""Base URI of the standard concept properties (``#status``, ``#notSelectable``, ``#parent``...)."""

Status = Literal["active", "retired", "deprecated", "inactive", "experimental", "draft"]
SubsumptionOutcome = Literal["equivalent", "subsumes", "subsumed-by", "not-subsumed"]


@dataclass(frozen=True)
class PropertyDef:
    """``CodeSystem.property``: a property the code system defines for its concepts."""

    code: str
    uri: str | None = None
    type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ConceptInfo:
    """One concept as the engine sees it, with supplements already merged in.

    ``inactive`` follows FHIR R5 CodeSystem: the ``inactive`` property, or a ``status`` of ``retired`` or
    ``inactive``; ``deprecated`` concepts are still active. ``abstract`` is the ``notSelectable`` property.
    ``annotations`` are properties implied by standard extensions (``codesystem-conceptOrder`` as ``order``,
    ``codesystem-label`` as ``label``, ``itemWeight`` as ``weight``), ``extensions`` those concept extensions
    that travel into an expansion unchanged (rendering hints).
    """

    code: str
    display: str | None
    definition: str | None = None
    designations: tuple[Designation, ...] = ()
    properties: tuple[Property, ...] = ()
    inactive: bool = False
    status: str | None = None
    abstract: bool = False
    deprecated: bool = False
    parents: tuple[str, ...] = ()
    children: tuple[str, ...] = ()
    annotations: tuple[Property, ...] = ()
    extensions: tuple[dict, ...] = ()


@runtime_checkable
class ConceptSelection(Protocol):
    """A set of codes of one code system version."""

    def __contains__(self, code: object) -> bool: ...

    def codes(self) -> Iterator[str]:
        """The member codes, in the code system's hierarchy order."""
        ...


@dataclass(frozen=True)
class CodeSet:
    """A :class:`ConceptSelection` held in memory: codes in hierarchy order plus a set for membership."""

    ordered: tuple[str, ...]
    members: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def of(cls, codes: Iterable[str]) -> "CodeSet":
        ordered = tuple(dict.fromkeys(codes))
        return cls(ordered, frozenset(ordered))

    def __contains__(self, code: object) -> bool:
        return code in self.members

    def __len__(self) -> int:
        return len(self.ordered)

    def codes(self) -> Iterator[str]:
        return iter(self.ordered)

    def intersect(self, other: ConceptSelection) -> "CodeSet":
        return CodeSet.of(c for c in self.ordered if c in other)


class CodeSystemProvider(Protocol):
    """A code system version the engine can expand, look up and validate against."""

    url: str
    version: str | None
    name: str | None
    title: str | None
    status: str | None
    content: str
    """``complete``, ``fragment``, ``example``, ``not-present`` or ``supplement`` (CodeSystem.content)."""
    case_sensitive: bool
    language: str | None
    hierarchy_meaning: str | None
    experimental: bool
    property_defs: tuple[PropertyDef, ...]
    supplements: tuple[str, ...]
    """Canonicals (``url|version``) of the supplements merged into this provider."""
    resource: dict | None
    """The CodeSystem resource behind the provider, when there is one (for metadata and warnings)."""

    def locate(self, code: str) -> ConceptInfo | None:
        """The concept with this code (compared case-insensitively when ``case_sensitive`` is false)."""
        ...

    def roots(self) -> tuple[str, ...]:
        """Codes of the concepts without a parent, in the code system's order."""
        ...

    def all_codes(self) -> ConceptSelection:
        """Every concept, in hierarchy order (depth first, each concept once)."""
        ...

    def filter(self, prop: str, op: str, value: str) -> ConceptSelection:
        """The concepts matching ``prop op value`` (one ``ValueSet.compose.include.filter``).

        Raises :class:`~terminology.errors.InvalidRequest` for an operator or property the code system does
        not support, or a value that is not valid for the operator.
        """
        ...

    def subsumes(self, code_a: str, code_b: str) -> SubsumptionOutcome:
        """How ``code_a`` relates to ``code_b`` in the is-a hierarchy (CodeSystem/$subsumes)."""
        ...

    @property
    def is_hierarchical(self) -> bool:
        """True when some concept has a parent (expansions are then nested unless ``excludeNested``)."""
        ...


def canonical(url: str, version: str | None) -> str:
    """``url|version``, or ``url`` when there is no version (the form of ``used-codesystem`` values)."""
    return f"{url}|{version}" if version else url
