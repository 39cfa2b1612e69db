"""FHIR REST for CodeSystem, ValueSet and ConceptMap (R5 http.html): create, update, read, vread, history,
delete and search.

Interactions and their answers:

* ``POST [type]`` create: 201, ``Location``, ``ETag``, ``Last-Modified``, the stored resource;
* ``PUT [type]/[id]`` update or create-on-update: 200 or 201; ``If-Match`` with a stale version: 412;
* ``GET [type]/[id]`` read: 200, 404 unknown, 410 deleted; ``GET [type]/[id]/_history/[vid]`` vread;
* ``GET [type]/[id]/_history``: a ``history`` Bundle;
* ``DELETE [type]/[id]``: 204, also when there was nothing to delete;
* ``GET [type]?...``: a ``searchset`` Bundle with ``total`` and ``next`` / ``previous`` links; the search
  parameters (``identifier``, ``publisher``, ``date``, ``description``, ``jurisdiction``, ``system``, ``url``,
  ``version``, ``name``, ``title``, ``status``, ``_id``) and their rules are in
  :mod:`terminology.resource_search`; unknown ones are refused (400), not ignored, so a typo cannot return
  everything. ``_count``, ``_offset``; ``_summary`` and ``_elements`` (:mod:`.summary`) on search and read.
  ``ValueSet?code=system|code`` finds the active value sets that contain the code, from the membership index
  (:mod:`.authoring_routes`).

The routes are added after the operation routes, so ``/CodeSystem/$lookup`` is never read as an id.
"""

from __future__ import annotations

from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Header, Request, Response

import terminology as t

from ..auth import principal, writer
from .authoring_routes import containing
from .convert import FHIR_VERSIONS
from .render import fhir_response
from .resource_io import to_r5
from .search import paging
from .summary import apply as apply_summary, presentation

def resource_router(fhir_version: str) -> APIRouter:
    """CRUD and search routes answering in FHIR ``fhir_version`` (``4.0`` or ``5.0``)."""
    router = APIRouter()
    wire = FHIR_VERSIONS[fhir_version]

    def repo(request: Request) -> t.ResourceRepository:
        return request.app.state.repository

    def written(saved: t.Saved, rtype: str, status: int) -> Response:
        headers = {"ETag": f'W/"{saved.version_id}"', "Last-Modified": saved.last_updated,
                   "Location": f"{rtype}/{saved.resource['id']}/_history/{saved.version_id}"}
        return fhir_response(saved.resource, fhir_version, status=status, headers=headers)

    async def body(request: Request) -> dict:
        writer(request, t.TERMINOLOGY_EDITORS, "change code systems, value sets and concept maps")
        raw = await request.body()
        try:
            resource = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise t.InvalidRequest("REQUEST_NOT_PARSEABLE", f"the body is not valid JSON ({exc})") from None
        return to_r5(resource, wire)

    for rtype in t.RESOURCE_TYPES:
        def make(rtype: str):
            async def create(request: Request) -> Response:
                return written(repo(request).create(await body(request), by=principal(request), resource_type=rtype),
                               rtype, 201)

            async def update(id: str, request: Request, if_match: str | None = Header(None)) -> Response:
                saved = repo(request).update(rtype, id, await body(request), by=principal(request),
                                             if_match=if_match)
                return written(saved, rtype, 201 if saved.created else 200)

            def read(id: str, request: Request) -> Response:
                resource = repo(request).read(rtype, id)
                summary, elements = presentation(request)
                return fhir_response(apply_summary(resource, summary, elements), fhir_version,
                                     headers=_etag(resource))

            def vread(id: str, vid: str, request: Request) -> Response:
                resource = repo(request).read(rtype, id, vid)
                return fhir_response(resource, fhir_version, headers=_etag(resource))

            def history(id: str, request: Request) -> Response:
                rows = repo(request).history(rtype, id)
                entries = [{"fullUrl": f"{request.base_url}{rtype}/{id}",
                            "request": {"method": "DELETE" if r.deleted else "PUT", "url": f"{rtype}/{id}"},
                            "response": {"status": "204" if r.deleted else "200",
                                         "etag": f'W/"{r.version_id}"', "lastModified": r.last_updated},
                            **({"resource": r.content} if r.content is not None else {})} for r in rows]
                return fhir_response({"resourceType": "Bundle", "type": "history", "total": len(entries),
                                      "entry": entries}, fhir_version)

            def delete(id: str, request: Request) -> Response:
                repo(request).delete(rtype, id, by=principal(request))
                return Response(status_code=204)

            def search(request: Request) -> Response:
                items, offset, count = paging(request)
                summary, elements = presentation(request)
                if rtype == "ValueSet":
                    items = _containing_as_ids(request, items)
                if items is None:  # no value set contains the code
                    total, found = 0, []
                else:
                    total, found = repo(request).search(rtype, items,
                                                        offset=offset, count=0 if summary == "count" else count)
                found = [apply_summary(r, summary, elements) for r in found]
                return fhir_response(_searchset(request, rtype, total, found, offset, count, summary), fhir_version)

            tag = f"{rtype} (FHIR R{fhir_version[0]})"
            v = f"r{fhir_version[0]}"
            router.add_api_route(f"/{rtype}", create, methods=["POST"], status_code=201, tags=[tag],
                                 summary=f"Create a {rtype}", operation_id=f"create_{rtype}_{v}")
            router.add_api_route(f"/{rtype}", search, methods=["GET"], tags=[tag],
                                 summary=f"Search {rtype}", description=_search_doc(rtype),
                                 operation_id=f"search_{rtype}_{v}")
            router.add_api_route(f"/{rtype}/{{id}}", read, methods=["GET"], tags=[tag],
                                 summary=f"Read a {rtype}", operation_id=f"read_{rtype}_{v}")
            router.add_api_route(f"/{rtype}/{{id}}", update, methods=["PUT"], tags=[tag],
                                 summary=f"Update (or create) a {rtype} with a given id",
                                 operation_id=f"update_{rtype}_{v}")
            router.add_api_route(f"/{rtype}/{{id}}", delete, methods=["DELETE"], status_code=204, tags=[tag],
                                 summary=f"Delete a {rtype}", operation_id=f"delete_{rtype}_{v}")
            router.add_api_route(f"/{rtype}/{{id}}/_history", history, methods=["GET"], tags=[tag],
                                 summary=f"Every version of a {rtype}", operation_id=f"history_{rtype}_{v}")
            router.add_api_route(f"/{rtype}/{{id}}/_history/{{vid}}", vread, methods=["GET"], tags=[tag],
                                 summary=f"Read one version of a {rtype}", operation_id=f"vread_{rtype}_{v}")
        make(rtype)
    return router


