"""The care directory: the one object the API, the CLI and the web pages call (a library first).

Writes (FHIR create / update / transaction, file imports, the generator) all pass the same checks
(:mod:`.validate`) and land in one transaction each, with a change-history row per record (who, when,
through which channel, what changed). Reads hide confidential agreements from every other region.
"""

from __future__ import annotations

import contextlib
import gc
import uuid
from dataclasses import dataclass
from typing import Iterable, Sequence

import terminology as t

from . import fhir, rest
from . import model as m
from .concepts import ConceptIndex
from .search import CareSearch, CareSearchRequest, CareSearchResult
from .store import CareStore, Filter
from .validate import CodeChecker, check_codes, check_dates, check_references, derive


@dataclass(frozen=True)
class Written:
    """The outcome of one write: the record as stored, and whether it was created."""

    stored: m.Stored
    created: bool


class CareDirectory:
    """Organisations, units, places, services, commissions, agreements, waiting times and capacity, with the
    care search on top.

    :param db: the terminology catalog database; the care tables live in the same database.
    :param service: the terminology service, for code checks and the concept hierarchy.
    :param maps: where ConceptMaps come from for ``mapped`` hits (the terminology's resource repository);
        None disables them.
    """

    def __init__(self, db: t.Database, service: t.TerminologyService, *, maps=None, language: str = "sv",
                 refresh_seconds: float = 1.0) -> None:
        self.db = db
        self.service = service
        self.store = CareStore(db)
        self.checker = CodeChecker(service, language)
        self.index = ConceptIndex(service, self.store, maps, language=language, refresh_seconds=refresh_seconds)
        self.searcher = CareSearch(self.store, self.index)

    def initialise(self) -> None:
        """Create the care tables if missing (``vardterm init`` and ``vardterm demo`` call this)."""
        self.store.initialise()

    # --- the search ------------------------------------------------------------------------------

    def search(self, req: CareSearchRequest, *, today: str | None = None) -> CareSearchResult:
        """``$care-search`` (see :mod:`mappings.care.search`)."""
        return self.searcher.search(req, today=today)

    def region(self, value: str) -> m.Organization:
        """The region of a län code, orgnr or id; InvalidRequest when there is none."""
        return self.searcher.region(value)

    # --- FHIR REST -------------------------------------------------------------------------------

    def create(self, resource: dict, *, who: str = "anonymous", channel: str = "api",
               region_scope: str | None = None) -> Written:
        """``POST [type]``: store under a new id (an id in the body is ignored, as FHIR says)."""
        resource = {**resource, "id": uuid.uuid4().hex}
        parsed = fhir.parse(resource, rest.resolve_plain)
        return self._write([(parsed, None, "")], who, channel, region_scope)[0]

    def update(self, resource_type: str, id_: str, resource: dict, *, if_match: str | None = None,
               who: str = "anonymous", channel: str = "api", region_scope: str | None = None) -> Written:
        """``PUT [type]/[id]``: update, or create with that id; ``if_match`` (``W/"n"``) must name the
        current version, else VersionConflict (HTTP 412)."""
        if resource.get("resourceType") != resource_type:
            raise t.InvalidRequest.plain(f"the body is a {resource.get('resourceType')}, but the URL is for "
                                         f"{resource_type}", expression="resourceType")
        if resource.get("id") not in (None, id_):
            raise t.InvalidRequest.plain(f"the resource id '{resource.get('id')}' does not match the URL id "
                                         f"'{id_}'", expression=f"{resource_type}.id")
        parsed = fhir.parse({**resource, "id": id_}, rest.resolve_plain)
        return self._write([(parsed, _etag_version(if_match), "")], who, channel, region_scope)[0]

    def transaction(self, bundle: dict, *, who: str = "anonymous", channel: str = "api",
                    region_scope: str | None = None) -> list[Written]:
        """``POST /`` with a transaction Bundle: every entry or none (FHIR bundle.html "transaction")."""
        with _bulk():
            entries = rest.BundleEntries(bundle)
            items = []
            for path, resource, _, if_match in entries.items:
                parsed = fhir.parse(resource, entries.resolve, f"{path}.resource")
                where = f"{path} ({resource['resourceType']}/{resource['id']})"
                items.append((parsed, _etag_version(if_match), where))
            return self._write(items, who, channel, region_scope)

    def write_records(self, records: Sequence[m.Record], *, who: str, channel: str,
                      where: Iterable[str] | None = None) -> list[Written]:
        """Store records made without FHIR (imports, the generator) with the same checks, all or nothing.

        ``where`` names each record in error messages (e.g. ``waits.csv, line 7``)."""
        labels = list(where) if where is not None else [f"{m.resource_type(r)}/{r.id}" for r in records]
        items = []
        with _bulk():
            for record, label in zip(records, labels):
                try:
                    items.append((derive(record, m.resource_type(record)), None, label))
                except t.InvalidRequest as exc:
                    raise t.InvalidRequest.plain(f"{label}: {exc.text}", expression=exc.expression) from None
            return self._write(items, who, channel, None)

    def _write(self, items: list[tuple[fhir.Parsed, int | None, str]], who: str, channel: str,
               region_scope: str | None) -> list[Written]:
        self.checker.refresh()
        checked = []
        for parsed, _, where in items:
            try:
                check_dates(parsed.record, m.resource_type(parsed.record))
            except t.InvalidRequest as exc:
                raise t.InvalidRequest.plain(f"{where}: {exc.text}" if where else exc.text,
                                             expression=exc.expression) from None
            checked.append((check_codes(parsed, self.checker, where), parsed, where))
        check_references([(fhir.Parsed(record, parsed.codes, parsed.refs), where)
                          for record, parsed, where in checked], self.store)
        if region_scope is not None:
            _check_scope([r for r, _, _ in checked], region_scope)
        stored = self.store.write([(record, expected) for (record, _, _), (_, expected, _) in zip(checked, items)],
                                  who=who, channel=channel)
        return [Written(s, created) for s, created in stored]

    def read(self, resource_type: str, id_: str, *, viewer_region: str | None = None) -> m.Stored:
        """``GET [type]/[id]``; a confidential agreement of another region is not there for the viewer."""
        _check_type(resource_type)
        found = self.store.get(resource_type, id_)
        if found is None or not _visible(found.record, viewer_region):
            raise t.UnknownResource("OP_UNKNOWN_RESOURCE", resource_type, id_)
        return found

    def find(self, resource_type: str, params: list[tuple[str, str]], *, viewer_region: str | None = None,
             offset: int = 0, count: int | None = 50) -> tuple[int, list[m.Stored]]:
        """``GET [type]?...`` with the FHIR search parameters of :mod:`mappings.care.rest`."""
        _check_type(resource_type)
        filters = rest.search_filters(resource_type, params)
        if resource_type == "Contract":
            filters.append(Filter("confidential", "visible_to", viewer_region or ""))
        return self.store.search(resource_type, filters, offset=offset, count=count)

    def history(self, *, resource_type: str | None = None, resource_id: str | None = None,
                limit: int = 50) -> list[m.Event]:
        """The change history, newest first."""
        return self.store.events(resource_type=resource_type, resource_id=resource_id, limit=limit)

    def counts(self) -> dict[str, int]:
        """How many records of each type the directory holds."""
        return {rtype: self.store.count(rtype) for rtype in m.RESOURCE_TYPES}


