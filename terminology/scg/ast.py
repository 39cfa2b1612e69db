"""The abstract syntax of SNOMED CT Compositional Grammar 2.4 (brief syntax): small frozen dataclasses, one per
rule of the ABNF (``../shared/reference/scg/scg-abnf-20170607.txt`` plus the boolean values of SCG 2.4).

::

    expression      = [definitionStatus] subExpression          -> Expression (definition_status set)
    subExpression   = focusConcept [":" refinement]              -> Expression
    focusConcept    = conceptReference *("+" conceptReference)   -> Expression.focus
    refinement      = (attributeSet / attributeGroup) *([","] attributeGroup)
                                                                 -> Expression.attributes, Expression.groups
    attribute       = attributeName "=" attributeValue           -> Attribute
    attributeValue  = conceptReference / "(" subExpression ")" / QM string QM / "#" number / boolean
                                                                 -> ConceptReference | Expression | Concrete

``position`` fields are 1-based character offsets into the text (for messages) and take no part in equality,
so two expressions that differ only in white space or terms compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator, Literal, Union

_pos = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class ConceptReference:
    """``conceptId [|term|]``: the id as written (6 to 18 digits; its SCTID rules are checked against a release,
    not by the grammar) and the term in pipes, which takes no part in the meaning."""

    id: str
    term: str | None = field(default=None, compare=False)
    position: int = _pos


@dataclass(frozen=True)
class Concrete:
    """A concrete value: ``#5``, ``#-2.5`` (``kind`` integer or decimal, ``value`` a Decimal), ``"text"``
    (string, the text with its escapes resolved) or ``true`` / ``false`` (boolean, any case)."""

    kind: Literal["integer", "decimal", "string", "boolean"]
    value: Decimal | str | bool
    position: int = _pos

    @property
    def text(self) -> str:
        """The value in compositional grammar, as RF2 writes concrete values (``#500``, ``"x"``, ``true``)."""
        if self.kind == "string":
            return '"' + str(self.value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if self.kind == "boolean":
            return "true" if self.value else "false"
        return f"#{self.value}"


@dataclass(frozen=True)
class Attribute:
    """``attributeName = attributeValue``; a value in parentheses is a nested :class:`Expression`."""

    name: ConceptReference
    value: "ConceptReference | Expression | Concrete"
    position: int = _pos


@dataclass(frozen=True)
class Group:
    """``{ attribute, ... }``: an attribute group (a relationship group of the expression)."""

    attributes: tuple[Attribute, ...]
    position: int = _pos


@dataclass(frozen=True)
class Expression:
    """``[=== | <<<] focus + focus : attribute, ..., { group }, { group }``.

    ``definition_status`` is ``===`` (equivalent to), ``<<<`` (subtype of) or None (written without one, which
    means equivalent to); only the outermost expression may have one. ``attributes`` are the ungrouped ones.
    """

    focus: tuple[ConceptReference, ...]
    attributes: tuple[Attribute, ...] = ()
    groups: tuple[Group, ...] = ()
    definition_status: Literal["===", "<<<"] | None = None
    position: int = _pos

    @property
    def refined(self) -> bool:
        return bool(self.attributes or self.groups)

    @property
    def every_attribute(self) -> Iterator[Attribute]:
        """The ungrouped attributes, then those of each group (not those of nested expressions)."""
        yield from self.attributes
        for g in self.groups:
            yield from g.attributes


AttributeValue = Union[ConceptReference, Expression, Concrete]


def concept_references(e: Expression) -> Iterator[ConceptReference]:
    """Every concept reference of an expression, nested ones included, in text order."""
    yield from e.focus
    for a in e.every_attribute:
        yield a.name
        if isinstance(a.value, ConceptReference):
            yield a.value
        elif isinstance(a.value, Expression):
            yield from concept_references(a.value)


def size(e: Expression) -> tuple[int, int]:
    """How many concept references and concrete values an expression has, and how deeply it nests."""
    count, depth = len(e.focus), 1
    for a in e.every_attribute:
        count += 1
        if isinstance(a.value, Expression):
            c, d = size(a.value)
            count, depth = count + c, max(depth, d + 1)
        else:
            count += 1
    return count, depth
