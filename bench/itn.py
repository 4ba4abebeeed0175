"""ITN mint latency (printed, never asserted): from the AP's mint request at the broker to the
mint mined on chain, over the whole stack (``python -m devstack --keep-running --no-story``:
anvil, the mock broker with its tokenization dispatcher, the issuer with its worker, SQLite).

- sequential: N requests of 1 AAPL one after the other: p50 / p99 / max;
- in flight: N requests sent at once from N threads: each one's latency, and the wall time
  until all are mined.

The mint is seen as mined when the issuer's ``/v1/itn/requests/{broker id}`` reads ``minted``
or ``completed`` (polled every 10 ms one at a time; the in-flight run lists every request each
50 ms: the figures' resolution).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from servicekit.tokenization import DEVNET as DEVNET_NETWORK

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Stack  # noqa: E402

MINTED = ("minted", "completed")


def mint_once(stack: Stack, ap: dict, qty: Decimal = Decimal(1)) -> float:
    start = time.perf_counter()
    request = stack.broker.tokenization_mint(
        ap["broker_account_id"], underlying_symbol="AAPL", qty=qty, issuer="stockstack",
        network=DEVNET_NETWORK, wallet_address=ap["wallet"])
    path = f"/v1/itn/requests/{request.tokenization_request_id}"
    deadline = start + 120
    while time.perf_counter() < deadline:
        answer = stack.api.get(path)
        if answer.status_code == 200 and answer.json()["status"] in MINTED:
            return time.perf_counter() - start
        if answer.status_code == 200 and answer.json()["status"] in ("rejected", "halted"):
            raise RuntimeError(f"the mint ended {answer.json()}")
        time.sleep(0.01)
    raise RuntimeError("a mint took more than 120 s")


def in_flight(stack: Stack, ap: dict, n: int) -> tuple[list[float], float]:
    """``n`` requests sent at once from ``n`` threads; one watcher lists the issuer's ITN
    requests every 50 ms (``n`` pollers would measure the API, not the mints) and notes when
    each is first seen minted."""
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    lock = threading.Lock()

    def send() -> None:
        start = time.perf_counter()
        request = stack.broker.tokenization_mint(
            ap["broker_account_id"], underlying_symbol="AAPL", qty=Decimal(1),
            issuer="stockstack", network=DEVNET_NETWORK, wallet_address=ap["wallet"])
        with lock:
            sent[request.tokenization_request_id] = start

    start = time.perf_counter()
    threads = [threading.Thread(target=send) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = start + 600
    while len(seen) < n and time.perf_counter() < deadline:
        cursor = None
        while True:
            params = {"type": "mint", "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = stack.api.get("/v1/itn/requests", params=params).json()
            now = time.perf_counter()
            for row in page["items"]:
                broker_id = row["tokenization_request_id"]
                if broker_id in sent and row["status"] in MINTED and broker_id not in seen:
                    seen[broker_id] = now
            if not (cursor := page["next_cursor"]):
                break
        time.sleep(0.05)
    if len(seen) < n:
        raise RuntimeError(f"{n - len(seen)} of {n} mints not seen in 600 s")
    return [seen[i] - sent[i] for i in sent], max(seen.values()) - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    n = args.requests
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "run")
        try:
            ap = stack.api.get("/v1/participants").json()[0]
            stack.broker.submit_order(ap["broker_account_id"], symbol="AAPL", side="buy",
                                      qty=Decimal(2 * n + 10))
            stack.next_day()
            stack.next_day()           # Fri -> Tue: the AP's shares have settled
            mint_once(stack, ap)       # warm up
            sequential = [mint_once(stack, ap) for _ in range(n)]
            parallel, wall = in_flight(stack, ap, n)
        finally:
            stack.stop()
    cpu = platform.processor() or platform.machine()
    print(f"\nITN mint latency on this machine ({os.cpu_count()} CPUs, {cpu}, Python "
          f"{platform.python_version()}; anvil, broker and issuer on loopback, SQLite): the "
          "AP's request at the broker to the mint mined")
    print(f"{'run':<28} {'requests':>9} {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'wall s':>7}")
    for name, values, total in (("one at a time", sequential, sum(sequential)),
                                (f"{n} in flight at once", parallel, wall)):
        print(f"{name:<28} {len(values):>9} {statistics.median(values):>7.2f} "
              f"{percentile(values, 99):>7.2f} {max(values):>7.2f} {total:>7.1f}")


if __name__ == "__main__":
    main()
