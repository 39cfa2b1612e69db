"""SQL primitives for ECL evaluation (ECL 2.2 chapter 6, over one version's tables).

``terminology.ecl`` walks the syntax tree and calls these; every function here returns composable SQL: a
:class:`ConceptSet` (a SELECT of concept ``id``), a :class:`Condition` (a test on one concept, for
refinements and filters) or a :class:`Fragment` (a test on one description or refset member row). Nothing
runs until the caller counts, pages or tests membership, so one expression is one statement in the
database. Semantics (see also README "ECL"):

* The substrate is the active concepts of the snapshot; ``any_status`` widens it to every concept (an
  ``active`` concept filter asks for that).
* Hierarchy: the ``closure`` table (active inferred is-a; self pairs are not stored) and the active is-a
  rows for children and parents.
* Attributes: active inferred relationships other than is-a, and concrete values; an attribute group is a
  non-zero ``rel_group``; cardinality counts matching rows.
* ``^ R``: the referenced components of the active members of R (which may be inactive concepts).

Sets may carry a ``predicate`` (a test of one id, ``{id}`` standing for it) so that intersections filter
the smaller side row by row instead of materialising both (see :class:`ConceptSet`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Sequence

from .. import snomed
from ..text import fold, tokens
from .snomed_store import ConceptSet, _param

_alias = itertools.count()
_INFERRED = snomed.INFERRED
_IS_A = snomed.IS_A


def _a(prefix: str) -> str:
    return f"{prefix}{next(_alias)}"


@dataclass(frozen=True)
class Fragment:
    """A boolean SQL expression with its parameters (over an alias the caller names)."""

    sql: str
    params: dict = field(default_factory=dict)
    expanding: tuple[str, ...] = ()

    def __and__(self, other: "Fragment") -> "Fragment":
        return _join("AND", [self, other])

    def __or__(self, other: "Fragment") -> "Fragment":
        return _join("OR", [self, other])

    def negate(self) -> "Fragment":
        return Fragment(f"NOT ({self.sql})", self.params, self.expanding)


TRUE = Fragment("1 = 1")
FALSE = Fragment("1 = 0")


def _join(op: str, parts: Sequence[Fragment]) -> Fragment:
    parts = list(parts)
    if not parts:
        return TRUE if op == "AND" else FALSE
    if len(parts) == 1:
        return parts[0]
    params: dict = {}
    expanding: tuple[str, ...] = ()
    for p in parts:
        params.update(p.params)
        expanding += p.expanding
    return Fragment("(" + f" {op} ".join(f"({p.sql})" for p in parts) + ")", params, _unique(expanding))


def all_of(parts: Sequence[Fragment]) -> Fragment:
    return _join("AND", parts)


def any_of(parts: Sequence[Fragment]) -> Fragment:
    return _join("OR", parts)


Values = ConceptSet | Sequence[int] | None
"""Concept ids to compare with: a set, a literal list, or None for ``*`` (anything)."""


def in_values(column: str, values: Values, *, negate: bool = False) -> Fragment:
    """``column IN values`` (``NOT IN`` when ``negate``); None values is any concept."""
    if values is None:
        return FALSE if negate else TRUE
    if isinstance(values, ConceptSet):
        inner = _a("vs")
        frag = Fragment(f"{column} IN (SELECT {inner}.id FROM ({values.sql}) AS {inner})", values.params,
                        values.expanding)
        return frag.negate() if negate else frag
    ids = sorted(set(int(v) for v in values))
    if not ids:
        return TRUE if negate else FALSE
    if len(ids) == 1:
        name, params = _param(ids[0])
        return Fragment(f"{column} {'<>' if negate else '='} :{name}", params)
    name, params = _param(ids)
    return Fragment(f"{column} {'NOT IN' if negate else 'IN'} :{name}", params, (name,))


def compare(column: str, op: str, value) -> Fragment:
    """``column op :value`` for ``= != < <= > >=``."""
    name, params = _param(value)
    return Fragment(f"{column} {'<>' if op == '!=' else op} :{name}", params)


def compare_times(column: str, op: str, times: Sequence[int | None], *, as_text: bool = False) -> Fragment:
    """An effective-time comparison; a set means any of its times; the empty time ``""`` matches nothing
    (a loaded release has no unpublished rows)."""
    known = [t for t in times if t is not None]
    if op == "=":
        if not known:
            return FALSE
        values = [str(t) for t in known] if as_text else known
        name, params = _param(values)
        return Fragment(f"{column} IN :{name}", params, (name,))
    if op == "!=":
        if not known:
            return TRUE
        values = [str(t) for t in known] if as_text else known
        name, params = _param(values)
        return Fragment(f"{column} NOT IN :{name}", params, (name,))
    return any_of([compare(column, op, str(t) if as_text else t) for t in known]) if known else FALSE


# --- text matching -----------------------------------------------------------------------------------

def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def wild_pattern(parts: Sequence[str], *, folded: bool = True) -> str:
    """A LIKE pattern for a ``wild:`` term given as its literal parts between ``*``."""
    return "%".join(_like_escape(fold(p) if folded else p.lower()) for p in parts)


@dataclass(frozen=True)
class Condition:
    """A test of one concept: ``predicate`` is SQL with ``{id}`` for the concept id.

    ``driver`` is an optional, selective set that holds every concept passing the test (and maybe others):
    when it is smaller than the set being filtered, the filter starts from it instead.
    """

    predicate: Fragment
    driver: ConceptSet | None = None

    def on(self, column: str) -> Fragment:
        return Fragment(self.predicate.sql.replace("{id}", column), self.predicate.params,
                        self.predicate.expanding)


def condition_and(conds: Sequence[Condition]) -> Condition:
    conds = list(conds)
    driver = next((c.driver for c in conds if c.driver is not None), None)
    return Condition(all_of([c.predicate for c in conds]), driver)


def condition_or(conds: Sequence[Condition]) -> Condition:
    conds = list(conds)
    drivers = [c.driver for c in conds]
    driver = None
    if drivers and all(d is not None for d in drivers):
        driver = drivers[0]
        for d in drivers[1:]:
            driver = union(driver, d)
    return Condition(any_of([c.predicate for c in conds]), driver)


# --- set algebra ---------------------------------------------------------------------------------------

def _set(sql: str, frag: Fragment | None = None, *, params: dict | None = None, expanding: tuple = (),
         predicate: str | None = None) -> ConceptSet:
    p = dict(params or {})
    e = tuple(expanding)
    if frag is not None:
        p.update(frag.params)
        e += frag.expanding
    return ConceptSet(sql, p, e, predicate)


def _merge(*sets: ConceptSet) -> tuple[dict, tuple[str, ...]]:
    params: dict = {}
    expanding: tuple[str, ...] = ()
    for s in sets:
        params.update(s.params)
        expanding += s.expanding
    return params, _unique(expanding)


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    """List parameter names once, however often a set or fragment is used in one statement."""
    return tuple(dict.fromkeys(names))


def member_test(s: ConceptSet, column: str) -> Fragment:
    """SQL that is true when ``column`` holds a member of ``s`` (its predicate, else an ``IN``)."""
    if s.predicate is not None:
        return Fragment(s.predicate.replace("{id}", column), s.params, s.expanding)
    return in_values(column, s)


def intersect(driver: ConceptSet, probe: ConceptSet) -> ConceptSet:
    """``driver AND probe``, reading ``driver`` and testing each of its rows against ``probe``."""
    a = _a("i")
    test = member_test(probe, f"{a}.id")
    params, expanding = _merge(driver)
    params.update(test.params)
    predicate = None
    if driver.predicate is not None and probe.predicate is not None:
        predicate = f"({driver.predicate}) AND ({probe.predicate})"
    return ConceptSet(f"SELECT {a}.id AS id FROM ({driver.sql}) AS {a} WHERE {test.sql}", params,
                      _unique(expanding + test.expanding), predicate)


def union(a: ConceptSet, b: ConceptSet) -> ConceptSet:
    params, expanding = _merge(a, b)
    predicate = f"({a.predicate}) OR ({b.predicate})" if a.predicate and b.predicate else None
    return ConceptSet(f"SELECT id FROM ({a.sql}) AS {_a('u')} UNION SELECT id FROM ({b.sql}) AS {_a('u')}",
                      params, expanding, predicate)


def minus(a: ConceptSet, b: ConceptSet) -> ConceptSet:
    """``a MINUS b``: rows of ``a`` failing ``b``'s test (``b``'s predicate when it has one)."""
    x = _a("m")
    test = member_test(b, f"{x}.id").negate()
    params, expanding = _merge(a)
    params.update(test.params)
    predicate = f"({a.predicate}) AND NOT ({b.predicate})" if a.predicate and b.predicate else None
    return ConceptSet(f"SELECT {x}.id AS id FROM ({a.sql}) AS {x} WHERE {test.sql}", params,
                      _unique(expanding + test.expanding), predicate)


def restrict(focus: ConceptSet, cond: Condition, *, from_driver: bool) -> ConceptSet:
    """The members of ``focus`` that pass ``cond``; ``from_driver`` starts from the condition's driver."""
    if from_driver and cond.driver is not None:
        x = _a("d")
        test = all_of([cond.on(f"{x}.id"), member_test(focus, f"{x}.id")])
        params, expanding = _merge(cond.driver)
        params.update(test.params)
        predicate = f"({focus.predicate}) AND ({cond.predicate.sql})" if focus.predicate else None
        return ConceptSet(f"SELECT {x}.id AS id FROM ({cond.driver.sql}) AS {x} WHERE {test.sql}", params,
                          _unique(expanding + test.expanding), predicate)
    x = _a("f")
    test = cond.on(f"{x}.id")
    params, expanding = _merge(focus)
    params.update(test.params)
    predicate = f"({focus.predicate}) AND ({cond.predicate.sql})" if focus.predicate else None
    return ConceptSet(f"SELECT {x}.id AS id FROM ({focus.sql}) AS {x} WHERE {test.sql}", params,
                      _unique(expanding + test.expanding), predicate)


