"""``vardterm care ...``: the care directory from the command line (each command calls the library once).

Commands: ``generate`` (synthetic directory, demo or care-50k), ``load`` (FHIR transaction Bundles),
``import-waits`` (waiting-time CSV), ``import-capacity`` (capacity CSV/JSON), ``search`` (the care search,
as a table or JSON), ``history`` (who changed what).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import click

import terminology as t
from api.settings import Settings
from mappings import care
from mappings.care.generate import SIZES, generate, to_bundle
from mappings.care.imports import import_capacity, import_waits, load_bundle
from mappings.care.model import resource_type

from .clierrors import domain_errors

WHO = os.environ.get("USER") or "cli"
OPERATOR = t.Principal(WHO, frozenset(t.ROLES), None, "cli")
"""The operator at the command line, recorded by name in the change history (every role, every region)."""
GENERATOR = t.Principal("generator", frozenset(t.ROLES), None, "generator")


def open_directory(settings: Settings) -> care.CareDirectory:
    """The care directory on the settings' database (created when the database is new)."""
    db = t.Database(settings.database_url, pool_size=settings.db_pool_size)
    db.initialise()
    service = t.TerminologyService(db, default_language=settings.default_language,
                                   default_edition=settings.default_snomed_edition, refresh_seconds=0)
    directory = care.CareDirectory(db, service, maps=t.ResourceRepository(db), refresh_seconds=0)
    return directory


GENERATED_KEY = "generated"
"""``care_meta`` key: JSON of what the generator stored last (size, seed, the day it was made for)."""


def load_generated(directory: care.CareDirectory, size: str, *, seed: int = 7, today: dt.date | None = None) -> dict:
    """Generate a directory and store it (records in one transaction, then the example ConceptMaps), noting
    what was made for which day."""
    today = today or dt.date.today()
    generated = generate(size, seed=seed, today=today)
    directory.write_records(generated.records, by=GENERATOR)
    load_concept_maps(directory.db, generated.concept_maps)
    directory.store.set_meta(GENERATED_KEY, json.dumps({"size": size, "seed": seed, "today": today.isoformat()}))
    return generated.counts()


def redate_generated(directory: care.CareDirectory, today: dt.date) -> tuple[str, int, int] | None:
    """Make the stored demo directory again for ``today``: the generator's records with dates relative to
    ``today`` replace those nobody else has changed since (a record someone changed through the web pages,
    the API, a file or the command line keeps their version). ``(the day it was made for, records
    re-dated, records kept)``, or None when it is already today's, or not a generated demo directory."""
    made = json.loads(directory.store.meta(GENERATED_KEY) or "{}")
    if made.get("size") != "demo" or made.get("today") == today.isoformat():
        return None
    touched = directory.store.changed_through_other_channels(GENERATOR.channel)
    records = generate("demo", seed=made["seed"], today=today).records
    fresh = [r for r in records if (resource_type(r), r.id) not in touched]
    directory.write_records(fresh, by=GENERATOR)
    directory.store.set_meta(GENERATED_KEY, json.dumps({**made, "today": today.isoformat()}))
    return made["today"], len(fresh), len(records) - len(fresh)


def load_concept_maps(db: t.Database, maps) -> None:
    """Store ConceptMaps in the terminology's resource repository as the command-line operator."""
    operator = getattr(t, "COMMAND_LINE", None)  # the principal of the authorisation work, when present
    t.ResourceRepository(db).load(maps, **({"by": operator} if operator is not None else {}))


def ensure_demo_directory(settings: Settings, *, today: dt.date | None = None) -> None:
    """``vardterm demo``: the demo-size directory, generated into an empty care directory, and made again for
    today when the demo starts on a later day (its dates are relative to the day it is made, so the README's
    searches find current agreements, fresh waits and capacity ahead on any day; issue 16)."""
    directory = open_directory(settings)
    today = today or dt.date.today()
    if directory.store.count("HealthcareService") == 0:
        counts = load_generated(directory, "demo", today=today)
        click.echo(f"Generated the demo care directory: {counts['HealthcareService']} services, "
                   f"{counts['Contract']} agreements")
    else:
        started = time.perf_counter()
        moved = redate_generated(directory, today)
        if directory.store.meta(GENERATED_KEY) is None:
            click.echo("The care directory was not made by this version's generator, so its dates stay as they "
                       "are; 'vardterm care generate --replace' makes the demo directory again for today")
        elif moved is not None:
            click.echo(f"Moved the demo care directory from {moved[0]} to {today.isoformat()} "
                       f"({moved[1]:,} records in {time.perf_counter() - started:.1f} s"
                       + (f"; {moved[2]:,} changed since are kept as they are)" if moved[2] else ")"))
    add_demo_users(directory.db)
    directory.db.dispose()


