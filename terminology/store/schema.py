"""Table definitions: the catalog (one per database) and the tables of one SNOMED CT version.

Each code system version lives in its own storage: an SQLite file beside the main database, or a
PostgreSQL schema. A version is built there with no readers and no indexes, indexed at the end, and then
made visible by one update of its catalog row (ARCHITECTURE.md "Two flows"; STYLE.md principle 4). A
failed build drops its storage and touches nothing else.

Conventions: SCTIDs are 64-bit integers (``INTEGER PRIMARY KEY`` on SQLite, so concept and description
ids are the rowid; ``BIGINT`` on PostgreSQL); RF2 booleans are small integers 1/0; dates are YYYYMMDD
integers. Only *active* relationships and language refset members are stored: inactive ones take part
in no query (the snapshot semantics of ECL and FHIR), and leaving them out keeps a load fast.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Column, Float, Index, Integer, LargeBinary, MetaData, SmallInteger, String, Table,
                        Text)

STORAGE_FORMAT = "3"
"""Format of a version storage (the ``snomed`` tables below), recorded by the loader in its
``version_meta.schema_version``. Bump it when those tables change shape: storages are built whole by a load
and never migrated, so one of another format is reported (``Database.storage_problems``) and loaded again.
The catalog tables (``catalog`` below) change by Alembic revisions instead (``migrate.py``)."""

SCTID = Integer().with_variant(BigInteger(), "postgresql")

# --- the catalog (main database; its history is the Alembic revisions in migrations/versions) ------------

catalog = MetaData()

build_info = Table(
    "build_info", catalog,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

code_system_version = Table(
    "code_system_version", catalog,
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, doc="snomed"),
    Column("system", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("module_id", String(20)),
    Column("effective_date", String(8)),
    Column("title", Text, nullable=False),
    Column("status", String(12), nullable=False, doc="loading | ready | replaced | failed"),
    Column("storage", Text, nullable=False, doc="SQLite file name or PostgreSQL schema"),
    Column("loaded_at", String(32), nullable=False),
    Column("source", Text, nullable=False, doc="JSON: what was loaded (packages, release type, as-of date)"),
    Column("stats", Text, nullable=False, doc="JSON: counts and timings"),
)
Index("ix_csv_system_status", code_system_version.c.system, code_system_version.c.status)

fhir_resource = Table(
    "fhir_resource", catalog,
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("resource_type", String(32), nullable=False, doc="CodeSystem | ValueSet | ConceptMap"),
    Column("id", String(64), nullable=False, doc="the logical id"),
    Column("version_id", Integer, nullable=False, doc="meta.versionId: 1, 2, ... per logical id"),
    Column("current", SmallInteger, nullable=False, doc="1 on the newest row of a logical id, 0 on history"),
    Column("deleted", SmallInteger, nullable=False, doc="1 on the row that records a delete"),
    Column("url", Text),
    Column("version", Text),
    Column("name", Text),
    Column("title", Text),
    Column("status", String(16)),
    Column("last_updated", String(40), nullable=False),
    Column("content", Text, nullable=False, doc="the resource as R5 JSON"),
)
"""FHIR conformance resources kept with their versions (FHIR REST: create, update, read, vread, delete)."""

fhir_resource_search = Table(
    "fhir_resource_search", catalog,
    Column("resource_key", Integer, nullable=False, doc="fhir_resource.key of the version the value is of"),
    Column("name", String(32), nullable=False, doc="the search parameter (terminology.resource_search.INDEXED)"),
    Column("value", Text, doc="string: as written; token: the code or identifier value"),
    Column("folded", Text, doc="string: folded (lower case, no accents) for prefix matching"),
    Column("system", Text, doc="token: the system"),
    Column("low", String(32), doc="date: start of the range the value covers (UTC ISO)"),
    Column("high", String(32), doc="date: end of that range, exclusive"),
)
"""The values of each resource version for the search parameters that are not columns of ``fhir_resource``
(added beside it; a database from before it is indexed when first used, see ``ResourceStore``)."""

user_account = Table(
    "user_account", catalog,
    Column("username", String(64), primary_key=True),
    Column("password_hash", Text, nullable=False, doc="argon2id (PHC string)"),
    Column("roles", Text, nullable=False, doc="comma-separated: vardlots, avtalsadmin, informatiker, admin"),
    Column("region", String(16), doc="län code of the user's region"),
    Column("active", SmallInteger, nullable=False),
    Column("created_at", String(40), nullable=False),
)
"""Local accounts of the embedded default (production uses an OIDC issuer's tokens instead)."""

api_key = Table(
    "api_key", catalog,
    Column("key_id", String(16), primary_key=True, doc="the public part of the key, shown in listings"),
    Column("secret_hash", String(64), nullable=False, doc="SHA-256 of the secret part (hex)"),
    Column("name", Text, nullable=False, doc="the system the key belongs to"),
    Column("roles", Text, nullable=False),
    Column("region", String(16)),
    Column("active", SmallInteger, nullable=False),
    Column("created_at", String(40), nullable=False),
)
"""Keys for systems calling the API (``Authorization: ApiKey <key_id>.<secret>``)."""

api_key_use = Table(
    "api_key_use", catalog,
    Column("key_id", String(16), primary_key=True),
    Column("last_used_at", String(40), nullable=False, doc="when the key last authenticated a request (minutes)"),
)
"""When each API key was last used (its own table: written at most once a minute per key and worker)."""

web_session = Table(
    "web_session", catalog,
    Column("sid_hash", String(64), primary_key=True, doc="SHA-256 (hex) of the session id in the cookie"),
    Column("username", String(64), nullable=False),
    Column("expires", Float, nullable=False, doc="Unix time the session ends"),
)
"""Logged-in web sessions: a session is valid only while its row exists (logout, a disabled user or a new
password delete it), so every worker and host sees the same answer."""
Index("ix_web_session_user", web_session.c.username)

login_failure = Table(
    "login_failure", catalog,
    Column("key", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(200), nullable=False, doc="user:<name> or address:<client address>"),
    Column("at", Float, nullable=False, doc="Unix time of the failed login"),
)
"""Recent failed logins, per account and per client address, for the login throttle."""
Index("ix_login_failure_subject", login_failure.c.subject, login_failure.c.at)
Index("ix_fhir_resource_id", fhir_resource.c.resource_type, fhir_resource.c.id, fhir_resource.c.version_id,
      unique=True)
Index("ix_fhir_resource_url", fhir_resource.c.resource_type, fhir_resource.c.url, fhir_resource.c.current)
Index("ix_fhir_resource_search_key", fhir_resource_search.c.resource_key, fhir_resource_search.c.name)
Index("ix_fhir_resource_search_value", fhir_resource_search.c.name, fhir_resource_search.c.value)
Index("ix_fhir_resource_search_folded", fhir_resource_search.c.name, fhir_resource_search.c.folded)

# --- code-list maintenance (issue 17): history, value set membership, published packages -------------------

resource_event = Table(
    "resource_event", catalog,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("who", Text, nullable=False),
    Column("channel", String(16), nullable=False, doc="web | api | file | cli"),
    Column("action", String(16), nullable=False,
           doc="create | update | delete | load | draft | release | retire | import"),
    Column("resource_type", String(32), nullable=False),
    Column("id", String(64), nullable=False),
    Column("version_id", Integer, nullable=False, doc="meta.versionId the write made"),
    Column("url", Text),
    Column("version", Text),
    Column("status", String(16)),
    Column("what", Text, nullable=False, doc="what changed, in Swedish, for the Historik page"),
)
"""Who changed which conformance resource, when, through which channel, and what (one row per write)."""
Index("ix_resource_event_resource", resource_event.c.resource_type, resource_event.c.id)
Index("ix_resource_event_url", resource_event.c.resource_type, resource_event.c.url)

value_set_index = Table(
    "value_set_index", catalog,
    Column("resource_key", Integer, primary_key=True, autoincrement=False,
           doc="fhir_resource.key of the value set version (a row never changes once written)"),
    Column("state", String(16), nullable=False,
           doc="complete (every member is in value_set_member) | too-large (checked per request) | failed"),
    Column("members", Integer, nullable=False),
    Column("stamp", Text, nullable=False, doc="the code system and value set versions the members came from"),
    Column("problem", Text),
    Column("computed_at", String(40), nullable=False),
)
"""Which active value set versions have their members in ``value_set_member``, and from what."""

value_set_member = Table(
    "value_set_member", catalog,
    Column("resource_key", Integer, nullable=False),
    Column("system", Text, nullable=False),
    Column("code", Text, nullable=False),
)
"""The members of every active stored value set, for ``ValueSet?code=system|code`` ("which value sets
contain this code"), kept when a version is released and when the terminology it depends on changes."""
Index("ix_value_set_member_code", value_set_member.c.code, value_set_member.c.system)
Index("ix_value_set_member_key", value_set_member.c.resource_key)

published_package = Table(
    "published_package", catalog,
    Column("name", String(214), primary_key=True, doc="NPM package name, e.g. se.region.kodverk"),
    Column("version", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("fhir_version", String(16), nullable=False),
    Column("resources", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("published_at", String(40), nullable=False),
    Column("who", Text, nullable=False),
    Column("content", LargeBinary, nullable=False, doc="the .tgz"),
)
"""FHIR NPM packages published by this server (the Atom feed at /feed lists them)."""

# --- release review (issue 20): decisions on the findings of a new release ----------------------------------

release_decision = Table(
    "release_decision", catalog,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("who", Text, nullable=False),
    Column("system", Text, nullable=False),
    Column("from_version", Text, nullable=False),
    Column("to_version", Text, nullable=False),
    Column("finding", Text, nullable=False, doc="Finding.key: kind:target:change:code"),
    Column("kind", String(16), nullable=False, doc="valueset | conceptmap | service"),
    Column("target", String(64), nullable=False, doc="the resource or record id"),
    Column("code", Text, nullable=False),
    Column("action", String(16), nullable=False, doc="accepted | replaced | dismissed"),
    Column("replacement", Text, doc="the code put in place of the finding's code"),
    Column("comment", Text),
    Column("result", Text, doc="what the decision made, e.g. ValueSet/<id> (draft 1.1.0)"),
)
"""Who decided what about each finding of a release impact (the newest row per finding is its state)."""
Index("ix_release_decision_pair", release_decision.c.system, release_decision.c.from_version,
      release_decision.c.to_version)

# --- one SNOMED CT version (its own file or schema) ------------------------------------------------

snomed = MetaData()

concept = Table(
    "concept", snomed,
    Column("id", SCTID, primary_key=True, autoincrement=False),
    Column("effective_time", Integer, nullable=False),
    Column("active", SmallInteger, nullable=False),
    Column("module_id", SCTID, nullable=False),
    Column("definition_status_id", SCTID, nullable=False),
)

description = Table(
    "description", snomed,
    Column("id", SCTID, primary_key=True, autoincrement=False),
    Column("effective_time", Integer, nullable=False),
    Column("active", SmallInteger, nullable=False),
    Column("module_id", SCTID, nullable=False),
    Column("concept_id", SCTID, nullable=False),
    Column("language_code", String(8), nullable=False),
    Column("type_id", SCTID, nullable=False),
    Column("term", Text, nullable=False),
    Column("case_significance_id", SCTID, nullable=False),
    Column("term_folded", Text, nullable=False),
)

language_member = Table(
    "language_member", snomed,
    Column("description_id", SCTID, nullable=False),
    Column("refset_id", SCTID, nullable=False),
    Column("acceptability_id", SCTID, nullable=False),
    Column("module_id", SCTID, nullable=False),
    Column("effective_time", Integer, nullable=False),
)

relationship = Table(
    "relationship", snomed,
    Column("id", SCTID, nullable=False),
    Column("effective_time", Integer, nullable=False),
    Column("module_id", SCTID, nullable=False),
    Column("source_id", SCTID, nullable=False),
    Column("destination_id", SCTID, nullable=False),
    Column("rel_group", Integer, nullable=False),
    Column("type_id", SCTID, nullable=False),
    Column("characteristic_type_id", SCTID, nullable=False),
)

concrete_value = Table(
    "concrete_value", snomed,
    Column("id", SCTID, nullable=False),
    Column("effective_time", Integer, nullable=False),
    Column("module_id", SCTID, nullable=False),
    Column("source_id", SCTID, nullable=False),
    Column("value", Text, nullable=False, doc="as in RF2: #12, #2.5 or \"text\""),
    Column("value_number", Float, doc="the number for #values, else NULL"),
    Column("rel_group", Integer, nullable=False),
    Column("type_id", SCTID, nullable=False),
    Column("characteristic_type_id", SCTID, nullable=False),
)

refset_member = Table(
    "refset_member", snomed,
    Column("id", String(36), primary_key=True),
    Column("effective_time", Integer, nullable=False),
    Column("active", SmallInteger, nullable=False),
    Column("module_id", SCTID, nullable=False),
    Column("refset_id", SCTID, nullable=False),
    Column("referenced_component_id", SCTID, nullable=False),
    Column("target_id", SCTID, doc="targetComponentId (association) or valueId (attribute value)"),
    Column("map_target", Text),
    Column("map_group", Integer),
    Column("map_priority", Integer),
    Column("map_rule", Text),
    Column("map_advice", Text),
    Column("correlation_id", SCTID),
    Column("map_category_id", SCTID),
    Column("fields", Text, doc="JSON object of any other additional fields, by header name"),
)

refset = Table(
    "refset", snomed,
    Column("refset_id", SCTID, primary_key=True, autoincrement=False),
    Column("fields", Text, nullable=False, doc="JSON list of the additional field names, in file order"),
)
"""Every refset with members in this version (language refsets included), with its additional fields."""

closure = Table(
    "closure", snomed,
    Column("ancestor_id", SCTID, primary_key=True, autoincrement=False),
    Column("descendant_id", SCTID, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)
"""Transitive is-a closure over active inferred relationships; self pairs are not stored."""

concept_term = Table(
    "concept_term", snomed,
    Column("concept_id", SCTID, primary_key=True, autoincrement=False),
    Column("refset_id", SCTID, primary_key=True, autoincrement=False),
    Column("description_id", SCTID, nullable=False),
    Column("term", Text, nullable=False),
    sqlite_with_rowid=False,
)
"""The preferred synonym of each concept per language refset; ``refset_id = 0`` holds the FSN."""

version_meta = Table(
    "version_meta", snomed,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Secondary indexes, created after the bulk load (building them on sorted data is much faster).
SNOMED_INDEXES = [
    Index("ix_description_concept", description.c.concept_id),
    Index("ix_language_description", language_member.c.description_id, language_member.c.refset_id),
    Index("ix_language_refset", language_member.c.refset_id),
    # Covering the attribute tests of ECL refinements, which probe a concept's relationships of a type.
    Index("ix_relationship_source", relationship.c.source_id, relationship.c.type_id,
          relationship.c.characteristic_type_id, relationship.c.destination_id, relationship.c.rel_group),
    Index("ix_relationship_destination", relationship.c.destination_id, relationship.c.type_id),
    Index("ix_concrete_source", concrete_value.c.source_id),
    # Covering ECL memberOf, which reads a refset's active members.
    Index("ix_refset_member_refset", refset_member.c.refset_id, refset_member.c.active,
          refset_member.c.referenced_component_id),
    Index("ix_refset_member_component", refset_member.c.referenced_component_id),
    Index("ix_closure_descendant", closure.c.descendant_id, closure.c.ancestor_id),
]
