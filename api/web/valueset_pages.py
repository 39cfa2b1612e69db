"""Authoring a value set (issue 17): one form with the three ways of saying what is in it, all stored as an
ordinary FHIR ``compose`` (:mod:`terminology.authoring.compose`):

* an ECL expression with a live preview as it is typed (``/app/api/ecl``: the member count, the first 50
  members with Swedish displays, or the syntax error at its position), done by ``codelists.js``;
* picked concepts, found with the same typo-tolerant concept search as Sök (``/app/api/koder``);
* rules: include or exclude by code list, filter, whole code system or imported value set;

and, for what the form cannot show, the compose as JSON. Without scripts the form still works: the picked
concepts are a text area, the preview is what the saved page shows.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

import terminology as t
from mappings import care

from .codelist_pages import authoring, codelist_page, resource_url
from .common import check_csrf, directory, uploaded, user

router = APIRouter()

C = t.authoring.compose
PREVIEW_SIZE = 50
RULE_ROWS_EMPTY = 2
META_FIELDS = ("url", "version", "name", "title", "publisher", "description")
CARE_SYSTEMS = (t.snomed.SYSTEM, care.codes.KVA)
"""Systems the care directory's concept index covers (typo-tolerant search); others use the text filter."""


def _systems(a: t.Authoring) -> list[tuple[str, str]]:
    """(url, name) of the code systems a rule or the picker may use: the national ones, then the stored ones."""
    known = list(t.authoring.KNOWN_SYSTEMS.items())
    stored = [(url, name) for url, name in sorted(a.names().items(), key=lambda x: x[1].lower())
              if url not in t.authoring.KNOWN_SYSTEMS]
    return known + stored


def _form(request: Request, who: t.Principal, resource: dict | None, *, values: dict | None = None,
          definition=None, error: str | None = None, status: int = 200):
    a = authoring(request)
    exact = True
    if definition is None:
        definition, exact = C.from_compose((resource or {}).get("compose") or {"include": []})
    values = values or {k: (resource or {}).get(k, "") for k in META_FIELDS}
    if resource is None and not values.get("version"):
        values["version"] = "0.1.0"
    rules = list(definition.rules) + [C.Rule() for _ in range(RULE_ROWS_EMPTY)]
    editions = [v.version for v in a.service.versions()]
    return codelist_page(request, "vm_form.html", status=status, resource=resource, v=values, d=definition,
                         rules=rules, exact=exact, picked=C.picked_text(definition.picked), error=error,
                         systems=_systems(a), editions=editions, ops=C.FILTER_OPS, rule_kinds=C.RULE_KINDS,
                         rtype="ValueSet", base=request.app.state.settings.canonical_base,
                         compose_json=_json((resource or {}).get("compose")))


def _json(compose) -> str:
    import json

    return json.dumps(compose or {"include": []}, ensure_ascii=False, indent=2)


def _definition(form) -> C.Definition:
    rules, i = [], 0
    while f"r{i}_kind" in form:
        g = {k: str(form.get(f"r{i}_{k}", "")).strip() for k in ("exclude", "kind", "system", "version", "codes",
                                                                  "property", "op", "value", "valueset")}
        i += 1
        if not any(g[k] for k in ("system", "codes", "value", "valueset")):
            continue
        rules.append(C.Rule(exclude=g["exclude"] == "1", kind=g["kind"], system=g["system"], version=g["version"],
                            codes=tuple(x for x in g["codes"].replace(",", " ").split() if x),
                            property=g["property"] or "concept", op=g["op"] or "is-a", value=g["value"],
                            valueset=g["valueset"]))
    inactive = {"true": True, "false": False}.get(str(form.get("inactive", "")))
    return C.Definition(ecl=str(form.get("ecl", "")).strip(), ecl_version=str(form.get("ecl_version", "")).strip(),
                        picked=C.parse_picked(str(form.get("picked", ""))), rules=tuple(rules), inactive=inactive)


