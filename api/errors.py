"""The one mapping from domain errors to HTTP status and OperationOutcome issue code (STYLE.md principle 5).

Every error response of the server is an OperationOutcome built by :func:`outcome`; the exception handlers
registered by :func:`install` cover domain errors, request validation errors, unknown routes and methods,
and unexpected failures (logged with their traceback, answered with a plain 500 outcome, never a trace).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import terminology as t

from . import readonly
from .logs import REQUEST_ID
from .fhir.render import fhir_response

log = logging.getLogger(__name__)

MESSAGE_ID_URL = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id"

# Most specific class first: the first match wins.
ERROR_TABLE: tuple[tuple[type[t.TerminologyError], int, str], ...] = (
    (t.InvalidExpression, 400, "code-invalid"),
    (t.InvalidCode, 400, "code-invalid"),
    (t.InvalidEcl, 400, "invalid"),
    (t.CircularReference, 400, "processing"),
    (t.InvalidValueSet, 400, "invalid"),
    (t.VersionCheckFailed, 400, "exception"),
    (t.VersionConflict, 412, "conflict"),
    (t.NotEditable, 422, "business-rule"),
    (t.InvalidRequest, 400, "invalid"),
    (t.UnknownCode, 404, "not-found"),
    (t.UnknownCodeSystem, 404, "not-found"),
    (t.UnknownCodeSystemVersion, 404, "not-found"),
    (t.UnknownValueSet, 404, "not-found"),
    (t.MissingSupplement, 404, "not-found"),
    (t.ResourceGone, 410, "deleted"),
    (t.UnknownResource, 404, "not-found"),
    (t.NotFound, 404, "not-found"),
    (t.Unauthenticated, 401, "login"),
    (t.ReadOnlyNode, 405, "not-supported"),
    (t.Forbidden, 403, "forbidden"),
    (t.Throttled, 429, "throttled"),
    (t.TooCostly, 422, "too-costly"),
    (t.Unsupported, 422, "not-supported"),
    (t.LoadError, 400, "invalid"),
    (t.StoreError, 503, "transient"),
    (t.TerminologyError, 400, "processing"),
)


def status_and_code(exc: t.TerminologyError) -> tuple[int, str]:
    """HTTP status and OperationOutcome issue type for a domain error."""
    for cls, status, code in ERROR_TABLE:
        if isinstance(exc, cls):
            return status, code
    raise AssertionError("TerminologyError is the last row")  # pragma: no cover


TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"


def outcome(text: str, *, code: str, severity: str = "error", message_id: str | None = None,
            expression: str | None = None, tx_code: str | None = None, diagnostics: str | None = None) -> dict:
    """An OperationOutcome with one issue (``tx_code``: its tx-issue-type as ``details.coding``)."""
    issue: dict = {"severity": severity, "code": code, "details": {"text": text}}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    if tx_code:
        issue["details"] = {"coding": [{"system": TX_ISSUE_TYPE, "code": tx_code}], "text": text}
    if message_id and message_id != "OP_UNSUPPORTED":
        issue["extension"] = [{"url": MESSAGE_ID_URL, "valueString": message_id}]
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def _fhir_version(request: Request) -> str:
    return "4.0" if not request.url.path.startswith("/fhir/r5") else "5.0"


def request_note(request: Request) -> str | None:
    """The ``diagnostics`` of an error answer: the request id (also in the ``X-Request-ID`` header and the
    logs), so a user's report finds the log lines."""
    request_id = getattr(request.state, "request_id", None)
    return f"request id {request_id}" if request_id else None


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into an OperationOutcome."""

    @app.exception_handler(t.TerminologyError)
    async def _domain(request: Request, exc: t.TerminologyError):
        status, code = status_and_code(exc)
        text, headers = exc.text, None
        if status == 401:
            headers = {"WWW-Authenticate": 'Bearer realm="vardterm", ApiKey'}
        elif isinstance(exc, t.Throttled):
            headers = {"Retry-After": str(exc.retry_after)}
        elif isinstance(exc, t.ReadOnlyNode):
            text, headers = readonly.refusal(request.app.state.settings.writer_url).text, {"Allow": "GET, HEAD"}
        body = outcome(text, code=code, message_id=exc.message_id, expression=exc.expression,
                       tx_code=exc.tx_code, diagnostics=request_note(request))
        return fhir_response(body, _fhir_version(request), status=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
                             for e in exc.errors())
        return fhir_response(outcome(f"The request is not valid: {problems}", code="invalid",
                                     diagnostics=request_note(request)), _fhir_version(request), status=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not-found", 405: "not-supported", 406: "not-supported", 415: "not-supported"}.get(
            exc.status_code, "processing")
        text = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and text == "Not Found":
            text = f"There is nothing at {request.url.path}"
        return fhir_response(outcome(text, code=code, diagnostics=request_note(request)), _fhir_version(request),
                             status=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log_failure(request)
        return fhir_response(outcome("The server failed to process the request; the failure has been logged.",
                                     code="exception", diagnostics=request_note(request)),
                             _fhir_version(request), status=500, headers=request_id_header(request))


def log_failure(request: Request) -> None:
    """Log an unexpected failure with its traceback and request id. Starlette answers it outside the
    middlewares (``ServerErrorMiddleware``), so the id is set again here for the log line."""
    REQUEST_ID.set(getattr(request.state, "request_id", None))
    log.exception("unexpected failure on %s %s", request.method, request.url.path)


def request_id_header(request: Request) -> dict | None:
    """``X-Request-ID`` for an answer given outside the middlewares (an unexpected failure)."""
    request_id = getattr(request.state, "request_id", None)
    return {"X-Request-ID": request_id} if request_id else None
