"""ASGI middleware of the HTTP edge: what every request passes, whatever its route (plain ASGI, so a request
body is never buffered here and a streamed answer is not held back).

* :class:`TrustedProxies`: ``X-Forwarded-Proto`` / ``X-Forwarded-For`` are applied only when the connection
  comes from a configured proxy (``VARDTERM_TRUSTED_PROXIES``); from anyone else they are ignored, so a client
  cannot claim https (and the ``Secure`` cookie and HSTS that follow) or another client address (and so
  escape the login throttle).
* :class:`SecurityHeaders`: the headers of the OWASP Secure Headers project on every answer: a Content
  Security Policy that allows no inline script and no framing, ``X-Frame-Options``, ``X-Content-Type-Options``,
  ``Referrer-Policy``; ``Cache-Control: no-store`` on answers that carry care data (the web pages, the care
  API and FHIR care routes mark themselves with :func:`private_answer`); HSTS when the request came over https.
* :class:`Guard`: a request body larger than ``VARDTERM_MAX_REQUEST_BODY_MB`` is refused with 413 before it
  is read (by its ``Content-Length``), or as soon as a streamed body passes the limit; an unexpected failure
  becomes the app's ordinary 500 answer (an OperationOutcome, or a page on ``/app``) and the keep-alive
  connection stays usable (Starlette's outermost handler would answer and then re-raise, and the server
  closes the connection on an exception).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
"""No inline script or style anywhere (the pages use /app/static files only)."""
DOCS_CSP = ("default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; style-src 'self' "
            "https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'")
"""The OpenAPI page (/docs) loads Swagger UI from its CDN; its start script is a file of ours, not inline."""
HEADERS = ((b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"))
HSTS = (b"strict-transport-security", b"max-age=31536000")


def private_answer(request: Request) -> None:
    """Mark the answer as carrying care data: ``Cache-Control: no-store`` (a FastAPI dependency)."""
    request.state.private = True


class TrustedProxies:
    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(x.strip(), strict=False) for x in trusted if x.strip()]

    def _trusted(self, host: str | None) -> bool:
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in n for n in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            if self.networks and client and self._trusted(client[0]):
                headers = dict(scope["headers"])
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[0].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
                forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                # The nearest address that is not one of our proxies is the client (RFC 7239 §5.2 order).
                hops = [h.strip() for h in forwarded.split(",") if h.strip()]
                while hops and self._trusted(hops[-1]):
                    hops.pop()
                if hops:
                    scope["client"] = (hops[-1], 0)
            elif any(name in (b"x-forwarded-proto", b"x-forwarded-for") for name, _ in scope["headers"]):
                scope["headers"] = [(n, v) for n, v in scope["headers"]
                                    if n not in (b"x-forwarded-proto", b"x-forwarded-for", b"forwarded")]
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                private = scope.get("state", {}).get("private") or (
                    path.startswith("/app") and not path.startswith("/app/static"))
                replaced = (b"content-security-policy", b"cache-control") if private else (b"content-security-policy",)
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() not in replaced]
                headers.append((b"content-security-policy", (DOCS_CSP if path == "/docs" else CSP).encode()))
                headers.extend(HEADERS)
                if private:
                    headers.append((b"cache-control", b"no-store"))
                if scope.get("scheme") == "https":
                    headers.append(HSTS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(Exception):
    """A streamed request body passed the limit while it was read."""


class Guard:
    """The body limit and the catch-all, around every route (one place that watches whether the answer has
    started: only before it can an error still become an answer)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, handler: Callable[[Request, Exception], Awaitable]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if self.max_bytes > 0 and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, send, int(length))
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request" and self.max_bytes > 0:
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception as exc:
            if started:  # half an answer is out: only closing the connection can tell the client
                raise
            if isinstance(exc, BodyTooLarge):
                await self._refuse(scope, send, None)
                return
            response = await self.handler(Request(scope, receive), exc)
            await response(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, length: int | None) -> None:
        mib = self.max_bytes / (1024 * 1024)
        size = "larger than" if length is None else f"{length:,} bytes, more than"
        text = (f"The request body is {size} the limit of {mib:g} MiB (VARDTERM_MAX_REQUEST_BODY_MB); send less, "
                "or load big files with the command line (vardterm load, vardterm care load)")
        log.warning("refused a request body over %g MiB on %s %s", mib, scope["method"], scope["path"])
        if scope["path"].startswith("/app"):  # the web pages (a file upload): a readable Swedish page
            kind = b"text/html; charset=utf-8"
            body = (f"<!doctype html><html lang=\"sv\"><meta charset=\"utf-8\"><title>För stor fil</title>"
                    f"<h1>För stor fil</h1><p>Det du skickade är större än {mib:g} MiB, som är gränsen. Dela upp "
                    f"filen eller be förvaltningen läsa in den.</p><p><a href=\"/app/\">Tillbaka</a></p>").encode()
        else:
            kind = b"application/fhir+json"
            body = orjson.dumps({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "too-long", "details": {"text": text}}]})
        # The client may still be sending: say that the connection closes rather than read the rest.
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
