"""The whole stack's figures (printed side by side, never asserted): lifecycle throughput in
three set-ups, the issuer API's latency while the workers run, the worker's pass rate with and
without that load, where a worker's time goes, and the indexer's rate.

Each set-up is ``python -m devstack --keep-running --no-story`` on free ports (anvil, broker,
issuer):

- ``sqlite``: the one-process default (API and worker thread, SQLite);
- ``pg-1``: PostgreSQL (127.0.0.1:5432), the API alone and 1 worker process;
- ``pg-2``: the same with 2 worker processes.

In each: N cash creations of 1 AAPL through the operator API, the broker's simulated clock moved
a day (and the chain's as far) whenever every open one waits for T+1, until none is open
(creations per minute end to end; worker time = the passes' summed durations from the workers'
metrics); then ``bench/api_load.py`` in another process keeps C reads (``GET /v1/creations``),
then C writes, in flight for a few seconds while the workers run: p50/p99, and the workers'
passes per second before and during the reads. The pg-1 worker runs under cProfile: its time
by where it went. Last, every Transfer event of the run into a fresh SQLite database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy
from prometheus_client.parser import text_string_to_metric_families

from custody_mock.client import BrokerClient

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """``python -m devstack`` kept running on free ports, for the length of the benchmark."""

    def __init__(self, run_dir: Path, *, database_url: str | None = None, workers: int = 0,
                 profile: Path | None = None) -> None:
        self.ports = {"chain": free_port(), "broker": free_port(), "issuer": free_port(),
                      "issuer_metrics": free_port(), "broker_metrics": free_port()}
        self.run_dir, self.workers = run_dir, workers
        base = free_port()   # devstack counts the workers' ports up from it
        self.metrics_ports = [base + n for n in range(workers)]
        extra = [*(["--database-url", database_url] if database_url else []),
                 *(["--workers", str(workers), "--worker-metrics-port",
                    str(self.metrics_ports[0])] if workers else []),
                 *(["--worker-profile", str(profile)] if profile else [])]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "--keep-running", "--no-story",
             "--chain-port", str(self.ports["chain"]), "--broker-port",
             str(self.ports["broker"]), "--issuer-port", str(self.ports["issuer"]),
             "--issuer-metrics-port", str(self.ports["issuer_metrics"]),
             "--broker-metrics-port", str(self.ports["broker_metrics"]),
             "--run-dir", str(run_dir), *extra], cwd=ROOT, stdout=subprocess.PIPE,
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
        self.process.wait(120)

    def passes(self) -> tuple[float, float]:
        """Full worker passes so far and their summed seconds, over every worker."""
        urls = ([f"http://127.0.0.1:{p}/metrics" for p in self.metrics_ports] if self.workers
                else [f"http://127.0.0.1:{self.ports['issuer_metrics']}/metrics"])
        count = seconds = 0.0
        for url in urls:
            for family in text_string_to_metric_families(httpx.get(url, timeout=30).text):
                for sample in family.samples:
                    if sample.name == "issuer_worker_pass_seconds_count":
                        count += sample.value
                    elif sample.name == "issuer_worker_pass_seconds_sum":
                        seconds += sample.value
        return count, seconds

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
    _, busy_before = stack.passes()
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
    _, busy = stack.passes()
    return {"n": n, "request_s": requested, "total_s": total, "days": days,
            "per_minute": n / total * 60, "worker_s": busy - busy_before}


def pass_rate(stack: Stack, seconds: float) -> float:
    """Full worker passes per second (all workers together) over ``seconds``."""
    before, _ = stack.passes()
    time.sleep(seconds)
    after, _ = stack.passes()
    return (after - before) / seconds


def latency_under_load(stack: Stack, kind: str, concurrency: int,
                       seconds: float) -> dict[str, float]:
    """``latency`` while measuring the workers' pass rate over the same seconds."""
    rate: dict[str, float] = {}
    probe = threading.Thread(target=lambda: rate.update(
        during=pass_rate(stack, max(1.0, seconds - 1))))
    probe.start()
    result = latency(stack, kind, concurrency, seconds)
    probe.join()
    return {**result, "passes_per_s": rate.get("during", 0.0)}


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


