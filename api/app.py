"""The application factory: ``create_app(settings)`` builds the FastAPI app (STYLE.md principle 14).

Bases: ``/fhir/r4`` (FHIR 4.0.1, the Swedish default), ``/fhir`` (alias of r4) and ``/fhir/r5`` (5.0.0).
OpenAPI documentation is at ``/docs`` (and ``/openapi.json``); ``/health`` says whether the database is
usable and which code system versions are loaded.
"""

from __future__ import annotations

import contextlib
import logging
import time

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

import mappings
import terminology as t

from . import care, errors, feed, middleware, web
from .fhir import openapi
from .fhir.authoring_routes import authoring_router
from .fhir.capabilities import SOFTWARE_VERSION
from .fhir.mapping_routes import mapping_router
from .fhir.resource_routes import resource_router
from .fhir.routes import fhir_router
from .auth import terminology_reader
from .settings import Settings

READ_GUARD = [Depends(terminology_reader)]
"""On every FHIR route: terminology reads need a login when VARDTERM_OPEN_TERMINOLOGY_READS is false."""

log = logging.getLogger("vardterm.api")


def create_app(settings: Settings, *, service: t.TerminologyService | None = None) -> FastAPI:
    """Build the app for ``settings``; the database must exist and have the right schema version."""
    if service is None:
        db = t.Database(settings.database_url, pool_size=settings.db_pool_size,
                        statement_budget_ms=settings.ecl_time_budget_ms)
        db.check()
        service = t.TerminologyService(db, default_language=settings.default_language,
                                       default_edition=settings.default_snomed_edition,
                                       max_expansion=settings.max_expansion_size,
                                       refresh_seconds=settings.catalog_refresh_seconds,
                                       ecl_limits=settings.ecl_limits())
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        # After the running requests (uvicorn gives them VARDTERM_SHUTDOWN_TIMEOUT_SECONDS): close the pool.
        service.db.dispose()
        log.info("stopped: database connections closed")

    app = FastAPI(title="vardterm", version=SOFTWARE_VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="FHIR terminology server for SNOMED CT and Swedish national code systems. "
                              "FHIR R4 at /fhir/r4 (alias /fhir), R5 at /fhir/r5.")
    app.state.settings = settings
    app.state.service = service
    errors.install(app)
    app.include_router(fhir_router("4.0"), prefix="/fhir/r4", tags=["FHIR R4"], dependencies=READ_GUARD)
    app.include_router(fhir_router("5.0"), prefix="/fhir/r5", tags=["FHIR R5"], dependencies=READ_GUARD)
    app.include_router(fhir_router("4.0"), prefix="/fhir", include_in_schema=False, dependencies=READ_GUARD)
    app.state.repository = service.repository
    app.state.authoring = t.Authoring(service, review_required=settings.release_needs_review)
    app.state.accounts = t.Accounts(service.db, throttle=t.LoginThrottle(
        max_failures=settings.login_max_failures, max_address_failures=settings.login_max_failures_per_address,
        window_seconds=settings.login_throttle_minutes * 60))
    app.state.translator = mappings.Translator(app.state.repository, service,
                                               map_targets=settings.snomed_map_targets)
    # Operations on ConceptMap before the REST routes, so "$translate" is never taken for an id.
    app.include_router(mapping_router("4.0"), prefix="/fhir/r4", dependencies=READ_GUARD)
    app.include_router(mapping_router("5.0"), prefix="/fhir/r5", dependencies=READ_GUARD)
    app.include_router(mapping_router("4.0"), prefix="/fhir", include_in_schema=False, dependencies=READ_GUARD)
    # $draft / $release before the REST routes too (``/ValueSet/$draft`` is not an id).
    app.include_router(authoring_router("4.0"), prefix="/fhir/r4", dependencies=READ_GUARD)
    app.include_router(authoring_router("5.0"), prefix="/fhir/r5", dependencies=READ_GUARD)
    app.include_router(authoring_router("4.0"), prefix="/fhir", include_in_schema=False, dependencies=READ_GUARD)
    app.include_router(resource_router("4.0"), prefix="/fhir/r4", dependencies=READ_GUARD)
    app.include_router(resource_router("5.0"), prefix="/fhir/r5", dependencies=READ_GUARD)
    app.include_router(resource_router("4.0"), prefix="/fhir", include_in_schema=False, dependencies=READ_GUARD)
    care.install(app)
    feed.install(app)
    web.install(app)
    openapi.install(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app/")

    @app.get("/health", tags=["Server"], summary="Is the server usable, and what is loaded")
    def health() -> dict:
        versions = service.versions()
        return {"status": "ok" if versions else "empty",
                "versions": [{"system": v.system, "version": v.version, "title": v.title,
                              "loaded_at": v.loaded_at} for v in versions]}

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI over /openapi.json; started by a static script, so the page needs no inline script."""
        return HTMLResponse(DOCS_PAGE)

    if settings.access_log:
        @app.middleware("http")
        async def access_log(request: Request, call_next):
            started = time.perf_counter()
            response = await call_next(request)
            log.info("%s %s -> %s in %.1f ms", request.method, request.url.path, response.status_code,
                     (time.perf_counter() - started) * 1000)
            return response

    # Outermost last: proxies decide the scheme and client first; every answer, a 413 or 500 included, gets
    # the security headers; the guard applies the body limit before any route reads the body.
    app.add_middleware(middleware.Guard, max_bytes=int(settings.max_request_body_mb * 1024 * 1024),
                       handler=lambda request, exc: app.exception_handlers[Exception](request, exc))
    app.add_middleware(middleware.SecurityHeaders)
    app.add_middleware(middleware.TrustedProxies, trusted=settings.trusted_proxy_list())
    return app


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vardterm - API documentation</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
<link rel="icon" href="https://fastapi.tiangolo.com/img/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script src="/app/static/docs.js"></script></body></html>
"""
