"""A cash merger over the full stack (issue 30, item 3): on the effective date the broker
turns custody's shares into cash, the issuer pauses the token, pays the holders of record
their cash per share as stablecoin claims and burns every token. Figures by hand here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from issuer import crashpoints
from issuer.corporate import stablecoin
from issuer.models import ChainTx, CorporateAction, SymbolHalt
from tests.issuer.test_corporate_actions import action, approve, send
from tests.issuer.test_restart import _crash_then_finish

D = Decimal
ONE = 10**18
DAY = dt.date


def with_onramp(stack) -> str:
    """The stack's issuer, restarted with a stablecoin on-ramp account."""
    onramp = stack.broker.create_account(given_name="Stablecoin", family_name="On-ramp").id
    stack.restart(onramp_account_id=onramp)
    return onramp


def test_a_cash_merger_pays_each_holder_of_record_and_burns_every_token(stack):
    """100 AAPL tokens (the AP 70, an investor 30) against 100 custody shares; AAPL is
    acquired for $250.00 a share on Thu 10/17. The broker pays 100 * 250 = $25,000.00 (MA);
    the claims are floor(25,000e6 units * raw / 100e18): the AP 17,500,000,000 units
    ($17,500.00), the investor 7,500,000,000 ($7,500.00); every token is burned; until then
    the converted shares back the tokens."""
    from brownie import accounts

    onramp = with_onramp(stack)
    chain = stack.issuer.chain
    t, coin = chain.stock("AAPL").token, chain.contract("Stablecoin")
    investor = accounts[7].address
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")   # Tue 10/15
    send(stack, t.functions.transfer(investor, 30 * ONE), stack.ap_wallet)
    merger = stack.broker.announce(ca_type="cash_merger", ca_sub_type="cash_merger",
                                   initiating_symbol="AAPL", target_symbol="MSFT",
                                   cash=D("250.00"), declaration_date=DAY(2024, 10, 15),
                                   ex_date=DAY(2024, 10, 17))
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert (ca.kind, ca.status, ca.cash_rate, ca.new_symbol) == (
        "cash_merger", "announced", D(250), "MSFT")
    assert not t.functions.paused().call()

    stack.to_date(DAY(2024, 10, 17))                  # effective: shares become cash
    ca = action(stack, merger.corporate_action_id)
    assert t.functions.paused().call()                # no transfer moves a claim any more
    with pytest.raises(Exception) as reverted:
        send(stack, t.functions.transfer(stack.ap_wallet, ONE), investor)
    assert chain.decode_error(str(reverted.value.args[0])) == "EnforcedPause"
    assert (ca.raw_supply, ca.entitled, ca.custody_entitled, ca.net) == (
        str(100 * ONE), D(100), D(100), D("25000.00"))
    assert ca.status == "proposed", ca.status_reason   # paying and burning need approval
    assert stack.broker.position(stack.custody_account, "AAPL") is None
    approve(stack, merger.corporate_action_id)
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "funding", ca.status_reason
    # custody holds no AAPL now; the converted 100 shares still back the 100 tokens
    report = stack.run_report("AAPL")
    assert (report.custody_settled, report.converted, report.holds) == (D(0), D(100), True)
    with stack.issuer.session() as db:
        claims = {c.wallet: c.amount for c in stablecoin.claims(db, ca)}
    assert claims == {stack.ap_wallet: 17_500_000_000, investor: 7_500_000_000}
    assert ca.distributed == D("25000.00")

    stack.to_date(DAY(2024, 10, 18))                  # the on-ramp journal executed: funded
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "claimable", ca.status_reason
    assert t.functions.totalSupply().call() == 0      # every token burned
    assert t.functions.balanceOf(investor).call() == 0
    assert coin.functions.balanceOf(chain.contract("DividendDistributor").address).call() \
        == 25_000_000_000
    assert stack.broker.trading_account(onramp).cash == D("25000.00")
    assert stack.invariant_held()
    burned = stack.run_report("AAPL")       # the converted shares back nothing any more
    assert (burned.economic_supply, burned.converted, burned.surplus) == (D(0), D(0), D(0))
    with stack.issuer.session() as db:
        assert db.scalar(select(SymbolHalt)) is None
        assert db.scalar(select(CorporateAction.status).where(
            CorporateAction.id == ca.id)) == "claimable"


@pytest.mark.parametrize("point", [p for p in crashpoints.POINTS
                                   if p.startswith("corporate_action.")
                                   and not p.endswith(("_distributing", "_completed",
                                                       "_migrating"))])
def test_a_cash_merger_killed_at_each_step_pays_and_burns_once(stack, point):
    """The worker process killed (SIGKILL) at each of the merger's steps, then a fresh issuer
    finishes: one pause, one on-ramp journal, one distribution of $25,000.00, one burn."""
    from brownie import accounts

    onramp = with_onramp(stack)
    chain = stack.issuer.chain
    t, coin = chain.stock("AAPL").token, chain.contract("Stablecoin")
    creation = stack.create("100")
    stack.until(lambda: stack.creation(creation).status == "completed")   # Tue 10/15
    send(stack, t.functions.transfer(accounts[7].address, 30 * ONE), stack.ap_wallet)
    merger = stack.broker.announce(ca_type="cash_merger", ca_sub_type="cash_merger",
                                   initiating_symbol="AAPL", cash=D("250.00"),
                                   declaration_date=DAY(2024, 10, 15), ex_date=DAY(2024, 10, 17))
    stack.to_date(DAY(2024, 10, 17))
    assert action(stack, merger.corporate_action_id).status == "proposed"
    approve(stack, merger.corporate_action_id)
    _crash_then_finish(stack, point, lambda: action(
        stack, merger.corporate_action_id).status == "claimable")
    ca = action(stack, merger.corporate_action_id)
    assert t.functions.paused().call() and t.functions.totalSupply().call() == 0
    assert coin.functions.balanceOf(chain.contract("DividendDistributor").address).call() \
        == 25_000_000_000
    assert len(stack.journals_for(f"ca-{ca.id}-onramp")) == 1
    assert stack.broker.trading_account(onramp).cash == D("25000.00")
    with stack.issuer.session() as db:
        sent = {(tx.key.split(":")[2], tx.attempt, tx.status) for tx in db.scalars(
            select(ChainTx).where(ChainTx.key.like(f"ca:{ca.id}:%")))}
    assert sent == {("pause", 1, "mined"), ("onramp-mint", 1, "mined"),
                    ("approve", 1, "mined"), ("distribution", 1, "mined"),
                    ("burn", 1, "mined")}
    assert stack.invariant_held()
