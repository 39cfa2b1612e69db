"""SQL primitives for ECL evaluation (ECL 2.2 chapter 6, over one version's tables).

``terminology.ecl`` walks the syntax tree and builds one :class:`Query` per expression: every composite
node of the expression becomes a named common table expression (``WITH e1 AS (...), e2 AS (...)``) that
later nodes refer to by name, so the statement grows linearly with the expression and its nesting depth in
SQL stays constant (SQLite's parser gives up a few levels of nested subqueries deep). Sets inside a query
are :class:`Ref` s; tests on one concept are :class:`Condition` s (refinements and filters); tests on one
row (a description, a refset member, a relationship) are :class:`Fragment` s. :meth:`Query.finish` turns
the result into a :class:`ConceptSet`. Nothing runs until the caller counts, pages or tests membership,
so one expression is one statement in the database. Semantics (see also README "ECL"):

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
import re
from dataclasses import dataclass, field
from typing import Sequence

from .. import snomed
from ..text import fold, tokens
from .snomed_store import ConceptSet, _param, pg_words

_alias = itertools.count()
_INFERRED = snomed.INFERRED
_IS_A = snomed.IS_A


def _a(prefix: str) -> str:
    return f"{prefix}{next(_alias)}"


_ALIAS = re.compile(r"\b(?!p\d)([a-z]{1,2})(\d+)\b")


def _renumber(sql: str, names: dict[str, str]) -> str:
    """Number the table aliases and common table expressions of a statement from 0, in order of appearance:
    the same expression then gives the same SQL every time, so the store's count cache recognises it
    (parameter names ``p<n>`` are left alone; the cache ignores them)."""
    def rename(m: re.Match) -> str:
        found = names.get(m.group(0))
        if found is None:
            found = names[m.group(0)] = f"{m.group(1)}{len(names)}"
        return found
    return _ALIAS.sub(rename, sql)


def _unique(names: tuple[str, ...]) -> tuple[str, ...]:
    """List parameter names once, however often a set or fragment is used in one statement."""
    return tuple(dict.fromkeys(names))


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


@dataclass(frozen=True)
class Ref:
    """A set of concept ids inside one :class:`Query`: ``select`` selects column ``id``; ``predicate``, when
    given, tests one id (``{id}``) without reading the whole set. Both may name common table expressions
    created earlier in the same query."""

    select: Fragment
    predicate: Fragment | None = None
    portable: bool = True
    """False for a common table expression of the query (its name means nothing outside the statement)."""
    leaf: bool = False
    """A primitive (a concept, ``*``, the hierarchy of one concept): its SQL is small and fixed, so other sets
    may copy its predicate; copying composite predicates would nest SQL as deep as the expression."""

    def test(self, column: str) -> Fragment:
        """SQL that is true when ``column`` holds a member."""
        if self.predicate is not None:
            p = self.predicate
            return Fragment(p.sql.replace("{id}", column), p.params, p.expanding)
        inner = _a("vs")
        return Fragment(f"{column} IN (SELECT {inner}.id FROM ({self.select.sql}) AS {inner})", self.select.params,
                        self.select.expanding)


Values = Ref | Sequence[int] | None
"""Concept ids to compare with: a set, a literal list, or None for ``*`` (anything)."""


def in_values(column: str, values: Values, *, negate: bool = False) -> Fragment:
    """``column IN values`` (``NOT IN`` when ``negate``); None values is any concept."""
    if values is None:
        return FALSE if negate else TRUE
    if isinstance(values, Ref):
        frag = values.test(column)
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
    driver: Ref | None = None
    exact: bool = False
    """The driver holds exactly the concepts passing the test (no need to test them again)."""
    size: int | None = None
    """A rough count of the rows the driver reads, when known: compared with the size of the set being
    filtered, it decides which side the filter starts from."""

    def on(self, column: str) -> Fragment:
        return Fragment(self.predicate.sql.replace("{id}", column), self.predicate.params,
                        self.predicate.expanding)


def condition_and(conds: Sequence[Condition]) -> Condition:
    conds = list(conds)
    if len(conds) == 1:
        return conds[0]
    driving = [c for c in conds if c.driver is not None]
    best = min(driving, key=lambda c: float("inf") if c.size is None else c.size) if driving else None
    return Condition(all_of([c.predicate for c in conds]), best.driver if best else None,
                     size=best.size if best else None)


def condition_or(query: "Query", conds: Sequence[Condition]) -> Condition:
    conds = list(conds)
    if len(conds) == 1:
        return conds[0]
    drivers = [c.driver for c in conds]
    driver = None
    if drivers and all(d is not None for d in drivers):
        driver = drivers[0]
        for d in drivers[1:]:
            driver = query.union(driver, d)
    sizes = [c.size for c in conds]
    size = sum(sizes) if driver is not None and None not in sizes else None
    return Condition(any_of([c.predicate for c in conds]), driver,
                     exact=driver is not None and all(c.exact for c in conds), size=size)


# --- one query: common table expressions and the set algebra ----------------------------------------

class Query:
    """The common table expressions of one ECL expression, and the operations that add them."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self._ctes: list[tuple[str, str]] = []
        self._params: dict = {}
        self._expanding: tuple[str, ...] = ()

    def cte(self, body: Fragment, predicate: Fragment | None = None) -> Ref:
        """A named set in the statement. ``predicate``: a cheaper test of one id that names no other common
        table expression (a predicate that did would repeat that expression's text wherever it is used, and
        SQLite expands each use)."""
        name = _a("e")
        self._ctes.append((name, body.sql))
        self._params.update(body.params)
        self._expanding = _unique(self._expanding + body.expanding)
        probe = predicate if predicate is not None else Fragment(f"{{id}} IN (SELECT id FROM {name})")
        return Ref(Fragment(f"SELECT id FROM {name}"), probe, portable=False)

    def finish(self, ref: Ref) -> ConceptSet:
        """The statement for ``ref``: the common table expressions, then the set."""
        params = {**self._params, **ref.select.params}
        expanding = _unique(self._expanding + ref.select.expanding)
        sql = ref.select.sql
        if self._ctes:
            sql = "WITH " + ", ".join(f"{n} AS {self._hint(n, sql)}({body})" for n, body in self._ctes) + f" {sql}"
        predicate = None
        if ref.portable and not self._ctes and ref.predicate is not None:
            predicate = ref.predicate.sql
            params.update(ref.predicate.params)
            expanding = _unique(expanding + ref.predicate.expanding)
        names: dict[str, str] = {}
        return ConceptSet(_renumber(sql, names), params, expanding,
                          _renumber(predicate, names) if predicate else None)

    def _hint(self, name: str, final: str) -> str:
        """``MATERIALIZED`` where it pays. PostgreSQL (12+) would inline a common table expression used once
        into its user, and planning a chain of inlined joins grows much faster than the chain (seconds at
        ten levels), so every one is planned and computed on its own. SQLite expands a common table
        expression at every reference, like a view, so one that later expressions use several times is
        computed once (SQLite 3.35)."""
        if self.dialect != "sqlite":
            return "MATERIALIZED "
        pattern = re.compile(rf"\b{name}\b")
        uses = len(pattern.findall(final)) + sum(len(pattern.findall(body)) for _, body in self._ctes)
        return "MATERIALIZED " if uses > 1 else ""

    # --- set algebra (§6.4, §6.5) ----------------------------------------------------------------

    def intersect(self, driver: Ref, probe: Ref) -> Ref:
        """``driver AND probe``, reading ``driver`` and testing each of its rows against ``probe``."""
        x = _a("i")
        test = probe.test(f"{x}.id")
        body = Fragment(f"SELECT {x}.id AS id FROM ({driver.select.sql}) AS {x} WHERE {test.sql}",
                        {**driver.select.params, **test.params}, _unique(driver.select.expanding + test.expanding))
        return self.cte(body, _both(driver, probe))

    def union(self, a: Ref, b: Ref) -> Ref:
        body = Fragment(f"SELECT id FROM ({a.select.sql}) AS {_a('u')} UNION "
                        f"SELECT id FROM ({b.select.sql}) AS {_a('u')}",
                        {**a.select.params, **b.select.params}, _unique(a.select.expanding + b.select.expanding))
        predicate = None
        if a.predicate and b.predicate and a.leaf and b.leaf:
            predicate = _join("OR", [a.predicate, b.predicate])
        return self.cte(body, predicate)

    def minus(self, a: Ref, b: Ref) -> Ref:
        """``a MINUS b``: rows of ``a`` failing ``b``'s test."""
        x = _a("m")
        test = b.test(f"{x}.id").negate()
        body = Fragment(f"SELECT {x}.id AS id FROM ({a.select.sql}) AS {x} WHERE {test.sql}",
                        {**a.select.params, **test.params}, _unique(a.select.expanding + test.expanding))
        return self.cte(body)

    def restrict(self, focus: Ref, cond: Condition, *, from_driver: bool) -> Ref:
        """The members of ``focus`` that pass ``cond``; ``from_driver`` starts from the condition's driver."""
        start = cond.driver if from_driver and cond.driver is not None else focus
        x = _a("d")
        parts = [] if start is not focus and cond.exact else [cond.on(f"{x}.id")]
        if start is not focus:
            parts.append(focus.test(f"{x}.id"))
        test = all_of(parts)
        body = Fragment(f"SELECT {x}.id AS id FROM ({start.select.sql}) AS {x} WHERE {test.sql}",
                        {**start.select.params, **test.params}, _unique(start.select.expanding + test.expanding))
        return self.cte(body)

    # --- the substrate and focus concepts (§6.1) -------------------------------------------------

    @staticmethod
    def everything(*, any_status: bool = False) -> Ref:
        """``*``: every active concept (every concept with ``any_status``)."""
        if any_status:
            return Ref(Fragment("SELECT id FROM concept"), Fragment("EXISTS (SELECT 1 FROM concept WHERE id = {id})"),
                       leaf=True)
        return Ref(Fragment("SELECT id FROM concept WHERE active = 1"),
                   Fragment("EXISTS (SELECT 1 FROM concept WHERE id = {id} AND active = 1)"), leaf=True)

    @staticmethod
    def nothing() -> Ref:
        """The empty set."""
        return Ref(Fragment("SELECT id FROM concept WHERE 1 = 0"), FALSE, leaf=True)

    @staticmethod
    def concepts(ids: Sequence[int], *, any_status: bool = False) -> Ref:
        """The given concepts, if they are (active) concepts of this version."""
        status = "" if any_status else " AND active = 1"
        ids = sorted(set(ids))
        if len(ids) == 1:
            name, params = _param(ids[0])
            return Ref(Fragment(f"SELECT id FROM concept WHERE id = :{name}{status}", params),
                       Fragment(f"({{id}} = :{name} AND EXISTS (SELECT 1 FROM concept WHERE id = :{name}{status}))",
                                params), leaf=True)
        name, params = _param(ids)
        return Ref(Fragment(f"SELECT id FROM concept WHERE id IN :{name}{status}", params, (name,)),
                   Fragment(f"({{id}} IN :{name} AND EXISTS (SELECT 1 FROM concept WHERE id = {{id}}{status}))",
                            params, (name,)), leaf=True)

    # --- hierarchy (§6.1 constraint operators, §6.12 top and bottom) -----------------------------

    def hierarchy(self, op: str, focus: Ref, *, single: int | None = None) -> Ref:
        """A constraint operator applied to a set (``single``: the set is that one concept, a faster form).

        Self is included (``<<``, ``>>``, ``<<!``, ``>>!``) only for active members of the focus.
        """
        if op in ("!!>", "!!<"):
            return self._top_or_bottom(op, focus)
        base = {"<": "<", "<<": "<", "<!": "<!", "<<!": "<!", ">": ">", ">>": ">", ">!": ">!", ">>!": ">!"}[op]
        with_self = op in ("<<", "<<!", ">>", ">>!")
        if single is not None:
            core = _single(base, single)
            if not with_self:
                return core
            me = self.concepts([single])  # never among its own descendants or children: no duplicate to remove
            body = Fragment(f"{core.select.sql} UNION ALL {me.select.sql}",
                            {**core.select.params, **me.select.params})
            return Ref(body, _join("OR", [core.predicate, me.predicate]), leaf=True)
        x = _a("h")
        if base in ("<", ">"):
            near, far = ("descendant_id", "ancestor_id") if base == "<" else ("ancestor_id", "descendant_id")
            table, kind = "closure", ""
        else:
            near, far = ("source_id", "destination_id") if base == "<!" else ("destination_id", "source_id")
            table, kind = "relationship", f" AND {x}.type_id = {_IS_A}"
        if not with_self:
            inside = focus.test(f"{x}.{far}")
            return self.cte(Fragment(f"SELECT DISTINCT {x}.{near} AS id FROM {table} {x} WHERE {inside.sql}{kind}",
                                     inside.params, inside.expanding))
        # Self and the related concepts in one pass over the focus: SQLite expands a common table expression
        # at each use, so reading the focus twice would double the statement at every level of nesting.
        f, k, c = _a("f"), _a("k"), _a("c")
        return self.cte(Fragment(
            f"SELECT DISTINCT CASE WHEN {k}.self = 1 THEN {f}.id ELSE {x}.{near} END AS id "
            f"FROM ({focus.select.sql}) AS {f} CROSS JOIN (SELECT 0 AS self UNION ALL SELECT 1) AS {k} "
            f"LEFT JOIN {table} {x} ON {k}.self = 0 AND {x}.{far} = {f}.id{kind} "
            f"WHERE ({k}.self = 0 AND {x}.{near} IS NOT NULL) OR ({k}.self = 1 AND EXISTS "
            f"(SELECT 1 FROM concept {c} WHERE {c}.id = {f}.id AND {c}.active = 1))",
            focus.select.params, focus.select.expanding))

    def _top_or_bottom(self, op: str, focus: Ref) -> Ref:
        """``!!>``: members with no proper ancestor in the set; ``!!<``: members with no proper descendant in it.

        Top tests each member's ancestors (a few, by the closure's descendant index); bottom removes the
        ancestors of all members at once (a member high in the hierarchy has too many descendants to scan).
        """
        if focus.portable:
            focus = self.cte(focus.select)  # read the focus once
        x, c = _a("t"), _a("c")
        if op == "!!>":
            inner = focus.test(f"{c}.ancestor_id")
            return self.cte(Fragment(f"SELECT {x}.id AS id FROM ({focus.select.sql}) AS {x} WHERE NOT EXISTS "
                                     f"(SELECT 1 FROM closure {c} WHERE {c}.descendant_id = {x}.id AND {inner.sql})",
                                     inner.params, inner.expanding))
        y = _a("y")
        return self.cte(Fragment(f"SELECT {x}.id AS id FROM ({focus.select.sql}) AS {x} WHERE {x}.id NOT IN "
                                 f"(SELECT {c}.ancestor_id FROM closure {c} WHERE {c}.descendant_id IN "
                                 f"(SELECT {y}.id FROM ({focus.select.sql}) AS {y}))"))


