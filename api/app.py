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

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse

import mappings
import terminology as t

from . import care, errors, health, metrics as metrics_mod, readonly, web
from .fhir.capabilities import SOFTWARE_VERSION
from .fhir.mapping_routes import mapping_router
from .fhir.resource_routes import resource_router
from .fhir.routes import fhir_router
from .auth import principal, terminology_reader
from .observe import RequestObserver
from .settings import Settings

READ_GUARD = [Depends(terminology_reader)]
"""On every FHIR route: terminology reads need a login when VARDTERM_OPEN_TERMINOLOGY_READS is false."""


def create_app(settings: Settings, *, service: t.TerminologyService | None = None) -> FastAPI:
    """Build the app for ``settings``; the database must exist and be at this program's schema revision."""
    if service is None:
        db = t.Database(settings.database_url, pool_size=settings.db_pool_size,
                        read_url=settings.read_database_url, read_only=settings.read_only)
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

    app = FastAPI(title="vardterm", version=SOFTWARE_VERSION, lifespan=lifespan,
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
    app.state.accounts = t.Accounts(service.db)
    app.state.translator = mappings.Translator(app.state.repository, service,
                                               map_targets=settings.snomed_map_targets)
    # Operations on ConceptMap before the REST routes, so "$translate" is never taken for an id.
    app.include_router(mapping_router("4.0"), prefix="/fhir/r4", dependencies=READ_GUARD)
    app.include_router(mapping_router("5.0"), prefix="/fhir/r5", dependencies=READ_GUARD)
    app.include_router(mapping_router("4.0"), prefix="/fhir", include_in_schema=False, dependencies=READ_GUARD)
    app.include_router(resource_router("4.0"), prefix="/fhir/r4", dependencies=READ_GUARD)
    app.include_router(resource_router("5.0"), prefix="/fhir/r5", dependencies=READ_GUARD)
    app.include_router(resource_router("4.0"), prefix="/fhir", include_in_schema=False, dependencies=READ_GUARD)
    care.install(app)
    web.install(app)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app/")

    app.include_router(health.router)

    if metrics is not None:
        @app.get("/metrics", tags=["Server"], summary="Prometheus metrics (needs credentials unless "
                                                      "VARDTERM_METRICS_PUBLIC)", response_class=Response)
        def metrics_endpoint(request: Request) -> Response:
            if not settings.metrics_public and not principal(request).authenticated:
                raise t.Unauthenticated.plain("Log in (an API key or a bearer token) to read the metrics")
            metrics.sample()
            body, media_type = metrics_mod.exposition()
            return Response(body, media_type=media_type)

    app.add_middleware(RequestObserver, metrics=metrics, access_log=settings.access_log)
    return app
