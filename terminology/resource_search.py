"""FHIR search on the conformance resources: the parameters, how a resource is indexed for them, and how a
request's values are read (FHIR R5 search.html; the parameters are those CodeSystem, ValueSet and ConceptMap
define that users search by).

Parameters (all three types unless noted) and their FHIR types:

==============  ======  ==========================================================================
``_id``         token   the logical id
``url``         uri     ``url``, exact; ``system`` (CodeSystem only) is the same element
``version``     token   ``version``, exact
``status``      token   ``status``
``name``        string  ``name``
``title``       string  ``title``
``publisher``   string  ``publisher``
``description`` string  ``description``
``identifier``  token   ``identifier`` (Identifier: ``[system]|[value]``)
``jurisdiction`` token  ``jurisdiction`` (CodeableConcept: ``[system]|[code]``)
``date``        date    ``date`` (a dateTime), with the prefixes eq ne gt lt ge le sa eb ap
==============  ======  ==========================================================================

Matching (search.html "Search Types"):

* string: the element *starts with* the value, ignoring case and accents (``vardatgard`` finds
  "Vårdåtgärder"); ``:exact`` the whole element, case and accents as given; ``:contains`` anywhere.
* token: ``code`` any system; ``system|code`` that system; ``|code`` no system; ``system|`` any code of it.
* date: the element's value is the range its precision covers (``2021`` is the whole year); ``eq`` the
  search range contains it, ``ne`` it does not, ``gt`` / ``lt`` it reaches above / below the search range,
  ``ge`` / ``le`` either, ``sa`` / ``eb`` it starts after / ends before the search range, ``ap`` it overlaps
  the search range widened by 10% of the distance to now (at least a day). Times without a zone are UTC.
* A comma between values means OR; a parameter given twice means AND. An unknown parameter or modifier is
  refused (400) rather than ignored, so a typo cannot return everything.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import InvalidRequest
from .text import fold

STRING, TOKEN, URI, DATE = "string", "token", "uri", "date"

COLUMN_PARAMETERS = {"_id": "id", "url": "url", "version": "version", "status": "status"}
"""Parameters answered from the resource table's own columns (exact match), by the column."""

INDEXED = {"name": STRING, "title": STRING, "publisher": STRING, "description": STRING, "identifier": TOKEN,
           "jurisdiction": TOKEN, "date": DATE}
"""Parameters answered from the search index, by their FHIR type."""

PARAMETERS: dict[str, dict[str, str]] = {
    rtype: {"_id": TOKEN, "url": URI, "version": TOKEN, "status": TOKEN, **INDEXED,
            **({"system": URI} if rtype == "CodeSystem" else {})}
    for rtype in ("CodeSystem", "ValueSet", "ConceptMap")}
"""Resource type -> search parameter -> FHIR search parameter type."""

MODIFIERS = {STRING: ("exact", "contains")}
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


@dataclass(frozen=True)
class IndexRow:
    """One value of a resource for one indexed parameter."""

    name: str
    value: str | None = None
    """string: the element as written; token: the code or identifier value."""
    folded: str | None = None
    """string: the value folded for case- and accent-insensitive matching."""
    system: str | None = None
    """token: the code system or identifier system."""
    low: str | None = None
    """date: the start of the range the value covers (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffff``)."""
    high: str | None = None
    """date: the end of that range (exclusive)."""


def index_rows(resource: dict) -> list[IndexRow]:
    """The values of a resource (R5 JSON) for the indexed parameters."""
    rows = []
    for name in ("name", "title", "publisher", "description"):
        value = resource.get(name)
        if isinstance(value, str) and value:
            rows.append(IndexRow(name, value=value, folded=fold(value)))
    identifiers = resource.get("identifier") or []
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(ident, dict) and ident.get("value"):
            rows.append(IndexRow("identifier", value=ident["value"], system=ident.get("system")))
    for concept in resource.get("jurisdiction") or []:
        for coding in (concept or {}).get("coding") or []:
            if coding.get("code"):
                rows.append(IndexRow("jurisdiction", value=coding["code"], system=coding.get("system")))
    if isinstance(resource.get("date"), str):
        span = date_range(resource["date"])
        if span is not None:
            rows.append(IndexRow("date", low=span[0], high=span[1]))
    return rows