def _both(a: Ref, b: Ref) -> Fragment | None:
    if a.predicate and b.predicate and a.leaf and b.leaf:
        return _join("AND", [a.predicate, b.predicate])
    return None


def _single(op: str, concept: int) -> Ref:
    name, params = _param(concept)
    if op == "<":
        return Ref(Fragment(f"SELECT descendant_id AS id FROM closure WHERE ancestor_id = :{name}", params),
                   Fragment(f"EXISTS (SELECT 1 FROM closure WHERE ancestor_id = :{name} AND descendant_id = {{id}})",
                            params), leaf=True)
    if op == ">":
        return Ref(Fragment(f"SELECT ancestor_id AS id FROM closure WHERE descendant_id = :{name}", params),
                   Fragment(f"EXISTS (SELECT 1 FROM closure WHERE descendant_id = :{name} AND ancestor_id = {{id}})",
                            params), leaf=True)
    near, far = ("source_id", "destination_id") if op == "<!" else ("destination_id", "source_id")
    return Ref(Fragment(f"SELECT DISTINCT {near} AS id FROM relationship WHERE {far} = :{name} "
                        f"AND type_id = {_IS_A}", params),
               Fragment(f"EXISTS (SELECT 1 FROM relationship WHERE {far} = :{name} AND {near} = {{id}} "
                        f"AND type_id = {_IS_A})", params), leaf=True)


