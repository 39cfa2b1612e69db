"""Read queries on one SNOMED CT version.

Concept sets are composable SQL: a :class:`ConceptSet` is a SELECT of one column ``id`` with its bound
parameters, built by the primitives here (all concepts, descendants via the closure table, refset members,
text matches) and combined with union / intersection / difference. Counting, paging and membership tests
then run as one query in the database, whatever the size of the set (an expansion of a 100k-concept
subtree never materialises in Python unless it is returned). ECL evaluation composes the same primitives.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sqlalchemy import Engine

from .. import snomed
from ..bounded import Bounded
from . import budget
from ..text import fold, tokens

_counter = itertools.count()


def _param(value) -> tuple[str, dict]:
    """A fresh bind-parameter name (unique in the process, so sets combine without clashes)."""
    name = f"p{next(_counter)}"
    return name, {name: value}


_HELD: contextvars.ContextVar[dict | None] = contextvars.ContextVar("vardterm_held_connections", default=None)


@contextlib.contextmanager
def one_connection():
    """Within the block, the reads of each storage share one pooled connection, checked out at the first read
    and returned at the end: an operation's five to ten reads cost one pool checkout and reset, not one each
    (measured: a tenth of a ``$lookup``'s CPU). Nested blocks share the outermost one's connections."""
    if _HELD.get() is not None:
        yield
        return
    held: dict = {}
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
        for conn in held.values():
            conn.close()


@dataclass(frozen=True)
class ConceptSet:
    """A set of concept ids as SQL: ``sql`` selects one column named ``id``; ``params`` binds it.

    A set may also carry ``predicate``: a boolean SQL expression with ``{id}`` standing for a concept id,
    true exactly for the members (an index probe, e.g. one closure lookup). Intersections use it to
    filter the other side row by row instead of materialising both sides: a text search inside
    ``<< 138875005`` then costs a probe per matching concept, not a 370k-row temporary table.
    """

    sql: str
    params: dict = field(default_factory=dict, hash=False, compare=False)
    expanding: tuple[str, ...] = ()
    """Names of parameters bound to lists (``IN :name``)."""
    predicate: str | None = None

    def union(self, other: "ConceptSet") -> "ConceptSet":
        return self._combine("UNION", other)

    def intersect(self, other: "ConceptSet") -> "ConceptSet":
        if other.predicate is not None or self.predicate is not None:
            driver, probe = (self, other) if other.predicate is not None else (other, self)
            alias = f"i{next(_counter)}"
            where = probe.predicate.replace("{id}", f"{alias}.id")
            predicate = None
            if driver.predicate is not None:
                predicate = f"({driver.predicate}) AND ({probe.predicate})"
            return ConceptSet(f"SELECT {alias}.id AS id FROM ({driver.sql}) AS {alias} WHERE {where}",
                              {**driver.params, **probe.params}, driver.expanding + probe.expanding, predicate)
        return self._combine("INTERSECT", other)

    def minus(self, other: "ConceptSet") -> "ConceptSet":
        return self._combine("EXCEPT", other)

    def _combine(self, op: str, other: "ConceptSet") -> "ConceptSet":
        sql = f"SELECT id FROM ({self.sql}) AS a{next(_counter)} {op} SELECT id FROM ({other.sql}) AS b{next(_counter)}"
        return ConceptSet(sql, {**self.params, **other.params}, self.expanding + other.expanding)


@dataclass(frozen=True)
class ConceptRow:
    id: int
    effective_time: int
    active: bool
    module_id: int
    definition_status_id: int


@dataclass(frozen=True)
class DescriptionRow:
    id: int
    effective_time: int
    active: bool
    module_id: int
    language_code: str
    type_id: int
    term: str
    case_significance_id: int
    acceptability: tuple[tuple[int, int], ...]
    """(language refset id, acceptability id) for each active language refset member."""


@dataclass(frozen=True)
class RelationshipRow:
    group: int
    type_id: int
    destination_id: int | None
    value: str | None = None
    """A concrete value as in RF2 (``#500``, ``"text"``) when this is a concrete attribute."""


class SnomedStore:
    """Queries on one version's storage. Cheap to create; holds only the engine."""

    def __init__(self, engine: Engine, dialect: str) -> None:
        self.engine = engine
        self.dialect = dialect
        self._counts: Bounded = Bounded(1024, "concept_set_counts")
        self.text_budget_ms: int = engine.get_execution_options().get(budget.OPTION, budget.DEFAULT_BUDGET_MS)
        """Time budget of the statements that read a text match (the database's statement budget)."""

    # --- concept sets ----------------------------------------------------------------------------

    @staticmethod
    def all_concepts(*, active_only: bool = False) -> ConceptSet:
        if active_only:
            return ConceptSet("SELECT id FROM concept WHERE active = 1",
                              predicate="EXISTS (SELECT 1 FROM concept WHERE id = {id} AND active = 1)")
        return ConceptSet("SELECT id FROM concept", predicate="EXISTS (SELECT 1 FROM concept WHERE id = {id})")

    @staticmethod
    def descendants(concept_id: int, *, include_self: bool) -> ConceptSet:
        """Descendants of an active concept, via the closure (ECL ``<`` / ``<<``)."""
        name, params = _param(concept_id)
        sql = f"SELECT descendant_id AS id FROM closure WHERE ancestor_id = :{name}"
        predicate = f"EXISTS (SELECT 1 FROM closure WHERE ancestor_id = :{name} AND descendant_id = {{id}})"
        if include_self:
            sql += f" UNION ALL SELECT id FROM concept WHERE id = :{name} AND active = 1"
            predicate = (f"({predicate} OR ({{id}} = :{name} AND "
                         f"EXISTS (SELECT 1 FROM concept WHERE id = :{name} AND active = 1)))")
        return ConceptSet(sql, params, predicate=predicate)

    @staticmethod
    def refset_members(refset_id: int) -> ConceptSet:
        """Concepts referenced by active members of a refset (ECL ``^``)."""
        name, params = _param(refset_id)
        return ConceptSet("SELECT DISTINCT m.referenced_component_id AS id FROM refset_member m "
                          f"JOIN concept c ON c.id = m.referenced_component_id "
                          f"WHERE m.refset_id = :{name} AND m.active = 1", params,
                          predicate=f"EXISTS (SELECT 1 FROM refset_member m WHERE m.refset_id = :{name} "
                                    "AND m.referenced_component_id = {id} AND m.active = 1 "
                                    "AND EXISTS (SELECT 1 FROM concept WHERE id = {id}))")

    @staticmethod
    def inactive_concepts() -> ConceptSet:
        return ConceptSet("SELECT id FROM concept WHERE active = 0",
                          predicate="EXISTS (SELECT 1 FROM concept WHERE id = {id} AND active = 0)")

    @staticmethod
    def module_concepts(module_id: int) -> ConceptSet:
        """Concepts of one module (the FHIR SNOMED CT filter ``moduleId = X``)."""
        name, params = _param(module_id)
        return ConceptSet(f"SELECT id FROM concept WHERE module_id = :{name}", params,
                          predicate=f"EXISTS (SELECT 1 FROM concept WHERE id = {{id}} AND module_id = :{name})")

    @staticmethod
    def refsets() -> ConceptSet:
        """Every concept that is used as a refset in this version (``?fhir_vs=refset``)."""
        return ConceptSet("SELECT r.refset_id AS id FROM refset r JOIN concept c ON c.id = r.refset_id")

    @staticmethod
    def ids(concept_ids: Sequence[int]) -> ConceptSet:
        """The given ids that are concepts of this version."""
        name, params = _param(list(concept_ids))
        return ConceptSet(f"SELECT id FROM concept WHERE id IN :{name}", params, (name,))

    def text_match(self, query: str, *, alternatives: dict[str, Iterable[str]] | None = None,
                   leave_out: str | None = None) -> ConceptSet | None:
        """Concepts with an active description whose words start with every word of ``query``.

        None when the query has no words (then it filters nothing). ``alternatives`` (typo tolerance, see
        :func:`terminology.text.expand_words`) gives, per folded query word, whole index words that may stand
        for it; ``leave_out`` drops one query word (the relaxed search of the mapping workbench's
        suggestions: every word but one).
        """
        words = [w for w in dict.fromkeys(tokens(query)) if w != leave_out]
        if not words:
            return None
        alternatives = alternatives or {}
        if self.dialect == "sqlite":
            groups = [" OR ".join([f'"{w}"*', *(f'"{a}"' for a in alternatives.get(w, ()))]) for w in words]
            name, params = _param(" AND ".join(f"({g})" for g in groups))
            sql = ("SELECT DISTINCT d.concept_id AS id FROM description_fts f JOIN description d ON d.id = f.rowid "
                   f"WHERE description_fts MATCH :{name} AND d.active = 1")
        else:
            groups = [" | ".join([f"{w}:*", *alternatives.get(w, ())]) for w in words]
            name, params = _param(" & ".join(f"({g})" for g in groups))
            sql = ("SELECT DISTINCT d.concept_id AS id FROM description d "
                   f"WHERE {pg_words('d.term_folded')} @@ to_tsquery('simple', :{name}) "
                   "AND d.active = 1")
        return ConceptSet(sql, {**budget.with_budget(params, self.text_budget_ms), budget.TEXT_PARAM: "the text filter"})

    def word_counts(self) -> dict[str, int]:
        """Every folded word of the active descriptions with its number of occurrences: the dictionary of the
        text index, for typo correction (read once per version; a version never changes)."""
        counts: dict[str, int] = {}
        for (folded,) in self._run("SELECT term_folded FROM description WHERE active = 1", {}):
            for word in tokens(folded):
                counts[word] = counts.get(word, 0) + 1
        return counts

    def first_ids(self, s: ConceptSet, limit: int) -> list[int]:
        """At most ``limit`` ids of ``s`` (any ``limit`` of them: the caller ranks them itself)."""
        return [r[0] for r in self._run(f"SELECT s.id FROM ({s.sql}) AS s LIMIT {int(limit)}", s.params, s.expanding)]

    def term_rows(self, concept_ids: Sequence[int]) -> list[tuple[int, int, str, str, int]]:
        """``(concept id, description id, term, language code, type id)`` of the active descriptions of the
        concepts (no text definitions)."""
        if not concept_ids:
            return []
        return [(r[0], r[1], r[2], r[3], r[4]) for r in self._run(
            "SELECT concept_id, id, term, language_code, type_id FROM description WHERE concept_id IN :ids "
            f"AND active = 1 AND type_id <> {snomed.DEFINITION}", {"ids": list(concept_ids)}, ("ids",))]

    def preferred_terms(self, concept_ids: Sequence[int]) -> list[tuple[int, int, int]]:
        """``(concept id, language refset id, description id)`` of the preferred synonyms of the concepts."""
        if not concept_ids:
            return []
        return [(r[0], r[1], r[2]) for r in self._run(
            "SELECT concept_id, refset_id, description_id FROM concept_term WHERE concept_id IN :ids "
            "AND refset_id <> 0", {"ids": list(concept_ids)}, ("ids",))]

    # --- set queries -----------------------------------------------------------------------------

    def _run(self, sql: str, params: dict, expanding: Iterable[str] = ()):
        """Run a read on the driver's own cursor.

        Reads are the hot path (a ``$lookup`` runs six of them), and SQLAlchemy's per-statement work
        (compiling, expanding ``IN`` lists, result metadata) cost more than the queries themselves; the
        pool and the engine's connection set-up are still SQLAlchemy's. ``:name`` parameters and
        ``IN :name`` lists are rewritten here for the driver. A set's time budget (``budget.BUDGET_PARAM``)
        is taken out of the parameters and enforced on the statement.
        """
        params, budget_ms, what = budget.split(params)
        sql, params = _expand_lists(sql, params, tuple(expanding))
        if self.dialect == "postgresql":
            sql = _pyformat(sql)
        held = _HELD.get()
        if held is None:
            with self.engine.connect() as conn:
                return self._fetch(conn.connection.driver_connection, sql, params, budget_ms, what)
        conn = held.get(self.engine)
        if conn is None:
            conn = held[self.engine] = self.engine.connect()
        raw = conn.connection.driver_connection
        try:
            return self._fetch(raw, sql, params, budget_ms, what)
        except Exception:
            raw.rollback()  # a failed statement must not leave the held connection's transaction aborted
            raise

    def _fetch(self, raw, sql: str, params, budget_ms, what):
        with budget.guard(raw, self.dialect, budget_ms, what):
            cur = raw.cursor()
            try:
                cur.execute(sql, params)
                return cur.fetchall()
            finally:
                cur.close()

    def count(self, s: ConceptSet) -> int:
        """Size of ``s``. Remembered per set: a version's storage never changes once published, so paging
        through a big expansion counts it once, not once per page."""
        names = _PARAM_NAME.findall(s.sql)
        key = (_ALIAS.sub(r"\1?", _PARAM_NAME.sub(":?", s.sql)), repr([s.params.get(n) for n in names]))
        found = self._counts.get(key)
        if found is None:
            found = self._run(f"SELECT COUNT(*) FROM ({s.sql}) AS s", s.params, s.expanding)[0][0]
            self._counts[key] = found
        return found

    def descendant_count(self, concept_id: int, cap: int) -> int:
        """Proper descendants of a concept, counted up to ``cap``: a true size for planning an ECL
        evaluation at the price of one short closure index range (remembered by :meth:`count`)."""
        name, params = _param(concept_id)
        return self.count(ConceptSet(f"SELECT descendant_id AS id FROM closure WHERE ancestor_id = :{name} "
                                     f"LIMIT {int(cap)}", params))

    def refset_holds_concepts(self, refset_id: int) -> bool:
        """False when the members of a refset reference descriptions or relationships: a refset has one
        referenced component type (its descriptor's referencedComponentType), so its first member tells."""
        key = ("holds concepts", refset_id)
        found = self._counts.get(key)
        if found is None:
            name, params = _param(refset_id)
            rows = self._run(f"SELECT referenced_component_id FROM refset_member WHERE refset_id = :{name} "
                             f"LIMIT 1", params)
            found = not rows or snomed.is_concept_id(str(rows[0][0]))
            self._counts[key] = found
        return found

    def contains(self, s: ConceptSet, concept_id: int) -> bool:
        name, params = _param(concept_id)
        if s.predicate is not None:
            return bool(self._run(f"SELECT 1 WHERE {s.predicate.replace('{id}', ':' + name)}",
                                  {**s.params, **params}, s.expanding))
        rows = self._run(f"SELECT 1 FROM ({s.sql}) AS s WHERE s.id = :{name}", {**s.params, **params}, s.expanding)
        return bool(rows)

    def page(self, s: ConceptSet, *, refsets: Sequence[int], offset: int = 0, limit: int | None = None,
             rank_text: str | None = None) -> list[tuple[int, str | None, bool]]:
        """``(id, display, active)`` of a slice of ``s``, displays in the first refset of ``refsets`` that
        has one (else the FSN). Ordered by id, or by match quality to ``rank_text`` when given."""
        joins, coalesce, params = self._display_joins(refsets)
        if rank_text is None:
            # Page the ids first, then fetch displays for that page only: a page deep into a 370k-code
            # subtree costs an index walk, not a join and sort of the whole subtree.
            ids = f"SELECT s.id FROM ({s.sql}) AS s ORDER BY s.id{self._slice(offset, limit)}"
            sql = (f"SELECT c.id, {coalesce}, c.active FROM ({ids}) AS p JOIN concept c ON c.id = p.id {joins} "
                   "ORDER BY c.id")
        else:
            order, rank_params = self._rank_order(rank_text)
            params.update(rank_params)
            sql = (f"SELECT c.id, {coalesce}, c.active FROM ({s.sql}) AS s JOIN concept c ON c.id = s.id {joins} "
                   f"ORDER BY {order}{self._slice(offset, limit)}")
        return [(r[0], r[1], bool(r[2])) for r in self._run(sql, {**s.params, **params}, s.expanding)]

    def _slice(self, offset: int, limit: int | None) -> str:
        if limit is not None:
            return f" LIMIT {int(limit)} OFFSET {int(offset)}"
        if offset:
            return f" LIMIT -1 OFFSET {int(offset)}" if self.dialect == "sqlite" else f" OFFSET {int(offset)}"
        return ""

    @staticmethod
    def _display_joins(refsets: Sequence[int]) -> tuple[str, str, dict]:
        joins, terms, params = [], [], {}
        for i, refset in enumerate(list(refsets) + [0]):
            name, p = _param(refset)
            params.update(p)
            joins.append(f"LEFT JOIN concept_term t{i} ON t{i}.concept_id = c.id AND t{i}.refset_id = :{name}")
            terms.append(f"t{i}.term")
        display = f"COALESCE({', '.join(terms)})" if len(terms) > 1 else terms[0]
        return " ".join(joins), display, params

    @staticmethod
    def _rank_order(query: str) -> tuple[str, dict]:
        """Best description per concept: exact, then starts-with, then any; shorter terms first."""
        q = fold(query).strip()
        name, params = _param(q)
        like, p2 = _param(q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        params.update(p2)
        rank = (f"(SELECT MIN(CASE WHEN d.term_folded = :{name} THEN 0 WHEN d.term_folded LIKE :{like} ESCAPE '\\' "
                f"THEN 1 ELSE 2 END * 1000 + LENGTH(d.term)) FROM description d "
                f"WHERE d.concept_id = c.id AND d.active = 1)")
        return f"{rank}, c.id", params

    # --- single concepts -------------------------------------------------------------------------

    def concept(self, concept_id: int) -> ConceptRow | None:
        rows = self._run("SELECT id, effective_time, active, module_id, definition_status_id FROM concept "
                         "WHERE id = :id", {"id": concept_id})
        if not rows:
            return None
        r = rows[0]
        return ConceptRow(r[0], r[1], bool(r[2]), r[3], r[4])

    def concept_display(self, concept_id: int, refsets: Sequence[int]) -> tuple[ConceptRow, str | None] | None:
        """A concept and its display in the first refset of ``refsets`` that has one (else the FSN), in one
        query; None when the concept is not in this version."""
        rows = self._run(_concept_display_sql(len(refsets)),
                         {"id": concept_id, **{f"r{i}": r for i, r in enumerate((*refsets, 0))}})
        if not rows:
            return None
        r = rows[0]
        return ConceptRow(r[0], r[1], bool(r[2]), r[3], r[4]), r[5]

    def displays(self, concept_ids: Sequence[int], refsets: Sequence[int]) -> dict[int, str]:
        """Preferred term per concept in the first refset of ``refsets`` that has one, else the FSN."""
        if not concept_ids:
            return {}
        order = {r: i for i, r in enumerate(list(refsets) + [0])}
        rows = self._run("SELECT concept_id, refset_id, term FROM concept_term WHERE concept_id IN :ids "
                         "AND refset_id IN :refsets", {"ids": list(concept_ids), "refsets": list(order)},
                         ("ids", "refsets"))
        best: dict[int, tuple[int, str]] = {}
        for cid, refset, term in rows:
            rank = order[refset]
            if cid not in best or rank < best[cid][0]:
                best[cid] = (rank, term)
        return {cid: term for cid, (_, term) in best.items()}

    def descriptions(self, concept_id: int) -> list[DescriptionRow]:
        """Every description of a concept (active and inactive) with its active language memberships."""
        rows = self._run("""
            SELECT d.id, d.effective_time, d.active, d.module_id, d.language_code, d.type_id, d.term,
                   d.case_significance_id, l.refset_id, l.acceptability_id
            FROM description d LEFT JOIN language_member l ON l.description_id = d.id
            WHERE d.concept_id = :id ORDER BY d.id, l.refset_id""", {"id": concept_id})
        out: dict[int, list] = {}
        for r in rows:
            entry = out.setdefault(r[0], [r[:8], []])
            if r[8] is not None:
                entry[1].append((r[8], r[9]))
        return [DescriptionRow(r[0], r[1], bool(r[2]), r[3], r[4], r[5], r[6], r[7], tuple(acc))
                for r, acc in out.values()]

    def parents(self, concept_id: int) -> list[int]:
        return [r[0] for r in self._run(
            f"SELECT DISTINCT destination_id FROM relationship WHERE source_id = :id AND type_id = {snomed.IS_A} "
            "ORDER BY destination_id", {"id": concept_id})]

    def children(self, concept_id: int) -> list[int]:
        return [r[0] for r in self._run(
            f"SELECT DISTINCT source_id FROM relationship WHERE destination_id = :id AND type_id = {snomed.IS_A} "
            "ORDER BY source_id", {"id": concept_id})]

    def attributes(self, concept_id: int) -> list[RelationshipRow]:
        """Active non-is-a relationships and concrete values of a concept, by group then type."""
        rows = self._run(f"""
            SELECT rel_group, type_id, destination_id, NULL FROM relationship
             WHERE source_id = :id AND type_id <> {snomed.IS_A}
            UNION ALL
            SELECT rel_group, type_id, NULL, value FROM concrete_value WHERE source_id = :id
            ORDER BY 1, 2, 3, 4""", {"id": concept_id})
        return [RelationshipRow(r[0], r[1], r[2], r[3]) for r in rows]

    def is_a_of(self, concept_ids: Sequence[int]) -> dict[int, tuple[list[int], list[int]]]:
        """Direct parents (active inferred is-a) and proper ancestors (closure) of each of ``concept_ids`` that
        has any, in two queries per thousand ids."""
        out: dict[int, tuple[list[int], list[int]]] = {}
        ids = list(dict.fromkeys(concept_ids))
        for i in range(0, len(ids), 1000):
            part = {"ids": ids[i:i + 1000]}
            for source, parent in self._run(f"SELECT source_id, destination_id FROM relationship WHERE type_id = "
                                            f"{snomed.IS_A} AND source_id IN :ids", part, ("ids",)):
                out.setdefault(source, ([], []))[0].append(parent)
            for descendant, ancestor in self._run("SELECT descendant_id, ancestor_id FROM closure "
                                                  "WHERE descendant_id IN :ids", part, ("ids",)):
                out.setdefault(descendant, ([], []))[1].append(ancestor)
        return out

    def is_descendant(self, descendant: int, ancestor: int) -> bool:
        """True when ``descendant`` is a proper descendant of ``ancestor`` (closure lookup)."""
        return bool(self._run("SELECT 1 FROM closure WHERE ancestor_id = :a AND descendant_id = :d",
                              {"a": ancestor, "d": descendant}))

    def refset_values(self, refset_id: int, component_id: int) -> list[int]:
        """Targets (targetComponentId or valueId) of the active members of a refset for a component."""
        return [r[0] for r in self._run(
            "SELECT target_id FROM refset_member WHERE refset_id = :r AND referenced_component_id = :c "
            "AND active = 1 AND target_id IS NOT NULL ORDER BY target_id", {"r": refset_id, "c": component_id})]

    def associations(self, component_id: int) -> list[tuple[int, int]]:
        """``(association refset id, target)`` of the active historical associations of a component."""
        name, params = _param(list(snomed.HISTORICAL_ASSOCIATIONS))
        return [(r[0], r[1]) for r in self._run(
            f"SELECT refset_id, target_id FROM refset_member WHERE referenced_component_id = :c AND active = 1 "
            f"AND refset_id IN :{name} ORDER BY refset_id, target_id", {"c": component_id, **params}, (name,))]

    def refset_fields(self, refset_id: int) -> list[str] | None:
        """The additional field names of a refset of this version (``mapTarget``, ``targetComponentId``, ...);
        None when the version has no such refset."""
        rows = self._run("SELECT fields FROM refset WHERE refset_id = :r", {"r": refset_id})
        return json.loads(rows[0][0]) if rows else None

    def map_members(self, refset_id: int, *, component_id: int | None = None,
                    targets: Sequence[str] = ()) -> list[tuple]:
        """Active members of a map or association refset, by source component or (reverse) by target.

        Rows ``(referenced component, mapTarget or targetComponentId as text, mapGroup, mapPriority, mapRule,
        mapAdvice, correlationId)``, ordered by component, group and priority. ``targets`` match the
        ``mapTarget`` text, or a ``targetComponentId`` when they are numbers.
        """
        sql = ("SELECT referenced_component_id, map_target, target_id, map_group, map_priority, map_rule, "
               "map_advice, correlation_id FROM refset_member WHERE refset_id = :r AND active = 1")
        params: dict = {"r": refset_id}
        expanding: tuple[str, ...] = ()
        if component_id is not None:
            sql += " AND referenced_component_id = :c"
            params["c"] = component_id
        if targets:
            numbers = [int(t) for t in targets if t.isdigit() and len(t) < 19]
            sql += " AND (map_target IN :t" + (" OR target_id IN :n)" if numbers else ")")
            params["t"] = list(targets)
            expanding = ("t",)
            if numbers:
                params["n"] = numbers
                expanding += ("n",)
        sql += " ORDER BY referenced_component_id, map_group, map_priority, map_target, target_id"
        return [(r[0], r[1] if r[1] is not None else (str(r[2]) if r[2] is not None else None), *r[3:])
                for r in self._run(sql, params, expanding)]

    def meta(self) -> dict[str, str]:
        return dict(self._run("SELECT key, value FROM version_meta", {}))

    # --- post-coordinated expressions (terminology/providers/snomed_expressions.py) -----------------
    # Each reads many concepts in one statement: an expression names a handful of concepts, and its normal
    # form and checks need them all.

    def concept_rows(self, concept_ids: Sequence[int]) -> dict[int, ConceptRow]:
        """The concepts of ``concept_ids`` that are in this version."""
        return self.concepts_and_definitions(concept_ids, ())[0]

    def concepts_and_definitions(self, concept_ids: Sequence[int], focus_ids: Sequence[int]
                                 ) -> tuple[dict[int, ConceptRow], dict[int, list[int]], dict[int, list[RelationshipRow]]]:
        """In one statement: the concepts of ``concept_ids`` in this version, and for each of ``focus_ids`` its
        proximal primitive supertypes (its primitive ancestors-or-self that are no ancestor of another of them; a
        primitive concept is its own) and its attributes (active non-is-a relationships and concrete values)."""
        primitive = f"definition_status_id <> {snomed.DEFINED}"
        parts = []
        if concept_ids:
            parts.append("SELECT 0, id, effective_time, active, module_id, definition_status_id, NULL FROM concept "
                         "WHERE id IN :ids")
        if focus_ids:
            parts += [
                f"SELECT 1, id, id, 0, 0, 0, NULL FROM concept WHERE id IN :focus AND {primitive}",
                f"""SELECT 1, c.descendant_id, c.ancestor_id, 0, 0, 0, NULL FROM closure c
                     JOIN concept k ON k.id = c.ancestor_id
                    WHERE c.descendant_id IN :focus AND k.{primitive}
                      AND EXISTS (SELECT 1 FROM concept s WHERE s.id = c.descendant_id
                                     AND s.definition_status_id = {snomed.DEFINED})
                      AND NOT EXISTS (SELECT 1 FROM closure o JOIN concept ko ON ko.id = o.ancestor_id
                                         AND ko.{primitive}
                                        JOIN closure bt ON bt.ancestor_id = c.ancestor_id
                                         AND bt.descendant_id = o.ancestor_id
                                       WHERE o.descendant_id = c.descendant_id)""",
                f"SELECT 2, source_id, rel_group, type_id, destination_id, 0, NULL FROM relationship "
                f"WHERE source_id IN :focus AND type_id <> {snomed.IS_A}",
                "SELECT 3, source_id, rel_group, type_id, NULL, 0, value FROM concrete_value WHERE source_id IN :focus"]
        rows_out: dict[int, ConceptRow] = {}
        primitives: dict[int, list[int]] = {cid: [] for cid in focus_ids}
        attributes: dict[int, list[RelationshipRow]] = {cid: [] for cid in focus_ids}
        if not parts:
            return rows_out, primitives, attributes
        found = self._run(" UNION ALL ".join(parts), {"ids": list(concept_ids), "focus": list(focus_ids)},
                          ("ids", "focus"))
        for kind, cid, a, b, c, d, value in sorted(found, key=lambda r: (r[0], r[1], r[2], r[3], r[4] or 0)):
            if kind == 0:
                rows_out[cid] = ConceptRow(cid, a, bool(b), c, d)
            elif kind == 1:
                primitives[cid].append(a)
            else:
                attributes[cid].append(RelationshipRow(a, b, c if kind == 2 else None, value))
        return rows_out, primitives, attributes

    def ancestors_of(self, concept_ids: Sequence[int]) -> dict[int, list[int]]:
        """The proper ancestors of each concept on the closure (one index range per concept)."""
        out: dict[int, list[int]] = {cid: [] for cid in concept_ids}
        for descendant, ancestor in self._run("SELECT descendant_id, ancestor_id FROM closure "
                                              "WHERE descendant_id IN :ids", {"ids": list(concept_ids)}, ("ids",)):
            out[descendant].append(ancestor)
        return out

    def refset_contains(self, refset_id: int, component_id: int) -> bool:
        """True when an active member of the refset references the component."""
        return bool(self._run("SELECT 1 FROM refset_member WHERE refset_id = :r AND referenced_component_id = :c "
                              "AND active = 1", {"r": refset_id, "c": component_id}))

    def members_with_fields(self, *fields: str) -> list[tuple[int, int, dict]]:
        """``(refset, referenced component, additional fields)`` of the active members of every refset whose
        additional fields include all of ``fields`` (how the MRCM refsets of any edition are found: by their
        pattern, e.g. ``domainId`` and ``grouped`` for attribute domains)."""
        refsets = [refset for refset, names in self._run("SELECT refset_id, fields FROM refset", {})
                   if set(fields) <= set(json.loads(names))]
        if not refsets:
            return []
        rows = self._run("SELECT refset_id, referenced_component_id, fields FROM refset_member "
                         "WHERE refset_id IN :r AND active = 1 ORDER BY refset_id, referenced_component_id",
                         {"r": refsets}, ("r",))
        return [(r[0], r[1], json.loads(r[2]) if r[2] else {}) for r in rows]

    def active_terms(self, concept_ids: Sequence[int]) -> dict[int, list[str]]:
        """The active synonyms and FSNs of each concept, any language (the terms an expression may write in
        pipes)."""
        rows = self._run(f"SELECT concept_id, term FROM description WHERE concept_id IN :ids AND active = 1 "
                         f"AND type_id <> {snomed.DEFINITION} ORDER BY concept_id, id",
                         {"ids": list(concept_ids)}, ("ids",))
        out: dict[int, list[str]] = {cid: [] for cid in concept_ids}
        for cid, term in rows:
            out[cid].append(term)
        return out


def _expand_lists(sql: str, params: dict, expanding: tuple[str, ...]) -> tuple[str, dict]:
    """Replace each ``IN :name`` list parameter by one parameter per item (an empty list matches nothing)."""
    if not expanding:
        return sql, params
    params = dict(params)
    for name in dict.fromkeys(expanding):  # a set used twice in one statement lists its names twice
        values = list(params.pop(name))
        names = [f"{name}_{i}" for i in range(len(values))]
        params.update(zip(names, values))
        items = ", ".join(f":{n}" for n in names) if names else "NULL"
        sql = re.sub(rf":{name}\b", f"({items})", sql)
    return sql, params


@functools.lru_cache(maxsize=16)
def _concept_display_sql(n_refsets: int) -> str:
    """The statement of :meth:`SnomedStore.concept_display` for ``n_refsets`` refsets (plus the FSN's, 0); its
    parameter names are fixed, so the driver's statement cache is reused from one request to the next."""
    joins = " ".join(f"LEFT JOIN concept_term t{i} ON t{i}.concept_id = c.id AND t{i}.refset_id = :r{i}"
                     for i in range(n_refsets + 1))
    terms = ", ".join(f"t{i}.term" for i in range(n_refsets + 1))
    display = f"COALESCE({terms})" if n_refsets else terms  # SQLite's COALESCE wants two arguments or more
    return (f"SELECT c.id, c.effective_time, c.active, c.module_id, c.definition_status_id, {display} "
            f"FROM concept c {joins} WHERE c.id = :id")


@functools.lru_cache(maxsize=4096)
def _pyformat(sql: str) -> str:
    """``:name`` to psycopg's ``%(name)s`` (``::type`` casts left alone, literal ``%`` doubled)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


_PARAM_NAME = re.compile(r":(p\d+)\b")
"""The parameter names :func:`_param` makes; the same set built twice differs only in these and in
:data:`_ALIAS`."""
_ALIAS = re.compile(r"\b([abi])\d+\b")
"""The subquery aliases :meth:`ConceptSet.intersect` and ``_combine`` number from the same counter."""
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def pg_words(column: str) -> str:
    """PostgreSQL: the word vector of a folded term, with ASCII punctuation turned into spaces first, so the
    words are the runs of letters and digits as in SQLite's FTS5 and :func:`terminology.text.tokens`
    (PostgreSQL's own parser would keep ``left/right`` or ``a.b`` as one token). The GIN index on
    ``description`` is built on this same expression."""
    punctuation = _PUNCTUATION.replace("'", "''")
    return (f"to_tsvector('simple'::regconfig, translate({column}, '{punctuation}', "
            f"'{' ' * len(_PUNCTUATION)}'))")
