"""The abstract syntax of ECL 2.2: small frozen dataclasses, one per construct of the specification.

Names follow the ECL specification's logical model (chapter 4) and ABNF rule names. Brief and long syntax
give the same tree (``<`` and ``descendantOf`` are both ``operator="<"``); comments and terms in pipes are
kept only where useful for messages (``ConceptReference.term``). ``position`` fields are 1-based character
offsets into the expression text, used in error messages, and take no part in equality.

::

    Expression  = SubExpression | Compound | Refined | Dotted
    Focus       = ConceptReference | Wildcard | AlternateIdentifier | Expression (nested in parentheses)
    Refinement  = Attribute | AttributeGroup | RefinementSet
    Comparison  = ExpressionComparison | NumericComparison | StringComparison | BooleanComparison
                  | TimeComparison
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

_pos = field(default=0, compare=False, repr=False)


# --- focus concepts (ECL §6.1 "Simple expression constraints") -----------------------------------------

@dataclass(frozen=True)
class ConceptReference:
    """``conceptId [|term|]``."""

    id: int
    term: str | None = field(default=None, compare=False)
    """The term in pipes, for people; it does not change the meaning."""
    position: int = _pos


@dataclass(frozen=True)
class Wildcard:
    """``*`` (long syntax ``ANY``): every concept of the substrate."""

    position: int = _pos


@dataclass(frozen=True)
class AlternateIdentifier:
    """``scheme#code`` (ECL 2.2 alternate identifiers)."""

    scheme: str
    code: str
    term: str | None = field(default=None, compare=False)
    position: int = _pos


@dataclass(frozen=True)
class ConceptReferences:
    """``(id id ...)``: an ``eclConceptReferenceSet`` in a filter."""

    items: tuple[ConceptReference, ...]


@dataclass(frozen=True)
class MemberOf:
    """``^`` (``memberOf``), optionally with refset fields to return (§6.10): ``^ [targetComponentId] R``.

    ``fields`` empty means ``referencedComponentId``; ``all_fields`` is ``^ [*]``.
    """

    fields: tuple[str, ...] = ()
    all_fields: bool = False


# --- expressions ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubExpression:
    """``subExpressionConstraint``: ``[operator] [^] focus {{ M ...}}* {{ D/C ...}}* [{{ + HISTORY }}]``.

    ``operator`` is one of ``< << <! <<! > >> >! >>! !!> !!<`` (long-syntax keywords are normalised).
    """

    focus: "Focus"
    operator: str | None = None
    member_of: MemberOf | None = None
    member_filters: tuple["MemberFilter", ...] = ()
    filters: tuple["DescriptionFilter | ConceptFilter", ...] = ()
    history: "HistorySupplement | None" = None
    position: int = _pos


@dataclass(frozen=True)
class Compound:
    """Conjunction (``AND`` / ``,``), disjunction (``OR``) or exclusion (``MINUS``, two operands) (§6.4, §6.5)."""

    operator: str
    operands: tuple["Expression", ...]


@dataclass(frozen=True)
class Refined:
    """``focus : refinement`` (§6.2)."""

    focus: SubExpression
    refinement: "Refinement"


@dataclass(frozen=True)
class Dotted:
    """``focus . attribute . attribute ...`` (dotted attributes, §6.2)."""

    focus: SubExpression
    attributes: tuple[SubExpression, ...]


# --- refinements (§6.2, §6.3) --------------------------------------------------------------------------

@dataclass(frozen=True)
class Cardinality:
    """``[min..max]``; ``max`` None is ``*`` (many)."""

    min: int
    max: int | None


@dataclass(frozen=True)
class ExpressionComparison:
    """``= expression`` or ``!= expression``."""

    operator: str
    value: "Expression"


@dataclass(frozen=True)
class NumericComparison:
    """``= #5``, ``>= #2.5`` ...: ``operator`` is one of ``= != < <= > >=``."""

    operator: str
    value: Decimal


@dataclass(frozen=True)
class SearchTerm:
    """A typed search term: ``mode`` ``match`` (word prefixes, the default for ``term``), ``wild``
    (``*`` wildcards; ``parts`` are the literal texts between them) or ``plain`` (a quoted string without
    a type: word-prefix match in a ``term`` filter, exact text for concrete values and refset fields)."""

    mode: str
    text: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class StringComparison:
    """``= "text"``, ``!= wild:"x*"``, ``= ("a" "b")`` (any of the terms)."""

    operator: str
    values: tuple[SearchTerm, ...]


