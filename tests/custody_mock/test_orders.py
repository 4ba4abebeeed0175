"""Orders through the HTTP API: validation, lifecycle, client_order_id, hours, expiry."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from custody_mock.client import BrokerRejected
from tests.custody_mock.conftest import D, ny, open_funded, seed, snapshot

MONDAY = dt.date(2024, 10, 7)


def _post_order(broker_url: str, account_id: str, body: dict) -> httpx.Response:
    return httpx.post(f"{broker_url}/v1/trading/accounts/{account_id}/orders", json=body,
                      auth=("mock-key", "mock-secret"))


BASE = {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day", "qty": "1"}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"symbol": "ZZZZ"}, 404, "asset_not_found"),
        ({"qty": "0"}, 422, "invalid_qty"),
        ({"qty": "-3"}, 422, "invalid_qty"),
        ({"qty": "1.0000000001"}, 422, "invalid_qty"),
        # huge values reached a 500 (28-digit arithmetic overflowed): refused up front
        ({"qty": "1e30"}, 422, "invalid_qty"),
        ({"qty": "1e400"}, 422, "invalid_qty"),
        ({"qty": "Infinity"}, 422, "invalid_qty"),
        ({"qty": 1.0000000001}, 422, "invalid_qty"),  # a JSON number: its decimals count too
        ({"qty": None, "notional": "1e30"}, 422, "invalid_notional"),
        ({"type": "limit", "limit_price": "1e30"}, 422, "invalid_limit_price"),
        ({"notional": "100"}, 422, "qty_xor_notional"),
        ({"qty": None}, 422, "qty_xor_notional"),
        ({"qty": None, "notional": "10.001"}, 422, "invalid_notional"),
        ({"qty": None, "notional": "50", "type": "limit", "limit_price": "10"}, 422,
         "invalid_notional"),
        ({"type": "limit"}, 422, "invalid_limit_price"),
        ({"type": "limit", "limit_price": "190.123"}, 422, "invalid_limit_price"),
        ({"limit_price": "190"}, 422, "invalid_limit_price"),
        ({"qty": "0.5", "time_in_force": "gtc"}, 422, "invalid_time_in_force"),
        ({"extended_hours": True}, 422, "invalid_extended_hours"),
        ({"side": "short"}, 422, "invalid_request"),
        ({"qty": "1000"}, 403, "insufficient_buying_power"),
        ({"side": "sell"}, 403, "insufficient_qty"),
        ({"stop_price": "5"}, 422, "invalid_stop_price"),
        ({"type": "stop"}, 422, "invalid_stop_price"),
        ({"type": "trailing_stop", "trail_percent": "2"}, 422, "unsupported_order"),
        ({"time_in_force": "cls"}, 422, "unsupported_order"),
        ({"time_in_force": "fok"}, 422, "unsupported_order"),
        ({"order_class": "bracket"}, 422, "unsupported_order"),
        ({"commission": "-1.00"}, 422, "invalid_commission"),
        ({"commission": "1.00", "commission_type": "percent"}, 422, "invalid_request"),
        ({"type": "trailing"}, 422, "invalid_request"),
    ],
)
def test_bad_orders_get_one_problem_format_and_change_nothing(broker, broker_url, change,
                                                              status, code):
    account = open_funded(broker, cash="100000")
    broker.submit_order(account, symbol="NVDA", side="buy", qty=D("2"))
    before = snapshot(broker, account)
    body = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    if code == "insufficient_buying_power":
        body["qty"] = "600"  # 600 x 200 x 1.05 buffer > 100,000 - 200
    response = _post_order(broker_url, account, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code and problem["status"] == status and problem["detail"]
    assert snapshot(broker, account) == before


def test_quantities_as_json_numbers_are_accepted_as_alpaca_py_sends_them(broker, broker_url):
    account = open_funded(broker, cash="100000")
    response = _post_order(broker_url, account, {**BASE, "qty": 1.5})
    assert response.status_code == 200, response.text
    assert response.json()["qty"] == "1.5"


def test_a_duplicate_client_order_id_is_refused_and_the_order_can_be_found_by_it(broker,
                                                                                  broker_url,
                                                                                  funded):
    body = {**BASE, "client_order_id": "creation-42-buy"}
    first = _post_order(broker_url, funded, body)
    assert first.status_code == 200
    before = snapshot(broker, funded)
    again = _post_order(broker_url, funded, {**body, "qty": "2"})
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_client_order_id"
    assert again.json()["order_id"] == first.json()["id"]
    assert snapshot(broker, funded) == before
    found = broker.order_by_client_id(funded, "creation-42-buy")
    assert found is not None and found.id == first.json()["id"] and found.qty == D("1")
    assert broker.order_by_client_id(funded, "never-sent") is None
    # the typed client treats a resubmission of the same order as success, once
    same = broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("1"),
                               client_order_id="creation-42-buy")
    assert same.id == found.id
    assert len(broker.orders(funded)) == 1


def test_market_order_fills_at_the_price_source_with_slippage(broker, funded):
    broker.set_asset("AAPL", slippage_bps=D("25"))
    buy = broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"))
    assert buy.status == "filled" and buy.filled_avg_price == D("200.5")
    assert broker.trading_account(funded).cash == D("100000") - D("2005")
    sell = broker.submit_order(funded, symbol="AAPL", side="sell", qty=D("4"))
    assert sell.filled_avg_price == D("199.5")
    position = broker.position(funded, "AAPL")
    assert (position.qty, position.avg_entry_price) == (D("6"), D("200.5"))


def test_notional_and_fractional_orders(broker, funded):
    broker.set_price("NVDA", D("123.45"))
    order = broker.submit_order(funded, symbol="NVDA", side="buy", notional=D("1000"))
    # 1000 / 123.45 = 8.100445524...: rounded down to 9 decimals so the cost stays within
    assert order.filled_qty == D("8.100445524")
    assert broker.trading_account(funded).cash_unsettled_debits == D("1000.00")
    fractional = broker.submit_order(funded, symbol="NVDA", side="sell", qty=D("0.123456789"))
    assert fractional.status == "filled" and fractional.filled_qty == D("0.123456789")
    assert broker.position(funded, "NVDA").qty == D("7.976988735")


def test_limit_order_lifecycle_against_a_price_path(broker, funded):
    order = broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"), type="limit",
                                limit_price=D("190"), time_in_force="gtc")
    assert order.status == "new" and order.filled_qty == 0
    # buying power is held for the limit order
    assert broker.trading_account(funded).buying_power == D("100000") - D("1900")
    broker.set_price("AAPL", D("195"), effective_at=ny(MONDAY, 11))
    broker.set_price("AAPL", D("189.50"), effective_at=ny(MONDAY, 12))
    broker.advance(minutes=90)  # 11:30: the price is 195, still above the limit
    assert broker.order(funded, order.id).status == "new"
    broker.advance(minutes=31)  # 12:01: the 189.50 point took effect at 12:00
    filled = broker.order(funded, order.id)
    assert filled.status == "filled" and filled.filled_avg_price == D("189.5")
    assert filled.filled_at == ny(MONDAY, 12)
    assert broker.trading_account(funded).buying_power == D("100000") - D("1895")


def test_orders_outside_market_hours_wait_for_the_next_session(broker):
    seed(broker, ny(dt.date(2024, 10, 11), 18))  # Friday 18:00, after the close
    account = open_funded(broker)
    order = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("1"))
    assert order.status == "accepted"
    broker.set_price("AAPL", D("201"), effective_at=ny(dt.date(2024, 10, 13), 12))  # Sunday
    broker.advance(days=2)  # Sunday 18:00
    assert broker.order(account, order.id).status == "accepted"
    clock = broker.end_of_day()  # Monday open
    assert clock.now == ny(dt.date(2024, 10, 14), 9, 30)
    filled = broker.order(account, order.id)
    assert (filled.status, filled.filled_avg_price) == ("filled", D("201"))
    assert broker.executions(account, order.id)[0].trade_date == dt.date(2024, 10, 14)


def test_extended_hours_limit_orders_fill_before_the_open(broker):
    seed(broker, ny(MONDAY, 7))
    account = open_funded(broker)
    regular = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("1"),
                                  type="limit", limit_price=D("250"))
    extended = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("1"),
                                   type="limit", limit_price=D("250"), extended_hours=True)
    assert (regular.status, extended.status) == ("accepted", "filled")


def test_day_orders_expire_at_the_close_and_early_closes_count(broker):
    seed(broker, ny(dt.date(2024, 11, 29), 10))  # day after Thanksgiving: closes at 13:00
    account = open_funded(broker)
    order = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("1"), type="limit",
                                limit_price=D("150"))
    gtc = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("1"), type="limit",
                              limit_price=D("150"), time_in_force="gtc")
    broker.advance(hours=2, minutes=59)  # 12:59
    assert broker.order(account, order.id).status == "new"
    broker.advance(minutes=1)  # 13:00 early close
    expired = broker.order(account, order.id)
    assert expired.status == "expired" and expired.expired_at == ny(dt.date(2024, 11, 29), 13)
    assert broker.order(account, gtc.id).status == "new"
    assert broker.trading_account(account).buying_power == D("100000") - D("150")


def test_ioc_fills_what_it_can_and_cancels_the_rest(broker, funded):
    order = broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("5"), type="limit",
                                limit_price=D("150"), time_in_force="ioc")
    assert order.status == "canceled" and order.filled_qty == 0
    assert "immediate or cancel" in order.status_reason


def test_cancel_an_open_order_and_not_a_filled_one(broker, funded):
    open_order = broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("5"),
                                     type="limit", limit_price=D("150"))
    broker.cancel_order(funded, open_order.id)
    canceled = broker.order(funded, open_order.id)
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert broker.trading_account(funded).buying_power == D("100000")
    broker.cancel_order(funded, open_order.id)  # idempotent in the client
    filled = broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("1"))
    with pytest.raises(BrokerRejected) as refused:
        broker.cancel_order(funded, filled.id)
    assert refused.value.code == "order_not_cancelable"


def test_halted_symbol_and_blocked_account_refuse_orders(broker, funded):
    broker.set_asset("NVDA", tradable=False, halt_reason="LULD pause")
    with pytest.raises(BrokerRejected) as halted:
        broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("1"))
    assert halted.value.code == "asset_not_tradable" and "LULD" in halted.value.detail
    broker.set_account_flags(funded, trading_blocked=True)
    with pytest.raises(BrokerRejected) as blocked:
        broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("1"))
    assert blocked.value.code == "trading_blocked"
    assert broker.orders(funded) == []


def test_a_market_buy_that_outgrows_buying_power_overnight_is_rejected_at_execution(broker):
    seed(broker, ny(MONDAY, 17))
    account = open_funded(broker, cash="2100")
    order = broker.submit_order(account, symbol="AAPL", side="buy", qty=D("10"))  # 2000 + 5 %
    broker.set_price("AAPL", D("230"), effective_at=ny(MONDAY, 20))
    broker.end_of_day()
    rejected = broker.order(account, order.id)
    assert rejected.status == "rejected" and "buying power" in rejected.status_reason
    assert broker.trading_account(account).cash == D("2100")
