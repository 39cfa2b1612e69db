"""The ``vardterm`` command line: one click group; each command is a few lines calling library functions.

Every command has ``--help``; domain errors become a one-line message and exit status 1 (never a trace).
The database comes from ``--database-url`` or ``VARDTERM_DATABASE_URL`` (default: ``data/vardterm.db``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

import click

from api import logs, metrics as api_metrics
from api.settings import Settings
from terminology import ROLES, Accounts, Database

from . import care_cli, expression_cli, map_cli, release_cli
from .clierrors import domain_errors
from .progress import Progress

log = logging.getLogger("vardterm")

REPO = Path(__file__).resolve().parents[1]
DEMO_RF2 = REPO / "tests" / "data" / "mini"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--database-url", envvar="VARDTERM_DATABASE_URL", default=None,
              help="Database URL: sqlite:///path/vardterm.db (default data/vardterm.db) or "
                   "postgresql+psycopg://user@host:5432/db.")
@click.option("--log-level", envvar="VARDTERM_LOG_LEVEL", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much to log.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, log_level: str) -> None:
    """vardterm: a FHIR terminology server for SNOMED CT and Swedish code systems.

    \b
    Start the demo (SQLite, demo data, server on http://127.0.0.1:8080/fhir/r4):
        vardterm demo
    Load a SNOMED CT release and serve it:
        vardterm load rf2 SnomedCT_InternationalRF2_PRODUCTION_20250701T120000Z.zip
        vardterm serve
    """
    overrides = {"log_level": log_level}
    if database_url:
        overrides["database_url"] = database_url
    ctx.obj = Settings(**overrides)
    logs.configure(ctx.obj.log_level, ctx.obj.log_format)


def _db(settings: Settings, *, write: bool = True) -> Database:
    """The settings' database: created when new (``write``), else checked to be at this program's revision.
    A read-only node (``VARDTERM_READ_ONLY``) may not write at all."""
    if write and settings.read_only:
        raise click.ClickException(
            "this node is read-only (VARDTERM_READ_ONLY): load and change data on the writable node"
            + (f" ({settings.writer_url})" if settings.writer_url else ""))
    db = Database(settings.database_url, pool_size=settings.db_pool_size, read_only=settings.read_only)
    if write:
        db.initialise()
    else:
        db.check()
    return db


def _terminology_changed(settings: Settings) -> None:
    """After a load or removal: the membership index of the active value sets follows the terminology."""
    from .loading import refresh_memberships

    refresh_memberships(_db(settings), default_edition=settings.default_snomed_edition,
                        max_expansion=settings.max_expansion_size)


@main.command()
@click.pass_obj
@domain_errors
def init(settings: Settings) -> None:
    """Create the database (every shared table, at the current schema revision) if it does not exist yet;
    an existing database is only checked (upgrade one with 'vardterm db upgrade')."""
    db = _db(settings)
    care_cli.open_directory(settings)
    click.echo(f"Database ready: {db.describe()} (schema revision {db.schema_revision()})")


@main.group("db")
def db_group() -> None:
    """The database schema: upgrade it for this version of vardterm, or see where it stands.

    \b
    Upgrading vardterm: stop the writer (read-only nodes may keep serving the old
    version until the schema changes under them), install the new version, then:
        vardterm db upgrade
    and start the nodes of the new version. A server refuses a database at another revision.
    """


@db_group.command("upgrade")
@click.pass_obj
@domain_errors
def db_upgrade(settings: Settings) -> None:
    """Run the schema migrations up to this program's revision (an empty database is created)."""
    if settings.read_only:
        raise click.ClickException("this node is read-only (VARDTERM_READ_ONLY): run 'vardterm db upgrade' with "
                                   "the writable database")
    db = Database(settings.database_url, pool_size=1)
    before, after = db.upgrade()
    if before == after:
        click.echo(f"{db.describe()} is at schema revision {after}: nothing to do")
    else:
        click.echo(f"Upgraded {db.describe()} from schema revision {before or '(none)'} to {after}")
    _report_storages(db)


@db_group.command("current")
@click.pass_obj
@domain_errors
def db_current(settings: Settings) -> None:
    """Show the database's schema revision, the one this program needs, and loaded versions whose storage
    format is out of date (exit status 1 when anything needs doing)."""
    from terminology import SCHEMA_REVISION

    db = Database(settings.database_url, pool_size=1, read_only=settings.read_only)
    found = db.schema_revision()
    click.echo(f"Database:        {db.describe()}")
    click.echo(f"Schema revision: {found or '(none)'}")
    click.echo(f"This program:    {SCHEMA_REVISION}")
    if found != SCHEMA_REVISION:
        raise click.ClickException("the schema is not current: run 'vardterm db upgrade'")
    if _report_storages(db):
        raise click.ClickException("some loaded versions must be loaded again")
    click.echo("Up to date.")


def _report_storages(db: Database) -> list[str]:
    problems = db.storage_problems()
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    return problems


@main.group()
def load() -> None:
    """Load terminology into the database (a new version becomes visible only when complete)."""


@load.command("rf2")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--full", "release_type", flag_value="Full", help="Read the Full files (default: Snapshot).")
@click.option("--as-of", metavar="YYYYMMDD", help="With --full: the snapshot date (default: the newest date).")
@click.option("--edition-module", metavar="SCTID", help="Override the edition module found in the data.")
@click.option("--version-date", metavar="YYYYMMDD", help="Override the version date (default: the package date).")
@click.option("--experimental", is_flag=True, help="Publish under http://snomed.info/xsct/ (unpublished content).")
@click.pass_obj
@domain_errors
def load_rf2_command(settings: Settings, sources: tuple[Path, ...], release_type: str | None, as_of: str | None,
                     edition_module: str | None, version_date: str | None, experimental: bool) -> None:
    """Load a SNOMED CT edition from RF2 packages (zips or folders).

    Give the International release and any extensions together; they are merged into one edition,
    named by the most dependent module, e.g.:

    \b
        vardterm load rf2 SnomedCT_InternationalRF2_PRODUCTION_20240801T120000Z.zip \\
                          SnomedCT_ManagedServiceSE_PRODUCTION_SE1000052_20241130T120000Z.zip
    """
    from .loading import load_rf2

    db = _db(settings)
    progress = Progress("load")
    version = load_rf2(db, sources, release_type=release_type, as_of=as_of, edition_module=edition_module,
                       version_date=version_date, experimental=experimental, progress=progress,
                       retire_after=settings.retire_after_seconds)
    s = version.stats
    progress.done(f"Loaded {version.version}: {s['active_concepts']:,} active concepts of {s['concepts']:,}, "
                  f"{s['descriptions']:,} descriptions, {s['closure_pairs']:,} closure pairs")
    _terminology_changed(settings)
    click.echo(_default_edition_note(db, settings, version.module_id))


def _default_edition_note(db: Database, settings: Settings, loaded_module: str | None) -> str:
    """Which SNOMED CT version answers requests that name none, and how to pin one (after every load: a new
    International edition becomes that default at once)."""
    from terminology import TerminologyService

    default = TerminologyService(db, default_edition=settings.default_snomed_edition,
                                 refresh_seconds=0).default_version()
    pinned = settings.default_snomed_edition
    why = (f"pinned by VARDTERM_DEFAULT_SNOMED_EDITION={pinned}" if pinned else
           "VARDTERM_DEFAULT_SNOMED_EDITION is not set: the International edition if loaded, else the newest")
    return (f"Requests without a SNOMED CT version now use {default} ({why}).\n"
            f"To pin the default edition, set VARDTERM_DEFAULT_SNOMED_EDITION to its module id, e.g. "
            f"VARDTERM_DEFAULT_SNOMED_EDITION={loaded_module or pinned or '45991000052106'}; servers pick up "
            "newly loaded versions within VARDTERM_CATALOG_REFRESH_SECONDS.")


@load.command("fhir")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--fhir-version", default="4.0.1", show_default=True,
              help="FHIR version of loose JSON files (an NPM package declares its own).")
