"""`make bench`: where a transfer's gas goes, call by call, from the node's own trace.

For each operation it prints the call tree (`debug_traceTransaction` with the call tracer: the
gas each call used, inclusive, and what it used itself) and the storage slots each contract
touched and changed (the prestate tracer).
Figures are printed, never asserted. Run with ``python -m toolchain.run deploy.gas_breakdown``.
"""

from __future__ import annotations

from typing import Any

from brownie import PlainERC20, accounts, chain, web3

from deploy.deploy_suite import DEFAULT_STOCKS
from deploy.suite import ONE, Roles, StockConfig, deploy_suite

US, IR = 840, 364


def _names(suite: Any) -> dict[str, str]:
    names = {suite.registry.address.lower(): "IdentityRegistry",
             suite.storage.address.lower(): "IdentityRegistryStorage"}
    for name, module in suite.modules.items():
        names[module.address.lower()] = name
    for name, lib in suite.libraries.items():
        names[lib.address.lower()] = name
    for symbol, (token, compliance) in suite.stocks.items():
        names[token.address.lower()] = f"StockToken {symbol}"
        names[compliance.address.lower()] = f"Compliance {symbol}"
    return names


def call_tree(tx_hash: str, names: dict[str, str]) -> list[str]:
    trace = web3.provider.make_request(
        "debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])["result"]
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        used = int(node["gasUsed"], 16)
        children = node.get("calls", [])
        own = used - sum(int(c["gasUsed"], 16) for c in children)
        to = node.get("to", "").lower()
        selector = node.get("input", "0x")[:10]
        lines.append(f"{'  ' * depth}{node['type']:<12} {names.get(to, to)[:34]:<34} "
                     f"{selector:<10} {used:>8,} (own {own:,})")
        for child in children:
            walk(child, depth + 1)

    walk(trace, 0)
    return lines


def storage_use(tx_hash: str, names: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Storage slots each contract touched (read or written) and changed, from the prestate
    tracer (a cold slot costs 2,100 to read; a changed one 2,900 more, 20,000 from zero)."""
    def trace(diff: bool) -> dict[str, Any]:
        return web3.provider.make_request("debug_traceTransaction", [
            tx_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": diff}}])["result"]

    touched = trace(False)
    changed = trace(True).get("post", {})
    use = {}
    for address, state in touched.items():
        name = names.get(address.lower())
        if name is None:
            continue
        use[name] = (len(state.get("storage", {})),
                     len(changed.get(address, {}).get("storage", {})))
    return use


def report(label: str, tx: Any, names: dict[str, str], baseline: int) -> None:
    print(f"\n== {label}: {tx.gas_used:,} gas ({tx.gas_used / baseline:.2f}x ERC-20)")
    print("   calls (gas used, inclusive; own = without the calls it made):")
    for line in call_tree(tx.txid, names):
        print("   " + line)
    print("   storage slots touched / changed, by the contract whose storage they are:")
    for who, (touched, changed) in storage_use(tx.txid, names).items():
        print(f"   {who[:34]:<34} {touched:>3} touched {changed:>3} changed")


def main() -> None:
    roles = Roles.from_accounts(accounts)
    suite = deploy_suite(roles)
    bare = suite.list_stock(StockConfig("BARE", "No-module stock"))
    countries = suite.list_stock(
        StockConfig("GEO", "Country-rule stock", allowed_countries=[US], blocked_countries=[IR]))
    two = suite.list_stock(StockConfig("TWO", "Two-module stock", blocked_countries=[IR],
                                       max_shares_per_investor=10**9 * ONE))
    deployed = suite.list_stock(DEFAULT_STOCKS[0])  # the devstack's AAPL listing
    alice, bob, carol, spare = accounts[6], accounts[7], accounts[8], accounts[9]
    for wallet in (alice, bob, carol):
        suite.onboard(wallet, US)
    for symbol in ("BARE", "GEO", "TWO", deployed.symbol()):
        suite.attest(symbol, 10**9 * ONE)
    names = _names(suite)

    plain = PlainERC20.deploy(alice, 1_000 * ONE, {"from": alice})
    baseline_new = plain.transfer(carol, ONE, {"from": alice}).gas_used  # carol's first tokens
    baseline = plain.transfer(carol, ONE, {"from": alice}).gas_used
    print(f"plain ERC-20 transfer: existing holder {baseline:,} gas, new holder "
          f"{baseline_new:,} gas")
    for token in (bare, countries, two, deployed):
        token.mint(alice, 100 * ONE, {"from": roles.agent})
        token.mint(bob, ONE, {"from": roles.agent})

    report("transfer, no module, existing holder", bare.transfer(bob, ONE, {"from": alice}),
           names, baseline)
    report("transfer, country allow + block, existing holder",
           countries.transfer(bob, ONE, {"from": alice}), names, baseline)
    report("transfer, country block + max balance, existing holder",
           two.transfer(bob, ONE, {"from": alice}), names, baseline)
    report("transfer, deployed listing (AAPL), new holder",
           deployed.transfer(carol, ONE, {"from": alice}), names, baseline_new)
    report("transfer, deployed listing (AAPL), existing holder",
           deployed.transfer(bob, ONE, {"from": alice}), names, baseline)
    # what `make up`'s story paid (213,343): the receiver's cached verification had expired
    # (the story crosses days; the cache lives `maxCacheAge`), so the registry walked the claims
    chain.sleep(suite.registry.maxCacheAge() + 1)
    chain.mine()
    suite.attest(deployed.symbol(), 10**9 * ONE)
    dave = accounts.add()
    suite.onboard(dave, US)
    chain.sleep(suite.registry.maxCacheAge() + 1)
    chain.mine()
    suite.attest(deployed.symbol(), 10**9 * ONE)
    report("transfer, deployed listing (AAPL), new holder, verification cache expired",
           deployed.transfer(dave, ONE, {"from": alice}), names, baseline_new)
    identity = suite.registry.identity(alice)
    suite.onboard(spare, US, identity=identity)
    report("recoveryAddress (country block + max balance)",
           two.recoveryAddress(alice, spare, identity, {"from": roles.agent}), names, baseline)
