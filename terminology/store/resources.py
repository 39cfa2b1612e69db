"""Versioned storage of FHIR conformance resources (CodeSystem, ValueSet, ConceptMap) in the catalog database.

FHIR REST semantics (R5 http.html): every create, update and delete of a logical id adds a row with the
next ``versionId``; the newest row is ``current``; a delete is a row with ``deleted = 1`` so that ``vread``
of older versions keeps working and a read of the id answers 410 Gone. Writes bump the catalog generation
so every API worker re-reads its caches (ARCHITECTURE.md "Scale").

Search (:mod:`terminology.resource_search`): ``_id``, ``url``, ``version`` and ``status`` are columns of the
resource table; the other parameters' values are rows of ``fhir_resource_search``, written with each
version. A database made before that table existed gets it, and every current resource indexed, the first
time a process reads or writes resources (one transaction, guarded by a ``build_info`` row, so concurrent
workers index once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import orjson
from sqlalchemy import and_, bindparam, delete, exists, func, insert, not_, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import resource_search as rs
from ..bounded import Bounded
from . import schema
from .database import Database, _now

T = schema.fhir_resource
P = schema.fhir_resource_search
INDEX_MARK = "resource_search_index"
"""``build_info`` key present once every stored resource has its search index rows."""
PARSED_CACHE_SIZE = 64
"""Parsed resources kept per process (the big ones are code systems of tens of thousands of concepts)."""


@dataclass(frozen=True)
class StoredResource:
    resource_type: str
    id: str
    version_id: int
    last_updated: str
    deleted: bool
    content: dict | None


@dataclass(frozen=True)
class Change:
    """Who makes a write and why, recorded beside it in ``resource_event`` (the Historik of a resource)."""

    who: str
    channel: str
    action: str
    """``create``, ``update``, ``delete``, ``load``, ``draft``, ``release``, ``retire`` or ``import``."""
    what: str = ""
    """What changed, in Swedish (shown on the history page)."""


def _row(r) -> StoredResource:
    return StoredResource(r.resource_type, r.id, r.version_id, r.last_updated, bool(r.deleted),
                          None if r.deleted else orjson.loads(r.content))


class ResourceStore:
    """Reads and writes of the ``fhir_resource`` table. Thread-safe (each call takes its own connection)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._parsed: Bounded = Bounded(PARSED_CACHE_SIZE, "parsed_resources")
        self._indexed = False

    def _ensure_index(self) -> None:
        """Index the resources stored before the search index existed (once per database; the table itself is
        made by the migrations). A read-only node leaves that to the writer."""
        if self._indexed or self.db.read_only:
            return
        info = schema.build_info
        with self.db.engine.connect() as conn:
            done = conn.execute(select(info.c.value).where(info.c.key == INDEX_MARK)).scalar() is not None
        if not done:
            try:
                with self.db.engine.begin() as conn:
                    conn.execute(insert(info).values(key=INDEX_MARK, value="1"))
                    conn.execute(delete(P))
                    rows = conn.execute(select(T.c.key, T.c.content).where(T.c.current == 1, T.c.deleted == 0))
                    _insert_index(conn, [(key, orjson.loads(content)) for key, content in rows])
            except IntegrityError:
                pass  # another process indexed them meanwhile
        self._indexed = True

    def forget_index(self) -> None:
        """Empty the search index and drop its mark, as a database migrated from before the index was (for
        tests)."""
        with self.db.engine.begin() as conn:
            conn.execute(delete(P))
            conn.execute(delete(schema.build_info).where(schema.build_info.c.key == INDEX_MARK))
        self._indexed = False

    def read(self, resource_type: str, id_: str, version_id: int | None = None) -> StoredResource | None:
        """The current row of a logical id (possibly a delete marker), or one version of it."""
        q = select(T).where(T.c.resource_type == resource_type, T.c.id == id_)
        q = q.where(T.c.version_id == version_id) if version_id is not None else q.where(T.c.current == 1)
        with self.db.engine.connect() as conn:
            r = conn.execute(q).first()
        return _row(r) if r is not None else None

    def history(self, resource_type: str, id_: str) -> list[StoredResource]:
        """Every version of a logical id, newest first."""
        q = (select(T).where(T.c.resource_type == resource_type, T.c.id == id_)
             .order_by(T.c.version_id.desc()))
        with self.db.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def write(self, resource_type: str, id_: str, content: dict | None, *,
              change: Change | None = None) -> StoredResource:
        """Add the next version of ``id_`` (``content`` None records a delete) and make it current."""
        return self.write_many([(resource_type, id_, content)], changes=[change] if change else None)[0]

    def write_many(self, items: Iterable[tuple[str, str, dict | None]], *,
                   changes: Sequence[Change] | None = None) -> list[StoredResource]:
        """Several writes in one transaction: all of them land, or none. ``changes`` (one per item) are
        recorded in the change history in the same transaction. A write that changes nothing (the same content
        as the current version, apart from ``meta.versionId`` / ``lastUpdated``, or a delete of what is
        deleted) adds no version and no history entry: the current one is returned (FHIR http.html leaves it to
        the server; a new version for every repeated PUT made histories and caches churn for nothing)."""
        self._ensure_index()
        out = []
        now = _now()
        changed = False
        with self.db.engine.begin() as conn:
            for i, (resource_type, id_, content) in enumerate(items):
                key = and_(T.c.resource_type == resource_type, T.c.id == id_)
                current = conn.execute(select(T).where(key, T.c.current == 1)).first()
                if current is not None and _same(_row(current).content, content, id_):
                    out.append(_row(current))
                    continue
                changed = True
                last = conn.execute(select(func.max(T.c.version_id)).where(key)).scalar() or 0
                conn.execute(update(T).where(key, T.c.current == 1).values(current=0))
                version_id = last + 1
                body = None
                if content is not None:
                    content = {**content, "id": id_,
                               "meta": {**content.get("meta", {}), "versionId": str(version_id), "lastUpdated": now}}
                    body = orjson.dumps(content).decode()
                done = conn.execute(insert(T).values(
                    resource_type=resource_type, id=id_, version_id=version_id, current=1,
                    deleted=0 if content is not None else 1,
                    url=(content or {}).get("url"), version=(content or {}).get("version"),
                    name=(content or {}).get("name"), title=(content or {}).get("title"),
                    status=(content or {}).get("status"), last_updated=now, content=body or "null"))
                if content is not None:
                    _insert_index(conn, [(done.inserted_primary_key[0], content)])
                out.append(StoredResource(resource_type, id_, version_id, now, content is None, content))
                if changes is not None:
                    _record(conn, changes[i], resource_type, id_, version_id, content, now)
            if changed:
                Database._bump(conn)
        return out

    def search(self, resource_type: str, criteria: list[rs.Criterion], *, offset: int = 0,
               count: int | None = None) -> tuple[int, list[dict]]:
        """Current, not deleted resources matching every criterion (any of its values); ``(total, page)``, in
        url, version, id order. The matching rules are :mod:`terminology.resource_search`'s."""
        self._ensure_index()
        cond = [T.c.resource_type == resource_type, T.c.current == 1, T.c.deleted == 0]
        for c in criteria:
            if c.name in rs.COLUMN_PARAMETERS:
                column = T.c[rs.COLUMN_PARAMETERS[c.name]]
                cond.append(or_(*(column == v for v in c.values)))
            else:
                cond.append(exists(select(P.c.resource_key).where(
                    P.c.resource_key == T.c.key, P.c.name == c.name, or_(*(_matches(c, v) for v in c.values)))))
        with self.db.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(T).where(*cond)).scalar()
            q = select(T.c.content).where(*cond).order_by(T.c.url, T.c.version, T.c.id).offset(offset)
            if count is not None:
                q = q.limit(count)
            return total, [orjson.loads(c) for (c,) in conn.execute(q)] if count != 0 else []

    def by_url(self, resource_type: str, url: str) -> list[dict]:
        """Every current version (business version) of a canonical URL (shared dicts, see :meth:`_shared`)."""
        return self._shared(_CURRENT_BY_URL, {"type": resource_type, "url": url})

    def current(self, resource_type: str) -> list[dict]:
        """Every current resource of a type (shared dicts, see :meth:`_shared`), e.g. all ConceptMaps for a
        ``$translate`` that names none."""
        return self._shared(_CURRENT, {"type": resource_type})

    def _shared(self, statement, params: dict) -> list[dict]:
        """Current resources found by ``statement`` (of type ``params["type"]``), parsed once per (type, id,
        versionId): a row never changes once written, so a 43,600-concept code system is read and parsed once,
        not on every request. The dicts returned are shared: callers must not change them."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(statement, params).all()
            out = []
            for key, id_, version_id in rows:
                cache_key = (params["type"], id_, version_id)
                found = self._parsed.get(cache_key)
                if found is None:
                    found = orjson.loads(conn.execute(select(T.c.content).where(T.c.key == key)).scalar())
                    self._parsed[cache_key] = found
                out.append(found)
        return out


_CURRENT = (select(T.c.key, T.c.id, T.c.version_id)
            .where(T.c.resource_type == bindparam("type"), T.c.current == 1, T.c.deleted == 0)
            .order_by(T.c.url, T.c.version, T.c.id))
"""Built once: making the statement cost more than running it (a stored value set is looked up by URL on every
``$validate-code`` against it)."""
_CURRENT_BY_URL = _CURRENT.where(T.c.url == bindparam("url"))


def _insert_index(conn, resources: list[tuple[int, dict]]) -> None:
    rows = [{"resource_key": key, **vars(r)} for key, resource in resources for r in rs.index_rows(resource)]
    if rows:
        conn.execute(insert(P), rows)


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(c: rs.Criterion, value):
    """The condition on a search index row for one value of a criterion (resource_search's rules)."""
    if c.type == rs.STRING:
        if c.modifier == "exact":
            return P.c.value == value
        pattern = ("%" if c.modifier == "contains" else "") + _like(value) + "%"
        return P.c.folded.like(pattern, escape="\\")
    if c.type == rs.TOKEN:
        system, code = value
        parts = [] if code is None else [P.c.value == code]
        if system == "":
            parts.append(P.c.system.is_(None))
        elif system is not None:
            parts.append(P.c.system == system)
        return and_(*parts)
    prefix, low, high = value
    contained = and_(P.c.low >= low, P.c.high <= high)
    return {
        "eq": contained, "ne": not_(contained), "gt": P.c.high > high, "lt": P.c.low < low,
        "ge": or_(P.c.high > high, contained), "le": or_(P.c.low < low, contained), "sa": P.c.low >= high,
        "eb": P.c.high <= low, "ap": and_(P.c.low < high, P.c.high > low),
    }[prefix]


def _record(conn, change: Change, resource_type: str, id_: str, version_id: int, content: dict | None,
            now: str) -> None:
    """One ``resource_event`` row; a delete names the URL and version of what it deleted."""
    body = content
    if body is None:
        prev = conn.execute(select(T.c.content).where(T.c.resource_type == resource_type, T.c.id == id_,
                                                      T.c.version_id == version_id - 1)).scalar()
        body = orjson.loads(prev) if prev else {}
    conn.execute(insert(schema.resource_event).values(
        at=now, who=change.who, channel=change.channel, action=change.action, resource_type=resource_type,
        id=id_, version_id=version_id, url=(body or {}).get("url"), version=(body or {}).get("version"),
        status=(body or {}).get("status") if content is not None else "deleted", what=change.what))



def _same(stored: dict | None, content: dict | None, id_: str) -> bool:
    """Whether writing ``content`` over ``stored`` would change nothing but the server-managed meta."""
    def plain(resource: dict | None):
        if resource is None:
            return None
        meta = {k: v for k, v in (resource.get("meta") or {}).items() if k not in ("versionId", "lastUpdated")}
        return {**{k: v for k, v in resource.items() if k != "meta"}, "id": id_, **({"meta": meta} if meta else {})}
    return plain(stored) == plain(content)

