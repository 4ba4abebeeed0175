"""`make up`: deploy the suite on a local anvil devnet and walk through it, printing each step.

Onboard two investors, mint against attested custody, transfer, show a refused transfer with its
reason, freeze, recover a lost wallet, schedule a 2-for-1 split and show balances before and after.
"""

from __future__ import annotations

from brownie import accounts, chain

from deploy.deploy_suite import DEFAULT_STOCKS
from deploy.suite import ONE, Roles, deploy_suite

US, UK = 840, 826


def shares(raw: int) -> str:
    return f"{raw / ONE:,.4f}"


def show(token, wallets: dict[str, object]) -> None:
    m = token.uiMultiplier()
    print(
        f"    multiplier {m / ONE:g}   supply raw {shares(token.totalSupply())}"
        f"   economic {shares(token.totalSupplyUI())} shares"
    )
    for name, w in wallets.items():
        print(
            f"    {name:<14} raw {shares(token.balanceOf(w)):>12}"
            f"   shares {shares(token.balanceOfUI(w)):>12}"
            f"   frozen={token.isFrozen(w)}"
        )


def main() -> None:
    roles = Roles.from_accounts(accounts)
    print("1. Deploy the shared identity registry, KYC issuer, modules and factory")
    suite = deploy_suite(roles)
    for cfg in DEFAULT_STOCKS:
        token = suite.list_stock(cfg)
        print(f"   listed {cfg.symbol:<5} token {token.address}  (one factory transaction)")
    manifest = suite.write_manifest()
    print(f"   manifest: {manifest}")
    aapl, _ = suite.stocks["AAPL"]

    alice, bob, lost_replacement, outsider = accounts[6], accounts[7], accounts[8], accounts[9]
    print("\n2. Onboard two investors (ONCHAINID identity + KYC claim + registry entry)")
    suite.onboard(alice, US)
    suite.onboard(bob, UK)
    for name, w in (("alice", alice), ("bob", bob), ("outsider", outsider)):
        print(
            f"   {name:<9} verified={suite.registry.isVerified(w)}"
            f"  country={suite.registry.investorCountry(w)}"
        )

    print("\n3. Attest 1,000 settled shares at the broker, then mint 100 to Alice and 40 to Bob")
    suite.attest("AAPL", 1_000 * ONE)
    aapl.mint(alice, 100 * ONE, {"from": roles.agent})
    aapl.mint(bob, 40 * ONE, {"from": roles.agent})
    try:
        aapl.mint(alice, 900 * ONE, {"from": roles.agent})
    except Exception as exc:  # the reserve guard refuses
        print(f"   minting 900 more is refused: {getattr(exc, 'revert_msg', exc)}")

    print("\n4. Alice transfers 25 to Bob")
    aapl.transfer(bob, 25 * ONE, {"from": alice})
    show(aapl, {"alice": alice, "bob": bob})

    print("\n5. A transfer to a wallet without identity is refused, with its reason")
    code = aapl.detectTransferRestriction(alice, outsider, ONE)
    print(f"   pre-check code {code}: {suite.messages.messageForTransferRestriction(code)}")
    try:
        aapl.transfer(outsider, ONE, {"from": alice})
    except Exception as exc:
        print(f"   transfer reverted: {getattr(exc, 'revert_msg', exc)}")

    print("\n6. Freeze Bob's wallet: his transfers are refused")
    aapl.setAddressFrozen(bob, True, {"from": roles.agent})
    code = aapl.detectTransferRestriction(bob, alice, ONE)
    print(f"   pre-check code {code}: {suite.messages.messageForTransferRestriction(code)}")

    print("\n7. Alice loses her key: register a new wallet to her identity and recover")
    identity = suite.registry.identity(alice)
    suite.onboard(lost_replacement, US, identity=identity)
    aapl.recoveryAddress(alice, lost_replacement, identity, {"from": roles.agent})
    show(aapl, {"alice (lost)": alice, "alice (new)": lost_replacement, "bob": bob})

    print("\n8. Schedule a 2-for-1 split after its notice (one transaction, any holder count)")
    before = aapl.uiMultiplier()
    tx = aapl.scheduleMultiplier(
        before,
        2 * before,
        chain[-1].timestamp + aapl.multiplierBounds()[4] + 60,
        2,
        "0x" + b"AAPL 2-for-1".ljust(32, b"\0").hex(),
        aapl.lastMultiplierNonce() + 1,
        {"from": roles.corporate_actions},
    )
    print(f"   scheduled in tx {tx.txid[:12]}..., gas {tx.gas_used:,}")
    print("   before:")
    show(aapl, {"alice (new)": lost_replacement, "bob": bob})
    chain.sleep(aapl.multiplierBounds()[4] + 61)
    chain.mine()
    print("   after:")
    show(aapl, {"alice (new)": lost_replacement, "bob": bob})
    print(
        "\nDone. The devnet stops with this script; the manifest and `brownie console` "
        "let you explore further."
    )
