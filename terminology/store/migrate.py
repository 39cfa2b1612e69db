"""Schema migrations of the shared tables with Alembic (the one home of ``alembic`` in the project).

``SCHEMA_REVISION`` is the revision this program's tables are at: a server refuses a database at any other
revision (``Database.check``), so checking costs one query and no Alembic import. ``upgrade`` runs the
revisions in ``migrations/versions`` (``vardterm db upgrade``; never at import or start-up). A fresh
database is built by running every revision, so the migrations are the only definition of how a database
comes to be, and ``tests/test_migrations.py`` compares their result with the tables the code declares.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

log = logging.getLogger(__name__)

SCHEMA_REVISION = "0004_mapping_projects"
"""The head of ``migrations/versions``: bump it with every new revision (a test checks they agree)."""

VERSION_TABLE = "alembic_version"
MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x76617264  # "vard": one PostgreSQL advisory lock, so two upgrades never run at once


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: ``revision`` None on a database never migrated; ``fresh`` when it holds none
    of vardterm's tables yet."""

    revision: str | None
    fresh: bool

    @property
    def current(self) -> bool:
        return self.revision == SCHEMA_REVISION


def state(engine: Engine) -> SchemaState:
    """The revision recorded in the database (one query; an unreachable database raises)."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if VERSION_TABLE not in names:
            return SchemaState(None, not names & {"build_info", "code_system_version", "care_meta"})
        revision = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return SchemaState(revision, False)


def revision(engine: Engine) -> str | None:
    """Just the revision (None when never migrated): one query, for every request of ``/health/ready``."""
    with engine.connect() as conn:
        try:
            return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        except (OperationalError, ProgrammingError):  # no version table: never migrated
            conn.rollback()
            return None


def _config(connection, target_metadata=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["target_metadata"] = target_metadata
    return config


def head() -> str:
    """The newest revision in ``migrations/versions`` (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def known() -> set[str]:
    """Every revision in ``migrations/versions`` (imports Alembic)."""
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Run the revisions up to ``target``; return (revision before, revision after)."""
    from alembic import command

    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin otherwise
    before = state(engine).revision
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_lock({_LOCK_ID})"))
            conn.commit()
        try:
            command.upgrade(_config(conn), target)
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"SELECT pg_advisory_unlock({_LOCK_ID})"))
                conn.commit()
    after = state(engine).revision
    if after != before:
        log.info("database schema upgraded from %s to %s", before or "(none)", after)
    return before, after


def downgrade(engine: Engine, target: str = "base") -> None:
    """Undo revisions down to ``target`` (``base``: drop every shared table); used by ``Database.destroy``."""
    from alembic import command

    with engine.connect() as conn:
        command.downgrade(_config(conn), target)
        conn.commit()
