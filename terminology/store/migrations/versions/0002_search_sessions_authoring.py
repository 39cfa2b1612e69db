"""Resource search index, server-side sessions and login throttling, and code-list authoring.

Revision ID: 0002_search_sessions_authoring
Revises: 0001_baseline

* ``fhir_resource_search``: the values of the FHIR search parameters of CodeSystem, ValueSet and ConceptMap
  that are not columns of ``fhir_resource`` (identifier, publisher, date, ...). The resources stored before it
  are indexed the first time a server reads or writes resources (``ResourceStore._ensure_index``, guarded by
  the ``resource_search_index`` row of ``build_info``), so this revision only makes the table.
* ``web_session`` (a web login is a row: logout, disabling the user or a new password ends it on every node),
  ``login_failure`` (the login throttle's window) and ``api_key_use`` (when each API key was last used).
* ``resource_event`` (who changed which resource version, and how), ``value_set_index`` and
  ``value_set_member`` (which active value sets contain a code: ``ValueSet?code=``) and ``published_package``
  (FHIR NPM packages published by ``vardterm package export`` and the feed).

Every table is new and starts empty; on a database that already has one (made by a build of these features
before migrations) it is left as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_search_sessions_authoring"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

C = sa.Column


def _tables():
    text, string, integer, flt = sa.Text, sa.String, sa.Integer, sa.Float
    return {
        "fhir_resource_search": (
            [C("resource_key", integer, nullable=False), C("name", string(32), nullable=False), C("value", text),
             C("folded", text), C("system", text), C("low", string(32)), C("high", string(32))],
            [("ix_fhir_resource_search_key", ("resource_key", "name"), False),
             ("ix_fhir_resource_search_value", ("name", "value"), False),
             ("ix_fhir_resource_search_folded", ("name", "folded"), False)]),
        "web_session": (
            [C("sid_hash", string(64), primary_key=True), C("username", string(64), nullable=False),
             C("expires", flt, nullable=False)],
            [("ix_web_session_user", ("username",), False)]),
        "login_failure": (
            [C("key", integer, primary_key=True, autoincrement=True), C("subject", string(200), nullable=False),
             C("at", flt, nullable=False)],
            [("ix_login_failure_subject", ("subject", "at"), False)]),
        "api_key_use": (
            [C("key_id", string(16), primary_key=True), C("last_used_at", string(40), nullable=False)], []),
        "resource_event": (
            [C("seq", integer, primary_key=True, autoincrement=True), C("at", string(40), nullable=False),
             C("who", text, nullable=False), C("channel", string(16), nullable=False),
             C("action", string(16), nullable=False), C("resource_type", string(32), nullable=False),
             C("id", string(64), nullable=False), C("version_id", integer, nullable=False), C("url", text),
             C("version", text), C("status", string(16)), C("what", text, nullable=False)],
            [("ix_resource_event_url", ("resource_type", "url"), False),
             ("ix_resource_event_resource", ("resource_type", "id"), False)]),
        "value_set_index": (
            [C("resource_key", integer, primary_key=True, autoincrement=False), C("state", string(16), nullable=False),
             C("members", integer, nullable=False), C("stamp", text, nullable=False), C("problem", text),
             C("computed_at", string(40), nullable=False)], []),
        "value_set_member": (
            [C("resource_key", integer, nullable=False), C("system", text, nullable=False),
             C("code", text, nullable=False)],
            [("ix_value_set_member_code", ("code", "system"), False),
             ("ix_value_set_member_key", ("resource_key",), False)]),
        "published_package": (
            [C("name", string(214), primary_key=True), C("version", string(64), primary_key=True),
             C("title", text, nullable=False), C("fhir_version", string(16), nullable=False),
             C("resources", integer, nullable=False), C("sha256", string(64), nullable=False),
             C("size", integer, nullable=False), C("published_at", string(40), nullable=False),
             C("who", text, nullable=False), C("content", sa.LargeBinary, nullable=False)], []),
    }


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    for name, (columns, indexes) in _tables().items():
        if name in have:
            continue
        op.create_table(name, *columns)
        for index, cols, unique in indexes:
            op.create_index(index, name, list(cols), unique=unique)


def downgrade() -> None:
    for name in reversed(list(_tables())):
        op.drop_table(name)