@click.pass_obj
@domain_errors
def load_fhir_command(settings: Settings, sources: tuple[Path, ...], fhir_version: str) -> None:
    """Load FHIR CodeSystem, ValueSet and ConceptMap resources from JSON files, folders, Bundles or NPM
    packages (.tgz). All or nothing: one bad resource stops the load and nothing is stored.

    \b
        vardterm load fhir hl7.terminology.r4-6.2.0.tgz
        vardterm load fhir my-value-sets/
    """
    from .loading import load_fhir

    saved = load_fhir(_db(settings), sources, fhir_version=fhir_version)
    created = sum(1 for s in saved if s.created)
    click.echo(f"Loaded {len(saved)} resource(s): {created} new, {len(saved) - created} updated")
    _terminology_changed(settings)


# --- national code systems and concept maps (scripts/national.py) ---------------------------------------

def _content_option(fn):
    return click.option("--content", type=click.Choice(["complete", "fragment"]), default="complete",
                        show_default=True, help="fragment for an excerpt: codes outside it are then not "
                                                "reported as invalid.")(fn)


def _report_loaded(settings: Settings, loaded) -> None:
    what = "mappings" if (loaded.saved.resource or {}).get("resourceType") == "ConceptMap" else "concepts"
    _terminology_changed(settings)
    state = "new" if loaded.saved.created else f"replaced, versionId {loaded.saved.version_id}"
    click.echo(f"Loaded {loaded.label}: {loaded.concepts:,} {what} in {loaded.seconds:.2f} s ({state})")


@load.command("kva")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--version", "version", required=True, help="Business version, e.g. 2021.")
@_content_option
@click.pass_obj
@domain_errors
def load_kva_command(settings: Settings, sources: tuple[Path, ...], version: str, content: str) -> None:
    """Load KVÅ (KKÅ + KMÅ) from Socialstyrelsen's text files (kodtextfiler): one joined file, the
    level1..level4.txt files, or folders holding them (e.g. kka/ and kma/). System urn:oid:1.2.752.116.1.3.2.1.4.

    \b
        vardterm load kva --version 2021 kka-2021-text/ kma-2021-text/
    """
    from .national import load_kva

    _report_loaded(settings, load_kva(_db(settings), list(sources), version=version, content=content))


@load.command("icd10se")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--version", "version", required=True, help="Business version, e.g. 2021.")
@_content_option
@click.pass_obj
@domain_errors
def load_icd10se_command(settings: Settings, sources: tuple[Path, ...], version: str, content: str) -> None:
    """Load ICD-10-SE from Socialstyrelsen's text files (chapter.txt, block.txt, digit3..digit5.txt, a folder
    of them, or one joined file). System urn:oid:1.2.752.116.1.1.1.1.3.

    \b
        vardterm load icd10se --version 2021 icd10se-2021-text/
    """
    from .national import load_icd10se

    _report_loaded(settings, load_icd10se(_db(settings), list(sources), version=version, content=content))


