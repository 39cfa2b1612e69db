"""Schema migrations (Alembic): the chain, what it builds, how an older database is adopted, and who refuses
a database at another revision (the server, the command line), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import MetaData, text

import terminology as t
from mappings.care.store import schema as care_schema
from mappings.workbench import schema as workbench_schema
from scripts.cli import main
from terminology.store import migrate, schema
from terminology.store.database import Database

from .conftest import MINI


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


def _declared() -> MetaData:
    """Every shared table the code declares: the terminology catalog, the care directory and the mapping
    workbench."""
    both = MetaData()
    for source in (schema.catalog, care_schema.metadata, workbench_schema.metadata):
        for table in source.tables.values():
            table.to_metadata(both)
    return both


def test_the_chain_is_linear_and_its_head_is_the_revision_the_code_needs():
    scripts = ScriptDirectory(str(migrate.MIGRATIONS))
    assert scripts.get_heads() == [migrate.SCHEMA_REVISION]
    assert len(scripts.get_bases()) == 1
    assert migrate.head() == migrate.SCHEMA_REVISION
    assert migrate.SCHEMA_REVISION in migrate.known()


def test_a_migrated_database_has_exactly_the_declared_tables(new_db, backend):
    db = new_db(backend)
    assert db.schema_revision() == migrate.SCHEMA_REVISION
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _declared())
        rows = dict(conn.execute(text("SELECT key, value FROM build_info")).all())
        care = dict(conn.execute(text("SELECT key, value FROM care_meta")).all())
    assert diff == []
    assert rows["generation"] == "0" and care["generation"] == "0"


def _pre_alembic(backend, new_db) -> Database:
    """A database as vardterm made it before migrations: the catalog by ``create_all``, no care tables, no
    revision, with an account in it."""
    db = new_db(backend)
    db.destroy()
    schema.catalog.create_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO build_info (key, value) VALUES ('schema_version', '3'), ('generation', '4')"))
    t.Accounts(db).add_key("before", ("admin",), None)
    return db


def test_an_earlier_database_is_refused_until_upgraded_and_keeps_its_data(new_db, backend):
    db = _pre_alembic(backend, new_db)
    with pytest.raises(t.StoreError, match="run 'vardterm db upgrade'"):
        db.check()
    with pytest.raises(t.StoreError, match="run 'vardterm db upgrade'"):
        db.initialise()  # never upgrades by itself
    result = CliRunner().invoke(main, ["--database-url", _url(db), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"to {migrate.SCHEMA_REVISION}" in result.output
    db.check()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM build_info WHERE key = 'generation'")).scalar() == "4"
        assert conn.execute(text("SELECT name FROM api_key")).scalar() == "before"
        assert conn.execute(text("SELECT value FROM care_meta WHERE key = 'generation'")).scalar() == "0"
    again = CliRunner().invoke(main, ["--database-url", _url(db), "db", "upgrade"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_a_database_of_an_unknown_catalog_schema_is_not_adopted(new_db):
    db = new_db("sqlite")
    db.destroy()
    schema.catalog.create_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO build_info (key, value) VALUES ('schema_version', '2')"))
    with pytest.raises(RuntimeError, match="catalog schema version 2"):
        db.upgrade()


def test_a_revision_from_a_newer_vardterm_is_refused(new_db):
    db = new_db("sqlite")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    with pytest.raises(t.StoreError, match="0099_future, which this program does not know"):
        db.check()


def test_db_current_reports_and_serve_refuses_a_database_that_is_behind(new_db, tmp_path):
    db = _pre_alembic("sqlite", new_db)
    run = CliRunner().invoke
    current = run(main, ["--database-url", _url(db), "db", "current"])
    assert current.exit_code == 1
    assert "Schema revision: (none)" in current.output and "run 'vardterm db upgrade'" in current.output
    served = run(main, ["--database-url", _url(db), "serve", "--port", "1"])
    assert served.exit_code == 1 and "run 'vardterm db upgrade'" in served.output
    assert run(main, ["--database-url", _url(db), "db", "upgrade"]).exit_code == 0
    current = run(main, ["--database-url", _url(db), "db", "current"])
    assert current.exit_code == 0 and "Up to date." in current.output


def test_init_builds_a_fresh_database_at_the_current_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'vardterm.db'}"
    result = CliRunner().invoke(main, ["--database-url", url, "init"])
    assert result.exit_code == 0, result.output
    assert f"schema revision {migrate.SCHEMA_REVISION}" in result.output
    Database(url).check()


def test_a_storage_of_another_format_is_reported_and_refused_by_serve(tmp_path):
    from scripts.loading import load_rf2

    url = f"sqlite:///{tmp_path / 'vardterm.db'}"
    db = Database(url)
    db.initialise()
    version = load_rf2(db, [MINI])
    assert db.storage_problems() == []
    path = db.storage_path(version.storage)
    db.dispose()
    import sqlite3
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE version_meta SET value = '2' WHERE key = 'schema_version'")
    db = Database(url)
    problems = db.storage_problems()
    assert len(problems) == 1 and "storage format 2" in problems[0] and version.version in problems[0]
    run = CliRunner().invoke
    current = run(main, ["--database-url", url, "db", "current"])
    assert current.exit_code == 1 and "storage format 2" in current.output
    served = run(main, ["--database-url", url, "serve", "--port", "1"])
    assert served.exit_code == 1 and "load them again" in served.output


def test_destroy_leaves_an_empty_database(new_db, backend):
    db = new_db(backend)
    db.destroy()
    assert migrate.state(db.engine).fresh
    db.initialise()
    db.check()
