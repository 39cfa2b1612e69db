"""Sök (issue 8 "Pages: Search"): one box with concept autocomplete, the patient facts, meeting form, place
or postal code with distance, maximum wait and capacity period; results explained row by row, excluded
candidates on request, CSV export and a print stylesheet. The search runs for the user's own region
(the directory refuses any other, ``mappings.care.access``)."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

import terminology as t
from mappings import care

from ..care import params as care_params, render
from .common import directory, page, user

router = APIRouter()

FORM_FIELDS = ("text", "code", "system", "age", "sex", "asa", "bmi", "meetingForm", "postalCode", "distance",
               "maxWait", "capacityFrom", "capacityTo", "sort", "includeExcluded", "date", "region", "_offset",
               "_count")


def _items(request: Request, who: t.Principal) -> list[tuple[str, str]]:
    """The form's fields as ``$care-search`` parameters (a picked concept wins over its text)."""
    q = request.query_params
    items = [(name, q.get(name, "").strip()) for name in FORM_FIELDS if q.get(name, "").strip()]
    if any(n == "code" for n, _ in items):
        items = [(n, v) for n, v in items if n != "text"]
    if who.region:
        items = [(n, v) for n, v in items if n != "region"] + [("region", who.region)]
    return [(n, "true" if n == "includeExcluded" else v) for n, v in items]


def _search(request: Request, who: t.Principal) -> tuple[dict | None, str | None]:
    items = _items(request, who)
    if not any(n in ("text", "code") for n, _ in items):
        return None, None
    try:
        result = directory(request).search(care_params.search_request(items), by=who)
    except t.TooCostly as exc:
        return None, too_costly_text(exc)
    except t.InvalidRequest as exc:
        return None, exc.text
    return render.search_json(result, render.page_links(result, request.url.path, items)), None


def too_costly_text(exc: t.TooCostly) -> str:
    """A search refused as too costly, in Swedish: stopped at the statement budget
    (``VARDTERM_ECL_TIME_BUDGET_MS``, :func:`terminology.store.budget.guard`) or over another limit."""
    budget_ms = getattr(exc, "budget_ms", None)
    if budget_ms is not None:
        return (f"Sökningen tog längre tid än serverns tidsgräns på {budget_ms} ms och avbröts. Gör den smalare: "
                "ett mer specifikt begrepp, en plats med avstånd eller färre träfftyper.")
    return f"Sökningen blev för omfattande och gjordes inte ({exc.text}). Gör den smalare, t.ex. med färre ord."


@router.get("/sok")
def search_page(request: Request):
    who = user(request)
    answer, error = _search(request, who)
    regions = [] if who.region else sorted(directory(request).store.regions(), key=lambda r: r.county or "")
    settings = request.app.state.settings
    return page(request, "sok.html", q=request.query_params, answer=answer, error=error, regions=regions,
                reason_text=care.REASON_TEXT, referrals=care.codes.REFERRALS, export=str(request.url.query),
                map_tiles=settings.map_tile_url, map_attribution=settings.map_tile_attribution)


@router.get("/sok.csv")
def search_csv(request: Request):
    """The hits (and excluded candidates when asked) as CSV, one row per service, for Excel (``;``, BOM)."""
    who = user(request)
    answer, error = _search(request, who)
    if answer is None:
        raise t.InvalidRequest.plain(error or "Ange en sökning")
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["status", "vårdgivare", "enhet", "HSA-id", "plats", "avstånd km", "tjänst", "träfftyp",
                "begreppsväg", "avtal", "giltigt till", "löper ut inom 90 dagar", "villkor", "väntetid",
                "kapacitet", "skäl"])
    for status, hits in (("träff", answer["hits"]), ("utesluten", answer["excluded"])):
        for h in hits:
            a, place = h["agreement"] or {}, h["place"] or {}
            w.writerow([status, (h["provider"] or {}).get("name", ""), (h["unit"] or {}).get("name", ""),
                        (h["unit"] or {}).get("hsaId", ""), place.get("city") or place.get("name", ""),
                        place.get("distanceKm") if place.get("distanceKm") is not None else "",
                        h["service"]["name"], h["match"]["type"],
                        " > ".join(c["display"] or c["code"] for c in h["match"]["path"]),
                        a.get("identifier", ""), a.get("validTo") or "", "ja" if a.get("expiresWithin90Days") else "",
                        "; ".join(x for x in (h["conditions"]["referralText"], h["conditions"]["text"]) if x),
                        h["waitingTime"]["text"],
                        "; ".join(f"{c['periodStart']}–{c['periodEnd']}" for c in h["capacity"]),
                        "; ".join(r["text"] for r in h["reasons"])])
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="vardsok.csv"'})


@router.get("/api/begrepp")
def concepts(request: Request, q: str = "", system: str | None = None):
    """Autocomplete for the search box and the code pickers: active concepts for the text (Swedish and
    English terms, typo-tolerant), those with services first."""
    who = user(request)
    if len(q.strip()) < 2:
        return JSONResponse([])
    try:
        found = directory(request).concepts(q, by=who, limit=12)
    except (t.InvalidRequest, t.TooCostly):
        return JSONResponse([])
    if system:
        found = [c for c in found if c.concept.coding.system == system]
    return JSONResponse([{"system": c.concept.coding.system, "code": c.concept.coding.code,
                          "display": c.concept.coding.display, "term": c.term,
                          "systemName": render.SYSTEM_NAMES.get(c.concept.coding.system, c.concept.coding.system),
                          "hasServices": c.has_services} for c in found])


@router.get("/enhet/{unit_id}")
def unit_page(request: Request, unit_id: str):
    """A unit's and its provider's contact details, opening hours and places."""
    who = user(request)
    d = directory(request)
    unit = d.read("Organization", unit_id, by=who).record
    provider = d.read("Organization", unit.part_of, by=who).record if unit.part_of else None
    _, places = d.find("Location", [("organization", f"Organization/{unit.id}")], by=who, count=50)
    return page(request, "enhet.html", unit=unit, provider=provider, places=[p.record for p in places])
