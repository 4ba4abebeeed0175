"""A cash dividend paid as stablecoin claims (``ISSUER_STABLECOIN_DIVIDENDS``), over the full
stack: record snapshot, net cash from the broker, claims per holder at the snapshot block, the
cash journaled to the on-ramp, the distribution funded on chain, a holder claiming with the
proof the API serves, and what is left taken back after the deadline. Figures by hand here;
the invariant is checked at every worker pass (``stack.reports``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
from sqlalchemy import select

from issuer import operations
from issuer.api.auth import create_key
from issuer.app import create_app
from issuer.broker import AlpacaBroker
from issuer.models import SymbolHalt
from issuer.service import Issuer
from tests.issuer.test_corporate_actions import action, send
from tests.support import serve_app

D = Decimal
ONE = 10**18
DAY = dt.date


def cash(stack, account: str) -> D:
    return stack.broker.trading_account(account).cash


def paying_stablecoin(stack, onramp: str) -> None:
    """The issuer of the stack, restarted with AAPL's dividends paid as stablecoin."""
    settings = stack.issuer.settings.replace(stablecoin_dividends="AAPL",
                                   onramp_account_id=onramp)
    stack.issuer.close()
    stack.issuer = Issuer(settings)
    stack.issuer.broker = AlpacaBroker(settings.broker_url, backoff=0.01)


def test_a_dividend_paid_as_stablecoin_claims(stack):
    from brownie import accounts
    from eth_account import Account

    onramp = stack.broker.create_account(given_name="Stablecoin", family_name="On-ramp").id
    paying_stablecoin(stack, onramp)
    chain = stack.issuer.chain
    coin, distributor = chain.contract("Stablecoin"), chain.contract("DividendDistributor")
    t = chain.stock("AAPL").token
    investor, frozen = accounts[7].address, Account.create().address
    with stack.issuer.session() as db:
        operations.onboard_investor(stack.issuer, db, wallet=frozen, country=840,
                                    identity=None, actor="test")
    stack.broker.set_account_flags(stack.custody_account, country_of_tax_residence="DEU")
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")   # Tue 10/15
    # the AP keeps 50 shares less one raw unit, the investor 30 and one raw unit, 20 frozen
    send(stack, t.functions.transfer(investor, 30 * ONE + 1), stack.ap_wallet)
    send(stack, t.functions.transfer(frozen, 20 * ONE), stack.ap_wallet)
    send(stack, t.functions.setAddressFrozen(frozen, True), accounts[2].address)
    div = stack.broker.announce(ca_type="dividend", ca_sub_type="cash",
                                initiating_symbol="AAPL", declaration_date=DAY(2024, 10, 15),
                                ex_date=DAY(2024, 10, 17), record_date=DAY(2024, 10, 17),
                                payable_date=DAY(2024, 10, 24), cash=D("0.37"))
    stack.run()
    assert action(stack, div.corporate_action_id).payout == "stablecoin"

    stack.to_date(DAY(2024, 10, 17))                 # the ex-date: mints wait
    late = stack.create("10")
    stack.to_date(DAY(2024, 10, 23))
    ca = action(stack, div.corporate_action_id)
    assert (ca.status, ca.raw_supply, ca.entitled) == ("recorded", str(100 * ONE), D(100))
    assert stack.creation(late).status == "settled"  # held in the window

    custody_before = cash(stack, stack.custody_account)
    stack.to_date(DAY(2024, 10, 24))                 # payable: claims, journal to the on-ramp
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "funding" and "on-ramp journal" in ca.status_reason
    stack.to_date(DAY(2024, 10, 25))                 # the journal executed: funded on chain
    ca = action(stack, div.corporate_action_id)
    # gross 100 * 0.37 = 37.00, 30 % withheld 11.10, net 25.90 = 25,900,000 units (6 decimals)
    assert (ca.gross, ca.withholding, ca.net) == (D("37.00"), D("11.10"), D("25.90"))
    # floor(25.9e6 * raw / 100e18): the AP 12,949,999, the investor 7,770,000, frozen 5,180,000
    assert ca.status == "claimable", ca.status_reason
    assert ca.distributed == D("25.90")  # 25,899,999 units, rounded up to a cent
    assert ca.filled_qty is None and t.functions.uiMultiplier().call() == ONE
    # the net came into custody and went to the on-ramp the same day; the claims' sub-cent
    # rest stays in the distribution
    assert cash(stack, onramp) == D("25.90")
    assert cash(stack, stack.custody_account) == custody_before + ca.net - ca.distributed
    assert coin.functions.balanceOf(distributor.address).call() == 25_900_000
    entry = distributor.functions.distribution(ca.distribution_id).call()
    assert (entry[0], entry[1], entry[3], entry[5]) == (t.address, coin.address, 25_900_000,
                                                        ca.claim_deadline)
    # the claims fixed, the creation held in the window is minted; it claims nothing
    stack.run()
    assert stack.creation(late).status == "completed"

    app = create_app(issuer=stack.issuer)
    with stack.issuer.session() as db:
        view_key = create_key(db, "view", "viewer")[1]
    with serve_app(app) as url, httpx.Client(base_url=url,
                                             headers={"X-API-Key": view_key}) as api:
        listed = api.get(f"/v1/corporate-actions/{ca.id}/claims").json()
        amounts = {c["wallet"]: c["amount"] for c in listed["claims"]}
        assert amounts == {stack.ap_wallet: 12_949_999, investor: 7_770_000,
                           frozen: 5_180_000}
        assert listed["distribution_id"] == ca.distribution_id
        assert listed["root"] == "0x" + bytes(entry[2]).hex()
        mine = api.get(f"/v1/corporate-actions/{ca.id}/claims/{investor.lower()}").json()
        assert mine["amount"] == 7_770_000
        # refusals: a malformed or unknown wallet, an action not paid in stablecoin
        bad = api.get(f"/v1/corporate-actions/{ca.id}/claims/0x12")
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_address")
        unknown = api.get(f"/v1/corporate-actions/{ca.id}/claims/{accounts[9].address}")
        assert (unknown.status_code, unknown.json()["code"]) == (404, "claim_not_found")
        split = stack.broker.announce(ca_type="split", ca_sub_type="stock_split",
                                      initiating_symbol="NVDA", declaration_date=DAY(2024, 10, 25),
                                      ex_date=DAY(2024, 11, 4),
                                      old_rate=D(1), new_rate=D(2))
        stack.run()
        other = api.get(f"/v1/corporate-actions/{split.corporate_action_id}/claims")
        assert (other.status_code, other.json()["code"]) == (409, "not_a_stablecoin_dividend")

    # the investor claims with the served proof; the claim of the frozen wallet stays open
    proof = [bytes.fromhex(p[2:]) for p in mine["proof"]]
    send(stack, distributor.functions.claim(ca.distribution_id, investor, 7_770_000, proof),
         investor)
    assert coin.functions.balanceOf(investor).call() == 7_770_000

    # after the deadline the issuer takes back what nobody claimed
    stack.advance_chain(stack.issuer.settings.dividend_claim_days * 86_400 + 60)
    stack.run()
    ca = action(stack, div.corporate_action_id)
    assert ca.status == "completed" and ca.reclaimed == D("18.13")
    me = chain.signers["corporate_action"].address
    assert coin.functions.balanceOf(me).call() == 18_130_000
    assert coin.functions.balanceOf(distributor.address).call() == 0
    assert t.functions.uiMultiplier().call() == ONE
    with stack.issuer.session() as db:
        assert db.scalar(select(SymbolHalt)) is None
    assert stack.invariant_held()
