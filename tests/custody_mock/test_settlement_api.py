"""T+1 through the HTTP API: settle dates of executions, settled shares and cash on that morning."""

from __future__ import annotations

import datetime as dt

import pytest

from custody_mock.client import BrokerRejected
from tests.custody_mock.conftest import START, D, ny, open_funded, seed, snapshot

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


@pytest.mark.parametrize("path, body, code", [
    ("/v1/accounts/{id}/transfers", {"direction": "INCOMING", "amount": 1.9469475768101923e+116},
     "invalid_amount"),
    ("/v1/accounts/{id}/transfers", {"direction": "INCOMING", "amount": "1e14"},
     "invalid_amount"),
    ("/v1/accounts/{id}/transfers", {"direction": "INCOMING", "amount": "10000000000000"},
     "invalid_amount"),
    ("/v1/accounts/{id}/transfers", {"direction": "INCOMING", "amount": 12.5}, "invalid_amount"),
    ("/_mock/accounts/{id}/fees", {"amount": 3.402823466e+38}, "invalid_amount"),
    ("/_mock/prices/AAPL", {"price": "1e10"}, "invalid_price"),
    ("/_mock/prices/AAPL", {"price": "10", "effective_at": 0}, "invalid_time"),
])
def test_amounts_beyond_any_account_are_refused_not_a_500(broker, funded, path, body, code):
    """schemathesis found these reaching a 500 (the ledger's arithmetic overflowed)."""
    before = snapshot(broker, funded)
    method = "PUT" if path.startswith("/_mock/prices") else "POST"
    answer = broker.raw(method, path.format(id=funded), json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code
    assert snapshot(broker, funded) == before


@pytest.mark.parametrize("body", [{"now": 0}, {"now": "1970-01-01T00:00:00Z"},
                                  {"now": "2999-01-01T00:00:00Z"}])
def test_a_clock_outside_the_calendar_data_is_refused_and_the_broker_keeps_working(broker, body):
    """schemathesis moved the clock to 1970: every later request answered 500."""
    for path, method in (("/_mock/clock", "PUT"), ("/_mock/reset", "POST")):
        answer = broker.raw(method, path, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] in ("invalid_time", "clock_out_of_range")
    assert broker.clock().date == START.date()
    too_far = broker.raw("POST", "/_mock/clock/advance", json={"days": 3660})
    assert (too_far.status_code, too_far.json()["code"]) == (422, "clock_out_of_range")
    assert broker.raw("POST", "/_mock/clock/advance", json={"seconds": False}).status_code == 422
