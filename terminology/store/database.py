"""The database: a catalog of code system versions, and one storage per version.

SQLite (the embedded default): the catalog is the main file, e.g. ``vardterm.db``; each version is a file
in ``vardterm.db.versions/``, written once by a load and then opened read-only. PostgreSQL (scale-out):
the catalog is in the connection's default schema; each version is a schema ``sct_<key>``.

Visibility is a catalog row's ``status``: ``loading`` while a load writes its storage, ``ready`` once
published, ``replaced`` when a newer load of the same version took over, ``failed`` when a load stopped.
Publishing is one transaction on the catalog, so a new version appears atomically, and readers keep using
whatever was ready before until then. ``build_info.generation`` counts catalog changes so that every API
worker notices a new version without sharing memory (ARCHITECTURE.md "Scale").
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..errors import ReadOnlyNode, StoreError
from ..model import CodeSystemVersion
from . import budget, migrate, schema

log = logging.getLogger(__name__)


class Database:
    """A catalog database and the storages of its versions. Thread-safe; share one per process.

    :param read_url: a PostgreSQL read replica of ``url``: the catalog of versions and the version storages
        (the read-mostly terminology traffic) are read there; writes, and the reads of resources, accounts
        and the care directory (which must see the node's own writes), stay on ``url``.
    :param read_only: this process never writes: every connection is read-only in the database itself
        (SQLite ``query_only``, PostgreSQL ``default_transaction_read_only``), so a write that slips through
        fails as :class:`~terminology.errors.ReadOnlyNode`; with a ``read_url`` everything is read there.
    :param statement_budget_ms: time budget (ms; 0: none) of the statements whose cost a request decides: text
        matches, the care search (:meth:`budgeted`); ECL statements carry their own (``EclLimits``).
    """

    def __init__(self, url: str, *, pool_size: int = 8, read_url: str | None = None, read_only: bool = False,
                 statement_budget_ms: int = budget.DEFAULT_BUDGET_MS) -> None:
        self.statement_budget_ms = statement_budget_ms
        self.read_only = read_only
        if read_only and read_url:
            url, read_url = read_url, None
        self.url = _normal_url(url)
        self.read_url = _normal_url(read_url) if read_url else None
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(f"unsupported database {self.dialect!r}: use sqlite:/// or postgresql+psycopg://")
        if self.read_url is not None and self.read_url.get_backend_name() != "postgresql":
            raise StoreError("a read replica URL must be a PostgreSQL one (postgresql+psycopg://...)")
        self._pool_size = pool_size
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()
        if self.dialect == "sqlite":
            if not self.url.database or self.url.database == ":memory:":
                raise StoreError("the SQLite database must be a file (sqlite:///path/to/vardterm.db)")
            self.path = Path(self.url.database)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size)
            event.listen(self.engine, "connect", _sqlite_read_only_pragmas if read_only else _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size,
                                        pool_pre_ping=True, connect_args=_pg_args(read_only=read_only))
        self.read_engine = self.engine
        """Where the catalog of versions is read (the replica when there is one)."""
        if self.read_url is not None:
            self.read_engine = create_engine(self.read_url, pool_size=pool_size, max_overflow=pool_size,
                                             pool_pre_ping=True, connect_args=_pg_args(read_only=True))
        for engine in {self.engine, self.read_engine}:
            event.listen(engine, "handle_error", _read_only_violation)

    # --- set-up and checks -----------------------------------------------------------------------

    def initialise(self) -> None:
        """Build the shared tables on an empty database (every migration, so it ends at the current revision);
        on any other database only :meth:`check` it: upgrading is ``vardterm db upgrade``'s, never implicit."""
        if self.read_only:
            return self.check()
        if migrate.state(self.engine).fresh:
            migrate.upgrade(self.engine)
        else:
            self.check()

    def check(self) -> None:
        """Refuse a database that is unreachable, not initialised or at another schema revision (STYLE.md
        principle 4), with the command that fixes it."""
        try:
            found = migrate.state(self.engine)
        except OperationalError as exc:
            raise StoreError(f"the database {self.describe()} cannot be reached: {_first_line(exc)}") from exc
        if found.current:
            return
        if found.fresh:
            raise StoreError(f"the database {self.describe()} is not initialised; run 'vardterm init' "
                             f"or load data first")
        if found.revision is None:
            raise StoreError(f"the database {self.describe()} was made by an earlier vardterm and has no schema "
                             f"revision; run 'vardterm db upgrade'")
        if found.revision in migrate.known():
            raise StoreError(f"the database {self.describe()} is at schema revision {found.revision}, this "
                             f"program needs {migrate.SCHEMA_REVISION}; run 'vardterm db upgrade'")
        raise StoreError(f"the database {self.describe()} is at schema revision {found.revision}, which this "
                         f"program does not know (it needs {migrate.SCHEMA_REVISION}): a newer vardterm upgraded "
                         f"it; run that version")

    def schema_revision(self) -> str | None:
        """The schema revision recorded in the database (None when never migrated)."""
        return migrate.revision(self.engine)

    def upgrade(self) -> tuple[str | None, str | None]:
        """Run the schema migrations (``vardterm db upgrade``); return the revisions before and after."""
        if self.read_only:
            raise ReadOnlyNode.plain("this node is read-only: run 'vardterm db upgrade' against the writable "
                                     "database")
        return migrate.upgrade(self.engine)

    def storage_problems(self) -> list[str]:
        """Ready versions whose storage was built in another format than this program reads (they must be
        loaded again); empty when all is well. Reads one row of each storage."""
        problems = []
        for v in self.versions():
            try:
                with self.storage_engine(v.storage).connect() as conn:
                    found = conn.execute(text("SELECT value FROM version_meta WHERE key = 'schema_version'")).scalar()
            except (OperationalError, ProgrammingError, StoreError) as exc:
                problems.append(f"{v.version}: its storage {v.storage} cannot be read ({_first_line(exc)})")
                continue
            if found != schema.STORAGE_FORMAT:
                problems.append(f"{v.version}: storage format {found}, this program reads {schema.STORAGE_FORMAT}; "
                                f"load it again")
        return problems

    def describe(self) -> str:
        """The database location without a password, for messages."""
        return str(self.path) if self.dialect == "sqlite" else self.url.render_as_string(hide_password=True)

    @contextlib.contextmanager
    def budgeted(self, conn, what: str):
        """Run the statements on ``conn`` (a SQLAlchemy connection of this database) in the ``with`` block under
        the statement budget; past it they stop with TooCostly naming ``what`` (e.g. "the care search")."""
        with budget.guard(conn.connection.driver_connection, self.dialect, self.statement_budget_ms, what):
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        self.engine.dispose()
        self.read_engine.dispose()

    def pools(self) -> dict[str, tuple[int, int]]:
        """Connection pools of this process: name -> (connections open, connections in use), for metrics."""
        with self._lock:
            engines = {"catalog": self.engine, **({"replica": self.read_engine} if self.read_url else {}),
                       **{f"storage:{k}": e for k, e in self._engines.items()}}
        out = {}
        for name, engine in engines.items():
            in_use = engine.pool.checkedout()
            out[name] = (in_use + engine.pool.checkedin(), in_use)
        return out

    # --- the catalog -----------------------------------------------------------------------------

    def generation(self) -> int:
        """A number that changes whenever the set of ready versions (or a stored resource) changes."""
        with self.read_engine.connect() as conn:
            value = conn.execute(select(schema.build_info.c.value)
                                 .where(schema.build_info.c.key == "generation")).scalar()
        return int(value or 0)

    def versions(self, *, kind: str | None = None, statuses: tuple[str, ...] = ("ready",)) -> list[CodeSystemVersion]:
        """Catalog rows with one of ``statuses`` (ready by default), oldest key first."""
        t = schema.code_system_version
        q = select(t).where(t.c.status.in_(statuses)).order_by(t.c.key)
        if kind:
            q = q.where(t.c.kind == kind)
        with self.read_engine.connect() as conn:
            return [_to_version(r) for r in conn.execute(q).mappings()]

    def begin_version(self, *, kind: str, system: str, version: str, module_id: str | None,
                      effective_date: str | None, title: str, source: dict) -> tuple[int, str]:
        """Register a version being loaded; return its key and a fresh, empty storage name."""
        t = schema.code_system_version
        with self.engine.begin() as conn:
            key = conn.execute(insert(t).values(
                kind=kind, system=system, version=version, module_id=module_id, effective_date=effective_date,
                title=title, status="loading", storage="", loaded_at=_now(), source=json.dumps(source),
                # Who is loading, so a listing can tell a load that is running from one that was killed.
                stats=json.dumps({"pid": os.getpid(), "host": socket.gethostname()})).returning(t.c.key)).scalar_one()
            storage = f"sct_{key}" if kind == "snomed" else f"{kind}_{key}"
            conn.execute(update(t).where(t.c.key == key).values(storage=storage))
        self.drop_storage(storage)
        if self.dialect == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{storage}"'))
        return key, storage

    def publish(self, key: int, stats: dict) -> list[str]:
        """Make version ``key`` ready, replacing a ready version with the same URI, in one transaction.

        Returns the storages of the replaced versions (dropped afterwards by the caller).
        """
        t = schema.code_system_version
        with self.engine.begin() as conn:
            row = conn.execute(select(t.c.system, t.c.version).where(t.c.key == key)).one()
            old = conn.execute(select(t.c.key, t.c.storage).where(
                t.c.system == row.system, t.c.version == row.version, t.c.status == "ready")).all()
            if old:
                conn.execute(update(t).where(t.c.key.in_([o.key for o in old])).values(status="replaced"))
            conn.execute(update(t).where(t.c.key == key).values(status="ready", stats=json.dumps(stats),
                                                                 loaded_at=_now()))
            self._bump(conn)
        return [o.storage for o in old]

    def fail(self, key: int, storage: str, reason: str) -> None:
        """Mark a load as failed and drop what it wrote."""
        self.drop_storage(storage)
        t = schema.code_system_version
        with self.engine.begin() as conn:
            conn.execute(update(t).where(t.c.key == key).values(status="failed",
                                                                 stats=json.dumps({"error": reason})))

    def remove(self, key: int, *, retire_after: float = 0) -> None:
        """Take a ready version out of service and delete its storage (``retire_after`` seconds later)."""
        t = schema.code_system_version
        with self.engine.begin() as conn:
            storage = conn.execute(select(t.c.storage).where(t.c.key == key)).scalar_one()
            conn.execute(t.delete().where(t.c.key == key))
            self._bump(conn)
        self.retire([storage], after=retire_after)

    def retire(self, storages: list[str], *, after: float) -> None:
        """Delete storages that were just taken out of service, ``after`` seconds from now.

        Other processes and hosts keep reading a storage until their next catalog check (every
        ``VARDTERM_CATALOG_REFRESH_SECONDS``) and their running requests end; dropping it at once would fail
        those requests. A process killed while waiting leaves the storage to ``vardterm gc``.
        """
        if not storages:
            return
        if after > 0:
            log.info("waiting %.0f s for every server to switch before deleting %s", after, ", ".join(storages))
            time.sleep(after)
        for storage in storages:
            self.drop_storage(storage)

    def forget_stale(self) -> int:
        """Delete catalog rows of replaced, failed and abandoned loads and their storages; return how many.

        A ``loading`` row older than the process that wrote it (a load that was killed) is abandoned.
        """
        t = schema.code_system_version
        stale = self.versions(statuses=("replaced", "failed", "loading"))
        for v in stale:
            self.drop_storage(v.storage)
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.key.in_([v.key for v in stale])))
        return len(stale)

    @staticmethod
    def _bump(conn) -> None:
        bi = schema.build_info
        value = int(conn.execute(select(bi.c.value).where(bi.c.key == "generation")).scalar() or 0)
        conn.execute(update(bi).where(bi.c.key == "generation").values(value=str(value + 1)))

    # --- storages --------------------------------------------------------------------------------

    def storage_engine(self, storage: str, *, write: bool = False) -> Engine:
        """An engine whose connections see the tables of ``storage`` unqualified.

        Read engines are cached and shared; a write engine is new each time (the caller disposes it).
        """
        _check_storage_name(storage)
        if not write:
            with self._lock:
                engine = self._engines.get(storage)
                if engine is None:
                    engine = self._make_engine(storage, write=False)
                    self._engines[storage] = engine
                return engine
        return self._make_engine(storage, write=True)

    def _make_engine(self, storage: str, *, write: bool) -> Engine:
        if self.dialect == "sqlite":
            path = self.storage_path(storage)
            if write:
                engine = create_engine(f"sqlite:///{path}", poolclass=_single_pool())
                event.listen(engine, "connect", _sqlite_build_pragmas)
            else:
                if not path.exists():
                    raise StoreError(f"the storage of a loaded version is missing: {path}")
                engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true",
                                       pool_size=self._pool_size, max_overflow=self._pool_size,
                                       execution_options={budget.OPTION: self.statement_budget_ms})
                event.listen(engine, "connect", _sqlite_read_pragmas)
            return engine
        return create_engine(self.url if write else self.read_url or self.url,
                             pool_size=self._pool_size if not write else 1,
                             max_overflow=self._pool_size if not write else 1, pool_pre_ping=not write,
                             connect_args=_pg_args(read_only=not write, search_path=storage),
                             execution_options={budget.OPTION: self.statement_budget_ms})

    def storage_path(self, storage: str) -> Path:
        """SQLite only: the file that holds ``storage``."""
        return self.path.parent / f"{self.path.name}.versions" / f"{storage}.db"

    def storage_exists(self, storage: str) -> bool:
        """Whether the file or schema of ``storage`` exists."""
        _check_storage_name(storage)
        if self.dialect == "sqlite":
            return self.storage_path(storage).exists()
        with self.engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
                                     {"s": storage}).first())

    def storage_size(self, storage: str) -> int:
        """Bytes on disk of a storage (its file, or its schema's tables, indexes and TOAST); 0 when it is gone."""
        _check_storage_name(storage)
        if self.dialect == "sqlite":
            path = self.storage_path(storage)
            return sum(p.stat().st_size for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal")) if p.exists())
        with self.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'm')"),
                {"s": storage}).scalar())

    def load_running(self, version: CodeSystemVersion) -> bool | None:
        """For a ``loading`` row: whether the process that loads it still runs (None: it runs on another host,
        so this one cannot tell)."""
        pid, host = version.stats.get("pid"), version.stats.get("host")
        if not pid or host != socket.gethostname():
            return None
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def drop_storage(self, storage: str) -> None:
        """Delete a storage (file or schema) if it exists."""
        _check_storage_name(storage)
        with self._lock:
            engine = self._engines.pop(storage, None)
        if engine is not None:
            engine.dispose()
        if self.dialect == "sqlite":
            path = self.storage_path(storage)
            for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
                if p.exists():
                    p.unlink()
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{storage}" CASCADE'))

    def destroy(self) -> None:
        """Delete everything: every storage and every shared table (used by tests)."""
        for v in self.versions(statuses=("loading", "ready", "replaced", "failed")):
            self.drop_storage(v.storage)
        migrate.downgrade(self.engine)
        with self.engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {migrate.VERSION_TABLE}"))
        if self.dialect == "sqlite":
            shutil.rmtree(self.path.parent / f"{self.path.name}.versions", ignore_errors=True)