@load.command("claml")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--system", help="Canonical URL (default: urn:oid: + the file's Identifier uid).")
@click.option("--version", "version", help="Business version (default: the file's Title version).")
@click.option("--grouping-kind", "grouping_kinds", multiple=True,
              help="Class kinds that only group codes (notSelectable); default chapter, block, section. Repeat.")
@_content_option
@click.pass_obj
@domain_errors
def load_claml_command(settings: Settings, source: Path, system: str | None, version: str | None,
                       grouping_kinds: tuple[str, ...], content: str) -> None:
    """Load a classification from a ClaML 2.0 XML file (KVÅ and ICD-10-SE are published as ClaML), read
    in streaming mode: classes, kinds, super/subclasses, rubrics per language, modifiers.

    \b
        vardterm load claml KKA_2021.xml --grouping-kind chapter --grouping-kind section \\
                                         --grouping-kind category
    """
    from codesystems.claml import DEFAULT_GROUPING_KINDS

    from .national import load_claml

    _report_loaded(settings, load_claml(_db(settings), source, system=system, version=version, content=content,
                              grouping_kinds=grouping_kinds or DEFAULT_GROUPING_KINDS))


@load.command("csv")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--preset", type=click.Choice(["verksamhetskod", "vard-och-omsorgsform", "mvo"]),
              help="A known code list: its columns, URL, OID and names.")
@click.option("--mapping", help="Columns, e.g. code=kod,display=namn,parent=grupp,synonym=alt,"
                                "designation.en=name,property.x=col,ignore=comment.")
@click.option("--system", help="Canonical URL (required without a preset that has one).")
@click.option("--version", "version", required=True, help="Business version.")
@click.option("--name", help="Computable name of the code system (default from the title or file name).")
@click.option("--title", help="Title of the code system.")
@_content_option
@click.pass_obj
@domain_errors
def load_csv_command(settings: Settings, source: Path, preset: str | None, mapping: str | None,
                     system: str | None, version: str, name: str | None, title: str | None, content: str) -> None:
    """Load a code list from a CSV file with a declared column mapping or a preset (HSA verksamhetskod,
    vård- och omsorgsform, MVO). Every column must be mapped or ignored.

    \b
        vardterm load csv verksamhetskod.csv --preset verksamhetskod --version 5.2
        vardterm load csv list.csv --mapping code=kod,display=namn --system https://ex.se/cs --version 1
    """
    from .national import load_csv

    _report_loaded(settings, load_csv(_db(settings), source, preset=preset, mapping=mapping, system=system,
                            version=version, name=name, title=title, content=content))


@load.command("skos")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--system", help="Canonical URL (default: the concept scheme's IRI).")
@click.option("--version", "version", help="Business version (default: the scheme's owl:versionInfo).")
@click.option("--format", "fmt", type=click.Choice(["turtle", "xml", "json-ld", "nt"]),
              help="RDF syntax (default: from the file extension).")
@click.option("--scheme", help="IRI of the concept scheme to read, when the file has several.")
@click.option("--language", default="sv", show_default=True, help="Language of the displays.")
@_content_option
@click.pass_obj
@domain_errors
def load_skos_command(settings: Settings, source: Path, system: str | None, version: str | None,
                      fmt: str | None, scheme: str | None, language: str, content: str) -> None:
    """Load a SKOS vocabulary (Turtle, RDF/XML or JSON-LD) as a code system: notations as codes,
    prefLabel/altLabel per language, broader/narrower as the hierarchy.

    \b
        vardterm load skos vocabulary.ttl --version 1.0
    """
    from .national import load_skos

    _report_loaded(settings, load_skos(_db(settings), source, system=system, version=version, fmt=fmt,
                                       scheme=scheme, language=language, content=content))


@load.command("conceptmap-csv")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="Canonical URL of the ConceptMap.")
@click.option("--version", "version", help="Business version of the ConceptMap.")
@click.option("--source", "source_system", help="Source code system (url or url|version), unless the file "
                                                "has a source_system column.")
@click.option("--target", "target_system", help="Target code system (url or url|version), unless the file "
                                                "has a target_system column.")
@click.option("--name", help="Computable name (default from the title or file name).")
@click.option("--title", help="Title of the ConceptMap.")
@click.option("--source-scope", help="sourceScopeUri (e.g. a value set URL).")
@click.option("--target-scope", help="targetScopeUri.")
@click.pass_obj
@domain_errors
def load_conceptmap_csv_command(settings: Settings, source: Path, url: str, version: str | None,
                                source_system: str | None, target_system: str | None, name: str | None,
                                title: str | None, source_scope: str | None, target_scope: str | None) -> None:
    """Load a ConceptMap from CSV: columns source_code, target_code, relationship (R5 or R4 codes), and
    optional source_display, target_display, comment, source_system, target_system.

    \b
        vardterm load conceptmap-csv kva-to-sct.csv --url https://ex.se/cm/kva-sct --version 1 \\
            --source urn:oid:1.2.752.116.1.3.2.1.4 --target http://snomed.info/sct
    """
    from .national import load_conceptmap_csv

    _report_loaded(settings, load_conceptmap_csv(_db(settings), source, url=url, version=version,
                                                 source=source_system, target=target_system, name=name,
                                                 title=title, source_scope=source_scope, target_scope=target_scope))


@main.command()
@click.pass_obj
@domain_errors
def versions(settings: Settings) -> None:
    """List the loaded code system versions, the default one, and what failed or interrupted loads left."""
    db = _db(settings, write=False)
    rows = db.versions()
    leftovers = db.versions(statuses=("loading", "failed", "replaced"))
    if not rows and not leftovers:
        click.echo("Nothing loaded yet. Try: vardterm demo, or vardterm load rf2 <release>")
        return
    for v in rows:
        s = v.stats
        click.echo(f"{v.version}\n    {v.title}; loaded {v.loaded_at}; {s.get('active_concepts', 0):,} active "
                   f"concepts; {_size(db.storage_size(v.storage))}; load took "
                   f"{s.get('seconds', {}).get('total', '?')} s")
    if rows:
        click.echo(_default_edition_note(db, settings, None).splitlines()[0])
    if not leftovers:
        return
    click.echo("\nNot serving (left by loads that did not finish):")
    for v in leftovers:
        click.echo(f"  {_load_state(db, v)}: {v.title} ({v.version}), started {v.loaded_at}, "
                   f"{_size(db.storage_size(v.storage))} on disk")
    click.echo("'vardterm gc' removes them and frees the space (not while a load is running).")


