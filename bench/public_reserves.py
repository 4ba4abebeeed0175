"""The public reserve endpoints under load (figures printed, never asserted).

Starts ``python -m devstack --keep-running --no-story`` twice (the one-process default: API and
worker thread, SQLite) on free ports, waits for a worker to compute the public figures, then for
each endpoint keeps ``--concurrency`` requests in flight for ``--seconds`` from one asyncio
client process (httpx) while the worker keeps passing, and prints requests per second, p50 and
p99 latency and errors. Everything shares the machine's CPUs: anvil, the broker, the issuer
with its worker, and this client.

Usage: ``.venv/bin/python bench/public_reserves.py [--concurrency 32] [--seconds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stack import Stack  # noqa: E402

PATHS = ("/public/v1/reserves", "/public/v1/reserves/AAPL", "/reserves")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
               request: bytes) -> int:
    """One keep-alive GET on an open connection; its status code."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return status


async def load(url: str, path: str, concurrency: int, seconds: float) -> dict[str, float]:
    """``concurrency`` keep-alive connections, each sending its next GET when the last answer
    is read (a raw HTTP/1.1 client, as wrk is: the client's own cost stays small beside the
    server's on shared CPUs)."""
    parsed = httpx.URL(url)
    request = (f"GET {path} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n"
               f"Accept: */*\r\n\r\n").encode()
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        try:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                status = await _get(reader, writer, request)
                latencies.append(time.perf_counter() - start)
                errors += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"count": len(ordered), "per_second": len(ordered) / elapsed,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000, "errors": errors}


def run(label: str, workers: int, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "run", workers=workers)
        try:
            deadline = time.monotonic() + 60
            while httpx.get(stack.issuer_url + "/public/v1/reserves/AAPL").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("no worker computed the public figures in 60 s")
                time.sleep(0.5)
            passes_before = stack.passes()[0]
            print(f"\n{label}")
            print(f"{'endpoint':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            for path in PATHS:
                figures = asyncio.run(load(stack.issuer_url, path, args.concurrency,
                                           args.seconds))
                print(f"{path:<28} {figures['per_second']:>8.0f} {figures['p50_ms']:>8.1f} "
                      f"{figures['p99_ms']:>8.1f} {figures['errors']:>7}")
            passes = stack.passes()[0] - passes_before
            print(f"worker passes during the load: {passes:.0f} "
                  f"({passes / (args.seconds * len(PATHS)):.1f} per second)")
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    print(f"public reserve endpoints: {args.concurrency} keep-alive connections in flight, "
          f"{args.seconds:.0f} s each, one raw asyncio client; anvil, the broker, the issuer "
          f"and the client share the machine's {os.cpu_count()} CPUs")
    run("API and worker in one process (the default, SQLite)", 0, args)
    run("API process and a worker process (SQLite)", 1, args)


if __name__ == "__main__":
    main()
