"""What a new release does to the care directory, and the guided fix of a service's type (issue 20).

* A service typed with a concept the release inactivates is a finding, with the replacements the release's
  historical associations suggest (SAME AS, REPLACED BY, ...; SNOMED CT Editorial Guide "Historical
  associations").
* A service typed with a concept whose ancestors change (the concept itself or one above it moved) is a
  finding: the care search walks the concept hierarchy (care-search.md), so a search at a lost ancestor no
  longer finds the service and one at a gained ancestor now does. The ancestors are read on the inferred is-a
  closure of FROM and of TO.
* Each finding names the regions and agreements whose commissions cover the service.

Accepting a replacement changes the service's type (the other types stay) through the directory's ordinary
checked write, with a history entry on channel ``release`` that says who and why.
"""

from __future__ import annotations

from dataclasses import replace

import terminology as t
from terminology.release import Finding, Ref, ReleaseDiff, parse_finding

from . import model as m
from .directory import CareDirectory

CHANNEL = "release"


def service_impact(directory: CareDirectory, diff: ReleaseDiff) -> tuple[list[Finding], int]:
    """Findings for the active services typed with codes of the diff's code system, and how many were looked at."""
    typed = directory.store.services_typed(diff.system)
    findings: list[Finding] = []
    moved = {mv.concept.code for mv in diff.moved}
    lost: dict[str, set[str]] = {}
    gained: dict[str, set[str]] = {}
    if diff.system == t.snomed.SYSTEM and typed:
        codes = sorted(typed)
        before = directory.service.ancestors(codes, version=diff.from_version)
        after = directory.service.ancestors(codes, version=diff.to_version)
        for code in codes:
            if code in before and code in after:
                a, b = before[code][1], after[code][1]
                if a != b:
                    lost[code], gained[code] = set(a - b), set(b - a)
    else:
        for code in moved & set(typed):
            lost[code], gained[code] = set(), set()
    names = _names(directory, diff, {c for cs in (*lost.values(), *gained.values()) for c in cs})
    hits = [(code, sid, name) for code, services in typed.items() for sid, name in services
            if diff.inactivation(code) is not None or code in lost]
    cover = directory.store.coverage(sorted({sid for _, sid, _ in hits}))
    for code, sid, name in sorted(hits):
        regions, agreements = cover.get(sid, (set(), set()))
        inact = diff.inactivation(code)
        if inact is not None:
            findings.append(Finding("service", sid, name, code, inact.concept.display, "inactivated", "inactivated",
                                    f"Tjänstens typ är inaktiverad ({inact.reason_text or 'utan orsak'})",
                                    inact.replacements, tuple(sorted(regions)), tuple(sorted(agreements))))
        else:
            display = names.get(code) or next((mv.concept.display for mv in diff.moved if mv.concept.code == code),
                                              None)
            findings.append(Finding(
                "service", sid, name, code, display, "moved", "moved" if code in moved else "hierarchy",
                "Tjänstens typ har flyttats i hierarkin: vårdsökningar på andra begrepp hittar den nu",
                (), tuple(sorted(regions)), tuple(sorted(agreements)),
                tuple(Ref(c, names.get(c)) for c in sorted(lost[code])),
                tuple(Ref(c, names.get(c)) for c in sorted(gained[code]))))
    return findings, sum(len(v) for v in typed.values())


def _names(directory: CareDirectory, diff: ReleaseDiff, codes: set[str]) -> dict[str, str | None]:
    if not codes or diff.system != t.snomed.SYSTEM:
        return {}
    out: dict[str, str | None] = {}
    for version in (diff.from_version, diff.to_version):
        for c in sorted(codes - set(out)):
            try:
                out[c] = directory.service.lookup(t.LookupRequest(system=diff.system, code=c, version=version,
                                                                  display_language="sv")).display
            except t.TerminologyError:
                continue
    return out


def accept_for_service(directory: CareDirectory, review: t.ReleaseReview, diff: ReleaseDiff, key: str, *,
                       action: str, by: t.Principal, replacement: str | None = None,
                       comment: str | None = None):
    """Decide on a service finding: ``accepted`` / ``replaced`` puts ``replacement`` in place of the type's
    code (admin only, the care directory's owner), ``dismissed`` records the comment. Returns the decision."""
    kind, sid, change, code = parse_finding(key)
    if kind != "service":
        raise t.InvalidRequest.plain(f"'{key}' is not a finding about a service")
    t.require(by, "admin", action="change a service's type after a release")
    if action == "dismissed":
        return review.decide(diff, key, action=action, by=by, comment=comment)
    display = review.check_replacement(diff.system, diff.to_version, replacement or "")
    stored = directory.store.get("HealthcareService", sid)
    if stored is None or not isinstance(stored.record, m.CareService):
        raise t.UnknownResource("OP_UNKNOWN_RESOURCE", "HealthcareService", sid)
    record = stored.record
    if not any(c.system == diff.system and c.code == code for c in record.types):
        raise t.InvalidRequest.plain(f"Tjänsten {record.name} har inte längre typen {code}")
    new = replacement.strip()
    types: list[t.Coding] = []
    for c in record.types:
        coding = t.Coding(diff.system, new, display) if c.system == diff.system and c.code == code else c
        if coding not in types and not any(x.system == coding.system and x.code == coding.code for x in types):
            types.append(coding)
    why = (f"release {diff.from_version} -> {diff.to_version}: typen {code} ersatt med {new}"
           + (f"; {comment.strip()}" if comment and comment.strip() else ""))
    principal = t.Principal(by.subject, by.roles, by.region, CHANNEL)
    written = directory.write_records([replace(record, types=tuple(types))], by=principal, note=why)
    result = f"HealthcareService/{sid} (version {written[0].stored.version_id})"
    return review.decide(diff, key, action=action, by=by, replacement=new, comment=comment, result=result)


def release_impact(review: t.ReleaseReview, directory: CareDirectory | None, diff: ReleaseDiff, *,
                   wait: float | None = None):
    """The whole impact of ``diff``: value sets and maps (:meth:`terminology.ReleaseReview.impact`) and, with a
    directory, its services. Kept per system, FROM, TO, catalog generation and directory generation
    (:meth:`terminology.ReleaseReview.kept_impact`), so the page, its decisions and downloads compute it once
    until something is loaded or written; None when ``wait`` seconds pass before it is computed."""
    also = (directory.store.generation(),) if directory is not None else ("utan vårdkatalog",)
    return review.kept_impact(diff, lambda: _whole_impact(review, directory, diff), also=also, wait=wait)


def _whole_impact(review: t.ReleaseReview, directory: CareDirectory | None, diff: ReleaseDiff):
    base = review.impact(diff)
    if directory is None:
        return base
    found, checked = service_impact(directory, diff)
    return t.release.Impact(diff, base.findings + tuple(found), base.notes, {**base.checked, "service": checked})