def _load_state(db: Database, v) -> str:
    if v.status == "failed":
        return f"failed ({str(v.stats.get('error', 'no reason recorded')).splitlines()[0][:200]})"
    if v.status == "replaced":
        return "replaced by a newer load of the same version"
    running = db.load_running(v)
    return {True: "loading now", False: "interrupted (the loading process is gone)",
            None: "loading, or interrupted on another host"}[running]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:,.0f} KiB"


@main.command()
@click.argument("version")
@click.pass_obj
@domain_errors
def remove(settings: Settings, version: str) -> None:
    """Take a loaded version out of service and delete it (give its version URI)."""
    db = _db(settings)
    matches = [v for v in db.versions() if v.version == version]
    if not matches:
        raise click.ClickException(f"no loaded version {version}; see 'vardterm versions'")
    for v in matches:
        db.remove(v.key, retire_after=settings.retire_after_seconds)
    _terminology_changed(settings)
    click.echo(f"Removed {version}")


@main.command()
@click.pass_obj
@domain_errors
def gc(settings: Settings) -> None:
    """Delete what failed, replaced or interrupted loads left behind. Do not run it during a load."""
    n = _db(settings).forget_stale()
    click.echo(f"Removed {n} stale version(s)")


def _serve_options(fn):
    fn = click.option("--host", help="Address to bind (default 127.0.0.1).")(fn)
    fn = click.option("--port", type=int, help="Port (default 8080).")(fn)
    fn = click.option("--workers", type=int, help="Worker processes (default: one per core, at most 8).")(fn)
    return fn


