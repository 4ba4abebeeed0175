"""Fixtures: one suite deployed per test module on brownie's anvil, reverted after each test."""

from __future__ import annotations

import pytest
from brownie import accounts

from deploy.suite import ONE, Roles, StockConfig, deploy_suite

US, UK, DE, IR = 840, 826, 276, 364


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the module's deployed state."""


@pytest.fixture(scope="module")
def roles():
    return Roles.from_accounts(accounts)


@pytest.fixture(scope="module")
def suite(roles):
    s = deploy_suite(roles)
    s.list_stock(StockConfig("AAPL", "Apple Inc. tokenized share", blocked_countries=[IR]))
    return s


@pytest.fixture(scope="module")
def token(suite):
    return suite.stocks["AAPL"][0]


@pytest.fixture(scope="module")
def compliance(suite):
    return suite.stocks["AAPL"][1]


@pytest.fixture(scope="module")
def registry(suite):
    return suite.registry


@pytest.fixture(scope="module")
def alice(suite):
    suite.onboard(accounts[6], US)
    return accounts[6]


@pytest.fixture(scope="module")
def bob(suite):
    suite.onboard(accounts[7], UK)
    return accounts[7]


@pytest.fixture(scope="module")
def stranger():
    """A wallet with no identity."""
    return accounts[9]


@pytest.fixture(scope="module")
def funded(suite, token, alice, bob, roles):
    """Alice holds 100 shares, Bob 50, backed by 1,000 settled shares."""
    suite.attest("AAPL", 1_000 * ONE)
    token.mint(alice, 100 * ONE, {"from": roles.agent})
    token.mint(bob, 50 * ONE, {"from": roles.agent})
    return token


def fails_with(error: str):
    """Expect a revert with the custom error `error` (brownie renders it 'Name: args')."""
    from brownie import reverts

    return reverts(revert_pattern=rf"{error}(: .*)?")


def ints(values) -> tuple:
    """A brownie return value as plain Python values (addresses and flags stay as they are)."""
    return tuple(int(v) if isinstance(v, int) else v for v in values)
