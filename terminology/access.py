"""Who may do what: principals, roles and the authorisation rules, enforced below the web and FHIR layers.

Roles (ARCHITECTURE.md "Auth"): ``vardlots`` reads care data of the own region; ``avtalsadmin`` writes
the agreements, commissions and services of the own region only; ``informatiker`` edits code systems, value
sets and maps; ``admin`` loads terminology and manages users. Every user belongs to one region (a län
code), except system principals such as the command line.

The rules live here and in the services that call :func:`require`, never in the HTTP handlers, so every
path to a write (REST, operations, web pages, file uploads) passes the same check.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden, Unauthenticated

ROLES = ("vardlots", "avtalsadmin", "informatiker", "admin")
CHANNELS = ("web", "api", "file", "cli", "release")


@dataclass(frozen=True)
class Principal:
    """The caller of an operation, as established by authentication."""

    subject: str
    roles: frozenset[str] = frozenset()
    region: str | None = None
    channel: str = "api"
    """How the change arrives: ``web``, ``api``, ``file``, ``cli`` or ``release`` (a guided fix after a new release;
    recorded in change history)."""

    @property
    def authenticated(self) -> bool:
        return self.subject != ANONYMOUS.subject

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


ANONYMOUS = Principal("anonymous")
"""A caller who presented no credentials."""

COMMAND_LINE = Principal("cli", frozenset(ROLES), None, "cli")
"""The operator at the command line: whoever can run the CLI owns the database."""

TERMINOLOGY_EDITORS = ("informatiker", "admin")
"""Roles that may create, change and delete code systems, value sets and concept maps."""


def require(principal: Principal, *roles: str, action: str) -> None:
    """Allow ``action`` only to a principal holding one of ``roles``.

    Raises Unauthenticated (HTTP 401) for an anonymous caller and Forbidden (403) for one who lacks the role.
    """
    if principal.has(*roles):
        return
    if not principal.authenticated:
        raise Unauthenticated.plain(f"Logga in först (log in to {action})")
    raise Forbidden.plain(f"Behörighet saknas: rollen {' eller '.join(roles)} behövs "
                          f"({principal.subject} may not {action}: it needs the role {' or '.join(roles)})")


def require_region(principal: Principal, region: str | None, *, action: str) -> None:
    """Allow a region-scoped write only inside the principal's own region (admins: any region)."""
    if principal.has("admin") or principal.channel == "cli":
        return
    if region is None or principal.region != region:
        raise Forbidden.plain(f"Det tillhör en annan region ({principal.subject} may not {action}: it belongs to "
                              f"region {region}, not to {principal.region})")
