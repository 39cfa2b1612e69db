"""What changed between two loaded SNOMED CT versions: set operations in SQL over their two storages.

Two versions live side by side (``database.py``): on SQLite as two files, which one in-memory connection
attaches read-only as ``va`` (from) and ``vb`` (to); on PostgreSQL as two schemas of one database, named
in the statements. Every question is then one statement of joins and ``EXCEPT`` over the snapshot tables,
so nothing of a release is loaded into Python but the changes themselves.

The rules follow the RF2 snapshot semantics (SNOMED CT Release File Specification §3.1.5 "History
mechanism": a component's state is its newest row) and the same contract as the generator's truth
(``scripts/synth/release_truth.py``):

* added: active in TO, absent in FROM; reactivated: inactive in FROM, active in TO; inactivated: active in
  FROM, inactive in TO, with TO's concept inactivation indicator (refset 900000000000489007, valueId) and
  its active historical associations (descendants of 900000000000522004; SNOMED CT Editorial Guide
  "Component inactivation" / "Historical associations").
* moved: active in both, the set of active inferred is-a parents (between active concepts) differs.
* terms: active in both, the preferred term per language refset (``concept_term``; refset 0 is the FSN)
  differs.
* descriptions: active in TO and not in FROM, or the reverse.
* refsets: per refset, referenced components with an active member in one version and none in the other
  (language refsets are kept apart, in ``language_member``).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.pool import NullPool

from .. import snomed
from ..model import CodeSystemVersion
from .database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawDiff:
    """The rows of one SNOMED CT release diff, as the statements return them (ids are ints)."""

    added: list[tuple[int, int]]
    """(concept, module in TO)"""
    reactivated: list[tuple[int, int]]
    inactivated: list[tuple[int, int]]
    reasons: dict[int, int]
    associations: dict[int, list[tuple[int, int]]]
    """concept -> [(association refset, target)]"""
    parents_added: list[tuple[int, int]]
    """(concept, parent) for concepts active in both versions"""
    parents_removed: list[tuple[int, int]]
    terms: list[tuple[int, int, str | None, str | None]]
    """(concept, language refset or 0 for the FSN, term in FROM, term in TO)"""
    descriptions_added: list[tuple[int, int, str, int, str]]
    """(description, concept, language code, type, term)"""
    descriptions_inactivated: list[tuple[int, int, str, int, str]]
    refsets_added: list[tuple[int, int]]
    """(refset, referenced component)"""
    refsets_removed: list[tuple[int, int]]
    hierarchy: dict[int, int]
    """concept -> its top-level hierarchy (the child of the root above it), for the changed concepts"""
    modules: dict[int, int]
    """concept -> module (in TO, or FROM when TO lacks it), for the changed concepts"""


@contextlib.contextmanager
def _pair(db: Database, a: CodeSystemVersion, b: CodeSystemVersion) -> Iterator[tuple[object, str, str]]:
    """A connection that sees both storages, and the prefixes naming their tables."""
    if db.dialect == "sqlite":
        pa, pb = db.storage_path(a.storage), db.storage_path(b.storage)

        def connect():
            raw = sqlite3.connect("file::memory:", uri=True, check_same_thread=False)
            raw.execute("ATTACH DATABASE ? AS va", (f"file:{quote(str(pa))}?mode=ro",))
            raw.execute("ATTACH DATABASE ? AS vb", (f"file:{quote(str(pb))}?mode=ro",))
            raw.execute("PRAGMA temp_store=MEMORY")
            return raw

        engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                yield conn, "va.", "vb."
        finally:
            engine.dispose()
    else:
        with db.read_engine.connect() as conn:
            yield conn, f'"{a.storage}".', f'"{b.storage}".'


def _sql(template: str, a: str, b: str) -> str:
    return template.replace("A.", a).replace("B.", b).format(
        ISA=snomed.IS_A, INFERRED=snomed.INFERRED, ROOT=snomed.ROOT, FSN=snomed.FSN,
        INDICATOR=snomed.CONCEPT_INACTIVATION_INDICATOR,
        HISTORY=", ".join(str(x) for x in snomed.HISTORICAL_ASSOCIATIONS))


# Table names are written A.<table> / B.<table>; aliases are lower case so they never look like a prefix.
_ADDED = """SELECT b.id, b.module_id FROM B.concept b LEFT JOIN A.concept a ON a.id = b.id
            WHERE a.id IS NULL AND b.active = 1"""
_REACTIVATED = """SELECT b.id, b.module_id FROM B.concept b JOIN A.concept a ON a.id = b.id
                  WHERE a.active = 0 AND b.active = 1"""
_INACTIVATED = """SELECT b.id, b.module_id FROM B.concept b JOIN A.concept a ON a.id = b.id
                  WHERE a.active = 1 AND b.active = 0"""
_REASONS = """SELECT m.referenced_component_id, m.target_id FROM B.refset_member m
              JOIN A.concept a ON a.id = m.referenced_component_id AND a.active = 1
              JOIN B.concept b ON b.id = a.id AND b.active = 0
              WHERE m.refset_id = {INDICATOR} AND m.active = 1"""
_ASSOCIATIONS = """SELECT m.referenced_component_id, m.refset_id, m.target_id FROM B.refset_member m
                   JOIN A.concept a ON a.id = m.referenced_component_id AND a.active = 1
                   JOIN B.concept b ON b.id = a.id AND b.active = 0
                   WHERE m.refset_id IN ({HISTORY}) AND m.active = 1"""
_PARENTS = """SELECT p.source_id, p.destination_id FROM (
                SELECT source_id, destination_id FROM X.relationship
                WHERE type_id = {ISA} AND characteristic_type_id = {INFERRED}
                EXCEPT SELECT source_id, destination_id FROM Y.relationship
                WHERE type_id = {ISA} AND characteristic_type_id = {INFERRED}) p
              JOIN X.concept d ON d.id = p.destination_id AND d.active = 1
              JOIN A.concept a ON a.id = p.source_id AND a.active = 1
              JOIN B.concept b ON b.id = p.source_id AND b.active = 1"""
_TERMS = """SELECT k.concept_id, k.refset_id, o.term, n.term FROM (
              SELECT concept_id, refset_id FROM (SELECT concept_id, refset_id, term FROM B.concept_term
                EXCEPT SELECT concept_id, refset_id, term FROM A.concept_term) x
              UNION SELECT concept_id, refset_id FROM (SELECT concept_id, refset_id, term FROM A.concept_term
                EXCEPT SELECT concept_id, refset_id, term FROM B.concept_term) y) k
            JOIN A.concept a ON a.id = k.concept_id AND a.active = 1
            JOIN B.concept b ON b.id = k.concept_id AND b.active = 1
            LEFT JOIN A.concept_term o ON o.concept_id = k.concept_id AND o.refset_id = k.refset_id
            LEFT JOIN B.concept_term n ON n.concept_id = k.concept_id AND n.refset_id = k.refset_id"""
_DESCRIPTIONS = """SELECT x.id, x.concept_id, x.language_code, x.type_id, x.term FROM X.description x
                   WHERE x.active = 1 AND x.id IN (
                     SELECT id FROM X.description WHERE active = 1
                     EXCEPT SELECT id FROM Y.description WHERE active = 1)"""
_MEMBERS = """SELECT refset_id, referenced_component_id FROM X.refset_member WHERE active = 1
              EXCEPT SELECT refset_id, referenced_component_id FROM Y.refset_member WHERE active = 1"""
_HIERARCHY = """SELECT c.descendant_id, MIN(c.ancestor_id) FROM X.closure c
                JOIN X.relationship r ON r.source_id = c.ancestor_id AND r.destination_id = {ROOT}
                  AND r.type_id = {ISA} AND r.characteristic_type_id = {INFERRED}
                WHERE c.descendant_id IN :ids GROUP BY c.descendant_id"""
_TOP = """SELECT r.source_id FROM X.relationship r WHERE r.destination_id = {ROOT} AND r.type_id = {ISA}
          AND r.characteristic_type_id = {INFERRED} AND r.source_id IN :ids"""
_MODULES = "SELECT id, module_id FROM X.concept WHERE id IN :ids"


def _swap(template: str, x: str, y: str = "") -> str:
    return template.replace("X.", x).replace("Y.", y)


def snomed_diff(db: Database, a: CodeSystemVersion, b: CodeSystemVersion) -> RawDiff:
    """The changes from SNOMED CT version ``a`` to ``b`` (both loaded and ready), computed in the database."""
    with _pair(db, a, b) as (conn, pa, pb):
        def rows(template: str, **params) -> list[tuple]:
            started = time.perf_counter()
            found = [tuple(r) for r in conn.execute(text(_sql(template, pa, pb)), params)]
            log.info("release diff %s -> %s: %s rows in %.1f s", a.version, b.version, len(found),
                     time.perf_counter() - started)
            return found

        added = rows(_ADDED)
        reactivated = rows(_REACTIVATED)
        inactivated = rows(_INACTIVATED)
        reasons = {int(c): int(v) for c, v in rows(_REASONS)}
        associations: dict[int, list[tuple[int, int]]] = {}
        for c, r, t in rows(_ASSOCIATIONS):
            associations.setdefault(int(c), []).append((int(r), int(t)))
        removed = rows(_swap(_PARENTS, "A.", "B."))
        added_parents = rows(_swap(_PARENTS, "B.", "A."))
        terms = rows(_TERMS)
        d_added = rows(_swap(_DESCRIPTIONS, "B.", "A."))
        d_inactivated = rows(_swap(_DESCRIPTIONS, "A.", "B."))
        m_added = rows(_swap(_MEMBERS, "B.", "A."))
        m_removed = rows(_swap(_MEMBERS, "A.", "B."))
        changed_b = ({c for c, _ in added} | {c for c, _ in reactivated} | {c for c, _ in removed} | {c for c, _ in added_parents}
                     | {t[0] for t in terms})
        changed_a = {c for c, _ in inactivated}
        hierarchy: dict[int, int] = {}
        modules: dict[int, int] = {}
        for ids, prefix in ((sorted(changed_a), pa), (sorted(changed_b), pb)):
            for part in _chunks(ids):
                params = {"ids": part}
                for template, into in ((_HIERARCHY, hierarchy), (_MODULES, modules)):
                    stmt = _expanding(text(_sql(_swap(template, prefix), pa, pb)))
                    into.update({int(k): int(v) for k, v in conn.execute(stmt, params)})
                for (top,) in conn.execute(_expanding(text(_sql(_swap(_TOP, prefix), pa, pb))), params):
                    hierarchy[int(top)] = int(top)
    return RawDiff(
        added=[(int(c), int(m)) for c, m in added], reactivated=[(int(c), int(m)) for c, m in reactivated],
        inactivated=[(int(c), int(m)) for c, m in inactivated], reasons=reasons, associations=associations,
        parents_added=sorted((int(c), int(p)) for c, p in added_parents),
        parents_removed=sorted((int(c), int(p)) for c, p in removed),
        terms=[(int(c), int(r), o, n) for c, r, o, n in terms],
        descriptions_added=d_added, descriptions_inactivated=d_inactivated,
        refsets_added=[(int(r), int(c)) for r, c in m_added], refsets_removed=[(int(r), int(c)) for r, c in m_removed],
        hierarchy=hierarchy, modules=modules)


def _expanding(stmt):
    return stmt.bindparams(bindparam("ids", expanding=True))


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]