SETUPS = {"sqlite": (None, 0), "pg-1": ("postgresql", 1), "pg-2": ("postgresql", 2),
          # pg-1 again under cProfile (which slows it): only for where the time goes
          "profile": ("postgresql", 1)}
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


def postgres_database() -> str:
    """A fresh ``bench`` database on the local PostgreSQL server."""
    admin = sqlalchemy.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                     isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP DATABASE IF EXISTS bench WITH (FORCE)")
        conn.exec_driver_sql("CREATE DATABASE bench")
    admin.dispose()
    return POSTGRES_URL


def run_setup(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    database, workers = SETUPS[name]
    url = postgres_database() if database == "postgresql" else None
    profile = tmp / f"{name}-profile" if name == "profile" else None
    if profile is not None:
        profile.mkdir()
    stack = Stack(tmp / name, database_url=url, workers=workers, profile=profile)
    out: dict[str, object] = {}
    if profile is not None:
        try:
            out["runs"] = [lifecycle(stack, args.profile_size)]
        finally:
            stack.stop()
        out["profile"] = where_time_goes(profile / "worker-1.prof")
        out["top"] = top_issuer_calls(profile / "worker-1.prof")
        return out
    try:
        out["runs"] = [lifecycle(stack, int(n)) for n in args.sizes.split(",")]
        out["idle_passes_per_s"] = pass_rate(stack, 5)
        out["read"] = latency_under_load(stack, "read", args.concurrency, args.seconds)
        out["write"] = latency_under_load(stack, "write", args.concurrency, args.seconds)
        while open_ := stack.open_creations():   # the writes' creations, finished
            if stack.count("filled") == open_:
                stack.next_day()
            time.sleep(0.2)
        if name == "sqlite":
            out["index"] = indexer_rate(stack)
    finally:
        stack.stop()
    return out


#: Where a worker's time goes: cumulative time of the calls that leave the process (they do
#: not nest in one another), the rest is the issuer's own Python.
BUCKETS = (
    ("broker HTTP calls", ("broker_http.py", "_send")),
    ("chain JSON-RPC calls", ("web3/providers/rpc/rpc.py", "make_request")),
    ("chain JSON-RPC batches", ("web3/providers/rpc/rpc.py", "make_batch_request")),
    ("database statements", ("sqlalchemy/engine/base.py", "_execute_context")),
    ("database commits", ("sqlalchemy/engine/base.py", "_commit_impl")),
    ("waiting between passes", ("issuer/leases.py", "wait")),
)


def where_time_goes(path: Path) -> list[tuple[str, float]]:
    stats = pstats.Stats(str(path))
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    found = []
    for label, (file_part, function) in BUCKETS:
        cumulative = sum(entry[3] for (file, _line, name), entry in
                         stats.stats.items()  # type: ignore[attr-defined]
                         if name == function and file.endswith(file_part))
        found.append((label, cumulative))
    rest = total - sum(seconds for _, seconds in found)
    return [*found, ("the issuer's own Python and the rest", rest), ("total", total)]


def top_issuer_calls(path: Path, count: int = 12) -> list[tuple[str, int, float]]:
    """The issuer's functions with the most cumulative time (calls, seconds)."""
    stats = pstats.Stats(str(path))
    rows = [(f"{file.split('/issuer/', 1)[1]}:{name}", entry[1], entry[3])
            for (file, _line, name), entry in stats.stats.items()  # type: ignore[attr-defined]
            if "/issuer/" in file and "/site-packages/" not in file
            and name not in ("run", "run_once", "_pass", "main", "run_worker", "<module>")]
    return sorted(rows, key=lambda r: -r[2])[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--setups", default="sqlite,pg-1,pg-2,profile")
    parser.add_argument("--profile-size", type=int, default=300,
                        help="creations in the profiled run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    names = [n for n in args.setups.split(",") if n]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            results[name] = run_setup(name, args, Path(tmp))
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, dict]) -> None:
    cpu = platform.processor() or platform.machine()
    names = [n for n in results if n != "profile"]
    width = 12
    print(f"\nThe stack on this machine ({os.cpu_count()} CPUs, {cpu}, Python "
          f"{platform.python_version()}; anvil, broker, issuer and PostgreSQL on loopback)")
    print("  sqlite: API + worker thread in one process, SQLite;  pg-1 / pg-2: the API and 1 / "
          "2 worker processes, PostgreSQL")
    print("\nCash creations of 1 AAPL, API request to minted (the simulated clock moved a day "
          "whenever all wait for settlement)")
    print(f"{'':<34}" + "".join(f"{n:>{width}}" for n in names))
    sizes = [r["n"] for r in results[names[0]]["runs"]]
    for i in range(len(sizes)):
        rows = [("creations", lambda r: f"{r['n']}"),
                ("requests sent (s)", lambda r: f"{r['request_s']:.1f}"),
                ("end to end (s)", lambda r: f"{r['total_s']:.1f}"),
                ("worker time, passes summed (s)", lambda r: f"{r['worker_s']:.1f}"),
                ("broker days", lambda r: f"{r['days']}"),
                ("per minute, end to end", lambda r: f"{r['per_minute']:.0f}")]
        for label, cell in rows:
            print(f"{label:<34}" + "".join(f"{cell(results[n]['runs'][i]):>{width}}"
                                           for n in names))
        if i < len(sizes) - 1:
            print()
    print(f"\nIssuer API with {args.concurrency} requests in flight from another process for "
          f"{args.seconds:g} s, the workers running")
    print(f"{'':<34}" + "".join(f"{n:>{width}}" for n in names))
    for kind, label in (("read", "GET /v1/creations?limit=20"), ("write", "POST /v1/creations")):
        for field, name, fmt in (("per_second", "per s", "{:.0f}"), ("p50_ms", "p50 ms",
                                                                         "{:.1f}"),
                                 ("p99_ms", "p99 ms", "{:.1f}"), ("errors", "errors", "{}")):
            print(f"{(label + ' ' + name):<34}" + "".join(
                f"{fmt.format(results[n][kind][field]):>{width}}" for n in names))
    print(f"{'worker passes/s, idle':<34}" + "".join(
        f"{results[n]['idle_passes_per_s']:>{width}.2f}" for n in names))
    print(f"{'worker passes/s, during reads':<34}" + "".join(
        f"{results[n]['read']['passes_per_s']:>{width}.2f}" for n in names))
    for name in results:
        if "profile" in results[name]:
            run = results[name]["runs"][0]
            print(f"\nWhere a worker's time goes: 1 worker on PostgreSQL under cProfile, "
                  f"{run['n']} creations ({run['total_s']:.1f} s end to end, slowed by the "
                  "profiler), its whole life")
            total = results[name]["profile"][-1][1]
            for label, seconds in results[name]["profile"]:
                print(f"  {label:<40} {seconds:>8.1f} s {100 * seconds / total:>5.1f} %")
            print("  the issuer's calls with the most time (cumulative, nested in one another):")
            for label, calls, seconds in results[name]["top"]:
                print(f"    {label:<52} {calls:>7} calls {seconds:>7.1f} s")
    for name in names:
        if "index" in results[name]:
            index = results[name]["index"]
            print(f"\nIndexer: {index['events']} Transfer events over {index['blocks']} blocks "
                  f"in {index['seconds']:.2f} s = {index['per_second']:.0f} events/s (fresh "
                  "SQLite)")


if __name__ == "__main__":
    main()