# --- the substrate and focus concepts (§6.1) ----------------------------------------------------------

def everything(*, any_status: bool = False) -> ConceptSet:
    """``*``: every active concept (every concept with ``any_status``)."""
    if any_status:
        return ConceptSet("SELECT id FROM concept", predicate="EXISTS (SELECT 1 FROM concept WHERE id = {id})")
    return ConceptSet("SELECT id FROM concept WHERE active = 1",
                      predicate="EXISTS (SELECT 1 FROM concept WHERE id = {id} AND active = 1)")


def concepts(ids: Sequence[int], *, any_status: bool = False) -> ConceptSet:
    """The given concepts, if they are (active) concepts of this version."""
    status = "" if any_status else " AND active = 1"
    ids = sorted(set(ids))
    if len(ids) == 1:
        name, params = _param(ids[0])
        return ConceptSet(f"SELECT id FROM concept WHERE id = :{name}{status}", params,
                          predicate=f"({{id}} = :{name} AND EXISTS (SELECT 1 FROM concept WHERE id = :{name}{status}))")
    name, params = _param(ids)
    return ConceptSet(f"SELECT id FROM concept WHERE id IN :{name}{status}", params, (name,),
                      predicate=f"({{id}} IN :{name} AND EXISTS (SELECT 1 FROM concept WHERE id = {{id}}{status}))")


