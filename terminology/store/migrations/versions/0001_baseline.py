"""Baseline: the shared tables as they were before migrations (catalog schema 3, care tables schema 1).

Revision ID: 0001_baseline
Revises: (none)

On an empty database it creates everything. On a database made by an earlier vardterm (no
``alembic_version`` yet) it creates only the tables that are missing (the care tables were made on first
use), so ``vardterm db upgrade`` adopts such a database as it is; one of another catalog schema version is
refused (it cannot be upgraded: load the releases into a new database).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

CATALOG_SCHEMA = "3"
"""``build_info.schema_version`` of the databases this baseline adopts (the last version before Alembic)."""


def _versioned(name: str, *columns: sa.Column, indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()):
    """A care main table: ``id``, ``version_id``, ``last_updated`` and its own columns."""
    def make() -> None:
        op.create_table(name, sa.Column("id", sa.String(64), primary_key=True),
                        sa.Column("version_id", sa.Integer, nullable=False),
                        sa.Column("last_updated", sa.String(32), nullable=False), *columns)
        for index, cols in indexes:
            op.create_index(index, name, list(cols))
    return make


def _plain(name: str, *columns: sa.Column, indexes: tuple[tuple[str, tuple[str, ...]], ...] = (),
           unique: tuple[str, ...] = ()):
    def make() -> None:
        op.create_table(name, *columns)
        for index, cols in indexes:
            op.create_index(index, name, list(cols), unique=index in unique)
    return make


def _tables():
    text, string, integer, small, flt, boolean = sa.Text, sa.String, sa.Integer, sa.SmallInteger, sa.Float, sa.Boolean
    C = sa.Column
    return [
        # --- the terminology catalog ---
        ("build_info", _plain("build_info", C("key", string(64), primary_key=True), C("value", text, nullable=False))),
        ("code_system_version", _plain(
            "code_system_version",
            C("key", integer, primary_key=True, autoincrement=True), C("kind", string(16), nullable=False),
            C("system", text, nullable=False), C("version", text, nullable=False), C("module_id", string(20)),
            C("effective_date", string(8)), C("title", text, nullable=False), C("status", string(12), nullable=False),
            C("storage", text, nullable=False), C("loaded_at", string(32), nullable=False),
            C("source", text, nullable=False), C("stats", text, nullable=False),
            indexes=(("ix_csv_system_status", ("system", "status")),))),
        ("fhir_resource", _plain(
            "fhir_resource",
            C("key", integer, primary_key=True, autoincrement=True), C("resource_type", string(32), nullable=False),
            C("id", string(64), nullable=False), C("version_id", integer, nullable=False),
            C("current", small, nullable=False), C("deleted", small, nullable=False), C("url", text),
            C("version", text), C("name", text), C("title", text), C("status", string(16)),
            C("last_updated", string(40), nullable=False), C("content", text, nullable=False),
            indexes=(("ix_fhir_resource_id", ("resource_type", "id", "version_id")),
                     ("ix_fhir_resource_url", ("resource_type", "url", "current"))),
            unique=("ix_fhir_resource_id",))),
        ("user_account", _plain(
            "user_account",
            C("username", string(64), primary_key=True), C("password_hash", text, nullable=False),
            C("roles", text, nullable=False), C("region", string(16)), C("active", small, nullable=False),
            C("created_at", string(40), nullable=False))),
        ("api_key", _plain(
            "api_key",
            C("key_id", string(16), primary_key=True), C("secret_hash", string(64), nullable=False),
            C("name", text, nullable=False), C("roles", text, nullable=False), C("region", string(16)),
            C("active", small, nullable=False), C("created_at", string(40), nullable=False))),
        # --- the care directory ---
        ("care_meta", _plain("care_meta", C("key", string(64), primary_key=True), C("value", text, nullable=False))),
        ("care_organization", _versioned(
            "care_organization",
            C("kind", string(16), nullable=False), C("name", text, nullable=False), C("orgnr", string(16)),
            C("hsa_id", string(64)), C("county", string(2)), C("part_of", string(64)),
            C("activity_codes", text, nullable=False), C("care_forms", text, nullable=False),
            C("opening_hours", text), C("phone", text), C("email", text), C("web", text),
            C("active", boolean, nullable=False),
            indexes=(("care_organization_orgnr", ("orgnr",)), ("care_organization_hsa", ("hsa_id",)),
                     ("care_organization_kind", ("kind", "county")), ("care_organization_part_of", ("part_of",))))),
        ("care_location", _versioned(
            "care_location",
            C("name", text, nullable=False), C("unit", string(64)), C("address", text), C("postal_code", string(8)),
            C("city", text), C("municipality", string(4)), C("county", string(2)), C("lat", flt), C("lon", flt),
            C("active", boolean, nullable=False),
            indexes=(("care_location_unit", ("unit",)),))),
        ("care_service", _versioned(
            "care_service",
            C("name", text, nullable=False), C("unit", string(64), nullable=False),
            C("meeting_forms", string(32), nullable=False), C("description", text), C("valid_from", string(10)),
            C("valid_to", string(10)), C("age_min", integer), C("age_max", integer), C("sex", string(8)),
            C("asa_max", integer), C("bmi_max", flt), C("referral", string(16)),
            C("payment_commitment", boolean, nullable=False), C("conditions", text),
            C("active", boolean, nullable=False),
            indexes=(("care_service_unit", ("unit",)),))),
        ("care_service_type", _plain(
            "care_service_type",
            C("service_id", string(64), nullable=False), C("position", integer, nullable=False),
            C("system", text, nullable=False), C("code", string(64), nullable=False), C("display", text),
            C("type_key", text, nullable=False),
            indexes=(("care_service_type_key", ("type_key", "service_id")),
                     ("care_service_type_service", ("service_id",))))),
        ("care_service_location", _plain(
            "care_service_location",
            C("service_id", string(64), nullable=False), C("location_id", string(64), nullable=False),
            indexes=(("care_service_location_service", ("service_id",)),
                     ("care_service_location_location", ("location_id",))))),
        ("care_commission", _versioned(
            "care_commission",
            C("region", string(64), nullable=False), C("provider", string(64), nullable=False),
            C("valid_from", string(10)), C("valid_to", string(10)), C("name", text),
            C("active", boolean, nullable=False),
            indexes=(("care_commission_region", ("region",)), ("care_commission_provider", ("provider",))))),
        ("care_commission_service", _plain(
            "care_commission_service",
            C("commission_id", string(64), nullable=False), C("service_id", string(64), nullable=False),
            indexes=(("care_commission_service_service", ("service_id",)),
                     ("care_commission_service_commission", ("commission_id",))))),
        ("care_agreement", _versioned(
            "care_agreement",
            C("identifier", text, nullable=False), C("region", string(64), nullable=False), C("title", text),
            C("type", string(32)), C("status", string(16), nullable=False), C("valid_from", string(10)),
            C("valid_to", string(10)), C("extension_option", text), C("description", text), C("contact", text),
            C("document_url", text), C("confidential", boolean, nullable=False), C("registered_by", string(64)),
            C("channel", string(16)),
            indexes=(("care_agreement_region", ("region",)), ("care_agreement_identifier", ("identifier",))))),
        ("care_agreement_commission", _plain(
            "care_agreement_commission",
            C("agreement_id", string(64), nullable=False), C("commission_id", string(64), nullable=False),
            indexes=(("care_agreement_commission_commission", ("commission_id",)),
                     ("care_agreement_commission_agreement", ("agreement_id",))))),
        ("care_wait", _versioned(
            "care_wait",
            C("unit", string(64), nullable=False), C("service", string(64)), C("activity_system", text),
            C("activity_code", string(64)), C("activity_display", text), C("measure", string(32), nullable=False),
            C("value", flt, nullable=False), C("reported", string(10), nullable=False), C("period_start", string(10)),
            C("period_end", string(10)), C("source", text),
            indexes=(("care_wait_unit", ("unit", "reported")), ("care_wait_service", ("service",))))),
        ("care_capacity", _versioned(
            "care_capacity",
            C("unit", string(64), nullable=False), C("service", string(64)), C("activity_system", text),
            C("activity_code", string(64)), C("activity_display", text), C("region", string(64)),
            C("period_start", string(10), nullable=False), C("period_end", string(10), nullable=False),
            C("volume", integer), C("available", boolean, nullable=False), C("conditions", text), C("contact", text),
            C("reported_at", string(32), nullable=False),
            indexes=(("care_capacity_unit", ("unit", "period_end")), ("care_capacity_service", ("service",))))),
        ("care_event", _plain(
            "care_event",
            C("seq", integer, primary_key=True, autoincrement=True), C("at", string(32), nullable=False),
            C("who", text, nullable=False), C("channel", string(16), nullable=False),
            C("action", string(16), nullable=False), C("resource_type", string(32), nullable=False),
            C("resource_id", string(64), nullable=False), C("version_id", integer, nullable=False),
            C("what", text, nullable=False),
            indexes=(("care_event_resource", ("resource_type", "resource_id")),))),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if "build_info" in existing:
        found = bind.execute(sa.text("SELECT value FROM build_info WHERE key = 'schema_version'")).scalar()
        if found not in (None, CATALOG_SCHEMA):
            raise RuntimeError(f"this database has catalog schema version {found}, which vardterm cannot upgrade; "
                               "load the releases into a new database")
    for name, make in _tables():
        if name not in existing:
            make()
    for table, rows in (("build_info", {"schema_version": CATALOG_SCHEMA, "generation": "0"}),
                        ("care_meta", {"schema_version": "1", "generation": "0"})):
        have = {k for (k,) in bind.execute(sa.text(f"SELECT key FROM {table}"))}
        for key, value in rows.items():
            if key not in have:
                bind.execute(sa.text(f"INSERT INTO {table} (key, value) VALUES (:k, :v)"), {"k": key, "v": value})


def downgrade() -> None:
    for name, _ in reversed(_tables()):
        op.drop_table(name)
