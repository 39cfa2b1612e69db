"""Health and readiness: ``/health/live``, ``/health/ready`` and the older ``/health`` summary.

For Kubernetes probes and the container's HEALTHCHECK (``vardterm probe``):

* ``/health/live``: the process answers HTTP. Nothing else is checked, so a database outage does not get
  healthy processes restarted (liveness probe).
* ``/health/ready``: the node can answer terminology requests (readiness probe; the load balancer's check):
  the database answers, its schema is at the revision this program needs (``vardterm db upgrade``), and a
  SNOMED CT edition is loaded (the configured default edition when ``VARDTERM_DEFAULT_SNOMED_EDITION`` names
  one; ``VARDTERM_READY_NEEDS_EDITION=false`` drops this check). 200 with the checks when ready, else 503
  with the ones that failed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

import terminology as t

router = APIRouter(tags=["Server"])


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> dict:
    """``async``: no database, so no thread-pool hop (probes come often, and under load)."""
    return {"status": "live"}


@router.get("/health/ready", summary="Readiness: database reachable, schema current, editions loaded",
            responses={503: {"description": "Not ready; the failed checks say why"}})
def ready(request: Request) -> JSONResponse:
    service: t.TerminologyService = request.app.state.service
    settings = request.app.state.settings
    checks: dict[str, dict] = {}
    try:
        revision = service.db.schema_revision()
        checks["database"] = {"ok": True}
        checks["schema"] = {"ok": revision == t.SCHEMA_REVISION, "revision": revision,
                            "needed": t.SCHEMA_REVISION}
        versions = service.versions()
    except t.TerminologyError as exc:
        checks["database"] = {"ok": False, "problem": exc.text}
        versions = None
    except Exception as exc:  # noqa: BLE001 - any driver failure means the database is not usable now
        checks["database"] = {"ok": False, "problem": str(exc).strip().splitlines()[0] if str(exc) else repr(exc)}
        versions = None
    if versions is not None and settings.ready_needs_edition:
        checks["editions"] = _editions(versions, settings.default_snomed_edition)
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)


def _editions(versions: list[t.CodeSystemVersion], default_module: str | None) -> dict:
    snomed = [v.version for v in versions if v.system == t.snomed.SYSTEM]
    if default_module:
        found = [v for v in versions if v.module_id == default_module]
        if not found:
            return {"ok": False, "loaded": snomed, "problem": f"the default edition {default_module} "
                                                             f"(VARDTERM_DEFAULT_SNOMED_EDITION) is not loaded"}
    elif not snomed:
        return {"ok": False, "loaded": [], "problem": "no SNOMED CT edition is loaded"}
    return {"ok": True, "loaded": snomed}


@router.get("/health", summary="Is the server usable, and what is loaded")
def health(request: Request) -> dict:
    versions = request.app.state.service.versions()
    return {"status": "ok" if versions else "empty",
            "versions": [{"system": v.system, "version": v.version, "title": v.title,
                          "loaded_at": v.loaded_at} for v in versions]}
