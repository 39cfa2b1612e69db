"""The application factory: ``create_app(settings)`` builds the FastAPI app (STYLE.md principle 14).

Bases: ``/fhir/r4`` (FHIR 4.0.1, the Swedish default), ``/fhir`` (alias of r4) and ``/fhir/r5`` (5.0.0).
OpenAPI documentation is at ``/docs`` (and ``/openapi.json``); ``/health/live`` and ``/health/ready`` are
the probes (:mod:`api.health`), ``/metrics`` the Prometheus metrics (:mod:`api.metrics`).

The app keeps no state another node would miss: every cache is keyed by a version or generation read from
the database (checked every ``VARDTERM_CATALOG_REFRESH_SECONDS``), so any number of processes and hosts on
one database answer alike (README "Drift").
"""

from __future__ import annotations

import contextlib
import logging

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

import mappings
import terminology as t

from . import care, errors, feed, health, metrics as metrics_mod, middleware, readonly, release_routes, web
from .fhir import openapi
from .fhir.authoring_routes import authoring_router
from .fhir.capabilities import SOFTWARE_VERSION
from .fhir.hot import HotOperations
from .fhir.mapping_routes import mapping_router
from .fhir.resource_routes import resource_router
from .fhir.routes import fhir_router
from .auth import principal, terminology_reader
from .observe import RequestObserver
from .settings import Settings

READ_GUARD = [Depends(terminology_reader)]
"""On every FHIR route: terminology reads need a login when VARDTERM_OPEN_TERMINOLOGY_READS is false."""

log = logging.getLogger("vardterm.api")


def create_app(settings: Settings, *, service: t.TerminologyService | None = None) -> FastAPI:
    """Build the app for ``settings``; the database must exist and be at this program's schema revision."""
    if service is None:
        db = t.Database(settings.database_url, pool_size=settings.db_pool_size,
                        statement_budget_ms=settings.ecl_time_budget_ms, read_url=settings.read_database_url,
                        read_only=settings.read_only)
        db.check()
        service = t.TerminologyService(db, default_language=settings.default_language,
                                       default_edition=settings.default_snomed_edition,
                                       max_expansion=settings.max_expansion_size,
                                       refresh_seconds=settings.catalog_refresh_seconds,
                                       ecl_limits=settings.ecl_limits())
    metrics = metrics_mod.Metrics(service) if settings.metrics else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        if metrics is not None:
            metrics.start()
        try:
            yield
        finally:
            if metrics is not None:
                metrics.stop()
            # After the running requests (uvicorn gives them VARDTERM_SHUTDOWN_TIMEOUT_SECONDS): close the pool.
            service.db.dispose()
            log.info("stopped: database connections closed")

    app = FastAPI(title="vardterm", version=SOFTWARE_VERSION, lifespan=lifespan, docs_url=None, redoc_url=None,
                  dependencies=[Depends(readonly.refuse_writes)] if settings.read_only else None,
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
    release_routes.install(app)
    feed.install(app)
    web.install(app)
    openapi.install(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app/")

    app.include_router(health.router)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI over /openapi.json; started by a static script, so the page needs no inline script."""
        return HTMLResponse(DOCS_PAGE)

    if metrics is not None:
        @app.get("/metrics", tags=["Server"], summary="Prometheus metrics (needs credentials unless "
                                                      "VARDTERM_METRICS_PUBLIC)", response_class=Response)
        def metrics_endpoint(request: Request) -> Response:
            if not settings.metrics_public and not principal(request).authenticated:
                raise t.Unauthenticated.plain("Log in (an API key or a bearer token) to read the metrics")
            metrics.sample()
            body, media_type = metrics_mod.exposition()
            return Response(body, media_type=media_type)

    app.add_middleware(HotOperations, exception_handlers=app.exception_handlers,
                       cache_bytes=int(settings.answer_cache_mb * 1024 * 1024))
    app.add_middleware(RequestObserver, metrics=metrics, access_log=settings.access_log)

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
