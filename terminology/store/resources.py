"""Versioned storage of FHIR conformance resources (CodeSystem, ValueSet, ConceptMap) in the catalog database.

FHIR REST semantics (R5 http.html): every create, update and delete of a logical id adds a row with the
next ``versionId``; the newest row is ``current``; a delete is a row with ``deleted = 1`` so that ``vread``
of older versions keeps working and a read of the id answers 410 Gone. Writes bump the catalog generation
so every API worker re-reads its caches (ARCHITECTURE.md "Scale").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import orjson
from sqlalchemy import and_, func, insert, select, update

from ..bounded import Bounded
from . import schema
from .database import Database, _now

T = schema.fhir_resource
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


def _row(r) -> StoredResource:
    return StoredResource(r.resource_type, r.id, r.version_id, r.last_updated, bool(r.deleted),
                          None if r.deleted else orjson.loads(r.content))


class ResourceStore:
    """Reads and writes of the ``fhir_resource`` table. Thread-safe (each call takes its own connection)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._parsed: Bounded = Bounded(PARSED_CACHE_SIZE, "parsed_resources")

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

    def write(self, resource_type: str, id_: str, content: dict | None) -> StoredResource:
        """Add the next version of ``id_`` (``content`` None records a delete) and make it current."""
        return self.write_many([(resource_type, id_, content)])[0]

    def write_many(self, items: Iterable[tuple[str, str, dict | None]]) -> list[StoredResource]:
        """Several writes in one transaction: all of them land, or none."""
        out = []
        now = _now()
        with self.db.engine.begin() as conn:
            for resource_type, id_, content in items:
                key = and_(T.c.resource_type == resource_type, T.c.id == id_)
                last = conn.execute(select(func.max(T.c.version_id)).where(key)).scalar() or 0
                conn.execute(update(T).where(key, T.c.current == 1).values(current=0))
                version_id = last + 1
                body = None
                if content is not None:
                    content = {**content, "id": id_,
                               "meta": {**content.get("meta", {}), "versionId": str(version_id), "lastUpdated": now}}
                    body = orjson.dumps(content).decode()
                conn.execute(insert(T).values(
                    resource_type=resource_type, id=id_, version_id=version_id, current=1,
                    deleted=0 if content is not None else 1,
                    url=(content or {}).get("url"), version=(content or {}).get("version"),
                    name=(content or {}).get("name"), title=(content or {}).get("title"),
                    status=(content or {}).get("status"), last_updated=now, content=body or "null"))
                out.append(StoredResource(resource_type, id_, version_id, now, content is None, content))
            Database._bump(conn)
        return out

    def search(self, resource_type: str, *, id_: str | None = None, url: str | None = None,
               version: str | None = None, name: str | None = None, title: str | None = None,
               status: str | None = None, offset: int = 0, count: int | None = None) -> tuple[int, list[dict]]:
        """Current, not deleted resources matching every given criterion; ``(total, page)``.

        ``url``, ``version``, ``status`` and ``_id`` match exactly; ``name`` and ``title`` match a
        case-insensitive prefix (FHIR search ``string`` semantics).
        """
        cond = [T.c.resource_type == resource_type, T.c.current == 1, T.c.deleted == 0]
        for column, value in ((T.c.id, id_), (T.c.url, url), (T.c.version, version), (T.c.status, status)):
            if value is not None:
                cond.append(column == value)
        for column, value in ((T.c.name, name), (T.c.title, title)):
            if value is not None:
                cond.append(func.lower(column).like(_prefix(value), escape="\\"))
        with self.db.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(T).where(*cond)).scalar()
            q = select(T.c.content).where(*cond).order_by(T.c.url, T.c.version, T.c.id).offset(offset)
            if count is not None:
                q = q.limit(count)
            return total, [orjson.loads(c) for (c,) in conn.execute(q)]

    def by_url(self, resource_type: str, url: str) -> list[dict]:
        """Every current version (business version) of a canonical URL (shared dicts, see :meth:`_shared`)."""
        return self._shared(resource_type, [T.c.url == url])

    def current(self, resource_type: str) -> list[dict]:
        """Every current resource of a type (shared dicts, see :meth:`_shared`), e.g. all ConceptMaps for a
        ``$translate`` that names none."""
        return self._shared(resource_type, [])

    def _shared(self, resource_type: str, cond: list) -> list[dict]:
        """Current resources matching ``cond``, parsed once per (type, id, versionId): a row never changes
        once written, so a 43,600-concept code system is read and parsed once, not on every request. The
        dicts returned are shared: callers must not change them."""
        cond = [T.c.resource_type == resource_type, T.c.current == 1, T.c.deleted == 0, *cond]
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(T.c.key, T.c.id, T.c.version_id).where(*cond)
                                .order_by(T.c.url, T.c.version, T.c.id)).all()
            out = []
            for key, id_, version_id in rows:
                cache_key = (resource_type, id_, version_id)
                found = self._parsed.get(cache_key)
                if found is None:
                    found = orjson.loads(conn.execute(select(T.c.content).where(T.c.key == key)).scalar())
                    self._parsed[cache_key] = found
                out.append(found)
        return out


def _prefix(value: str) -> str:
    return value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
