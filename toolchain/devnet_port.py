"""``DEVNET_PORT``: the port of brownie's ``development`` network (a local anvil), 8545 unless
set, so that two runs (the tests on SQLite and on PostgreSQL, a script beside the tests) can
each have their own devnet.

Loaded as a pytest plugin (``-p toolchain.devnet_port`` in pyproject.toml): brownie's plugin
connects, launching anvil, once collection is done, so the port is set just before.
"""

from __future__ import annotations

import os

import pytest


def use_devnet_port() -> None:
    """Point the ``development`` network at ``DEVNET_PORT`` when it is set."""
    if port := os.environ.get("DEVNET_PORT"):
        from brownie._config import CONFIG

        CONFIG.networks["development"]["cmd_settings"]["port"] = int(port)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems() -> None:
    use_devnet_port()
