"""What every code system offers to the value set engine, whatever stores it.

FHIR R5 CodeSystem (http://hl7.org/fhir/R5/codesystem.html): a code system has metadata (``url``,
``version``, ``status``, ``content``, ``caseSensitive``, ``hierarchyMeaning``, property definitions), concepts
with a display, a definition, designations and property values, a subsumption hierarchy, and filters
(``CodeSystem.filter``; the operators of http://hl7.org/fhir/filter-operator). A
:class:`CodeSystemProvider` exposes exactly that, so ``$expand``, ``$lookup`` and ``$validate-code`` run the
same way over a CodeSystem resource sent in the request, one kept by the server, or SNOMED CT in the store.

A filter answers a :class:`ConceptSelection`: a set of codes that can be tested for membership and listed in
hierarchy order without the caller knowing whether it is a Python set or a SQL query. A provider whose
selections are query selections (:class:`QuerySelection`; SNOMED CT's are SQL over the store) lets the engine
combine, count, text-filter and page them where the data lives, so an expansion of a 300,000-concept subtree
is never materialised in Python to be paged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Literal, Protocol, Sequence, runtime_checkable

from ..model import Coding, Designation, Issue, Property

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
    notes: tuple["Issue", ...] = ()
    """Issues the code system found in the code itself, reported by ``$validate-code`` when the code is valid
    (SNOMED CT: a term in an expression's pipes that is no term of its concept, an expression not checked against
    a concept model); their ``expression`` is left empty for the engine to fill in."""


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


class QuerySelection(ABC):
    """A selection evaluated where the provider's data lives: combined with other selections of the same
    provider version, counted and paged there (ordered by code, or by how well a term matches a text).
    A base class rather than a protocol, so the engine's ``isinstance`` test costs nothing on the hot path."""

    @abstractmethod
    def __contains__(self, code: object) -> bool: ...

    @abstractmethod
    def codes(self) -> Iterator[str]: ...

    @abstractmethod
    def union(self, other: "QuerySelection") -> "QuerySelection": ...

    @abstractmethod
    def intersect(self, other: "QuerySelection") -> "QuerySelection": ...

    @abstractmethod
    def minus(self, other: "QuerySelection") -> "QuerySelection": ...

    @abstractmethod
    def active(self) -> "QuerySelection":
        """The members that are active concepts."""

    @abstractmethod
    def matching(self, text: str) -> "QuerySelection":
        """The members with an active term whose words start with every word of ``text`` (case and
        diacritics folded); the selection itself when ``text`` has no words."""

    @abstractmethod
    def of_codes(self, codes: Iterable[str]) -> "QuerySelection":
        """The listed codes that are concepts of the same code system version (a new selection)."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def page(self, offset: int = 0, limit: int | None = None, *, rank_text: str | None = None
             ) -> Sequence["ConceptInfo"]:
        """A slice of the members as concepts (display and status), ordered by code, or best match to
        ``rank_text`` first."""

    def plain_page(self, offset: int = 0, limit: int | None = None, *, rank_text: str | None = None
                   ) -> list[tuple[str, "str | None", bool, bool]]:
        """The same slice as ``(code, display, inactive, abstract)``: all an expansion without designations
        or properties shows. A provider may answer it without making a concept object per member."""
        return [(c.code, c.display, c.inactive, c.abstract) for c in self.page(offset, limit, rank_text=rank_text)]


DisplayCandidate = tuple[str, "str | None", "Coding | None", str]
"""``(text, language, use, status)``: one text a concept may be displayed with (``status`` ``active`` or
``inactive``), for the display checks of ``$validate-code``."""


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
    query_selections: bool
    """True when :meth:`all_codes` and :meth:`filter` answer query selections, which the engine may
    combine, count, text-filter and page without listing them."""
    chooses_display: bool
    """True when :attr:`ConceptInfo.display` is already the display for the request's languages (SNOMED CT
    picks it from its language refsets); the engine then shows it as it is instead of choosing among the
    designations, and asks :meth:`display_candidates` for the texts a ``$validate-code`` display may be."""

    def locate(self, code: str) -> ConceptInfo | None:
        """The concept with this code (compared case-insensitively when ``case_sensitive`` is false)."""
        ...

    def code_problem(self, code: str) -> str | None:
        """Why ``code``, which :meth:`locate` did not find, is not a code of the code system, when the code system
        can say more than "unknown" (SNOMED CT: what is wrong with a post-coordinated expression); else None."""
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

    def lookup_properties(self, info: ConceptInfo, wanted: Sequence[str]) -> Iterable[Property]:
        """The properties ``$lookup`` returns for a concept: those named in ``wanted`` (the ``property``
        parameters), or the code system's default set when ``wanted`` is empty or holds ``*``."""
        ...

    def display_candidates(self, info: ConceptInfo) -> Iterable[DisplayCandidate]:
        """Every text the concept may be displayed with, active and inactive (only asked of providers that
        :attr:`choose their display <chooses_display>`)."""
        ...

    @property
    def is_hierarchical(self) -> bool:
        """True when some concept has a parent (expansions are then nested unless ``excludeNested``)."""
        ...


def canonical(url: str, version: str | None) -> str:
    """``url|version``, or ``url`` when there is no version (the form of ``used-codesystem`` values)."""
    return f"{url}|{version}" if version else url
