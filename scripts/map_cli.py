"""``vardterm map``: the mapping workbench on the command line (issue 21). Each command is a few lines over
:class:`mappings.workbench.Workbench`; ``--as`` names the informatiker recorded in the project's history (whoever
runs the CLI owns the database, so the name is taken as given)."""

from __future__ import annotations

import json
from pathlib import Path

import click

import terminology as t
from api.settings import Settings
from mappings.workbench import FILTERS, RELATIONSHIPS, FileRejected, Target, Workbench

from .clierrors import domain_errors
from .progress import Progress

TARGETS = {"snomed": t.snomed.SYSTEM, "kva": "urn:oid:1.2.752.116.1.3.2.1.4",
           "icd10se": "urn:oid:1.2.752.116.1.1.1.1.3"}
"""Short names of the usual targets; any other value is a code system URL."""


def _workbench(settings: Settings) -> Workbench:
    db = t.Database(settings.database_url, pool_size=settings.db_pool_size)
    db.initialise()
    service = t.TerminologyService(db, default_language=settings.default_language,
                                   default_edition=settings.default_snomed_edition, refresh_seconds=0,
                                   max_expansion=settings.max_expansion_size)
    return Workbench(service, t.Authoring(service, review_required=settings.release_needs_review))


def _who(name: str) -> t.Principal:
    return t.Principal(name, frozenset({"informatiker"}), None, "cli")


_as = click.option("--as", "who", default="cli", show_default=True, metavar="NAMN",
                   help="The informatiker recorded as doing this (a second reviewer publishes).")


@click.group("map")
def map_group() -> None:
    """Mapping projects: a local term list mapped to SNOMED CT, KVÅ, ICD-10-SE or a stored code system.

    \b
    vardterm map start lokala_tjanster.csv --title "Lokala tjänster" --source-system https://region.example/tjanster
    vardterm map show 1 --filter ogranskade
    vardterm map decide 1 2 --code 110473004 --as info
    vardterm map publish 1 --as info2
    """


@map_group.command("start")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The project's name (also the ConceptMap's title).")
@click.option("--source-system", required=True, help="Canonical URL of the source code list.")
@click.option("--target", default="snomed", show_default=True,
              help="snomed, kva, icd10se or the URL of a stored CodeSystem.")
@click.option("--version", "version", help="SNOMED CT edition or version URI (default: the default edition), "
                                          "or the code system's version.")
@click.option("--ecl", help="SNOMED CT: only targets this ECL expression selects, e.g. '<< 71388002'.")
@click.option("--value-set", help="Only targets in this value set (canonical URL).")
@click.option("--map-url", help="Canonical URL of the ConceptMap made (default from the title).")
@_as
@click.pass_obj
@domain_errors
def map_start(settings: Settings, source: Path, title: str, source_system: str, target: str, version: str | None,
              ecl: str | None, value_set: str | None, map_url: str | None, who: str) -> None:
    """Read a CSV or Excel file (columns term, optional kod, optional context columns), suggest targets for
    every row and store the project. A file with problems is refused row by row and nothing is stored."""
    wb = _workbench(settings)
    progress = Progress("förslag")
    try:
        pid = wb.create(title=title, source_system=source_system,
                        target=Target(TARGETS.get(target, target), version, ecl, value_set),
                        data=source.read_bytes(), file=source.name, by=_who(who), map_url=map_url,
                        progress=lambda done, total: progress("rader", done, total))
    except FileRejected as exc:
        raise click.ClickException("Filen kan inte läsas in, inget har sparats:\n  " + "\n  ".join(exc.problems)
                                   ) from None
    done, total = wb.progress(pid)
    progress.done(f"Projekt {pid}: {total} rader med förslag")
    click.echo(f"Projekt {pid}: {total} rader, {done} granskade")


@map_group.command("list")
@click.pass_obj
@domain_errors
def map_list(settings: Settings) -> None:
    """The mapping projects with their progress (granskade av alla rader) and status."""
    for p in _workbench(settings).projects():
        click.echo(f"{p['id']:>4}  {p['title']}  {p['done'] or 0}/{p['n'] or 0}  {p['status']}  -> {p['target_system']}")


@map_group.command("show")
@click.argument("project", type=int)
@click.option("--filter", "which", type=click.Choice(FILTERS), default="alla", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The rows as JSON.")
@click.pass_obj
@domain_errors
def map_show(settings: Settings, project: int, which: str, as_json: bool) -> None:
    """The rows of a project: source term, best suggestions and the decision."""
    rows = _workbench(settings).rows(project, which=which)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        decided = ("NO MAP" if r["no_map"] else f"{r['target_code']} {r['target_display']} ({r['relationship']})"
                   if r["decided_at"] else "ogranskad")
        click.echo(f"rad {r['row_no']:>4}  {r['source_code'] or '':<8} {r['source_term']}  =>  {decided}")
        for i, s in enumerate(r["suggestions"], start=1):
            click.echo(f"        {i}. {s['code']} {s['display']}  [{s['score']:.2f} {s['how']}: {s['term']}]")


@map_group.command("decide")
@click.argument("project", type=int)
@click.argument("row", type=int)
@click.option("--code", help="The target code (e.g. a suggestion's).")
@click.option("--relationship", type=click.Choice(RELATIONSHIPS), default="equivalent", show_default=True)
@click.option("--no-map", is_flag=True, help="No target: NO MAP (needs --comment).")
@click.option("--comment", default="", help="Why (required with --no-map).")
@_as
@click.pass_obj
@domain_errors
def map_decide(settings: Settings, project: int, row: int, code: str | None, relationship: str, no_map: bool,
               comment: str, who: str) -> None:
    """Decide one row (the row number of the file, header = 1)."""
    r = _workbench(settings).decide(project, row, by=_who(who), code=code, relationship=relationship,
                                    no_map=no_map, comment=comment)
    click.echo(f"rad {row}: " + ("NO MAP" if r["no_map"] else f"{r['target_code']} {r['target_display']} "
                                                              f"({r['relationship']})"))


@map_group.command("publish")
@click.argument("project", type=int)
@_as
@click.pass_obj
@domain_errors
def map_publish(settings: Settings, project: int, who: str) -> None:
    """Second review: confirm every decision and store the ConceptMap draft ($translate uses it at once; release
    it with $release or on the Mappningar page)."""
    saved = _workbench(settings).publish(project, by=_who(who))
    r = saved.resource
    click.echo(f"ConceptMap/{r['id']} {r['url']} version {r.get('version')} ({r.get('status')})")


@map_group.command("export")
@click.argument("project", type=int)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .csv or .xlsx.")
@click.pass_obj
@domain_errors
def map_export(settings: Settings, project: int, out: Path) -> None:
    """The rows and decisions as CSV or Excel."""
    _, data = _workbench(settings).export(project, fmt="xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    out.write_bytes(data)
    click.echo(f"Skrev {out}")


@map_group.command("rerun")
@click.argument("project", type=int)
@_as
@click.pass_obj
@domain_errors
def map_rerun(settings: Settings, project: int, who: str) -> None:
    """After a new release: flag the rows whose target became inactive, with its replacements as suggestions."""
    flagged = _workbench(settings).rerun(project, by=_who(who))
    click.echo(f"{flagged} rader flaggade")


@map_group.command("history")
@click.argument("project", type=int)
@click.pass_obj
@domain_errors
def map_history(settings: Settings, project: int) -> None:
    """Who decided what, newest first."""
    for e in _workbench(settings).history(project):
        click.echo(f"{e['at']}  {e['who']}  {e['what']}")
