"""Is a post-coordinated expression a member of an ECL constraint? (``$validate-code`` against an ECL value set,
MRCM range constraints with an expression as value.)

ECL selects concepts; an expression is not a concept of the release and is never in an expansion, but it can
satisfy a constraint. The test is made on the expression's long normal form (:mod:`.snomed_normal_form`), the
same way for every path:

* ``<< X``: the expression is X or a subtype of X (normal form subsumption); ``< X``: a proper subtype;
  ``X`` alone: equivalent to X; ``>> X`` / ``> X``: it subsumes X; ``<<!`` / ``>>!``: equivalent to X; the
  child and parent operators ``<!`` ``>!`` and top / bottom ``!!>`` ``!!<`` select concepts by their stated
  place in the hierarchy, which an expression has none of: no match;
* ``*`` matches; ``^ R``, description, concept and member filters and history supplements concern components of
  the release (an expression is in no reference set and has no descriptions): no match;
* ``AND`` / ``OR`` / ``MINUS`` combine the answers; ``( ... )`` nests;
* a refinement ``: attribute = value`` is evaluated against the attributes of the normal form (the focus
  concepts' defining attributes merged with the refinements): the attribute name and a concept value are tested
  against the ECL sets they denote (evaluated in the store), a nested expression value against the value's
  constraint recursively, concrete values by comparison; ``{ }`` needs one attribute group of the expression
  (an ungrouped attribute is in none, as for concepts); cardinalities count attributes, or groups; reverse
  attributes and dotted attributes ask for relationships pointing at the expression: no match.
"""

from __future__ import annotations

from decimal import Decimal

from .. import ecl
from ..ecl import ast as e
from ..scg import ast as scg_ast
from ..store import ConceptSet
from .snomed_normal_form import Attr, NormalForm, Normaliser


