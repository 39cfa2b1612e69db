"""ECL case templates for refinements: attributes, groups, cardinality, reverse and dotted attributes (§6.7).

Sections 6.2 (refinements), 6.3 (cardinality), the refinement-level parts of 6.4 and 6.5 (attribute and
value conjunction and disjunction, ``!=``, ``[0..0]``) and 6.7 (nesting) of the ECL specification's
examples chapter. Every refinement is evaluated by ``ecl_oracle.refine`` under all readings the oracle
knows of; a draw whose readings disagree is discarded.
"""

from __future__ import annotations

import numpy as np

from terminology import snomed as s

from .ecl_maker import MakerBase, escape
from .ecl_oracle import Attribute, AttributeSet, Group, Refinement, refine


class RefinementCases(MakerBase):
    """Templates over the attribute rows of the edition."""

    # --- 6.2 refinements ---------------------------------------------------------------------------
    def refinements(self) -> None:
        """Attributes (exact, subsumed, any name or value), groups, reverse, dotted and concrete values."""
        for variant, terms in (("plain", False), ("with_terms", True), ("plain", False)):
            self.attempt(lambda variant=variant, terms=terms: self._attribute_exact(variant, terms))
        self.attempt(self._attribute_subsumed)
        self.attempt(self._attribute_subsumed)
        self.attempt(self._attribute_any_value)
        self.attempt(self._attribute_any_name)
        self.attempt(self._attribute_name_subsumed)
        self.attempt(lambda: self._conjunction(","))
        self.attempt(lambda: self._conjunction("AND"))
        self.attempt(self._group_same)
        self.attempt(self._group_split, tries=40)
        self.attempt(self._group_two)
        self.attempt(lambda: self._reverse(False))
        self.attempt(lambda: self._reverse(True))
        self.attempt(self._dotted)
        self.attempt(self._dotted_self)
        self.attempt(self._dotted_conjunction)
        self.attempt(self._dotted_chain, tries=30)
        for op, variant in (("=", "eq"), ("!=", "ne"), ("<", "lt"), ("<=", "le"), (">", "gt"), (">=", "ge")):
            self.attempt(lambda op=op, variant=variant: self._concrete("concrete_numeric", variant, op, integer=True))
        for op, variant in (("=", "eq"), (">=", "ge")):
            self.attempt(lambda op=op, variant=variant: self._concrete("concrete_decimal", variant, op, integer=False))
        for op, variant in (("=", "eq"), ("!=", "ne")):
            self.attempt(lambda op=op, variant=variant: self._concrete_string(variant, op))

    def _attribute_exact(self, variant: str, terms: bool) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        focus = self.op("<", self.ref(self.top_of(src), terms))
        text = f"{self.cid(typ, terms)} = {self.cid(dst, terms)}"
        return self.add("attribute_exact", variant, self.refined(focus, text, self.attr(typ, self.one(dst))))

    def _attribute_subsumed(self) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        ancestors = np.flatnonzero(self.ed.ancestors(self.one(dst)))
        ancestors = ancestors[~np.isin(ancestors, [*self.tops.tolist(), self.root])]
        if not len(ancestors):
            return False
        value = self.pick(ancestors)
        focus = self.op("<", self.ref(self.top_of(src)))
        exact = refine(self.ed, focus.mask, self.attr(typ, self.one(dst)))
        e = self.refined(focus, f"{self.cid(typ)} = << {self.cid(value)}",
                         self.attr(typ, self.ed.hierarchy("<<", self.one(value))))
        if e is None or exact is None or np.array_equal(e.mask, exact):
            return False
        return self.add("attribute_subsumed", "ancestor_value", e)

    def _attribute_any_value(self) -> bool:
        src, typ, _, _ = self.row_fields(self.pick(self.object_rows))
        focus = self.op("<", self.ref(self.top_of(src)))
        e = self.refined(focus, f"{self.cid(typ)} = *", self.attr(typ, self.ed.active.copy()))
        return self.add("attribute_any_value", "wildcard_value", e)

    def _attribute_any_name(self) -> bool:
        rows = self.object_rows[self.n_children[self.ed.a_dst[self.object_rows]] == 0]
        if not len(rows):
            return False
        src, _, dst, _ = self.row_fields(self.pick(rows))
        focus = self.op("<", self.ref(self.top_of(src)))
        names = np.ones(self.ed.n, bool)
        e = self.refined(focus, f"* = {self.cid(dst)}", Attribute(names, "=", self.one(dst)))
        return self.add("attribute_any_name", "leaf_value", e)

    def _attribute_name_subsumed(self) -> bool:
        ed = self.ed
        object_attribute = int(ed.index([s.CONCEPT_MODEL_OBJECT_ATTRIBUTE])[0])
        types = np.unique(ed.a_type[self.object_rows])
        nested = [t for t in types.tolist() if not ed.parents_of(self.one(t))[object_attribute]]
        if nested:
            t = self.pick(nested)
            name = int(np.flatnonzero(ed.parents_of(self.one(t)))[0])
            variant = "sub_attribute"
        else:
            t, name, variant = self.pick(types), object_attribute, "object_attribute"
        rows = self.object_rows[ed.a_type[self.object_rows] == t]
        src, _, dst, _ = self.row_fields(self.pick(rows))
        focus = self.op("<", self.ref(self.top_of(src)))
        names = ed.hierarchy("<<", self.one(name))
        e = self.refined(focus, f"<< {self.cid(name)} = {self.cid(dst)}", Attribute(names, "=", self.one(dst)))
        return self.add("attribute_name_subsumed", variant, e)

    def _conjunction(self, joiner: str) -> bool:
        pair = self._two_rows(None)
        if pair is None:
            return False
        (src, t1, d1, _), (_, t2, d2, _) = (self.row_fields(r) for r in pair)
        focus = self.op("<", self.ref(self.top_of(src)))
        sep = ", " if joiner == "," else " AND "
        text = f"{self.cid(t1)} = {self.cid(d1)}{sep}{self.cid(t2)} = << {self.cid(d2)}"
        refinement = AttributeSet(
            (self.attr(t1, self.one(d1)), self.attr(t2, self.ed.hierarchy("<<", self.one(d2)))), "AND"
        )
        variant = "comma" if joiner == "," else "and_keyword"
        return self.add("attribute_conjunction", variant, self.refined(focus, text, refinement))

    def _group_same(self) -> bool:
        pair = self._two_rows(True)
        if pair is None:
            return False
        (src, t1, d1, _), (_, t2, d2, _) = (self.row_fields(r) for r in pair)
        focus = self.op("<", self.ref(self.top_of(src)))
        text = f"{{ {self.cid(t1)} = << {self.cid(d1)}, {self.cid(t2)} = << {self.cid(d2)} }}"
        hier = self.ed.hierarchy
        group = Group(AttributeSet((self.attr(t1, hier("<<", self.one(d1))), self.attr(t2, hier("<<", self.one(d2))))))
        return self.add("attribute_group", "same_group", self.refined(focus, text, group))

    def _group_split(self) -> bool:
        """Two attributes of one concept in different groups: matched by a conjunction, not by one group."""
        pair = self._two_rows(False)
        if pair is None:
            return False
        (src, t1, d1, _), (_, t2, d2, _) = (self.row_fields(r) for r in pair)
        focus = self.op("<<", self.ref(self.pick(np.flatnonzero(self.ed.parents_of(self.one(src))))))
        inner = AttributeSet((self.attr(t1, self.one(d1)), self.attr(t2, self.one(d2))))
        text = f"{{ {self.cid(t1)} = {self.cid(d1)}, {self.cid(t2)} = {self.cid(d2)} }}"
        e = self.refined(focus, text, Group(inner))
        loose = refine(self.ed, focus.mask, inner)
        if e is None or loose is None or not loose[src] or e.mask[src]:
            return False
        return self.add("attribute_group", "split_across_groups", e, empty_ok=True)

    def _group_two(self) -> bool:
        """Two groups, each with its own attribute (the shape of spec example 2.5)."""
        r1 = self.pick(self.object_rows[self.ed.a_group[self.object_rows] > 0])
        src, t1, d1, g1 = self.row_fields(r1)
        others = [r for r in self.rows_of(src).tolist() if self.ed.a_group[r] > 0 and self.ed.a_group[r] != g1]
        if not others:
            return False
        _, t2, d2, _ = self.row_fields(self.pick(others))
        focus = self.op("<", self.ref(self.top_of(src)))
        text = f"{{ {self.cid(t1)} = {self.cid(d1)} }}, {{ {self.cid(t2)} = {self.cid(d2)} }}"
        refinement = Refinement((Group(AttributeSet((self.attr(t1, self.one(d1)),))),
                                 Group(AttributeSet((self.attr(t2, self.one(d2)),)))))
        return self.add("attribute_group", "two_groups", self.refined(focus, text, refinement))

    def _reverse(self, subsumed: bool) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        focus = self.below(self.top_of(dst))
        if subsumed:
            parents = np.flatnonzero(self.ed.parents_of(self.one(src)))
            if not len(parents):
                return False
            p = self.pick(parents)
            text, value, variant = f"R {self.cid(typ)} = << {self.cid(p)}", self.ed.hierarchy("<<", self.one(p)), "subsumed"
        else:
            text, value, variant = f"R {self.cid(typ)} = {self.cid(src)}", self.one(src), "exact"
        return self.add("reverse", variant, self.refined(focus, text, self.attr(typ, value, reverse=True)))

    def _dotted(self) -> bool:
        src, typ, _, _ = self.row_fields(self.pick(self.object_rows))
        parents = np.flatnonzero(self.ed.parents_of(self.one(src)))
        if not len(parents):
            return False
        return self.add("dotted", "descendants", self.dot(self.op("<", self.ref(self.pick(parents))), typ))

    def _dotted_self(self) -> bool:
        src, typ, _, _ = self.row_fields(self.pick(self.object_rows))
        return self.add("dotted", "self", self.dot(self.ref(src, term=True), typ))

    def _dotted_conjunction(self) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        parents = np.flatnonzero(self.ed.parents_of(self.one(src)))
        if not len(parents):
            return False
        values = self.dot(self.op("<", self.ref(self.pick(parents))), typ)
        limit = self.op("<", self.ref(self.top_of(dst)))
        return self.add("dotted", "in_conjunction", self.compound("AND", limit, values))

    def _dotted_chain(self) -> bool:
        src, t1, d1, _ = self.row_fields(self.pick(self.object_rows))
        onward = self.rows_of(d1)
        if not len(onward):
            return False
        _, t2, _, _ = self.row_fields(self.pick(onward))
        parents = np.flatnonzero(self.ed.parents_of(self.one(src)))
        start = self.op("<<", self.ref(self.pick(parents))) if len(parents) else self.ref(src)
        return self.add("dotted_chain", "two_steps", self.dot(self.dot(start, t1), t2))

    def _concrete(self, family: str, variant: str, op: str, *, integer: bool) -> bool:
        ed = self.ed
        rows = np.flatnonzero((ed.a_dst < 0) & ~np.isnan(ed.a_number))
        rows = rows[np.array(["." not in str(ed.a_literal[r]) for r in rows.tolist()], bool) == integer]
        if not len(rows):
            return False
        r = self.pick(rows)
        src, typ = int(ed.a_src[r]), int(ed.a_type[r])
        focus = self.op("<", self.ref(self.top_of(src)))
        literal = str(ed.a_literal[r])
        e = self.refined(focus, f"{self.cid(typ)} {op} {literal}", self.attr(typ, float(literal[1:]), op))
        return self.add(family, variant, e, same_ok=False, focus=focus.mask)

    def _concrete_string(self, variant: str, op: str) -> bool:
        ed = self.ed
        rows = np.flatnonzero((ed.a_dst < 0) & np.isnan(ed.a_number))
        if not len(rows):
            return False
        r = self.pick(rows)
        src, typ, text = int(ed.a_src[r]), int(ed.a_type[r]), str(ed.a_text[r])
        focus = self.op("<", self.ref(self.top_of(src)))
        e = self.refined(focus, f'{self.cid(typ)} {op} "{escape(text)}"', self.attr(typ, text, op))
        return self.add("concrete_string", variant, e)

    # --- 6.3 cardinality ---------------------------------------------------------------------------
    def cardinality(self) -> None:
        """``[0..0]``, ``[1..1]`` and ``[2..*]`` on attributes and groups, inside a group, and reversed."""
        for card, variant in (((0, 0), "none"), ((1, 1), "exactly_one"), ((2, None), "two_or_more")):
            self.attempt(lambda card=card, variant=variant: self._card_attribute(card, variant), tries=30)
            self.attempt(lambda card=card, variant=variant: self._card_group(card, variant), tries=30)
        self.attempt(self._card_in_group, tries=30)
        self.attempt(self._card_in_group_absent, tries=30)
        self.attempt(self._card_reverse, tries=30)

    @staticmethod
    def _card_text(card: tuple[int, int | None]) -> str:
        return f"[{card[0]}..{'*' if card[1] is None else card[1]}]"

    def _type_with_repeats(self, grouped: bool | None, per: str) -> tuple[int, int] | None:
        """A (source, type) with the type present twice (``per`` "concept" or "group") if possible."""
        ed, rows = self.ed, self.object_rows
        if grouped is not None:
            rows = rows[self.is_grouped[ed.a_type[rows]] == grouped]
        if not len(rows):
            return None
        if per == "group":
            keys = np.stack([ed.a_src[rows], ed.a_type[rows], ed.a_group[rows]], axis=1)
        else:
            keys = np.stack([ed.a_src[rows], ed.a_type[rows]], axis=1)
        uniq, counts = np.unique(keys, axis=0, return_counts=True)
        twice = uniq[counts >= 2]
        if not len(twice):
            return None
        row = twice[self.rng.integers(len(twice))]
        return int(row[0]), int(row[1])

    def _card_attribute(self, card, variant: str) -> bool:
        if variant == "two_or_more":
            got = self._type_with_repeats(None, "concept")
            if got is None:
                return False
            src, typ = got
        else:
            src, typ, _, _ = self.row_fields(self.pick(self.object_rows))
        focus = self.op("<<", self.ref(self.around(src, 400)))
        e = self.refined(focus, f"{self._card_text(card)} {self.cid(typ)} = *",
                         self.attr(typ, self.ed.active.copy(), card=card))
        return self.add("cardinality_attribute", variant, e, same_ok=False, focus=focus.mask)

    def _card_group(self, card, variant: str) -> bool:
        ed = self.ed
        if variant == "two_or_more":
            rows = self.object_rows[ed.a_group[self.object_rows] > 0]
            keys = np.unique(np.stack([ed.a_src[rows], ed.a_type[rows], ed.a_group[rows]], axis=1), axis=0)
            pairs, counts = np.unique(keys[:, :2], axis=0, return_counts=True)
            many = pairs[counts >= 2]
            if not len(many):
                return False
            src, typ = (int(x) for x in many[self.rng.integers(len(many))])
        else:
            rows = self.object_rows[self.is_grouped[ed.a_type[self.object_rows]]]
            src, typ, _, _ = self.row_fields(self.pick(rows))
        focus = self.op("<<", self.ref(self.around(src, 400)))
        group = Group(AttributeSet((self.attr(typ, ed.active.copy()),)), card=card)
        e = self.refined(focus, f"{self._card_text(card)} {{ {self.cid(typ)} = * }}", group)
        return self.add("cardinality_group", variant, e, same_ok=False, focus=focus.mask)

    def _card_in_group(self) -> bool:
        got = self._type_with_repeats(True, "group")
        if got is None:
            return False
        src, typ = got
        focus = self.op("<<", self.ref(self.around(src, 400)))
        group = Group(AttributeSet((self.attr(typ, self.ed.active.copy(), card=(2, None)),)))
        e = self.refined(focus, f"{{ [2..*] {self.cid(typ)} = * }}", group)
        return self.add("cardinality_in_group", "two_or_more", e)

    def _card_in_group_absent(self) -> bool:
        """``{ [0..0] A = *, B = * }``: groups that have B but not A."""
        pair = self._two_rows(True)
        if pair is None:
            return False
        (src, t1, _, _), (_, t2, _, _) = (self.row_fields(r) for r in pair)
        focus = self.op("<<", self.ref(self.around(src, 400)))
        anything = self.ed.active.copy()
        group = Group(AttributeSet((self.attr(t1, anything, card=(0, 0)), self.attr(t2, anything))))
        e = self.refined(focus, f"{{ [0..0] {self.cid(t1)} = *, {self.cid(t2)} = * }}", group)
        return self.add("cardinality_in_group", "absent_in_group", e, same_ok=False, focus=focus.mask)

    def _card_reverse(self) -> bool:
        ed = self.ed
        pairs, counts = np.unique(np.stack([ed.a_dst[self.object_rows], ed.a_type[self.object_rows]], axis=1),
                                  axis=0, return_counts=True)
        many = pairs[counts >= 2]
        if not len(many):
            return False
        dst, typ = (int(x) for x in many[self.rng.integers(len(many))])
        focus = self.op("<<", self.ref(self.around(dst, 2000)))
        e = self.refined(focus, f"[2..*] R {self.cid(typ)} = *",
                         self.attr(typ, ed.active.copy(), card=(2, None), reverse=True))
        return self.add("cardinality_reverse", "two_or_more", e)

    # --- 6.4 and 6.5 at attribute level ---------------------------------------------------------
    def attribute_compounds(self) -> None:
        """AND, OR, ``!=`` and ``[0..0]`` at attribute, value and group level."""
        self.attempt(self._refinement_or)
        self.attempt(self._value_disjunction)
        self.attempt(self._value_conjunction, tries=30)
        self.attempt(self._group_disjunction)
        self.attempt(lambda: self._not_equals(False))
        self.attempt(lambda: self._not_equals(True), tries=30)
        self.attempt(self._absent_value, tries=30)

    def _refinement_or(self) -> bool:
        r1, r2 = self.pick(self.object_rows), self.pick(self.object_rows)
        (s1, t1, d1, _), (_, t2, d2, _) = self.row_fields(r1), self.row_fields(r2)
        top = self.top_of(s1)
        if self.top_of(int(self.ed.a_src[r2])) != top:
            return False
        focus = self.op("<", self.ref(top))
        text = f"{self.cid(t1)} = {self.cid(d1)} OR {self.cid(t2)} = {self.cid(d2)}"
        refinement = AttributeSet((self.attr(t1, self.one(d1)), self.attr(t2, self.one(d2))), "OR")
        return self.add("refinement_or", "two_attributes", self.refined(focus, text, refinement))

    def _value_disjunction(self) -> bool:
        src, typ, d1, _ = self.row_fields(self.pick(self.object_rows))
        same = self.object_rows[(self.ed.a_type[self.object_rows] == typ) & (self.ed.a_dst[self.object_rows] != d1)]
        if not len(same):
            return False
        d2 = int(self.ed.a_dst[self.pick(same)])
        focus = self.op("<", self.ref(self.top_of(src)))
        value = self.compound("OR", self.op("<<", self.ref(d1)), self.op("<<", self.ref(d2)))
        e = self.refined(focus, f"{self.cid(typ)} = {value.sub()}", self.attr(typ, value.mask))
        return self.add("value_disjunction", "two_subtrees", e)

    def _value_conjunction(self) -> bool:
        rows = self.object_rows[self.n_parents[self.ed.a_dst[self.object_rows]] >= 2]
        if not len(rows):
            return False
        src, typ, dst, _ = self.row_fields(self.pick(rows))
        p1, p2 = np.flatnonzero(self.ed.parents_of(self.one(dst)))[:2].tolist()
        focus = self.op("<", self.ref(self.top_of(src)))
        value = self.compound("AND", self.op("<<", self.ref(p1)), self.op("<<", self.ref(p2)))
        e = self.refined(focus, f"{self.cid(typ)} = {value.sub()}", self.attr(typ, value.mask))
        return self.add("value_conjunction", "two_subtrees", e)

    def _group_disjunction(self) -> bool:
        rows = self.object_rows[self.ed.a_group[self.object_rows] > 0]
        r1, r2 = self.pick(rows), self.pick(rows)
        (s1, t1, d1, _), (s2, t2, d2, _) = self.row_fields(r1), self.row_fields(r2)
        top = self.top_of(s1)
        if self.top_of(s2) != top:
            return False
        focus = self.op("<", self.ref(top))
        text = f"{{ {self.cid(t1)} = {self.cid(d1)} }} OR {{ {self.cid(t2)} = {self.cid(d2)} }}"
        refinement = Refinement((Group(AttributeSet((self.attr(t1, self.one(d1)),))),
                                 Group(AttributeSet((self.attr(t2, self.one(d2)),)))), "OR")
        return self.add("group_disjunction", "two_groups", self.refined(focus, text, refinement))

    def _not_equals(self, none: bool) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        parents = np.flatnonzero(self.ed.parents_of(self.one(dst)))
        value = self.pick(parents) if len(parents) and parents[0] != self.root else dst
        focus = self.op("<<", self.ref(self.around(src, 400)))
        subtree = self.ed.hierarchy("<<", self.one(value))
        card = (0, 0) if none else None
        prefix = "[0..0] " if none else ""
        e = self.refined(focus, f"{prefix}{self.cid(typ)} != << {self.cid(value)}",
                         self.attr(typ, subtree, "!=", card=card))
        variant = "no_value_outside" if none else "some_value_outside"
        return self.add("not_equals", variant, e, same_ok=False, focus=focus.mask)

    def _absent_value(self) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        focus = self.op("<<", self.ref(self.around(src, 400)))
        e = self.refined(focus, f"[0..0] {self.cid(typ)} = << {self.cid(dst)}",
                         self.attr(typ, self.ed.hierarchy("<<", self.one(dst)), card=(0, 0)))
        return self.add("absent_value", "zero_cardinality", e, same_ok=False, focus=focus.mask)

    # --- 6.7 nesting -------------------------------------------------------------------------------
    def nesting(self) -> None:
        """Operators on nested expressions, nested refinement values and attribute names, nested dotted."""
        members = self.member(self.const(self.info.simple_refsets[-1]))
        self.add("nested_hierarchy", "descendants_of_members", self.op("<<", members))
        self.add("nested_hierarchy", "parents_of_members", self.op(">!", members))
        self.nested_member_of()
        self.attempt(self._nested_value)
        self.attempt(self._nested_name, tries=30)
        self.attempt(self._nested_dotted)

    def nested_member_of(self) -> None:
        """``^ (< 446609009)``: the members of every simple type refset."""
        simple_type = self.op("<", self.const(s.SIMPLE_TYPE_REFSET, term=True))
        self.add("nested_member_of", "simple_type_refsets", self.member(simple_type))

    def _nested_value(self) -> bool:
        src, typ, dst, _ = self.row_fields(self.pick(self.object_rows))
        inner_rows = self.rows_of(dst)
        if not len(inner_rows):
            return False
        _, t2, d2, _ = self.row_fields(self.pick(inner_rows))
        inner = self.refined(self.op("<<", self.ref(self.top_of(dst))), f"{self.cid(t2)} = << {self.cid(d2)}",
                             self.attr(t2, self.ed.hierarchy("<<", self.one(d2))))
        if inner is None:
            return False
        focus = self.op("<", self.ref(self.top_of(src)))
        e = self.refined(focus, f"{self.cid(typ)} = {inner.sub()}", self.attr(typ, inner.mask))
        return self.add("nested_refinement_value", "refined_value", e)

    def _nested_name(self) -> bool:
        pair = self._two_rows(None)
        if pair is None:
            return False
        (src, t1, _, _), (_, t2, _, _) = (self.row_fields(r) for r in pair)
        grouper = self.const(s.CONCEPT_MODEL_OBJECT_ATTRIBUTE)
        names = self.compound("MINUS", self.compound("MINUS", self.op("<<", grouper), self.ref(t1)), self.ref(t2))
        focus = self.op("<<", self.ref(self.around(src, 400)))
        e = self.refined(focus, f"[0..0] {names.sub()} = *",
                         Attribute(names.mask, "=", self.ed.active.copy(), card=(0, 0)))
        return self.add("nested_attribute_name", "only_two_attributes", e, same_ok=False, focus=focus.mask)

    def _nested_dotted(self) -> bool:
        pair = self._two_rows(None)
        if pair is None:
            return False
        (src, t1, d1, _), (_, t2, _, _) = (self.row_fields(r) for r in pair)
        inner = self.refined(self.op("<<", self.ref(self.top_of(src))), f"{self.cid(t1)} = {self.cid(d1)}",
                             self.attr(t1, self.one(d1)))
        if inner is None:
            return False
        return self.add("nested_dotted", "refined_then_dotted", self.dot(inner, t2))
