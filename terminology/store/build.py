"""Build one SNOMED CT version into a fresh storage, then publish it atomically.

The flow (ARCHITECTURE.md "Two flows"): the RF2 reader's batches are bulk-written into an empty storage
with no indexes (SQLite ``executemany`` with journalling off; PostgreSQL ``COPY``), the is-a closure is
computed from the active inferred is-a rows, the preferred-term table and the secondary indexes are built,
then the text index, and only then is the catalog row flipped to ``ready``. Any failure drops the storage:
what was serving before keeps serving.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from sqlalchemy import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from .. import snomed
from ..errors import LoadError, TerminologyError
from ..hierarchy import closure_arrays
from ..model import CodeSystemVersion, Rf2Batch
from ..text import fold
from . import integrity, schema
from .database import Database
from .snomed_store import pg_words

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# Additional refset fields that have their own column; every other field goes to the JSON ``fields``.
_REFSET_COLUMNS = {
    "targetComponentId": "target_id",
    "valueId": "target_id",
    "mapTarget": "map_target",
    "mapGroup": "map_group",
    "mapPriority": "map_priority",
    "mapRule": "map_rule",
    "mapAdvice": "map_advice",
    "correlationId": "correlation_id",
    "mapCategoryId": "map_category_id",
}
_REFSET_ORDER = ("id", "effective_time", "active", "module_id", "refset_id", "referenced_component_id",
                 "target_id", "map_target", "map_group", "map_priority", "map_rule", "map_advice",
                 "correlation_id", "map_category_id", "fields")


@dataclass
class SnomedLoad:
    """What to load and how to name it."""

    release_date: str
    """The newest package date (or the Full snapshot date): the version date unless overridden."""
    source: dict
    edition_module: str | None = None
    """Override the edition module found from the data."""
    version_date: str | None = None
    """Override the version date."""
    experimental: bool = False
    """Publish under ``http://snomed.info/xsct/...`` (unpublished or experimental content)."""


@dataclass
class _Tally:
    concepts: int = 0
    active_concepts: int = 0
    descriptions: int = 0
    relationships: int = 0
    concrete_values: int = 0
    language_members: int = 0
    refset_members: int = 0
    closure_pairs: int = 0
    concept_modules: Counter = field(default_factory=Counter)
    dependencies: list = field(default_factory=list)
    refset_fields: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)
    violations: list = field(default_factory=list)


Locate = Callable[[str, dict[int, str]], "tuple[str, int] | None"]


def load_snomed(db: Database, batches: Iterable[Rf2Batch], spec: SnomedLoad, *,
                edition_of: Callable[[dict[str, int], list[tuple[str, str]]], str],
                progress: Progress | None = None, locate: Locate | None = None,
                retire_after: float = 0) -> CodeSystemVersion:
    """Write ``batches`` into a new version storage, check its referential integrity
    (:mod:`terminology.store.integrity`) and publish it; return the published version.

    The storage of a copy of the same version that this load replaces is dropped ``retire_after`` seconds
    after publishing (:meth:`Database.retire`).

    ``edition_of(concept_module_counts, module_dependencies)`` picks the edition module from the data
    (the loader's rule, passed in so the store stays free of release-format knowledge).
    ``locate(kind, {column: value})`` finds the file and line of a row that breaks a rule, for the message.
    """
    started = time.perf_counter()
    # Millions of short-lived row lists and ancestor sets make no reference cycles; the cyclic collector
    # would otherwise rescan them over and over and double the load time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(db, batches, spec, edition_of, progress, started, locate, retire_after)
    finally:
        if gc_was_enabled:
            gc.enable()


def _load(db: Database, batches: Iterable[Rf2Batch], spec: SnomedLoad,
          edition_of: Callable[[dict[str, int], list[tuple[str, str]]], str], progress: Progress | None,
          started: float, locate: Locate | None, retire_after: float) -> CodeSystemVersion:
    key, storage = db.begin_version(kind="snomed", system=snomed.SYSTEM, version=f"(loading {spec.release_date})",
                                    module_id=None, effective_date=None, title="SNOMED CT (loading)",
                                    source=spec.source)
    engine = db.storage_engine(storage, write=True)
    writer = None
    try:
        writer = _Writer(engine, db.dialect, spec.release_date)
        writer.create_tables()
        tally = writer.write_all(batches, progress)
        module = spec.edition_module or edition_of(dict(tally.concept_modules), tally.dependencies)
        date = spec.version_date or spec.release_date
        prefix = snomed.EXPERIMENTAL_VERSION_PREFIX if spec.experimental else snomed.VERSION_PREFIX
        version = f"{prefix}{module}/version/{date}"
        writer.finish(tally, version, progress)
        if tally.violations:
            raise LoadError(_broken(tally.violations, locate))
        tally.stages["total"] = round(time.perf_counter() - started, 2)
        stats = _stats(tally)
    except BaseException as exc:
        if writer is not None:
            writer.abandon()
        engine.dispose()
        db.fail(key, storage, str(exc) or repr(exc))
        if isinstance(exc, TerminologyError) or not isinstance(exc, Exception):
            raise
        raise LoadError(f"the load stopped: {exc}") from exc
    engine.dispose()
    title = _edition_title(module, date)
    _set_identity(db, key, version=version, module_id=module, effective_date=date, title=title)
    replaced = db.publish(key, stats)
    log.info("published %s in %.1f s (%s concepts)", version, tally.stages["total"], tally.concepts)
    db.retire(replaced, after=retire_after)
    return next(v for v in db.versions() if v.key == key)


