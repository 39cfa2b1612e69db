"""The care directory: the one object the API, the CLI and the web pages call (a library first).

Writes (FHIR create / update / transaction, file imports, the generator) all pass the same checks
(:mod:`.validate`) and land in one transaction each, with a change-history row per record (who, when,
through which channel, what changed). Reads hide confidential agreements from every other region.

Every read and write takes the caller as ``by`` (a :class:`terminology.Principal`) and is checked by
:mod:`.access` before anything is read or stored, so no door (REST, web, file, CLI) can bypass the rules.
"""

from __future__ import annotations

import contextlib
import gc
import uuid
from dataclasses import dataclass
from typing import Iterable, Sequence

import terminology as t

from . import access, fhir, rest
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

    # --- the search ------------------------------------------------------------------------------

    def search(self, req: CareSearchRequest, *, by: t.Principal, today: str | None = None) -> CareSearchResult:
        """``$care-search`` (see :mod:`mappings.care.search`) for the caller's own region (:mod:`.access`)."""
        access.check_read(by)
        access.check_search_region(by, self.own_region(by), self.region(req.region).id)
        return self.searcher.search(req, today=today)

    def own_region(self, by: t.Principal) -> str | None:
        """The organisation id of the caller's region (a län code in the principal), None when it has none."""
        if not by.region:
            return None
        try:
            return self.searcher.region(by.region).id
        except t.InvalidRequest:
            return None

    def region(self, value: str) -> m.Organization:
        """The region of a län code, orgnr or id; InvalidRequest when there is none."""
        return self.searcher.region(value)

    # --- FHIR REST -------------------------------------------------------------------------------

    def create(self, resource: dict, *, by: t.Principal) -> Written:
        """``POST [type]``: store under a new id (an id in the body is ignored, as FHIR says)."""
        resource = {**resource, "id": uuid.uuid4().hex}
        parsed = fhir.parse(resource, rest.resolve_plain)
        return self._write([(parsed, None, "")], by)[0]

    def update(self, resource_type: str, id_: str, resource: dict, *, if_match: str | None = None,
               by: t.Principal) -> Written:
        """``PUT [type]/[id]``: update, or create with that id; ``if_match`` (``W/"n"``) must name the
        current version, else VersionConflict (HTTP 412)."""
        if resource.get("resourceType") != resource_type:
            raise t.InvalidRequest.plain(f"the body is a {resource.get('resourceType')}, but the URL is for "
                                         f"{resource_type}", expression="resourceType")
        if resource.get("id") not in (None, id_):
            raise t.InvalidRequest.plain(f"the resource id '{resource.get('id')}' does not match the URL id "
                                         f"'{id_}'", expression=f"{resource_type}.id")
        parsed = fhir.parse({**resource, "id": id_}, rest.resolve_plain)
        return self._write([(parsed, t.etag_version(if_match), "")], by)[0]

    def transaction(self, bundle: dict, *, by: t.Principal) -> list[Written]:
        """``POST /`` with a transaction Bundle: every entry or none (FHIR bundle.html "transaction")."""
        with _bulk():
            entries = rest.BundleEntries(bundle)
            items = []
            for path, resource, _, if_match in entries.items:
                parsed = fhir.parse(resource, entries.resolve, f"{path}.resource")
                where = f"{path} ({resource['resourceType']}/{resource['id']})"
                items.append((parsed, t.etag_version(if_match), where))
            return self._write(items, by)

    def write_records(self, records: Sequence[m.Record], *, by: t.Principal,
                      where: Iterable[str] | None = None, note: str | None = None) -> list[Written]:
        """Store records made without FHIR (imports, the generator) with the same checks, all or nothing.

        ``where`` names each record in error messages (e.g. ``waits.csv, line 7``); ``note`` says why, in the
        change history."""
        labels = list(where) if where is not None else [f"{m.resource_type(r)}/{r.id}" for r in records]
        items = []
        with _bulk():
            for record, label in zip(records, labels):
                try:
                    items.append((derive(record, m.resource_type(record)), None, label))
                except t.InvalidRequest as exc:
                    raise t.InvalidRequest.plain(f"{label}: {exc.text}", expression=exc.expression) from None
            return self._write(items, by, note)

    def _write(self, items: list[tuple[fhir.Parsed, int | None, str]], by: t.Principal,
               note: str | None = None) -> list[Written]:
        self._check_writes(by, [parsed.record for parsed, _, _ in items])
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
        stored = self.store.write([(record, expected) for (record, _, _), (_, expected, _) in zip(checked, items)],
                                  who=by.subject, channel=by.channel, note=note)
        return [Written(s, created) for s, created in stored]

    def _check_writes(self, by: t.Principal, records: list[m.Record]) -> None:
        """The write rules of :mod:`.access`, with what the store and this write say about ownership."""
        if access.sees_everything(by):
            return
        batch: dict[str, set[str]] = {}
        for r in records:
            if isinstance(r, m.Commission):
                for sid in r.services:
                    batch.setdefault(sid, set()).add(r.region)

        def stored(rtype: str, id_: str) -> m.Record | None:
            found = self.store.get(rtype, id_)
            return found.record if found is not None else None

        def covering(sid: str) -> set[str]:
            _, found = self.store.search("OrganizationAffiliation", [Filter("service", "eq", sid)], count=None)
            return {x.record.region for x in found} | batch.get(sid, set())

        access.check_writes(by, records, stored=stored, covering_regions=covering,
                            region_id=lambda code: self.own_region(by) if code == by.region else None)

    def may_write(self, records: Sequence[m.Record], *, by: t.Principal) -> None:
        """Forbidden when ``by`` may not write ``records`` (asked before an edit form is shown; :mod:`.access`)."""
        self._check_writes(by, list(records))

    def concepts(self, text: str, *, by: t.Principal, limit: int = 10) -> list:
        """Concepts for free text, those with services first (the code pickers and the search box)."""
        access.check_read(by)
        return self.index.from_text(text)[:limit]

    def check_code(self, system: str, code: str) -> tuple[str | None, str | None]:
        """``(problem or None, display)``: is ``code`` a valid, active code of ``system`` (the code picker)."""
        self.checker.refresh()
        return self.checker.check(t.Coding(system, code))

    def read(self, resource_type: str, id_: str, *, by: t.Principal) -> m.Stored:
        """``GET [type]/[id]``; a confidential agreement of another region is not there for the viewer."""
        access.check_read(by)
        _check_type(resource_type)
        found = self.store.get(resource_type, id_)
        if found is None or not access.visible(found.record, by, self.own_region(by)):
            raise t.UnknownResource("OP_UNKNOWN_RESOURCE", resource_type, id_)
        return found

    def find(self, resource_type: str, params: list[tuple[str, str]], *, by: t.Principal,
             offset: int = 0, count: int | None = 50) -> tuple[int, list[m.Stored]]:
        """``GET [type]?...`` with the FHIR search parameters of :mod:`mappings.care.rest`."""
        access.check_read(by)
        _check_type(resource_type)
        filters = rest.search_filters(resource_type, params)
        if resource_type == "Contract" and not access.sees_everything(by):
            filters.append(Filter("confidential", "visible_to", self.own_region(by) or ""))
        return self.store.search(resource_type, filters, offset=offset, count=count)

    def history(self, *, by: t.Principal, resource_type: str | None = None, resource_id: str | None = None,
                limit: int = 50) -> list[m.Event]:
        """The change history, newest first: of one record the caller can read, or all of it for admins."""
        access.check_read(by)
        if resource_type and resource_id:
            try:
                self.read(resource_type, resource_id, by=by)
            except t.UnknownResource:
                if self.store.get(resource_type, resource_id) is not None:
                    raise  # hidden from this caller
        elif not access.sees_everything(by):
            raise t.Forbidden.plain(f"{by.subject} may read the history of one record at a time "
                                    "(the whole history is for admins)")
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