# --- hierarchy (§6.1 constraint operators, §6.12 top and bottom) --------------------------------------

def hierarchy(op: str, focus: ConceptSet, *, single: int | None = None) -> ConceptSet:
    """A constraint operator applied to a set (``single``: the set is that one concept, a faster form).

    Self is included (``<<``, ``>>``, ``<<!``, ``>>!``) only for active members of the focus.
    """
    if op in ("!!>", "!!<"):
        return _top_or_bottom(op, focus)
    base = {"<": "<", "<<": "<", "<!": "<!", "<<!": "<!", ">": ">", ">>": ">", ">!": ">!", ">>!": ">!"}[op]
    core = _single(base, single) if single is not None else _related(base, focus)
    if op in ("<<", "<<!", ">>", ">>!"):
        if single is not None:
            return union(core, concepts([single]))
        x = _a("s")
        active = ConceptSet(f"SELECT {x}.id AS id FROM ({focus.sql}) AS {x} WHERE EXISTS "
                            f"(SELECT 1 FROM concept c WHERE c.id = {x}.id AND c.active = 1)",
                            focus.params, focus.expanding,
                            f"({focus.predicate}) AND EXISTS (SELECT 1 FROM concept WHERE id = {{id}} AND active = 1)"
                            if focus.predicate else None)
        return union(core, active)
    return core


