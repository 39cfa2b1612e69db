"""In-memory model of a generated release: concepts and versioned RF2 tables (synthetic-rf2.md §1.7, §6.8).

A ``Table`` holds every row of one RF2 file type across all versions and modules, column-wise in
numpy arrays ("keep the graph in integer arrays", §6.8). Rows of the same component share a ``key``
(an index into ``Table.ids``); the table is sorted by key then effectiveTime, so

* the Full file at date T is every row with ``et <= T``;
* the Snapshot at T is, per key, the last row with ``et <= T`` (§1.7);
* the Delta (T0, T1] is every row with ``T0 < et <= T1``.

Packages filter rows by ``moduleId`` first, as a real International or extension package holds only
its own modules' rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

KIND_FIXED, KIND_ACTIVE, KIND_INACTIVE, KIND_SE = 0, 1, 2, 3


@dataclass
class Concepts:
    """All concepts of the generated world, indexed 0..n-1 in topological order of the active graph."""

    sctid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    level: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    module: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    created: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    inactivated: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    defined: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    term: list[str | None] = field(default_factory=list)
    tag: list[str | None] = field(default_factory=list)
    parents: list[tuple[int, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sctid)

    def extend(self, *, sctid, code, kind, level, module, created, term, tag, parents) -> range:
        """Append concepts (inactivated=0, primitive) and return their index range."""
        start = len(self)
        n = len(sctid)
        self.sctid = np.concatenate([self.sctid, np.asarray(sctid, np.int64)])
        self.code = np.concatenate([self.code, np.broadcast_to(np.asarray(code, np.int16), n)])
        self.kind = np.concatenate([self.kind, np.full(n, kind, np.int8)])
        self.level = np.concatenate([self.level, np.broadcast_to(np.asarray(level, np.int16), n)])
        self.module = np.concatenate([self.module, np.broadcast_to(np.asarray(module, np.int64), n)])
        self.created = np.concatenate([self.created, np.broadcast_to(np.asarray(created, np.int32), n)])
        self.inactivated = np.concatenate([self.inactivated, np.zeros(n, np.int32)])
        self.defined = np.concatenate([self.defined, np.zeros(n, bool)])
        self.term.extend(term)
        self.tag.extend(tag)
        self.parents.extend(parents)
        return range(start, start + n)


@dataclass
class Table:
    """All rows of one RF2 file type; ``columns`` holds ``key``, ``et``, ``active``, ``moduleId`` and fields."""

    name: str
    ids: np.ndarray
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["key"])

    def rows(self, modules: Iterable[int], *, upto: int, after: int = 0, snapshot: bool = False) -> np.ndarray:
        """Indices of the rows of ``modules`` with ``after < et <= upto``; with ``snapshot`` the last per key."""
        et = self.columns["et"]
        mask = np.isin(self.columns["moduleId"], np.fromiter(modules, np.int64)) & (et <= upto) & (et > after)
        idx = np.flatnonzero(mask)
        if snapshot and len(idx):
            keys = self.columns["key"][idx]
            idx = idx[np.r_[keys[1:] != keys[:-1], True]]
        return idx

    def latest(self, upto: int, modules: Iterable[int] | None = None) -> np.ndarray:
        """Snapshot row indices at ``upto`` over all modules (newest row wins, as in a multi-package merge)."""
        if modules is None:
            modules = np.unique(self.columns["moduleId"]).tolist()
        et = self.columns["et"]
        order = np.flatnonzero(np.isin(self.columns["moduleId"], np.fromiter(modules, np.int64)) & (et <= upto))
        keys = self.columns["key"][order]
        return order[np.r_[keys[1:] != keys[:-1], True]] if len(order) else order


def snapshot(table: Table, modules: tuple[int, ...] | None, date: int) -> np.ndarray:
    """Snapshot row indices at ``date``; ``modules`` None merges all modules (newest row wins)."""
    if modules is None:
        return table.latest(date)
    return table.rows(modules, upto=date, snapshot=True)


class RowBuilder:
    """Collects row chunks for one table; ``build`` concatenates them and sorts by key and effectiveTime."""

    def __init__(self, name: str, fields: tuple[str, ...]) -> None:
        self.name = name
        self.fields = ("key", "et", "active", "moduleId", *fields)
        self._chunks: list[dict[str, np.ndarray]] = []

    def add(self, **values) -> None:
        """Add one chunk; scalars broadcast to the length of the array-valued columns."""
        missing = set(self.fields) - set(values)
        if missing:
            raise ValueError(f"{self.name}: missing columns {sorted(missing)}")
        n = max((len(v) for v in values.values() if isinstance(v, (np.ndarray, list))), default=0)
        if n == 0:
            return
        chunk = {}
        for name in self.fields:
            v = values[name]
            if isinstance(v, (np.ndarray, list)):
                arr = (
                    np.asarray(v, dtype=object)
                    if isinstance(v, list) and v and isinstance(v[0], str)
                    else np.asarray(v)
                )
            else:
                arr = np.full(n, v, dtype=object if isinstance(v, str) else None)
            if len(arr) != n:
                raise ValueError(f"{self.name}.{name}: {len(arr)} values, expected {n}")
            chunk[name] = arr
        self._chunks.append(chunk)

    def build(self, ids: np.ndarray) -> Table:
        """The finished table, rows sorted by (key, et); duplicate (key, et) pairs are an error."""
        columns = {}
        chunks, self._chunks = self._chunks, []
        for name in self.fields:
            parts = [c.pop(name) for c in chunks]
            if not parts:
                columns[name] = np.zeros(0, np.int64)
                continue
            if any(p.dtype == object for p in parts):
                columns[name] = np.concatenate([p.astype(object) for p in parts])
            else:
                columns[name] = np.concatenate(parts)
        if len(columns["key"]):
            order = np.lexsort((columns["et"], columns["key"]))
            columns = {k: v[order] for k, v in columns.items()}
            dup = (columns["key"][1:] == columns["key"][:-1]) & (columns["et"][1:] == columns["et"][:-1])
            if dup.any():
                key = columns["key"][1:][dup][0]
                raise AssertionError(f"{self.name}: two rows for key {key} at the same effectiveTime")
        for name, dtype in (("key", np.int32), ("et", np.int32), ("active", np.int8), ("moduleId", np.int64)):
            columns[name] = columns[name].astype(dtype)
        return Table(self.name, ids, columns)


class ComponentBuilder(RowBuilder):
    """Rows of an SCTID-identified component type (descriptions, relationships): keys index the ids."""

    def __init__(self, name: str, fields: tuple[str, ...]) -> None:
        super().__init__(name, fields)
        self._ids: list[np.ndarray] = []
        self._count = 0

    def new(self, ids: np.ndarray) -> np.ndarray:
        """Register components with these SCTIDs; returns their keys."""
        ids = np.asarray(ids, np.int64)
        keys = np.arange(self._count, self._count + len(ids), dtype=np.int64)
        self._ids.append(ids)
        self._count += len(ids)
        return keys

    def build_table(self) -> Table:
        """The finished table with its SCTIDs."""
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, np.int64)
        return self.build(ids)


class RefsetBuilder(RowBuilder):
    """Rows of one refset file type; members are identified by UUID v5 digests of identity names.

    ``keys`` hands out provisional keys; ``build_table`` merges keys whose names are equal (later rows
    of the same member, e.g. an inactivation), numbers members in UUID order and formats the UUIDs.
    Only 16 bytes per member are kept while building.
    """

    def __init__(self, name: str, fields: tuple[str, ...], member_ids) -> None:
        super().__init__(name, ("refsetId", "referencedComponentId", *fields))
        self._member_ids = member_ids
        self._digests = bytearray()

    def keys(self, names: Iterable[str]) -> np.ndarray:
        """Provisional keys for member identity names (equal names become one member at build time)."""
        start = len(self._digests) // 16
        digest = self._member_ids.digest
        self._digests += b"".join(digest(n) for n in names)
        return np.arange(start, len(self._digests) // 16, dtype=np.int64)

    def add_indicators(self, refset: int, ref: np.ndarray, value: np.ndarray, created, retired: np.ndarray,
                       module) -> None:
        """Attribute-value members (inactivation indicators): ``ref`` gets ``value`` at ``created``; where
        ``retired`` is non-zero, a later row at that time makes the member inactive. ``module`` is one module
        id or one per member."""
        keys = self.keys(f"{refset}|{x}" for x in ref.tolist())
        self.add(key=keys, et=created, active=1, moduleId=module, refsetId=refset, referencedComponentId=ref,
                 valueId=value)
        sel = retired > 0
        self.add(key=keys[sel], et=retired[sel], active=0,
                 moduleId=module[sel] if isinstance(module, np.ndarray) else module, refsetId=refset,
                 referencedComponentId=ref[sel], valueId=value[sel])

    def build_table(self) -> Table:
        """The finished table: canonical member keys in UUID order, ``ids`` as ``S36`` UUID strings."""
        raw = np.frombuffer(bytes(self._digests), np.uint8).reshape(-1, 16)
        self._digests = bytearray()
        words = raw.view(">u8").reshape(-1, 2)
        order = np.lexsort((words[:, 1], words[:, 0]))
        ordered = words[order]
        first = np.r_[True, np.any(ordered[1:] != ordered[:-1], axis=1)] if len(order) else np.zeros(0, bool)
        canonical = np.empty(len(order), np.int64)
        canonical[order] = np.cumsum(first) - 1
        for chunk in self._chunks:
            chunk["key"] = canonical[chunk["key"]]
        return self.build(self._member_ids.format(raw[order[first]]))
