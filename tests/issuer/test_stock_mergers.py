"""A stock-and-cash merger over the full stack (issue 30, item 4): on the effective date the
broker turns custody's NVDA into AAPL and cash; the issuer pauses NVDA, migrates each holder of
record to AAPL tokens (they do not act), burns every NVDA token and pays the cash part as
stablecoin claims. Figures by hand here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from issuer.corporate import stablecoin
from issuer.models import ChainTx
from tests.issuer.test_cash_mergers import with_onramp
from tests.issuer.test_corporate_actions import action, approve, no_halts, send
from tests.issuer.test_restart import _crash_then_finish

D = Decimal
ONE = 10**18
DAY = dt.date


def merger_announced(stack, *, cash: bool = True):  # noqa: ANN201
    """10 AAPL tokens to the AP; 100 NVDA tokens (the AP 70, an investor 30) against 100
    custody shares; AAPL acquires NVDA on Thu 10/17: 2 AAPL for every 5 NVDA (and $10.00 a
    share with ``cash``)."""
    from brownie import accounts

    investor = accounts[7].address
    apple = stack.create("10")
    nvidia = stack.create("100", symbol="NVDA")
    stack.until(lambda: stack.creation(nvidia).status == "completed"
                and stack.creation(apple).status == "completed")           # Tue 10/15
    send(stack, stack.issuer.chain.stock("NVDA").token.functions.transfer(investor, 30 * ONE),
         stack.ap_wallet)
    fields = {"ca_sub_type": "stock_and_cash_merger", "cash": D("10.00")} if cash else \
        {"ca_sub_type": "stock_merger"}
    merger = stack.broker.announce(ca_type="stock_merger", initiating_symbol="NVDA",
                                   target_symbol="AAPL", old_rate=D(5), new_rate=D(2),
                                   declaration_date=DAY(2024, 10, 15),
                                   ex_date=DAY(2024, 10, 17), **fields)
    return investor, merger


def test_a_stock_and_cash_merger_migrates_the_holders_to_the_acquirer_and_pays_the_cash(stack):
    """The broker converts custody's 100 NVDA into 100 * 2 / 5 = 40 AAPL and 100 * $10 =
    $1,000.00. At the record R = 100e18, M0 = 1, and the AAPL multiplier Ma = 1:
    D = min(floor(100e18 * 1e18 * 2/5 / 1e18), floor(40 * 1e36 / 1e18)) = 40e18; the AP gets
    floor(70e18 * 40e18 / 100e18) = 28e18 AAPL raw, the investor 12e18; their cash claims
    floor(1,000e6 * raw * M0 / (1e36 * 100)): $700.00 and $300.00. NVDA's supply ends at 0,
    AAPL's at 10 + 40 = 50 against 50 custody shares."""
    onramp = with_onramp(stack)
    investor, merger = merger_announced(stack)
    chain = stack.issuer.chain
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert (ca.kind, ca.status, ca.new_symbol, ca.cash_rate) == (
        "stock_merger", "announced", "AAPL", D(10))
    stack.to_date(DAY(2024, 10, 17))
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    assert chain.is_paused("NVDA")
    assert (ca.raw_supply, ca.m0, ca.entitled) == (str(100 * ONE), str(ONE), D(100))
    assert (ca.custody_entitled, ca.filled_qty, ca.net, ca.m1) == (D(100), D(40), D(1000),
                                                                   str(ONE))
    assert (ca.supply_raw, ca.residue) == (str(40 * ONE), D(0))
    # between the conversion and the migration the converted NVDA shares back NVDA's tokens
    report = stack.run_report("NVDA")
    assert (report.custody_settled, report.converted, report.holds) == (D(0), D(100), True)
    approve(stack, merger.corporate_action_id)
    stack.until(lambda: action(stack, merger.corporate_action_id).status in (
        "claimable", "halted"), days=4)
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "claimable", ca.status_reason
    assert chain.total_supply("NVDA") == 0
    assert chain.balance("AAPL", stack.ap_wallet) == 10 * ONE + 28 * ONE
    assert chain.balance("AAPL", investor) == 12 * ONE
    with stack.issuer.session() as db:
        claims = {c.wallet: c.amount for c in stablecoin.claims(db, ca)}
    assert claims == {stack.ap_wallet: 700_000_000, investor: 300_000_000}
    assert stack.broker.trading_account(onramp).cash == D("1000.00")
    report = stack.run_report("AAPL")
    assert (report.economic_supply, report.custody_settled, report.holds) == (D(50), D(50),
                                                                                True)
    assert stack.run_report("NVDA").holds and no_halts(stack)


@pytest.mark.parametrize("point", ["corporate_action.before_migrating",
                                   "corporate_action.after_tx_sent",
                                   "corporate_action.before_completed"])
