"""FHIR search paging parameters, shared by every search endpoint (R5 search.html: ``_count``, ``_offset``).

``_count`` defaults to 50 and is capped at 1,000; ``_format``, ``_pretty``, ``_summary``, ``_elements`` and
``_total`` are left out (the endpoints that honour ``_summary`` and ``_elements`` read them with
:func:`api.fhir.summary.presentation`); every other parameter is returned for the endpoint to interpret.
"""

from __future__ import annotations

from fastapi import Request

import terminology as t

DEFAULT_COUNT = 50
MAX_COUNT = 1000
IGNORED = ("_format", "_pretty", "_summary", "_elements", "_total")


def paging(request: Request) -> tuple[list[tuple[str, str]], int, int]:
    """``(other parameters, offset, count)`` of a search request; a bad ``_count`` / ``_offset`` is a 400."""
    items, offset, count = [], 0, DEFAULT_COUNT
    for name, value in request.query_params.multi_items():
        if name in IGNORED:
            continue
        if name == "_count":
            count = min(t.whole_number(name, value), MAX_COUNT)
        elif name == "_offset":
            offset = t.whole_number(name, value)
        else:
            items.append((name, value))
    return items, offset, count
