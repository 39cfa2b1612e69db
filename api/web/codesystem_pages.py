"""A region's own code list (issue 17): create a CodeSystem, edit its details, add, change and retire codes
(display, Swedish and English terms, definition, parent, properties), replace its codes from a CSV or Excel file
with a row-level preview and an all-or-nothing commit (as the agreement upload does: nothing is kept between
the two steps, the file comes back with the confirmation and is checked again), and export it as CSV, Excel and
FHIR JSON. Only a draft is edited; the rules are :mod:`terminology.authoring.codesystem`'s."""

from __future__ import annotations

import base64
import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

import terminology as t

from .codelist_pages import authoring, codelist_page, resource_url
from .common import check_csrf, uploaded, user

router = APIRouter()

CS = t.authoring.codesystem
META_FIELDS = ("url", "version", "name", "title", "publisher", "description")
MAX_BYTES = 5 * 1024 * 1024
PROPERTY_ROWS = 3


def _meta_form(request: Request, resource: dict | None, *, values: dict | None = None, error: str | None = None,
               status: int = 200):
    values = values or {k: (resource or {}).get(k, "") for k in META_FIELDS}
    if resource is None and not values.get("version"):
        values["version"] = "0.1.0"
    return codelist_page(request, "kv_form.html", status=status, resource=resource, v=values, error=error,
                         rtype="CodeSystem", base=request.app.state.settings.canonical_base)


def _values(form) -> dict:
    return {k: str(form.get(k, "")).strip() for k in META_FIELDS}


@router.get("/kodverk/ny")
def new_code_system(request: Request):
    t.require(user(request), *t.TERMINOLOGY_EDITORS, action="skapa kodverk")
    return _meta_form(request, None)


@router.post("/kodverk/ny")
async def create_code_system(request: Request):
    who = user(request)
    form = await check_csrf(request)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="skapa kodverk")
    values = _values(form)
    try:
        if not values["name"] and not values["title"]:
            raise t.InvalidRequest.plain("Ange ett namn eller en titel")
        if not values["url"]:
            name = values["name"] or "".join(ch for ch in values["title"].title() if ch.isalnum())
            values["url"] = f"{request.app.state.settings.canonical_base.rstrip('/')}/CodeSystem/{name}"
        resource = {"resourceType": "CodeSystem", "status": "draft", "content": "complete", "language": "sv",
                    "caseSensitive": True, **{k: v for k, v in values.items() if v}, "concept": []}
        saved = authoring(request).create(resource, by=who)
    except t.InvalidRequest as exc:
        return _meta_form(request, None, values=values, error=exc.text, status=400)
    return RedirectResponse(resource_url(saved.resource, "?sparat=1"), status_code=303)


@router.get("/kodverk/{rid}/redigera")
def edit_code_system(request: Request, rid: str):
    who = user(request)
    resource = _draft(request, who, rid)
    return _meta_form(request, resource)


@router.post("/kodverk/{rid}/redigera")
async def save_code_system(request: Request, rid: str):
    who = user(request)
    form = await check_csrf(request)
    current = _draft(request, who, rid)
    values = _values(form)
    try:
        if not values["url"]:
            raise t.InvalidRequest.plain("Kodverket behöver en URL")
        changed = {k: v for k, v in current.items() if k not in META_FIELDS and k != "meta"}
        changed.update({k: v for k, v in values.items() if v})
        authoring(request).save("CodeSystem", rid, changed, by=who)
    except t.InvalidRequest as exc:
        return _meta_form(request, current, values=values, error=exc.text, status=400)
    return RedirectResponse(f"/app/kodverk/{rid}?sparat=1", status_code=303)


def _draft(request: Request, who: t.Principal, rid: str) -> dict:
    resource = authoring(request).read("CodeSystem", rid)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="ändra kodverk")
    t.lifecycle.check_editable(resource)
    return resource


def _concept_form(request: Request, resource: dict, row: CS.ConceptRow | None, *, original: str | None,
                  error: str | None = None, status: int = 200):
    props = list(row.properties if row else ()) + [("", "")] * PROPERTY_ROWS
    return codelist_page(request, "kv_kod.html", status=status, resource=resource, row=row, original=original,
                         props=props, error=error, codes=[r.code for r in CS.rows(resource) if r.code != original],
                         rtype="CodeSystem")