def _resource(request: Request, form, base: dict | None) -> tuple[dict, dict, C.Definition]:
    """The ValueSet the form describes (InvalidRequest in Swedish for what cannot be one)."""
    values = {k: str(form.get(k, "")).strip() for k in META_FIELDS}
    definition = _definition(form)
    if not values["name"] and not values["title"]:
        raise _Invalid(values, definition, "Ange ett namn eller en titel")
    if not values["url"]:
        name = values["name"] or "".join(ch for ch in values["title"].title() if ch.isalnum())
        values["url"] = f"{request.app.state.settings.canonical_base.rstrip('/')}/ValueSet/{name}"
    try:
        if form.get("use_json"):
            compose = C.compose_from_json(str(form.get("compose_json", "")))
        else:
            compose = C.to_compose(definition)
        if definition.ecl and not form.get("use_json"):
            authoring(request).service.evaluate_ecl(definition.ecl, version=definition.ecl_version or None, count=0)
    except t.InvalidEcl as exc:
        where = f" vid tecken {exc.position}" if exc.position else ""
        raise _Invalid(values, definition, f"ECL-uttrycket har ett syntaxfel{where}: {exc.text}") from None
    except t.InvalidRequest as exc:
        raise _Invalid(values, definition, exc.text) from None
    resource = {k: v for k, v in (base or {}).items() if k not in ("meta", "compose", *META_FIELDS)}
    resource.update({"resourceType": "ValueSet", "status": (base or {}).get("status", "draft")})
    resource.update({k: v for k, v in values.items() if v})
    resource["compose"] = compose
    return resource, values, definition


class _Invalid(Exception):
    def __init__(self, values: dict, definition, text: str) -> None:
        super().__init__(text)
        self.values, self.definition, self.text = values, definition, text


@router.get("/vardemangder/ny")
def new_value_set(request: Request):
    who = user(request)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="skapa värdemängder")
    return _form(request, who, None)


@router.post("/vardemangder/ny")
async def create_value_set(request: Request):
    who = user(request)
    form = await check_csrf(request)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="skapa värdemängder")
    try:
        resource, values, definition = _resource(request, form, None)
        saved = authoring(request).create(resource, by=who)
    except _Invalid as exc:
        return _form(request, who, None, values=exc.values, definition=exc.definition, error=exc.text, status=400)
    except t.InvalidRequest as exc:
        return _form(request, who, None, values=values, definition=definition, error=exc.text, status=400)
    return RedirectResponse(resource_url(saved.resource, "?sparat=1"), status_code=303)


@router.get("/vardemangder/{rid}/redigera")
def edit_value_set(request: Request, rid: str):
    who = user(request)
    resource = authoring(request).read("ValueSet", rid)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="ändra värdemängder")
    t.lifecycle.check_editable(resource)
    return _form(request, who, resource)


@router.post("/vardemangder/{rid}/redigera")
async def save_value_set(request: Request, rid: str):
    who = user(request)
    form = await check_csrf(request)
    current = authoring(request).read("ValueSet", rid)
    try:
        resource, values, definition = _resource(request, form, current)
        authoring(request).save("ValueSet", rid, resource, by=who)
    except _Invalid as exc:
        return _form(request, who, current, values=exc.values, definition=exc.definition, error=exc.text,
                     status=400)
    except t.InvalidRequest as exc:
        return _form(request, who, current, values=values, definition=definition, error=exc.text, status=400)
    return RedirectResponse(f"/app/vardemangder/{rid}?sparat=1", status_code=303)


@router.get("/api/ecl")
def ecl_preview(request: Request, uttryck: str = "", version: str = ""):
    """The live preview of the ECL editor: member count and the first 50 members (Swedish display, English
    where there is none), or the syntax error with its 1-based position and what was expected there."""
    user(request)
    if not uttryck.strip():
        return JSONResponse({"ok": True, "total": 0, "items": []})
    try:
        result = authoring(request).service.evaluate_ecl(uttryck, version=version or None, count=PREVIEW_SIZE,
                                                         display_language=t.authoring.DISPLAY_LANGUAGE)
    except t.InvalidEcl as exc:
        where = f"Syntaxfel vid tecken {exc.position}. " if exc.position else "Uttrycket går inte att tolka. "
        return JSONResponse({"ok": False, "error": where + exc.text, "position": exc.position,
                             "expected": exc.expected})
    except t.TerminologyError as exc:
        return JSONResponse({"ok": False, "error": exc.text, "position": None, "expected": []})
    return JSONResponse({"ok": True, "total": result.total, "version": result.version,
                         "items": [{"code": i.code, "display": i.display or ""} for i in result.items]})