# --- refsets (§6.1 memberOf, §6.10 member filters and field selection) --------------------------------

MEMBER_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("{m}.id", "text"),
    "effectivetime": ("{m}.effective_time", "time"),
    "active": ("{m}.active", "boolean"),
    "moduleid": ("{m}.module_id", "concept"),
    "refsetid": ("{m}.refset_id", "concept"),
    "referencedcomponentid": ("{m}.referenced_component_id", "concept"),
    "targetcomponentid": ("{m}.target_id", "concept"),
    "valueid": ("{m}.target_id", "concept"),
    "maptarget": ("{m}.map_target", "text"),
    "mapgroup": ("{m}.map_group", "number"),
    "mappriority": ("{m}.map_priority", "number"),
    "maprule": ("{m}.map_rule", "text"),
    "mapadvice": ("{m}.map_advice", "text"),
    "correlationid": ("{m}.correlation_id", "concept"),
    "mapcategoryid": ("{m}.map_category_id", "concept"),
}
"""Refset member fields with their own column (lower-cased name -> (SQL over alias ``m``, kind))."""

CONCEPT_FIELDS = ("referencedcomponentid", "targetcomponentid", "correlationid", "mapcategoryid")
"""The concept-valued columns returned by ``^ [*] R``."""


def json_field(dialect: str, name: str) -> str:
    """SQL for an additional field kept in the member's JSON ``fields`` (as text)."""
    quoted = name.replace('"', "").replace("'", "")
    if dialect == "sqlite":
        return f"json_extract({{m}}.fields, '$.\"{quoted}\"')"
    return f"({{m}}.fields::json ->> '{quoted}')"


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


