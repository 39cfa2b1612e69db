"""Progress on long work (loads, generators, benchmarks): one updating line on a terminal, log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("vardterm")


class Progress:
    """A ``progress(stage, done, total)`` callback that prints at most every ``interval`` seconds."""

    def __init__(self, label: str, *, stream=None, interval: float = 0.25) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = interval if self.tty else 5.0
        self.started = time.monotonic()
        self._last = 0.0
        self._stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        changed = stage != self._stage
        if not changed and now - self._last < self.interval and done < total:
            return
        self._stage, self._last = stage, now
        pct = f"{100 * done / total:5.1f}%" if total else ""
        line = f"{self.label}: {stage:<22} {pct} ({_human(done)}/{_human(total)}) {now - self.started:6.1f} s"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
            self.stream.flush()
        else:
            log.info(line)

    def done(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 120 + "\r")
        self.stream.write(f"{message} ({time.monotonic() - self.started:.1f} s)\n")
        self.stream.flush()


def _human(n: int) -> str:
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("k", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)
