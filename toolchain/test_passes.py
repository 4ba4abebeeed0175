"""The passes of ``make test``, at the same time: the contracts on anvil; every other test on
the SQLite default; the issuer's tests again on PostgreSQL (127.0.0.1:5432); and, once the
contracts pass is done, schemathesis against both services' OpenAPI documents
(``toolchain/schemathesis_check.py``, on ports of its own). Each pytest pass has two xdist
workers, and each worker its own anvil (ports from 8545, 8570 and 8600, ``DEVNET_PORT``, so they
never meet). The contracts have a session of their own: brownie's ``module_isolation`` resets the
chain to its start for each contracts module, under the issuer tests' deployment snapshot. The
SQLite pass prints as it goes; the other passes' output is kept in ``.test-logs/`` and printed
when they end. Fails when any pass fails.

schemathesis is bounded by time, not by cases: beside the pytest passes it runs as long as it
would alone and tries fewer cases (each part prints how many). Started after the contracts pass,
it overlaps the longest pytest passes instead of adding its own minutes after them.

The contracts are compiled before (``make build``), and brownie's project loads one at a time
(``toolchain/offline_solc.py``), so no pass reads a build folder another is writing.

Usage: ``.venv/bin/python toolchain/test_passes.py [--schemathesis-max-time S] [pytest
arguments for every pass]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".test-logs"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]


def _start(name: str, command: list[str], env: dict[str, str],
           outs: list[IO[str]]) -> subprocess.Popen[str]:
    out = (LOGS / f"{name}.log").open("w")
    outs.append(out)
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out,
                            stderr=subprocess.STDOUT, text=True)


def main(argv: list[str]) -> int:
    schemathesis_time = None
    if argv[:1] == ["--schemathesis-max-time"]:
        schemathesis_time, argv = argv[1], argv[2:]
    LOGS.mkdir(exist_ok=True)
    start = time.monotonic()
    outs: list[IO[str]] = []
    running = {
        "contracts": _start("contracts", [*PYTEST, *argv, "tests/contracts"],
                            {"DEVNET_PORT": "8570"}, outs),
        "postgresql": _start("postgresql", [*PYTEST, *argv, "tests/issuer", "tests/integration"],
                             {"ISSUER_TEST_DATABASE": "postgresql", "DEVNET_PORT": "8600"}, outs),
    }
    codes: dict[str, int] = {}
    seconds: dict[str, float] = {}

    def after_contracts() -> None:
        # the contracts pass is the shortest; schemathesis takes its place on the CPUs
        codes["contracts"] = running["contracts"].wait()
        seconds["contracts"] = time.monotonic() - start
        if schemathesis_time is not None:
            running["schemathesis"] = _start(
                "schemathesis", [sys.executable, "toolchain/schemathesis_check.py",
                                 "--max-time", schemathesis_time], {}, outs)

    waiter = threading.Thread(target=after_contracts)
    waiter.start()
    print("== SQLite pass (every test but the contracts), with the contracts pass, the "
          "PostgreSQL pass and then schemathesis running beside it", flush=True)
    codes["sqlite"] = subprocess.run([*PYTEST, *argv, "--ignore=tests/contracts"], cwd=ROOT,
                                     check=False).returncode
    seconds["sqlite"] = time.monotonic() - start
    waiter.join()
    for name, process in running.items():
        if name not in codes:
            codes[name] = process.wait()
            seconds[name] = time.monotonic() - start
    for out in outs:
        out.close()
    for name in running:
        print(f"== {name} pass, from {LOGS / f'{name}.log'}:", flush=True)
        sys.stdout.write((LOGS / f"{name}.log").read_text())
    print("== " + "; ".join(f"{name}: exit {codes[name]} after {seconds[name]:.0f} s"
                            for name in codes) + " (from the start of the passes)")
    return 0 if not any(codes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
