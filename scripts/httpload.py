"""A small HTTP/1.1 keep-alive load generator for the benchmark (asyncio streams, GET only).

General-purpose Python HTTP clients spend more CPU per request than the server under test, which would make
the client the bottleneck on a 2-core machine; this one only writes a request line and reads
``Content-Length`` bytes, so the figures measure the server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _worker(host: str, port: int, paths: list[str], start: int, step: int, deadline_n: int,
                  latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        i = start
        while i < deadline_n:
            path = paths[i % len(paths)]
            t0 = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/fhir+json\r\n\r\n".encode())
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - t0) * 1000)
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors.append(1)
            i += step
    finally:
        writer.close()


def run(base_url: str, paths: list[str], *, requests: int, concurrency: int) -> LoadResult:
    """Send ``requests`` GETs cycling through ``paths`` over ``concurrency`` keep-alive connections."""
    parts = urlsplit(base_url)
    prefix = parts.path.rstrip("/")
    full = [prefix + p for p in paths]
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        t0 = time.perf_counter()
        await asyncio.gather(*(_worker(parts.hostname, parts.port or 80, full, k, concurrency, requests,
                                       latencies, errors) for k in range(concurrency)))
        return time.perf_counter() - t0

    seconds = asyncio.run(main())
    return LoadResult(requests=len(latencies), errors=len(errors), seconds=seconds, latencies_ms=latencies)
