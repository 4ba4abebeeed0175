"""Deploy the whole suite (shared registry + AAPL and NVDA) and write deployments/<chain-id>.json.

Devnet: ``python -m toolchain.run deploy.deploy_suite`` (brownie starts anvil).
Any RPC: add the network with ``brownie networks add`` and run with ``--network NAME``; every role
key then comes from the environment (OWNER_KEY, REGISTRAR_KEY, AGENT_KEY, CORPORATE_ACTIONS_KEY,
RESERVE_KEY, KYC_MANAGER_KEY, KYC_CLAIM_KEY), because anvil's unlocked accounts do not exist there.
"""

from __future__ import annotations

import dataclasses
import os

from brownie import accounts, network

from deploy.suite import DAY, ONE, Roles, StockConfig, deploy_suite

US, UK, DE, FR, IR, KP = 840, 826, 276, 250, 364, 408

#: How long the registry trusts a verification it cached (capped by each claim's expiry). A
#: revocation through the issuer refreshes the cache at once and identity or country changes
#: drop it, so this only bounds a revocation made behind the issuer's back; a day made every
#: first transfer after a weekend walk the claims again (213,343 gas instead of 127,198), and
#: the story spans three weeks of broker time (its tokenization redemption walked them at 7 days).
VERIFICATION_CACHE_AGE = 30 * DAY

DEFAULT_STOCKS = (
    StockConfig(
        "AAPL",
        "Apple Inc. tokenized share",
        blocked_countries=[IR, KP],
        max_shares_per_investor=1_000_000 * ONE,
        lock_period=0,
    ),
    StockConfig(
        "NVDA",
        "NVIDIA Corp. tokenized share",
        blocked_countries=[IR, KP],
        max_shares_per_investor=1_000_000 * ONE,
        lock_period=0,
    ),
)


def roles_for_network() -> Roles:
    if network.show_active() in ("development", "anvil"):
        return Roles.from_accounts(accounts)
    keys = {
        name: accounts.add(os.environ[var])
        for name, var in (
            ("owner", "OWNER_KEY"),
            ("registrar", "REGISTRAR_KEY"),
            ("agent", "AGENT_KEY"),
            ("corporate_actions", "CORPORATE_ACTIONS_KEY"),
            ("reserve", "RESERVE_KEY"),
            ("kyc_manager", "KYC_MANAGER_KEY"),
        )
    }
    return Roles(**keys, claim_key=os.environ["KYC_CLAIM_KEY"])


def main() -> None:
    suite = deploy_suite(roles_for_network(), verification_cache_age=VERIFICATION_CACHE_AGE)
    devnet = network.show_active() in ("development", "anvil")
    for cfg in DEFAULT_STOCKS:
        if not devnet:  # the owner's window to cancel a forward split: a day on a real chain
            cfg = dataclasses.replace(cfg, split_notice=DAY, min_notice=3600)
        token = suite.list_stock(cfg)
        print(f"listed {cfg.symbol} at {token.address}")
    path = suite.write_manifest()
    print(f"manifest written to {path}")