def _normal_url(url: str):
    found = make_url(url)
    if found.get_backend_name() == "postgresql" and found.drivername == "postgresql":
        found = found.set(drivername="postgresql+psycopg")
    return found


def _pg_args(*, read_only: bool, search_path: str | None = None) -> dict:
    """libpq options of a PostgreSQL connection: its schema, and read-only transactions on a read-only node
    (what a hot-standby replica enforces anyway, so a node behaves the same on the primary and a replica)."""
    options = [f"-c search_path={search_path}"] if search_path else []
    if read_only:
        options.append("-c default_transaction_read_only=on")
    return {"options": " ".join(options)} if options else {}


def _read_only_violation(context) -> None:
    """``handle_error`` hook: a write refused by a read-only connection or replica becomes ReadOnlyNode
    (PostgreSQL SQLSTATE 25006 read_only_sql_transaction; SQLite "attempt to write a readonly database")."""
    original = context.original_exception
    if getattr(original, "sqlstate", None) == "25006" or "readonly database" in str(original):
        raise ReadOnlyNode.plain("This server node is read-only: it does not write to the database") from original


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _single_pool():
    from sqlalchemy.pool import SingletonThreadPool
    return SingletonThreadPool


def _check_storage_name(storage: str) -> None:
    if not re.fullmatch(r"[a-z]+_\d+", storage):
        raise StoreError(f"bad storage name {storage!r}")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_read_only_pragmas(dbapi_conn, record) -> None:
    """The main file on a read-only node: the usual settings (a writer may share it), then no writes."""
    _sqlite_pragmas(dbapi_conn, record)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _sqlite_read_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.close()


def _sqlite_build_pragmas(dbapi_conn, _record) -> None:
    """A version file is private to its load until published: no journal, no fsync until the end."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=OFF")
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute("PRAGMA cache_size=-524288")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA locking_mode=EXCLUSIVE")
    cur.close()


def _to_version(r) -> CodeSystemVersion:
    return CodeSystemVersion(key=r["key"], system=r["system"], version=r["version"], module_id=r["module_id"],
                             effective_date=r["effective_date"], title=r["title"], loaded_at=r["loaded_at"],
                             storage=r["storage"], stats=json.loads(r["stats"] or "{}"), status=r["status"])


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_sqlite_url(folder: str | os.PathLike = ".") -> str:
    """The embedded default database URL in ``folder``."""
    return f"sqlite:///{Path(folder) / 'vardterm.db'}"
