"""Shared fixtures: databases on both engines (SQLite file, PostgreSQL on 127.0.0.1:5432) and loaded data.

PostgreSQL: the server named by ``VARDTERM_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, trust auth) hosts a fresh database per test
database, dropped at the end of the session. Set ``VARDTERM_TEST_PG_URL=skip`` to run SQLite only on a
machine without PostgreSQL (CI never does).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import terminology as t
from terminology import Database, TerminologyService

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "data" / "mini"
PG_ADMIN_URL = os.environ.get("VARDTERM_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


class PgDatabases:
    """Creates throw-away PostgreSQL databases and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.admin_url = admin_url
        self.created: list[str] = []

    def new_url(self) -> str:
        name = f"vardterm_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases():
    if PG_ADMIN_URL == "skip":
        pytest.skip("PostgreSQL tests disabled by VARDTERM_TEST_PG_URL=skip")
    try:
        dbs = PgDatabases(PG_ADMIN_URL)
        with dbs.admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}); start it with "
                    f"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    yield dbs
    dbs.drop_all()


@pytest.fixture
def new_db(request, tmp_path_factory):
    """A factory of fresh, initialised databases on a backend: ``new_db("sqlite")``."""
    made: list[Database] = []

    def make(backend: str) -> Database:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'vardterm.db'}"
        else:
            url = request.getfixturevalue("pg_databases").new_url()
        db = Database(url, pool_size=2)
        db.initialise()
        made.append(db)
        return db

    yield make
    for db in made:
        db.dispose()


@pytest.fixture(scope="session")
def mini_dbs(tmp_path_factory, request):
    """The hand-made fixture loaded once per backend (session scope): ``mini_dbs(backend)``."""
    from scripts.loading import load_rf2

    cache: dict[str, Database] = {}

    def get(backend: str) -> Database:
        if backend not in cache:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('mini') / 'vardterm.db'}"
            else:
                url = request.getfixturevalue("pg_databases").new_url()
            db = Database(url, pool_size=4)
            db.initialise()
            load_rf2(db, [MINI])
            cache[backend] = db
        return cache[backend]

    yield get
    for db in cache.values():
        db.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def mini_service(mini_dbs, backend) -> TerminologyService:
    """The terminology service over the hand-made fixture, on each backend."""
    return TerminologyService(mini_dbs(backend), refresh_seconds=0)


@pytest.fixture
def empty_server(new_db, backend):
    """A TestClient on the app over a fresh, empty database (each backend), calling with the API key of an
    ``informatiker`` (so terminology writes are allowed)."""
    import warnings

    from api import Settings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    db = new_db(backend)
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False),
                              catalog_refresh_seconds=0))
    key = t.Accounts(db).add_key("tests", ("informatiker",), None)
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as client:
        yield client


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    """A TestClient on the app over a fresh, empty SQLite database, shared by the tests of one module (for
    requests that bring their resources as ``tx-resource``)."""
    import warnings

    from api import Settings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    url = f"sqlite:///{tmp_path_factory.mktemp('server') / 'vardterm.db'}"
    db = Database(url)
    db.initialise()
    db.dispose()
    with TestClient(create_app(Settings(database_url=url, catalog_refresh_seconds=0))) as client:
        yield client
