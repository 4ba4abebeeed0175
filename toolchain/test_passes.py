"""The two pytest passes of ``make test``, at the same time: every test on the SQLite default,
and the issuer's tests again on PostgreSQL (127.0.0.1:5432). Each pass has two xdist workers,
and each worker its own anvil (the PostgreSQL pass's on ports from 8600, ``DEVNET_PORT``, so
the two never meet). The SQLite pass prints as it goes; the PostgreSQL pass's output is kept in
``.test-logs/postgresql.log`` and printed when it ends. Fails when either pass fails.

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


def main(extra: list[str]) -> int:
    logs = ROOT / ".test-logs"
    logs.mkdir(exist_ok=True)
    pg_log = logs / "postgresql.log"
    start = time.monotonic()
    env = {**os.environ, "ISSUER_TEST_DATABASE": "postgresql", "DEVNET_PORT": "8600"}
    with pg_log.open("w") as out:
        postgres = subprocess.Popen([*PYTEST, *extra, "tests/issuer", "tests/integration"],
                                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        print("== SQLite pass (every test), with the PostgreSQL pass running beside it",
              flush=True)
        sqlite = subprocess.run([*PYTEST, *extra], cwd=ROOT, check=False).returncode
        sqlite_s = time.monotonic() - start
        postgres_code = postgres.wait()
    postgres_s = time.monotonic() - start
    print(f"== PostgreSQL pass (tests/issuer, tests/integration), from {pg_log}:", flush=True)
    sys.stdout.write(pg_log.read_text())
    print(f"== SQLite pass: exit {sqlite} after {sqlite_s:.0f} s; PostgreSQL pass: exit "
          f"{postgres_code} after {postgres_s:.0f} s (both started together)")
    return 0 if sqlite == 0 and postgres_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
