"""Read-only nodes (``VARDTERM_READ_ONLY``): every write is refused before any work is done, naming the
writable node (``VARDTERM_WRITER_URL``).

A write is any request but GET, HEAD and OPTIONS, except the ones that only read: FHIR operations
(``POST .../$expand`` and every other ``$`` operation), the care search's JSON POST and the web login and
logout (which only set a cookie). The answer is 405 with ``Allow: GET, HEAD`` and an OperationOutcome (a
Swedish page on the web app). Behind this check the database connections themselves are read-only
(``terminology.Database(read_only=True)``), so a write that is not recognised here fails there, as 403.
"""

from __future__ import annotations

from fastapi import Request

import terminology as t

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READING_POSTS = frozenset({"/api/care/search", "/app/login", "/app/logout"})


def writes(method: str, path: str) -> bool:
    """Whether a request of ``method`` on ``path`` would change something."""
    if method in SAFE_METHODS:
        return False
    return not (path.rsplit("/", 1)[-1].startswith("$") or path in READING_POSTS)


def refusal(writer_url: str | None) -> t.ReadOnlyNode:
    where = f"på {writer_url}" if writer_url else "på den skrivbara servern"
    there = f"to {writer_url}" if writer_url else "to the writable node"
    return t.ReadOnlyNode.plain(f"Den här servern är skrivskyddad; gör ändringar {where} (this node is read-only; "
                                f"send writes {there})")


async def refuse_writes(request: Request) -> None:
    """App-wide dependency on a read-only node (added only there, so writers pay nothing)."""
    if writes(request.method, request.url.path):
        raise refusal(request.app.state.settings.writer_url)
