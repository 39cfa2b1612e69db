"""Alembic migrations of the shared tables (the catalog database): ``vardterm db upgrade`` runs them.

The shared tables are the ones every server node reads and writes in the main database: the catalog of
loaded versions (``build_info``, ``code_system_version``), conformance resources (``fhir_resource``),
accounts (``user_account``, ``api_key``) and the care directory (``care_*``). Their history is one linear
chain of revisions in ``versions/``; ``0001_baseline`` is the schema as it was before migrations existed.

The per-version terminology storages (an SQLite file or a PostgreSQL schema ``sct_<n>`` per loaded version)
are not migrated: a load builds them whole, and each records its format in ``version_meta.schema_version``
(``terminology.store.schema.STORAGE_FORMAT``); a storage of another format is reported by ``vardterm db
current`` and ``/health/ready`` and must be loaded again.

Adding a migration (docs/decisions.md "Schema migrations"): copy ``script.py.mako`` to
``versions/<next number>_<what>.py`` (or run ``alembic -c terminology/store/migrations/alembic.ini revision
-m "what"``), set ``down_revision`` to the current head, write ``upgrade()`` with ``op`` calls (use
``op.batch_alter_table`` for ALTERs, which SQLite lacks), change the SQLAlchemy tables to match, and set
``terminology.store.migrate.SCHEMA_REVISION`` to the new revision. ``tests/test_migrations.py`` checks that
the chain is linear, that its head is ``SCHEMA_REVISION`` and that a database built by the migrations has
exactly the tables the code declares, on SQLite and PostgreSQL.
"""
