"""The ASGI entry point for uvicorn workers: ``uvicorn --factory scripts.serve:app``.

Settings come from the environment (``VARDTERM_*``), which ``vardterm serve`` fills from its options, so
every worker process builds the same app.
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from api import Settings, create_app, logs


def app() -> FastAPI:
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    app = create_app(settings)
    # What the worker built to start (modules, the app, its caches' skeletons) lives as long as the worker:
    # keep the collector from walking it again on every full collection. Measured: a 854-code expansion's
    # slowest runs were full collections over the started server's objects (6 ms instead of 4 ms).
    gc.collect()
    gc.freeze()
    return app
