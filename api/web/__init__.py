"""The web app for vårdlotsar, avtalsadministratörer (issue 8) and informatiker (issue 17), server-rendered
under ``/app``.

Jinja2 templates and one small stylesheet and script, no build chain (ARCHITECTURE.md "Web UI"), Swedish
first. Pages: login/logout (:mod:`.auth_pages`), Sök (:mod:`.search_pages`), Avtal and Historik
(:mod:`.agreement_pages`), Uppladdning (:mod:`.upload_pages`); the code lists: Kodverk, Värdemängder and
Mappningar (:mod:`.codelist_pages`), the value set editor (:mod:`.valueset_pages`), the local code
system editor (:mod:`.codesystem_pages`), Begrepp and Paket (:mod:`.concept_pages`), Ny release
(:mod:`.release_pages`), Mappningsprojekt (:mod:`.mapping_pages`). Every rule about who may do what is enforced by
the care directory below (``mappings.care.access``); the pages only show what it allows and turn its errors
into readable pages (403, 404, form errors), never a stack trace.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from . import (agreement_pages, auth_pages, codelist_pages, codesystem_pages, concept_pages, errors, mapping_pages, release_pages,
               search_pages, upload_pages, valueset_pages)
from .common import STATIC


def install(app: FastAPI) -> None:
    """Mount the pages on ``/app`` and the HTML error pages for them (other paths keep OperationOutcomes)."""
    settings = app.state.settings
    app.state.session_secret = settings.session_secret or secrets.token_urlsafe(32)
    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """The icon browsers ask for at the root (the pages also name ``/app/static/favicon.svg``)."""
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})

    # The code-list pages with fixed paths (/vardemangder/ny ...) before the ones with an id.
    for module in (auth_pages, search_pages, agreement_pages, upload_pages, valueset_pages, codesystem_pages,
                   concept_pages, release_pages, mapping_pages, codelist_pages):
        app.include_router(module.router, prefix="/app", include_in_schema=False)
    errors.install(app)
