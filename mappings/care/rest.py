"""FHIR REST semantics of the care resources: search parameters and transaction Bundles (FHIR R5 http.html,
search.html, bundle.html "transaction").

Search parameters per type (unknown parameters are refused, so a typo cannot return everything; reference
values may be ``Type/id`` or ``id``; token values ``system|code`` or ``code``; dates ``YYYY-MM-DD`` with an
optional ``ge`` / ``le`` / ``eq`` prefix):

=========================  ==================================================================================
Organization               ``_id``, ``name`` (prefix), ``identifier`` (orgnr or HSA-id), ``type`` (region,
                           provider, unit), ``partof``, ``active``, ``county`` (län code)
Location                   ``_id``, ``name``, ``address-postalcode``, ``address-city``, ``organization``,
                           ``municipality``, ``county``
HealthcareService          ``_id``, ``name``, ``service-type``, ``organization``, ``location``, ``active``
OrganizationAffiliation    ``_id``, ``primary-organization``, ``participating-organization``, ``service``,
                           ``active``, ``date`` (valid on the day)
Contract                   ``_id``, ``identifier``, ``authority``, ``subject``, ``status``, ``date``
MeasureReport              ``_id``, ``reporter``, ``service``, ``date`` (reported)
Observation                ``_id``, ``performer``, ``focus``, ``date`` (inside the capacity period)
=========================  ==================================================================================

A transaction Bundle holds ``POST`` (create, server-assigned id; ``fullUrl`` ``urn:uuid:...`` lets other
entries refer to it) and ``PUT`` (update or create with the id in ``request.url``, honouring
``request.ifMatch``) entries; every entry is checked first, and either all are stored or none.
"""

from __future__ import annotations

import re
import uuid
from typing import Callable

import terminology as t

from . import codes as c
from . import model as m
from .store import Filter, type_key

_REF = re.compile(r"(?:.*/)?(?P<type>[A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/\d+)?")
_DATE = re.compile(r"(?P<prefix>ge|le|eq)?(?P<date>\d{4}-\d{2}-\d{2})")

Param = tuple[str, str]


def _ref_value(value: str) -> str:
    found = _REF.fullmatch(value)
    return found["id"] if found else value


def _token(value: str) -> tuple[str | None, str]:
    system, sep, code = value.partition("|")
    return (system or None, code) if sep else (None, value)


