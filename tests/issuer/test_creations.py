"""Creations end to end: broker order, T+1 across a weekend and Columbus Day, reserve, mint."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from custody_mock.client import BrokerRejected
from issuer.errors import IssuerError
from issuer.models import Creation
from tests.issuer.conftest import D

ONE = 10**18
DAY = dt.date


def test_cash_creation_mints_only_after_settlement_across_a_weekend_and_columbus_day(stack):
    creation_id = stack.create("10")
    days = stack.until(lambda: stack.creation(creation_id).status == "completed")
    # Fri 10-11 trade; Mon 10-14 is Columbus Day (NYSE open, banks closed): settles Tue 10-15
    assert days == [DAY(2024, 10, 11), DAY(2024, 10, 14), DAY(2024, 10, 15)], stack.trail
    creation = stack.creation(creation_id)
    assert (creation.filled_qty, creation.settled_qty) == (D("10"), D("10"))
    assert creation.cost == D("2000")
    assert stack.tokens() == 10 * ONE
    position = stack.broker.position(stack.custody_account, "AAPL")
    assert position.qty_settled == D("10")
    # the participant paid the cost by journal into custody
    assert stack.broker.trading_account(stack.ap_account).cash == D("998000")


def test_nothing_is_minted_before_settlement(stack):
    creation_id = stack.create("5")
    stack.run()
    assert stack.creation(creation_id).status == "filled"
    assert "settlement on 2024-10-15" in stack.creation(creation_id).status_reason
    stack.broker.end_of_day()  # Monday, Columbus Day
    stack.run()
    assert stack.creation(creation_id).status == "filled"
    assert stack.tokens() == 0


def test_partial_fill_mints_only_what_filled(stack):
    stack.broker.add_fault("partial_fill", account_id=stack.custody_account, ratio="0.4")
    creation_id = stack.create("10")
    stack.until(lambda: stack.creation(creation_id).status == "completed")
    creation = stack.creation(creation_id)
    assert (creation.filled_qty, creation.settled_qty, creation.cost) == (
        D("4"), D("4"), D("800"))
    assert stack.tokens() == 4 * ONE
    assert stack.broker.trading_account(stack.ap_account).cash == D("999200")


def test_an_in_kind_creation_is_refused_the_way_alpaca_refuses_the_journal(stack):
    """Alpaca journals shares from the firm account to a user account only: a participant's
    own shares come in through the tokenization network, so the issuer refuses an in-kind
    creation up front and the broker would refuse its journal. Nothing is stored or moved."""
    stack.broker.submit_order(stack.ap_account, symbol="NVDA", side="buy", qty=D("7"))
    stack.broker.end_of_day()
    stack.broker.end_of_day()  # Tuesday: the participant's shares have settled
    with pytest.raises(IssuerError) as refused:
        stack.create("7", symbol="NVDA", kind="in_kind")
    assert refused.value.code == "in_kind_creation_via_itn"
    with pytest.raises(BrokerRejected) as journal:
        stack.broker.create_journal(entry_type="JNLS", from_account=stack.ap_account,
                                    to_account=stack.custody_account, symbol="NVDA",
                                    qty=D("7"))
    assert journal.value.code == "journal_not_allowed"
    with stack.issuer.session() as db:
        assert db.scalars(select(Creation)).all() == []
    assert stack.broker.position(stack.ap_account, "NVDA").qty_settled == D("7")
    assert stack.broker.position(stack.custody_account, "NVDA") is None


def test_mint_refused_when_custody_is_short_halts_the_creation(stack):
    creation_id = stack.create("10")
    stack.run()
    stack.broker.end_of_day()
    stack.broker.end_of_day()  # Tuesday: settled at the broker; the worker has not run yet
    # custody sells 4 of the 10 shares behind the creation's back
    stack.broker.submit_order(stack.custody_account, symbol="AAPL", side="sell", qty=D("4"))
    stack.run()
    creation = stack.creation(creation_id)
    assert creation.status == "halted" and "ReserveExceeded" in creation.status_reason
    assert stack.tokens() == 0
    report = stack.run_report("AAPL")
    assert report.holds and report.economic_supply == 0


def test_an_invariant_violation_halts_new_creations(stack):
    first = stack.create("10")
    stack.until(lambda: stack.creation(first).status == "completed")
    stack.broker.submit_order(stack.custody_account, symbol="AAPL", side="sell", qty=D("1"))
    report = stack.run_report("AAPL")
    assert not report.holds and report.halted
    second = stack.create("1")
    stack.run()
    assert stack.creation(second).status == "requested"
    assert "AAPL is halted" in stack.creation(second).status_reason
    assert stack.broker.order_by_client_id(stack.custody_account, f"creation-{second}") is None


def test_broker_outage_and_timeout_with_success_place_exactly_one_order(stack, broker_url):
    from issuer.broker import AlpacaBroker

    stack.broker.add_fault("http_error", endpoint="POST /v1/trading/accounts/*/orders",
                           count=6, status=503, applied=False)
    creation_id = stack.create("3")
    stack.run(1)
    assert "broker unavailable" in stack.creation(creation_id).status_reason
    assert stack.creation(creation_id).status == "requested"
    stack.issuer.broker = AlpacaBroker(broker_url, timeout=0.3, backoff=0.01)
    stack.broker.add_fault("timeout", endpoint="POST /v1/trading/accounts/*/orders",
                           delay_ms=700, applied=True)
    other_id = stack.create("2")
    stack.until(lambda: all(stack.creation(c).status == "completed"
                            for c in (creation_id, other_id)))
    orders = stack.broker.orders(stack.custody_account)
    assert sorted(o.client_order_id for o in orders) == sorted(
        [f"creation-{creation_id}", f"creation-{other_id}"])
    assert stack.tokens() == 5 * ONE


def test_mint_on_fill_within_the_unsettled_cap(stack):
    from brownie import accounts

    token = stack.suite.stocks["AAPL"][0]
    token.setReservePolicy(5 * ONE, 7 * 86_400, {"from": accounts[0]})
    stack.issuer.settings = stack.issuer.settings.replace(mint_policy="on_fill",
                                                unsettled_cap=D("5"))
    first = stack.create("4")
    stack.run()
    assert stack.creation(first).status == "completed"      # Friday, before settlement
    assert stack.tokens() == 4 * ONE
    second = stack.create("3")                               # 4 + 3 unsettled > 5
    stack.run()
    assert stack.creation(second).status == "filled"
    assert "settlement on 2024-10-15" in stack.creation(second).status_reason
    assert stack.run_report("AAPL").holds                    # 4 backed by allowed pending
    days = stack.until(lambda: stack.creation(second).status == "completed")
    assert days[-1] == DAY(2024, 10, 15)
    assert stack.tokens() == 7 * ONE


def test_creations_settling_together_are_minted_in_one_batch(stack):
    from sqlalchemy import select

    from issuer.models import ChainTx

    stack.issuer.settings = stack.issuer.settings.replace(mint_batch_max=3)
    ids = [stack.create(qty) for qty in ("1", "2", "3", "4")]
    stack.until(lambda: all(stack.creation(i).status == "completed" for i in ids))
    # the four settled together: the first three (the most a batch holds) in one batch, the
    # fourth alone on the one-by-one path
    batches = [stack.creation(i).mint_batch for i in ids]
    assert batches[0] is not None and batches[:3] == [batches[0]] * 3 and batches[3] is None
    with stack.issuer.session() as db:
        keys = sorted(t.key for t in db.scalars(select(ChainTx).where(
            ChainTx.key.like("mint:%"))))
    assert keys == sorted([f"mint:batch:{batches[0]}", f"mint:creation:{ids[3]}"])
    assert [stack.creation(i).mint_raw for i in ids] == [str(n * ONE) for n in (1, 2, 3, 4)]
    assert stack.tokens() == 10 * ONE
    assert stack.invariant_held()


def test_the_report_allows_no_more_pending_custody_than_the_token_does(stack):
    """One rule for the unsettled cap (issue 29): the service allows 50 pending shares, the
    token's reserve guard 5; the reconciliation used to count all 50 while the guard would back
    only 5, so the report could call holding what the token itself refuses."""
    from brownie import accounts

    token = stack.suite.stocks["AAPL"][0]
    token.setReservePolicy(5 * ONE, 7 * 86_400, {"from": accounts[0]})
    stack.issuer.settings = stack.issuer.settings.replace(mint_policy="on_fill",
                                                          unsettled_cap=D("50"))
    order = stack.broker.submit_order(stack.custody_account, symbol="AAPL", side="buy",
                                      qty=D("8"))   # filled Friday, settles Tuesday
    assert stack.broker.order(stack.custody_account, order.id).status == "filled"
    report = stack.run_report("AAPL")
    assert report.custody_pending == D("8")
    assert report.allowed_pending == D("5")   # the token's cap, not the service's 50
