"""A small thread-safe cache for values keyed by something immutable (a published version, a stored
resource version, a set's SQL and parameters): it forgets its oldest entries beyond a size, and forgetting
only costs recomputing. Each cache counts its hits and misses for the metrics (:func:`cache_stats`)."""

from __future__ import annotations

import sys
import threading
import weakref

_ALL: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
"""Every live cache by ``id`` (for :func:`cache_stats`)."""


class Bounded(dict):
    """A dict that keeps at most ``size`` entries, dropping the oldest inserted first.

    ``name`` labels its hit and miss counts (default: the module that made it); :meth:`get` counts them,
    unsynchronised (a lost increment under a race only blurs a rate)."""

    def __init__(self, size: int, name: str | None = None) -> None:
        super().__init__()
        self.size = size
        self.name = name or sys._getframe(1).f_globals.get("__name__", "cache")
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        _ALL[id(self)] = self

    def get(self, key, default=None):
        found = super().get(key, self)
        if found is self:
            self.misses += 1
            return default
        self.hits += 1
        return found

    def __setitem__(self, key, value) -> None:
        with self._lock:
            while len(self) >= self.size:
                self.pop(next(iter(self)))
            super().__setitem__(key, value)


def cache_stats() -> dict[str, tuple[int, int, int]]:
    """Every live cache of the process summed by name: ``name -> (hits, misses, entries)``."""
    out: dict[str, tuple[int, int, int]] = {}
    for cache in list(_ALL.values()):
        hits, misses, entries = out.get(cache.name, (0, 0, 0))
        out[cache.name] = (hits + cache.hits, misses + cache.misses, entries + len(cache))
    return out
