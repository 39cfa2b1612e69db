"""ECL evaluation: the abstract syntax (:mod:`.ast`) to one composable SQL set (:mod:`terminology.store.ecl_queries`).

Each method implements a section of the ECL 2.2 specification's chapter 6 ("Examples" with their
meaning) and 5 (the substrate); the semantic choices where the specification leaves room are in README
"ECL" and ``docs/decisions.md``. Nothing is read from the database here except refset field names, so
compiling is cheap; the set runs when it is counted, paged or tested.

Every intermediate set carries a size estimate, used only to decide which side of an intersection or a
refinement is read and which is probed (a refset inside ``<< 404684003`` is read; ``<< 404684003`` is probed
by the closure index). The descendants of one concept are counted (up to a cap, one short index range,
remembered by the store); other sizes are rough guesses.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from .. import snomed
from ..errors import InvalidEcl, Unsupported
from ..store import ConceptSet
from ..store import ecl_queries as q
from . import ast

_HUGE = 1_000_000
_DRIVE_ABOVE = 2_000
"""Without a size for a condition's driver, filter a focus larger than this from the driver."""
_COUNT_CAP = 10_000
"""Descendants are counted up to this; a set at the cap is taken as ten times larger."""
_FAN_IN = 20
"""Guessed attribute rows per attribute value (concepts having that value)."""

_catalogs: "weakref.WeakKeyDictionary[object, q.FieldCatalog]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class _Set:
    set: q.Ref
    size: int
    """A rough size estimate (orders of magnitude)."""


def _invalid(position: int, text: str) -> InvalidEcl:
    err = InvalidEcl("ECL_INVALID", position or "?", text)
    err.position = position or None
    return err


