"""The pytest passes of ``make test``, at the same time: the contracts on anvil; every other
test on the SQLite default; on PostgreSQL (127.0.0.1:5432) again the tests whose outcome the
database can change (:data:`ON_POSTGRESQL`: the whole stack, concurrency and claims, crashes
and restarts, migrations, exact amounts in its column types, unique keys under races, and the
corporate actions' golden tests), not every issuer test twice. Each pass
has two xdist workers, and each worker its own anvil (ports from 8545, 8570 and 8600,
``DEVNET_PORT``, so they never meet). The contracts have a session of their own: brownie's
``module_isolation`` resets the chain to its start for each contracts module, under the issuer
tests' deployment snapshot. The SQLite pass prints as it goes; the other two passes' output is
kept in ``.test-logs/`` and printed when they end. Fails when any pass fails.

The contracts are compiled before (``make build``), so neither pass's brownie writes the build
folder the other reads.

Usage: ``.venv/bin/python toolchain/test_passes.py [pytest arguments for both passes]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]

#: What runs again on PostgreSQL. The integration tests first: the longest ones (each brings
#: a whole stack up) start while the other passes still share the CPUs, not at the end as this
#: pass's tail. Left to the SQLite pass: the fast layer over fakes, pure arithmetic, the broker
#: port against the mock, API shapes, logs, metrics and pages, whose queries are the same
#: ORM statements on either database.
ON_POSTGRESQL = [
    "tests/integration",
    *(f"tests/issuer/test_{name}.py" for name in (
        # many workers, leases and claims (SKIP LOCKED), compare-and-set decisions
        "concurrency", "workers", "dual_control", "outbox",
        # crashes between steps and restarts, the fault matrix
        "restart", "fault_matrix", "reserve_retry",
        # the schema's migrations, and inputs at the limits of its column types
        "schema", "inputs", "api_fuzz", "reconcile_exact",
        # unique keys under races: tokenization requests, ballots, the index
        "itn", "voting", "indexer",
        # the corporate actions' golden tests
        "corporate_actions", "cash_mergers", "stock_mergers", "spin_offs", "delistings",
        "stablecoin_dividends", "entitlement")),
]


def main(extra: list[str]) -> int:
    logs = ROOT / ".test-logs"
    logs.mkdir(exist_ok=True)
    start = time.monotonic()
    beside = {
        "contracts": ({"DEVNET_PORT": "8570"}, ["tests/contracts"]),
        "postgresql": ({"ISSUER_TEST_DATABASE": "postgresql", "DEVNET_PORT": "8600"},
                       ON_POSTGRESQL),
    }
    running, outs = {}, []
    for name, (env, paths) in beside.items():
        out = (logs / f"{name}.log").open("w")
        outs.append(out)
        running[name] = subprocess.Popen([*PYTEST, *extra, *paths], cwd=ROOT,
                                         env={**os.environ, **env}, stdout=out,
                                         stderr=subprocess.STDOUT)
    print("== SQLite pass (every test but the contracts), with the contracts pass and the "
          "PostgreSQL pass running beside it", flush=True)
    codes = {"sqlite": subprocess.run([*PYTEST, *extra, "--ignore=tests/contracts"], cwd=ROOT,
                                      check=False).returncode}
    seconds = {"sqlite": time.monotonic() - start}
    for name, process in running.items():
        codes[name] = process.wait()
        seconds[name] = time.monotonic() - start
    for out in outs:
        out.close()
    for name in running:
        print(f"== {name} pass, from {logs / f'{name}.log'}:", flush=True)
        sys.stdout.write((logs / f"{name}.log").read_text())
    print("== " + "; ".join(f"{name} pass: exit {codes[name]} after {seconds[name]:.0f} s"
                            for name in codes) + " (all started together)")
    return 0 if not any(codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
