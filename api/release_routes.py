"""``/api/terminology/diff`` and ``/api/terminology/impact``: what a new release changed and what it breaks
(issue 20), as JSON (``format=csv`` or ``xlsx`` for the page's downloads).

Parameters: ``system`` (``http://snomed.info/sct`` or a CodeSystem's canonical URL), ``from`` and ``to``
(SNOMED CT version URIs, or the two business versions of the CodeSystem). The diff is a terminology read (open
when ``VARDTERM_OPEN_TERMINOLOGY_READS``); the impact names value sets, maps and care services with their
regions and agreements, so it is for informatiker and admins. Errors are OperationOutcomes like every other
answer of the server.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request, Response

import terminology as t
from mappings import care

from .auth import principal, terminology_reader
from .middleware import private_answer

PARAMETERS = {"system": "http://snomed.info/sct, or the canonical URL of a stored CodeSystem",
              "from": "the earlier version: a SNOMED CT version URI, or the CodeSystem's business version",
              "to": "the later version, written like from",
              "format": "json (default), csv or xlsx (a download)"}
"""The query parameters of both routes (documented in the OpenAPI by :mod:`api.fhir.openapi`)."""


def install(app: FastAPI) -> None:
    """Mount the routes; the review shares the app's terminology service and authoring facade."""
    app.state.release_review = t.ReleaseReview(app.state.service, app.state.authoring)
    app.include_router(router(), prefix="/api/terminology", tags=["Release review (JSON)"],
                       dependencies=[Depends(private_answer)])


def sides(system: str | None, from_: str | None, to: str | None) -> tuple[str, str]:
    """FROM and TO as :meth:`terminology.ReleaseReview.diff` takes them."""
    for name, value in (("system", system), ("from", from_), ("to", to)):
        if not (value or "").strip():
            raise t.InvalidRequest.plain(f"Parametern {name} saknas (system, from och to behövs)", expression=name)
    system, from_, to = system.strip(), from_.strip(), to.strip()  # type: ignore[union-attr]
    if system == t.snomed.SYSTEM:
        return from_, to
    return f"{system}|{from_}", f"{system}|{to}"


def impact_of(request: Request, diff: t.release.ReleaseDiff) -> t.release.Impact:
    return care.release.release_impact(request.app.state.release_review, request.app.state.care, diff)


def download(fmt: str, name: str, header: list[str], rows: list[list[str]], body: dict) -> Response:
    if fmt == "csv":
        data = t.spreadsheet.csv_bytes([header, *rows])
        media = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data = t.spreadsheet.xlsx_bytes([header, *rows], sheet=name)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt in ("", "json"):
        return Response(orjson.dumps(body), media_type="application/json")
    else:
        raise t.InvalidRequest.plain(f"Formatet {fmt} finns inte (json, csv eller xlsx)", expression="format")
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def router() -> APIRouter:
    r = APIRouter()

    def diff(request: Request, _who: t.Principal = Depends(terminology_reader)) -> Response:
        """The release diff between two loaded versions of one code system."""
        q = request.query_params
        result = request.app.state.release_review.diff(*sides(q.get("system"), q.get("from"), q.get("to")))
        return download(q.get("format", "json"), "release-diff", list(t.release.DIFF_COLUMNS),
                        t.release.diff_rows(result), t.release.diff_json(result))

    def impact(request: Request) -> Response:
        """What the release changes in the stored value sets, maps and care services (informatiker, admin)."""
        t.require(principal(request), *t.TERMINOLOGY_EDITORS, action="read the impact of a release")
        q = request.query_params
        review = request.app.state.release_review
        result = review.diff(*sides(q.get("system"), q.get("from"), q.get("to")))
        found = impact_of(request, result)
        decisions = review.decisions(result)
        return download(q.get("format", "json"), "release-impact", list(t.release.IMPACT_COLUMNS),
                        t.release.impact_rows(found, decisions), t.release.impact_json(found, decisions))

    r.add_api_route("/diff", diff, methods=["GET"], summary="Release diff of two versions of a code system")
    r.add_api_route("/impact", impact, methods=["GET"], summary="Impact of a release on value sets, maps and services")
    return r
