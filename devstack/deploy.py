"""Brownie script run by :mod:`devstack.up`: deploy the suite with AAPL and NVDA on the running
devnet and write the manifest into ``$DEVSTACK_DIR`` (``python -m toolchain.run devstack.deploy``).
"""

from __future__ import annotations

import os
from pathlib import Path

from brownie import accounts

from deploy.deploy_suite import DEFAULT_STOCKS, VERIFICATION_CACHE_AGE
from deploy.suite import Roles, deploy_suite


def main() -> None:
    suite = deploy_suite(Roles.from_accounts(accounts),
                         verification_cache_age=VERIFICATION_CACHE_AGE)
    for cfg in DEFAULT_STOCKS:
        suite.list_stock(cfg)
    path = suite.write_manifest(Path(os.environ["DEVSTACK_DIR"]))
    print(f"manifest {path}")