def members(query: Query, refsets: Ref | None, fields: Sequence[tuple[str, str]], condition: Fragment) -> Ref:
    """Concepts in the given member fields of the members of ``refsets`` (None: any refset) that pass
    ``condition``; fields and condition name the member row ``{m}`` (each use gets its own alias, so a
    member test nested in another never reads the outer row)."""
    selects = []
    parts = [condition]
    if refsets is not None:
        parts.append(in_values("{m}.refset_id", refsets))
    where = all_of(parts)
    for column, kind in fields:
        m = _a("m")
        value = column if kind == "concept" else f"CAST({column} AS BIGINT)" if query.dialect == "postgresql" else column
        if kind == "json" and query.dialect == "postgresql":
            value = f"(CASE WHEN {column} ~ '^[1-9][0-9]{{5,17}}$' THEN CAST({column} AS BIGINT) END)"
        c = _a("c")
        value = value.replace("{m}", m)
        selects.append(f"SELECT {value} AS id FROM refset_member {m} JOIN concept {c} ON {c}.id = {value} "
                       f"WHERE {where.sql.replace('{m}', m)}")
    sql = selects[0].replace("SELECT ", "SELECT DISTINCT ", 1) if len(selects) == 1 else " UNION ".join(selects)
    predicate = None
    if len(fields) == 1 and fields[0][0] == "{m}.referenced_component_id":
        m = _a("m")
        predicate = Fragment(f"EXISTS (SELECT 1 FROM refset_member {m} WHERE {m}.referenced_component_id = {{id}} "
                             f"AND {where.sql.replace('{m}', m)}) AND EXISTS (SELECT 1 FROM concept WHERE id = {{id}})",
                             where.params, where.expanding)
    body = Fragment(sql, where.params, where.expanding)
    if refsets is None or refsets.leaf:
        return Ref(body, predicate)
    return query.cte(body)


