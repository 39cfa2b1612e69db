"""Mappningsprojekt (issue 21): the mapping workbench's pages. A list of projects with the form that starts one
(a CSV or Excel term list, the target, the source system), a project's page (progress, filters, every row with
its best suggestion and decision, export, history, publish), and the review queue: one row at a time, keyboard
friendly (``mapping.js``: 1-5 accept a suggestion, ``n`` NO MAP, ``s`` search again, ``e``/``b``/``m``/``r``
the relationship, ``j``/``k`` next and previous row). Every rule (roles, NO MAP needs a comment, the second
reviewer) is enforced by :class:`mappings.workbench.Workbench`; the pages show what it allows."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

import terminology as t
from mappings.workbench import FILTERS, RELATIONSHIPS, FileRejected, Target, Workbench

from .codelist_pages import KINDS, NAMES
from .common import check_csrf, page, uploaded, user

log = logging.getLogger(__name__)
router = APIRouter()

MAX_BYTES = 10 * 1024 * 1024
TARGETS = {"snomed": ("SNOMED CT", t.snomed.SYSTEM), "kva": ("KVÅ", "urn:oid:1.2.752.116.1.3.2.1.4"),
           "icd10se": ("ICD-10-SE", "urn:oid:1.2.752.116.1.1.1.1.3")}
RELATION_TEXT = {"equivalent": "likvärdig (equivalent)",
                 "source-is-broader-than-target": "källan är bredare än målet",
                 "source-is-narrower-than-target": "källan är smalare än målet",
                 "related-to": "relaterad (related-to)", "not-related-to": "inte relaterad (not-related-to)"}
FILTER_TEXT = {"alla": "Alla", "ogranskade": "Ogranskade", "lag": "Låg poäng", "nomap": "NO MAP",
               "flaggade": "Flaggade", "granskade": "Granskade"}
HOW_TEXT = {"exact": "exakt term", "words": "alla ord i termen", "prefix": "förkortning", "compound": "sammansatt ord",
            "typo": "stavfel", "partial": "några ord"}
STATUS_TEXT = {"granskas": "granskas", "publicerad": "publicerad (utkast till ConceptMap)"}


def workbench(request: Request) -> Workbench:
    """The app's workbench (made on first use from the app's terminology service and authoring facade)."""
    state = request.app.state
    wb = getattr(state, "workbench", None)
    if wb is None:
        wb = state.workbench = Workbench(state.service, state.authoring)
    return wb


def _page(request: Request, template: str, status: int = 200, **context):
    return page(request, template, status=status, relation_text=RELATION_TEXT, filter_text=FILTER_TEXT,
                how_text=HOW_TEXT, status_text=STATUS_TEXT, targets=TARGETS, relationships=RELATIONSHIPS,
                editor=lambda who: who.has(*t.TERMINOLOGY_EDITORS), kinds=KINDS, names=NAMES, rtype=None,
                tab="mappningsprojekt", **context)


@router.get("/mappningsprojekt")
def projects(request: Request):
    """The projects and the form that starts one."""
    user(request)
    return _page(request, "mp_lista.html", projects=workbench(request).projects(), problems=[], form={})


@router.post("/mappningsprojekt")
async def start(request: Request):
    """Start a project: the file is checked row by row; any problem stores nothing and is listed."""
    who = user(request)
    form = await check_csrf(request)
    fields = {k: str(form.get(k) or "").strip() for k in ("title", "source_system", "target", "target_url",
                                                          "version", "ecl", "value_set")}
    wb = workbench(request)
    try:
        data, name = await uploaded(form, max_bytes=MAX_BYTES)
        system = TARGETS[fields["target"]][1] if fields["target"] in TARGETS else fields["target_url"]
        if not system:
            raise t.InvalidRequest.plain("Välj ett mål: SNOMED CT, KVÅ, ICD-10-SE eller ett kodverks URL")
        pid = wb.create(title=fields["title"], source_system=fields["source_system"],
                        target=Target(system, fields["version"] or None, fields["ecl"] or None,
                                      fields["value_set"] or None),
                        data=data, file=name, by=t.Principal(who.subject, who.roles, who.region, "file"))
    except FileRejected as exc:
        return _page(request, "mp_lista.html", status=400, projects=wb.projects(), problems=exc.problems,
                     form=fields)
    except t.TerminologyError as exc:
        if isinstance(exc, (t.Forbidden, t.Unauthenticated)):
            raise
        return _page(request, "mp_lista.html", status=400, projects=wb.projects(), problems=[exc.text], form=fields)
    return RedirectResponse(f"/app/mappningsprojekt/{pid}", status_code=303)


@router.get("/mappningsprojekt/{pid}")
def project(request: Request, pid: int, filter: str = "alla", klart: str = ""):
    """A project: progress, filters and every row."""
    who = user(request)
    wb = workbench(request)
    p = wb.project(pid)
    rows = wb.rows(pid, which=filter)
    done, total = wb.progress(pid)
    everyone = wb.rows(pid)
    deciders = sorted({r["decided_by"] for r in everyone if r["decided_by"]})
    reason = None
    if done < total:
        reason = f"{total - done} rader är inte granskade än."
    elif wb.authoring.review_required and who.subject in deciders:
        reason = "Du har beslutat rader i projektet; en andra informatiker bekräftar och publicerar."
    return _page(request, "mp_projekt.html", p=p, rows=rows, which=filter, done=done, total=total,
                 deciders=deciders, publish_reason=reason, filters=FILTERS,
                 finished=FILTER_TEXT.get(klart, "").lower())


@router.get("/mappningsprojekt/{pid}/granska")
def review(request: Request, pid: int, rad: int | None = None, filter: str = "ogranskade", sok: str = ""):
    """The review queue: one row, its suggestions (or a new search), the decision form."""
    user(request)
    wb = workbench(request)
    p = wb.project(pid)
    queue = wb.rows(pid, which=filter)
    done, total = wb.progress(pid)
    if rad is None:
        if not queue:
            return RedirectResponse(f"/app/mappningsprojekt/{pid}?klart={filter}", status_code=303)
        rad = queue[0]["row_no"]
    row = wb.row(pid, rad)
    problem = None
    suggestions = row["suggestions"]
    if sok.strip():
        try:
            suggestions = wb.search(pid, sok)
        except t.InvalidRequest as exc:
            problem = exc.text
    numbers = [r["row_no"] for r in queue]
    after = [n for n in numbers if n > rad]
    before = [n for n in numbers if n < rad]
    return _page(request, "mp_granska.html", p=p, row=row, suggestions=suggestions, sok=sok, which=filter,
                 done=done, total=total, next_row=after[0] if after else None, prev_row=before[-1] if before else None,
                 problem=problem, position=(numbers.index(rad) + 1) if rad in numbers else None, queue=len(numbers))


@router.post("/mappningsprojekt/{pid}/granska")
async def decide(request: Request, pid: int):
    """Record a decision and go on to the next row of the queue."""
    who = user(request)
    form = await check_csrf(request)
    wb = workbench(request)
    rad = int(str(form.get("rad") or 0))
    which = str(form.get("filter") or "ogranskade")
    which = which if which in FILTERS else "ogranskade"
    try:
        wb.decide(pid, rad, by=t.Principal(who.subject, who.roles, who.region, "web"),
                  code=str(form.get("code") or "") or None, relationship=str(form.get("relationship") or "equivalent"),
                  no_map=form.get("nomap") == "1", comment=str(form.get("comment") or ""))
    except t.InvalidRequest as exc:
        row = wb.row(pid, rad)
        done, total = wb.progress(pid)
        return _page(request, "mp_granska.html", status=400, p=wb.project(pid), row=row,
                     suggestions=row["suggestions"], sok="", which=which, done=done, total=total, next_row=None,
                     prev_row=None, problem=exc.text, position=None, queue=0)
    following = [r["row_no"] for r in wb.rows(pid, which=which) if r["row_no"] > rad]
    if which != "ogranskade" and not following:
        return RedirectResponse(f"/app/mappningsprojekt/{pid}?filter={which}", status_code=303)
    query = {"filter": which, **({"rad": following[0]} if following else {})}
    return RedirectResponse(f"/app/mappningsprojekt/{pid}/granska?{urlencode(query)}", status_code=303)


@router.post("/mappningsprojekt/{pid}/publicera")
async def publish(request: Request, pid: int):
    """The second reviewer confirms; the ConceptMap draft is stored and its page opened."""
    who = user(request)
    await check_csrf(request)
    saved = workbench(request).publish(pid, by=t.Principal(who.subject, who.roles, who.region, "web"))
    return RedirectResponse(f"/app/mappningar/{saved.resource['id']}", status_code=303)


@router.post("/mappningsprojekt/{pid}/kor-om")
async def rerun(request: Request, pid: int):
    """Check every target against the current release; rows with inactive targets are flagged."""
    who = user(request)
    await check_csrf(request)
    flagged = workbench(request).rerun(pid, by=t.Principal(who.subject, who.roles, who.region, "web"))
    return RedirectResponse(f"/app/mappningsprojekt/{pid}?filter={'flaggade' if flagged else 'alla'}",
                            status_code=303)


@router.get("/mappningsprojekt/{pid}/historik")
def history(request: Request, pid: int):
    user(request)
    wb = workbench(request)
    return _page(request, "mp_historik.html", p=wb.project(pid), events=wb.history(pid))


@router.get("/mappningsprojekt/{pid}/export.{fmt}")
def export(request: Request, pid: int, fmt: str):
    """The rows and decisions as CSV (``;``, UTF-8 with BOM) or Excel."""
    user(request)
    if fmt not in ("csv", "xlsx"):
        raise t.UnknownResource.plain(f"Exportformatet {fmt} finns inte (csv eller xlsx)")
    name, body = workbench(request).export(pid, fmt=fmt)
    media = "text/csv; charset=utf-8" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
