"""What the server records about each request: its id, its metrics and, when configured, one log line.

A plain ASGI middleware (no per-request task or body buffering, unlike Starlette's ``BaseHTTPMiddleware``),
outermost, so it also sees the answers of the error handlers:

* **Request id**: a sane incoming ``X-Request-ID`` (letters, digits and ``._:/@+=-``, at most 128
  characters; a load balancer's or a client's) is kept, anything else is replaced by a new random one. It
  is echoed in the ``X-Request-ID`` response header, set for the logs (:data:`api.logs.REQUEST_ID`) and put
  into the ``diagnostics`` of every error OperationOutcome (``api/errors.py``).
* **Metrics**: the duration of each request by route template (the operation, e.g.
  ``/fhir/r4/CodeSystem/$lookup``; never the raw path, so the label set stays small), method and status
  (:mod:`api.metrics`).
* **Access log** (``VARDTERM_ACCESS_LOG``): method, route, path, status, duration, the caller (user name,
  ``key:<name>`` or the token's subject), region and channel. Never the query string (care searches carry
  patient facts), bodies, passwords or tokens.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from .logs import REQUEST_ID

log = logging.getLogger("vardterm.access")

HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._:/@+=\-]{1,128}")


def incoming_id(headers) -> str | None:
    """The request's own id when it is one we may echo (it goes into headers and logs)."""
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE.fullmatch(text) else None
    return None


def route_template(scope) -> str:
    """The matched route with its path parameters as ``{name}`` (``/fhir/r4/ValueSet/{id}``), from the path
    and the parameters the router found; ``unmatched`` when no route matched (so unknown paths cannot grow
    the label set)."""
    if "route" not in scope:
        return "unmatched"
    path, params = scope["path"], scope.get("path_params")
    if not params:
        return path
    segments = path.split("/")
    for name, value in params.items():
        value = str(value)
        for i in range(len(segments) - 1, 0, -1):
            if segments[i] == value:
                segments[i] = "{" + name + "}"
                break
    return "/".join(segments)


class RequestObserver:
    """The middleware; ``metrics`` is an :class:`api.metrics.Metrics` or None (off)."""

    def __init__(self, app, *, metrics=None, access_log: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        request_id = incoming_id(scope["headers"]) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        status = 0
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # Answered by Starlette's outermost handler (a 500 with this id, api/errors.py) unless the answer
            # had started (a client that went away); the id stays set for that handler's log line (the
            # request's task and context end with it).
            self._finish(scope, status or 500, started)
            raise
        self._finish(scope, status, started)
        REQUEST_ID.reset(token)

    def _finish(self, scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        route = route_template(scope)
        if self.metrics is not None:
            self.metrics.observe(route, scope["method"], status, elapsed)
        if self.access_log:
            _log_request(scope, route, status, elapsed)


def _log_request(scope, route: str, status: int, elapsed: float) -> None:
    who = scope["state"].get("principal")
    authenticated = who is not None and getattr(who, "authenticated", False)
    fields = {"method": scope["method"], "route": route, "path": scope["path"], "status": status,
              "duration_ms": round(elapsed * 1000, 2),
              "user": who.subject if authenticated else None,
              "region": who.region if authenticated else None,
              "channel": who.channel if authenticated else None}
    log.info("%s %s -> %s in %.1f ms%s", scope["method"], scope["path"], status, elapsed * 1000,
             f" by {who.subject}" if authenticated else "", extra={"fields": fields})
