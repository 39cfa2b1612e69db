"""The terminology operations validating systems send most, answered without FastAPI's per-request machinery.

``$lookup``, ``CodeSystem/$validate-code``, ``$subsumes``, ``ValueSet/$validate-code`` and ``ValueSet/$expand``
(GET and POST, on ``/fhir/r4``, ``/fhir/r5`` and ``/fhir``) are most of what FHIR validators, the IG Publisher
and clinical systems send, many in parallel. A profile of the running server (py-spy, README "Speed") showed
FastAPI's routing, dependency solving and thread-pool hop costing more than the terminology answer itself,
and the hop's GIL hand-over between the event loop and worker threads costing throughput as clients were
added. This ASGI component sits inside the edge middleware (request id, metrics, access log, security
headers, body limit: :mod:`api.middleware`, :mod:`api.observe`) and in front of the router: for these paths
it does what the route would do, in the same order and with the same functions (the read guard
:func:`api.auth.terminology_reader`, :func:`api.fhir.params.op_params`, the operation's answer in
:data:`api.fhir.routes.HOT_OPERATIONS`, :func:`api.fhir.render.fhir_response`, the app's exception handlers
for failures), so the answers are byte for byte the router's. The routes stay the documented contract
(OpenAPI) and answer every other method and path.

Where an answer is computed follows its cost. The hop to a worker thread and back cost more than a
single-concept answer (about 170 us of CPU per request, measured), and worker threads and the event loop
hand the GIL to and fro as clients are added. So the single-concept operations run on the event loop: each
is a few indexed reads of a local database, and run one after another they do not contend. ``$expand`` and
``ValueSet/$validate-code`` cost what their value set costs: they run in the thread pool, so a large expansion
never holds up other requests, until the same request kind (the value set, and for ``$expand`` the whole
request) has been seen to answer within :data:`FAST_SECONDS`; from then on it runs on the loop, and back in
the pool as soon as one answer takes longer.
"""

from __future__ import annotations

import time
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth import terminology_reader
from . import render
from .params import op_params
from .routes import HOT_OPERATIONS

BASES = (("/fhir/r4", "4.0"), ("/fhir/r5", "5.0"), ("/fhir", "4.0"))
ON_LOOP = frozenset({"/CodeSystem/$lookup", "/CodeSystem/$validate-code", "/CodeSystem/$subsumes"})
"""Operations whose work is bounded by one concept: answered on the event loop."""
FAST_SECONDS = 0.002
"""A value set operation that answered within this time runs on the event loop next time."""
KINDS = 4096
"""Request kinds whose last time is remembered (then forgotten all at once: the first of each goes to the pool)."""


class HotOperations:
    """ASGI middleware: answers :data:`api.fhir.routes.HOT_OPERATIONS` itself, passes everything else on."""

    def __init__(self, app: ASGIApp, *, exception_handlers: dict) -> None:
        self.app = app
        self.handlers = exception_handlers
        self.paths: dict[str, tuple[str, Callable, bool, str]] = {
            base + path: (version, answer, path in ON_LOOP, base + path)
            for base, version in BASES for path, answer in HOT_OPERATIONS.items()}
        self.seconds: dict[tuple, float] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self.paths.get(scope["path"]) if scope["type"] == "http" else None
        if hot is None or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        version, answer, on_loop, route = hot
        scope["route"] = route  # the metrics and access log label (api.observe.route_template)
        request = Request(scope, receive)
        try:
            await terminology_reader(request)
            params = await op_params(request)
            svc = request.app.state.service
            resource = answer(params, svc) if on_loop else await self._by_cost(answer, params, svc)
            response = render.fhir_response(resource, version)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise  # as from a route: the edge's catch-all (api.middleware.Guard) answers
            response = await handler(request, exc)
        await response(scope, receive, send)

    async def _by_cost(self, answer: Callable, params, svc) -> dict:
        kind = _kind(params)
        fast = kind is not None and self.seconds.get(kind, FAST_SECONDS) < FAST_SECONDS
        start = time.perf_counter()
        try:
            return answer(params, svc) if fast else await run_in_threadpool(answer, params, svc)
        finally:
            if kind is not None:
                if len(self.seconds) >= KINDS:
                    self.seconds.clear()
                self.seconds[kind] = time.perf_counter() - start

    def _handler(self, exc: Exception):
        """The app's handler of ``exc`` as the router's exception middleware would choose it (the nearest class
        with one); the catch-all for ``Exception`` is the edge's, not the router's."""
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None
            if kind in self.handlers:
                return self.handlers[kind]
        return None


def _kind(params) -> tuple | None:
    """What decides the cost of a value set operation: for ``$validate-code`` the value set (not the code), for
    ``$expand`` the whole request; None for a value set given in the request body (never on the loop)."""
    if params.operation == "$expand":
        if any(not isinstance(v, (str, int, bool)) for _, v in params.items):
            return None
        return (params.fhir_version, params.operation, tuple(params.items), params.accept_language)
    url = params.one("url") if len(params.all("url")) == 1 else None
    if not isinstance(url, str) or params.resources() or params.all("valueSet"):
        return None
    return (params.fhir_version, params.operation, url, str(params.one("valueSetVersion")))
