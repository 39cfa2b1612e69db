"""Code-list maintenance for informatiker (issue 17): the one facade the web pages, the FHIR operations
``$draft`` / ``$release`` and the command line call to author, review, version and publish code systems,
value sets and concept maps.

Writes go through :class:`~terminology.ResourceRepository` (which enforces the roles and the life cycle of
:mod:`terminology.lifecycle` on every door and records the history); this module adds what an authoring
workflow needs on top: new drafts from a released version, release with review (a second person), retirement,
comparison of versions, the membership index (:mod:`.membership`) and the published packages.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from .. import lifecycle, snomed
from ..access import TERMINOLOGY_EDITORS, Principal, require
from ..errors import InvalidRequest, NotEditable, TerminologyError, TooCostly, UnknownResource
from ..model import Expansion
from ..repository import RESOURCE_TYPES, ResourceRepository, Saved
from ..requests import ExpandRequest
from ..store.authoring import AuthoringStore, Listed, PublishedPackage, ResourceEvent
from ..store.database import _now
from . import rf2_refset, subsets
from .compare import Comparison, Member, compare, summary
from .membership import Membership

log = logging.getLogger(__name__)

DISPLAY_LANGUAGE = "sv"
"""Displays on the pages: Swedish, falling back to the server's default language (English)."""


@dataclass(frozen=True)
class Review:
    """Whether ``by`` may release a draft now, and why not."""

    last_editor: str | None
    may_release: bool
    reason: str | None


