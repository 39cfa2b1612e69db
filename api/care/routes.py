"""HTTP routes of the care directory: FHIR REST of its seven resource types and ``$care-search`` on every
FHIR base, and the plain JSON API for the web pages (``/api/care/...``).

FHIR interactions (R5 http.html), on ``/fhir/r4``, ``/fhir`` and ``/fhir/r5``:

* ``POST [type]``: 201 with ``Location``, ``ETag``; ``PUT [type]/[id]``: update or create, ``If-Match``
  with a stale version: 412; ``GET [type]/[id]``; ``GET [type]?...`` (parameters: ``mappings.care.rest``);
* ``POST [base]`` with a transaction Bundle: all entries or none, a ``transaction-response`` Bundle;
* ``GET|POST HealthcareService/$care-search``: the care search (``mappings.care.search``), a searchset
  Bundle with an explanation per hit.

JSON: ``GET|POST /api/care/search`` (same parameters; POST takes a JSON object) and ``GET /api/care/history``.

Who: the caller authenticated by :func:`api.auth.principal` (bearer token, API key or web session) is passed
to the directory, which enforces the rules (``mappings.care.access``) and records the caller and the channel
in the change history. The care search runs for the caller's region when ``region`` is not given.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from starlette.convertors import Convertor, register_url_convertor

import terminology as t
from mappings import care

from ..auth import principal, writer
from ..middleware import private_answer
from ..fhir.convert import FHIR_VERSIONS, from_r4
from ..fhir.params import OpParams, op_params
from ..fhir.render import fhir_response
from ..fhir.search import paging
from . import params as care_params, render


def install(app: FastAPI) -> None:
    """Create the care directory over the app's terminology service and mount its routes."""
    service: t.TerminologyService = app.state.service
    directory = care.CareDirectory(service.db, service, maps=getattr(app.state, "repository", None),
                                   refresh_seconds=app.state.settings.catalog_refresh_seconds)
    app.state.care = directory
    private = [Depends(private_answer), Depends(_care_caller)]
    for version, prefix, public in (("4.0", "/fhir/r4", True), ("5.0", "/fhir/r5", True), ("4.0", "/fhir", False)):
        app.include_router(care_router(version), prefix=prefix, include_in_schema=public,
                           tags=[f"Care directory (FHIR R{version[0]})"], dependencies=private)
    app.include_router(json_router(), prefix="/api/care", tags=["Care search (JSON)"], dependencies=private)


class _CareType(Convertor):
    """A path segment that is one of the care resource types (so other types keep their own routes / 404)."""

    regex = "|".join(care.RESOURCE_TYPES)

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("caretype", _CareType())


async def _care_caller(request: Request) -> t.Principal:
    """Every care route needs a caller with a role: checked before any body is read or parsed (the directory
    checks each read and write again)."""
    return writer(request, care.READERS, "use the care directory")


async def _directory(request: Request) -> care.CareDirectory:
    return request.app.state.care


def search_items(items, by: t.Principal) -> list[tuple[str, object]]:
    """The search parameters, with the caller's own region when none is named."""
    items = list(items)
    if by.region and not any(name == "region" for name, _ in items):
        items.append(("region", by.region))
    return items