@dataclass(frozen=True)
class BooleanComparison:
    """``= true`` or ``!= false``."""

    operator: str
    value: bool


@dataclass(frozen=True)
class TimeComparison:
    """``effectiveTime >= "20200131"``; a set ``("a" "b")`` means any of them. A time is YYYYMMDD as an int,
    or None for the empty time value ``""``."""

    operator: str
    values: tuple[int | None, ...]


@dataclass(frozen=True)
class Attribute:
    """``[cardinality] [R] name comparison``."""

    name: SubExpression
    comparison: "Comparison"
    cardinality: Cardinality | None = None
    reverse: bool = False
    position: int = _pos


@dataclass(frozen=True)
class RefinementSet:
    """Refinements joined by one operator, ``AND`` (also ``,``) or ``OR``."""

    operator: str
    items: tuple["Refinement", ...]


@dataclass(frozen=True)
class AttributeGroup:
    """``[cardinality] { attribute set }``: the attributes must hold in one (non-zero) relationship group."""

    attributes: "Attribute | RefinementSet"
    cardinality: Cardinality | None = None
    position: int = _pos


# --- filters (§6.8 description filters, §6.9 concept filters, §6.10 member filters) --------------------

@dataclass(frozen=True)
class TermFilter:
    operator: str
    terms: tuple[SearchTerm, ...]


@dataclass(frozen=True)
class LanguageFilter:
    operator: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class TypeFilter:
    """``type = syn`` (tokens become concept references) or ``typeId = <expression or set>``."""

    operator: str
    types: "Expression | ConceptReferences"


@dataclass(frozen=True)
class Dialect:
    """One dialect of a dialect filter: an alias (``en-gb``) or refsets (an expression or a reference),
    with the acceptabilities asked for it (None: any)."""

    alias: str | None = None
    refsets: "Expression | ConceptReferences | None" = None
    acceptability: tuple[ConceptReference, ...] | None = None
    position: int = _pos


@dataclass(frozen=True)
class DialectFilter:
    operator: str
    dialects: tuple[Dialect, ...]


@dataclass(frozen=True)
class ModuleFilter:
    operator: str
    modules: "Expression | ConceptReferences"


@dataclass(frozen=True)
class EffectiveTimeFilter:
    comparison: TimeComparison


@dataclass(frozen=True)
class ActiveFilter:
    active: bool


@dataclass(frozen=True)
class DescriptionIdFilter:
    operator: str
    ids: tuple[int, ...]


@dataclass(frozen=True)
class DefinitionStatusFilter:
    operator: str
    statuses: "Expression | ConceptReferences"


@dataclass(frozen=True)
class MemberFieldFilter:
    """``field comparison`` on a refset member's additional field (``mapTarget = "J45.9"``)."""

    field: str
    comparison: "Comparison"
    position: int = _pos


@dataclass(frozen=True)
class DescriptionFilter:
    """``{{ [D] ... }}``: every item must hold for one and the same description."""

    items: tuple[object, ...]


@dataclass(frozen=True)
class ConceptFilter:
    """``{{ C ... }}``."""

    items: tuple[object, ...]


@dataclass(frozen=True)
class MemberFilter:
    """``{{ M ... }}``: every item must hold for one and the same refset member."""

    items: tuple[object, ...]
    position: int = _pos


@dataclass(frozen=True)
class HistorySupplement:
    """``{{ + HISTORY[-MIN|-MOD|-MAX] }}`` or ``{{ + HISTORY (refsets) }}`` (§6.11)."""

    profile: str | None = None
    subset: "Expression | None" = None


Expression = Union[SubExpression, Compound, Refined, Dotted]
Focus = Union[ConceptReference, Wildcard, AlternateIdentifier, SubExpression, Compound, Refined, Dotted]
Refinement = Union[Attribute, AttributeGroup, RefinementSet]
Comparison = Union[ExpressionComparison, NumericComparison, StringComparison, BooleanComparison, TimeComparison]


def size(node) -> tuple[int, int]:
    """How many constructs a tree has and how deep it is nested (for the cost limits)."""
    import dataclasses

    if isinstance(node, (tuple, list)):
        counts = [size(x) for x in node]
        return sum(c for c, _ in counts), max((d for _, d in counts), default=0)
    if not dataclasses.is_dataclass(node):
        return 0, 0
    total, deepest = 1, 0
    for f in dataclasses.fields(node):
        c, d = size(getattr(node, f.name))
        total += c
        deepest = max(deepest, d)
    return total, deepest + 1
