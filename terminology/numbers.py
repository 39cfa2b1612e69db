"""Numbers from requests: the one place where a number given as text (a query or form parameter, a header, a
path segment, a Parameters value) becomes a Python number, range-checked.

FHIR ``integer`` is a signed 32-bit value (R5 datatypes.html#integer, "-2,147,483,648..2,147,483,647"), so
no FHIR integer parameter can be larger; checking it here keeps an unbounded Python ``int`` from reaching a
database column or an SQL ``LIMIT`` / ``OFFSET`` (SQLite refuses anything past 64 bits). Only ASCII digits
count: ``str.isdigit`` also accepts ``'¹'`` and other digits that ``int()`` refuses. A decimal must be a
finite number (``nan`` and ``inf`` compare false with every bound).
"""

from __future__ import annotations

import math
import re

from .errors import InvalidRequest

FHIR_INTEGER_MAX = 2_147_483_647
"""The largest FHIR ``integer``."""

_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")
_DECIMAL = re.compile(r"[+-]?([0-9]{1,12}(\.[0-9]{0,12})?|\.[0-9]{1,12})([eE][+-]?[0-9]{1,3})?")


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "..."


def whole_number(name: str, value, *, minimum: int = 0, maximum: int = FHIR_INTEGER_MAX) -> int:
    """``value`` (text or int) as an int within ``minimum..maximum``; InvalidRequest naming ``name`` otherwise."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if not _WHOLE.fullmatch(text) or not minimum <= int(text) <= maximum:
        raise InvalidRequest("OP_INVALID_PARAM", name, _shown(value),
                             f"must be a whole number from {minimum:,} to {maximum:,}")
    return int(text)


def decimal_number(name: str, value, *, minimum: float = 0.0, maximum: float = 1e9) -> float:
    """``value`` (text or number) as a finite float within ``minimum..maximum``; InvalidRequest otherwise."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    number = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not (math.isfinite(number) and minimum <= number <= maximum):
        raise InvalidRequest("OP_INVALID_PARAM", name, _shown(value), f"must be a number from {minimum:g} to {maximum:g}")
    return number


def etag_version(value: str | None, *, name: str = "If-Match") -> int | None:
    """The version an ``If-Match`` value names (``W/"3"``, ``"3"`` or ``3`` -> 3); None when absent."""
    if value is None:
        return None
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    return whole_number(name, v.strip('"'), minimum=1)