def history(query: Query, focus: Ref, refsets: Sequence[int], refset_set: Ref | None = None,
            *, subtypes_of: int | None = None) -> Ref:
    """``focus {{ + HISTORY ... }}``: the focus plus the inactive concepts that an active member of one of
    the association refsets points from to a concept of the focus (one step, §6.11)."""
    if focus.portable:
        focus = query.cte(focus.select)  # read the focus once
    m, c = _a("a"), _a("c")
    parts: list[Fragment] = []
    if refsets:
        parts.append(in_values(f"{m}.refset_id", list(refsets)))
    if refset_set is not None:
        parts.append(in_values(f"{m}.refset_id", refset_set))
    if subtypes_of is not None:
        name, p = _param(subtypes_of)
        parts.append(Fragment(f"{m}.refset_id IN (SELECT descendant_id FROM closure WHERE ancestor_id = :{name})", p))
    which = any_of(parts)
    target = focus.test(f"{m}.target_id")
    test = all_of([which, target])
    return query.cte(Fragment(
        f"{focus.select.sql} UNION SELECT {m}.referenced_component_id AS id FROM refset_member {m} "
        f"JOIN concept {c} ON {c}.id = {m}.referenced_component_id AND {c}.active = 0 "
        f"WHERE {m}.active = 1 AND {test.sql}", test.params, test.expanding))