@router.get("/api/koder")
def code_picker(request: Request, q: str = "", system: str = ""):
    """Concepts for the picker: SNOMED CT and KVÅ through the care search's typo-tolerant concept index (the Sök
    autocomplete), any other code system by its text filter."""
    who = user(request)
    system = system or t.snomed.SYSTEM
    if len(q.strip()) < 2:
        return JSONResponse([])
    if system in CARE_SYSTEMS:
        try:
            found = directory(request).concepts(q, by=who, limit=30)
        except t.InvalidRequest:
            return JSONResponse([])
        items = [{"system": c.concept.coding.system, "code": c.concept.coding.code,
                  "display": c.concept.coding.display or c.term} for c in found
                 if c.concept.coding.system == system][:12]
        return JSONResponse(items)
    try:
        e = authoring(request).service.expand(t.ExpandRequest(
            value_set={"resourceType": "ValueSet", "status": "active", "compose": {"include": [{"system": system}]}},
            filter=q, count=12, display_language="sv", exclude_nested=True))
    except t.TerminologyError:
        return JSONResponse([])
    return JSONResponse([{"system": i.system, "code": i.code, "display": i.display or ""} for i in e.items])


SUBSET_FIELDS = ("url", "version", "name", "title", "edition", "refset")
MAX_BYTES = 20 * 1024 * 1024


@router.get("/vardemangder/urval")
def subset_form(request: Request):
    t.require(user(request), *t.TERMINOLOGY_EDITORS, action="importera urval")
    return _subset_page(request, {"version": "1.0.0"}, None)


def _subset_page(request: Request, values: dict, preview, *, status: int = 200, error: str | None = None,
                 payload: str = "", filename: str = ""):
    editions = [v.version for v in authoring(request).service.versions()]
    return codelist_page(request, "urval.html", status=status, v=values, preview=preview, error=error,
                         editions=editions, payload=payload, filename=filename, rtype="ValueSet",
                         base=request.app.state.settings.canonical_base)


@router.post("/vardemangder/urval")
async def subset_import(request: Request):
    """Check a subset file against an edition and show every member's state (inactive ones with their
    replacements); confirmed, store it as a draft version of the value set."""
    who = user(request)
    form = await check_csrf(request)
    t.require(who, *t.TERMINOLOGY_EDITORS, action="importera urval")
    values = {k: str(form.get(k, "")).strip() for k in SUBSET_FIELDS}
    values["replace"] = bool(form.get("replace"))
    try:
        data, name = await uploaded(form, max_bytes=MAX_BYTES, default_name="urval.txt")
    except t.InvalidRequest as exc:
        return _subset_page(request, values, None, status=400, error=exc.text)
    a = authoring(request)
    if not values["url"] and (values["name"] or values["title"]):
        slug = values["name"] or "".join(ch for ch in values["title"].title() if ch.isalnum())
        values["url"] = f"{request.app.state.settings.canonical_base.rstrip('/')}/ValueSet/{slug}"
    payload = base64.b64encode(data).decode()
    try:
        preview = a.check_subset(data, name, edition=values["edition"] or None, refset=values["refset"] or None)
        if form.get("confirm") == "1":
            if not values["url"]:
                raise t.InvalidRequest.plain("Ange värdemängdens URL, namn eller titel")
            saved = a.import_subset(data, name, url=values["url"], version=values["version"], name=values["name"],
                                    title=values["title"], edition=values["edition"] or None,
                                    refset=values["refset"] or None, replace_inactive=values["replace"],
                                    by=t.Principal(who.subject, who.roles, who.region, "file"))
            return RedirectResponse(resource_url(saved.resource, "?sparat=1"), status_code=303)
    except t.TerminologyError as exc:
        return _subset_page(request, values, None, status=400, error=exc.text, payload=payload, filename=name)
    return _subset_page(request, values, preview, status=200 if preview.ok else 400, payload=payload,
                        filename=name)


@router.get("/vardemangder/{rid}/rf2.zip")
def refset_export(request: Request, rid: str):
    """The value set as an RF2 simple refset: Snapshot and Delta against the previous version, in a zip."""
    from fastapi.responses import Response

    user(request)
    a = authoring(request)
    settings = request.app.state.settings
    name, content = a.refset_export(a.read("ValueSet", rid), namespace=settings.rf2_namespace,
                                    module_id=settings.rf2_module_id)
    return Response(content, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