def _single(op: str, concept: int) -> ConceptSet:
    name, params = _param(concept)
    if op == "<":
        return ConceptSet(f"SELECT descendant_id AS id FROM closure WHERE ancestor_id = :{name}", params,
                          predicate=f"EXISTS (SELECT 1 FROM closure WHERE ancestor_id = :{name} AND descendant_id = {{id}})")
    if op == ">":
        return ConceptSet(f"SELECT ancestor_id AS id FROM closure WHERE descendant_id = :{name}", params,
                          predicate=f"EXISTS (SELECT 1 FROM closure WHERE descendant_id = :{name} AND ancestor_id = {{id}})")
    near, far = ("source_id", "destination_id") if op == "<!" else ("destination_id", "source_id")
    return ConceptSet(f"SELECT DISTINCT {near} AS id FROM relationship WHERE {far} = :{name} AND type_id = {_IS_A}",
                      params, predicate=f"EXISTS (SELECT 1 FROM relationship WHERE {far} = :{name} "
                                        f"AND {near} = {{id}} AND type_id = {_IS_A})")


def _related(op: str, focus: ConceptSet) -> ConceptSet:
    x = _a("h")
    inside = in_values(f"{x}.ancestor_id" if op == "<" else f"{x}.descendant_id", focus)
    if op == "<":
        sql = f"SELECT DISTINCT {x}.descendant_id AS id FROM closure {x} WHERE {inside.sql}"
    elif op == ">":
        sql = f"SELECT DISTINCT {x}.ancestor_id AS id FROM closure {x} WHERE {inside.sql}"
    else:
        near, far = ("source_id", "destination_id") if op == "<!" else ("destination_id", "source_id")
        inside = in_values(f"{x}.{far}", focus)
        sql = (f"SELECT DISTINCT {x}.{near} AS id FROM relationship {x} WHERE {x}.type_id = {_IS_A} "
               f"AND {inside.sql}")
    return ConceptSet(sql, inside.params, inside.expanding)


def _top_or_bottom(op: str, focus: ConceptSet) -> ConceptSet:
    """``!!>``: members with no proper ancestor in the set; ``!!<``: members with no proper descendant in it."""
    base, x, c = _a("b"), _a("t"), _a("c")
    mine, other = ("descendant_id", "ancestor_id") if op == "!!>" else ("ancestor_id", "descendant_id")
    sql = (f"WITH {base} AS ({focus.sql}) SELECT {x}.id AS id FROM {base} {x} WHERE NOT EXISTS "
           f"(SELECT 1 FROM closure {c} WHERE {c}.{mine} = {x}.id AND {c}.{other} IN (SELECT id FROM {base}))")
    return ConceptSet(sql, focus.params, focus.expanding)


# --- refsets (§6.1 memberOf, §6.10 member filters and field selection) --------------------------------

MEMBER_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("m.id", "text"),
    "effectivetime": ("m.effective_time", "time"),
    "active": ("m.active", "boolean"),
    "moduleid": ("m.module_id", "concept"),
    "refsetid": ("m.refset_id", "concept"),
    "referencedcomponentid": ("m.referenced_component_id", "concept"),
    "targetcomponentid": ("m.target_id", "concept"),
    "valueid": ("m.target_id", "concept"),
    "maptarget": ("m.map_target", "text"),
    "mapgroup": ("m.map_group", "number"),
    "mappriority": ("m.map_priority", "number"),
    "maprule": ("m.map_rule", "text"),
    "mapadvice": ("m.map_advice", "text"),
    "correlationid": ("m.correlation_id", "concept"),
    "mapcategoryid": ("m.map_category_id", "concept"),
}
"""Refset member fields with their own column (lower-cased name -> (SQL over alias ``m``, kind))."""

CONCEPT_FIELDS = ("referencedcomponentid", "targetcomponentid", "correlationid", "mapcategoryid")
"""The concept-valued columns returned by ``^ [*] R``."""


