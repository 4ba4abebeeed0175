"""Keep brownie's compiler selection offline.

Brownie asks py-solc-x for the list of *installable* solc versions (a request to
binaries.soliditylang.org) before it picks a compiler per pragma. Here no such request can
succeed, and every compiler we use is a solc-js bridge in ``SOLCX_BINARY_PATH`` (written by
``toolchain/setup.sh``). This module tells brownie that the installable versions are exactly the
installed ones, so the pragma of each file picks one of them and nothing is fetched.

It is loaded as a pytest plugin (``-p toolchain.offline_solc`` in pyproject.toml) so it runs
before brownie's own plugin loads the project, and imported by ``toolchain.build``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solc"))
_node_bin = str(ROOT / "node_modules" / ".bin")
if _node_bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _node_bin + os.pathsep + os.environ.get("PATH", "")

import solcx  # noqa: E402
from brownie.project.compiler import solidity  # noqa: E402

solidity.AVAILABLE_SOLC_VERSIONS = [
    solidity._as_version(v) for v in solcx.get_installed_solc_versions()
]
if not solidity.AVAILABLE_SOLC_VERSIONS:
    raise RuntimeError(
        f"No solc-js bridge in {os.environ['SOLCX_BINARY_PATH']}: run `make setup` first."
    )

# ``DEVNET_PORT`` moves brownie's ``development`` anvil off 8545 (under xdist each worker adds
# its number to it), so two test runs (the SQLite and PostgreSQL passes) can share a machine.
if _port := os.environ.get("DEVNET_PORT"):
    from brownie._config import CONFIG  # noqa: E402

    CONFIG.networks["development"]["cmd_settings"]["port"] = int(_port)

# Several pytest sessions at once (``make test`` runs its passes together, each with xdist
# workers) each load the project, and brownie's load rewrites build files (interfaces among
# them) that another process's load is reading: one load at a time, under a file lock.
import fcntl  # noqa: E402

from brownie import project as _project  # noqa: E402

_load = _project.load


def _load_one_at_a_time(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
    with (ROOT / ".brownie-load.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _load(*args, **kwargs)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_project.load = _load_one_at_a_time
