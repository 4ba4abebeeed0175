"""The pytest passes of ``make test``, at the same time: the contracts on anvil; every other
test on the SQLite default; on PostgreSQL (127.0.0.1:5432) again the tests whose outcome the
database can change (:data:`ON_POSTGRESQL`: the whole stack, concurrency and claims, crashes
and restarts, migrations, exact amounts in its column types, unique keys under races, and the
corporate actions' golden tests), not every issuer test twice; and, beside them once the
contracts are done, the OpenAPI conformance check (schemathesis). The worker-process kill
matrix runs on PostgreSQL only (:data:`ONLY_ON_POSTGRESQL`). Each pass
has two xdist workers, and each worker its own anvil (ports from 8545, 8570 and 8600,
``DEVNET_PORT``, so they never meet). The contracts have a session of their own: brownie's
``module_isolation`` resets the chain to its start for each contracts module, under the issuer
tests' deployment snapshot. The SQLite pass prints as it goes; the other two passes' output is
kept in ``.test-logs/`` and printed when they end. Fails when any of them fails.

The contracts are compiled before (``make build``), so neither pass's brownie writes the build
folder the other reads.

Usage: ``.venv/bin/python toolchain/test_passes.py [pytest arguments for every pass]`` (with
arguments, no conformance check).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Each pass lists its 15 slowest tests at the end (where the next minutes are to be won).
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
          "--durations=15"]

#: What runs again on PostgreSQL. The integration tests first: the longest ones (each brings
#: a whole stack up) start while the other passes still share the CPUs, not at the end as this
#: pass's tail. Left to the SQLite pass: the fast layer over fakes, pure arithmetic, the broker
#: port against the mock, the broker's faults, the tokenization network and votes (their
#: races are the concurrency tests'), API shapes, logs, metrics and pages, whose queries are
#: the same ORM statements on either database.
ON_POSTGRESQL = [
    # the whole stack on PostgreSQL, its API and worker processes (the console's pages are
    # the same queries: once, on SQLite)
    "tests/integration/test_devstack.py",
    *(f"tests/issuer/test_{name}.py" for name in (
        # many workers, leases and claims (SKIP LOCKED), compare-and-set decisions, the outbox
        "concurrency", "workers", "dual_control", "outbox",
        # a worker process killed between steps, and a fresh one finishing
        "restart",
        # the schema's migrations, and inputs at the limits of its column types
        "schema", "inputs", "api_fuzz", "reconcile_exact",
        # the corporate actions' golden tests (their kill tests included)
        "corporate_actions", "cash_mergers", "stock_mergers", "spin_offs", "delistings")),
    # unique keys under races, and crashes, of the tokenization network and the votes
    "tests/issuer/test_itn.py::test_concurrent_first_mint_requests_of_one_id_store_one_and_"
    "never_answer_500",
    "tests/issuer/test_itn.py::test_a_request_delivered_twice_and_an_issuer_down_for_a_while_"
    "mint_once",
    "tests/issuer/test_voting.py::test_concurrent_ballots_of_one_holder_leave_exactly_one_"
    "counted",
    "tests/issuer/test_voting.py::test_killed_between_tally_and_instruction_sends_one_"
    "instruction",
]


#: Left out of the SQLite pass: the worker-process kill matrix of creations and redemptions
#: (a worker killed at each of 16 points, 15-34 s each) runs on PostgreSQL, the database the
#: workers scale on; on SQLite the fast layer's crash tests and every corporate action's kill
#: tests still run.
ONLY_ON_POSTGRESQL = ["--ignore=tests/issuer/test_restart.py"]

#: The API conformance check (:mod:`toolchain.schemathesis_check`): its parts run for a fixed
#: time each, so it runs beside the two long passes once the contracts pass is done (three
#: things at a time on the CPUs, never four), not after them. Sharing the CPUs it generates
#: fewer cases a second than alone, so it gets 240 s instead of the 150 it had after the
#: passes: it still ends before the SQLite pass does.
SCHEMATHESIS = [sys.executable, "toolchain/schemathesis_check.py", "--max-time", "240"]


def main(extra: list[str]) -> int:
    """Every pass (and, for a whole run without pytest arguments, the conformance check); the
    exit code is 1 when any of them fails."""
    logs = ROOT / ".test-logs"
    logs.mkdir(exist_ok=True)
    start = time.monotonic()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    outs = []

    def launch(name: str, command: list[str], env: dict[str, str] | None = None,
               live: bool = False) -> None:
        out = None if live else (logs / f"{name}.log").open("w")
        if out is not None:
            outs.append(out)
        processes[name] = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                           stdout=out, stderr=subprocess.STDOUT if out else None)

    launch("contracts", [*PYTEST, *extra, "tests/contracts"], {"DEVNET_PORT": "8570"})
    launch("postgresql", [*PYTEST, *extra, *ON_POSTGRESQL],
           {"ISSUER_TEST_DATABASE": "postgresql", "DEVNET_PORT": "8600"})
    print("== SQLite pass (every test but the contracts), with the contracts pass and the "
          "PostgreSQL pass running beside it" + ("" if extra else ", then the OpenAPI "
                                                  "conformance check once the contracts end"),
          flush=True)
    launch("sqlite", [*PYTEST, *extra, "--ignore=tests/contracts", *ONLY_ON_POSTGRESQL],
           live=True)
    codes: dict[str, int] = {}
    seconds: dict[str, float] = {}
    while len(codes) < len(processes):
        for name, process in processes.items():
            if name not in codes and (code := process.poll()) is not None:
                codes[name], seconds[name] = code, time.monotonic() - start
        if not extra and "contracts" in codes and "schemathesis" not in processes:
            launch("schemathesis", SCHEMATHESIS)
        time.sleep(0.5)
    for out in outs:
        out.close()
    for name in processes:
        if name != "sqlite":
            print(f"== {name}, from {logs / f'{name}.log'}:", flush=True)
            sys.stdout.write((logs / f"{name}.log").read_text())
    print("== " + "; ".join(f"{name}: exit {codes[name]} after {seconds[name]:.0f} s"
                            for name in processes) + " (from the start of the passes)")
    return 0 if not any(codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