def _etag(resource: dict) -> dict:
    meta = resource.get("meta", {})
    return {"ETag": f'W/"{meta.get("versionId")}"', "Last-Modified": meta.get("lastUpdated", "")}


def _search_doc(rtype: str) -> str:
    kinds = t.SEARCH_PARAMETERS[rtype]
    code = " and `code` (`system|code`: the active value sets that contain the code)" if rtype == "ValueSet" else ""
    return ("FHIR search; parameters: " + ", ".join(f"`{name}` ({kind})" for name, kind in kinds.items()) + code
            + ". Strings match a prefix ignoring case and accents (`:exact`, `:contains`); tokens `[system]|[code]`; "
              "dates take the prefixes eq, ne, gt, lt, ge, le, sa, eb, ap. "
              "`_count`, `_offset`, `_summary`, `_elements`.")


def _containing_as_ids(request: Request, items: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """``ValueSet?code=system|code`` as an ``_id`` criterion: the active value sets that contain the code, from the
    membership index; None when none does. Every other criterion still applies."""
    out = [(name, value) for name, value in items if name != "code"]
    for name, value in items:
        if name == "code":
            ids = [r["id"] for r in containing(request, value)]
            if not ids:
                return None
            out.append(("_id", ",".join(ids)))
    return out


def _searchset(request: Request, rtype: str, total: int, found: list[dict], offset: int, count: int,
               summary: str | None = None) -> dict:
    base = f"{request.base_url}".rstrip("/") + request.url.path
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("_offset", "_count")]

    def link(relation: str, at: int) -> dict:
        return {"relation": relation, "url": f"{base}?{urlencode(kept + [('_offset', at), ('_count', count)])}"}

    links = [link("self", offset)]
    if offset + count < total:
        links.append(link("next", offset + count))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    root = base.rsplit("/", 1)[0]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if summary != "count":
        bundle["entry"] = [{"fullUrl": f"{root}/{rtype}/{r['id']}", "resource": r, "search": {"mode": "match"}}
                           for r in found]
    return bundle
