"""The one configuration object (STYLE.md principle 14): typed, every field described.

Built at the edge (the CLI or ``create_app``) from arguments, environment variables prefixed ``VARDTERM_``
(e.g. ``VARDTERM_DATABASE_URL``) or a ``.env`` file, and passed in; never read at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VARDTERM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///data/vardterm.db",
        description="SQLAlchemy URL of the database: sqlite:///path/file.db (embedded default; each loaded "
                    "version is a file beside it) or postgresql+psycopg://user@host:5432/db (scale-out).",
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port the HTTP server listens on.")
    workers: int = Field(default_factory=lambda: default_workers(), ge=1, le=64,
                         description="Number of server worker processes (uvicorn --workers); default: one per "
                                     "core this process may run on, at most 8. They share no state, so any "
                                     "number works on PostgreSQL or SQLite.")
    public_base_url: str | None = Field(
        default=None, description="The externally visible base URL (e.g. https://tx.example.se); used in "
                                  "CapabilityStatement.implementation.url. Default: derived from each request.")
    default_language: str = Field(
        default="en",
        description="Language for displays when a request names none (a BCP 47 tag such as en, sv or "
                    "sv-x-46011000052107).")
    snomed_map_targets: dict[str, str] = Field(
        default_factory=dict,
        description="Target code systems of SNOMED CT map refsets, by refset id, as JSON, e.g. "
                    '{"99900121000052102": "urn:oid:1.2.752.116.1.1.1.1.3"}; used by $translate with the implicit '
                    "map http://snomed.info/sct?fhir_cm=<refset id> (SNOMED International's own maps are known).")
    default_snomed_edition: str | None = Field(
        default=None,
        description="Module id of the SNOMED CT edition used when a request names no version (e.g. "
                    "45991000052106 for the Swedish edition). Default: International if loaded, else the "
                    "newest loaded edition.")
    max_expansion_size: int = Field(
        default=100_000, ge=1,
        description="Largest expansion returned without paging; bigger value sets need count/offset and are "
                    "otherwise refused as too costly. A request can lower it with X-TOO-COSTLY-THRESHOLD.")
    ecl_time_budget_ms: int = Field(
        default=10_000, ge=0,
        description="Time budget (milliseconds) of each database statement that evaluates an ECL expression "
                    "($expand / $validate-code of fhir_vs=ecl/..., compose filters, vardterm ecl) or a text "
                    "filter ($expand filter, care search text), and of the care search's statements; a statement "
                    "that runs longer is stopped and answered too-costly. 0 turns the budget off.")
    ecl_max_operations: int = Field(
        default=1_000, ge=1,
        description="Most constructs (operators, concept references, attributes, filters) in one ECL "
                    "expression; a bigger expression is refused as too costly before anything runs.")
    ecl_max_length: int = Field(
        default=10_000, ge=1,
        description="Longest ECL expression text in characters; a longer one is refused as too costly "
                    "before it is parsed.")
    read_database_url: str | None = Field(
        default=None,
        description="A PostgreSQL read replica of the database. On a read-only node every read goes there; on "
                    "the writer the terminology reads (catalog of versions, SNOMED CT storages) go there and "
                    "writes, resources, accounts and the care directory stay on VARDTERM_DATABASE_URL.")
    read_only: bool = Field(
        default=False,
        description="This node only reads: every write (REST create/update/delete, transactions, web forms) "
                    "is answered 405 with an OperationOutcome naming VARDTERM_WRITER_URL, the database "
                    "connections are read-only, and the command line refuses to load or change data.")
    writer_url: str | None = Field(
        default=None,
        description="Base URL of the writable node (e.g. https://tx-writer.region.se), named in the answer a "
                    "read-only node gives to a write.")
    catalog_refresh_seconds: float = Field(
        default=1.0, ge=0, le=60,
        description="How often (seconds) a worker checks the database for changes made by other nodes and "
                    "processes: newly published or removed versions, stored resources, the care directory. "
                    "A write on one node is seen by every other node within this bound.")
    retire_after_seconds: float = Field(
        default=10.0, ge=0,
        description="How long 'vardterm load' waits before deleting the storage of a version it replaced (and "
                    "'vardterm remove' before deleting a removed one), so that every node has switched and "
                    "finished its running requests first: more than VARDTERM_CATALOG_REFRESH_SECONDS plus the "
                    "longest request.")
    db_pool_size: int = Field(default=8, ge=1, le=256,
                              description="Database connections kept per worker and per loaded version.")
    log_level: str = Field(default="INFO", description="Python logging level: DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: readable lines; json: one JSON object per line (time, level, logger, message, "
                    "request_id, and for request lines method, route, path, status, duration_ms, user, "
                    "region, channel), for log collectors.")
    access_log: bool = Field(
        default=False,
        description="Log one line per HTTP request (method, route, status, duration, user or key, region, "
                    "request id); never query strings, bodies, passwords or tokens.")
    metrics: bool = Field(
        default=True,
        description="Collect Prometheus metrics (request counts and latency per route and status, database "
                    "pools, cache hit rates, loaded versions) and serve them at /metrics.")
    metrics_public: bool = Field(
        default=False,
        description="Let anonymous callers read /metrics. Default: /metrics needs credentials (an API key or "
                    "token of any role); use VARDTERM_METRICS_PORT to scrape without them.")
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="Also serve the metrics, without credentials, on this port (on VARDTERM_HOST), summed over "
                    "every worker of the node: for a scraper inside the cluster, with the port not published.")
    ready_needs_edition: bool = Field(
        default=True,
        description="Whether /health/ready reports not ready until a SNOMED CT edition is loaded (the default "
                    "edition, when VARDTERM_DEFAULT_SNOMED_EDITION names one). false for a server of FHIR "
                    "resources only.")
    open_terminology_reads: bool = Field(
        default=True,
        description="Whether the FHIR terminology reads ($lookup, $validate-code, $expand, $translate, reads "
                    "and searches of CodeSystem/ValueSet/ConceptMap) need no login. Writes always need a role.")
    auth_jwt_issuer: str | None = Field(
        default=None, description="OIDC issuer whose bearer tokens are accepted (the iss claim must equal it).")
    auth_jwt_audience: str | None = Field(
        default=None, description="Audience the bearer tokens must be issued for (the aud claim).")
    auth_jwks_url: str | None = Field(
        default=None, description="JWKS URL of the issuer, to check token signatures (fetched and cached).")
    auth_jwt_public_key: str | None = Field(
        default=None, description="A fixed PEM public key to check token signatures instead of a JWKS URL "
                                  "(closed installations and tests).")
    auth_roles_claim: str = Field(
        default="roles", description="Token claim holding the user's roles (a list or a space-separated string) "
                                     "among vardlots, avtalsadmin, informatiker, admin.")
    auth_region_claim: str = Field(default="region",
                                   description="Token claim holding the user's region (län code).")
    session_secret: str | None = Field(
        default=None, description="Secret key that signs the web app's session cookies (at least 32 characters). "
                                  "Default: a random key per 'vardterm serve', shared by its workers, so sessions "
                                  "end when the server restarts; set it, the same on every node, when running "
                                  "several hosts.")
    session_max_age_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60,
                                         description="How long a web login lasts (minutes) before the user must log "
                                                     "in again.")
    map_tile_url: str | None = Field(
        default=None,
        description="Map tiles under the Sök page's map, as a Leaflet URL template "
                    "(https://tiles.example/{z}/{x}/{y}.png). Default none: the map draws Sweden's län from a file "
                    "the server ships, and the browser fetches nothing from elsewhere.")
    map_tile_attribution: str = Field(
        default="", description="The attribution text the tile server's terms ask for, shown on the map.")

    release_needs_review: bool = Field(
        default=True,
        description="Whether releasing a draft code system, value set or concept map ($release, the Släpp button) "
                    "needs a second person: an informatiker or admin other than the one who last changed it. Turn "
                    "it off only where one person maintains the code lists.")
    rf2_namespace: str | None = Field(
        default=None,
        description="SNOMED CT namespace identifier (7 digits, e.g. 1000052) of the organisation that exports "
                    "value sets as RF2 simple reference sets; the refset and member ids are made in it. Without it "
                    "the RF2 export is refused.")
    rf2_module_id: str | None = Field(
        default=None,
        description="SCTID of the module the exported RF2 refset rows belong to (default: a module id made in "
                    "VARDTERM_RF2_NAMESPACE).")
    canonical_base: str = Field(
        default="https://vardterm.example/fhir",
        description="Base of the canonical URLs the web pages suggest for new code systems, value sets and maps "
                    "(<base>/ValueSet/<name>); use the organisation's own address.")

    login_max_failures: int = Field(
        default=5, ge=1,
        description="Failed logins of one account within VARDTERM_LOGIN_THROTTLE_MINUTES after which its logins "
                    "are refused (429 with Retry-After) until the oldest failure is older than that.")
    login_max_failures_per_address: int = Field(
        default=20, ge=1,
        description="Failed logins from one client address (whatever the account) within "
                    "VARDTERM_LOGIN_THROTTLE_MINUTES after which logins from it are refused the same way.")
    login_throttle_minutes: float = Field(
        default=15.0, gt=0, description="The window of the login throttle (minutes).")
    answer_cache_mb: float = Field(
        default=32.0, ge=0, le=4096,
        description="Memory per worker (MiB) for rendered answers to GET requests of SNOMED CT $lookup, "
                    "$validate-code and $subsumes (and ValueSet/$validate-code in SNOMED CT implicit value sets), "
                    "reused for the same request until the terminology changes; 0 turns it off.")
    max_request_body_mb: float = Field(
        default=8.0, ge=0,
        description="Largest request body accepted (MiB); a bigger one is refused with 413 before it is read. "
                    "Big Bundles and files go through the command line (vardterm load, vardterm care load) or a "
                    "raised limit. 0 turns the limit off.")
    shutdown_timeout_seconds: float = Field(
        default=30.0, ge=0,
        description="On SIGTERM or Ctrl-C, how long running requests may still take (seconds) before they are "
                    "cancelled and the database connections are closed.")
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or networks of reverse proxies (e.g. 10.0.0.5,192.168.1.0/24) "
                    "whose X-Forwarded-Proto and X-Forwarded-For headers are believed; from any other client "
                    "these headers are ignored. Empty: no proxy is trusted.")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, v: str) -> str:
        import ipaddress

        for part in v.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError names the bad one
        return v

    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxy addresses and networks."""
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return v

    def ecl_limits(self):
        """The ECL cost limits these settings give (``terminology.EclLimits``)."""
        import terminology

        return terminology.EclLimits(max_length=self.ecl_max_length, max_operations=self.ecl_max_operations,
                                     time_budget_ms=self.ecl_time_budget_ms or None,
                                     max_result=self.max_expansion_size)

    def sqlite_path(self) -> Path | None:
        """The database file for a SQLite URL, else None."""
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url[len("sqlite:///"):])
        return None


def default_workers() -> int:
    """One worker process per core the server may run on (``sched_getaffinity``: a container's CPU set), at
    most 8: a worker answers on one core at a time (the GIL), so one worker leaves the other cores idle under
    concurrent clients (README "Speed")."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))
