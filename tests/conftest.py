"""The test layers, marked from what each test needs (``make test-fast`` runs the first):

- ``unit``: no chain, no service: the issuer's logic against its in-memory fake broker, pure
  arithmetic, settings, schemas (seconds);
- ``chain``: the contracts on anvil (brownie), no service (``make test-contracts``);
- ``stack``: services over HTTP: the mock broker, the issuer against anvil and the broker, the
  devstack as a process.

A test is ``stack`` when its fixtures reach the broker server (``broker_url``) or the deployed
suite the issuer uses (``deployed``), or it lives in ``tests/integration``; ``chain`` when it
lives in ``tests/contracts``; ``unit`` otherwise. ``make test`` runs all three.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

STACK_FIXTURES = {"broker_url", "deployed", "deployed_state"}
HERE = Path(__file__).resolve().parent

# Every property test shares two CPUs with anvils, services, PostgreSQL and the other passes
# (``make test``): how fast Hypothesis can generate data then says how loaded the machine is,
# not whether the property holds. The examples themselves are not cut: only the "too slow"
# health check is off (CI at 792acc1 failed a split property test on it: 6 examples in 1.93 s).
settings.register_profile("shared-cpus", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-cpus")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if path.is_relative_to(HERE / "contracts"):
            item.add_marker(pytest.mark.chain)
        elif path.is_relative_to(HERE / "integration") or STACK_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.stack)
        else:
            item.add_marker(pytest.mark.unit)