def json_field(dialect: str, name: str) -> str:
    """SQL for an additional field kept in the member's JSON ``fields`` (as text)."""
    quoted = name.replace('"', "").replace("'", "")
    if dialect == "sqlite":
        return f"json_extract(m.fields, '$.\"{quoted}\"')"
    return f"(m.fields::json ->> '{quoted}')"


def as_number(dialect: str, expr: str, kind: str) -> str:
    """``expr`` as a number (NULL where its text is not one)."""
    if kind in ("number", "time", "boolean", "concept"):
        return expr
    if dialect == "sqlite":
        return (f"(CASE WHEN {expr} GLOB '[-+0-9]*' AND {expr} NOT GLOB '?*[^0-9.]*' "
                f"THEN CAST({expr} AS REAL) END)")
    return f"(CASE WHEN {expr} ~ '^[-+]?[0-9]+(\\.[0-9]+)?$' THEN CAST({expr} AS NUMERIC) END)"


def as_text(dialect: str, expr: str, kind: str) -> str:
    if kind in ("text", "json"):
        return expr
    return f"CAST({expr} AS TEXT)"


def members(dialect: str, refsets: ConceptSet | None, fields: Sequence[tuple[str, str]],
            condition: Fragment) -> ConceptSet:
    """Concepts in the given member fields (SQL over alias ``m``) of the members of ``refsets`` (None: any
    refset) that pass ``condition``."""
    selects = []
    params: dict = dict(condition.params)
    expanding: tuple[str, ...] = condition.expanding
    where = [condition.sql]
    if refsets is not None:
        r = in_values("m.refset_id", refsets)
        where.append(r.sql)
        params.update(r.params)
        expanding += r.expanding
    for column, kind in fields:
        value = column if kind == "concept" else f"CAST({column} AS BIGINT)" if dialect == "postgresql" else column
        if kind == "json" and dialect == "postgresql":
            value = f"(CASE WHEN {column} ~ '^[1-9][0-9]{{5,17}}$' THEN CAST({column} AS BIGINT) END)"
        c = _a("c")
        selects.append(f"SELECT {value} AS id FROM refset_member m JOIN concept {c} ON {c}.id = {value} "
                       f"WHERE {' AND '.join(where)}")
    sql = selects[0].replace("SELECT ", "SELECT DISTINCT ", 1) if len(selects) == 1 else " UNION ".join(selects)
    predicate = None
    if len(fields) == 1 and fields[0][0] == "m.referenced_component_id":
        predicate = (f"EXISTS (SELECT 1 FROM refset_member m WHERE m.referenced_component_id = {{id}} AND "
                     f"{' AND '.join(where)}) AND EXISTS (SELECT 1 FROM concept WHERE id = {{id}})")
    return ConceptSet(sql, params, _unique(expanding), predicate)


def history(focus: ConceptSet, refsets: Sequence[int], refset_set: ConceptSet | None = None,
            *, subtypes_of: int | None = None) -> ConceptSet:
    """``focus {{ + HISTORY ... }}``: the focus plus the inactive concepts that an active member of one of
    the association refsets points from to a concept of the focus (one step, §6.11)."""
    base, m, c = _a("b"), _a("a"), _a("c")
    parts: list[Fragment] = []
    if refsets:
        parts.append(in_values(f"{m}.refset_id", list(refsets)))
    if refset_set is not None:
        parts.append(in_values(f"{m}.refset_id", refset_set))
    if subtypes_of is not None:
        name, p = _param(subtypes_of)
        parts.append(Fragment(f"{m}.refset_id IN (SELECT descendant_id FROM closure WHERE ancestor_id = :{name})", p))
    which = any_of(parts)
    params, expanding = _merge(focus)
    params.update(which.params)
    sql = (f"WITH {base} AS ({focus.sql}) SELECT id FROM {base} UNION "
           f"SELECT {m}.referenced_component_id AS id FROM refset_member {m} "
           f"JOIN concept {c} ON {c}.id = {m}.referenced_component_id AND {c}.active = 0 "
           f"WHERE {m}.active = 1 AND ({which.sql}) AND {m}.target_id IN (SELECT id FROM {base})")
    return ConceptSet(sql, params, _unique(expanding + which.expanding))


