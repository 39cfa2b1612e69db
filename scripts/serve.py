"""The ASGI entry point for uvicorn workers: ``uvicorn --factory scripts.serve:app``.

Settings come from the environment (``VARDTERM_*``), which ``vardterm serve`` fills from its options, so
every worker process builds the same app.
"""

from __future__ import annotations

from fastapi import FastAPI

from api import Settings, create_app, logs


def app() -> FastAPI:
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return create_app(settings)
