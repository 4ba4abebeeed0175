"""T+1 through the HTTP API: settle dates of executions, settled shares and cash on that morning."""

from __future__ import annotations

import datetime as dt

import pytest

from custody_mock.client import BrokerRejected
from tests.custody_mock.conftest import D, ny, open_funded, seed

DAY = dt.date


@pytest.mark.parametrize(
    ("trade", "settles", "why"),
    [
        (DAY(2024, 10, 11), DAY(2024, 10, 15), "Columbus Day: NYSE open, banks closed"),
        (DAY(2024, 11, 8), DAY(2024, 11, 12), "Veterans Day: NYSE open, banks closed"),
        (DAY(2025, 1, 8), DAY(2025, 1, 10), "NYSE closed 2025-01-09 (national day of mourning)"),
        (DAY(2025, 4, 17), DAY(2025, 4, 21), "Good Friday: NYSE closed"),
    ],
)
def test_a_buy_settles_on_the_first_settlement_day_after_its_trade_date(broker, trade, settles,
                                                                        why):
    seed(broker, ny(trade))
    account = open_funded(broker)
    order = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("10"))
    assert order.status == "filled"
    [execution] = broker.executions(account, order.id)
    assert (execution.trade_date, execution.settle_date) == (trade, settles), why

    mornings = []
    while True:
        clock = broker.end_of_day()
        position = broker.position(account, "AAPL")
        cash = broker.trading_account(account)
        mornings.append((clock.date, position.qty_settled, cash.cash_settled))
        if clock.date >= settles:
            break
    # every session morning before the settle date: nothing settled; on it: shares and cash
    assert all(qty == 0 and cash == D("100000") for _, qty, cash in mornings[:-1]), mornings
    assert mornings[-1] == (settles, D("10"), D("98000")), why
    assert broker.executions(account, order.id)[0].status == "settled"


def test_a_sell_credits_settled_cash_on_the_settle_date(broker, funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"))
    broker.end_of_day()  # Tue: the buy settles
    broker.set_price("AAPL", D("210"))
    sell = broker.submit_order(funded, symbol="AAPL", side="sell", qty=D("4"))
    account = broker.trading_account(funded)
    assert (account.cash_settled, account.cash_unsettled_credits) == (D("98000"), D("840"))
    assert broker.position(funded, "AAPL").qty == D("6")
    assert broker.position(funded, "AAPL").qty_settled == D("10")  # delivery not yet settled
    broker.end_of_day()  # Wed 2024-10-09
    account = broker.trading_account(funded)
    assert (account.cash_settled, account.cash_unsettled_credits) == (D("98840"), D("0"))
    assert broker.position(funded, "AAPL").qty_settled == D("6")
    assert broker.executions(funded, sell.id)[0].settle_date == DAY(2024, 10, 9)


def test_unsettled_cash_cannot_be_withdrawn(broker, funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("100"))  # 20,000 unsettled
    account = broker.trading_account(funded)
    assert account.cash_withdrawable == D("80000")
    with pytest.raises(BrokerRejected) as refused:
        broker.withdraw(funded, D("80000.01"))
    assert refused.value.code == "insufficient_cash"
    broker.withdraw(funded, D("80000"))
    assert broker.trading_account(funded).cash == D("0")
