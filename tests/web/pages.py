"""The web app's pages in tests without a browser: a TestClient logged in as a demo user, and a form's CSRF token."""

from __future__ import annotations

import re
import warnings

from scripts.care_cli import DEMO_PASSWORD


def csrf(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def web_client(app, user: str | None):
    """A TestClient on ``app``, logged in on the login page as ``user`` (None: anonymous); ``client.landing`` is
    where the login sent the user."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(app)
    if user:
        token = csrf(client.get("/app/login").text)
        r = client.post("/app/login", data={"csrf": token, "username": user, "password": DEMO_PASSWORD},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        client.landing = r.headers["location"]
    return client
