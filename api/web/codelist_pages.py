"""Kodverk, Värdemängder and Mappningar (issue 17): the lists of stored code systems, value sets and concept maps
with filters; one resource's page (metadata, definition, versions, for a value set its expansion with Swedish
displays, for a draft what changed since the last active version and whether the user may release it); the
history of a resource's versions; the comparison of two versions; and the life-cycle actions (new draft,
release, retire). Every rule is enforced below, by :class:`terminology.Authoring` and the repository; the
pages show informatiker and admins the controls, everyone else reads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.convertors import Convertor, register_url_convertor

import terminology as t

from .common import check_csrf, page, user

router = APIRouter()

KINDS = {"kodverk": "CodeSystem", "vardemangder": "ValueSet", "mappningar": "ConceptMap"}


class _Kind(Convertor):
    """A path segment naming one of the three lists, so ``/app/sok`` and ``/app/avtal/...`` keep their routes."""

    regex = "|".join(KINDS)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("codelist", _Kind())
SLUGS = {v: k for k, v in KINDS.items()}
NAMES = {"CodeSystem": ("Kodverk", "kodverket", "Nytt kodverk"), "ValueSet": ("Värdemängder", "värdemängden",
                                                                              "Ny värdemängd"),
         "ConceptMap": ("Mappningar", "mappningen", None)}
STATUS_TEXT = {"draft": "utkast", "active": "aktiv", "retired": "avvecklad", "unknown": "okänd"}
PAGE_SIZE = 50


def authoring(request: Request) -> t.Authoring:
    return request.app.state.authoring


def editor(who: t.Principal) -> bool:
    """Whether to show the authoring controls (the repository decides what is allowed)."""
    return who.has(*t.TERMINOLOGY_EDITORS)


def kind_of(slug: str) -> str:
    if slug not in KINDS:
        raise t.UnknownResource.plain(f"Det finns ingen lista som heter {slug}")
    return KINDS[slug]


def resource_url(resource: dict, suffix: str = "") -> str:
    return f"/app/{SLUGS[resource['resourceType']]}/{resource['id']}{suffix}"


def codelist_page(request: Request, template: str, status: int = 200, **context):
    """A code-list page with the shared names and helpers."""
    return page(request, template, status=status, kinds=KINDS, slugs=SLUGS, names=NAMES, status_text=STATUS_TEXT,
                editor=editor, resource_url=resource_url, system_name=t.authoring.system_name,
                field_names=t.authoring.FIELD_NAMES, **context)


@router.get("/{slug:codelist}")
def listing(request: Request, slug: str, q: str = "", status: str = "", sida: int = 1):
    """The list of one resource type, filtered by text and status, 50 a page."""
    user(request)
    rtype = kind_of(slug)
    if status and status not in STATUS_TEXT:
        raise t.InvalidRequest.plain(f"Okänd status '{status}'")
    sida = max(1, sida)
    total, rows = authoring(request).listing(rtype, text=q or None, status=status or None,
                                             offset=(sida - 1) * PAGE_SIZE, count=PAGE_SIZE)
    return codelist_page(request, "kod_lista.html", slug=slug, rtype=rtype, rows=rows, total=total, q=q,
                         wanted=status, sida=sida, pages=max(1, -(-total // PAGE_SIZE)))


@router.get("/{slug:codelist}/{rid}")
def resource_page(request: Request, slug: str, rid: str, filter: str = "", sida: int = 1):
    """One version: metadata, definition, versions, the expansion of a value set, the review of a draft."""
    who = user(request)
    rtype = kind_of(slug)
    a = authoring(request)
    resource = a.read(rtype, rid)
    context: dict = {"resource": resource, "slug": slug, "rtype": rtype, "versions": a.versions(resource),
                     "lines": t.authoring.definition_lines(resource, a.names()), "filter": filter}
    if rtype == "ValueSet":
        context.update(_expansion(a, resource, filter, max(1, sida)))
        context["ecl"] = t.authoring.ecl_of(resource.get("compose") or {})
    if rtype == "CodeSystem":
        context["concepts"] = t.authoring.codesystem.rows(resource)
    if resource.get("status") == "draft":
        last = a.last_active(resource)
        context["since"] = a.compare(last, resource) if last is not None else None
        context["review"] = a.review(resource, who)
    context["saved"] = request.query_params.get("sparat")
    return codelist_page(request, "kod_resurs.html", **context)


def _expansion(a: t.Authoring, resource: dict, text: str, sida: int) -> dict:
    try:
        e = a.expansion(resource, count=PAGE_SIZE, offset=(sida - 1) * PAGE_SIZE, text=text or None)
    except t.TerminologyError as exc:
        return {"expansion": None, "expansion_error": exc.text}
    return {"expansion": e, "expansion_error": None, "sida": sida,
            "pages": max(1, -(-(e.total or 0) // PAGE_SIZE))}


@router.get("/{slug:codelist}/{rid}/historik")
def history_page(request: Request, slug: str, rid: str):
    """Who changed which version of the resource's URL, when, through which channel and what."""
    user(request)
    rtype = kind_of(slug)
    a = authoring(request)
    resource = a.read(rtype, rid)
    events = a.history(rtype, url=resource["url"]) if resource.get("url") else a.history(rtype, id_=rid)
    return codelist_page(request, "kod_historik.html", resource=resource, slug=slug, events=events)


@router.get("/{slug:codelist}/{rid}/jamfor")
def compare_page(request: Request, slug: str, rid: str, med: str = ""):
    """Two versions side by side: metadata, definition lines and (value sets) members added and removed."""
    user(request)
    rtype = kind_of(slug)
    a = authoring(request)
    resource = a.read(rtype, rid)
    versions = a.versions(resource)
    other_id = med or next((v["id"] for v in versions if v["id"] != rid), "")
    if not other_id:
        raise t.InvalidRequest.plain("Det finns ingen annan version att jämföra med")
    other = a.read(rtype, other_id)
    before, after = sorted((other, resource), key=lambda r: r.get("meta", {}).get("lastUpdated", ""))
    return codelist_page(request, "kod_jamfor.html", resource=resource, slug=slug, versions=versions,
                         other=other, diff=a.compare(before, after))


@router.post("/{slug:codelist}/{rid}/utkast")
async def new_draft(request: Request, slug: str, rid: str):
    """CRMI $draft from the page: a new draft version, then its page."""
    who = user(request)
    form = await check_csrf(request)
    saved = authoring(request).draft(kind_of(slug), rid, version=str(form.get("version", "")).strip() or None,
                                     by=who)
    return RedirectResponse(resource_url(saved.resource, "?sparat=utkast"), status_code=303)


@router.post("/{slug:codelist}/{rid}/slapp")
async def release(request: Request, slug: str, rid: str):
    """CRMI $release from the page (a second person; the version as the draft says)."""
    who = user(request)
    form = await check_csrf(request)
    saved = authoring(request).release(kind_of(slug), rid, release_label=str(form.get("label", "")).strip() or None,
                                       by=who)
    return RedirectResponse(resource_url(saved.resource, "?sparat=slappt"), status_code=303)


@router.post("/{slug:codelist}/{rid}/avveckla")
async def retire(request: Request, slug: str, rid: str):
    who = user(request)
    await check_csrf(request)
    saved = authoring(request).retire(kind_of(slug), rid, by=who)
    return RedirectResponse(resource_url(saved.resource, "?sparat=avvecklad"), status_code=303)