def _run_server(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    import uvicorn

    values = settings.model_dump()
    values.update({k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None})
    # One session key for every worker of this server (a random one each would break web logins between them).
    values["session_secret"] = settings.session_secret or secrets.token_urlsafe(32)
    settings = Settings(**values)
    db = Database(settings.database_url, read_url=settings.read_database_url, read_only=settings.read_only,
                  pool_size=1)
    db.check()
    problems = db.storage_problems()
    db.dispose()
    if problems:
        raise click.ClickException("these loaded versions were built by another version of vardterm; load them "
                                   "again (or 'vardterm remove' them): " + "; ".join(problems))
    for name, value in settings.model_dump().items():
        if value is not None:
            os.environ[f"VARDTERM_{name.upper()}"] = json.dumps(value) if isinstance(value, dict) else str(value)
    metrics_dir = None
    if settings.metrics and settings.workers > 1 and not os.environ.get(api_metrics.MULTIPROC_ENV):
        metrics_dir = tempfile.mkdtemp(prefix="vardterm-metrics-")
        os.environ[api_metrics.MULTIPROC_ENV] = metrics_dir
    if settings.metrics and settings.metrics_port:
        api_metrics.serve_port(settings.metrics_port, settings.host)
    click.echo(f"Serving FHIR R4 at http://{settings.host}:{settings.port}/fhir/r4 (alias /fhir), "
               f"R5 at /fhir/r5, API docs at /docs" + (" (read-only node)" if settings.read_only else ""))
    try:
        # A new worker imports the whole server before it answers the supervisor's health check; on a busy
        # machine that takes longer than uvicorn's default 5 s, and the worker would be killed and restarted.
        # Forwarded headers are the app's to judge (VARDTERM_TRUSTED_PROXIES), not uvicorn's default of trusting
        # 127.0.0.1; on SIGTERM running requests get VARDTERM_SHUTDOWN_TIMEOUT_SECONDS, then they are cancelled.
        uvicorn.run("scripts.serve:app", factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers, log_config=logs.uvicorn_log_config(settings.log_level),
                    access_log=False, proxy_headers=False, server_header=False,
                    timeout_graceful_shutdown=settings.shutdown_timeout_seconds, timeout_worker_healthcheck=60)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@main.command()
@click.argument("what", type=click.Choice(["ready", "live"]), default="ready")
@click.option("--url", metavar="URL", help="Base URL of the server (default: http://127.0.0.1:<VARDTERM_PORT>).")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for the answer.")
@click.pass_obj
def probe(settings: Settings, what: str, url: str | None, timeout: float) -> None:
    """Ask a running server whether it is ready (or live): exit status 0 if so, 1 with the reason if not.

    The container's HEALTHCHECK; the same as a Kubernetes probe of /health/ready (/health/live).

    \b
        vardterm probe ready
        vardterm probe live --url http://10.0.0.7:8080
    """
    import urllib.error
    import urllib.request

    base = url or f"http://127.0.0.1:{settings.port}"
    try:
        with urllib.request.urlopen(f"{base.rstrip('/')}/health/{what}", timeout=timeout) as answer:
            click.echo(f"{what}: {answer.read().decode()}")
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"not {what}: HTTP {exc.code} {exc.read().decode(errors='replace')}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"not {what}: no answer from {base} ({getattr(exc, 'reason', exc)})") from None


@main.command()
@_serve_options
@click.pass_obj
@domain_errors
def serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    """Start the FHIR server on the database (it must have been initialised or loaded)."""
    _run_server(settings, host, port, workers)


def _demo_national(db: Database, settings: Settings) -> Settings:
    """The demo's national code systems (KVÅ, ICD-10-SE, HSA lists as excerpts) and example ConceptMaps; the
    settings it returns know the target system of the demo's SNOMED CT map refset (ICD-10-SE)."""
    from .national import DEMO_MAP_TARGETS, demo_loaded, load_demo_national

    if not demo_loaded(db):
        for loaded in load_demo_national(db):
            log.info("demo: loaded %s", loaded.label)
    click.echo("Loaded: KVÅ, ICD-10-SE, HSA verksamhetskod and vård- och omsorgsform (excerpts) and the "
               "example ConceptMaps SNOMED CT -> KVÅ and ICD-10-SE -> SNOMED CT")
    return settings.model_copy(update={"snomed_map_targets": {**DEMO_MAP_TARGETS, **settings.snomed_map_targets}})


def _demo_codelists(db: Database, settings: Settings) -> None:
    """The demo's value sets and local code system (draft and active versions), and the membership index."""
    from terminology import TerminologyService

    from .demo_codelists import ensure_demo_codelists
    from .demo_mapping import ensure_demo_mapping

    service = TerminologyService(db, default_edition=settings.default_snomed_edition, refresh_seconds=0)
    if ensure_demo_codelists(db, service):
        click.echo("Stored the demo code lists: value sets and a local code system in draft and active versions")
    if ensure_demo_mapping(service):
        click.echo("Started the demo mapping project: 50 local service terms -> SNOMED CT (10 rows reviewed)")
    _terminology_changed(settings)


def _demo_release(db: Database, settings: Settings) -> None:
    """The demo's previous SNOMED CT release and KVÅ version and what was registered under them (``vardterm
    release impact``)."""
    from .demo_release import (PREVIOUS_KVA, PREVIOUS_VERSION, ensure_previous_kva, ensure_previous_release,
                               ensure_release_findings)
    from .loading import load_rf2

    if ensure_previous_release(db, load_rf2):
        click.echo(f"Loaded the previous release {PREVIOUS_VERSION} (the fixture's Full files as of that date)")
    if ensure_previous_kva(db):
        click.echo(f"Loaded the previous KVÅ version {PREVIOUS_KVA} (the project's made-up excerpt)")
    directory = care_cli.open_directory(settings)
    if ensure_release_findings(directory.service, directory):
        click.echo("Stored what was registered before the release: a value set, a map and a service")
    directory.db.dispose()
    _terminology_changed(settings)


@main.command()
@_serve_options
@click.option("--no-serve", is_flag=True, help="Only prepare the database, do not start the server.")
@click.pass_obj
@domain_errors
def demo(settings: Settings, host: str | None, port: int | None, workers: int | None, no_serve: bool) -> None:
    """The embedded default: SQLite database with the demo data loaded, server on 127.0.0.1:8080.

    The demo data is the project's hand-made SNOMED CT fixture (real concept ids, our own English and
    Swedish labels), merged as an International release plus a Swedish extension, and excerpts of KVÅ,
    ICD-10-SE and the HSA code lists with example ConceptMaps, demo value sets and a local code system in draft
    and active versions. It is loaded once; later runs reuse the database. The generated care directory's dates
    are relative to the day it is made: a run on a later day makes it again for that day, keeping the records
    users changed.
    """
    from .loading import load_rf2

    db = _db(settings)
    if not db.versions():
        progress = Progress("demo")
        version = load_rf2(db, [DEMO_RF2], progress=progress)
        progress.done(f"Loaded the demo data as {version.version}")
    care_cli.ensure_demo_directory(settings)
    for v in db.versions():
        click.echo(f"Loaded: {v.version} ({v.title})")
    settings = _demo_national(db, settings)
    _demo_codelists(db, settings)
    _demo_release(db, settings)
    if not settings.rf2_namespace:  # the demo exports refsets in the Swedish namespace of its fixture
        settings = settings.model_copy(update={"rf2_namespace": "1000052"})
    if not no_serve:
        _run_server(settings, host, port, workers)


def _scale(value: str) -> str | int:
    if value in ("ci", "intl"):
        return value
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise click.BadParameter("use ci, intl or a number of active concepts")


@main.group()
def synth() -> None:
    """Synthetic SNOMED CT RF2 releases shaped like the real ones (for tests, demos and benchmarks)."""


@synth.command("generate")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scale", default="ci", show_default=True, help="ci (~3,700 active concepts), intl (~370,000) "
              "or a number of active concepts.")
@click.option("--seed", default=42, show_default=True, help="Random seed; the same seed gives the same files.")
@click.option("--extension/--no-extension", default=False, show_default=True,
              help="Also write a Swedish-style extension package.")
@click.option("--versions", type=click.IntRange(1, 2), default=1, show_default=True,
              help="2 also writes the previous version (for history and Delta tests).")
@click.option("--full/--no-full", default=True, show_default=True, help="Write Full files beside Snapshot.")
@click.option("--zip", "zip_", is_flag=True, help="Also zip each package.")
@domain_errors
def synth_generate(out: Path, scale: str, seed: int, extension: bool, versions: int, full: bool, zip_: bool) -> None:
    """Generate a synthetic release into OUT, with truth files (edges, closure, stats) for test oracles.

    \b
        vardterm synth generate --scale intl --extension /tmp/sct-intl
    """
    from .synth import SynthParams, generate

    progress = Progress("synth")
    result = generate(out, SynthParams(scale=_scale(scale), seed=seed, extension=extension, versions=versions,
                                       full=full, zip=zip_), progress)
    progress.done(f"Wrote {len(result.packages)} package(s) to {out}")


@synth.command("verify")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
def synth_verify(out: Path) -> None:
    """Check a generated release: each Snapshot re-derived from Full, and Full(V1) + Delta = Full(V2)."""
    from .synth import verify

    problems = verify(out)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found")
    click.echo("The release is consistent.")


