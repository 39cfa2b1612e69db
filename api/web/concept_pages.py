"""Begrepp (issue 17): "which value sets contain this code?" for a concept of any code system, answered from
the membership index (``terminology.authoring.membership``), with the concept's display and status from
``$lookup``; and Paket: the FHIR NPM packages published from this server, and publishing a new one (the
download is the package; the Atom feed at ``/feed`` lists it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

import terminology as t

from ..fhir.package import DEFAULT_NAME, MEDIA_TYPE, export
from .codelist_pages import authoring, codelist_page
from .common import check_csrf, user
from .valueset_pages import _systems

router = APIRouter()


@router.get("/begrepp")
def concept_page(request: Request, system: str = "", code: str = ""):
    """The concept and the active value sets that contain it."""
    user(request)
    a = authoring(request)
    system, code = system.strip() or t.snomed.SYSTEM, code.strip()
    concept, problem, found = None, None, []
    if code:
        try:
            concept = a.service.lookup(t.LookupRequest(system=system, code=code, display_language="sv"))
        except t.TerminologyError as exc:
            problem = exc.text
        found = a.containing(system, code)
    return codelist_page(request, "begrepp.html", system=system, code=code, concept=concept, problem=problem,
                         found=found, systems=_systems(a), tab="begrepp", rtype=None)


@router.get("/paket")
def packages_page(request: Request):
    user(request)
    packages = authoring(request).packages()
    last = packages[0] if packages else None
    return codelist_page(request, "paket.html", packages=packages, tab="paket", rtype=None,
                         name=last.name if last else DEFAULT_NAME)


@router.post("/paket")
async def publish(request: Request):
    """Build and publish a package of the stored resources; the answer is the .tgz itself."""
    who = user(request)
    form = await check_csrf(request)
    status = str(form.get("status", "active"))
    try:
        built = export(authoring(request), by=who, name=str(form.get("name", "")).strip() or None,
                       version=str(form.get("version", "")).strip() or None,
                       status=None if status == "all" else status, title=str(form.get("title", "")).strip() or None,
                       fhir_version=str(form.get("fhir_version", "4.0.1")))
    except t.InvalidRequest as exc:
        packages = authoring(request).packages()
        return codelist_page(request, "paket.html", status=400, packages=packages, tab="paket", rtype=None,
                             name=str(form.get("name", "")), error=exc.text)
    return Response(built.content, media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{built.name}-{built.version}.tgz"'})
