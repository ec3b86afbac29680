"""A small HTTP/1.1 load generator on asyncio: keep-alive connections, latency per request.

It speaks just enough HTTP for our two servers (requests with a body of known length,
responses with ``Content-Length``), so one Python process can drive a server on the other
core without the client being the bottleneck the way a full client library would be.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["LoadResult", "Request", "run_load"]


@dataclass(frozen=True)
class Request:
    """One request: method, path, headers and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        """The request on the wire."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method == "POST":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass(frozen=True)
class LoadResult:
    """Throughput (operations per second), latencies in ms, and the failed operations."""

    ops_per_second: float
    latencies_ms: list[float]
    failures: int

    def percentile(self, p: float) -> float:
        """The p-th percentile of the latencies (nearest rank)."""
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    host: str,
    port: int,
    operations: Sequence[Sequence[bytes]],
    latencies: list[float],
    failures: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for steps in operations:
            started = time.perf_counter()
            ok = True
            for wire in steps:
                writer.write(wire)
                ok = await _response(reader) < 400 and ok
            latencies.append((time.perf_counter() - started) * 1000)
            if not ok:
                failures.append(1)
    finally:
        writer.close()
        await writer.wait_closed()


def run_load(
    host: str,
    port: int,
    make_operation: Callable[[int], Sequence[Request]],
    count: int,
    connections: int = 16,
) -> LoadResult:
    """Run ``count`` operations (each one or more requests in sequence) over ``connections``."""
    operations = [[r.encode(host) for r in make_operation(i)] for i in range(count)]
    shares = [operations[i::connections] for i in range(connections)]
    latencies: list[float] = []
    failures: list[int] = []

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(
            *(_connection(host, port, share, latencies, failures) for share in shares if share)
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    return LoadResult(count / elapsed, latencies, len(failures))
