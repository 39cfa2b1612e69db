"""The ``vardterm`` command line: one click group; each command is a few lines calling library functions.

Every command has ``--help``; domain errors become a one-line message and exit status 1 (never a trace).
The database comes from ``--database-url`` or ``VARDTERM_DATABASE_URL`` (default: ``data/vardterm.db``).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from api.settings import Settings
from terminology import ROLES, Accounts, Database

from . import care_cli, expression_cli
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
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {"log_level": log_level}
    if database_url:
        overrides["database_url"] = database_url
    ctx.obj = Settings(**overrides)


def _db(settings: Settings) -> Database:
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    db.initialise()
    return db


@main.command()
@click.pass_obj
@domain_errors
def init(settings: Settings) -> None:
    """Create the database (catalog tables) if it does not exist yet."""
    db = _db(settings)
    care_cli.open_directory(settings)
    click.echo(f"Database ready: {db.describe()}")


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
                       version_date=version_date, experimental=experimental, progress=progress)
    s = version.stats
    progress.done(f"Loaded {version.version}: {s['active_concepts']:,} active concepts of {s['concepts']:,}, "
                  f"{s['descriptions']:,} descriptions, {s['closure_pairs']:,} closure pairs")


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


# --- national code systems and concept maps (scripts/national.py) ---------------------------------------

def _content_option(fn):
    return click.option("--content", type=click.Choice(["complete", "fragment"]), default="complete",
                        show_default=True, help="fragment for an excerpt: codes outside it are then not "
                                                "reported as invalid.")(fn)


def _report_loaded(loaded) -> None:
    what = "mappings" if (loaded.saved.resource or {}).get("resourceType") == "ConceptMap" else "concepts"
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

    _report_loaded(load_kva(_db(settings), list(sources), version=version, content=content))


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

    _report_loaded(load_icd10se(_db(settings), list(sources), version=version, content=content))


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

    _report_loaded(load_claml(_db(settings), source, system=system, version=version, content=content,
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

    _report_loaded(load_csv(_db(settings), source, preset=preset, mapping=mapping, system=system,
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

    _report_loaded(load_skos(_db(settings), source, system=system, version=version, fmt=fmt, scheme=scheme,
                             language=language, content=content))


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

    _report_loaded(load_conceptmap_csv(_db(settings), source, url=url, version=version, source=source_system,
                                       target=target_system, name=name, title=title, source_scope=source_scope,
                                       target_scope=target_scope))


@main.command()
@click.pass_obj
@domain_errors
def versions(settings: Settings) -> None:
    """List the loaded code system versions."""
    db = _db(settings)
    rows = db.versions()
    if not rows:
        click.echo("Nothing loaded yet. Try: vardterm demo, or vardterm load rf2 <release>")
        return
    for v in rows:
        s = v.stats
        click.echo(f"{v.version}\n    {v.title}; loaded {v.loaded_at}; {s.get('active_concepts', 0):,} active "
                   f"concepts; load took {s.get('seconds', {}).get('total', '?')} s")


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
        db.remove(v.key)
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
    fn = click.option("--workers", type=int, help="Worker processes (default 1).")(fn)
    return fn


def _run_server(settings: Settings, host: str | None, port: int | None, workers: int | None) -> None:
    import uvicorn

    values = settings.model_dump()
    values.update({k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None})
    settings = Settings(**values)
    Database(settings.database_url).check()
    for name, value in settings.model_dump().items():
        if value is not None:
            os.environ[f"VARDTERM_{name.upper()}"] = json.dumps(value) if isinstance(value, dict) else str(value)
    click.echo(f"Serving FHIR R4 at http://{settings.host}:{settings.port}/fhir/r4 (alias /fhir), "
               f"R5 at /fhir/r5, API docs at /docs")
    uvicorn.run("scripts.serve:app", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level=settings.log_level.lower(),
                access_log=settings.access_log)


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


@main.command()
@_serve_options
@click.option("--no-serve", is_flag=True, help="Only prepare the database, do not start the server.")
@click.pass_obj
@domain_errors
def demo(settings: Settings, host: str | None, port: int | None, workers: int | None, no_serve: bool) -> None:
    """The embedded default: SQLite database with the demo data loaded, server on 127.0.0.1:8080.

    The demo data is the project's hand-made SNOMED CT fixture (real concept ids, our own English and
    Swedish labels), merged as an International release plus a Swedish extension, and excerpts of KVÅ,
    ICD-10-SE and the HSA code lists with example ConceptMaps. It is loaded once; later runs reuse the database.
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
@click.option("--suite", type=click.Choice(["terminology", "care", "national", "resources", "expressions"]),
              default="terminology", show_default=True,
              help="care: the care search on care-50k over a 25,000-concept synthetic release (no "
                   "International-size load). national: load times of the national code systems (excerpts "
                   "and 40,000-code generated files) and $translate over HTTP. resources: $validate-code, "
                   "$lookup and $expand on a stored 10,000-concept CodeSystem over HTTP. expressions: "
                   "$validate-code of post-coordinated expressions over HTTP and their $subsumes in process, "
                   "on the SQLite database of --workdir (loaded at --scale unless --no-load).")
@domain_errors
def bench(scale: str, backends: tuple[str, ...], pg_admin_url: str, requests: int, concurrency: int,
          workdir: Path, out: Path, no_load: bool, suite: str) -> None:
    """Measure load time and memory, HTTP latency and throughput, expansion and search on synthetic data.

    \b
        vardterm bench --scale intl
        vardterm bench --suite care --backend sqlite
        vardterm bench --suite national
        vardterm bench --suite resources
        vardterm bench --suite expressions --scale intl --no-load
    """
    from .bench import BenchOptions, run

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request would drown the report
    if suite == "care":
        from .care_bench import run_care
        return run_care(backends=backends or ("sqlite",), pg_admin_url=pg_admin_url, workdir=workdir, out=out,
                        requests=min(requests, 300), load=not no_load)
    if suite == "resources":
        from .resource_bench import run_resources
        return run_resources(workdir=workdir, out=out, requests=min(requests, 1000))
    if suite == "national":
        from .national_bench import run_national
        return run_national(backends=backends or ("sqlite", "postgresql"), pg_admin_url=pg_admin_url,
                            workdir=workdir, out=out, requests=min(requests, 500))
    if suite == "expressions":
        from .bench import run_expressions
        return run_expressions(BenchOptions(scale=_scale(scale), backends=("sqlite",), workdir=workdir, out=out,
                                            load=not no_load))
    run(BenchOptions(scale=_scale(scale), backends=backends or ("sqlite", "postgresql"),
                     pg_admin_url=pg_admin_url, requests=requests, concurrency=concurrency, workdir=workdir,
                     out=out, load=not no_load))


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
    for u in Accounts(_db(settings)).users():
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


main.add_command(care_cli.care_group)
main.add_command(expression_cli.expression_group)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