@synth.command("kodtextfil")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--shape", type=click.Choice(["kva", "icd10se"]), default="kva", show_default=True,
              help="KVÅ level files (OUT/kka/level1..4.txt) or ICD-10-SE files (OUT/chapter.txt ... digit5.txt).")
@click.option("--codes", default=40_000, show_default=True, type=click.IntRange(1, 2_000_000),
              help="How many codes to write (lowest level for KVÅ; 3- to 5-character codes for ICD-10-SE).")
@click.option("--seed", default=42, show_default=True, help="Random seed; the same seed gives the same files.")
def synth_kodtextfil(out: Path, shape: str, codes: int, seed: int) -> None:
    """Write full-size kodtextfiler shaped like Socialstyrelsen's KVÅ or ICD-10-SE downloads (for load
    benchmarks); the texts are Swedish words that describe nothing real.

    \b
        vardterm synth kodtextfil --shape icd10se --codes 40000 /tmp/icd10se-synth
    """
    from .synth_codes import icd10se_shaped, kva_shaped

    stats = (kva_shaped if shape == "kva" else icd10se_shaped)(out, codes=codes, seed=seed)
    click.echo(f"Wrote {stats.codes:,} codes ({stats.rows:,} rows) in {len(stats.files)} files to {out}")


@main.command()
@click.option("--scale", default="ci", show_default=True, help="Synthetic data size: ci, intl or a number.")
@click.option("--backend", "backends", multiple=True, type=click.Choice(["sqlite", "postgresql"]),
              help="Stores to load into (default both); HTTP figures use SQLite when loaded.")
@click.option("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test", show_default=True,
              help="PostgreSQL server where a database vardterm_bench is (re)created.")
@click.option("--requests", default=2000, show_default=True, help="Requests per HTTP latency figure.")
@click.option("--concurrency", default=8, show_default=True, help="Concurrent clients for the throughput figure.")
@click.option("--workdir", default="/tmp/vardterm-bench", show_default=True, type=click.Path(path_type=Path),
              help="Where generated data and the benchmark databases go (reused between runs).")
@click.option("--out", default="bench-results", show_default=True, type=click.Path(path_type=Path),
              help="Folder for the JSON results.")
@click.option("--no-load", is_flag=True,
              help="Reuse the databases a previous run loaded in --workdir (no load figures).")
@click.option("--suite", type=click.Choice(["terminology", "care", "national", "resources", "codelists", "nodes",
                                                   "http", "expressions", "release", "mapping"]),
              default="terminology", show_default=True,
              help="care: the care search on care-50k over a 25,000-concept synthetic release (no "
                   "International-size load). national: load times of the national code systems (excerpts "
                   "and 40,000-code generated files) and $translate over HTTP. resources: $validate-code, "
                   "$lookup and $expand on a stored 10,000-concept CodeSystem over HTTP. codelists: the ECL "
                   "preview of the value set editor and ValueSet?code= with 1,000 stored value sets, on the "
                   "--scale edition (SQLite). nodes: $lookup and $validate-code throughput with 1, 2 and 4 server "
                   "processes on each backend, and with the metrics on and off (hey). http: throughput and "
                   "latency of the tx-benchmark SNOMED CT request shapes and issue 18's requests with wrk, "
                   "against vardterm serve started on --database-url or a running server (--url). expressions: "
                   "$validate-code of post-coordinated expressions over HTTP and their $subsumes in process, "
                   "on the SQLite database of --workdir (loaded at --scale unless --no-load). release: the release "
                   "diff of the synthetic V1 -> V2 pair at --scale and its impact on 1,000 stored value sets and "
                   "the care-50k directory (SQLite; the pair is loaded unless --no-load). "
                   "mapping: the mapping workbench's suggestions on the synthetic intl+se edition at --scale: top-1/top-5 accuracy on "
                   "the labelled set, time per row and a 5,000-row file (SQLite).")
@click.option("--database-url", "bench_database_url", metavar="URL",
              help="http: the database the started server uses (default: the group's --database-url, else the "
                   "demo database data/vardterm.db, built if missing). With --url: the running server's "
                   "database, where a temporary API key for test i's PUT is made (instead of --api-key).")
@click.option("--url", "server_url", metavar="URL",
              help="http: measure an already running server instead, e.g. http://127.0.0.1:8080.")
@click.option("--clients", default="1,10,50", show_default=True, metavar="N,N,...",
              help="http: client counts (concurrent keep-alive connections) to run each test at.")
@click.option("--seconds", type=click.IntRange(1, 3600), help="http: seconds per test and client count "
                                                              "[default: 10; 2 with --quick].")
@click.option("--tests", "test_ids", metavar="ID,ID,...",
              help="http: run only these tests, e.g. LK01,VC03,a,f (the generator's ceiling always runs).")
@click.option("--quick", is_flag=True, help="http: a smoke run: one client count (the first), 2 s a test, smaller "
                                           "pools, 20 answers of each pool checked.")
