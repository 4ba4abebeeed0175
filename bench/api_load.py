"""Load generator for ``bench/stack.py``, run as its own process: keeps ``--concurrency``
requests in flight against the issuer API for ``--seconds`` and prints the latencies' summary
as JSON (count, per_second, p50_ms, p99_ms, errors)."""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--participant", required=True)
    parser.add_argument("--kind", choices=("read", "write"), required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + args.seconds

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=args.url, headers={"X-API-Key": args.key},
                          timeout=30) as http:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                if args.kind == "read":
                    response = http.get("/v1/creations", params={"limit": 20})
                else:
                    response = http.post("/v1/creations", json={
                        "participant_id": args.participant, "symbol": "AAPL", "qty": "1"},
                        headers={"Idempotency-Key": str(uuid.uuid4())})
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    errors += response.status_code >= 400

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    print(json.dumps({"count": len(latencies), "per_second": len(latencies) / wall,
                      "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000,
                      "errors": errors}))


if __name__ == "__main__":
    main()
