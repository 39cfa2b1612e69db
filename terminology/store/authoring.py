"""SQL of code-list maintenance (issue 17): the change history of conformance resources, the membership
index behind ``ValueSet?code=`` and the published FHIR NPM packages. Tables: ``resource_event``,
``value_set_index``, ``value_set_member``, ``published_package`` in the catalog database (:mod:`.schema`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import cast, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from . import schema
from .database import Database, _now

R = schema.fhir_resource
E = schema.resource_event
IDX = schema.value_set_index
MEM = schema.value_set_member
PKG = schema.published_package

CONTENT_ACTIONS = ("create", "update", "load", "draft", "import")
"""Events that change what a resource says (a release or a retirement only changes its status)."""


@dataclass(frozen=True)
class ResourceEvent:
    """One write of one conformance resource (Historik)."""

    seq: int
    at: str
    who: str
    channel: str
    action: str
    resource_type: str
    id: str
    version_id: int
    url: str | None
    version: str | None
    status: str | None
    what: str


@dataclass(frozen=True)
class Listed:
    """A row of the Kodverk / Värdemängder / Mappningar lists."""

    id: str
    url: str | None
    version: str | None
    name: str | None
    title: str | None
    status: str | None
    publisher: str | None
    last_updated: str


@dataclass(frozen=True)
class IndexedValueSet:
    """An active stored value set version and the state of its membership index (None: not indexed yet)."""

    key: int
    id: str
    url: str | None
    version: str | None
    state: str | None
    stamp: str | None


@dataclass(frozen=True)
class PublishedPackage:
    name: str
    version: str
    title: str
    fhir_version: str
    resources: int
    sha256: str
    size: int
    published_at: str
    who: str


class AuthoringStore:
    """Reads and writes of the code-list maintenance tables. Thread-safe (each call takes a connection)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- lists ---------------------------------------------------------------------------------

    def listing(self, resource_type: str, *, text: str | None = None, status: str | None = None,
                offset: int = 0, count: int = 50) -> tuple[int, list[Listed]]:
        """Current resources of a type, by URL and version; ``text`` matches a part of the id, URL, name or
        title (ignoring case); ``(total, page)``. The publisher is read from the JSON in the database."""
        cond = [R.c.resource_type == resource_type, R.c.current == 1, R.c.deleted == 0]
        if status:
            cond.append(R.c.status == status)
        if text and text.strip():
            like = "%" + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            cond.append(or_(*(func.lower(c).like(like, escape="\\") for c in (R.c.id, R.c.url, R.c.name, R.c.title))))
        publisher = (func.json_extract(R.c.content, "$.publisher") if self.db.dialect == "sqlite"
                     else cast(R.c.content, JSONB)["publisher"].astext)
        with self.db.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(R).where(*cond)).scalar()
            q = (select(R.c.id, R.c.url, R.c.version, R.c.name, R.c.title, R.c.status, publisher, R.c.last_updated)
                 .where(*cond).order_by(R.c.url, R.c.version, R.c.id).offset(offset).limit(count))
            return total, [Listed(*r) for r in conn.execute(q)]

    # --- history ---------------------------------------------------------------------------------

    def events(self, resource_type: str, *, id_: str | None = None, url: str | None = None,
               limit: int = 200) -> list[ResourceEvent]:
        """The writes of one logical id, or of every id of one canonical URL, newest first."""
        q = select(E).where(E.c.resource_type == resource_type)
        if id_ is not None:
            q = q.where(E.c.id == id_)
        if url is not None:
            q = q.where(E.c.url == url)
        q = q.order_by(E.c.seq.desc()).limit(limit)
        with self.db.engine.connect() as conn:
            return [ResourceEvent(**r) for r in conn.execute(q).mappings()]

    def last_editor(self, resource_type: str, id_: str) -> str | None:
        """Who last changed what the resource says (not its status), or None when nobody is recorded."""
        q = (select(E.c.who).where(E.c.resource_type == resource_type, E.c.id == id_,
                                   E.c.action.in_(CONTENT_ACTIONS)).order_by(E.c.seq.desc()).limit(1))
        with self.db.engine.connect() as conn:
            return conn.execute(q).scalar()

    # --- membership index ------------------------------------------------------------------------

    def active_value_sets(self) -> list[IndexedValueSet]:
        """Every current, active stored ValueSet version with its index state."""
        q = (select(R.c.key, R.c.id, R.c.url, R.c.version, IDX.c.state, IDX.c.stamp)
             .select_from(R.outerjoin(IDX, IDX.c.resource_key == R.c.key))
             .where(R.c.resource_type == "ValueSet", R.c.current == 1, R.c.deleted == 0, R.c.status == "active"))
        with self.db.engine.connect() as conn:
            return [IndexedValueSet(*r) for r in conn.execute(q)]

    def newest_keys(self) -> dict[tuple[str, str], int]:
        """``(resource type, url) -> newest row key`` of the current CodeSystems and ValueSets: a key changes
        whenever any version of that URL is written, which is what the index stamps compare against."""
        q = (select(R.c.resource_type, R.c.url, func.max(R.c.key))
             .where(R.c.current == 1, R.c.resource_type.in_(("CodeSystem", "ValueSet")), R.c.url.is_not(None))
             .group_by(R.c.resource_type, R.c.url))
        with self.db.engine.connect() as conn:
            return {(rtype, url): key for rtype, url, key in conn.execute(q)}

    def replace_members(self, key: int, *, state: str, members: Iterable[tuple[str, str]], stamp: str,
                        problem: str | None = None) -> None:
        """Store the members of value set row ``key`` (all or nothing); a concurrent refresh of the same row
        by another worker wins quietly (both computed the same thing)."""
        rows = [{"resource_key": key, "system": s, "code": c} for s, c in set(members)]
        try:
            with self.db.engine.begin() as conn:
                conn.execute(delete(MEM).where(MEM.c.resource_key == key))
                conn.execute(delete(IDX).where(IDX.c.resource_key == key))
                if rows:
                    conn.execute(insert(MEM), rows)
                conn.execute(insert(IDX).values(resource_key=key, state=state, members=len(rows), stamp=stamp,
                                                problem=problem, computed_at=_now()))
        except IntegrityError:
            pass

    def prune(self, keep: Sequence[int]) -> int:
        """Forget the index of every value set row not in ``keep`` (retired, replaced or deleted versions)."""
        with self.db.engine.connect() as conn:
            have = {k for (k,) in conn.execute(select(IDX.c.resource_key))}
        gone = sorted(have - set(keep))
        if gone:
            with self.db.engine.begin() as conn:
                for i in range(0, len(gone), 500):
                    chunk = gone[i:i + 500]
                    conn.execute(delete(MEM).where(MEM.c.resource_key.in_(chunk)))
                    conn.execute(delete(IDX).where(IDX.c.resource_key.in_(chunk)))
        return len(gone)

    def containing(self, system: str, code: str, *, also: Sequence[int] = ()) -> list[bytes | str]:
        """The stored JSON of the current, active value sets whose indexed members hold ``system|code`` (and of
        the rows ``also``), by URL and version, in one query."""
        members = select(MEM.c.resource_key).where(MEM.c.code == code, MEM.c.system == system)
        keys = R.c.key.in_(members) if not also else or_(R.c.key.in_(members), R.c.key.in_(list(also)))
        q = (select(R.c.content).where(keys, R.c.current == 1, R.c.deleted == 0, R.c.status == "active")
             .order_by(R.c.url, R.c.version, R.c.key))
        with self.db.engine.connect() as conn:
            return [c for (c,) in conn.execute(q)]

    def contents(self, keys: Sequence[int]) -> list[bytes | str]:
        """The stored JSON of resource rows, in key order."""
        if not keys:
            return []
        with self.db.engine.connect() as conn:
            return [c for (c,) in conn.execute(select(R.c.content).where(R.c.key.in_(list(keys)))
                                                .order_by(R.c.url, R.c.version, R.c.key))]

    # --- packages --------------------------------------------------------------------------------

    def add_package(self, p: PublishedPackage, content: bytes) -> bool:
        """Store a published package; False when that name and version is already there (not replaced)."""
        try:
            with self.db.engine.begin() as conn:
                conn.execute(insert(PKG).values(**p.__dict__, content=content))
                Database._bump(conn)
        except IntegrityError:
            return False
        return True

    def packages(self) -> list[PublishedPackage]:
        """Every published package, newest first."""
        cols = [c for c in PKG.c if c.name != "content"]
        with self.db.engine.connect() as conn:
            return [PublishedPackage(**r) for r in conn.execute(
                select(*cols).order_by(PKG.c.published_at.desc(), PKG.c.name, PKG.c.version)).mappings()]

    def package(self, name: str, version: str) -> tuple[PublishedPackage, bytes] | None:
        with self.db.engine.connect() as conn:
            r = conn.execute(select(PKG).where(PKG.c.name == name, PKG.c.version == version)).mappings().first()
        if r is None:
            return None
        values = dict(r)
        content = values.pop("content")
        return PublishedPackage(**values), bytes(content)