@contextlib.contextmanager
def _bulk():
    """No cyclic garbage collection while a write builds hundreds of thousands of objects that all stay
    alive until it ends (collections would rescan them again and again; a care-50k Bundle loads ~2x faster)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check_type(resource_type: str) -> None:
    if resource_type not in m.RESOURCE_TYPES:
        raise t.InvalidRequest.plain(f"the care directory keeps {', '.join(m.RESOURCE_TYPES)}, not {resource_type}")


def _visible(record: m.Record, viewer_region: str | None) -> bool:
    return not (isinstance(record, m.Agreement) and record.confidential and record.region != viewer_region)


def _check_scope(records: list[m.Record], region: str) -> None:
    """An agreement administrator writes only the own region's agreements and commissions."""
    for r in records:
        owner = r.region if isinstance(r, (m.Agreement, m.Commission)) else None
        if owner is not None and owner != region:
            raise t.InvalidRequest.plain(f"{m.resource_type(r)}/{r.id} belongs to another region "
                                         f"(Organization/{owner}); you may write only your own region's")


def _etag_version(value: str | None) -> int | None:
    """``W/"3"``, ``"3"`` or ``3`` -> 3; None when absent."""
    if value is None:
        return None
    v = value.strip()
    if v.startswith("W/"):
        v = v[2:]
    v = v.strip('"')
    if not v.isdigit():
        raise t.InvalidRequest.plain(f"If-Match '{value}' is not a version (W/\"n\")")
    return int(v)
