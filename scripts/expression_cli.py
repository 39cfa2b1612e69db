"""``vardterm expression ...``: post-coordinated SNOMED CT expressions from the command line.

Each command is one call of the terminology service, the same one the FHIR operations make:
``validate`` is ``CodeSystem/$validate-code``, ``normalize`` the ``normalForm`` properties of ``$lookup``,
``subsumes`` ``CodeSystem/$subsumes``.
"""

from __future__ import annotations

import click

import terminology as t
from api.settings import Settings

from .clierrors import domain_errors

SCT = t.snomed.SYSTEM

_version = click.option("--version", "version", metavar="URI",
                        help="SNOMED CT version URI, e.g. http://snomed.info/sct/45991000052106/version/20251130, or an "
                             "edition URI for its latest version (default: the default edition).")
_db = click.option("--db", "db_url", metavar="URL",
                   help="Database URL (default: --database-url / VARDTERM_DATABASE_URL).")
_language = click.option("--language", metavar="TAG",
                         help="Language of the terms shown, e.g. sv or en-GB (default: the server default).")


def terminology_service(settings: Settings, db_url: str | None = None) -> t.TerminologyService:
    """The terminology service over the settings' database (or ``db_url``), as the server builds it."""
    if db_url:
        settings = Settings(**{**settings.model_dump(), "database_url": db_url})
    db = t.Database(settings.database_url, pool_size=2)
    db.check()
    return t.TerminologyService(db, default_language=settings.default_language,
                                default_edition=settings.default_snomed_edition,
                                max_expansion=settings.max_expansion_size, refresh_seconds=0,
                                ecl_limits=settings.ecl_limits())


@click.group("expression")
def expression_group() -> None:
    """Check, normalise and compare post-coordinated SNOMED CT expressions (compositional grammar 2.4)."""


@expression_group.command("validate")
@click.argument("expression")
@click.option("--display", metavar="TEXT", help="Also check this display of the expression.")
@_version
@_language
@_db
@click.pass_obj
@domain_errors
def validate_command(settings: Settings, expression: str, display: str | None, version: str | None,
                     language: str | None, db_url: str | None) -> None:
    """Is EXPRESSION a valid code of the edition? Prints the verdict, the display and every issue; exits with
    status 1 when it is not valid.

    \b
        vardterm expression validate '49076000 |Knee joint| : 272741003 |Laterality| = 24028007 |Right|'
        vardterm expression validate --language sv '609588000 : { 363704007 = (49076000 : 272741003 = 24028007) }'
    """
    result = terminology_service(settings, db_url).validate(t.ValidateRequest(
        target="CodeSystem", mode="code", url=SCT, version=version, codings=(t.Coding(SCT, expression, display),),
        display_language=language))
    click.echo("valid" if result.result else "not valid")
    if result.display:
        click.echo(f"display: {result.display}")
    for issue in result.issues:
        click.echo(f"{issue.severity}: {issue.text}")
    if not result.result:
        raise SystemExit(1)


@expression_group.command("normalize")
@click.argument("expression")
@_version
@_language
@_db
@click.pass_obj
@domain_errors
def normalize_command(settings: Settings, expression: str, version: str | None, language: str | None,
                      db_url: str | None) -> None:
    """Print the long normal form of EXPRESSION (or of a concept id), with terms and terse (ids only).

    \b
        vardterm expression normalize '609588000 |Total knee replacement| : { 363704007 = 49076000 }'
    """
    found = terminology_service(settings, db_url).lookup(t.LookupRequest(
        system=SCT, code=expression, version=version, display_language=language,
        properties=("normalForm", "normalFormTerse")))
    forms = {p.code: p.value for p in found.properties}
    click.echo(forms.get("normalForm", ""))
    click.echo(forms.get("normalFormTerse", ""))


@expression_group.command("subsumes")
@click.argument("code_a")
@click.argument("code_b")
@_version
@_db
@click.pass_obj
@domain_errors
def subsumes_command(settings: Settings, code_a: str, code_b: str, version: str | None, db_url: str | None) -> None:
    """How CODE_A relates to CODE_B (concept ids or expressions): equivalent, subsumes, subsumed-by or
    not-subsumed; an error when no outcome follows from their normal forms.

    \b
        vardterm expression subsumes 609588000 '609588000 : { 363704007 = (49076000 : 272741003 = 24028007) }'
    """
    outcome = terminology_service(settings, db_url).subsumes(t.SubsumesRequest(
        system=SCT, code_a=code_a, code_b=code_b, version=version))
    click.echo(outcome)
