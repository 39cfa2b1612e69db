"""A small thread-safe cache for values keyed by something immutable (a published version, a stored
resource version, a set's SQL and parameters): it forgets its oldest entries beyond a size, and forgetting
only costs recomputing."""

from __future__ import annotations

import threading


class Bounded(dict):
    """A dict that keeps at most ``size`` entries, dropping the oldest inserted first."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self._lock = threading.Lock()

    def __setitem__(self, key, value) -> None:
        with self._lock:
            while len(self) >= self.size:
                self.pop(next(iter(self)))
            super().__setitem__(key, value)