class Evaluator:
    """Compiles one expression against one version's store (a :class:`~terminology.store.SnomedStore`)."""

    def __init__(self, store) -> None:
        self.store = store
        self.dialect = store.dialect
        catalog = _catalogs.get(store)
        if catalog is None:
            catalog = _catalogs[store] = q.FieldCatalog(store)
        self.fields = catalog
        self.q = q.Query(self.dialect)
        self.referenced: dict[int, int] = {}
        """The concept ids the expression names, with their positions (they must be concepts of the version)."""

    def compile(self, e: ast.Expression) -> ConceptSet:
        return self.q.finish(self.expression(e).set)

    # --- expressions -----------------------------------------------------------------------------

    def expression(self, e, *, any_status: bool = False) -> _Set:
        if isinstance(e, ast.SubExpression):
            return self.sub(e, any_status=any_status)
        if isinstance(e, ast.Compound):
            return self.compound(e, any_status=any_status)
        if isinstance(e, ast.Refined):
            return self.refined(e, any_status=any_status)
        if isinstance(e, ast.Dotted):
            return self.dotted(e, any_status=any_status)
        raise TypeError(e)  # pragma: no cover

    def compound(self, e: ast.Compound, *, any_status: bool) -> _Set:
        """§6.4 conjunction and disjunction, §6.5 exclusion."""
        parts = [self.expression(x, any_status=any_status) for x in e.operands]
        if e.operator == "OR":
            out = parts[0]
            for p in parts[1:]:
                out = _Set(self.q.union(out.set, p.set), min(_HUGE, out.size + p.size))
            return out
        if e.operator == "MINUS":
            a, b = parts
            return _Set(self.q.minus(a.set, b.set), a.size)
        parts.sort(key=lambda p: p.size)
        out = parts[0]
        for p in parts[1:]:
            out = _Set(self.q.intersect(out.set, p.set), min(out.size, p.size))
        return out

    def sub(self, e: ast.SubExpression, *, any_status: bool) -> _Set:
        """§6.1 simple constraints (focus, constraint operators, memberOf), then §6.8/6.9 filters and §6.11
        history supplements, in that order."""
        wide = any_status or any(isinstance(i, ast.ActiveFilter) for f in e.filters
                                 if isinstance(f, ast.ConceptFilter) for i in f.items)
        single = None
        focus = e.focus
        if isinstance(focus, ast.ConceptReference):
            self._check_concept(focus)
            found = _Set(self.q.concepts([focus.id], any_status=wide), 1)
            single = focus.id
        elif isinstance(focus, ast.Wildcard):
            found = _Set(self.q.everything(any_status=wide), _HUGE)
        elif isinstance(focus, ast.AlternateIdentifier):
            raise Unsupported.plain(f"ECL alternate identifiers ({focus.scheme}#{focus.code}) are not supported: "
                                    f"this server does not load alternate identifiers")
        else:
            found = self.expression(focus, any_status=wide)
        if e.member_of is not None:
            found = self.member_of(e, None if isinstance(focus, ast.Wildcard) else found)
            single = None
        elif e.member_filters:
            raise _invalid(e.member_filters[0].position, "member filters {{ M ... }} apply to ^ (memberOf) only")
        if e.operator is not None:
            found = self.hierarchy(e.operator, found, single)
        for f in e.filters:
            cond = self.description_filter(f) if isinstance(f, ast.DescriptionFilter) else self.concept_filter(f)
            found = self.restrict(found, cond, selective_size=300)
        if e.history is not None:
            found = _Set(self.history(found.set, e.history), found.size * 2)
        return found

    def hierarchy(self, op: str, focus: _Set, single: int | None) -> _Set:
        """§6.1 ``< << <! <<! > >> >! >>!`` and §6.12 ``!!>`` / ``!!<`` on a set."""
        grows = {"<": 10_000, "<<": 10_000, "<!": 30, "<<!": 30, ">": 30, ">>": 30, ">!": 3, ">>!": 3}
        if single is not None and op in ("<", "<<"):
            size = self.store.descendant_count(single, _COUNT_CAP)
            size = size * 10 if size >= _COUNT_CAP else size + (op == "<<")
        else:
            size = focus.size if op in ("!!>", "!!<") else min(_HUGE, focus.size * grows[op])
        return _Set(self.q.hierarchy(op, focus.set, single=single), size)

    def member_of(self, e: ast.SubExpression, refsets: _Set | None) -> _Set:
        """§6.1 ``^ R``, §6.10 field selection ``^ [field] R`` and member filters ``{{ M ... }}``."""
        mo = e.member_of
        if mo.all_fields:
            fields = [q.MEMBER_COLUMNS[name] for name in q.CONCEPT_FIELDS]
        elif mo.fields:
            fields = [self._member_field(name, e.position, returned=True) for name in mo.fields]
        else:
            fields = [q.MEMBER_COLUMNS["referencedcomponentid"]]
        if (refsets is not None and isinstance(e.focus, ast.ConceptReference) and not mo.all_fields
                and not mo.fields and not self.store.refset_holds_concepts(e.focus.id)):
            return _Set(self.q.nothing(), 0)  # a description or relationship refset references no concepts
        tests = [self.member_item(item, f.position) for f in e.member_filters for item in f.items]
        if not any(isinstance(item, ast.ActiveFilter) for f in e.member_filters for item in f.items):
            tests.append(q.Fragment("{m}.active = 1"))
        return _Set(q.members(self.q, refsets.set if refsets else None, fields, q.all_of(tests)), 1_000)

    def _member_field(self, name: str, position: int, *, returned: bool = False) -> tuple[str, str]:
        known = q.MEMBER_COLUMNS.get(name.lower())
        if known is not None:
            if returned and known[1] != "concept":
                raise _invalid(position, f"the refset field {name} holds no concept ids, so it cannot be returned "
                                         f"as concepts")
            return known
        spelled = self.fields.lookup(name)
        if spelled is None:
            raise _invalid(position, f"no reference set in this version has a field named {name!r}")
        return q.json_field(self.dialect, spelled), "json"

    def member_item(self, item, position: int) -> q.Fragment:
        if isinstance(item, ast.ActiveFilter):
            return q.Fragment(f"{{m}}.active = {1 if item.active else 0}")
        if isinstance(item, ast.ModuleFilter):
            return q.in_values("{m}.module_id", self.values(item.modules), negate=item.operator == "!=")
        if isinstance(item, ast.EffectiveTimeFilter):
            c = item.comparison
            return q.compare_times("{m}.effective_time", c.operator, c.values)
        field, kind = self._member_field(item.field, item.position or position)
        c = item.comparison
        if isinstance(c, ast.ExpressionComparison):
            values = self.values(c.value)
            if kind == "concept":
                return q.in_values(field, values, negate=c.operator == "!=")
            if kind in ("json", "text"):
                if values is None:
                    return q.Fragment(f"{field} IS NOT NULL") if c.operator == "=" else q.FALSE
                if isinstance(values, q.Ref):
                    return q.ids_as_text(field, values, negate=c.operator == "!=")
                return q.text_in(field, [str(v) for v in values], negate=c.operator == "!=")
            raise _invalid(item.position, f"the refset field {item.field} holds no concept ids")
        if isinstance(c, ast.NumericComparison):
            return q.compare(q.as_number(self.dialect, field, kind), c.operator, float(c.value))
        if isinstance(c, ast.StringComparison):
            return q.text_test(self.dialect, field, kind, c.operator,
                               [(t.mode, t.text, t.parts) for t in c.values])
        if isinstance(c, ast.BooleanComparison):
            truth = c.value if c.operator == "=" else not c.value
            if kind == "boolean":
                return q.Fragment(f"{field} = {1 if truth else 0}")
            return q.text_in(f"LOWER({q.as_text(self.dialect, field, kind)})", ["1", "true"] if truth else ["0", "false"])
        if isinstance(c, ast.TimeComparison):
            if kind == "time":
                return q.compare_times(field, c.operator, c.values)
            return q.compare_times(q.as_text(self.dialect, field, kind), c.operator, c.values, as_text=True)
        raise TypeError(c)  # pragma: no cover

    def history(self, focus: q.Ref, h: ast.HistorySupplement) -> q.Ref:
        """§6.11 history supplements: MIN, MOD, MAX (also plain ``HISTORY``) or the refsets of a subset."""
        if h.subset is not None:
            return q.history(self.q, focus, (), self.expression(h.subset).set)
        if h.profile == "MIN":
            return q.history(self.q, focus, snomed.HISTORY_MIN)
        if h.profile == "MOD":
            return q.history(self.q, focus, snomed.HISTORY_MOD)
        return q.history(self.q, focus, snomed.HISTORY_MAX, subtypes_of=snomed.HISTORICAL_ASSOCIATION)

    def restrict(self, focus: _Set, cond: q.Condition, *, selective_size: int = 5_000) -> _Set:
        """The members of ``focus`` passing ``cond``: read from the condition's driver when that reads fewer
        rows than the focus has members, else each member is tested."""
        if cond.driver is None:
            return _Set(self.q.restrict(focus.set, cond, from_driver=False), focus.size)
        if cond.size is None:
            driven, size = focus.size > _DRIVE_ABOVE, min(focus.size, selective_size)
        else:
            driven, size = cond.size < focus.size, min(focus.size, cond.size)
        return _Set(self.q.restrict(focus.set, cond, from_driver=driven), size)

    # --- refinements (§6.2, §6.3) ----------------------------------------------------------------

    def refined(self, e: ast.Refined, *, any_status: bool) -> _Set:
        return self.restrict(self.sub(e.focus, any_status=any_status), self.refinement(e.refinement))

    def refinement(self, r) -> q.Condition:
        if isinstance(r, ast.RefinementSet):
            conds = [self.refinement(x) for x in r.items]
            return q.condition_and(conds) if r.operator == "AND" else q.condition_or(self.q, conds)
        if isinstance(r, ast.AttributeGroup):
            return self.group(r)
        low, high = self._cardinality(r)
        rows, size = self.rows(r)
        return q.attribute(rows, low, high, size=size)

    def _cardinality(self, node) -> tuple[int, int | None]:
        card = node.cardinality
        if card is None:
            return 1, None
        if card.max is not None and card.min > card.max:
            raise _invalid(node.position, f"the cardinality [{card.min}..{card.max}] has its minimum above its "
                                          f"maximum")
        return card.min, card.max

    def rows(self, a: ast.Attribute) -> tuple[q.AttributeRows, int | None]:
        """The attribute rows an attribute constraint matches (relationships or concrete values), with a rough
        count of them (None for concrete values: not estimated)."""
        names = self.values(a.name)
        c = a.comparison
        if isinstance(c, ast.ExpressionComparison):
            values, size = self._sized_values(c.value)
            rows = q.relationship_rows(names, values, negate=c.operator == "!=", reverse=a.reverse)
            return rows, (_HUGE if c.operator == "!=" else min(_HUGE, size * _FAN_IN))
        if a.reverse:
            raise _invalid(a.position, "a reverse attribute (R) needs a concept value, not a concrete value")
        if isinstance(c, ast.NumericComparison):
            return q.concrete_rows(names, q.concrete_number(c.operator, float(c.value))), None
        if isinstance(c, ast.StringComparison):
            test = q.concrete_strings(c.operator, [(t.mode, t.text, t.parts) for t in c.values])
            return q.concrete_rows(names, test), None
        if isinstance(c, ast.BooleanComparison):
            return q.concrete_rows(names, q.concrete_boolean(c.operator, c.value)), None
        raise TypeError(c)  # pragma: no cover

    def group(self, g: ast.AttributeGroup) -> q.Condition:
        """``[n..m] { ... }``: attributes that hold within one non-zero relationship group."""
        inner, anchor, size = self._in_group(g.attributes, g.position)
        low, high = self._cardinality(g)
        return q.group(inner, anchor, low, high, size=size)

    def _in_group(self, r, position: int) -> tuple[q.Fragment, q.AttributeRows | None, int | None]:
        """The test of one group (over ``{id}`` and ``{grp}``), and the rows of an attribute every passing
        group has (the fewest, when several), with their rough count."""
        if isinstance(r, ast.Attribute):
            if r.reverse:
                raise _invalid(r.position, "a reverse attribute (R) cannot be in an attribute group")
            low, high = self._cardinality(r)
            rows, size = self.rows(r)
            test = q.cardinality_test(rows, "{id}", low, high, group="{grp}")
            return (test, rows, size) if low >= 1 else (test, None, _HUGE)
        parts = [self._in_group(x, position) for x in r.items]
        if r.operator == "AND":
            _, anchor, size = min(parts, key=lambda p: _HUGE + 1 if p[1] is None else _HUGE if p[2] is None else p[2])
            return q.all_of([f for f, _, _ in parts]), anchor, size
        return q.any_of([f for f, _, _ in parts]), None, _HUGE

    def dotted(self, e: ast.Dotted, *, any_status: bool) -> _Set:
        """Dotted attributes (§6.2): the values of the named attributes of the focus concepts, in turn."""
        found = self.sub(e.focus, any_status=any_status)
        for name in e.attributes:
            found = _Set(q.dotted(self.q, found.set, self.values(name)), min(_HUGE, found.size * 3))
        return found

    # --- filters (§6.8, §6.9) --------------------------------------------------------------------

    def description_filter(self, f: ast.DescriptionFilter) -> q.Condition:
        """``{{ D ... }}``: one active description (unless ``active`` says otherwise) passes every item."""
        tests: list[q.Fragment] = []
        selective = False
        if not any(isinstance(i, ast.ActiveFilter) for i in f.items):
            tests.append(q.Fragment("{d}.active = 1"))
        for item in f.items:
            if isinstance(item, ast.TermFilter):
                terms = [q.term_wild(t.parts) if t.mode == "wild" else q.term_match(self.dialect, t.text)
                         for t in item.terms]
                test = q.any_of(terms)
                tests.append(test.negate() if item.operator == "!=" else test)
                selective |= item.operator == "=" and all(t.mode != "wild" for t in item.terms)
            elif isinstance(item, ast.LanguageFilter):
                tests.append(q.text_in("LOWER({d}.language_code)", item.codes, negate=item.operator == "!="))
            elif isinstance(item, ast.TypeFilter):
                tests.append(q.in_values("{d}.type_id", self.values(item.types), negate=item.operator == "!="))
            elif isinstance(item, ast.DialectFilter):
                test = q.any_of([self._dialect(d) for d in item.dialects])
                tests.append(test.negate() if item.operator == "!=" else test)
            elif isinstance(item, ast.ModuleFilter):
                tests.append(q.in_values("{d}.module_id", self.values(item.modules), negate=item.operator == "!="))
            elif isinstance(item, ast.EffectiveTimeFilter):
                c = item.comparison
                tests.append(q.compare_times("{d}.effective_time", c.operator, c.values))
            elif isinstance(item, ast.ActiveFilter):
                tests.append(q.Fragment(f"{{d}}.active = {1 if item.active else 0}"))
            elif isinstance(item, ast.DescriptionIdFilter):
                for i in item.ids:
                    problem = snomed.sctid_problem(str(i), snomed.PARTITION_DESCRIPTION)
                    if problem:
                        raise _invalid(0, f"{i} is not a description id: {problem}")
                tests.append(q.in_values("{d}.id", list(item.ids), negate=item.operator == "!="))
                selective |= item.operator == "="
        return q.description_condition(q.all_of(tests), selective=selective)

    def _dialect(self, d: ast.Dialect) -> q.Fragment:
        if d.alias is not None:
            refsets = [self._dialect_alias(d.alias, d.position)]
        else:
            refsets = self.values(d.refsets)
        acceptability = [a.id for a in d.acceptability] if d.acceptability else None
        return q.dialect_test(refsets, acceptability)

    @staticmethod
    def _dialect_alias(alias: str, position: int) -> int:
        refset = snomed.DIALECT_REFSETS.get(alias)
        if refset is None and "-x-" in alias and snomed.is_concept_id(alias.rsplit("-x-", 1)[1]):
            refset = int(alias.rsplit("-x-", 1)[1])
        if refset is None:
            known = ", ".join(sorted(snomed.DIALECT_REFSETS))
            raise _invalid(position, f"the dialect {alias!r} is not known to this server (known: {known}, or "
                                     f"<language>-x-<refset id>); use dialectId = <language refset>")
        return refset

    def concept_filter(self, f: ast.ConceptFilter) -> q.Condition:
        """``{{ C ... }}``: definition status, module, effective time, status."""
        tests: list[q.Fragment] = []
        for item in f.items:
            if isinstance(item, ast.DefinitionStatusFilter):
                tests.append(q.in_values("{c}.definition_status_id", self.values(item.statuses),
                                         negate=item.operator == "!="))
            elif isinstance(item, ast.ModuleFilter):
                tests.append(q.in_values("{c}.module_id", self.values(item.modules), negate=item.operator == "!="))
            elif isinstance(item, ast.EffectiveTimeFilter):
                c = item.comparison
                tests.append(q.compare_times("{c}.effective_time", c.operator, c.values))
            elif isinstance(item, ast.ActiveFilter):
                tests.append(q.Fragment(f"{{c}}.active = {1 if item.active else 0}"))
        return q.concept_condition(q.all_of(tests))

    # --- values ----------------------------------------------------------------------------------

    def values(self, e) -> q.Values:
        """Concept ids to compare with: a literal list for concept references, None for a bare ``*``,
        otherwise the evaluated set."""
        return self._sized_values(e)[0]

    def _sized_values(self, e) -> tuple[q.Values, int]:
        """:meth:`values` with the (estimated) number of concepts."""
        if isinstance(e, ast.ConceptReferences):
            for ref in e.items:
                self._check_concept(ref)
            return [ref.id for ref in e.items], len(e.items)
        if isinstance(e, ast.SubExpression) and e.operator is None and e.member_of is None and not (
                e.filters or e.member_filters or e.history):
            if isinstance(e.focus, ast.ConceptReference):
                self._check_concept(e.focus)
                return [e.focus.id], 1
            if isinstance(e.focus, ast.Wildcard):
                return None, _HUGE
        found = self.expression(e)
        return found.set, found.size

    def _check_concept(self, ref: ast.ConceptReference) -> None:
        problem = snomed.sctid_problem(str(ref.id), snomed.PARTITION_CONCEPT)
        if problem:
            raise _invalid(ref.position, f"{ref.id} is not a concept id: {problem}")
        self.referenced.setdefault(ref.id, ref.position)

    def check_known(self) -> None:
        """Every concept the expression names is a concept of the version (active or not): an unknown one is an
        error, as tx.fhir.org and Snowstorm answer, rather than an empty set that hides a typing mistake."""
        if not self.referenced:
            return
        known = self.store.concept_rows(list(self.referenced))
        for cid, position in self.referenced.items():
            if cid not in known:
                err = InvalidEcl("ECL_UNKNOWN_CONCEPT", cid, position or "?")
                err.position = position or None
                raise err
