"""Login and logout (issue 8 "Login and roles"): a form POST checked against the local accounts (argon2id),
then a new signed session; logout clears it. Both forms carry the CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

import terminology as t

from . import session
from .common import check_csrf, page, user

router = APIRouter()


def _landing(who: t.Principal) -> str:
    """Where a role starts: the informatiker on the value sets, the agreement administrator on Avtal, everyone
    else on Sök."""
    if who.has("informatiker") and not who.has("admin"):
        return "/app/vardemangder"
    return "/app/avtal" if who.has("avtalsadmin") and not who.has("vardlots") else "/app/sok"


def _safe_next(value: str | None) -> str | None:
    """Only a path on this site (no open redirect)."""
    return value if value and value.startswith("/app/") and not value.startswith("//") else None


@router.get("/")
@router.get("")
def home(request: Request) -> RedirectResponse:
    return RedirectResponse(_landing(user(request)), status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None):
    return page(request, "login.html", next=_safe_next(next) or "", error=None)


@router.post("/login")
async def login(request: Request):
    form = await check_csrf(request)
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    address = request.client.host if request.client else None
    try:
        who = request.app.state.accounts.login(username, password, channel="web", address=address)
    except t.Unauthenticated:
        return page(request, "login.html", status=401, next=_safe_next(form.get("next")) or "",
                    error="Fel användarnamn eller lösenord.", username=username)
    except t.Throttled as exc:
        minutes = (exc.retry_after + 59) // 60
        response = page(request, "login.html", status=429, next=_safe_next(form.get("next")) or "",
                        error=f"För många misslyckade inloggningar. Vänta {minutes} minut{'er' if minutes > 1 else ''} "
                              "och försök sedan igen.", username=username)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    session.start(request, who.subject)
    request.state.principal = who
    response = RedirectResponse(_safe_next(form.get("next")) or _landing(who), status_code=303)
    session.store(request, response)
    return response


@router.post("/logout")
async def logout(request: Request):
    await check_csrf(request)
    response = RedirectResponse("/app/login", status_code=303)
    session.clear(response, request)
    return response