# --- attributes (§6.2 refinements, §6.3 cardinality, §6.2 dotted attributes and reverse flags) ---------

@dataclass(frozen=True)
class AttributeRows:
    """Which attribute rows an attribute constraint matches: a table (``relationship`` or
    ``concrete_value``), a test on its row alias ``{row}``, and the column that owns the row."""

    table: str
    test: Fragment
    owner: str
    """``source_id``, or ``destination_id`` for a reverse attribute."""
    read: Fragment | None = None
    """The same test for reading the rows starting from their values (a driver): the value set is read and
    the rows found through the value column's index, where ``test`` probes the set row by row."""

    def where(self, alias: str, *, reading: bool = False) -> Fragment:
        test = self.read if reading and self.read is not None else self.test
        return Fragment(test.sql.replace("{row}", alias), test.params, test.expanding)


def relationship_rows(names: Values, values: Values, *, negate: bool, reverse: bool) -> AttributeRows:
    """Active inferred relationships (not is-a) whose type is in ``names`` and whose value (the
    destination, or the source when ``reverse``) is in ``values`` (not in, when ``negate``)."""
    value_column = "{row}.source_id" if reverse else "{row}.destination_id"
    common = [Fragment(f"{{row}}.type_id <> {_IS_A} AND {{row}}.characteristic_type_id = {_INFERRED}"),
              in_values("{row}.type_id", names)]
    test = all_of(common + [in_values(value_column, values, negate=negate)])
    read = None
    if isinstance(values, Ref) and not negate:
        v = _a("v")
        read = all_of(common + [Fragment(f"{value_column} IN (SELECT {v}.id FROM ({values.select.sql}) AS {v})",
                                         values.select.params, values.select.expanding)])
    return AttributeRows("relationship", test, "destination_id" if reverse else "source_id", read)


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


def ids_as_text(expr: str, values: Ref, *, negate: bool = False) -> Fragment:
    """A text field (e.g. a JSON additional field) that holds one of the concept ids of ``values``."""
    inner = _a("vs")
    frag = Fragment(f"{expr} IN (SELECT CAST({inner}.id AS TEXT) FROM ({values.select.sql}) AS {inner})",
                    values.select.params, values.select.expanding)
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
        sql = f"{count} BETWEEN {low} AND {high}" if high is not None else f"{count} >= {low}"
    return Fragment(sql, where.params, where.expanding)


def attribute(rows: AttributeRows, low: int, high: int | None, *, size: int | None = None) -> Condition:
    """An ungrouped attribute constraint on a concept: ``[low..high]`` rows match. ``size``: a rough count
    of the matching rows."""
    predicate = cardinality_test(rows, "{id}", low, high)
    driver = None
    if low >= 1:
        r = _a("r")
        where = rows.where(r, reading=True)
        driver = Ref(Fragment(f"SELECT DISTINCT {r}.{rows.owner} AS id FROM {rows.table} {r} WHERE {where.sql}",
                              where.params, where.expanding))
    return Condition(predicate, driver, exact=low == 1 and high is None, size=size)


def group(inner: Fragment, anchor: AttributeRows | None, low: int, high: int | None, *,
          size: int | None = None) -> Condition:
    """``[low..high] { ... }``: the number of relationship groups (non-zero) of a concept for which
    ``inner`` holds (``inner`` is SQL over ``{id}`` and ``{grp}``). ``anchor`` rows, when given, must be in
    every such group (an attribute the group needs at least once), so candidate groups come from them;
    ``size`` is a rough count of them."""
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
        sql = f"{count} BETWEEN {low} AND {high}" if high is not None else f"{count} >= {low}"
    params = {**candidates.params, **inner.params}
    predicate = Fragment(sql, params, _unique(candidates.expanding + inner.expanding))
    driver = None
    if anchor is not None and low >= 1:
        r = _a("r")
        w = anchor.where(r, reading=True)
        driver = Ref(Fragment(f"SELECT DISTINCT {r}.{anchor.owner} AS id FROM {anchor.table} {r} "
                              f"WHERE {r}.rel_group > 0 AND {w.sql}", w.params, w.expanding))
    return Condition(predicate, driver, size=size)


