"""Mapping projects of the mapping workbench (issue 21): a source term list, its suggestions, the reviewers'
decisions and who made them.

Revision ID: 0004_mapping_projects
Revises: 0003_release_review

``mapping_project`` (one uploaded list and its target), ``mapping_row`` (a source row, its ranked suggestions
and the decision), ``mapping_event`` (the project's history). The tables are new and start empty; the
declarations the code reads are in ``mappings/workbench/schema.py``. A database that already has them (made by
these migrations, then adopted again without its revision row) keeps them as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_mapping_projects"
down_revision = "0003_release_review"
branch_labels = None
depends_on = None

C = sa.Column


def upgrade() -> None:
    text, string, integer = sa.Text, sa.String, sa.Integer
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "mapping_project" not in have:
        _create(text, string, integer)


def _create(text, string, integer) -> None:
    op.create_table(
        "mapping_project",
        C("id", integer, primary_key=True, autoincrement=True), C("title", text, nullable=False),
        C("source_system", text, nullable=False), C("target_system", text, nullable=False),
        C("target_version", text), C("target_ecl", text), C("target_value_set", text),
        C("map_url", text, nullable=False), C("file_name", text, nullable=False),
        C("context_columns", text, nullable=False), C("status", string(16), nullable=False),
        C("created_by", text, nullable=False), C("created_at", string(40), nullable=False),
        C("confirmed_by", text), C("confirmed_at", string(40)), C("concept_map_id", string(64)))
    op.create_table(
        "mapping_row",
        C("project_id", integer, primary_key=True, autoincrement=False),
        C("row_no", integer, primary_key=True, autoincrement=False),
        C("source_code", text), C("source_term", text, nullable=False), C("context", text, nullable=False),
        C("suggestions", text, nullable=False), C("top_score", integer, nullable=False),
        C("target_code", text), C("target_display", text), C("relationship", string(40)),
        C("no_map", integer, nullable=False), C("comment", text), C("decided_by", text),
        C("decided_at", string(40)), C("flag", text))
    op.create_table(
        "mapping_event",
        C("seq", integer, primary_key=True, autoincrement=True), C("project_id", integer, nullable=False),
        C("row_no", integer), C("at", string(40), nullable=False), C("who", text, nullable=False),
        C("what", text, nullable=False))
    op.create_index("ix_mapping_event_project", "mapping_event", ["project_id", "row_no"])


def downgrade() -> None:
    for name in ("mapping_event", "mapping_row", "mapping_project"):
        op.drop_table(name)
