"""Regular expressions that arrive in requests (the ``regex`` filter operator), evaluated with a time bound.

FHIR R5 filter-operator ``regex``: "The specified property of the code matches the regex specified in the
value"; like tx.fhir.org, the whole value must match. A pattern comes from the caller (a ValueSet sent as a
``tx-resource``), so a catastrophic pattern such as ``(a+)+$`` must not hang a worker: patterns run on the
``regex`` package, whose matcher avoids most exponential backtracking and which honours a per-call timeout.
A filter has :data:`FILTER_BUDGET_SECONDS` in total over all the values it tests; when it runs out the
request is refused as too costly instead of holding the worker.
"""

from __future__ import annotations

import functools
import time

import regex

from ..errors import InvalidRequest, TooCostly

FILTER_BUDGET_SECONDS = 2.0
"""Wall time one ``regex`` filter may spend matching, summed over every value it tests."""


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> "regex.Pattern[str]":
    """Compile ``pattern``; InvalidRequest names the problem when it is not a valid regular expression."""
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        raise InvalidRequest("REGEX_INVALID", pattern, str(exc)) from None


class PatternMatcher:
    """Full-match one pattern against many values within a shared time budget."""

    def __init__(self, pattern: str, *, budget: float = FILTER_BUDGET_SECONDS) -> None:
        self.pattern = pattern
        self.compiled = compile_pattern(pattern)
        self.deadline = time.monotonic() + budget

    def matches(self, value: str) -> bool:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TooCostly("REGEX_TOO_COSTLY", self.pattern)
        try:
            return self.compiled.fullmatch(value, timeout=remaining) is not None
        except TimeoutError:
            raise TooCostly("REGEX_TOO_COSTLY", self.pattern) from None