class EclMatcher:
    """Tests normal forms against ECL trees in one version (sets of concepts are evaluated once per tree node)."""

    def __init__(self, normaliser: Normaliser, limits: ecl.EclLimits | None = None) -> None:
        self.nf = normaliser
        self.store = normaliser.model.store
        self.limits = limits
        self._sets: dict = {}

    def matches(self, node, target: NormalForm) -> bool:
        if isinstance(node, e.SubExpression):
            return self._sub(node, target)
        if isinstance(node, e.Compound):
            results = (self.matches(x, target) for x in node.operands)
            if node.operator == "OR":
                return any(results)
            if node.operator == "MINUS":
                first, second = node.operands
                return self.matches(first, target) and not self.matches(second, target)
            return all(results)
        if isinstance(node, e.Refined):
            return self._sub(node.focus, target) and self._refinement(node.refinement, target)
        return False  # dotted attributes

    def _sub(self, node: e.SubExpression, target: NormalForm) -> bool:
        if node.member_of is not None or node.filters or node.member_filters or node.history is not None:
            return False
        focus, op = node.focus, node.operator
        if isinstance(focus, e.Wildcard):
            return op in (None, "<", "<<")
        if isinstance(focus, e.ConceptReference):
            return self._hierarchy(op, focus.id, target)
        if isinstance(focus, e.AlternateIdentifier):
            return False
        if op is None:
            return self.matches(focus, target)
        if isinstance(focus, e.Compound) and focus.operator == "OR":  # << (A OR B) is << A OR << B
            return any(self._sub(e.SubExpression(x, op), target) for x in focus.operands)
        if isinstance(focus, e.SubExpression) and focus.operator is None:
            return self._sub(e.SubExpression(focus.focus, op, focus.member_of, focus.member_filters, focus.filters,
                                             focus.history), target)
        return False

    def _hierarchy(self, op: str | None, concept_id: int, target: NormalForm) -> bool:
        nf = self.nf
        if op in ("<<", "<"):
            if not nf.is_a(target, concept_id):
                return False
            return op == "<<" or not nf.equivalent(nf.concept(concept_id), target)
        if op in (">>", ">"):
            concept = nf.concept(concept_id)
            if not nf.subsumes(target, concept):
                return False
            return op == ">>" or not nf.equivalent(concept, target)
        if op in (None, "<<!", ">>!"):
            return nf.equivalent(nf.concept(concept_id), target)
        return False

    # --- refinements -------------------------------------------------------------------------------

    def _refinement(self, r, target: NormalForm) -> bool:
        ungrouped = [(0, a) for a in target.ungrouped]
        grouped = [(i + 1, a) for i, g in enumerate(target.groups) for a in g]
        return self._holds(r, ungrouped + grouped, None)

    def _holds(self, r, rows: list[tuple[int, Attr]], group: int | None) -> bool:
        if isinstance(r, e.RefinementSet):
            results = (self._holds(x, rows, group) for x in r.items)
            return all(results) if r.operator == "AND" else any(results)
        if isinstance(r, e.AttributeGroup):
            low, high = _bounds(r.cardinality)
            groups = sorted({g for g, _ in rows if g > 0})
            count = sum(1 for g in groups if self._holds(r.attributes, rows, g))
            return low <= count and (high is None or count <= high)
        if r.reverse:
            return False
        low, high = _bounds(r.cardinality)
        count = sum(1 for g, a in rows if (group is None or g == group) and self._attribute(r, a))
        return low <= count and (high is None or count <= high)

    def _attribute(self, r: e.Attribute, a: Attr) -> bool:
        if not self._in(r.name, a.type):
            return False
        c = r.comparison
        v = a.value
        if isinstance(c, e.ExpressionComparison):
            if isinstance(v, scg_ast.Concrete):
                return False
            found = self._in(c.value, v) if isinstance(v, int) else self.matches(c.value, v)
            return found if c.operator == "=" else not found
        if not isinstance(v, scg_ast.Concrete):
            return False
        if isinstance(c, e.NumericComparison):
            if v.kind not in ("integer", "decimal"):
                return False
            return _compare(Decimal(str(v.value)), c.operator, c.value)
        if isinstance(c, e.StringComparison):
            if v.kind != "string":
                return False
            hit = any(t.text == v.value if t.mode != "wild" else _wild(t.parts, str(v.value)) for t in c.values)
            return hit if c.operator == "=" else not hit
        if isinstance(c, e.BooleanComparison):
            if v.kind != "boolean":
                return False
            return (v.value == c.value) == (c.operator == "=")
        return False

    def _in(self, node, concept_id: int | NormalForm) -> bool:
        """Is a concept in the set an ECL (sub)expression denotes? (``*`` without evaluating anything.)"""
        if isinstance(concept_id, NormalForm):
            return self.matches(node, concept_id)
        if isinstance(node, e.SubExpression) and node.operator is None and node.member_of is None and not (
                node.filters or node.history):
            if isinstance(node.focus, e.Wildcard):
                return True
            if isinstance(node.focus, e.ConceptReference):
                return node.focus.id == concept_id
        found: ConceptSet | None = self._sets.get(node)
        if found is None:
            found = self._sets[node] = ecl.evaluate(self.store, node, limits=self.limits)
        return self.store.contains(found, concept_id)


def _bounds(card: e.Cardinality | None) -> tuple[int, int | None]:
    return (1, None) if card is None else (card.min, card.max)


def _compare(value: Decimal, op: str, limit: Decimal) -> bool:
    return {"=": value == limit, "!=": value != limit, "<": value < limit, "<=": value <= limit,
            ">": value > limit, ">=": value >= limit}[op]


def _wild(parts: tuple[str, ...], text: str) -> bool:
    """``wild:"a*b"`` on a concrete string: the literal parts in order, anchored at both ends."""
    if len(parts) == 1:
        return parts[0] == text
    if not text.startswith(parts[0]) or not text.endswith(parts[-1]):
        return False
    at = len(parts[0])
    for p in parts[1:-1]:
        found = text.find(p, at)
        if found < 0:
            return False
        at = found + len(p)
    return at <= len(text) - len(parts[-1])