def test_a_stock_merger_killed_at_each_step_migrates_once(stack, point):
    """A stock merger without cash, the worker killed (SIGKILL) from the approval on, then a
    fresh issuer finishes: one pause, one attestation, one batchMint of 40e18 AAPL raw, one
    batchBurn of NVDA."""
    investor, merger = merger_announced(stack, cash=False)
    stack.to_date(DAY(2024, 10, 17))
    assert action(stack, merger.corporate_action_id).status == "proposed"
    approve(stack, merger.corporate_action_id)
    _crash_then_finish(stack, point, lambda: action(
        stack, merger.corporate_action_id).status == "completed")
    ca = action(stack, merger.corporate_action_id)
    chain = stack.issuer.chain
    assert chain.total_supply("NVDA") == 0 and chain.total_supply("AAPL") == 50 * ONE
    assert chain.balance("AAPL", investor) == 12 * ONE
    with stack.issuer.session() as db:
        sent = {(tx.key.split(":")[2], tx.attempt, tx.status) for tx in db.scalars(
            select(ChainTx).where(ChainTx.key.like(f"ca:{ca.id}:%")))}
    assert sent == {("pause", 1, "mined"), ("attest", 1, "mined"), ("mint-0", 1, "mined"),
                    ("burn", 1, "mined")}
    assert stack.run_report("AAPL").holds and no_halts(stack)


def test_an_acquirer_the_stack_does_not_list_is_listed_by_the_owner_first(stack, tmp_path):
    """NVDA acquired by ACQR (1 for 1), which has no token yet: on the effective date NVDA is
    paused at once (no transfer moves a holder of record), the action asks the factory's owner
    to list ACQR and waits; once listed, the holders' 70 and 30 NVDA become 70e18 and 30e18
    ACQR raw."""
    from tests.issuer.test_spin_offs import list_new_company, with_own_manifest

    manifest = with_own_manifest(stack, tmp_path)
    stack.broker.set_asset("ACQR", name="Acquirer Corp", tradable=True, fractionable=True)
    stack.broker.set_price("ACQR", D(100))
    from brownie import accounts

    investor = accounts[7].address
    nvidia = stack.create("100", symbol="NVDA")
    stack.until(lambda: stack.creation(nvidia).status == "completed")       # Tue 10/15
    send(stack, stack.issuer.chain.stock("NVDA").token.functions.transfer(investor, 30 * ONE),
         stack.ap_wallet)
    merger = stack.broker.announce(ca_type="stock_merger", ca_sub_type="stock_merger",
                                   initiating_symbol="NVDA", target_symbol="ACQR",
                                   old_rate=D(1), new_rate=D(1),
                                   declaration_date=DAY(2024, 10, 15), ex_date=DAY(2024, 10, 17))
    stack.to_date(DAY(2024, 10, 17))
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "announced" and "not listed" in ca.status_reason
    assert stack.issuer.chain.is_paused("NVDA")                       # before anything else
    assert (ca.owner_calls[0]["symbol"], ca.owner_calls[0]["name"]) == (
        "ACQR", "ACQR tokenized share")
    list_new_company(stack, manifest, "ACQR", ca.owner_calls[0]["name"])
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    assert (ca.filled_qty, ca.supply_raw) == (D(100), str(100 * ONE))
    approve(stack, merger.corporate_action_id)
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "completed", ca.status_reason
    chain = stack.issuer.chain
    assert (chain.balance("ACQR", stack.ap_wallet), chain.balance("ACQR", investor)) == (
        70 * ONE, 30 * ONE)
    assert chain.total_supply("NVDA") == 0
    assert stack.run_report("ACQR").holds and no_halts(stack)


def test_a_creation_in_flight_at_the_record_is_migrated_with_the_holders(stack):
    """Besides the 100 NVDA tokens, the AP buys 10 NVDA on Tue 10/15; they settle on Wed 10/16
    (the record) and no worker runs that day, so on the effective date (Thu 10/17) they are
    in custody's 110 converted shares and not minted (the merger holds NVDA's mints). 2 AAPL
    per 5 NVDA: custody gets 44 AAPL; the creation counts at the AP's wallet for 10e18 raw:
    R' = 110e18, D = 44e18; the AP gets floor(80e18 * 44e18 / 110e18) = 32e18 AAPL raw, the
    investor 12e18; the creation is completed by the migration, nothing minted in NVDA."""
    investor, merger = merger_announced(stack, cash=False)
    late = stack.create("10", symbol="NVDA")                           # Tue 10/15
    stack.run()
    stack.eod()                                                        # Wed 10/16: settles
    stack.eod()                                                        # Thu 10/17: effective
    stack.run()
    ca = action(stack, merger.corporate_action_id)
    assert ca.status == "proposed", ca.status_reason
    assert (ca.owed_creations, ca.custody_entitled, ca.filled_qty, ca.supply_raw) == (
        D(10), D(110), D(44), str(44 * ONE))
    assert stack.creation(late).status != "completed"
    approve(stack, merger.corporate_action_id)
    stack.run()
    assert action(stack, merger.corporate_action_id).status == "completed"
    chain = stack.issuer.chain
    assert chain.balance("AAPL", stack.ap_wallet) == 10 * ONE + 32 * ONE
    assert chain.balance("AAPL", investor) == 12 * ONE
    creation = stack.creation(late)
    assert creation.status == "completed" and "converted by the stock merger" in \
        creation.status_reason
    assert chain.total_supply("NVDA") == 0
    report = stack.run_report("AAPL")
    assert (report.economic_supply, report.custody_settled, report.holds) == (D(54), D(54),
                                                                                True)
    assert no_halts(stack)
