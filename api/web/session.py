"""The web session: a signed cookie naming the user, with a per-session CSRF token (issue 8 "Login and roles").

The cookie holds only ``{"u": user name or None, "c": CSRF token, "t": issued at, "s": session id}``,
signed with itsdangerous (HMAC-SHA1 over a key derived from ``VARDTERM_SESSION_SECRET``; the library
Starlette's own SessionMiddleware uses). A logged-in session is valid only while the database has it
(``terminology.Accounts.start_session``): logout, disabling the user or a new password end it on every
worker, and roles and region are read with it on every request. The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (not sent on
cross-site POSTs) and ``Secure`` when the request came over https (OWASP Session Management Cheat Sheet).
Every form carries the session's CSRF token in a hidden field, compared in constant time
(OWASP CSRF Prevention Cheat Sheet, "Synchronizer Token Pattern").
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "vardterm_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Session:
    user: str | None
    csrf: str
    issued: float
    sid: str = ""
    """The server-side session id (logged-in sessions only)."""


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.session_secret, salt="vardterm-session")


def read(request: Request) -> Session | None:
    """The request's valid session, or None (no cookie, a bad signature or an expired one)."""
    cached = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    max_age = request.app.state.settings.session_max_age_minutes * 60
    try:
        data = _serializer(request).loads(raw, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    found = Session(data.get("u"), data["c"], float(data.get("t", 0)), str(data.get("s") or ""))
    request.state.session = found
    return found


def ensure(request: Request) -> Session:
    """The session of the request, or a new anonymous one (so the login form has a CSRF token too)."""
    found = read(request)
    if found is None:
        found = Session(None, secrets.token_urlsafe(24), time.time())
        request.state.session = found
        request.state.session_new = True
    return found


def start(request: Request, user: str) -> Session:
    """A new session for ``user`` after a login: a fresh token, so one planted before login is worthless, and a
    new server-side session."""
    sid = request.app.state.accounts.start_session(
        user, max_age_seconds=request.app.state.settings.session_max_age_minutes * 60)
    found = Session(user, secrets.token_urlsafe(24), time.time(), sid)
    request.state.session = found
    request.state.session_new = True
    return found


def store(request: Request, response: Response) -> None:
    """Write the session cookie when it was made or changed in this request."""
    if not getattr(request.state, "session_new", False):
        return
    s: Session = request.state.session
    value = _serializer(request).dumps({"u": s.user, "c": s.csrf, "t": s.issued, "s": s.sid})
    response.set_cookie(COOKIE, value, max_age=request.app.state.settings.session_max_age_minutes * 60,
                        path="/", httponly=True, samesite="lax", secure=_https(request))


def clear(response: Response, request: Request) -> None:
    """Log out: the server-side session ends (a copy of the cookie is worthless from now on) and the cookie is
    deleted."""
    found = read(request)
    if found is not None and found.sid:
        request.app.state.accounts.end_session(found.sid)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_https(request))


def csrf_ok(request: Request, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token."""
    found = read(request) or getattr(request.state, "session", None)
    return bool(found and token and hmac.compare_digest(found.csrf, token))


def _https(request: Request) -> bool:
    """Over https: the request's scheme, which a configured proxy may have set (``api.middleware.TrustedProxies``);
    an ``X-Forwarded-Proto`` header from anyone else is not believed."""
    return request.url.scheme == "https"
