"""Release review: the decisions informatiker and admins take on the findings of a new release.

Revision ID: 0003_release_review
Revises: 0002_search_sessions_authoring

* ``release_decision``: one row per decision on a finding of a release impact (accept the suggested
  replacement, choose another concept, dismiss with a comment): who, when, which release pair, which finding,
  and what it made (a draft version, an updated service). The newest row per finding is its state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_release_review"
down_revision = "0002_search_sessions_authoring"
branch_labels = None
depends_on = None

C = sa.Column


def upgrade() -> None:
    if "release_decision" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "release_decision",
        C("seq", sa.Integer, primary_key=True, autoincrement=True), C("at", sa.String(40), nullable=False),
        C("who", sa.Text, nullable=False), C("system", sa.Text, nullable=False),
        C("from_version", sa.Text, nullable=False), C("to_version", sa.Text, nullable=False),
        C("finding", sa.Text, nullable=False), C("kind", sa.String(16), nullable=False),
        C("target", sa.String(64), nullable=False), C("code", sa.Text, nullable=False),
        C("action", sa.String(16), nullable=False), C("replacement", sa.Text), C("comment", sa.Text),
        C("result", sa.Text))
    op.create_index("ix_release_decision_pair", "release_decision", ["system", "from_version", "to_version"])


def downgrade() -> None:
    op.drop_table("release_decision")
