"""The mapping workbench's tables (SQLAlchemy Core), in the catalog database beside the care directory's.

``mapping_project`` holds one project (source list, chosen target, state), ``mapping_row`` one source row with
its suggestions (JSON, as made when the file was read or last re-run) and the reviewer's decision,
``mapping_event`` who did what, per row. Made and changed by the schema migrations of the catalog database
(revision ``0004_mapping_projects``): a change here needs a revision there.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

project = Table(
    "mapping_project", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("source_system", Text, nullable=False),
    Column("target_system", Text, nullable=False),
    Column("target_version", Text),
    Column("target_ecl", Text),
    Column("target_value_set", Text),
    Column("map_url", Text, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("context_columns", Text, nullable=False, doc="JSON list of the extra column names of the file"),
    Column("status", String(16), nullable=False, doc="granskas, bekraftad, publicerad"),
    Column("created_by", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("confirmed_by", Text),
    Column("confirmed_at", String(40)),
    Column("concept_map_id", String(64)),
)

row = Table(
    "mapping_row", metadata,
    Column("project_id", Integer, primary_key=True, autoincrement=False),
    Column("row_no", Integer, primary_key=True, autoincrement=False),
    Column("source_code", Text),
    Column("source_term", Text, nullable=False),
    Column("context", Text, nullable=False, doc="JSON list of the extra column values"),
    Column("suggestions", Text, nullable=False, doc="JSON list of the ranked suggestions"),
    Column("top_score", Integer, nullable=False, doc="best suggestion's score in per cent (0: none)"),
    Column("target_code", Text),
    Column("target_display", Text),
    Column("relationship", String(40)),
    Column("no_map", Integer, nullable=False),
    Column("comment", Text),
    Column("decided_by", Text),
    Column("decided_at", String(40)),
    Column("flag", Text, doc="why the row must be looked at again (a target that became inactive)"),
)

event = Table(
    "mapping_event", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, nullable=False),
    Column("row_no", Integer),
    Column("at", String(40), nullable=False),
    Column("who", Text, nullable=False),
    Column("what", Text, nullable=False),
    Index("ix_mapping_event_project", "project_id", "row_no"),
)
