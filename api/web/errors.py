"""Errors on the web pages: a readable Swedish page with the right status (401 -> the login form, 403, 404,
400 with the message), never a stack trace; every other path keeps its OperationOutcome (``api/errors.py``)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

import terminology as t

from .. import errors as api_errors, readonly
from .common import LoginNeeded, login_redirect, page

TITLES = {400: "Något stämmer inte", 401: "Logga in", 403: "Åtkomst nekad", 404: "Sidan finns inte",
          405: "Skrivskyddad server",
          409: "Någon annan hann före", 412: "Någon annan hann före", 422: "Det går inte",
          500: "Något gick fel"}


def _web(request: Request) -> bool:
    return request.url.path == "/app" or request.url.path.startswith("/app/")


def error_page(request: Request, status: int, message: str):
    return page(request, "error.html", status=status, status_code=status, title=TITLES.get(status, "Fel"),
                message=message)


def install(app: FastAPI) -> None:
    """Wrap the app's handlers: web paths get pages, the rest what ``api/errors.py`` answers."""
    originals = dict(app.exception_handlers)

    async def domain(request: Request, exc: t.TerminologyError):
        if not _web(request):
            return await originals[t.TerminologyError](request, exc)
        status, _ = api_errors.status_and_code(exc)
        if status == 401:
            return login_redirect(request)
        if isinstance(exc, t.ReadOnlyNode):
            exc = readonly.refusal(request.app.state.settings.writer_url)
        return error_page(request, status, exc.text)

    async def http(request: Request, exc: StarletteHTTPException):
        if not _web(request):
            return await originals[StarletteHTTPException](request, exc)
        text = {404: f"Det finns ingen sida på {request.url.path}.", 405: "Sidan tar inte emot den här sortens "
                "anrop."}.get(exc.status_code, str(exc.detail))
        return error_page(request, exc.status_code, text)

    async def invalid(request: Request, exc: RequestValidationError):
        if not _web(request):
            return await originals[RequestValidationError](request, exc)
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        return error_page(request, 400, f"Kontrollera fälten: {fields}.")

    async def unexpected(request: Request, exc: Exception):
        if not _web(request):
            return await originals[Exception](request, exc)
        api_errors.log_failure(request)
        response = error_page(request, 500, "Servern kunde inte utföra begäran. Felet är loggat; försök igen "
                                            "eller kontakta förvaltningen.")
        response.headers.update(api_errors.request_id_header(request) or {})
        return response

    async def login(request: Request, exc: LoginNeeded):
        return login_redirect(request)

    app.add_exception_handler(t.TerminologyError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(LoginNeeded, login)
