"""Normal forms of SNOMED CT expressions, and subsumption between them.

Source: SNOMED International, "SNOMED CT Compositional Grammar Specification and Guide" (normal forms) and the
"Expression Constraint / Post-coordination" guides: the *long normal form* of an expression replaces each focus
concept by its proximal primitive supertypes (a primitive concept is its own) together with its defining
attributes, adds the refinements, and removes what is redundant:

* a focus concept that subsumes another focus concept adds nothing and goes;
* two attributes of one type in the same place whose values subsume one another keep the more specific value;
* a refinement group that refines a definition group (they share attribute types, and for each shared type one
  value subsumes the other) is merged into it, keeping the more specific values (the refinement of
  ``64572001 |Disease| : { 363698007 |Finding site| = 39057004 |Pulmonary valve| }`` by a more specific site);
* a group that another group is at least as specific as adds nothing and goes.

Expression A subsumes expression B when, in their long normal forms, every focus concept of A subsumes a focus
concept of B and every attribute group of A is subsumed by a group of B (each attribute of the A group by an
attribute of the B group whose type it subsumes and whose value it subsumes); an ungrouped attribute counts as a
group of one ("a single attribute in a group and the same attribute ungrouped mean the same thing", the HL7
tests). Concept values are compared on the inferred is-a closure, nested expressions by their own normal forms,
concrete values by value. A structural match proves subsumption; a miss proves nothing (general concept
inclusions are not in an expression's normal form; only a classifier could show there is no relationship), which
is why ``$subsumes`` refuses to answer ``not-subsumed`` for expressions (:mod:`.snomed_expressions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Union

from .. import scg
from ..scg import ast
from ..store import RelationshipRow
from .snomed_model import ConceptModel

Value = Union[int, "NormalForm", ast.Concrete]


@dataclass(frozen=True)
class Attr:
    """One attribute of a normal form: its type and its value (a concept id, a nested normal form or a concrete
    value)."""

    type: int
    value: Value


@dataclass(frozen=True)
class NormalForm:
    """The long normal form: definition status, primitive focus concepts, ungrouped attributes, groups (all
    sorted, so equal expressions have equal normal forms)."""

    status: str
    focus: tuple[int, ...]
    ungrouped: tuple[Attr, ...] = ()
    groups: tuple[tuple[Attr, ...], ...] = ()
    written_focus: tuple[int, ...] = field(default=(), compare=False)
    """The focus concepts as the expression wrote them (for quick is-a answers)."""

    def ids(self) -> set[int]:
        """Every concept id in the normal form, nested ones included."""
        out = set(self.focus) | set(self.written_focus)
        for a in (*self.ungrouped, *(a for g in self.groups for a in g)):
            out.add(a.type)
            if isinstance(a.value, int):
                out.add(a.value)
            elif isinstance(a.value, NormalForm):
                out |= a.value.ids()
        return out

    def as_expression(self, *, nested: bool = False) -> ast.Expression:
        """The normal form as a compositional grammar tree (to render it); a nested one has no definition
        status."""
        def value(v: Value):
            if isinstance(v, int):
                return ast.ConceptReference(str(v))
            if isinstance(v, NormalForm):
                return v.as_expression(nested=True)
            return v

        def attrs(items) -> tuple[ast.Attribute, ...]:
            return tuple(ast.Attribute(ast.ConceptReference(str(a.type)), value(a.value)) for a in items)

        return ast.Expression(tuple(ast.ConceptReference(str(f)) for f in self.focus), attrs(self.ungrouped),
                              tuple(ast.Group(attrs(g)) for g in self.groups),
                              None if nested else self.status)  # type: ignore[arg-type]


def concrete_of_rf2(value: str) -> ast.Concrete:
    """An RF2 concrete value (``#500``, ``#2.5``, ``"text"``, ``true``) as a compositional grammar value."""
    if value.startswith("#"):
        try:
            number = Decimal(value[1:])
        except InvalidOperation:
            return ast.Concrete("string", value)
        return ast.Concrete("decimal" if "." in value else "integer", number)
    if value.lower() in ("true", "false"):
        return ast.Concrete("boolean", value.lower() == "true")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return ast.Concrete("string", value)


def concrete_equal(a: ast.Concrete, b: ast.Concrete) -> bool:
    """Concrete values compare by value (``#5`` is ``#5.0``)."""
    numbers = ("integer", "decimal")
    if a.kind in numbers and b.kind in numbers:
        return a.value == b.value
    return a.kind == b.kind and a.value == b.value


def _key(v: Value) -> tuple:
    if isinstance(v, int):
        return (0, v, "")
    if isinstance(v, NormalForm):
        return (1, 0, scg.render(v.as_expression(nested=True), terms=False))
    return (2, 0, f"{v.kind}:{v.value}")


class Normaliser:
    """Builds normal forms in one version and compares them (see the module docstring)."""

    def __init__(self, model: ConceptModel) -> None:
        self.model = model

    # --- building -----------------------------------------------------------------------------------

    def expression(self, e: ast.Expression, *, status: str | None = None) -> NormalForm:
        focus_ids = [int(c.id) for c in e.focus]
        nested = {id(a.value): self._nested(a.value) for a in e.every_attribute if isinstance(a.value, ast.Expression)}
        definitions = self.model.definitions(focus_ids)
        focus: list[int] = []
        ungrouped: list[Attr] = []
        groups: list[list[Attr]] = []
        for f in focus_ids:
            d = definitions[f]
            focus += d.primitives
            ungrouped += [_attr(r) for r in d.ungrouped]
            groups += [[_attr(r) for r in g] for g in d.groups]

        def value(v) -> Value:
            if isinstance(v, ast.ConceptReference):
                return int(v.id)
            if isinstance(v, ast.Expression):
                return nested[id(v)]
            return v
        ungrouped += [Attr(int(a.name.id), value(a.value)) for a in e.attributes]
        groups += [[Attr(int(a.name.id), value(a.value)) for a in g.attributes] for g in e.groups]
        ids = set(focus) | {a.type for a in (*ungrouped, *(a for g in groups for a in g))} | {
            a.value for a in (*ungrouped, *(a for g in groups for a in g)) if isinstance(a.value, int)}
        self.model.prefetch(ids)
        return self._reduce(status or e.definition_status or "===", focus, ungrouped, groups, tuple(focus_ids))

    def _nested(self, e: ast.Expression) -> Value:
        if not e.refined and len(e.focus) == 1:
            return int(e.focus[0].id)
        return self.expression(e)

    def concept(self, concept_id: int) -> NormalForm:
        """The normal form of one concept (remembered)."""
        key = ("nf", concept_id)
        found = self.model.cache.get(key)
        if found is None:
            found = self.model.cache[key] = self.expression(ast.Expression((ast.ConceptReference(str(concept_id)),)))
        return found

    def _reduce(self, status: str, focus: list[int], ungrouped: list[Attr], groups: list[list[Attr]],
                written: tuple[int, ...]) -> NormalForm:
        sub = self.model.subsumes
        unique = list(dict.fromkeys(focus))
        focus = [f for f in unique if not any(g != f and sub(f, g) for g in unique)]
        ungrouped = self._merge_attributes(ungrouped)
        merged = self._merge_groups([self._merge_attributes(g) for g in groups])
        kept: list[list[Attr]] = []
        for i, g in enumerate(merged):
            redundant = any(self._group_subsumes(g, h) and (not self._group_subsumes(h, g) or j < i)
                            for j, h in enumerate(merged) if j != i)
            if not redundant:
                kept.append(g)
        order = lambda a: (a.type, _key(a.value))  # noqa: E731
        sorted_groups = sorted((tuple(sorted(g, key=order)) for g in kept),
                               key=lambda g: [order(a) for a in g])
        return NormalForm(status, tuple(sorted(focus)), tuple(sorted(ungrouped, key=order)), tuple(sorted_groups),
                          written)

    def _merge_attributes(self, attrs: list[Attr]) -> list[Attr]:
        """Of two attributes of one type whose values subsume one another, keep the more specific."""
        out: list[Attr] = []
        for a in attrs:
            replaced = False
            for i, b in enumerate(out):
                if a.type != b.type:
                    continue
                if self.value_subsumes(a.value, b.value):
                    replaced = True  # b is at least as specific: a adds nothing
                    break
                if self.value_subsumes(b.value, a.value):
                    out[i] = a
                    replaced = True
                    break
            if not replaced:
                out.append(a)
        return out

    def _merge_groups(self, groups: list[list[Attr]]) -> list[list[Attr]]:
        """Merge groups that share attribute types with comparable values (a refinement of a definition group)."""
        groups = [list(g) for g in groups]
        changed = True
        while changed:
            changed = False
            for i in range(len(groups)):
                for j in range(i + 1, len(groups)):
                    merged = self._merged(groups[i], groups[j])
                    if merged is not None:
                        groups[i] = merged
                        del groups[j]
                        changed = True
                        break
                if changed:
                    break
        return groups

    def _merged(self, g1: list[Attr], g2: list[Attr]) -> list[Attr] | None:
        shared = {a.type for a in g1} & {b.type for b in g2}
        if not shared:
            return None
        for t in shared:
            for a in (a for a in g1 if a.type == t):
                for b in (b for b in g2 if b.type == t):
                    if not (self.value_subsumes(a.value, b.value) or self.value_subsumes(b.value, a.value)):
                        return None
        return self._merge_attributes(g1 + g2)

    # --- comparing ----------------------------------------------------------------------------------

    def subsumes(self, a: NormalForm, b: NormalForm) -> bool:
        """True when the expression of ``a`` subsumes that of ``b`` (see the module docstring)."""
        if a.status == "<<<" and a != b:
            return False  # a stands for some unknown subtype of its definition: only itself is known to be one
        self.model.prefetch(a.ids() | b.ids())
        sub = self.model.subsumes
        if not all(any(sub(x, y) for y in b.focus) for x in a.focus):
            return False
        mine = [(x,) for x in a.ungrouped] + list(a.groups)
        theirs = [(y,) for y in b.ungrouped] + list(b.groups)
        return all(any(self._group_subsumes(g, h) for h in theirs) for g in mine)

    def _group_subsumes(self, g, h) -> bool:
        sub = self.model.subsumes
        return all(any(sub(x.type, y.type) and self.value_subsumes(x.value, y.value) for y in h) for x in g)

    def value_subsumes(self, x: Value, y: Value) -> bool:
        if isinstance(x, ast.Concrete) or isinstance(y, ast.Concrete):
            return isinstance(x, ast.Concrete) and isinstance(y, ast.Concrete) and concrete_equal(x, y)
        if isinstance(x, int) and isinstance(y, int):
            return self.model.subsumes(x, y)
        nx = x if isinstance(x, NormalForm) else self.concept(x)
        ny = y if isinstance(y, NormalForm) else self.concept(y)
        return self.subsumes(nx, ny)

    def is_a(self, e: NormalForm, concept_id: int) -> bool:
        """True when the expression is ``concept_id`` or a subtype of it (ECL ``<<``, FHIR ``is-a``)."""
        if any(self.model.subsumes(concept_id, f) for f in e.written_focus):
            return True  # a refinement of a subtype of the concept
        return self.subsumes(self.concept(concept_id), e)

    def equivalent(self, a: NormalForm, b: NormalForm) -> bool:
        return self.subsumes(a, b) and self.subsumes(b, a)


def _attr(r: RelationshipRow) -> Attr:
    if r.destination_id is not None:
        return Attr(r.type_id, r.destination_id)
    return Attr(r.type_id, concrete_of_rf2(r.value or ""))
