"""Issue 15 "no 5xx": a bounded schemathesis run over the server's own OpenAPI document. Every operation gets
generated requests (path parameters, query parameters and bodies the document describes, valid and not), as
anonymous and as an admin (so the write and care routes are reached); no answer may be a server error.

Bounded: ``VARDTERM_FUZZ_EXAMPLES`` requests per operation and caller (default 8, about half a minute); run a
longer one with ``VARDTERM_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest -m fuzz``.
"""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("VARDTERM_FUZZ_EXAMPLES", "8"))


def test_no_operation_answers_a_server_error(new_db):
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    import terminology as t
    from api import Settings, create_app
    from scripts.loading import load_rf2

    from .conftest import MINI

    db = new_db("sqlite")
    load_rf2(db, [MINI])
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0))
    admin = {"X-API-Key": t.Accounts(db).add_key("fuzz", ("admin",), None)}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    errors: list[str] = []
    for operation in operations:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            for headers in ({}, admin):
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    errors.append(f"{case.method} {case.path} {case.query} -> {response.status_code}: "
                                  f"{response.text[:300]}")

        call()
    assert not errors, "\n".join(errors[:20])