def _bool(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise t.InvalidRequest("OP_INVALID_PARAM", name, value, "must be true or false")
    return value == "true"


def _date(name: str, value: str) -> tuple[str, str]:
    found = _DATE.fullmatch(value)
    if not found:
        raise t.InvalidRequest("OP_INVALID_PARAM", name, value, "must be a date YYYY-MM-DD, optionally prefixed "
                                                                 "ge, le or eq")
    return found["prefix"] or "eq", found["date"]


def _identifier(_: str, value: str) -> list[Filter]:
    system, v = _token(value)
    if system in (c.ORGNR_SYSTEM,) or system is None and re.fullmatch(r"\d{6}-?\d{4}", v):
        return [Filter("orgnr", "eq", f"{v[:6]}-{v[-4:]}" if len(v) in (10, 11) else v)]
    return [Filter("hsa_id", "eq", v)]


def _date_filter(column: str) -> Callable[[str, str], list[Filter]]:
    def make(name: str, value: str) -> list[Filter]:
        op, day = _date(name, value)
        return [Filter(column, op if op != "eq" else "eq", day)]
    return make


def _covers(name: str, value: str) -> list[Filter]:
    return [Filter("valid", "covers", _date(name, value)[1])]


def _inside_period(name: str, value: str) -> list[Filter]:
    day = _date(name, value)[1]
    return [Filter("period_start", "le", day), Filter("period_end", "ge", day)]


def _simple(field: str, op: str = "eq", convert: Callable[[str], object] = lambda v: v):
    return lambda name, value: [Filter(field, op, convert(value))]


_COMMON = {"_id": _simple("id")}
SEARCH: dict[str, dict[str, Callable[[str, str], list[Filter]]]] = {
    "Organization": {"name": _simple("name", "prefix"), "identifier": _identifier,
                     "type": lambda n, v: [Filter("kind", "eq", _token(v)[1])], "partof": _simple("part_of", "eq", _ref_value),
                     "active": lambda n, v: [Filter("active", "eq", _bool(n, v))], "county": _simple("county")},
    "Location": {"name": _simple("name", "prefix"), "address-postalcode": _simple("postal_code", "eq",
                                                                                   lambda v: v.replace(" ", "")),
                 "address-city": _simple("city", "prefix"), "organization": _simple("unit", "eq", _ref_value),
                 "municipality": _simple("municipality"), "county": _simple("county")},
    "HealthcareService": {"name": _simple("name", "prefix"),
                          "service-type": lambda n, v: [Filter("type", "eq", type_key(_token(v)[0] or c.SNOMED,
                                                                                        _token(v)[1]))],
                          "organization": _simple("unit", "eq", _ref_value),
                          "location": _simple("location", "eq", _ref_value),
                          "active": lambda n, v: [Filter("active", "eq", _bool(n, v))]},
    "OrganizationAffiliation": {"primary-organization": _simple("region", "eq", _ref_value),
                                "participating-organization": _simple("provider", "eq", _ref_value),
                                "service": _simple("service", "eq", _ref_value),
                                "active": lambda n, v: [Filter("active", "eq", _bool(n, v))], "date": _covers},
    "Contract": {"identifier": lambda n, v: [Filter("identifier", "eq", _token(v)[1])],
                 "authority": _simple("region", "eq", _ref_value), "subject": _simple("commission", "eq", _ref_value),
                 "status": _simple("status"), "date": _covers},
    "MeasureReport": {"reporter": _simple("unit", "eq", _ref_value), "service": _simple("service", "eq", _ref_value),
                      "date": _date_filter("reported")},
    "Observation": {"performer": _simple("unit", "eq", _ref_value), "focus": _simple("service", "eq", _ref_value),
                    "date": _inside_period},
}

SEARCH_PARAMETERS = {rtype: ("_id", *table) for rtype, table in SEARCH.items()}
"""Resource type -> the names of its search parameters (the API documents them)."""


def search_filters(resource_type: str, params: list[Param]) -> list[Filter]:
    """The store filters of FHIR search parameters (``_count``, ``_offset`` and formatting ones excluded)."""
    table = {**_COMMON, **SEARCH[resource_type]}
    out: list[Filter] = []
    for name, value in params:
        make = table.get(name)
        if make is None:
            raise t.InvalidRequest("OP_INVALID_PARAM", name, value,
                                   f"not a supported search parameter of {resource_type} (use "
                                   f"{', '.join(sorted(table))}, _count, _offset)")
        out += make(name, value)
    return out


# --- transaction Bundles ------------------------------------------------------------------------------


class BundleEntries:
    """The entries of a transaction Bundle with their ids assigned and references resolvable."""

    def __init__(self, bundle: dict) -> None:
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise t.InvalidRequest.plain("the body must be a Bundle", expression="Bundle")
        if bundle.get("type") != "transaction":
            raise t.InvalidRequest.plain(f"only transaction Bundles are accepted here, not {bundle.get('type')!r}",
                                         expression="Bundle.type")
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise t.InvalidRequest.plain("Bundle.entry must be an array", expression="Bundle.entry")
        self.items: list[tuple[str, dict, str, str | None]] = []
        """``(path, resource with its id, method, ifMatch)``."""
        self.full_urls: dict[str, tuple[str, str]] = {}
        for i, entry in enumerate(entries):
            path = f"Bundle.entry[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                raise t.InvalidRequest.plain(f"{path}: an entry needs a resource", expression=path)
            resource = entry["resource"]
            rtype = resource.get("resourceType")
            if rtype not in m.RESOURCE_TYPES:
                raise t.InvalidRequest.plain(
                    f"{path}: the care directory keeps {', '.join(m.RESOURCE_TYPES)}, not {rtype}",
                    expression=f"{path}.resource.resourceType")
            request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
            method = str(request.get("method") or "POST").upper()
            url = str(request.get("url") or rtype)
            if request.get("ifNoneExist"):
                raise t.Unsupported.plain(f"{path}: conditional create (ifNoneExist) is not supported")
            if method == "POST":
                if url.split("?")[0] != rtype:
                    raise t.InvalidRequest.plain(f"{path}.request.url: a create of a {rtype} posts to '{rtype}', "
                                                 f"not '{url}'", expression=f"{path}.request.url")
                id_ = uuid.uuid4().hex
            elif method == "PUT":
                found = _REF.fullmatch(url)
                if not found or found["type"] != rtype:
                    raise t.InvalidRequest.plain(f"{path}.request.url: an update names '{rtype}/[id]', not '{url}'",
                                                 expression=f"{path}.request.url")
                id_ = found["id"]
                if resource.get("id") not in (None, id_):
                    raise t.InvalidRequest.plain(f"{path}: the resource id {resource.get('id')!r} does not match "
                                                 f"the request url {url!r}", expression=f"{path}.resource.id")
            else:
                raise t.Unsupported.plain(f"{path}.request.method: {method} is not supported in a care transaction "
                                          "(use POST or PUT)")
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str) and full_url:
                self.full_urls[full_url] = (rtype, id_)
            self.items.append((path, {**resource, "id": id_}, method, request.get("ifMatch")))

    def resolve(self, reference: str, rtype: str, path: str) -> str:
        """A reference inside the Bundle: a ``fullUrl`` of another entry, ``Type/id`` or an absolute URL."""
        if reference in self.full_urls:
            found_type, id_ = self.full_urls[reference]
        else:
            found = _REF.fullmatch(reference)
            if not found:
                raise t.InvalidRequest.plain(f"{path}: '{reference}' is not a reference to a {rtype} (Type/id or "
                                             "the fullUrl of an entry)", expression=path)
            found_type, id_ = found["type"], found["id"]
        if found_type != rtype:
            raise t.InvalidRequest.plain(f"{path}: must refer to a {rtype}, not a {found_type}", expression=path)
        return id_


def resolve_plain(reference: str, rtype: str, path: str) -> str:
    """A reference outside a Bundle: ``Type/id`` (or an absolute URL ending in it)."""
    found = _REF.fullmatch(reference)
    if not found:
        raise t.InvalidRequest.plain(f"{path}: '{reference}' is not a reference (Type/id)", expression=path)
    if found["type"] != rtype:
        raise t.InvalidRequest.plain(f"{path}: must refer to a {rtype}, not a {found['type']}", expression=path)
    return found["id"]