@click.option("--pools", "pools_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="http: reuse the pools file of an earlier run (exactly the same requests).")
@click.option("--api-key", envvar="VARDTERM_BENCH_API_KEY", metavar="KEY",
              help="http with --url: a key with the informatiker role, to store test i's ValueSet (PUT).")
@click.option("--fhir-version", type=click.Choice(["r4", "r5"]), default="r5", show_default=True,
              help="http: the FHIR base to send requests to (/fhir/r4 or /fhir/r5).")
@click.pass_obj
@domain_errors
def bench(settings: Settings, scale: str, backends: tuple[str, ...], pg_admin_url: str, requests: int,
          concurrency: int, workdir: Path, out: Path, no_load: bool, suite: str, bench_database_url: str | None,
          server_url: str | None, clients: str, seconds: int | None, test_ids: str | None, quick: bool,
          pools_file: Path | None, api_key: str | None, fhir_version: str) -> None:
    """Measure load time and memory, HTTP latency and throughput, expansion and search on synthetic data.

    \b
        vardterm bench --scale intl
        vardterm bench --suite care --backend sqlite
        vardterm bench --suite national
        vardterm bench --suite resources
        vardterm bench --suite codelists --scale intl --backend sqlite --no-load
        vardterm bench --suite nodes --scale intl --no-load
        vardterm bench --suite http                  # needs wrk: apt-get install wrk
        vardterm bench --suite http --database-url sqlite:////tmp/vardterm-bench/sqlite/vardterm.db
        vardterm bench --suite http --url http://127.0.0.1:8080 --clients 1,8
        vardterm bench --suite expressions --scale intl --no-load
        vardterm bench --suite release --scale intl
        vardterm bench --suite mapping
    """
    from .bench import BenchOptions, run

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would drown the report
    if suite == "http":
        return _bench_http(settings, out, bench_database_url, server_url, clients, seconds, test_ids, quick,
                           pools_file, api_key, fhir_version)
    if suite == "mapping":
        from .mapping_bench import run_mapping
        return run_mapping(BenchOptions(scale=_scale(scale), backends=("sqlite",), workdir=workdir, out=out,
                                        load=not no_load))
    if suite == "care":
        from .care_bench import run_care
        return run_care(backends=backends or ("sqlite",), pg_admin_url=pg_admin_url, workdir=workdir, out=out,
                        requests=min(requests, 300), load=not no_load)
    if suite == "codelists":
        from .codelist_bench import run_codelists
        return run_codelists(BenchOptions(scale=_scale(scale), backends=("sqlite",), workdir=workdir, out=out,
                                          load=not no_load), requests=min(requests, 500))
    if suite == "resources":
        from .resource_bench import run_resources
        return run_resources(workdir=workdir, out=out, requests=min(requests, 1000))
    if suite == "nodes":
        from .node_bench import run_nodes
        return run_nodes(backends=backends or ("sqlite", "postgresql"), pg_admin_url=pg_admin_url,
                         workdir=workdir, out=out, scale=_scale(scale), load=not no_load)
    if suite == "national":
        from .national_bench import run_national
        return run_national(backends=backends or ("sqlite", "postgresql"), pg_admin_url=pg_admin_url,
                            workdir=workdir, out=out, requests=min(requests, 500))
    if suite == "release":
        from .release_bench import run_release
        return run_release(scale=_scale(scale), workdir=workdir, out=out, load=not no_load)
    if suite == "expressions":
        from .bench import run_expressions
        return run_expressions(BenchOptions(scale=_scale(scale), backends=("sqlite",), workdir=workdir, out=out,
                                            load=not no_load))
    run(BenchOptions(scale=_scale(scale), backends=backends or ("sqlite", "postgresql"),
                     pg_admin_url=pg_admin_url, requests=requests, concurrency=concurrency, workdir=workdir,
                     out=out, load=not no_load))


def _bench_http(settings: Settings, out: Path, database_url: str | None, server_url: str | None, clients: str,
                seconds: int | None, test_ids: str | None, quick: bool, pools_file: Path | None,
                api_key: str | None, fhir_version: str) -> None:
    from .http_bench import HttpBenchError, HttpBenchOptions, run_http

    counts = tuple(int(c) for c in clients.split(",") if c.strip().isdigit())
    if len(counts) != len(clients.split(",")) or min(counts) < 1:
        raise click.BadParameter(f"{clients!r}: give client counts such as 1,10,50", param_hint="--clients")
    database = database_url if server_url else database_url or settings.database_url
    try:
        run_http(HttpBenchOptions(url=server_url, database_url=database,
                                  build_demo=database == Settings.model_fields["database_url"].default,
                                  clients=counts[:1] if quick else counts, seconds=seconds or (2 if quick else 10),
                                  tests=tuple(x.strip() for x in (test_ids or "").split(",") if x.strip()),
                                  fhir=fhir_version, pools=pools_file, api_key=api_key,
                                  lookups=80 if quick else 250, preflight=20 if quick else 400, out=out))
    except HttpBenchError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def user() -> None:
    """Local user accounts (the embedded default's logins; production uses OIDC tokens)."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="A role of the user (repeat for several).")
@click.option("--region", help="The user's region (län code, e.g. 01 for Stockholm).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@click.pass_obj
@domain_errors
def user_add(settings: Settings, username: str, roles: tuple[str, ...], region: str | None,
             password_stdin: bool) -> None:
    """Create a user, e.g.: vardterm user add anna --role avtalsadmin --region 01"""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else \
        click.prompt("Password", hide_input=True, confirmation_prompt=True)
    Accounts(_db(settings)).add_user(username, password, roles, region)
    click.echo(f"User {username} created with role(s) {', '.join(roles)}" + (f" in region {region}" if region else ""))


@user.command("list")
@click.pass_obj
@domain_errors
def user_list(settings: Settings) -> None:
    """List the users with their roles and regions."""
    for u in Accounts(_db(settings, write=False)).users():
        click.echo(f"{u.name}\t{','.join(u.roles)}\t{u.region or '-'}\t{'active' if u.active else 'disabled'}")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@click.pass_obj
@domain_errors
def user_password(settings: Settings, username: str, password_stdin: bool) -> None:
    """Set a new password for a user."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else \
        click.prompt("New password", hide_input=True, confirmation_prompt=True)
    Accounts(_db(settings)).set_password(username, password)
    click.echo(f"Password of {username} changed")


@user.command("disable")
@click.argument("username")
@click.pass_obj
@domain_errors
def user_disable(settings: Settings, username: str) -> None:
    """Stop a user from logging in (the account and its history stay)."""
    Accounts(_db(settings)).set_active(username, False)
    click.echo(f"User {username} disabled")


@main.group()
def apikey() -> None:
    """API keys for systems that call the FHIR API (header 'Authorization: ApiKey <key>')."""


@apikey.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="A role of the key (repeat for several).")
@click.option("--region", help="The region the key acts for (län code).")
@click.pass_obj
@domain_errors
def apikey_add(settings: Settings, name: str, roles: tuple[str, ...], region: str | None) -> None:
    """Create a key for a system; it is printed once and cannot be shown again."""
    key = Accounts(_db(settings)).add_key(name, roles, region)
    click.echo(key)


