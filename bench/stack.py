"""The whole stack's figures (printed, never asserted): lifecycle throughput, issuer API
latency, indexer throughput.

Starts ``python -m devstack --keep-running --no-story`` on free ports (anvil, broker, issuer
with its worker, SQLite), then:

- lifecycle throughput: N cash creations of 1 AAPL each through the operator API, the broker's
  simulated clock moved a day (and the chain's as far) whenever every open one waits for T+1,
  until
  the issuer reports none open: creations per minute end to end, for N = 10, 100, 1000;
- API latency: ``bench/api_load.py`` in a second process keeps C requests in flight for a few
  seconds, for a read (``GET /v1/creations``) and a write (``POST /v1/creations``): p50/p99;
- indexer: every Transfer event of the run ingested into a fresh database: events per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from custody_mock.client import BrokerClient

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """``python -m devstack`` kept running on free ports, for the length of the benchmark."""

    def __init__(self, run_dir: Path) -> None:
        self.ports = {"chain": free_port(), "broker": free_port(), "issuer": free_port()}
        self.run_dir = run_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "--keep-running", "--no-story",
             "--chain-port", str(self.ports["chain"]), "--broker-port",
             str(self.ports["broker"]), "--issuer-port", str(self.ports["issuer"]),
             "--run-dir", str(run_dir)], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.process.stdout or []],
                         daemon=True).start()
        seen = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if "The stack stays up" in seen[-1]:
                break
        else:
            self.stop()
            raise RuntimeError("the stack did not start:\n" + "".join(seen[-30:]))
        if self.process.poll() is not None:
            raise RuntimeError("the stack did not start:\n" + "".join(seen[-30:]))
        self.env = dict(line.removeprefix("export ").split("=", 1)
                        for line in (run_dir / "env").read_text().splitlines())
        self.issuer_url = self.env["ISSUER_API_URL"]
        self.broker = BrokerClient(f"http://127.0.0.1:{self.ports['broker']}")
        self.api = httpx.Client(base_url=self.issuer_url, timeout=60,
                                headers={"X-API-Key": self.env["ISSUER_API_KEY"]})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)

    def rpc(self, method: str, params: list) -> None:
        httpx.post(f"http://127.0.0.1:{self.ports['chain']}", json={
            "jsonrpc": "2.0", "id": 1, "method": method, "params": params}).raise_for_status()

    def next_day(self) -> None:
        before = self.broker.clock().now
        after = self.broker.end_of_day().now
        self.rpc("evm_increaseTime", [int((after - before).total_seconds())])
        self.rpc("evm_mine", [])

    def count(self, status: str) -> int:
        """Creations in ``status`` (pages of 200)."""
        total, cursor = 0, None
        while True:
            page = self.api.get("/v1/creations", params={"status": status, "limit": 200,
                                                         **({"cursor": cursor} if cursor else {})}
                                ).json()
            total += len(page["items"])
            if not (cursor := page["next_cursor"]):
                return total

    def open_creations(self) -> int:
        return int(self.api.get("/v1/reserves/AAPL").json()["open_creations"])


def lifecycle(stack: Stack, n: int) -> dict[str, float]:
    start = time.perf_counter()
    for _ in range(n):
        stack.api.post("/v1/creations", json={"participant_id": stack.env["PARTICIPANT_ID"],
                                              "symbol": "AAPL", "qty": "1"},
                       headers={"Idempotency-Key": os.urandom(12).hex()}).raise_for_status()
    requested = time.perf_counter() - start
    days = 0
    while open_ := stack.open_creations():
        if stack.count("filled") == open_:   # every one waits for settlement: a day passes
            stack.next_day()
            days += 1
        time.sleep(0.2)
    total = time.perf_counter() - start
    return {"n": n, "request_s": requested, "total_s": total, "days": days,
            "per_minute": n / total * 60}


def latency(stack: Stack, kind: str, concurrency: int, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api_load.py"), "--url", stack.issuer_url,
         "--key", stack.env["ISSUER_API_KEY"], "--participant", stack.env["PARTICIPANT_ID"],
         "--kind", kind, "--concurrency", str(concurrency), "--seconds", str(seconds)],
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def indexer_rate(stack: Stack) -> dict[str, float]:
    from issuer import indexer
    from issuer.config import Settings
    from issuer.service import Issuer

    with tempfile.TemporaryDirectory() as tmp:
        manifest = next(stack.run_dir.glob("*.json"))
        issuer = Issuer(Settings(database_url=f"sqlite:///{Path(tmp) / 'index.db'}",
                                 rpc_url=f"http://127.0.0.1:{stack.ports['chain']}",
                                 manifest=manifest))
        start = time.perf_counter()
        with issuer.session() as db:
            stored = indexer.run_once(issuer, db)
            db.commit()
        elapsed = time.perf_counter() - start
        blocks = issuer.chain.head() - int(issuer.chain.manifest.get("deploy_block", 0))
        issuer.close()
    return {"events": stored, "blocks": blocks, "seconds": elapsed,
            "per_second": stored / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "run")
        try:
            runs = [lifecycle(stack, int(n)) for n in args.sizes.split(",")]
            read = latency(stack, "read", args.concurrency, args.seconds)
            write = latency(stack, "write", args.concurrency, args.seconds)
            # the writes' creations finish before the indexer run, so it sees their mints
            while open_ := stack.open_creations():
                if stack.count("filled") == open_:
                    stack.next_day()
                time.sleep(0.2)
            index = indexer_rate(stack)
        finally:
            stack.stop()
    cpu = platform.processor() or platform.machine()
    print(f"\nThe stack on this machine ({os.cpu_count()} CPUs, {cpu}, Python "
          f"{platform.python_version()}; anvil, broker and issuer on loopback, SQLite)")
    print("\nLifecycle throughput: cash creations of 1 AAPL, API request to minted, the "
          "simulated clock moved a day whenever all wait for settlement")
    print(f"{'creations':>10} {'requests (s)':>13} {'end to end (s)':>15} {'broker days':>12} "
          f"{'per minute':>11}")
    for r in runs:
        print(f"{r['n']:>10} {r['request_s']:>13.1f} {r['total_s']:>15.1f} {r['days']:>12} "
              f"{r['per_minute']:>11.0f}")
    print(f"\nIssuer API latency, {args.concurrency} requests in flight from a second process "
          f"for {args.seconds:g} s (the worker running beside it)")
    print(f"{'request':<34} {'requests':>9} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>7}")
    for name, r in (("read  GET /v1/creations?limit=20", read),
                    ("write POST /v1/creations", write)):
        print(f"{name:<34} {r['count']:>9} {r['per_second']:>7.0f} {r['p50_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['errors']:>7}")
    print(f"\nIndexer: {index['events']} Transfer events over {index['blocks']} blocks in "
          f"{index['seconds']:.2f} s = {index['per_second']:.0f} events/s (fresh SQLite)")


if __name__ == "__main__":
    main()