# --- attributes (§6.2 refinements, §6.3 cardinality, §6.2 dotted attributes and reverse flags) ---------

@dataclass(frozen=True)
class AttributeRows:
    """Which attribute rows an attribute constraint matches: a table (``relationship`` or
    ``concrete_value``), a test on its row alias ``{row}``, and the column that owns the row."""

    table: str
    test: Fragment
    owner: str
    """``source_id``, or ``destination_id`` for a reverse attribute."""

    def where(self, alias: str) -> Fragment:
        return Fragment(self.test.sql.replace("{row}", alias), self.test.params, self.test.expanding)


def relationship_rows(names: Values, values: Values, *, negate: bool, reverse: bool) -> AttributeRows:
    """Active inferred relationships (not is-a) whose type is in ``names`` and whose value (the
    destination, or the source when ``reverse``) is in ``values`` (not in, when ``negate``)."""
    value_column = "{row}.source_id" if reverse else "{row}.destination_id"
    test = all_of([Fragment(f"{{row}}.type_id <> {_IS_A} AND {{row}}.characteristic_type_id = {_INFERRED}"),
                   in_values("{row}.type_id", names), in_values(value_column, values, negate=negate)])
    return AttributeRows("relationship", test, "destination_id" if reverse else "source_id")


def concrete_rows(names: Values, test: Fragment) -> AttributeRows:
    """Active inferred concrete values whose type is in ``names`` passing ``test`` (over ``{row}``)."""
    full = all_of([Fragment(f"{{row}}.characteristic_type_id = {_INFERRED}"), in_values("{row}.type_id", names),
                   test])
    return AttributeRows("concrete_value", full, "source_id")


def concrete_number(op: str, value: float) -> Fragment:
    frag = compare("{row}.value_number", op, value)
    return Fragment(f"{{row}}.value_number IS NOT NULL AND {frag.sql}", frag.params)


def concrete_strings(op: str, terms: Sequence[tuple[str, str, Sequence[str]]]) -> Fragment:
    """String concrete values (stored as ``"text"``) equal to any of ``terms`` (``(mode, text, parts)``), or
    to none of them for ``!=``: ``plain`` is the exact text, ``match`` word prefixes and ``wild`` a wildcard
    pattern (both case-insensitive)."""
    inner = "SUBSTR({row}.value, 2, LENGTH({row}.value) - 2)"
    test = any_of([_text_test(inner, mode, text, parts) for mode, text, parts in terms])
    sql = "{row}.value_number IS NULL AND {row}.value LIKE '\"%' AND " + (
        f"NOT ({test.sql})" if op == "!=" else test.sql)
    return Fragment(sql, test.params, test.expanding)


def concrete_boolean(op: str, value: bool) -> Fragment:
    wanted = ("true" if value else "false") if op == "=" else ("false" if value else "true")
    return Fragment(f"LOWER({{row}}.value) = '{wanted}'")


def _text_test(expr: str, mode: str, text: str, parts: Sequence[str] = ()) -> Fragment:
    if mode == "wild":
        name, params = _param(wild_pattern(parts, folded=False))
        return Fragment(f"LOWER({expr}) LIKE :{name} ESCAPE '\\'", params)
    if mode == "match":
        words = [w for w in text.lower().split() if w]
        frags = []
        for w in words:
            name, params = _param("% " + _like_escape(w) + "%")
            frags.append(Fragment(f"(' ' || LOWER({expr})) LIKE :{name} ESCAPE '\\'", params))
        return all_of(frags)
    name, params = _param(text)
    return Fragment(f"{expr} = :{name}", params)


def text_test(dialect: str, expr: str, kind: str, op: str, terms: Sequence[tuple[str, str, Sequence[str]]]) -> Fragment:
    """A string comparison on a refset field (``mapTarget = "J45.9"``, ``= wild:"J*"``): any of ``terms``
    (``(mode, text, parts)``), or none of them for ``!=``."""
    test = any_of([_text_test(as_text(dialect, expr, kind), mode, text, parts) for mode, text, parts in terms])
    return test.negate() if op == "!=" else test


