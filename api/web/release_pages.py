"""Ny release (issue 20): what a new release changed and what it breaks, and the guided fix.

``GET /app/release?system=&from=&to=``: the summary counts of the release diff, then the findings in the value
sets, maps and care services, grouped per value set / map / service (a drill-down each), with CSV and Excel
downloads (``/api/terminology/...?format=``). The impact is computed once and kept (:mod:`terminology.release.kept`) for the
page, its decisions and the downloads; a page that has waited :data:`PAGE_WAIT_SECONDS` for it says that it is
being computed and reloads itself. ``POST /app/release/beslut``: one decision on one finding:
accept the suggested replacement, choose another concept, or dismiss with a comment. Value sets and maps get
a new draft version (informatiker); a service's type is changed with a history entry on channel ``release``
(admin, the care directory's owner). Nothing changes without that decision.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

import terminology as t
from mappings import care

from .codelist_pages import codelist_page
from .common import check_csrf, directory, user

router = APIRouter()

KIND_TEXT = {"valueset": ("Värdemängder", "värdemängd"), "conceptmap": ("Mappningar", "mappning"),
             "service": ("Tjänster i vårdkatalogen", "tjänst")}
CHANGE_TEXT = {"left": "lämnar", "joined": "kommer med", "listed-inactive": "inaktiv kod i definitionen",
               "source-inactive": "inaktiv källkod", "target-inactive": "inaktiv målkod",
               "inactivated": "typen inaktiverad", "moved": "typen flyttad"}
ACTION_TEXT = {"accepted": "förslaget godtogs", "replaced": "ersattes med ett annat begrepp",
               "dismissed": "avfärdades"}
COUNT_TEXT = {"added": "Nya begrepp", "reactivated": "Återaktiverade", "inactivated": "Inaktiverade",
              "moved": "Flyttade i hierarkin", "terms": "Ändrade föredragna termer / FSN",
              "descriptions_added": "Nya beskrivningar", "descriptions_inactivated": "Inaktiverade beskrivningar",
              "refset_members_added": "Nya refset-medlemmar", "refset_members_removed": "Borttagna refset-medlemmar"}


PAGE_WAIT_SECONDS = 8.0
"""How long the page waits for an impact being computed before it answers "beräknar ..." (and reloads itself
every :data:`REFRESH_SECONDS` until the kept impact is there)."""
REFRESH_SECONDS = 5


def _review(request: Request) -> t.ReleaseReview:
    return request.app.state.release_review


def _choices(request: Request) -> dict[str, list[str]]:
    """The code systems with at least two loaded versions, and their versions (newest first)."""
    service = request.app.state.service
    out = {t.snomed.SYSTEM: [v.version for v in sorted(service.versions(), key=lambda v: (v.effective_date or "",
                                                                                           v.key), reverse=True)]}
    for cs in service.repository.current("CodeSystem"):
        if cs.get("url") and cs.get("version") and cs.get("content") != "supplement":
            out.setdefault(cs["url"], []).append(cs["version"])
    return {k: sorted(set(v), reverse=True) if k != t.snomed.SYSTEM else v for k, v in out.items() if len(v) >= 2}


def _defaults(request: Request, choices: dict[str, list[str]], system: str, from_: str, to: str):
    system = system or (t.snomed.SYSTEM if t.snomed.SYSTEM in choices else next(iter(choices), ""))
    versions = choices.get(system, [])
    # Another Kodsystem picked in the form sends the versions of the one shown before: start from its defaults.
    others = {v for url, vs in choices.items() if url != system for v in vs}
    from_, to = ("" if v in others and v not in versions else v for v in (from_, to))
    if system == t.snomed.SYSTEM and versions and not to:
        to = request.app.state.service.default_version() or versions[0]
    to = to or (versions[0] if versions else "")
    if not from_ and to:
        if system == t.snomed.SYSTEM:
            module = to.split("/version/")[0]
            older = [v for v in versions if v != to and v.split("/version/")[0] == module and v < to]
            from_ = older[0] if older else next((v for v in versions if v != to), "")
        else:
            from_ = next((v for v in versions if v < to), "")
    return system, from_, to


@router.get("/release")
def release_page(request: Request, system: str = "", to: str = "", status: int = 200, error: str | None = None):
    """The summary, the findings per value set / map / service, and a form per finding."""
    who = user(request)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="review a new release")
    from_ = request.query_params.get("from", "")
    choices = _choices(request)
    system, from_, to = _defaults(request, choices, system.strip(), from_.strip(), to.strip())
    diff = impact = None
    computing = False
    decisions: dict = {}
    problem = None
    if system and from_ and to:
        try:
            review = _review(request)
            sides = (from_, to) if system == t.snomed.SYSTEM else (f"{system}|{from_}", f"{system}|{to}")
            diff = review.diff(*sides)
            impact = care.release.release_impact(review, directory(request), diff, wait=PAGE_WAIT_SECONDS)
            computing = impact is None
            decisions = review.decisions(diff)
        except t.TerminologyError as exc:
            problem, status = exc.text, 400
    groups: dict[str, dict[str, list]] = {}
    if impact is not None:
        for f in impact.findings:
            groups.setdefault(f.kind, {}).setdefault(f.target, []).append(f)
    history = {}
    for d in decisions.values():
        if d.kind == "service" and d.target not in history:
            events = directory(request).history(by=who, resource_type="HealthcareService", resource_id=d.target,
                                                limit=1)
            history[d.target] = events[0] if events else None
    query = urlencode({"system": system, "from": from_, "to": to})
    return codelist_page(request, "release.html", status=status, tab="release", rtype=None, choices=choices,
                         system=system, from_=from_, to=to, diff=diff, impact=impact, groups=groups,
                         computing=computing, refresh_seconds=REFRESH_SECONDS,
                         decisions=decisions, history=history,
                         decided=sorted(decisions.values(), key=lambda d: d.seq, reverse=True), problem=problem, error=error, query=query, kind_text=KIND_TEXT,
                         change_text=CHANGE_TEXT, action_text=ACTION_TEXT, count_text=COUNT_TEXT, anchor=anchor,
                         may_decide=lambda kind: who.has("admin") if kind == "service" else who.has(
                             *t.TERMINOLOGY_EDITORS))


@router.post("/release/beslut")
async def decide(request: Request):
    """One decision on one finding; back to the page (at the finding) when it is recorded."""
    who = user(request)
    form = await check_csrf(request)
    system, from_, to = (str(form.get(k, "")).strip() for k in ("system", "from", "to"))
    key, action = str(form.get("finding", "")), str(form.get("action", ""))
    # Godta takes the suggestion the row shows; Ersätt the concept typed beside it.
    replacement = str(form.get("suggested" if action == "accepted" else "replacement", "")).strip() or None
    comment = str(form.get("comment", "")).strip() or None
    review = _review(request)
    sides = (from_, to) if system == t.snomed.SYSTEM else (f"{system}|{from_}", f"{system}|{to}")
    try:
        diff = review.diff(*sides)
        if key.startswith("service:"):
            care.release.accept_for_service(directory(request), review, diff, key, action=action, by=who,
                                            replacement=replacement, comment=comment)
        else:
            review.decide(diff, key, action=action, by=who, replacement=replacement, comment=comment)
    except (t.InvalidRequest, t.UnknownResource) as exc:
        request.scope["query_string"] = urlencode({"system": system, "from": from_, "to": to}).encode()
        return release_page(request, system=system, to=to, status=400, error=exc.text)
    anchor = "f-" + "".join(ch if ch.isalnum() else "-" for ch in key)
    return RedirectResponse(f"/app/release?{urlencode({'system': system, 'from': from_, 'to': to})}#{anchor}",
                            status_code=303)


def anchor(key: str) -> str:
    return "f-" + "".join(ch if ch.isalnum() else "-" for ch in key)