def dotted(query: Query, focus: Ref, names: Values) -> Ref:
    """``focus . name``: the values (destinations) of the focus concepts' attributes named ``names``."""
    r = _a("r")
    test = all_of([Fragment(f"{r}.type_id <> {_IS_A} AND {r}.characteristic_type_id = {_INFERRED}"),
                   in_values(f"{r}.type_id", names), focus.test(f"{r}.source_id")])
    return query.cte(Fragment(f"SELECT DISTINCT {r}.destination_id AS id FROM relationship {r} WHERE {test.sql}",
                              test.params, test.expanding))


# --- description filters (§6.8) and concept filters (§6.9) -------------------------------------------

def term_match(dialect: str, text: str) -> Fragment:
    """``term = match:"..."`` on description alias ``d``: every word of ``text`` starts a word of the
    term, ignoring case and diacritics (the server's text index; ``terminology/text.py``)."""
    words = tokens(text)
    if not words:
        return TRUE
    if dialect == "sqlite":
        name, params = _param(" ".join(f'"{w}"*' for w in words))
        return Fragment(f"{{d}}.id IN (SELECT rowid FROM description_fts WHERE description_fts MATCH :{name})",
                        params)
    name, params = _param(" & ".join(f"{w}:*" for w in words))
    return Fragment(f"{pg_words('{d}.term_folded')} @@ to_tsquery('simple', :{name})", params)


def term_wild(parts: Sequence[str]) -> Fragment:
    """``term = wild:"..."`` on alias ``d``: the whole term, ignoring case and diacritics."""
    name, params = _param(wild_pattern(parts))
    return Fragment(f"{{d}}.term_folded LIKE :{name} ESCAPE '\\'", params)


def dialect_test(refsets: Values, acceptability: Sequence[int] | None) -> Fragment:
    """The description (alias ``d``) is in one of the language refsets, with one of the acceptabilities."""
    l_ = _a("l")
    parts = [in_values(f"{l_}.refset_id", refsets)]
    if acceptability:
        parts.append(in_values(f"{l_}.acceptability_id", list(acceptability)))
    test = all_of(parts)
    return Fragment(f"EXISTS (SELECT 1 FROM language_member {l_} WHERE {l_}.description_id = {{d}}.id AND {test.sql})",
                    test.params, test.expanding)


def description_condition(test: Fragment, *, selective: bool) -> Condition:
    """Concepts with a description passing ``test`` (which names the description row ``{d}``);
    ``selective`` when the test narrows the descriptions by an index (a term match, an id), so the matching
    concepts can drive a filter."""
    d = _a("d")
    # Tested per concept, the descriptions come from the concept index; the unary plus keeps SQLite from
    # looking them up by id from a list instead (a term match's list of every matching description, walked
    # once per concept tested).
    probe = test.sql.replace("{d}.id", "+{d}.id").replace("{d}", d)
    predicate = Fragment(f"EXISTS (SELECT 1 FROM description {d} WHERE {d}.concept_id = {{id}} AND {probe})",
                         test.params, test.expanding)
    driver = None
    if selective:
        d = _a("d")
        driver = Ref(Fragment(f"SELECT DISTINCT {d}.concept_id AS id FROM description {d} WHERE "
                              f"{test.sql.replace('{d}', d)}", test.params, test.expanding))
    return Condition(predicate, driver, exact=selective)


def concept_condition(test: Fragment) -> Condition:
    """Concepts passing ``test`` (which names the concept row ``{c}``): definition status, module, effective
    time, status."""
    c = _a("c")
    return Condition(Fragment(f"EXISTS (SELECT 1 FROM concept {c} WHERE {c}.id = {{id}} AND "
                              f"{test.sql.replace('{c}', c)})", test.params, test.expanding))


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