@dataclass(frozen=True)
class Criterion:
    """One search parameter of a request: any of ``values`` matches (OR); criteria combine with AND."""

    name: str
    type: str
    modifier: str | None
    values: tuple


def parse(resource_type: str, items: list[tuple[str, str]]) -> list[Criterion]:
    """The request's search parameters (``name[:modifier]``, value) as criteria; InvalidRequest on an unknown
    parameter, an unsupported modifier or a value the parameter's type cannot read."""
    known = PARAMETERS[resource_type]
    out = []
    for raw, value in items:
        name, _, modifier = raw.partition(":")
        if name not in known:
            raise InvalidRequest("OP_INVALID_PARAM", raw, value, f"not a supported search parameter of "
                                 f"{resource_type} (use {', '.join(known)}, _count, _offset, _summary, _elements)")
        kind = known[name]
        if modifier and modifier not in MODIFIERS.get(kind, ()):
            raise InvalidRequest("OP_INVALID_PARAM", raw, value, f"the modifier :{modifier} is not supported on "
                                 f"{name} (a {kind} parameter)"
                                 + (f"; use :{' or :'.join(MODIFIERS[kind])}" if kind in MODIFIERS else ""))
        alternatives = [v.replace("\\,", ",") for v in re.split(r"(?<!\\),", value)]
        if kind == DATE:
            parsed = tuple(_date_value(raw, v) for v in alternatives)
        elif kind == TOKEN and name in INDEXED:
            parsed = tuple(_token(v) for v in alternatives)
        elif kind == STRING:
            parsed = tuple(v if modifier == "exact" else fold(v) for v in alternatives)
        else:
            parsed = tuple(alternatives)
        out.append(Criterion("url" if name == "system" else name, kind, modifier or None, parsed))
    return out


def _token(value: str) -> tuple[str | None, str | None]:
    """``(system, code)``: ``system|code``, ``|code`` (system ``""``: none), ``system|`` (code None) or ``code``
    (system None: any)."""
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code or None


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
                   r"(Z|[+-]\d{2}:\d{2})?)?)?)?")


def date_range(value: str) -> tuple[str, str] | None:
    """The range ``[low, high)`` a FHIR date or dateTime covers at its precision, as UTC ISO strings; None when
    ``value`` is not one."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        if month is None:
            low, high = dt.datetime(int(year), 1, 1), dt.datetime(int(year) + 1, 1, 1)
        elif day is None:
            low = dt.datetime(int(year), int(month), 1)
            high = dt.datetime(int(year) + (int(month) == 12), int(month) % 12 + 1, 1)
        elif hour is None:
            low = dt.datetime(int(year), int(month), int(day))
            high = low + dt.timedelta(days=1)
        else:
            low = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                              int(round(float(fraction or "0") * 1_000_000)))
            step = dt.timedelta(minutes=1) if second is None else dt.timedelta(seconds=1) if fraction is None \
                else dt.timedelta(microseconds=10 ** (6 - min(6, len(fraction) - 1)))
            high = low + step
            if zone and zone != "Z":
                offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])) * (1 if zone[0] == "+" else -1)
                low, high = low - offset, high - offset
    except ValueError:
        return None
    return _iso(low), _iso(high)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _date_value(name: str, value: str) -> tuple[str, str, str]:
    """``(prefix, low, high)`` of a date search value; ``ap`` widens the range by 10% of its distance to now."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    rest = value[2:] if value[:2] in PREFIXES else value
    span = date_range(rest)
    if span is None:
        raise InvalidRequest("OP_INVALID_PARAM", name, value, "must be a date or dateTime (YYYY, YYYY-MM, "
                             "YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone), optionally after a prefix "
                             f"({', '.join(PREFIXES)})")
    if prefix == "ap":
        low, high = (dt.datetime.fromisoformat(x) for x in span)
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        margin = max(abs(now - low) / 10, dt.timedelta(days=1))
        span = (_iso(low - margin), _iso(high + margin))
    return prefix, *span
