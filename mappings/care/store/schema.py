"""The care directory's tables (SQLAlchemy Core), in the catalog database next to the terminology catalog
(the main SQLite file, or the connection's default schema on PostgreSQL).

Every main table carries ``version_id`` and ``last_updated`` (FHIR ``meta``); repeated elements live in
link tables keyed by the owner's id. Dates are ``YYYY-MM-DD`` text, so comparisons are the same on both
engines. ``care_meta.generation`` counts write transactions, so every API worker can tell that its caches
are stale without sharing memory (ARCHITECTURE.md "Scale"). The tables are made and changed by the schema
migrations of the catalog database (``terminology/store/migrations``, ``vardterm db upgrade``): a change here
needs a revision there.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()


def _versioned(name: str, *columns, indexes=()) -> Table:
    return Table(name, metadata,
                 Column("id", String(64), primary_key=True),
                 Column("version_id", Integer, nullable=False),
                 Column("last_updated", String(32), nullable=False),
                 *columns, *indexes)


care_meta = Table("care_meta", metadata,
                  Column("key", String(64), primary_key=True),
                  Column("value", Text, nullable=False))

organization = _versioned(
    "care_organization",
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("orgnr", String(16)),
    Column("hsa_id", String(64)),
    Column("county", String(2)),
    Column("part_of", String(64)),
    Column("activity_codes", Text, nullable=False),
    Column("care_forms", Text, nullable=False),
    Column("opening_hours", Text),
    Column("phone", Text),
    Column("email", Text),
    Column("web", Text),
    Column("active", Boolean, nullable=False),
    indexes=(Index("care_organization_orgnr", "orgnr"), Index("care_organization_hsa", "hsa_id"),
             Index("care_organization_kind", "kind", "county"), Index("care_organization_part_of", "part_of")),
)

location = _versioned(
    "care_location",
    Column("name", Text, nullable=False),
    Column("unit", String(64)),
    Column("address", Text),
    Column("postal_code", String(8)),
    Column("city", Text),
    Column("municipality", String(4)),
    Column("county", String(2)),
    Column("lat", Float),
    Column("lon", Float),
    Column("active", Boolean, nullable=False),
    indexes=(Index("care_location_unit", "unit"),),
)

service = _versioned(
    "care_service",
    Column("name", Text, nullable=False),
    Column("unit", String(64), nullable=False),
    Column("meeting_forms", String(32), nullable=False),
    Column("description", Text),
    Column("valid_from", String(10)),
    Column("valid_to", String(10)),
    Column("age_min", Integer),
    Column("age_max", Integer),
    Column("sex", String(8)),
    Column("asa_max", Integer),
    Column("bmi_max", Float),
    Column("referral", String(16)),
    Column("payment_commitment", Boolean, nullable=False),
    Column("conditions", Text),
    Column("active", Boolean, nullable=False),
    indexes=(Index("care_service_unit", "unit"),),
)

service_type = Table(
    "care_service_type", metadata,
    Column("service_id", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("system", Text, nullable=False),
    Column("code", String(64), nullable=False),
    Column("display", Text),
    Column("type_key", Text, nullable=False),
    Index("care_service_type_key", "type_key", "service_id"),
    Index("care_service_type_service", "service_id"),
)

service_location = Table(
    "care_service_location", metadata,
    Column("service_id", String(64), nullable=False),
    Column("location_id", String(64), nullable=False),
    Index("care_service_location_service", "service_id"),
    Index("care_service_location_location", "location_id"),
)

commission = _versioned(
    "care_commission",
    Column("region", String(64), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("valid_from", String(10)),
    Column("valid_to", String(10)),
    Column("name", Text),
    Column("active", Boolean, nullable=False),
    indexes=(Index("care_commission_region", "region"), Index("care_commission_provider", "provider")),
)

commission_service = Table(
    "care_commission_service", metadata,
    Column("commission_id", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Index("care_commission_service_service", "service_id"),
    Index("care_commission_service_commission", "commission_id"),
)

agreement = _versioned(
    "care_agreement",
    Column("identifier", Text, nullable=False),
    Column("region", String(64), nullable=False),
    Column("title", Text),
    Column("type", String(32)),
    Column("status", String(16), nullable=False),
    Column("valid_from", String(10)),
    Column("valid_to", String(10)),
    Column("extension_option", Text),
    Column("description", Text),
    Column("contact", Text),
    Column("document_url", Text),
    Column("confidential", Boolean, nullable=False),
    Column("registered_by", String(64)),
    Column("channel", String(16)),
    indexes=(Index("care_agreement_region", "region"), Index("care_agreement_identifier", "identifier")),
)

agreement_commission = Table(
    "care_agreement_commission", metadata,
    Column("agreement_id", String(64), nullable=False),
    Column("commission_id", String(64), nullable=False),
    Index("care_agreement_commission_commission", "commission_id"),
    Index("care_agreement_commission_agreement", "agreement_id"),
)

wait = _versioned(
    "care_wait",
    Column("unit", String(64), nullable=False),
    Column("service", String(64)),
    Column("activity_system", Text),
    Column("activity_code", String(64)),
    Column("activity_display", Text),
    Column("measure", String(32), nullable=False),
    Column("value", Float, nullable=False),
    Column("reported", String(10), nullable=False),
    Column("period_start", String(10)),
    Column("period_end", String(10)),
    Column("source", Text),
    indexes=(Index("care_wait_unit", "unit", "reported"), Index("care_wait_service", "service")),
)

capacity = _versioned(
    "care_capacity",
    Column("unit", String(64), nullable=False),
    Column("service", String(64)),
    Column("activity_system", Text),
    Column("activity_code", String(64)),
    Column("activity_display", Text),
    Column("region", String(64)),
    Column("period_start", String(10), nullable=False),
    Column("period_end", String(10), nullable=False),
    Column("volume", Integer),
    Column("available", Boolean, nullable=False),
    Column("conditions", Text),
    Column("contact", Text),
    Column("reported_at", String(32), nullable=False),
    indexes=(Index("care_capacity_unit", "unit", "period_end"), Index("care_capacity_service", "service")),
)

event = Table(
    "care_event", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("who", Text, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("what", Text, nullable=False),
    Index("care_event_resource", "resource_type", "resource_id"),
)

MAIN_TABLES = {"Organization": organization, "Location": location, "HealthcareService": service,
               "OrganizationAffiliation": commission, "Contract": agreement, "MeasureReport": wait,
               "Observation": capacity}
"""FHIR resource type -> its main table."""

LINK_TABLES = {"HealthcareService": ((service_type, "service_id"), (service_location, "service_id")),
               "OrganizationAffiliation": ((commission_service, "commission_id"),),
               "Contract": ((agreement_commission, "agreement_id"),)}
"""FHIR resource type -> its link tables and the column holding the owner's id."""
