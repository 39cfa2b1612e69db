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

Rendered answers of SNOMED CT single-concept GETs, and of ``ValueSet/$validate-code`` GETs against SNOMED CT
implicit value sets, are kept (:class:`AnswerCache`, ``VARDTERM_ANSWER_CACHE_MB``) and sent again for the same
request: the same path and query string, ``Accept-Language``, and catalog
generation (:meth:`terminology.TerminologyService.generation`, which every load, removal and stored resource
write changes). Validators ask for the same codes over and over; the answer of a SNOMED CT ``$lookup``
(its designations, properties and normal form, about 10 KB) costs most of the request, and depends on nothing
else: not on the caller, and GET carries no resources. Only answers (200) are kept, never errors.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

import terminology as t

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

    def __init__(self, app: ASGIApp, *, exception_handlers: dict, cache_bytes: int = 0) -> None:
        self.app = app
        self.handlers = exception_handlers
        self.cache = AnswerCache(cache_bytes) if cache_bytes > 0 else None
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
            key = self._cache_key(scope, params, svc)
            response = self.cache.get(key) if key is not None else None
            if response is None:
                resource = answer(params, svc) if on_loop else await self._by_cost(answer, params, svc)
                response = render.fhir_response(resource, version)
                if key is not None:
                    self.cache.put(key, response)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise  # as from a route: the edge's catch-all (api.middleware.Guard) answers
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _cache_key(self, scope: Scope, params, svc) -> tuple | None:
        """The key of a cacheable request, else None: a GET of a SNOMED CT single-concept operation, or of
        ``ValueSet/$validate-code`` against a SNOMED CT implicit value set (``http://snomed.info/sct?fhir_vs...``).
        Only reads the parameters: a request the operation will refuse is refused by it, with its own message."""
        if self.cache is None or scope["method"] != "GET" or params.all("useSupplement"):
            return None
        if scope["path"].endswith("/ValueSet/$validate-code"):
            urls = params.all("url")
            if len(urls) != 1 or not isinstance(urls[0], str) or not urls[0].startswith(t.snomed.SYSTEM + "?fhir_vs"):
                return None
        elif params.all("url" if params.operation == "$validate-code" else "system") != [t.snomed.SYSTEM]:
            return None
        return scope["path"], scope["query_string"], params.accept_language, svc.generation()

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
    ``$expand`` the whole request; None for a value set given in the request body (never on the loop). Only
    reads the parameters: a request the operation refuses is refused by it."""
    if params.operation == "$expand":
        if any(not isinstance(v, (str, int, bool)) for _, v in params.items):
            return None
        return (params.fhir_version, params.operation, tuple(params.items), params.accept_language)
    urls = params.all("url")
    if len(urls) != 1 or not isinstance(urls[0], str) or params.resources() or params.all("valueSet"):
        return None
    return (params.fhir_version, params.operation, urls[0], tuple(params.texts("valueSetVersion")))


class AnswerCache:
    """Rendered answers by request key, least recently used first out, bounded by the bytes of their bodies.

    Used from the event loop only (a value set operation in the pool is looked up before and kept after its
    thread, on the loop), so it needs no lock. A key holds the catalog generation, so answers of an older
    generation are never found again and age out.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.answers: OrderedDict[tuple, Response] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Response | None:
        found = self.answers.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self.answers.move_to_end(key)
        return found

    def put(self, key: tuple, response: Response) -> None:
        if response.status_code != 200 or len(response.body) > self.max_bytes // 16:
            return
        old = self.answers.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self.answers[key] = response
        self.size += len(response.body)
        while self.size > self.max_bytes:
            _, dropped = self.answers.popitem(last=False)
            self.size -= len(dropped.body)
