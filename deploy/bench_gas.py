"""`make bench`: gas of each token operation, measured in one run on anvil, next to a plain
OpenZeppelin ERC-20 transfer. Figures are printed, never asserted."""

from __future__ import annotations

from brownie import PlainERC20, accounts, chain

from deploy.code_size import code_sizes, table
from deploy.deploy_suite import DEFAULT_STOCKS
from deploy.suite import ONE, Roles, StockConfig, deploy_suite

US, IR = 840, 364
ZERO_REF = "0x" + "00" * 32


def main() -> None:
    roles = Roles.from_accounts(accounts)
    suite = deploy_suite(roles)
    bare = suite.list_stock(StockConfig("BARE", "No-module stock"))
    two = suite.list_stock(
        StockConfig(
            "TWO", "Two-module stock", blocked_countries=[IR], max_shares_per_investor=10**9 * ONE
        )
    )
    countries = suite.list_stock(
        StockConfig("GEO", "Country-rule stock", allowed_countries=[US], blocked_countries=[IR])
    )
    alice, bob, carol, spare = accounts[6], accounts[7], accounts[8], accounts[9]
    for wallet in (alice, bob, carol):
        suite.onboard(wallet, US)
    for symbol in ("BARE", "TWO", "GEO"):
        suite.attest(symbol, 10**9 * ONE)

    rows: list[tuple[str, int]] = []

    def measure(label: str, tx) -> None:
        rows.append((label, tx.gas_used))

    plain = PlainERC20.deploy(alice, 1_000 * ONE, {"from": alice})
    plain.transfer(bob, ONE, {"from": alice})
    measure(
        "plain OpenZeppelin ERC-20 transfer (baseline)", plain.transfer(bob, ONE, {"from": alice})
    )
    measure("plain ERC-20 transfer, new holder", plain.transfer(carol, ONE, {"from": alice}))

    measure("mint, new holder (two modules)", two.mint(alice, 100 * ONE, {"from": roles.agent}))
    measure(
        "mint, existing holder (two modules)", two.mint(alice, 100 * ONE, {"from": roles.agent})
    )
    bare.mint(alice, 100 * ONE, {"from": roles.agent})
    bare.mint(bob, ONE, {"from": roles.agent})
    two.mint(bob, ONE, {"from": roles.agent})
    countries.mint(alice, 100 * ONE, {"from": roles.agent})
    countries.mint(bob, ONE, {"from": roles.agent})
    measure("transfer, verified holders, no module", bare.transfer(bob, ONE, {"from": alice}))
    measure(
        "transfer, two modules (country allow + block)",
        countries.transfer(bob, ONE, {"from": alice}),
    )
    measure(
        "transfer, two modules (country block + max balance)",
        two.transfer(bob, ONE, {"from": alice}),
    )

    # the listing `make up` deploys (country block, max shares per investor, holding period off)
    deployed = suite.list_stock(DEFAULT_STOCKS[0])
    suite.attest(deployed.symbol(), 10**9 * ONE)
    deployed.mint(alice, 100 * ONE, {"from": roles.agent})
    measure(
        "transfer, deployed listing (AAPL), new holder",
        deployed.transfer(bob, ONE, {"from": alice}),
    )
    measure(
        "transfer, deployed listing (AAPL), existing holder",
        deployed.transfer(bob, ONE, {"from": alice}),
    )

    identity = suite.registry.identity(alice)
    wallets = [f"0x{i:040x}" for i in range(0x10000, 0x10000 + 1_010)]
    for start in range(0, len(wallets), 100):
        chunk = wallets[start : start + 100]
        suite.registry.batchRegisterIdentity(
            chunk, [identity] * len(chunk), [US] * len(chunk), {"from": roles.registrar}
        )
    measure(
        "batchMint of 10 new holders (two modules)",
        two.batchMint(wallets[:10], [ONE] * 10, {"from": roles.agent}),
    )
    measure("setAddressFrozen", two.setAddressFrozen(carol, True, {"from": roles.agent}))
    measure("freezePartialTokens", two.freezePartialTokens(alice, ONE, {"from": roles.agent}))
    measure(
        "forcedTransfer (two modules)", two.forcedTransfer(alice, bob, ONE, {"from": roles.agent})
    )
    suite.onboard(spare, US, identity=identity)
    measure("recoveryAddress", two.recoveryAddress(alice, spare, identity, {"from": roles.agent}))

    # split gas on a token with 10 holders and on one with 1,000 holders
    ten = suite.list_stock(StockConfig("TEN", "Ten holders"))
    thousand = suite.list_stock(StockConfig("THOU", "Thousand holders"))
    for symbol in ("TEN", "THOU"):
        suite.attest(symbol, 10**9 * ONE)
    ten.batchMint(wallets[:10], [ONE] * 10, {"from": roles.agent})
    for start in range(10, 1_010, 100):
        thousand.batchMint(wallets[start : start + 100], [ONE] * 100, {"from": roles.agent})
    at = chain[-1].timestamp + ten.multiplierBounds()[4] + 3600  # after the split notice
    measure(
        "multiplier schedule (2-for-1 split), 10 holders",
        ten.scheduleMultiplier(ONE, 2 * ONE, at, 2, ZERO_REF, 1, {"from": roles.corporate_actions}),
    )
    measure(
        "multiplier schedule (2-for-1 split), 1,000 holders",
        thousand.scheduleMultiplier(
            ONE, 2 * ONE, at, 2, ZERO_REF, 1, {"from": roles.corporate_actions}
        ),
    )

    baseline = rows[0][1]
    print("\nGas per operation (anvil, solc 0.8.28, optimizer 200 runs)")
    print(f"{'operation':<52} {'gas':>9} {'x ERC-20':>9}")
    for label, gas in rows:
        print(f"{label:<52} {gas:>9,} {gas / baseline:>9.2f}")
    cached = suite.registry.isVerified.estimate_gas(bob)
    live = suite.registry.isVerifiedLive.estimate_gas(bob)
    print(
        f"\nidentity check: cached {cached:,} gas, full claim walk {live:,} gas (eth_estimateGas)"
    )
    print("\nRuntime code size (EIP-170 limit 24,576 bytes)")
    print(table(code_sizes()))