def _broken(violations: list[integrity.Violation], locate: Locate | None) -> str:
    """The refusal: each violation with the file and line of its row (when ``locate`` finds it)."""
    lines = []
    for v in violations:
        where = locate(v.kind, v.columns) if locate else None
        lines.append(f"{where[0]}, line {where[1]}: {v.problem}" if where else v.problem)
    return ("the release is not complete or not consistent, so it was not published (what was serving still "
            "serves):\n  " + "\n  ".join(lines))


def _set_identity(db: Database, key: int, **values) -> None:
    t = schema.code_system_version
    with db.engine.begin() as conn:
        conn.execute(t.update().where(t.c.key == key).values(**values))


def _edition_title(module: str, date: str) -> str:
    names = {str(snomed.CORE_MODULE): "International", str(snomed.SWEDISH_MODULE): "Swedish"}
    return f"SNOMED CT {names.get(module, 'edition ' + module)} {date[:4]}-{date[4:6]}-{date[6:]}"


def _stats(t: _Tally) -> dict:
    return {
        "concepts": t.concepts, "active_concepts": t.active_concepts, "descriptions": t.descriptions,
        "relationships": t.relationships, "concrete_values": t.concrete_values,
        "language_members": t.language_members, "refset_members": t.refset_members,
        "closure_pairs": t.closure_pairs, "seconds": t.stages,
    }


