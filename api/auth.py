"""Authentication at the HTTP edge: who is calling. What they may do is decided below (``terminology.access``).

Credentials, in this order:

* ``Authorization: Bearer <JWT>``: a token from the configured OIDC issuer, checked with PyJWT against the
  issuer's JWKS (``VARDTERM_AUTH_JWKS_URL``) or a fixed public key (``VARDTERM_AUTH_JWT_PUBLIC_KEY``, for
  tests and closed installations): signature, ``iss``, ``aud``, ``exp``/``nbf``; roles and region come from
  the claims named by ``VARDTERM_AUTH_ROLES_CLAIM`` and ``VARDTERM_AUTH_REGION_CLAIM``;
* ``Authorization: ApiKey <key>`` or ``X-API-Key: <key>``: a key made with ``vardterm apikey add``;
* the web app's session cookie (:mod:`api.web.session`): the logged-in user, channel ``web``. On a request
  that changes something it counts only on the web pages (which check the form's CSRF token) or with the
  session's token in ``X-CSRF-Token``; elsewhere such a request is anonymous;
* none: the anonymous principal. Bad credentials are refused (401), never taken as anonymous.

Terminology reads are open unless ``VARDTERM_OPEN_TERMINOLOGY_READS=false``; writes always need a role.
"""

from __future__ import annotations

import functools

import jwt
from fastapi import Request

import terminology as t

from .settings import Settings


def principal(request: Request) -> t.Principal:
    """The caller of this request (FastAPI dependency; cached on the request)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        found = _from_token(value.strip(), settings)
    elif scheme.lower() == "apikey" and value:
        found = request.app.state.accounts.check_key(value)
    elif request.headers.get("x-api-key"):
        found = request.app.state.accounts.check_key(request.headers["x-api-key"])
    elif header:
        raise t.Unauthenticated.plain("Unsupported Authorization scheme: use Bearer or ApiKey")
    else:
        found = _from_session(request)
    request.state.principal = found
    return found


async def terminology_reader(request: Request) -> t.Principal:
    """Dependency of the terminology read routes: anyone when reads are open, else a known caller.

    ``async`` so it costs no thread-pool hop; an API key check is one indexed read.
    """
    who = principal(request)
    if request.url.path.endswith(("/metadata", "/$versions")):
        return who  # capability discovery stays open
    if not request.app.state.settings.open_terminology_reads and not who.authenticated:
        raise t.Unauthenticated.plain("Log in (a bearer token or an API key) to use the terminology service")
    return who


def writer(request: Request, roles: tuple[str, ...], action: str) -> t.Principal:
    """The caller, when it holds one of ``roles``; checked before a write route reads and parses its body, so
    an anonymous or read-only caller is refused (401 / 403) without the server reading what it sent. The
    domain checks every record again."""
    who = principal(request)
    t.require(who, *roles, action=action)
    return who


def _from_session(request: Request) -> t.Principal:
    from .web import session

    found = session.read(request)
    if found is None or not found.user:
        return t.ANONYMOUS
    safe = request.method in ("GET", "HEAD", "OPTIONS") or request.url.path.startswith("/app/")
    if not safe and not session.csrf_ok(request, request.headers.get(session.CSRF_HEADER)):
        return t.ANONYMOUS
    try:
        return request.app.state.accounts.session_principal(found.sid, channel="web")
    except t.Unauthenticated:
        return t.ANONYMOUS  # an ended session (logout, disabled user, new password) is no login at all


def _from_token(token: str, settings: Settings) -> t.Principal:
    key = _signing_key(token, settings)
    try:
        claims = jwt.decode(token, key, algorithms=["RS256", "ES256", "PS256", "EdDSA"],
                            audience=settings.auth_jwt_audience, issuer=settings.auth_jwt_issuer,
                            options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise t.Unauthenticated.plain(f"The bearer token is not valid: {exc}") from None
    roles = claims.get(settings.auth_roles_claim) or []
    if isinstance(roles, str):
        roles = roles.replace(",", " ").split()
    region = claims.get(settings.auth_region_claim)
    return t.Principal(str(claims["sub"]), frozenset(r for r in roles if r in t.ROLES),
                       str(region) if region is not None else None, "api")


def _signing_key(token: str, settings: Settings):
    if settings.auth_jwt_public_key:
        return settings.auth_jwt_public_key
    if settings.auth_jwks_url:
        try:
            return _jwks_client(settings.auth_jwks_url).get_signing_key_from_jwt(token).key
        except jwt.PyJWTError as exc:
            raise t.Unauthenticated.plain(f"The bearer token cannot be checked: {exc}") from None
    raise t.Unauthenticated.plain("This server does not accept bearer tokens (no issuer is configured)")


@functools.lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)