def text_in(expr: str, values: Sequence[str], *, negate: bool = False) -> Fragment:
    """``expr IN ('a', 'b')`` on text."""
    name, params = _param(list(values))
    return Fragment(f"{expr} {'NOT IN' if negate else 'IN'} :{name}", params, (name,))


def ids_as_text(expr: str, values: ConceptSet, *, negate: bool = False) -> Fragment:
    """A text field (e.g. a JSON additional field) that holds one of the concept ids of ``values``."""
    inner = _a("vs")
    frag = Fragment(f"{expr} IN (SELECT CAST({inner}.id AS TEXT) FROM ({values.sql}) AS {inner})", values.params,
                    values.expanding)
    return frag.negate() if negate else frag


def cardinality_test(rows: AttributeRows, owner: str, low: int, high: int | None, *,
                     group: str | None = None) -> Fragment:
    """``[low..high]`` matching rows owned by ``owner`` (within relationship group ``group`` when given)."""
    r = _a("r")
    where = rows.where(r)
    scope = f"{r}.{rows.owner} = {owner}" + (f" AND {r}.rel_group = {group}" if group else "")
    body = f"FROM {rows.table} {r} WHERE {scope} AND {where.sql}"
    if low >= 1 and high is None:
        sql = f"EXISTS (SELECT 1 {body})" if low == 1 else f"(SELECT COUNT(*) {body}) >= {low}"
    elif low == 0 and high == 0:
        sql = f"NOT EXISTS (SELECT 1 {body})"
    elif low == 0 and high is None:
        sql = "1 = 1"
    else:
        count = f"(SELECT COUNT(*) {body})"
        sql = f"{count} >= {low}" + (f" AND {count} <= {high}" if high is not None else "")
    return Fragment(sql, where.params, where.expanding)


def attribute(rows: AttributeRows, low: int, high: int | None) -> Condition:
    """An ungrouped attribute constraint on a concept: ``[low..high]`` rows match."""
    predicate = cardinality_test(rows, "{id}", low, high)
    driver = None
    if low >= 1:
        r = _a("r")
        where = rows.where(r)
        driver = ConceptSet(f"SELECT DISTINCT {r}.{rows.owner} AS id FROM {rows.table} {r} WHERE {where.sql}",
                            where.params, where.expanding)
    return Condition(predicate, driver)


def group(inner: Fragment, anchor: AttributeRows | None, low: int, high: int | None) -> Condition:
    """``[low..high] { ... }``: the number of relationship groups (non-zero) of a concept for which
    ``inner`` holds (``inner`` is SQL over ``{id}`` and ``{grp}``). ``anchor`` rows, when given, must be in
    every such group (an attribute the group needs at least once), so candidate groups come from them."""
    g = _a("g")
    if anchor is not None:
        r = _a("r")
        w = anchor.where(r)
        candidates = Fragment(f"SELECT DISTINCT {r}.rel_group AS grp FROM {anchor.table} {r} "
                              f"WHERE {r}.{anchor.owner} = {{id}} AND {r}.rel_group > 0 AND {w.sql}", w.params,
                              w.expanding)
    else:
        candidates = Fragment("SELECT rel_group AS grp FROM relationship WHERE source_id = {id} AND rel_group > 0 "
                              "UNION SELECT rel_group AS grp FROM concrete_value WHERE source_id = {id} "
                              "AND rel_group > 0")
    test = inner.sql.replace("{grp}", f"{g}.grp")
    body = f"FROM ({candidates.sql}) AS {g} WHERE {test}"
    if low >= 1 and high is None and low == 1:
        sql = f"EXISTS (SELECT 1 {body})"
    elif low == 0 and high == 0:
        sql = f"NOT EXISTS (SELECT 1 {body})"
    elif low == 0 and high is None:
        sql = "1 = 1"
    else:
        count = f"(SELECT COUNT(*) {body})"
        sql = f"{count} >= {low}" + (f" AND {count} <= {high}" if high is not None else "")
    params = {**candidates.params, **inner.params}
    predicate = Fragment(sql, params, _unique(candidates.expanding + inner.expanding))
    driver = None
    if anchor is not None and low >= 1:
        r = _a("r")
        w = anchor.where(r)
        driver = ConceptSet(f"SELECT DISTINCT {r}.{anchor.owner} AS id FROM {anchor.table} {r} "
                            f"WHERE {r}.rel_group > 0 AND {w.sql}", w.params, w.expanding)
    return Condition(predicate, driver)