def care_router(fhir_version: str) -> APIRouter:
    """FHIR routes of the care directory answering in FHIR ``fhir_version``."""
    router = APIRouter()
    wire = FHIR_VERSIONS[fhir_version]
    v = f"r{fhir_version[0]}"

    async def body(request: Request) -> dict:
        writer(request, care.WRITERS, "write care data")
        try:
            resource = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"the body is not valid JSON ({exc})") from None
        if not isinstance(resource, dict):
            raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", "the body must be a FHIR resource (a JSON object)")
        return from_r4(resource) if not wire.startswith("5") else resource

    def written(w: care.Written, status: int | None = None) -> Response:
        resource = care.render_resource(w.stored)
        rtype, rid, vid = resource["resourceType"], resource["id"], w.stored.version_id
        headers = {"ETag": f'W/"{vid}"', "Last-Modified": w.stored.last_updated,
                   "Location": f"{rtype}/{rid}/_history/{vid}"}
        return fhir_response(resource, fhir_version, status=status or (201 if w.created else 200), headers=headers)

    def base_url(request: Request) -> str:
        path = request.url.path
        for suffix in ("/HealthcareService/$care-search",):
            path = path.removesuffix(suffix)
        return str(request.base_url).rstrip("/") + path

    def care_search(request: Request, p: OpParams = Depends(op_params),
                    directory: care.CareDirectory = Depends(_directory)) -> Response:
        """Care services the region has agreements for, explained (issue 7 parameter contract)."""
        by = principal(request)
        items = search_items(p.items, by)
        result = directory.search(care_params.search_request(items), by=by)
        links = render.page_links(result, base_url(request) + "/HealthcareService/$care-search", items)
        return fhir_response(render.search_bundle(result, base_url(request), links), fhir_version)

    for method in ("GET", "POST"):
        router.add_api_route("/HealthcareService/$care-search", care_search, methods=[method],
                             summary="HealthcareService/$care-search: care services by concept, with explanations",
                             operation_id=f"care_search_{method.lower()}_{v}")

    async def transaction(request: Request, directory: care.CareDirectory = Depends(_directory)) -> Response:
        """A transaction Bundle of care resources: all stored, or none."""
        bundle = await body(request)
        done = directory.transaction(bundle, by=principal(request))
        entries = [{"response": {"status": "201 Created" if w.created else "200 OK",
                                 "location": f"{care.render_resource(w.stored)['resourceType']}/"
                                             f"{w.stored.record.id}/_history/{w.stored.version_id}",
                                 "etag": f'W/"{w.stored.version_id}"', "lastModified": w.stored.last_updated}}
                   for w in done]
        return fhir_response({"resourceType": "Bundle", "type": "transaction-response", "entry": entries},
                             fhir_version)

    for path in ("", "/"):  # POST [base], with or without the trailing slash (no redirect for a big body)
        router.add_api_route(path, transaction, methods=["POST"], summary="Transaction Bundle of care resources",
                             operation_id=f"care_transaction_{v}{'_slash' if path else ''}",
                             include_in_schema=not path)

    async def create(rtype: str, request: Request, directory: care.CareDirectory = Depends(_directory)) -> Response:
        """Create a care resource (the server assigns the id)."""
        resource = await body(request)
        if resource.get("resourceType") != rtype:
            raise t.InvalidRequest.plain(f"the body is a {resource.get('resourceType')}, but the URL is for {rtype}",
                                         expression="resourceType")
        return written(directory.create(resource, by=principal(request)), 201)

    async def update(rtype: str, id: str, request: Request, directory: care.CareDirectory = Depends(_directory),
                     if_match: str | None = Header(None)) -> Response:
        """Update (or create with this id) a care resource; If-Match: W/"n" for optimistic locking."""
        resource = await body(request)
        return written(directory.update(rtype, id, resource, if_match=if_match, by=principal(request)))

    def read(rtype: str, id: str, request: Request, directory: care.CareDirectory = Depends(_directory)) -> Response:
        """Read a care resource."""
        stored = directory.read(rtype, id, by=principal(request))
        return fhir_response(care.render_resource(stored), fhir_version,
                             headers={"ETag": f'W/"{stored.version_id}"', "Last-Modified": stored.last_updated})

    def search(rtype: str, request: Request, directory: care.CareDirectory = Depends(_directory)) -> Response:
        """Search care resources (parameters per type: mappings.care.rest)."""
        items, offset, count = paging(request)
        total, found = directory.find(rtype, items, by=principal(request), offset=offset, count=count)
        root = str(request.base_url).rstrip("/") + request.url.path.rsplit("/", 1)[0]
        bundle = {"resourceType": "Bundle", "type": "searchset", "total": total,
                  "link": [{"relation": "self", "url": str(request.url)}],
                  "entry": [{"fullUrl": f"{root}/{rtype}/{s.record.id}", "resource": care.render_resource(s),
                             "search": {"mode": "match"}} for s in found]}
        return fhir_response(bundle, fhir_version)

    types = "|".join(care.RESOURCE_TYPES)
    router.add_api_route("/{rtype:caretype}", create, methods=["POST"], status_code=201,
                         summary=f"Create a care resource ({types})", operation_id=f"care_create_{v}")
    router.add_api_route("/{rtype:caretype}", search, methods=["GET"], summary=f"Search care resources ({types})",
                         operation_id=f"care_find_{v}")
    router.add_api_route("/{rtype:caretype}/{id}", read, methods=["GET"], summary="Read a care resource",
                         operation_id=f"care_read_{v}")
    router.add_api_route("/{rtype:caretype}/{id}", update, methods=["PUT"], summary="Update a care resource",
                         operation_id=f"care_update_{v}")
    return router


def _json(body) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def json_router() -> APIRouter:
    """The plain JSON API for the web pages."""
    router = APIRouter()

    def answer(request: Request, directory: care.CareDirectory, items: list) -> Response:
        by = principal(request)
        items = search_items(items, by)
        result = directory.search(care_params.search_request(items), by=by)
        url = str(request.base_url).rstrip("/") + request.url.path
        return _json(render.search_json(result, render.page_links(result, url, items)))

    def search_get(request: Request, directory: care.CareDirectory = Depends(_directory)) -> Response:
        """The care search; the parameters of HealthcareService/$care-search in the query."""
        return answer(request, directory, request.query_params.multi_items())

    async def search_post(request: Request, directory: care.CareDirectory = Depends(_directory)) -> Response:
        """The care search; the parameters as a JSON object (lists for repeated ones)."""
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError as exc:
            raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"the body is not valid JSON ({exc})") from None
        if not isinstance(body, dict):
            raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", "the body must be a JSON object")
        items = [(k, x) for k, v in body.items() for x in (v if isinstance(v, list) else [v])]
        items = [(k, str(x).lower() if isinstance(x, bool) else x) for k, x in items]
        return answer(request, directory, items)

    def history(request: Request, directory: care.CareDirectory = Depends(_directory), resource: str | None = None,
                limit: str = "50") -> Response:
        """The change history (who, when, channel, what), newest first; ``resource=Type/id`` narrows it."""
        rtype, _, rid = (resource or "").partition("/")
        events = directory.history(by=principal(request), resource_type=rtype or None, resource_id=rid or None,
                                   limit=t.whole_number("limit", limit, minimum=1, maximum=1000))
        return _json([render.event_json(e) for e in events])

    router.add_api_route("/search", search_get, methods=["GET"], summary="Care search (JSON)")
    router.add_api_route("/search", search_post, methods=["POST"], summary="Care search (JSON body)")
    router.add_api_route("/history", history, methods=["GET"], summary="Change history of the care directory")
    return router
