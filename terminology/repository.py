"""The resource repository: FHIR CodeSystem, ValueSet and ConceptMap resources kept by the server.

FHIR REST rules it implements (R5 http.html): ``create`` assigns the logical id; ``update`` creates or
replaces a given id and honours ``If-Match`` (a stale version is refused); ``read`` of a deleted id is
410 Gone; ``vread`` reads any version; ``delete`` of an unknown id succeeds. Canonical resolution
(``find``) looks at the stored resources and then at the FHIR core code systems and value sets shipped
with the server (``terminology/data/fhir-core``), so that, e.g., ``administrative-gender`` works out of
the box. Resources are R5 JSON dicts; the API edge converts R4 and validates the structure.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from importlib import resources as package_files
from typing import Iterable

from . import lifecycle
from .access import TERMINOLOGY_EDITORS, Principal, require
from .errors import InvalidRequest, ResourceGone, UnknownResource, VersionConflict
from .resource_search import parse as parse_search
from .numbers import etag_version, whole_number
from .resource_rules import check_resource
from .store.database import Database
from .store.resources import Change, ResourceStore, StoredResource

RESOURCE_TYPES = ("CodeSystem", "ValueSet", "ConceptMap")
"""The resource types this repository keeps."""

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class Saved:
    """The outcome of a write: the resource as stored and whether it was created."""

    resource: dict | None
    version_id: int
    last_updated: str
    created: bool


class ResourceRepository:
    """Versioned CRUD and canonical lookup of conformance resources."""

    def __init__(self, db: Database) -> None:
        self.store = ResourceStore(db)

    # --- REST ------------------------------------------------------------------------------------

    def create(self, resource: dict, *, by: Principal, what: str | None = None,
               resource_type: str | None = None) -> Saved:
        """``POST [type]``: store under a new logical id (any id in the body is ignored, as FHIR says);
        ``resource_type`` is the type the URL names, which the body must have."""
        rtype = _check_type(resource, resource_type)
        require(by, *TERMINOLOGY_EDITORS, action=f"create a {rtype}")
        check_resource(resource)
        return _saved(self.store.write(rtype, uuid.uuid4().hex, _without_meta(resource),
                                       change=_change(by, "create", what)), True)

    def update(self, resource_type: str, id_: str, resource: dict, *, by: Principal,
               if_match: str | None = None, action: str = "update", what: str | None = None) -> Saved:
        """``PUT [type]/[id]``: create or replace; with ``if_match`` (an ETag or a versionId) only if current.

        The life cycle decides what may change (:func:`terminology.lifecycle.check_update`); ``action`` and
        ``what`` describe the write in the history (the code-list pages name releases and retirements)."""
        require(by, *TERMINOLOGY_EDITORS, action=f"change a {resource_type}")
        _check_id(id_)
        rtype = _check_type(resource, resource_type)
        if resource.get("id") not in (None, id_):
            raise InvalidRequest.plain(f"The resource id '{resource.get('id')}' does not match the URL id '{id_}'",
                                       expression=f"{rtype}.id")
        current = self.store.read(rtype, id_)
        if if_match is not None:
            wanted = etag_version(if_match)
            have = current.version_id if current is not None and not current.deleted else None
            if wanted != have:
                raise VersionConflict.plain(
                    f"{rtype}/{id_} is at version {have if have is not None else '(none)'}, not {wanted}; "
                    "read it again and re-apply the change")
        check_resource(resource)
        created = current is None or current.deleted
        if not created and action == "update":
            lifecycle.check_update(current.content, resource)
        if what is None and not created:
            from .authoring.compare import summary  # here: the authoring package imports this module

            what = summary(current.content, resource)
        return _saved(self.store.write(rtype, id_, _without_meta(resource),
                                       change=_change(by, "create" if created else action, what)), created)

    def read(self, resource_type: str, id_: str, version_id: str | None = None) -> dict:
        """``GET [type]/[id]`` and ``GET [type]/[id]/_history/[vid]``."""
        rtype = _check_type({"resourceType": resource_type})
        vid = None if version_id is None else whole_number("_history", version_id, minimum=1)
        found = self.store.read(rtype, id_, vid)
        if found is None:
            raise UnknownResource("OP_UNKNOWN_RESOURCE", rtype, id_)
        if found.deleted:
            raise ResourceGone("RESOURCE_DELETED", rtype, id_)
        return found.content

    def history(self, resource_type: str, id_: str) -> list[StoredResource]:
        rtype = _check_type({"resourceType": resource_type})
        found = self.store.history(rtype, id_)
        if not found:
            raise UnknownResource("OP_UNKNOWN_RESOURCE", rtype, id_)
        return found

    def delete(self, resource_type: str, id_: str, *, by: Principal) -> None:
        """``DELETE [type]/[id]``; deleting what is not there (or already deleted) is not an error."""
        rtype = _check_type({"resourceType": resource_type})
        require(by, *TERMINOLOGY_EDITORS, action=f"delete a {rtype}")
        current = self.store.read(rtype, id_)
        if current is not None and not current.deleted:
            self.store.write(rtype, id_, None, change=_change(by, "delete", None))

    def search(self, resource_type: str, items: Iterable[tuple[str, str]] = (), *, offset: int = 0,
               count: int | None = None) -> tuple[int, list[dict]]:
        """``GET [type]?...``: ``(total, page)`` of the current resources matching the FHIR search parameters
        ``items`` (``(name[:modifier], value)``; :mod:`terminology.resource_search` lists them and their
        rules); InvalidRequest on an unknown parameter or a bad value."""
        rtype = _check_type({"resourceType": resource_type})
        return self.store.search(rtype, parse_search(rtype, list(items)), offset=offset, count=count)

    # --- bulk ------------------------------------------------------------------------------------

    def load(self, resources: Iterable[dict], *, by: Principal) -> list[Saved]:
        """Store many resources in one transaction, replacing those with the same URL and version.

        A resource keeps its own id when that id is free or already holds the same URL and version;
        otherwise it gets a new one. Other resource types are skipped by the caller (the package reader).
        A load is an import of released content, so it may replace an ``active`` version (the publisher's
        correction of a package); edits go through :meth:`update` and its life-cycle rule.
        """
        require(by, *TERMINOLOGY_EDITORS, action="load conformance resources")
        writes: list[tuple[str, str, dict]] = []
        created: list[bool] = []
        taken: set[tuple[str, str]] = set()
        for resource in resources:
            rtype = _check_type(resource)
            check_resource(resource)
            url, version = resource.get("url"), resource.get("version")
            same = [r for r in (self.store.by_url(rtype, url) if url else []) if r.get("version") == version]
            if same:
                id_ = same[0]["id"]
            else:
                id_ = resource.get("id") or ""
                holder = self.store.read(rtype, id_) if _ID.fullmatch(id_) else None
                if not _ID.fullmatch(id_) or (rtype, id_) in taken or (
                        holder is not None and not holder.deleted and
                        (holder.content.get("url"), holder.content.get("version")) != (url, version)):
                    id_ = uuid.uuid4().hex
            taken.add((rtype, id_))
            writes.append((rtype, id_, _without_meta(resource)))
            created.append(not same)
        changes = [_change(by, "load", None) for _ in writes]
        return [_saved(s, c) for s, c in zip(self.store.write_many(writes, changes=changes), created)]

    # --- canonical resolution --------------------------------------------------------------------

    def current(self, resource_type: str) -> list[dict]:
        """Every stored resource of a type, for reading only (the dicts are shared between requests)."""
        return self.store.current(_check_type({"resourceType": resource_type}))

    def find(self, resource_type: str, url: str, version: str | None = None, *,
             fhir_version: str = "5.0.0") -> list[dict]:
        """Resources of a canonical URL (every business version, or the one given): stored ones first, then
        the FHIR core ones shipped with the server, versioned as ``fhir_version`` (the wire's FHIR version),
        unless a stored one has that version."""
        stored = self.store.by_url(resource_type, url)
        have = {r.get("version") for r in stored}
        core = [{**r, "version": fhir_version} for r in core_resources().get((resource_type, url), [])]
        found = stored + [r for r in core if r["version"] not in have]
        if version is not None:
            found = [r for r in found if r.get("version") == version]
        return found


@functools.lru_cache(maxsize=1)
def core_resources() -> dict[tuple[str, str], list[dict]]:
    """The FHIR core code systems and value sets shipped in ``terminology/data/fhir-core`` by (type, url)."""
    out: dict[tuple[str, str], list[dict]] = {}
    folder = package_files.files("terminology") / "data" / "fhir-core"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            resource = json.loads(entry.read_text(encoding="utf-8"))
            out.setdefault((resource["resourceType"], resource["url"]), []).append(resource)
    return out


def _check_type(resource: dict, expected: str | None = None) -> str:
    rtype = resource.get("resourceType")
    if expected is not None and rtype != expected:
        raise InvalidRequest.plain(f"The body is a {rtype}, but the URL is for {expected}",
                                   expression="resourceType")
    if rtype not in RESOURCE_TYPES:
        raise InvalidRequest.plain(f"This server keeps {', '.join(RESOURCE_TYPES)} resources, not {rtype}",
                                   expression="resourceType")
    return rtype


def _check_id(id_: str) -> None:
    if not _ID.fullmatch(id_):
        raise InvalidRequest.plain(f"'{id_}' is not a valid FHIR id (1-64 letters, digits, '-' and '.')")


def _without_meta(resource: dict) -> dict:
    """The body as stored: server-managed ``meta.versionId`` / ``lastUpdated`` are the server's to set."""
    meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
    out = {k: v for k, v in resource.items() if k != "meta"}
    if meta:
        out["meta"] = meta
    return out


_ACTION_TEXT = {"create": "skapad", "update": "ändrad", "delete": "borttagen", "load": "inläst"}


def _change(by: Principal, action: str, what: str | None) -> Change:
    return Change(by.subject, by.channel, action, what if what is not None else _ACTION_TEXT.get(action, action))


def _saved(s: StoredResource, created: bool) -> Saved:
    return Saved(s.content, s.version_id, s.last_updated, created)
