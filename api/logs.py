"""Logging of the server: readable lines or one JSON object per line, each with the request id.

The request id travels in a context variable set by :mod:`api.observe` for the whole request (FastAPI runs
sync handlers in threads that copy the context), so every line logged while serving a request, including
an unexpected failure's traceback, carries the id that the client got in ``X-Request-ID``.
"""

from __future__ import annotations

import contextvars
import logging
from datetime import datetime, timezone

import orjson

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("vardterm_request_id", default=None)
"""The id of the request being served (None outside a request)."""



class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id`` when serving a request, the fields a record carries in ``extra={"fields": {...}}``, and
    ``exception`` with the traceback text."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = REQUEST_ID.get()
        if request_id is not None:
            out["request_id"] = request_id
        out.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


class _RequestIdFilter(logging.Filter):
    """Adds ``[request id]`` to text lines logged while serving a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.request = f" [{request_id}]" if request_id else ""
        return True


def configure(level: str, fmt: str) -> None:
    """Set up the root logger (and uvicorn's, which keep their own handlers otherwise) for ``fmt``
    (``text`` or ``json``); called once per process by the CLI and each server worker."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s"))
        handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = name != "uvicorn.access"  # requests are logged by api.observe (VARDTERM_ACCESS_LOG)


def uvicorn_log_config(level: str) -> dict:
    """uvicorn's logging configuration: no handlers of its own, so its lines go through :func:`configure`'s;
    its access lines are off (``api.observe`` writes them, with the caller and the request id)."""
    return {"version": 1, "disable_existing_loggers": False,
            "loggers": {name: {"handlers": [], "level": level.upper(), "propagate": name != "uvicorn.access"}
                        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}}
