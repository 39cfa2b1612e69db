"""The ASGI entry point for uvicorn workers: ``uvicorn --factory scripts.serve:app``.

Settings come from the environment (``VARDTERM_*``), which ``vardterm serve`` fills from its options, so
every worker process builds the same app.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from api import Settings, create_app


def app() -> FastAPI:
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(settings)