@apikey.command("list")
@click.pass_obj
@domain_errors
def apikey_list(settings: Settings) -> None:
    """List the keys: id, name, roles, region, created, last used (to the minute) and whether revoked."""
    rows = Accounts(_db(settings)).keys()
    if not rows:
        click.echo("No API keys yet. Make one with: vardterm apikey add <name> --role <role>")
        return
    click.echo("id\tname\troles\tregion\tcreated\tlast used\tstate")
    for k in rows:
        click.echo(f"{k.key_id}\t{k.name}\t{','.join(k.roles)}\t{k.region or '-'}\t{k.created_at}\t"
                   f"{k.last_used_at or 'never'}\t{'active' if k.active else 'revoked'}")


@apikey.command("revoke")
@click.argument("key_id")
@click.pass_obj
@domain_errors
def apikey_revoke(settings: Settings, key_id: str) -> None:
    """Revoke a key by its id (the part before the dot)."""
    Accounts(_db(settings)).revoke_key(key_id)
    click.echo(f"API key {key_id} revoked")


@main.command("ecl")
@click.argument("expression")
@click.option("--version", "version", metavar="URI",
              help="SNOMED CT version URI, e.g. http://snomed.info/sct/45991000052106/version/20251130, or an "
                   "edition URI for its latest version (default: the default edition).")
@click.option("--db", "db_url", metavar="URL", help="Database URL (default: --database-url / VARDTERM_DATABASE_URL).")
@click.option("--count", "count_only", is_flag=True, help="Print only how many concepts the expression selects.")
@click.option("--limit", type=click.IntRange(min=0), help="Print at most N concepts (ordered by id).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip the first N concepts.")
@click.option("--language", metavar="TAG", help="Display language, e.g. sv or en-GB (default: the server default).")
@click.pass_obj
@domain_errors
def ecl_command(settings: Settings, expression: str, version: str | None, db_url: str | None, count_only: bool,
                limit: int | None, offset: int, language: str | None) -> None:
    """Evaluate an ECL expression against a loaded SNOMED CT edition; print "id|display" lines or the count.

    The same evaluation and cost limits as ValueSet/$expand of http://snomed.info/sct?fhir_vs=ecl/...

    \b
        vardterm ecl '<< 90470006 |Prostatectomy| AND ^ 99900111000052105'
        vardterm ecl --count '< 404684003 : 363698007 = << 49076000 |Knee joint|'
    """
    service = expression_cli.terminology_service(settings, db_url)
    result = service.evaluate_ecl(expression, version=version, count=0 if count_only else limit, offset=offset,
                                  display_language=language)
    if count_only:
        click.echo(result.total)
        return
    for item in result.items:
        click.echo(f"{item.code}|{item.display or ''}")


@main.group()
def package() -> None:
    """FHIR NPM packages of the stored code systems, value sets and concept maps (publish and export)."""


@package.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The package file to write (.tgz).")
@click.option("--status", type=click.Choice(["active", "draft", "retired", "all"]), default="active",
              show_default=True, help="Which resources go in: those with this status, or all.")
@click.option("--name", help="Package name, two or more lowercase parts (default se.region.kodverk).")
@click.option("--version", "version", help="Semantic version (default: the last published one when nothing "
                                           "changed, else its next patch version; 1.0.0 for a new name).")
@click.option("--title", help="Title of the package.")
@click.option("--fhir-version", type=click.Choice(["4.0.1", "5.0.0"]), default="4.0.1", show_default=True,
              help="FHIR version the resources are written in.")
@click.pass_obj
@domain_errors
def package_export(settings: Settings, out: Path, status: str, name: str | None, version: str | None,
                   title: str | None, fhir_version: str) -> None:
    """Write a FHIR NPM package (package.json, .index.json, one file per resource) and publish it: the
    server's Atom feed (/feed) lists it. 'vardterm load fhir FILE.tgz' and other FHIR tools load it.

    \b
        vardterm package export --out kodverk.tgz
        vardterm package export --out kodverk.tgz --status all --name se.region.kodverk --version 2.0.0
    """
    from api.fhir.package import export
    from terminology import Authoring, TerminologyService

    from .care_cli import OPERATOR

    service = TerminologyService(_db(settings), default_edition=settings.default_snomed_edition, refresh_seconds=0)
    built = export(Authoring(service), by=OPERATOR, name=name, version=version,
                   status=None if status == "all" else status, title=title, fhir_version=fhir_version)
    out.write_bytes(built.content)
    click.echo(f"Wrote {out}: {built.name} {built.version}, {built.resources} resource(s), FHIR {built.fhir_version}"
               f" (published: listed in /feed)")


main.add_command(care_cli.care_group)
main.add_command(expression_cli.expression_group)
main.add_command(release_cli.release_group)
main.add_command(map_cli.map_group)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
