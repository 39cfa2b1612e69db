"""``vardterm release ...``: what a new release changed and what it breaks (issue 20).

``diff`` is :meth:`terminology.ReleaseReview.diff`; ``impact`` adds the findings in the stored value sets, maps
and care services (:func:`mappings.care.release.release_impact`), the same ones ``/api/terminology/impact`` and
the page Ny release show.
"""

from __future__ import annotations

import json
import sys

import click

import terminology as t
from api.settings import Settings
from mappings import care

from .clierrors import domain_errors
from .expression_cli import terminology_service

_formats = [click.option("--json", "as_json", is_flag=True, help="Print JSON (the /api answer)."),
            click.option("--csv", "as_csv", is_flag=True, help="Print CSV, one row per change or finding.")]
_sides = [click.argument("from_", metavar="FROM"), click.argument("to", metavar="TO")]

CHANGE_TEXT = {"added": "nya begrepp", "reactivated": "återaktiverade", "inactivated": "inaktiverade",
               "moved": "flyttade i hierarkin", "terms": "ändrade föredragna termer/FSN",
               "descriptions_added": "nya beskrivningar", "descriptions_inactivated": "inaktiverade beskrivningar",
               "refset_members_added": "nya refset-medlemmar", "refset_members_removed": "borttagna refset-medlemmar"}
KIND_TEXT = {"valueset": "Värdemängd", "conceptmap": "Mappning", "service": "Tjänst"}


def _options(fn):
    for option in reversed(_sides + _formats):
        fn = option(fn)
    return fn


def _review(settings: Settings) -> t.ReleaseReview:
    service = terminology_service(settings)
    return t.ReleaseReview(service, t.Authoring(service))


@click.group("release")
def release_group() -> None:
    """What a new release changed and what it breaks in the value sets, maps and care directory.

    FROM and TO are two loaded SNOMED CT version URIs, or two stored versions of a CodeSystem as url|version:

    \b
        vardterm release diff http://snomed.info/sct/45991000052106/version/20231231 \\
                              http://snomed.info/sct/45991000052106/version/20251130
        vardterm release impact 'http://example.org/kva|2025' 'http://example.org/kva|2026' --csv
    """


@release_group.command("diff")
@_options
@click.pass_obj
@domain_errors
def release_diff(settings: Settings, from_: str, to: str, as_json: bool, as_csv: bool) -> None:
    """Concepts added, inactivated (reason and associations), reactivated, moved; term, description and refset
    changes; counts per hierarchy and module."""
    diff = _review(settings).diff(from_, to)
    if as_json:
        click.echo(json.dumps(t.release.diff_json(diff), ensure_ascii=False, indent=1))
    elif as_csv:
        sys.stdout.write(t.release.diff_csv(diff))
    else:
        _print_diff(diff)


@release_group.command("impact")
@_options
@click.pass_obj
@domain_errors
def release_impact(settings: Settings, from_: str, to: str, as_json: bool, as_csv: bool) -> None:
    """What the release breaks: value set members that leave or join, inactive codes in value set definitions
    and maps, services typed with inactivated or moved concepts (with regions and agreements)."""
    review = _review(settings)
    diff = review.diff(from_, to)
    directory = care.CareDirectory(review.service.db, review.service, refresh_seconds=0)
    impact = care.release.release_impact(review, directory, diff)
    decisions = review.decisions(diff)
    if as_json:
        click.echo(json.dumps(t.release.impact_json(impact, decisions), ensure_ascii=False, indent=1))
    elif as_csv:
        sys.stdout.write(t.release.impact_csv(impact, decisions))
    else:
        _print_diff(diff, short=True)
        _print_impact(impact, decisions)


def _print_diff(diff: t.release.ReleaseDiff, *, short: bool = False) -> None:
    click.echo(f"{diff.system}: {diff.from_version} -> {diff.to_version}")
    for name, n in diff.counts().items():
        click.echo(f"  {n:>8,} {CHANGE_TEXT[name]}")
    if short:
        return
    for name, counts in diff.by_hierarchy.items():
        if counts:
            click.echo(f"{CHANGE_TEXT[name].capitalize()} per hierarki: "
                       + ", ".join(f"{k} {v}" for k, v in list(counts.items())[:8]))
    for i in diff.inactivated:
        assoc = ", ".join(f"{a.name} {a.target.code} |{a.target.display}|" for a in i.associations)
        click.echo(f"inaktiverat {i.concept.code} |{i.concept.display}| ({i.reason_text or 'utan orsak'})"
                   + (f": {assoc}" if assoc else ""))
    for m in diff.moved:
        click.echo(f"flyttat {m.concept.code} |{m.concept.display}|: "
                   + " ".join([f"+{p.code}" for p in m.parents_added] + [f"-{p.code}" for p in m.parents_removed]))
    for term in diff.terms:
        if term.language == "sv":
            click.echo(f"svensk term {term.concept.code}: {term.before or '-'} -> {term.after or '-'}")


def _print_impact(impact: t.release.Impact, decisions: dict) -> None:
    checked = ", ".join(f"{n} {k}" for k, n in impact.checked.items())
    click.echo(f"Påverkan ({checked} kontrollerade): {len(impact.findings)} fynd")
    for f in impact.findings:
        s = f.suggestion
        line = f"{KIND_TEXT[f.kind]} {f.title} [{f.target}]: {f.code} |{f.display or ''}| {f.text}"
        if s:
            line += f"; förslag: {s.name} {s.target.code} |{s.target.display or ''}|"
        if f.searches_lost:
            line += "; hittas inte längre vid sökning på " + ", ".join(f"{r.code} |{r.display or ''}|"
                                                                     for r in f.searches_lost)
        if f.searches_gained:
            line += "; hittas nu vid sökning på " + ", ".join(f"{r.code} |{r.display or ''}|" for r in f.searches_gained)
        if f.kind == "service" and (f.region or f.agreements):
            line += f"; regioner: {', '.join(f.region) or '-'}; avtal: {', '.join(f.agreements) or '-'}"
        if f.key in decisions:
            line += f" [beslut: {decisions[f.key].action} av {decisions[f.key].who}]"
        click.echo(line)
    for note in impact.notes:
        click.echo(f"Obs: {note}")