DEMO_USERS = (("lots", ("vardlots",), "05"), ("avtal", ("avtalsadmin",), "05"), ("avtal01", ("avtalsadmin",), "01"),
              ("admin", ("admin",), None), ("info", ("informatiker",), "05"), ("info2", ("informatiker",), "05"))
"""The demo database's logins (README "Web app"); the password of each is ``DEMO_PASSWORD``."""
DEMO_PASSWORD = "demo-losen-123"


def add_demo_users(db: t.Database) -> None:
    """Create the documented demo logins once (only ``vardterm demo`` calls this, on the demo database)."""
    accounts = t.Accounts(db)
    have = {u.name for u in accounts.users()}
    for name, roles, region in DEMO_USERS:
        if name not in have:
            accounts.add_user(name, DEMO_PASSWORD, roles, region)


@click.group("care")
def care_group() -> None:
    """The care-service directory (agreements, services, units, waiting times, capacity) and the care search."""


@care_group.command("generate")
@click.option("--size", type=click.Choice(sorted(SIZES)), default="demo", show_default=True,
              help="demo (hundreds of services) or care-50k (benchmark size, ~50,000 services).")
@click.option("--seed", default=7, show_default=True, help="Random seed; the same seed gives the same directory.")
@click.option("--today", metavar="YYYY-MM-DD", help="Reference date for validity, waits and capacity (default today).")
@click.option("--bundle-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a FHIR transaction Bundle (R5) to this file instead of storing.")
@click.option("--replace", is_flag=True, help="Empty the care directory first.")
@click.pass_obj
@domain_errors
def generate_command(settings: Settings, size: str, seed: int, today: str | None, bundle_out: Path | None,
                     replace: bool) -> None:
    """Generate a realistic synthetic directory (21 regions, providers, units, places, services typed with the
    demo SNOMED CT concepts and KVÅ codes, agreements, waiting times, capacity) and store it.

    \b
        vardterm care generate --size demo
        vardterm care generate --size care-50k --bundle-out care-50k.json
    """
    day = dt.date.fromisoformat(today) if today else None
    if bundle_out is not None:
        generated = generate(size, seed=seed, today=day)
        bundle_out.write_text(json.dumps(to_bundle(generated.records), ensure_ascii=False))
        click.echo(f"Wrote {len(generated.records):,} resources to {bundle_out}")
        return
    directory = open_directory(settings)
    if replace:
        directory.store.clear(who=WHO)
    elif directory.store.count("HealthcareService"):
        raise click.ClickException("the care directory is not empty; use --replace to start over")
    started = time.perf_counter()
    counts = load_generated(directory, size, seed=seed, today=day)
    click.echo(f"Stored {sum(counts.values()):,} records in {time.perf_counter() - started:.1f} s: "
               + ", ".join(f"{v:,} {k}" for k, v in counts.items()))


@care_group.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@domain_errors
def load_command(settings: Settings, files: tuple[Path, ...]) -> None:
    """Store FHIR transaction Bundles (R5 JSON) of care resources; each file all or nothing.

    \b
        vardterm care load agreements.json
    """
    directory = open_directory(settings)
    for path in files:
        done = load_bundle(directory, path, by=OPERATOR)
        click.echo(f"{path.name}: stored {len(done):,} resources")


@care_group.command("import-waits")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Source of the figures, when the file has no source column.")
@click.pass_obj
@domain_errors
def import_waits_command(settings: Settings, file: Path, source: str | None) -> None:
    """Import waiting times from a CSV shaped like the national waiting-time reports: unit HSA-id, MVO,
    activity, KVÅ or SNOMED CT code (or service id), period (YYYY-MM), reported date, and measures (current
    wait in days, median of completed, share within 90 days, number waiting). All rows or none.

    \b
        vardterm care import-waits vantetider-2025-09.csv --source "Väntetider i vården"
    """
    done = import_waits(open_directory(settings), file, by=OPERATOR, source=source)
    click.echo(f"{file.name}: stored {len(done):,} waiting times")


