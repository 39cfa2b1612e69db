"""The Alembic environment: runs the revisions on the connection ``terminology.store.migrate`` hands over.

Run from the ``alembic`` command (developers writing a revision), it connects to ``VARDTERM_DATABASE_URL``
instead. SQLite cannot ALTER most things, so ALTERs are rendered as batch operations (copy and move).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=context.config.attributes.get("target_metadata"),
                      render_as_batch=connection.dialect.name == "sqlite", transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(os.environ.get("VARDTERM_DATABASE_URL", "sqlite:///data/vardterm.db"))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
