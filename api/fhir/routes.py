"""The FHIR terminology endpoints of one wire version (mounted at ``/fhir/r4``, ``/fhir`` and ``/fhir/r5``).

Each handler guards its parameters (``params.py``), calls the service once and renders the result
(STYLE.md principle 6). Handlers are plain ``def``: the service is synchronous, so FastAPI runs them in its
thread pool and nothing blocks the event loop.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

import terminology as t

from ..errors import outcome, status_and_code
from . import capabilities, params as p, render
from .params import OpParams, op_params

OPS = ["GET", "POST"]


def fhir_router(fhir_version: str) -> APIRouter:
    """Routes answering in FHIR ``fhir_version`` (``4.0`` or ``5.0``)."""
    router = APIRouter()

    async def service(request: Request) -> t.TerminologyService:
        # async: a plain def dependency would cost a thread-pool hop of its own on every request.
        return request.app.state.service

    def reply(resource: dict, status: int = 200) -> Response:
        return render.fhir_response(resource, fhir_version, status=status)

    def operation(path: str, summary: str):
        """Register a handler for GET (query parameters) and POST (a Parameters body) of an operation."""
        def register(fn):
            for method in OPS:
                router.add_api_route(path, fn, methods=[method], summary=summary,
                                     operation_id=f"{fn.__name__}_{method.lower()}_r{fhir_version[0]}")
            return fn
        return register

    @operation("/CodeSystem/$lookup", "CodeSystem/$lookup: details of a code")
    def lookup(params: OpParams = Depends(op_params), svc: t.TerminologyService = Depends(service)) -> Response:
        """Display, designations and properties of a code (OperationDefinition CodeSystem-lookup)."""
        return reply(lookup_answer(params, svc))

    @operation("/CodeSystem/$validate-code", "CodeSystem/$validate-code")
    def cs_validate(params: OpParams = Depends(op_params), svc: t.TerminologyService = Depends(service)) -> Response:
        """Is the code valid in the code system, is the display right (OperationDefinition CodeSystem-validate-code)."""
        return reply(cs_validate_answer(params, svc))

    @operation("/CodeSystem/$subsumes", "CodeSystem/$subsumes")
    def subsumes(params: OpParams = Depends(op_params), svc: t.TerminologyService = Depends(service)) -> Response:
        """How code A relates to code B in the is-a hierarchy (OperationDefinition CodeSystem-subsumes)."""
        return reply(subsumes_answer(params, svc))

    @operation("/ValueSet/$expand", "ValueSet/$expand")
    def expand(params: OpParams = Depends(op_params), svc: t.TerminologyService = Depends(service)) -> Response:
        """The codes of a value set, filtered and paged (OperationDefinition ValueSet-expand)."""
        return reply(expand_answer(params, svc))

    @operation("/ValueSet/$validate-code", "ValueSet/$validate-code")
    def vs_validate(params: OpParams = Depends(op_params), svc: t.TerminologyService = Depends(service)) -> Response:
        """Is the code in the value set (OperationDefinition ValueSet-validate-code)."""
        return reply(vs_validate_answer(params, svc))

    @operation("/ValueSet/$batch-validate-code", "ValueSet/$batch-validate-code")
    def vs_batch_validate(params: OpParams = Depends(op_params),
                          svc: t.TerminologyService = Depends(service)) -> Response:
        """Several ``$validate-code`` requests in one: each ``validation`` Parameters holds one (with the request's
        other parameters as defaults); each answer is a ``validation`` (Parameters, or OperationOutcome)."""
        answers = []
        for item in p.batch_items(params):
            try:
                answer = render.validate(svc.validate(p.validate_request(item, value_set=True)))
            except t.TerminologyError as exc:
                answer = outcome(exc.text, code=status_and_code(exc)[1], message_id=exc.message_id,
                                 expression=exc.expression, tx_code=exc.tx_code)
            answers.append({"name": "validation", "resource": answer})
        return reply({"resourceType": "Parameters", "parameter": answers})

    @router.get("/metadata", summary="CapabilityStatement, or TerminologyCapabilities with mode=terminology")
    def metadata(request: Request, mode: str | None = None,
                 svc: t.TerminologyService = Depends(service)) -> Response:
        """What the server supports; ``?mode=terminology`` lists the loaded code system versions."""
        if mode == "terminology":
            return reply(capabilities.terminology_capabilities(svc.versions(), svc.default_version()))
        if mode not in (None, "full", "normative"):
            raise t.InvalidRequest("OP_INVALID_PARAM", "mode", mode, "use full, normative or terminology")
        return reply(capabilities.capability_statement(fhir_version, _base_url(request)))

    @router.get("/$versions", summary="The FHIR versions served at this base")
    def versions() -> Response:
        """FHIR Versioning ``$versions``."""
        return reply(capabilities.versions_parameters(fhir_version))

    return router


def lookup_answer(params: OpParams, svc: t.TerminologyService) -> dict:
    return render.lookup(svc.lookup(p.lookup_request(params)))


def cs_validate_answer(params: OpParams, svc: t.TerminologyService) -> dict:
    return render.validate(svc.validate(p.validate_request(params, value_set=False)))


def subsumes_answer(params: OpParams, svc: t.TerminologyService) -> dict:
    return render.subsumes(svc.subsumes(p.subsumes_request(params)))


def expand_answer(params: OpParams, svc: t.TerminologyService) -> dict:
    return render.expansion(svc.expand(p.expand_request(params)))


def vs_validate_answer(params: OpParams, svc: t.TerminologyService) -> dict:
    return render.validate(svc.validate(p.validate_request(params, value_set=True)))


HOT_OPERATIONS = {
    "/CodeSystem/$lookup": lookup_answer,
    "/CodeSystem/$validate-code": cs_validate_answer,
    "/CodeSystem/$subsumes": subsumes_answer,
    "/ValueSet/$expand": expand_answer,
    "/ValueSet/$validate-code": vs_validate_answer,
}
"""The operations validating systems send most, by path under a FHIR base: the routes above answer them
through FastAPI, :mod:`api.fhir.hot` with the same functions without FastAPI's per-request machinery."""


def _base_url(request: Request) -> str:
    configured = request.app.state.settings.public_base_url
    path = request.url.path.rsplit("/metadata", 1)[0]
    if configured:
        return configured.rstrip("/") + path
    return str(request.base_url).rstrip("/") + path