def _row(form) -> CS.ConceptRow:
    props, i = [], 0
    while f"p{i}_name" in form:
        name, value = str(form.get(f"p{i}_name", "")).strip(), str(form.get(f"p{i}_value", "")).strip()
        if name:
            props.append((name, value))
        i += 1
    return CS.ConceptRow(code=str(form.get("code", "")).strip(), display=str(form.get("display", "")).strip(),
                         sv=str(form.get("sv", "")).strip(), en=str(form.get("en", "")).strip(),
                         definition=str(form.get("definition", "")).strip(),
                         parent=str(form.get("parent", "")).strip(),
                         status="retired" if form.get("retired") else "active", properties=tuple(props))


@router.get("/kodverk/{rid}/kod")
def new_concept(request: Request, rid: str):
    resource = _draft(request, user(request), rid)
    return _concept_form(request, resource, None, original=None)


@router.get("/kodverk/{rid}/kod/{code}")
def edit_concept(request: Request, rid: str, code: str):
    resource = _draft(request, user(request), rid)
    row = CS.rows_by_code(resource).get(code)
    if row is None:
        raise t.UnknownResource.plain(f"Koden {code} finns inte i kodverket")
    return _concept_form(request, resource, row, original=code)


async def _save_concept(request: Request, rid: str, original: str | None):
    who = user(request)
    form = await check_csrf(request)
    resource = _draft(request, who, rid)
    row = _row(form)
    try:
        changed = CS.set_concept(resource, row, original=original)
        what = f"kod {row.code} {'ändrad' if original else 'tillagd'}" + (
            f" (var {original})" if original and original != row.code else "")
        authoring(request).save("CodeSystem", rid, changed, by=who, what=what)
    except t.InvalidRequest as exc:
        return _concept_form(request, resource, row, original=original, error=exc.text, status=400)
    return RedirectResponse(f"/app/kodverk/{rid}?sparat=1", status_code=303)


@router.post("/kodverk/{rid}/kod")
async def add_concept(request: Request, rid: str):
    return await _save_concept(request, rid, None)


@router.post("/kodverk/{rid}/kod/{code}")
async def change_concept(request: Request, rid: str, code: str):
    return await _save_concept(request, rid, code)


@router.post("/kodverk/{rid}/kod/{code}/avveckla")
async def retire_concept(request: Request, rid: str, code: str):
    who = user(request)
    await check_csrf(request)
    resource = _draft(request, who, rid)
    authoring(request).save("CodeSystem", rid, CS.retire_concept(resource, code), by=who, what=f"kod {code} avvecklad")
    return RedirectResponse(f"/app/kodverk/{rid}?sparat=1", status_code=303)


@router.get("/kodverk/{rid}/import")
def import_form(request: Request, rid: str):
    resource = _draft(request, user(request), rid)
    return codelist_page(request, "kv_import.html", resource=resource, preview=None, columns=CS.COLUMNS,
                         rtype="CodeSystem")


@router.post("/kodverk/{rid}/import")
async def import_file(request: Request, rid: str):
    """Preview a file (every row checked, nothing stored), or, confirmed, replace the codes with it at once."""
    who = user(request)
    form = await check_csrf(request)
    resource = _draft(request, who, rid)
    data, name = await uploaded(form, max_bytes=MAX_BYTES)
    preview = CS.preview_table(data, name)
    if form.get("confirm") == "1":
        changed = CS.with_table(resource, preview)
        authoring(request).save("CodeSystem", rid, changed, by=t.Principal(who.subject, who.roles, who.region, "file"),
                                what=f"{len(preview.concepts)} koder importerade från {name}")
        return RedirectResponse(f"/app/kodverk/{rid}?sparat=import", status_code=303)
    return codelist_page(request, "kv_import.html", status=200 if preview.ok else 400, resource=resource,
                         preview=preview, columns=CS.COLUMNS, payload=base64.b64encode(data).decode(), filename=name,
                         rtype="CodeSystem")


@router.get("/kodverk/{rid}/export.{fmt}")
def export(request: Request, rid: str, fmt: str):
    """The codes as CSV (``;``, UTF-8 with BOM, for Excel) or Excel (the import columns, so a file can go back
    in), or the CodeSystem as FHIR R4 JSON."""
    user(request)
    resource = authoring(request).read("CodeSystem", rid)
    stem = f"{resource.get('name') or rid}-{resource.get('version') or ''}".rstrip("-")
    if fmt == "csv":
        body, media = t.spreadsheet.csv_bytes(CS.table_rows(resource)), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body = t.spreadsheet.xlsx_bytes(CS.table_rows(resource), sheet=resource.get("name") or "Koder")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "json":
        from ..fhir.convert import to_r4

        body = json.dumps(to_r4(json.loads(json.dumps(resource))), ensure_ascii=False, indent=2).encode()
        media = "application/fhir+json"
    else:
        raise t.UnknownResource.plain(f"Exportformatet {fmt} finns inte (csv, xlsx eller json)")
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})