class _Writer:
    """Bulk writes into one fresh storage, in the dialect's fastest way."""

    def __init__(self, engine: Engine, dialect: str, release_date: str) -> None:
        self.engine = engine
        self.dialect = dialect
        self.blank_date = release_date
        self.raw = engine.raw_connection()

    def abandon(self) -> None:
        """Roll back and close the connection after a failure, so the storage can be dropped."""
        if self.raw.dbapi_connection is None:  # closed already (the failure came after finish)
            return
        try:
            self.raw.rollback()
        finally:
            self.raw.close()

    # --- tables ---------------------------------------------------------------------------------

    def create_tables(self) -> None:
        cur = self.raw.cursor()
        for table in schema.snomed.sorted_tables:
            cur.execute(str(CreateTable(table).compile(dialect=self.engine.dialect)))
        self.raw.commit()

    def write_all(self, batches: Iterable[Rf2Batch], progress: Progress | None) -> _Tally:
        tally = _Tally()
        edges: list[tuple[int, int]] = []
        t0 = time.perf_counter()
        stage = None
        for batch in batches:
            if batch.kind != stage:
                if stage is not None:
                    tally.stages[stage] = round(time.perf_counter() - t0, 2)
                stage, t0 = batch.kind, time.perf_counter()
            getattr(self, f"_write_{batch.kind}")(batch, tally, edges)
        if stage is not None:
            tally.stages[stage] = round(time.perf_counter() - t0, 2)
        self.raw.commit()
        if tally.active_concepts == 0:
            raise LoadError("the release has no active concepts")
        t0 = time.perf_counter()
        ancestors, descendants = closure_arrays(edges, progress)
        del edges
        tally.closure_pairs = self._copy_pairs("closure", ("ancestor_id", "descendant_id"), ancestors, descendants)
        self.raw.commit()
        tally.stages["closure"] = round(time.perf_counter() - t0, 2)
        self._write_refset_fields(tally)
        return tally

    def _write_concept(self, batch: Rf2Batch, tally: _Tally, _edges) -> None:
        rows = [self._dated(r) for r in batch.rows]
        self._copy("concept", ("id", "effective_time", "active", "module_id", "definition_status_id"), rows)
        tally.concepts += len(rows)
        active = [r for r in rows if r[2] == "1"]
        tally.active_concepts += len(active)
        tally.concept_modules.update(r[3] for r in active)

    def _write_description(self, batch: Rf2Batch, tally: _Tally, _edges) -> None:
        rows = [self._dated(r) + [fold(r[7])] for r in batch.rows]
        self._copy("description", ("id", "effective_time", "active", "module_id", "concept_id", "language_code",
                                   "type_id", "term", "case_significance_id", "term_folded"), rows)
        tally.descriptions += len(rows)

    def _write_relationship(self, batch: Rf2Batch, tally: _Tally, edges: list) -> None:
        is_a = str(snomed.IS_A)
        rows = [[r[0], r[1] or self.blank_date, r[3], r[4], r[5], r[6], r[7], r[8]]
                for r in batch.rows if r[2] == "1"]
        edges.extend((int(r[3]), int(r[4])) for r in rows if r[6] == is_a)
        self._copy("relationship", ("id", "effective_time", "module_id", "source_id", "destination_id",
                                    "rel_group", "type_id", "characteristic_type_id"), rows)
        tally.relationships += len(rows)

    def _write_concrete_value(self, batch: Rf2Batch, tally: _Tally, _edges) -> None:
        rows = [[r[0], r[1] or self.blank_date, r[3], r[4], r[5], _number(r[5], batch.file), r[6], r[7], r[8]]
                for r in batch.rows if r[2] == "1"]
        self._copy("concrete_value", ("id", "effective_time", "module_id", "source_id", "value", "value_number",
                                      "rel_group", "type_id", "characteristic_type_id"), rows)
        tally.concrete_values += len(rows)

    def _write_language(self, batch: Rf2Batch, tally: _Tally, _edges) -> None:
        rows = [[r[5], r[4], r[6], r[3], r[1] or self.blank_date] for r in batch.rows if r[2] == "1"]
        self._copy("language_member", ("description_id", "refset_id", "acceptability_id", "module_id",
                                       "effective_time"), rows)
        tally.language_members += len(rows)
        for refset in {r[1] for r in rows}:
            tally.refset_fields.setdefault(refset, batch.header[6:])

    def _write_refset(self, batch: Rf2Batch, tally: _Tally, _edges) -> None:
        extra = batch.header[6:]
        columns = [_REFSET_COLUMNS.get(name) for name in extra]
        spill = [i for i, c in enumerate(columns) if c is None]
        slots = {c: _REFSET_ORDER.index(c) for c in columns if c}
        rows = []
        module_dependency = str(snomed.MODULE_DEPENDENCY_REFSET)
        for r in batch.rows:
            out: list = [r[0], r[1] or self.blank_date, r[2], r[3], r[4], r[5]] + [None] * 9
            for i, col in enumerate(columns):
                value = r[6 + i]
                if col is not None:
                    out[slots[col]] = value if value != "" else None
            if spill:
                out[14] = json.dumps({extra[i]: r[6 + i] for i in spill}, ensure_ascii=False)
            rows.append(out)
            if r[4] == module_dependency and r[2] == "1":
                tally.dependencies.append((r[3], r[5]))
            tally.refset_fields.setdefault(r[4], extra)
        self._copy("refset_member", _REFSET_ORDER, rows)
        tally.refset_members += len(rows)

    def _write_refset_fields(self, tally: _Tally) -> None:
        rows = [(refset, json.dumps(list(names))) for refset, names in tally.refset_fields.items()]
        self._copy("refset", ("refset_id", "fields"), rows)
        self.raw.commit()

    def _dated(self, r: Sequence[str]) -> list[str]:
        row = list(r)
        if not row[1]:
            row[1] = self.blank_date
        return row

    # --- bulk copy ------------------------------------------------------------------------------

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Append ``rows`` to ``table``; return how many."""
        if self.dialect == "sqlite":
            cur = self.raw.cursor()
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            n = 0
            for chunk in _chunked(rows, 50_000):
                cur.executemany(sql, chunk)
                n += len(chunk)
            return n
        cur = self.raw.cursor()
        n = 0
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for chunk in _chunked(rows, 50_000):
                buf = io.StringIO()
                for row in chunk:
                    buf.write("\t".join(_copy_text(v) for v in row))
                    buf.write("\n")
                copy.write(buf.getvalue())
                n += len(chunk)
        return n

    def _copy_pairs(self, table: str, columns: Sequence[str], first, second, chunk: int = 1_000_000) -> int:
        """Append two parallel integer arrays as rows, a million at a time (no per-row Python objects kept)."""
        n = len(first)
        for i in range(0, n, chunk):
            a, b = first[i:i + chunk].tolist(), second[i:i + chunk].tolist()
            if self.dialect == "sqlite":
                self.raw.cursor().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES (?, ?)", zip(a, b))
            else:
                with self.raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write("".join(f"{x}\t{y}\n" for x, y in zip(a, b)))
        return n

    # --- after the rows -------------------------------------------------------------------------

    def finish(self, tally: _Tally, version: str, progress: Progress | None) -> None:
        cur = self.raw.cursor()
        t0 = time.perf_counter()
        if self.dialect == "postgresql":
            # Without statistics on the fresh tables PostgreSQL plans the join below as a nested loop
            # (26 s instead of 0.1 s at CI scale).
            cur.execute("ANALYZE description, language_member")
        # One preferred synonym per concept and language refset; then the FSN (English first) as refset 0.
        # ON CONFLICT keeps the first row should a release break the one-preferred-term rule.
        cur.execute(f"""
            INSERT INTO concept_term (concept_id, refset_id, description_id, term)
            SELECT d.concept_id, l.refset_id, d.id, d.term
            FROM language_member l JOIN description d ON d.id = l.description_id
            WHERE d.active = 1 AND d.type_id = {snomed.SYNONYM} AND l.acceptability_id = {snomed.PREFERRED}
            ORDER BY d.id
            ON CONFLICT DO NOTHING""")
        cur.execute(f"""
            INSERT INTO concept_term (concept_id, refset_id, description_id, term)
            SELECT d.concept_id, 0, d.id, d.term FROM description d
            WHERE d.active = 1 AND d.type_id = {snomed.FSN}
            ORDER BY CASE WHEN d.language_code = 'en' THEN 0 ELSE 1 END, d.id
            ON CONFLICT DO NOTHING""")
        self.raw.commit()
        tally.stages["preferred_terms"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        for i, index in enumerate(schema.SNOMED_INDEXES):
            if progress:
                progress("index", i, len(schema.SNOMED_INDEXES))
            cur.execute(str(CreateIndex(index).compile(dialect=self.engine.dialect)))
        self.raw.commit()
        tally.stages["indexes"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        if progress:
            progress("text index", 0, 1)
        self._text_index(cur)
        self.raw.commit()
        tally.stages["text_index"] = round(time.perf_counter() - t0, 2)
        languages = self._languages(cur)
        meta = {"version": version, "schema_version": schema.STORAGE_FORMAT,
                "languages": json.dumps(languages), "stats": json.dumps(_stats(tally))}
        self._copy("version_meta", ("key", "value"), list(meta.items()))
        t0 = time.perf_counter()
        if self.dialect == "sqlite":
            cur.execute("PRAGMA analysis_limit=1000")  # sampled statistics: enough for the planner, seconds less
        cur.execute("ANALYZE")
        self.raw.commit()
        if self.dialect == "sqlite":
            cur.execute("PRAGMA journal_mode=DELETE")
        tally.stages["analyze"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        if progress:
            progress("integrity check", 0, 1)
        tally.violations = integrity.check(cur, self.dialect)
        tally.stages["integrity"] = round(time.perf_counter() - t0, 2)
        self.raw.close()

    def _text_index(self, cur) -> None:
        if self.dialect == "sqlite":
            cur.execute("CREATE VIRTUAL TABLE description_fts USING fts5(term_folded, content='description', "
                        "content_rowid='id', tokenize='unicode61 remove_diacritics 0', detail='column')")
            cur.execute("INSERT INTO description_fts(description_fts) VALUES ('rebuild')")
        else:
            cur.execute("CREATE INDEX ix_description_fts ON description "
                        f"USING gin ({pg_words('term_folded')})")

    def _languages(self, cur) -> dict[str, list[str]]:
        """Language codes of the descriptions in each language refset (for display language choice)."""
        # The preferred terms (one per concept and refset) tell the same as every member, at a quarter of
        # the rows.
        cur.execute("""SELECT t.refset_id, d.language_code, COUNT(*) FROM concept_term t
                       JOIN description d ON d.id = t.description_id WHERE t.refset_id <> 0
                       GROUP BY t.refset_id, d.language_code""")
        out: dict[str, list[tuple[int, str]]] = {}
        for refset, lang, n in cur.fetchall():
            out.setdefault(str(refset), []).append((n, lang))
        return {k: [lang for _, lang in sorted(v, reverse=True)] for k, v in out.items()}


def _number(value: str, file: str) -> float | None:
    if not value.startswith("#"):
        return None
    try:
        return float(value[1:])
    except ValueError as exc:
        raise LoadError(f"concrete value {value!r} is not a number", file=file) from exc


def _copy_text(v) -> str:
    if v is None:
        return "\\N"
    s = v if isinstance(v, str) else str(v)
    if "\\" in s:
        s = s.replace("\\", "\\\\")
    return s


def _chunked(rows: Iterable, size: int):
    if isinstance(rows, list):
        for i in range(0, len(rows), size):
            yield rows[i:i + size]
        return
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
