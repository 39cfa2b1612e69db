"""What every page shares: the templates, the logged-in user, the CSRF check and the session cookie."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

import terminology as t
from mappings import care

from ..auth import principal
from . import session

HERE = Path(__file__).parent
STATIC = HERE / "static"

ROLE_TEXT = {"vardlots": "Vårdlots", "avtalsadmin": "Avtalsadministratör", "informatiker": "Informatiker",
             "admin": "Administratör"}
CHANNEL_TEXT = {"web": "webb", "api": "API", "file": "fil", "cli": "kommandorad", "generator": "generator",
                "release": "release (guidad rättning)"}

DATE_ATTRS = Markup('type="text" inputmode="numeric" pattern="\\d{4}-\\d{2}-\\d{2}" placeholder="ÅÅÅÅ-MM-DD" '
                    'maxlength="10" autocomplete="off" title="Datum som ÅÅÅÅ-MM-DD, t.ex. 2026-01-31"')
"""Attributes of every date field: Swedish date format (ÅÅÅÅ-MM-DD) whatever the browser's language (a
``type="date"`` field shows the browser's own format, e.g. 01/31/2026 in an English browser)."""

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                        trim_blocks=True, lstrip_blocks=True)


class LoginNeeded(Exception):
    """The page needs a logged-in user: answered with a redirect to the login form."""


def user(request: Request) -> t.Principal:
    """The logged-in web user; LoginNeeded for an anonymous visitor."""
    try:
        who = principal(request)
    except t.Unauthenticated:
        raise LoginNeeded() from None
    if not who.authenticated:
        raise LoginNeeded()
    return who


def directory(request: Request) -> care.CareDirectory:
    return request.app.state.care


def writer(who: t.Principal) -> bool:
    """Whether to show the agreement pages' edit controls (the directory decides what is allowed)."""
    return who.has("avtalsadmin", "admin")


async def check_csrf(request: Request) -> dict:
    """The posted form, after checking its CSRF token (Forbidden when it is missing or wrong)."""
    form = await request.form()
    if not session.csrf_ok(request, form.get(session.CSRF_FIELD)):
        raise t.Forbidden.plain("Formuläret har gått ut eller kom inte från den här sidan. Ladda om sidan och "
                                "försök igen.")
    return form


async def uploaded(form, *, max_bytes: int, default_name: str = "fil.csv") -> tuple[bytes, str]:
    """``(bytes, file name)`` of a two-step upload: the file field of the first post, or the file the preview
    page carried back (``payload``, base64) with its confirmation; nothing is kept on the server in between.
    InvalidRequest in Swedish for a missing, damaged or too large file."""
    if form.get("payload"):
        try:
            return (base64.b64decode(str(form["payload"]), validate=True),
                    str(form.get("filename", default_name)))
        except binascii.Error:
            raise t.InvalidRequest.plain("Filen kom inte tillbaka oskadd; ladda upp den igen") from None
    file = form.get("file")
    if file is None or not hasattr(file, "read") or not file.filename:
        raise t.InvalidRequest.plain("Välj en fil att ladda upp")
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise t.InvalidRequest.plain(f"Filen är större än {max_bytes // (1024 * 1024)} MB; dela upp den")
    return data, file.filename


def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """Render a page with the user, the navigation and the CSRF token."""
    s = session.ensure(request)
    who = getattr(request.state, "principal", None)
    response = HTMLResponse(templates.get_template(template).render(
        request=request, who=who if who is not None and who.authenticated else None, csrf=s.csrf,
        csrf_field=session.CSRF_FIELD, role_text=ROLE_TEXT, channel_text=CHANNEL_TEXT, writer=writer,
        date_attrs=DATE_ATTRS, **context),
        status_code=status)
    session.store(request, response)
    return response


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/app/login?next={quote(target)}", status_code=303)
