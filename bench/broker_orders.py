"""Orders per second through the mock broker's HTTP API on this machine (figures, no asserts).

Starts ``python -m custody_mock`` in its own process on a fresh SQLite file, then submits market
orders through the typed client: one client in sequence, then several client threads at once.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx

from custody_mock.client import BrokerClient


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("broker did not start")


def _run(client: BrokerClient, account: str, count: int, tag: str) -> None:
    for i in range(count):
        client.submit_order(account, symbol="AAPL", side="buy", qty=Decimal("1"),
                            client_order_id=f"{tag}-{i}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CUSTODY_MOCK_START": "2024-10-07T14:00:00+00:00"}
        server = subprocess.Popen(
            [sys.executable, "-m", "custody_mock", "--port", str(port),
             "--database-url", f"sqlite:///{Path(tmp) / 'bench.db'}"], env=env)
        try:
            _wait(url)
            with BrokerClient(url) as client:
                client.set_asset("AAPL")
                client.set_price("AAPL", Decimal("200"))
                account = client.create_account().id
                client.deposit(account, Decimal("1000000000"))
                _run(client, account, 20, "warm")
                start = time.perf_counter()
                _run(client, account, args.orders, "seq")
                sequential = time.perf_counter() - start
            clients = [BrokerClient(url) for _ in range(args.threads)]
            per_thread = args.orders // args.threads
            start = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(lambda i: _run(clients[i], account, per_thread, f"par{i}"),
                              range(args.threads)))
            parallel = time.perf_counter() - start
            for c in clients:
                c.close()
        finally:
            server.terminate()
            server.wait(10)
    total = per_thread * args.threads
    print(f"custody_mock orders through HTTP (market buys, filled at once, SQLite file, "
          f"{os.cpu_count()} CPUs):")
    print(f"  1 client, {args.orders} orders in sequence: {args.orders / sequential:8.1f} orders/s"
          f"  ({sequential / args.orders * 1000:.2f} ms each)")
    print(f"  {args.threads} clients, {total} orders at once:  {total / parallel:8.1f} orders/s")


if __name__ == "__main__":
    main()