@care_group.command("import-capacity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@domain_errors
def import_capacity_command(settings: Settings, file: Path) -> None:
    """Import reports of temporary free capacity from CSV or JSON (unit HSA-id, service or code, from, to,
    volume or available, conditions, contact). All rows or none.

    \b
        vardterm care import-capacity ledig-kapacitet.json
    """
    done = import_capacity(open_directory(settings), file, by=OPERATOR)
    click.echo(f"{file.name}: stored {len(done):,} capacity reports")


@care_group.command("search")
@click.argument("text", required=False)
@click.option("--region", required=True, help="The searching region: län code (05) or orgnr.")
@click.option("--code", help="A concept code instead of text.")
@click.option("--system", help="The code's system (default SNOMED CT).")
@click.option("--ecl", help="An ECL expression instead of text.")
@click.option("--date", help="Search date YYYY-MM-DD (default today).")
@click.option("--age", type=int)
@click.option("--sex", type=click.Choice(["female", "male"]))
@click.option("--asa", type=int)
@click.option("--bmi", type=float)
@click.option("--meeting-form", type=click.Choice(["physical", "virtual"]))
@click.option("--postal-code")
@click.option("--distance", type=float, help="Km from --postal-code.")
@click.option("--max-wait", type=int, help="Days.")
@click.option("--match-types", default="exact,narrower", show_default=True)
@click.option("--sort", type=click.Choice(["wait", "distance", "match"]), default="match", show_default=True)
@click.option("--include-excluded", is_flag=True)
@click.option("--count", default=20, show_default=True, help="Hits (and excluded candidates) per page.")
@click.option("--offset", default=0, show_default=True, help="Where the page starts in both lists.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON API's answer.")
@click.pass_obj
@domain_errors
def search_command(settings: Settings, text, region, code, system, ecl, date, age, sex, asa, bmi, meeting_form,
                   postal_code, distance, max_wait, match_types, sort, include_excluded, count, offset,
                   as_json) -> None:
    """The care search: services the region has agreements for, with match, wait and eligibility.

    \b
        vardterm care search kataraktoperation --region 05 --sort wait
    """
    from api.care.render import hit_json, resolution_text, search_json

    req = care.CareSearchRequest(region=region, text=text, code=code, system=system, ecl=ecl, date=date, age=age,
                                 sex=sex, asa=asa, bmi=bmi, meeting_form=meeting_form, postal_code=postal_code,
                                 distance_km=distance, max_wait_days=max_wait,
                                 match_types=tuple(match_types.split(",")), sort=sort,
                                 include_excluded=include_excluded, count=count, offset=offset)
    result = open_directory(settings).search(req, by=OPERATOR)
    if as_json:
        click.echo(json.dumps(search_json(result), ensure_ascii=False, indent=2))
        return
    click.echo(resolution_text(result.resolution))
    click.echo(f"{result.total} träff(ar) för {result.region.name} per {result.date}"
               + (f", {result.excluded_total} uteslutna" if include_excluded else ""))
    for h in result.hits + result.excluded:
        j = hit_json(h)
        place = j["place"] or {}
        line = (f"- {j['provider']['name'] if j['provider'] else ''} / {j['unit']['name'] if j['unit'] else ''}: "
                f"{j['service']['name']} [{h.match.type}] väntetid: {h.wait.label}")
        if place.get("distanceKm") is not None:
            line += f", {place['distanceKm']} km"
        if h.reasons:
            line += " UTESLUTEN: " + ", ".join(h.reasons)
        click.echo(line)


@care_group.command("history")
@click.option("--resource", help="Type/id to narrow to one record.")
@click.option("--limit", default=20, show_default=True)
@click.pass_obj
@domain_errors
def history_command(settings: Settings, resource: str | None, limit: int) -> None:
    """The change history of the care directory: who changed what, when and through which channel."""
    rtype, _, rid = (resource or "").partition("/")
    for e in open_directory(settings).history(by=OPERATOR, resource_type=rtype or None, resource_id=rid or None, limit=limit):
        click.echo(f"{e.at}  {e.who:<12} {e.channel:<9} {e.action:<6} {e.resource_type}/{e.resource_id} "
                   f"v{e.version_id}  {e.what}")
