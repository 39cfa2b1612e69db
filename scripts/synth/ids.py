"""Identifiers for synthetic components (synthetic-rf2.md §6.2 "Identifiers").

* SCTIDs are built from item ids drawn from a configurable high range, with the Verhoeff check digit
  and the partition of the component type: short format (``0x``) for International content, long
  format (``1x``, namespace 1000052) for the Swedish extension (§1.5 "SCTID structure").
* Refset member ids are UUID v5 values derived from the seed and the member's identity, so two runs
  with the same seed give the same ids.
* Random streams are split per stage from one ``SeedSequence``, so a change in one stage leaves the
  numbers drawn by the others untouched.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib

import numpy as np

from terminology.snomed import VERHOEFF_TABLES

SE_NAMESPACE = 1000052
"""The Swedish extension namespace (§1.5)."""

_D, _P, _INV = (np.array(t, dtype=np.int8) for t in VERHOEFF_TABLES)


def stage_rng(seed: int, stage: str) -> np.random.Generator:
    """An independent random stream for one named generation stage."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(stage.encode())]))


def sctids(items: np.ndarray, partition: str, namespace: int | None = None) -> np.ndarray:
    """Vectorised ``make_sctid``: SCTIDs for an array of item ids of one component type.

    ``partition`` is the component digit ("0" concept, "1" description, "2" relationship); with a
    namespace the long format is used.
    """
    items = np.asarray(items, dtype=np.int64)
    if namespace is None:
        body = items * 100 + int(partition)
    else:
        body = (items * 10_000_000 + namespace) * 100 + 10 + int(partition)
    check = np.zeros(len(body), dtype=np.int8)
    rest = body.copy()
    position = 1
    while np.any(rest > 0):
        digit = (rest % 10).astype(np.int8)
        check = np.where(rest > 0, _D[check, _P[position % 8, digit]], check)
        rest //= 10
        position += 1
    return body * 10 + _INV[check]


class ItemAllocator:
    """Hands out item ids from ``base`` upwards in a seeded random order.

    The order is a permutation of ``range(capacity)``, so the ids do not reveal the generation order
    (which is topological) while staying unique and deterministic.
    """

    def __init__(self, base: int, capacity: int, rng: np.random.Generator) -> None:
        self._items = base + rng.permutation(capacity).astype(np.int64)
        self._next = 0

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` item ids."""
        if self._next + count > len(self._items):
            raise ValueError("item allocator exhausted; raise its capacity")
        out = self._items[self._next : self._next + count]
        self._next += count
        return out


class MemberIds:
    """UUID v5 refset member ids: ``uuid5(namespace(seed), name)``, computed with one SHA-1 each."""

    _HEX = np.frombuffer(b"0123456789abcdef", np.uint8)

    def __init__(self, seed: int) -> None:
        self._prefix = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:vardterm:synthetic-rf2:{seed}").bytes

    def digest(self, name: str) -> bytes:
        """The 16 SHA-1 bytes behind the member id of an identity string (before the version bits)."""
        return hashlib.sha1(self._prefix + name.encode()).digest()[:16]

    def uuid(self, name: str) -> str:
        """The member id for a member identity string (RFC 4122 §4.3, version 5)."""
        return self.format(np.frombuffer(self.digest(name), np.uint8).reshape(1, 16))[0].decode()

    @classmethod
    def format(cls, digests: np.ndarray) -> np.ndarray:
        """UUID strings (``S36``) from an (n, 16) uint8 array of digests: version 5, RFC 4122 variant."""
        b = digests.copy()
        b[:, 6] = (b[:, 6] & 0x0F) | 0x50
        b[:, 8] = (b[:, 8] & 0x3F) | 0x80
        hexed = np.stack([cls._HEX[b >> 4], cls._HEX[b & 0x0F]], axis=2).reshape(len(b), 32)
        out = np.full((len(b), 36), ord("-"), np.uint8)
        for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
            width = {0: 8, 20: 12}.get(src, 4)
            out[:, dst : dst + width] = hexed[:, src : src + width]
        return out.view("S36").reshape(len(b))