class Authoring:
    """Author, review, version and publish conformance resources."""

    def __init__(self, service, *, review_required: bool = True, index_limit: int | None = None) -> None:
        self.service = service
        self.repository: ResourceRepository = service.repository
        self.store = AuthoringStore(service.db)
        self.review_required = review_required
        self.membership = Membership(service, self.store, limit=index_limit or service.max_expansion)

    # --- reading ---------------------------------------------------------------------------------

    def listing(self, resource_type: str, *, text: str | None = None, status: str | None = None,
                offset: int = 0, count: int = 50) -> tuple[int, list[Listed]]:
        """The Kodverk / Värdemängder / Mappningar lists, filtered by text and status."""
        _type(resource_type)
        return self.store.listing(resource_type, text=text, status=status, offset=offset, count=count)

    def read(self, resource_type: str, id_: str) -> dict:
        return self.repository.read(resource_type, id_)

    def versions(self, resource: dict) -> list[dict]:
        """Every stored business version of the resource's canonical URL, newest version first."""
        if not resource.get("url"):
            return [resource]
        found = [r for r in self.repository.find(resource["resourceType"], resource["url"]) if r.get("id")]
        return sorted(found, key=lambda r: _version_key(r.get("version")), reverse=True)

    def history(self, resource_type: str, *, id_: str | None = None, url: str | None = None) -> list[ResourceEvent]:
        """Who changed what and when: one logical id, or every version of a canonical URL, newest first."""
        return self.store.events(_type(resource_type), id_=id_, url=url)

    def names(self) -> dict[str, str]:
        """Titles of the stored code systems by URL (to name systems on the pages)."""
        total, rows = self.store.listing("CodeSystem", count=10_000)
        return {r.url: r.title or r.name or r.url for r in rows if r.url}

    def expansion(self, value_set: dict, *, count: int = 50, offset: int = 0, text: str | None = None) -> Expansion:
        """A page of a value set's members with Swedish displays (English where there is no Swedish term)."""
        return self.service.expand(ExpandRequest(value_set=value_set, count=count, offset=offset, filter=text or None,
                                                 exclude_nested=True, display_language=DISPLAY_LANGUAGE))

    def members(self, value_set: dict) -> list[Member]:
        """Every member of a value set (TooCostly above the index limit)."""
        e = self.service.expand(ExpandRequest(value_set=value_set, exclude_nested=True,
                                              display_language=DISPLAY_LANGUAGE, max_size=self.membership.limit))
        return [Member(i.system, i.code, i.display) for i in _flat(e.items)]

    def compare(self, before: dict, after: dict) -> Comparison:
        """Metadata, definition and (for value sets) members of two versions."""
        names = self.names()
        if before.get("resourceType") != "ValueSet":
            return compare(before, after, names=names)
        try:
            a, b = self.members(before), self.members(after)
        except TooCostly as exc:
            return compare(before, after, names=names, members_note=f"Medlemmarna jämförs inte: {exc.text}")
        except TerminologyError as exc:
            return compare(before, after, names=names, members_note=f"Medlemmarna kan inte beräknas: {exc.text}")
        return compare(before, after, names=names, members_before=a, members_after=b)

    def last_active(self, resource: dict) -> dict | None:
        """The newest ``active`` version of the same URL other than ``resource`` (what a draft is reviewed
        against)."""
        return next((r for r in self.versions(resource)
                     if r.get("status") == "active" and r.get("id") != resource.get("id")), None)

    def review(self, resource: dict, by: Principal) -> Review:
        """Whether ``by`` may release the draft ``resource`` (a second person, unless review is off)."""
        last = self.store.last_editor(resource["resourceType"], resource["id"])
        if resource.get("status") != "draft":
            return Review(last, False, "Bara ett utkast kan släppas.")
        if not by.has(*TERMINOLOGY_EDITORS):
            return Review(last, False, "Rollen informatiker behövs för att släppa en version.")
        if self.review_required and last == by.subject:
            return Review(last, False, "Du ändrade utkastet senast; en annan informatiker ska granska och släppa det.")
        return Review(last, True, None)

    # --- writing ---------------------------------------------------------------------------------

    def create(self, resource: dict, *, by: Principal, what: str = "skapad som utkast") -> Saved:
        """A new resource (a draft, unless it is an import of something released)."""
        self._version_free(resource, None)
        saved = self.repository.create(resource, by=by, what=what)
        self._reindex()
        return saved

    def save(self, resource_type: str, id_: str, resource: dict, *, by: Principal, what: str | None = None,
             if_match: str | None = None) -> Saved:
        """Store an edited draft (an ``active`` or ``retired`` version is refused: make a new draft)."""
        current = self.read(resource_type, id_)
        lifecycle.check_editable(current)
        self._version_free(resource, id_)
        saved = self.repository.update(resource_type, id_, {**resource, "id": id_}, by=by, if_match=if_match,
                                       what=what if what is not None else summary(current, resource))
        self._reindex()
        return saved

    def draft(self, resource_type: str, id_: str, *, version: str | None = None, by: Principal) -> Saved:
        """CRMI ``$draft``: a new draft version (new id) from the resource ``id_``; ``version`` None takes the next
        free one (``1.0.0`` -> ``1.1.0``)."""
        require(by, *TERMINOLOGY_EDITORS, action=f"make a draft of a {resource_type}")
        source = self.read(resource_type, id_)
        taken = {r.get("version") for r in self.versions(source)}
        version = version.strip() if version and version.strip() else lifecycle.next_version(source.get("version"),
                                                                                             taken)
        copy = lifecycle.as_draft(source, version)
        self._version_free(copy, None)
        return self.repository.create(copy, by=by, what=f"nytt utkast {version} från version "
                                                         f"{source.get('version') or '-'} ({resource_type}/{id_})")

    def release(self, resource_type: str, id_: str, *, version: str | None = None, behavior: str = "default",
                release_label: str | None = None, by: Principal) -> Saved:
        """CRMI ``$release``: the draft becomes ``active`` with today's date, by a second person (review)."""
        require(by, *TERMINOLOGY_EDITORS, action=f"release a {resource_type}")
        current = self.read(resource_type, id_)
        out = lifecycle.released(current, version=version, behavior=behavior or "default",
                                 release_label=release_label)
        lifecycle.check_reviewer(self.store.last_editor(resource_type, id_), by, required=self.review_required)
        self._version_free(out, id_)
        saved = self.repository.update(resource_type, id_, out, by=by, action="release",
                                       what=f"släppt som version {out['version']} (active)")
        self._reindex()
        return saved

    def retire(self, resource_type: str, id_: str, *, by: Principal) -> Saved:
        """Mark a version ``retired`` (it stays readable; it leaves the membership index)."""
        require(by, *TERMINOLOGY_EDITORS, action=f"retire a {resource_type}")
        out = lifecycle.retired(self.read(resource_type, id_))
        saved = self.repository.update(resource_type, id_, out, by=by, action="retire", what="avvecklad (retired)")
        self._reindex()
        return saved

    def containing(self, system: str, code: str) -> list[dict]:
        """``ValueSet?code=system|code``: the active stored value sets that contain the code."""
        if not system or not code:
            raise InvalidRequest.plain("Ange kodsystem och kod (code=system|code)", expression="code")
        return self.membership.containing(system, code)

    # --- SNOMED CT subsets ----------------------------------------------------------------------

    def check_subset(self, data: bytes, file: str, *, edition: str | None = None,
                     refset: str | None = None) -> subsets.SubsetPreview:
        """Read an RF2 simple refset (Snapshot, Delta, Full or a zip of them) or a list of concept ids and check
        every member in the edition ``edition`` (None: the default); nothing is stored."""
        return subsets.check(self.service.edition(edition or None), data, file, refset=refset)

    def import_subset(self, data: bytes, file: str, *, url: str, version: str, name: str = "", title: str = "",
                      edition: str | None = None, refset: str | None = None, replace_inactive: bool = False,
                      by: Principal) -> Saved:
        """Store a subset as a new draft version of the value set ``url`` (a Delta applies to its latest
        version); the members that are inactive or unknown are named in the history."""
        require(by, *TERMINOLOGY_EDITORS, action="import a subset")
        preview = self.check_subset(data, file, edition=edition, refset=refset)
        if not preview.ok:
            raise InvalidRequest.plain(f"{file}: " + ("; ".join(preview.problems) or "inga medlemmar"))
        previous = self.versions({"resourceType": "ValueSet", "url": url}) if url else []
        latest = previous[0] if previous else None
        if preview.kind == "delta" and latest is None:
            raise InvalidRequest.plain("En Delta-fil ändrar en befintlig värdemängd: ange URL:en till en som finns")
        before = [c for part in ((latest or {}).get("compose") or {}).get("include", [])
                  if part.get("system") == snomed.SYSTEM for c in part.get("concept", [])]
        concepts = subsets.members_after(preview, before, replace_inactive=replace_inactive)
        resource = subsets.value_set(preview, concepts, url=url, version=version, name=name, title=title,
                                     base=latest)
        self._version_free(resource, None)
        saved = self.repository.create(resource, by=by, what=subsets.report(preview, replace_inactive=replace_inactive))
        self._reindex()
        return saved

    def refset_export(self, resource: dict, *, namespace: str | None, module_id: str | None) -> tuple[str, bytes]:
        """``(file name, zip)`` of an RF2 simple refset of a SNOMED CT value set: the Snapshot of this version
        and the Delta against the version before it (by version order, released versions and this one)."""
        ns = rf2_refset.namespace_of_setting(namespace)
        chain = [v for v in reversed(self.versions(resource))
                 if v.get("status") in ("active", "retired") or v.get("id") == resource.get("id")]
        chain = chain[:[v.get("id") for v in chain].index(resource.get("id")) + 1]
        versions = []
        for v in chain:
            members = self.members(v)
            others = {m.system for m in members} - {snomed.SYSTEM}
            if others:
                raise InvalidRequest.plain(f"Version {v.get('version')} innehåller koder från andra kodsystem än "
                                           f"SNOMED CT ({', '.join(sorted(others))}); bara SNOMED CT blir en refset")
            versions.append(rf2_refset.RefsetVersion(v.get("version") or "", rf2_refset.rf2_date(v),
                                                     frozenset(m.code for m in members)))
        refset_id = rf2_refset.refset_id_for(resource, ns)
        snapshot, delta = rf2_refset.snapshot_and_delta(versions, refset_id=refset_id,
                                                        module_id=rf2_refset.module_for(ns, module_id))
        return rf2_refset.package(resource.get("name") or "Refset", ns, versions[-1].date, snapshot, delta)

    # --- packages --------------------------------------------------------------------------------

    def publish(self, *, name: str, version: str, title: str, fhir_version: str, resources: int, content: bytes,
                by: Principal) -> PublishedPackage:
        """Record a built FHIR NPM package as published (the Atom feed lists it). The same name and version
        may be published again only with the same bytes (a package version never changes)."""
        require(by, *TERMINOLOGY_EDITORS, action="publish a package")
        p = PublishedPackage(name=name, version=version, title=title, fhir_version=fhir_version,
                             resources=resources, sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                             published_at=_now(), who=by.subject)
        if not self.store.add_package(p, content):
            have = self.store.package(name, version)
            if have is None or have[0].sha256 != p.sha256:
                raise NotEditable.plain(f"Paketet {name} version {version} är redan publicerat med annat innehåll; "
                                        "ge paketet en ny version (a published package version never changes)")
            return have[0]
        return p

    def packages(self) -> list[PublishedPackage]:
        return self.store.packages()

    def package(self, name: str, version: str) -> tuple[PublishedPackage, bytes]:
        found = self.store.package(name, version)
        if found is None:
            raise UnknownResource.plain(f"Inget publicerat paket {name} version {version}")
        return found

    def package_resources(self, *, status: str | None = "active") -> list[dict]:
        """The resources a package is made of: the current stored resources of every type, with ``status``
        (None: all)."""
        out = []
        for rtype in RESOURCE_TYPES:
            for r in self.repository.current(rtype):
                if status is None or r.get("status") == status:
                    out.append(r)
        return out

    # --- private ---------------------------------------------------------------------------------

    def _reindex(self) -> None:
        """Bring the membership index up to date after a write. The write has happened: a failure here is
        logged, not raised (the next "which value sets contain" question checks the index again)."""
        try:
            self.membership.refresh()
        except Exception:  # noqa: BLE001 - the stored write must not look failed
            log.exception("the value set membership index could not be refreshed after a write")

    def _version_free(self, resource: dict, id_: str | None) -> None:
        """A canonical URL and version name one resource (a draft may not take a released version's number)."""
        url, version = resource.get("url"), resource.get("version")
        if not url or not version:
            return
        other = [r for r in self.repository.find(resource["resourceType"], url, version) if r.get("id") != id_
                 and r.get("id")]
        if other:
            raise NotEditable.plain(f"{url} version {version} finns redan ({resource['resourceType']}/"
                                    f"{other[0]['id']}, {other[0].get('status')}); välj ett annat versionsnummer "
                                    "(a version number names one resource)")


def _type(resource_type: str) -> str:
    if resource_type not in RESOURCE_TYPES:
        raise InvalidRequest.plain(f"Okänd resurstyp {resource_type} (use {', '.join(RESOURCE_TYPES)})")
    return resource_type


def _flat(items):
    for i in items:
        yield i
        yield from _flat(i.contains)


def _version_key(version: str | None) -> tuple:
    """Order versions as numbers where they are numbers (``1.10.0`` after ``1.9.0``)."""
    parts = []
    for p in (version or "").replace("-", ".").split("."):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return tuple(parts)
