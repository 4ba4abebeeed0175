"""Journals (JNLS shares, JNLC cash) between accounts, for in-kind creations and redemptions."""

from __future__ import annotations

import datetime as dt

import pytest

from custody_mock.client import BrokerRejected
from tests.custody_mock.conftest import D, open_funded, snapshot


@pytest.fixture
def holder(broker, funded):
    """``funded``, the firm account (the source Alpaca allows for share journals), holding
    10 settled AAPL (bought Monday, settled Tuesday morning)."""
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"))
    broker.end_of_day()
    broker.set_account_flags(funded, firm=True)
    return funded


def test_shares_journal_only_from_the_firm_account_to_a_user_account(broker, holder):
    """Alpaca documents JNLS from a firm account to a user account only: shares from a user
    account (an in-kind creation) come in through the tokenization network instead."""
    user = open_funded(broker)
    broker.submit_order(user, symbol="AAPL", side="buy", qty=D("5"))
    broker.end_of_day()
    other_firm = open_funded(broker, cash="0")
    broker.set_account_flags(other_firm, firm=True)
    for source, target in ((user, holder), (user, open_funded(broker, cash="0")),
                           (holder, other_firm)):
        before = snapshot(broker, source), snapshot(broker, target)
        with pytest.raises(BrokerRejected) as refused:
            broker.create_journal(entry_type="JNLS", from_account=source, to_account=target,
                                  symbol="AAPL", qty=D("1"))
        assert (refused.value.status, refused.value.code) == (403, "journal_not_allowed")
        assert (snapshot(broker, source), snapshot(broker, target)) == before
    # cash journals (JNLC) stay free between any two accounts
    broker.create_journal(entry_type="JNLC", from_account=user, to_account=holder,
                          amount=D("1"))


def test_share_journal_moves_settled_shares_at_the_end_of_the_day(broker, holder):
    issuer = open_funded(broker, cash="0")
    journal = broker.create_journal(entry_type="JNLS", from_account=holder, to_account=issuer,
                                    symbol="AAPL", qty=D("4"), description="in-kind creation",
                                    client_journal_id="creation-7")
    assert journal.status == "queued" and journal.settle_date == dt.date(2024, 10, 8)
    # the shares are held: not sellable, not journaled twice
    assert broker.position(holder, "AAPL").qty_available == D("6")
    broker.end_of_day()
    done = broker.journal(journal.id)
    assert done.status == "executed"
    assert broker.position(issuer, "AAPL").qty_settled == D("4")
    assert broker.position(holder, "AAPL").qty_settled == D("6")
    assert broker.position(issuer, "AAPL").avg_entry_price == D("200")
    entries = broker.activities(types=["JNLS"])
    assert sorted((e.account_id, e.qty) for e in entries) == sorted(
        [(holder, D("-4")), (issuer, D("4"))])
    assert {e.journal_id for e in entries} == {journal.id}


def test_cash_journal_and_lookup_by_client_id(broker, funded):
    other = open_funded(broker, cash="0")
    journal = broker.create_journal(entry_type="JNLC", from_account=funded, to_account=other,
                                    amount=D("2500.50"), client_journal_id="payout-1")
    assert broker.trading_account(funded).cash_withdrawable == D("97499.50")
    again = broker.create_journal(entry_type="JNLC", from_account=funded, to_account=other,
                                  amount=D("2500.50"), client_journal_id="payout-1")
    assert again.id == journal.id  # the client's retry found the first one
    assert [j.id for j in broker.journals()] == [journal.id]
    broker.end_of_day()
    assert broker.trading_account(other).cash_settled == D("2500.50")
    assert broker.trading_account(funded).cash_settled == D("97499.50")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"entry_type": "JNLS", "symbol": "AAPL", "qty": D("11")}, "insufficient_qty"),
        ({"entry_type": "JNLS", "symbol": "AAPL", "qty": D("0")}, "invalid_qty"),
        ({"entry_type": "JNLS", "symbol": "AAPL", "amount": D("5"), "qty": D("1")},
         "invalid_journal"),
        ({"entry_type": "JNLC", "amount": D("100000.01")}, "insufficient_cash"),
        ({"entry_type": "JNLC", "amount": D("1.001")}, "invalid_amount"),
        ({"entry_type": "JNLS", "symbol": "NOPE", "qty": D("1")}, "asset_not_found"),
    ],
)
def test_bad_journals_are_refused_and_change_nothing(broker, holder, fields, code):
    other = open_funded(broker, cash="0")
    before = snapshot(broker, holder)
    with pytest.raises(BrokerRejected) as refused:
        broker.create_journal(from_account=holder, to_account=other, **fields)
    assert refused.value.code == code
    assert snapshot(broker, holder) == before


def test_unsettled_shares_cannot_be_journaled(broker, funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"))
    broker.set_account_flags(funded, firm=True)
    other = open_funded(broker, cash="0")
    with pytest.raises(BrokerRejected) as refused:
        broker.create_journal(entry_type="JNLS", from_account=funded, to_account=other,
                              symbol="AAPL", qty=D("1"))
    assert refused.value.code == "insufficient_qty"


def test_queued_journal_can_be_canceled_and_blocked_transfers_refuse(broker, holder):
    other = open_funded(broker, cash="0")
    journal = broker.create_journal(entry_type="JNLS", from_account=holder, to_account=other,
                                    symbol="AAPL", qty=D("1"))
    broker.cancel_journal(journal.id)
    assert broker.journal(journal.id).status == "canceled"
    broker.end_of_day()
    assert broker.position(other, "AAPL") is None
    with pytest.raises(BrokerRejected) as not_queued:
        broker.cancel_journal(journal.id)
    assert not_queued.value.code == "journal_not_cancelable"
    broker.set_account_flags(other, transfers_blocked=True)
    with pytest.raises(BrokerRejected) as blocked:
        broker.create_journal(entry_type="JNLS", from_account=holder, to_account=other,
                              symbol="AAPL", qty=D("1"))
    assert blocked.value.code == "transfers_blocked"


def test_journal_entered_on_a_holiday_executes_on_the_next_settlement_day(broker, holder):
    broker.set_clock(dt.datetime(2024, 10, 14, 16, tzinfo=dt.UTC))  # Columbus Day, noon NY
    other = open_funded(broker, cash="0")
    journal = broker.create_journal(entry_type="JNLS", from_account=holder, to_account=other,
                                    symbol="AAPL", qty=D("2"))
    assert journal.settle_date == dt.date(2024, 10, 15)
    broker.advance(hours=12)  # past midnight: Columbus Day is not a settlement day
    assert broker.journal(journal.id).status == "queued"
    broker.advance(days=1)
    assert broker.journal(journal.id).status == "executed"