def dotted(focus: ConceptSet, names: Values) -> ConceptSet:
    """``focus . name``: the values (destinations) of the focus concepts' attributes named ``names``."""
    r = _a("r")
    test = all_of([Fragment(f"{r}.type_id <> {_IS_A} AND {r}.characteristic_type_id = {_INFERRED}"),
                   in_values(f"{r}.type_id", names), in_values(f"{r}.source_id", focus)])
    return ConceptSet(f"SELECT DISTINCT {r}.destination_id AS id FROM relationship {r} WHERE {test.sql}",
                      test.params, test.expanding)


# --- description filters (§6.8) and concept filters (§6.9) -------------------------------------------

def term_match(dialect: str, text: str) -> Fragment:
    """``term = match:"..."`` on description alias ``d``: every word of ``text`` starts a word of the
    term, ignoring case and diacritics (the server's text index; ``terminology/text.py``)."""
    words = tokens(text)
    if not words:
        return TRUE
    if dialect == "sqlite":
        name, params = _param(" ".join(f'"{w}"*' for w in words))
        return Fragment(f"d.id IN (SELECT rowid FROM description_fts WHERE description_fts MATCH :{name})", params)
    name, params = _param(" & ".join(f"{w}:*" for w in words))
    return Fragment(f"to_tsvector('simple'::regconfig, d.term_folded) @@ to_tsquery('simple', :{name})", params)


def term_wild(parts: Sequence[str]) -> Fragment:
    """``term = wild:"..."`` on alias ``d``: the whole term, ignoring case and diacritics."""
    name, params = _param(wild_pattern(parts))
    return Fragment(f"d.term_folded LIKE :{name} ESCAPE '\\'", params)


def dialect_test(refsets: Values, acceptability: Sequence[int] | None) -> Fragment:
    """The description (alias ``d``) is in one of the language refsets, with one of the acceptabilities."""
    l_ = _a("l")
    parts = [in_values(f"{l_}.refset_id", refsets)]
    if acceptability:
        parts.append(in_values(f"{l_}.acceptability_id", list(acceptability)))
    test = all_of(parts)
    return Fragment(f"EXISTS (SELECT 1 FROM language_member {l_} WHERE {l_}.description_id = d.id AND {test.sql})",
                    test.params, test.expanding)


def description_condition(test: Fragment, *, selective: bool) -> Condition:
    """Concepts with a description (alias ``d``) passing ``test``; ``selective`` when the test narrows the
    descriptions by an index (a term match, an id), so the matching concepts can drive a filter."""
    predicate = Fragment(f"EXISTS (SELECT 1 FROM description d WHERE d.concept_id = {{id}} AND {test.sql})",
                         test.params, test.expanding)
    driver = None
    if selective:
        driver = ConceptSet(f"SELECT DISTINCT d.concept_id AS id FROM description d WHERE {test.sql}", test.params,
                            test.expanding)
    return Condition(predicate, driver)


def concept_condition(test: Fragment) -> Condition:
    """Concepts (alias ``c``) passing ``test`` (definition status, module, effective time, status)."""
    return Condition(Fragment(f"EXISTS (SELECT 1 FROM concept c WHERE c.id = {{id}} AND {test.sql})", test.params,
                              test.expanding))


class FieldCatalog:
    """The additional refset field names of one version (from the ``refset`` table), cached per store."""

    def __init__(self, store) -> None:
        self._store = store
        self._names: dict[str, str] | None = None

    def lookup(self, name: str) -> str | None:
        """The field's spelling in the release files, for a name in any case; None when no refset has it."""
        if self._names is None:
            import json

            names: dict[str, str] = {}
            for (fields,) in self._store._run("SELECT fields FROM refset", {}):
                for f in json.loads(fields):
                    names.setdefault(f.lower(), f)
            self._names = names
        return self._names.get(name.lower())
