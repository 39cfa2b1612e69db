"""Reads and writes of the care tables. Thread-safe: every call takes its own connection.

Writes are all-or-nothing: :meth:`CareStore.write` stores a list of records in one transaction, each an
insert (new id) or an optimistic-concurrency update (``UPDATE ... WHERE version_id = <expected>``; no row
changed means somebody else wrote first: :class:`terminology.VersionConflict`), adds one change-history
row per record and bumps ``care_meta.generation``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import Integer, Text, and_, cast, delete, exists, func, insert, or_, select, update

import terminology as t

from .. import model as m
from . import schema as s
from .rows import from_row, to_rows

CHUNK = 2000


@dataclass(frozen=True)
class Filter:
    """One search criterion: ``field`` is a main-table column or a link name (see :data:`LINKS`); ``op`` is
    ``eq``, ``in``, ``prefix`` (case-insensitive), ``ge``, ``le``, ``covers`` (a date inside
    ``valid_from..valid_to``, open ends open) or ``visible_to`` (Contract: not confidential, or of that
    region)."""

    field: str
    op: str
    value: object


LINKS = {
    ("HealthcareService", "type"): (s.service_type, "service_id", "type_key"),
    ("HealthcareService", "location"): (s.service_location, "service_id", "location_id"),
    ("OrganizationAffiliation", "service"): (s.commission_service, "commission_id", "service_id"),
    ("Contract", "commission"): (s.agreement_commission, "agreement_id", "commission_id"),
}


def _bulk_insert(conn, table, rows: list[dict]) -> None:
    """Insert many rows with the driver's executemany: the rows are already plain values, so SQLAlchemy's
    per-row parameter processing (a third of a care-50k load) is skipped."""
    if not rows:
        return
    columns = list(rows[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    for part in chunks(rows, 10_000):
        conn.exec_driver_sql(sql, [tuple(r.get(c) for c in columns) for r in part])


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


class CareStore:
    """The care tables of one database (``terminology.Database``: same URL as the terminology catalog)."""

    def __init__(self, db: t.Database) -> None:
        self.db = db
        self.engine = db.engine

    def generation(self) -> int:
        """A number that changes with every write."""
        with self.engine.connect() as conn:
            value = conn.execute(select(s.care_meta.c.value).where(s.care_meta.c.key == "generation")).scalar()
        return int(value or 0)

    def meta(self, key: str) -> str | None:
        """A value kept in ``care_meta`` (e.g. what the generator made and for which day), None when unset."""
        with self.engine.connect() as conn:
            return conn.execute(select(s.care_meta.c.value).where(s.care_meta.c.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        m_ = s.care_meta
        with self.engine.begin() as conn:
            if conn.execute(update(m_).where(m_.c.key == key).values(value=value)).rowcount == 0:
                conn.execute(insert(m_).values(key=key, value=value))

    def changed_through_other_channels(self, channel: str) -> set[tuple[str, str]]:
        """(resource type, id) of every record some write through another channel than ``channel`` touched."""
        e = s.event
        q = select(e.c.resource_type, e.c.resource_id).where(e.c.channel != channel, e.c.resource_type != "*") \
            .distinct()
        with self.engine.connect() as conn:
            return {(r[0], r[1]) for r in conn.execute(q)}

    def count(self, resource_type: str) -> int:
        table = s.MAIN_TABLES[resource_type]
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()

    # --- reads -----------------------------------------------------------------------------------

    def get(self, resource_type: str, id_: str) -> m.Stored | None:
        return self.get_many(resource_type, [id_]).get(id_)

    def get_many(self, resource_type: str, ids: Iterable[str], conn=None) -> dict[str, m.Stored]:
        """The current records with these ids (missing ids are left out)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        if conn is None:
            with self.engine.connect() as c:
                return self.get_many(resource_type, ids, c)
        table = s.MAIN_TABLES[resource_type]
        out: dict[str, m.Stored] = {}
        for part in chunks(ids):
            rows = conn.execute(select(table).where(table.c.id.in_(part))).all()
            links = self._links(conn, resource_type, [r.id for r in rows])
            for r in rows:
                out[r.id] = m.Stored(from_row(resource_type, r, links[r.id]), r.version_id, r.last_updated)
        return out

    def _links(self, conn, resource_type: str, ids: list[str]) -> dict[str, dict[str, list]]:
        found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for table, owner in s.LINK_TABLES.get(resource_type, ()):
            if not ids:
                continue
            for row in conn.execute(select(table).where(table.c[owner].in_(ids))):
                found[row._mapping[owner]][table.name].append(row)
        return found

    def versions(self, resource_type: str, ids: Iterable[str], conn=None) -> dict[str, int]:
        """Current version of each of ``ids`` that exists."""
        ids = list(dict.fromkeys(ids))
        if conn is None:
            with self.engine.connect() as c:
                return self.versions(resource_type, ids, c)
        table = s.MAIN_TABLES[resource_type]
        out = {}
        for part in chunks(ids):
            out.update(dict(conn.execute(select(table.c.id, table.c.version_id).where(table.c.id.in_(part))).all()))
        return out

    def search(self, resource_type: str, filters: Sequence[Filter], *, offset: int = 0,
               count: int | None = 50) -> tuple[int, list[m.Stored]]:
        """Records matching every filter, ordered by id; ``(total, page)``."""
        table = s.MAIN_TABLES[resource_type]
        cond = [self._condition(resource_type, table, f) for f in filters]
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(table).where(*cond)).scalar_one()
            q = select(table.c.id).where(*cond).order_by(table.c.id).offset(offset)
            if count is not None:
                q = q.limit(count)
            ids = [r[0] for r in conn.execute(q)]
            found = self.get_many(resource_type, ids, conn)
        return total, [found[i] for i in ids if i in found]

    @staticmethod
    def _condition(resource_type: str, table, f: Filter):
        link = LINKS.get((resource_type, f.field))
        if link is not None:
            link_table, owner, column = link
            values = f.value if f.op == "in" else [f.value]
            return exists().where(link_table.c[owner] == table.c.id, link_table.c[column].in_(list(values)))
        if f.op == "visible_to":
            return or_(table.c.confidential.is_(False), table.c.region == f.value)
        if f.op == "covers":
            return and_(or_(table.c.valid_from.is_(None), table.c.valid_from <= f.value),
                        or_(table.c.valid_to.is_(None), table.c.valid_to >= f.value))
        column = table.c[f.field]
        if f.op == "eq":
            return column == f.value
        if f.op == "in":
            return column.in_(list(f.value))
        if f.op == "prefix":
            escaped = str(f.value).lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return func.lower(column).like(escaped + "%", escape="\\")
        if f.op == "ge":
            return column >= f.value
        if f.op == "le":
            return column <= f.value
        raise ValueError(f"unknown filter operator {f.op}")  # pragma: no cover

    def events(self, *, resource_type: str | None = None, resource_id: str | None = None,
               limit: int = 50) -> list[m.Event]:
        """The change history, newest first."""
        e = s.event
        q = select(e).order_by(e.c.seq.desc()).limit(limit)
        if resource_type:
            q = q.where(e.c.resource_type == resource_type)
        if resource_id:
            q = q.where(e.c.resource_id == resource_id)
        with self.engine.connect() as conn:
            return [m.Event(r.seq, r.at, r.who, r.channel, r.action, r.resource_type, r.resource_id, r.version_id,
                            r.what) for r in conn.execute(q)]

    # --- writes ----------------------------------------------------------------------------------

    def write(self, items: Sequence[tuple[m.Record, int | None]], *, who: str, channel: str,
              note: str | None = None) -> list[tuple[m.Stored, bool]]:
        """Store records in one transaction: each ``(record, expected)`` is an update when the id exists
        (``expected`` None: the version read in this transaction; otherwise it must be current), else an
        insert; a record equal to the stored one is left as it is (no new version). Returns each stored record
        and whether it was created. ``note`` (why the change was made) is added to each history entry."""
        stamp = now()
        by_type: dict[str, list[int]] = defaultdict(list)
        for i, (record, _) in enumerate(items):
            by_type[m.resource_type(record)].append(i)
        out: list[tuple[m.Stored, bool] | None] = [None] * len(items)
        events = []
        with self.engine.begin() as conn:
            for rtype, positions in by_type.items():
                table = s.MAIN_TABLES[rtype]
                current = self.versions(rtype, [items[i][0].id for i in positions], conn)
                old = self.get_many(rtype, list(current), conn) if current else {}
                inserts, link_rows, updated_ids = [], defaultdict(list), []
                for i in positions:
                    record, expected = items[i]
                    row, links = to_rows(record)
                    have = current.get(record.id)
                    if have is None:
                        if expected is not None:
                            raise t.VersionConflict.plain(f"{rtype}/{record.id} does not exist, so version "
                                                          f"{expected} cannot be current")
                        inserts.append({"id": record.id, "version_id": 1, "last_updated": stamp, **row})
                        version, created, what = 1, True, "created"
                    else:
                        want = have if expected is None else expected
                        if record.id in old and old[record.id].record == record:
                            # Nothing changes: no new version and no history entry (the If-Match rule holds).
                            if want != have:
                                raise t.VersionConflict.plain(
                                    f"{rtype}/{record.id} is at version {have}, not {want}; read it again and "
                                    "re-apply the change")
                            out[i] = (old[record.id], False)
                            continue
                        done = conn.execute(update(table).where(table.c.id == record.id, table.c.version_id == want)
                                            .values(version_id=have + 1, last_updated=stamp, **row))
                        if done.rowcount != 1:
                            raise t.VersionConflict.plain(
                                f"{rtype}/{record.id} is at version {have}, not {want}; read it again and "
                                "re-apply the change")
                        updated_ids.append(record.id)
                        version, created = have + 1, False
                        changed = m.changed_fields(old[record.id].record, record) if record.id in old else []
                        what = "changed: " + (", ".join(changed) if changed else "nothing")
                        current[record.id] = version
                    for name, rows in links.items():
                        link_rows[name].extend(rows)
                    out[i] = (m.Stored(record, version, stamp), created)
                    if note:
                        what = f"{what} ({note})"
                    events.append(dict(at=stamp, who=who, channel=channel, action="create" if created else "update",
                                       resource_type=rtype, resource_id=record.id, version_id=version, what=what))
                _bulk_insert(conn, table, inserts)
                for link_table, owner in s.LINK_TABLES.get(rtype, ()):
                    for part in chunks(updated_ids):
                        conn.execute(delete(link_table).where(link_table.c[owner].in_(part)))
                    _bulk_insert(conn, link_table, link_rows.get(link_table.name, []))
            if events:
                _bulk_insert(conn, s.event, events)
                g = s.care_meta
                conn.execute(update(g).where(g.c.key == "generation")
                             .values(value=cast(cast(g.c.value, Integer) + 1, Text)))
        return [o for o in out if o is not None]

    # --- reads for the release impact (mappings.care.release) ------------------------------------

    def services_typed(self, system: str) -> dict[str, list[tuple[str, str]]]:
        """``code -> [(service id, service name)]`` of the active services typed with a code of ``system``."""
        st, sv = s.service_type, s.service
        q = (select(st.c.code, sv.c.id, sv.c.name).select_from(st.join(sv, sv.c.id == st.c.service_id))
             .where(st.c.system == system, sv.c.active.is_(True)).order_by(st.c.code, sv.c.id))
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        with self.engine.connect() as conn:
            for code, sid, name in conn.execute(q):
                out[code].append((sid, name))
        return out

    def coverage(self, service_ids: Sequence[str]) -> dict[str, tuple[set[str], set[str]]]:
        """``service id -> (region names, agreement identifiers)`` of the commissions that cover each service;
        confidential agreements are not named (the impact is read by informatiker of every region)."""
        cs, c, ac, a, o = (s.commission_service, s.commission, s.agreement_commission, s.agreement,
                           s.organization)
        out: dict[str, tuple[set[str], set[str]]] = {sid: (set(), set()) for sid in service_ids}
        with self.engine.connect() as conn:
            for part in chunks(list(service_ids)):
                q = (select(cs.c.service_id, o.c.name, a.c.identifier, a.c.confidential)
                     .select_from(cs.join(c, c.c.id == cs.c.commission_id)
                                  .outerjoin(o, o.c.id == c.c.region)
                                  .outerjoin(ac, ac.c.commission_id == c.c.id)
                                  .outerjoin(a, a.c.id == ac.c.agreement_id))
                     .where(cs.c.service_id.in_(part)))
                for sid, region, identifier, confidential in conn.execute(q):
                    if region:
                        out[sid][0].add(region)
                    if identifier and not confidential:
                        out[sid][1].add(identifier)
        return out

    # --- reads for the care search ---------------------------------------------------------------

    def type_keys(self) -> set[str]:
        """Every distinct service type (``system|code``) in the directory."""
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(s.service_type.c.type_key).distinct())}

    def region_rows(self, conn, region: str | None) -> list:
        """One compact row per (service, type, commission covering it, agreement covering the commission) for
        every service an agreement of ``region`` (of any region, for None) covers, read from the agreements in
        one indexed walk. Columns: service id, type key, unit, name, valid_from, valid_to, active, age_min,
        age_max, sex, asa_max, bmi_max, meeting_forms, commission id, region, valid_from, valid_to, active,
        agreement id, region, confidential, status, valid_from, valid_to."""
        st, sv, cs, cm, ac, a = (s.service_type, s.service, s.commission_service, s.commission,
                                 s.agreement_commission, s.agreement)
        q = select(st.c.service_id, st.c.type_key, sv.c.unit, sv.c.name, sv.c.valid_from, sv.c.valid_to, sv.c.active,
                   sv.c.age_min, sv.c.age_max, sv.c.sex, sv.c.asa_max, sv.c.bmi_max, sv.c.meeting_forms,
                   cm.c.id, cm.c.region, cm.c.valid_from, cm.c.valid_to, cm.c.active,
                   a.c.id, a.c.region, a.c.confidential, a.c.status, a.c.valid_from, a.c.valid_to).select_from(
            a.join(ac, ac.c.agreement_id == a.c.id).join(cm, cm.c.id == ac.c.commission_id)
            .join(cs, cs.c.commission_id == cm.c.id).join(sv, sv.c.id == cs.c.service_id)
            .join(st, st.c.service_id == sv.c.id))
        if region is not None:
            q = q.where(a.c.region == region)
        return conn.execute(q).all()

    def type_keys_of(self, conn, service_ids: Sequence[str]) -> dict[str, set[str]]:
        """Service id -> every type key it has."""
        st = s.service_type
        out: dict[str, set[str]] = defaultdict(set)
        for part in chunks(list(service_ids)):
            for sid, key in conn.execute(select(st.c.service_id, st.c.type_key).where(st.c.service_id.in_(part))):
                out[sid].add(key)
        return out

    def place_rows(self, conn, service_ids: Sequence[str], unit_of: dict[str, str]) -> dict[str, list]:
        """Service id -> compact places ``(id, unit, municipality, county, lat, lon)``: the places the service
        names, else its unit's (``unit_of``: service id -> unit id)."""
        sl, loc = s.service_location, s.location
        cols = (loc.c.id, loc.c.unit, loc.c.municipality, loc.c.county, loc.c.lat, loc.c.lon)
        out: dict[str, list] = defaultdict(list)
        for part in chunks(list(service_ids)):
            q = select(sl.c.service_id, *cols).join(loc, loc.c.id == sl.c.location_id).where(sl.c.service_id.in_(part))
            for r in conn.execute(q):
                out[r[0]].append(tuple(r[1:]))
        bare = [sid for sid in service_ids if sid not in out]
        by_unit: dict[str, list] = defaultdict(list)
        for part in chunks(list({unit_of[sid] for sid in bare})):
            for r in conn.execute(select(*cols).where(loc.c.unit.in_(part)).order_by(loc.c.id)):
                by_unit[r[1]].append(tuple(r))
        for sid in bare:
            out[sid] = by_unit.get(unit_of[sid], [])
        return out

    def wait_rows(self, conn, service_ids: Sequence[str], unit_ids: Sequence[str], on_or_before: str
                  ) -> tuple[dict[str, list], dict[str, list]]:
        """Compact waiting-time rows ``(id, service, activity key, measure, value, reported, period_start,
        period_end, source)`` reported on or before a date: by service for the reports naming one of the
        services, and by unit for the units' reports naming an activity code instead."""
        w = s.wait
        cols = (w.c.id, w.c.service, w.c.activity_system, w.c.activity_code, w.c.measure, w.c.value, w.c.reported,
                w.c.period_start, w.c.period_end, w.c.source, w.c.unit)
        by_service: dict[str, list] = defaultdict(list)
        by_unit: dict[str, list] = defaultdict(list)

        def row(r):
            return (r[0], r[1], f"{r[2]}|{r[3]}" if r[3] else None, *r[4:10])

        for part in chunks(list(service_ids)):
            for r in conn.execute(select(*cols).where(w.c.service.in_(part), w.c.reported <= on_or_before)):
                by_service[r[1]].append(row(r))
        for part in chunks(list(unit_ids)):
            q = select(*cols).where(w.c.unit.in_(part), w.c.service.is_(None), w.c.reported <= on_or_before)
            for r in conn.execute(q):
                by_unit[r[10]].append(row(r))
        return by_service, by_unit

    def capacity_rows(self, conn, unit_ids: Sequence[str], start: str, end: str | None) -> dict[str, list]:
        """Unit id -> compact capacity rows ``(id, service, activity key, available, period_start)`` whose
        period overlaps ``start..end`` (``end`` None: open)."""
        c = s.capacity
        out: dict[str, list] = defaultdict(list)
        for part in chunks(list(unit_ids)):
            q = select(c.c.unit, c.c.id, c.c.service, c.c.activity_system, c.c.activity_code, c.c.available,
                       c.c.period_start).where(c.c.unit.in_(part), c.c.period_end >= start)
            if end is not None:
                q = q.where(c.c.period_start <= end)
            for r in conn.execute(q):
                out[r[0]].append((r[1], r[2], f"{r[3]}|{r[4]}" if r[4] else None, bool(r[5]), r[6]))
        return out

    def regions(self) -> list[m.Organization]:
        """Every region (kind ``region``)."""
        return [x.record for x in self.search("Organization", [Filter("kind", "eq", "region")], count=None)[1]]

    def clear(self, *, who: str) -> None:
        """Delete every record of the directory (the change history keeps a row saying so)."""
        with self.engine.begin() as conn:
            for table in list(s.MAIN_TABLES.values()) + [x for links in s.LINK_TABLES.values() for x, _ in links]:
                conn.execute(delete(table))
            conn.execute(insert(s.event).values(at=now(), who=who, channel="manual", action="clear",
                                                resource_type="*", resource_id="*", version_id=0,
                                                what="the whole directory was emptied"))
            g = s.care_meta
            conn.execute(update(g).where(g.c.key == "generation")
                         .values(value=cast(cast(g.c.value, Integer) + 1, Text)))
