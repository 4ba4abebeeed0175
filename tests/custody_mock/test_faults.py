"""Every fault kind of the control API, through HTTP, and the typed client's safe retries."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from custody_mock.client import BrokerClient, BrokerRejected, BrokerUnavailable
from tests.custody_mock.conftest import START, D, open_funded, seed

DAY = dt.date
ORDERS = "POST /v1/trading/accounts/*/orders"


def _buy(broker, account, qty="10", **extra):
    return broker.submit_order(account, symbol="AAPL", side="buy", qty=D(qty), **extra)


def test_order_rejected_at_submit(broker, funded):
    broker.add_fault("order_reject_submit", symbol="AAPL", reason="risk check failed")
    rejected = _buy(broker, funded)
    assert (rejected.status, rejected.status_reason) == ("rejected", "risk check failed")
    assert broker.trading_account(funded).buying_power == D("100000")
    assert _buy(broker, funded).status == "filled"  # count 1: the next order goes through
    [rule] = broker.faults()
    assert (rule.fired, rule.remaining) == (1, 0)


def test_order_rejected_after_acceptance(broker, funded):
    broker.add_fault("order_reject_after_accept", reason="exchange rejected")
    order = _buy(broker, funded)
    assert order.status == "accepted"
    assert broker.trading_account(funded).buying_power < D("100000")  # held while accepted
    broker.advance(seconds=1)
    rejected = broker.order(funded, order.id)
    assert (rejected.status, rejected.status_reason) == ("rejected", "exchange rejected")
    assert broker.trading_account(funded).buying_power == D("100000")
    assert broker.positions(funded) == []


def test_partial_fill_then_cancel(broker, funded):
    broker.add_fault("partial_fill", ratio="0.4")
    order = _buy(broker, funded)
    assert (order.status, order.filled_qty) == ("canceled", D("4"))
    assert "remainder canceled" in order.status_reason
    [fill] = broker.activities(account_id=funded, types=["FILL"])
    assert (fill.type, fill.qty, fill.leaves_qty) == ("partial_fill", D("4"), D("6"))
    assert broker.trading_account(funded).cash == D("99200")


def test_settlement_delayed(broker, funded):
    broker.add_fault("settlement_delay", days=2)
    order = _buy(broker, funded)
    broker.end_of_day()  # Tue: due, delayed by two settlement days
    assert broker.position(funded, "AAPL").qty_settled == 0
    assert broker.executions(funded, order.id)[0].settle_date == DAY(2024, 10, 10)
    broker.end_of_day()  # Wed
    assert broker.position(funded, "AAPL").qty_settled == 0
    broker.end_of_day()  # Thu
    assert broker.position(funded, "AAPL").qty_settled == D("10")


def test_settlement_failed_reverses_the_trade(broker, funded):
    broker.add_fault("settlement_fail", reason="fail to deliver")
    order = _buy(broker, funded)
    [original] = broker.activities(account_id=funded, types=["FILL"])
    broker.end_of_day()
    assert broker.executions(funded, order.id)[0].status == "failed"
    assert broker.positions(funded) == []
    account = broker.trading_account(funded)
    assert (account.cash, account.cash_settled) == (D("100000"), D("100000"))
    correction = broker.activities(account_id=funded, types=["FILL"])[-1]
    assert (correction.status, correction.corrects_id) == ("canceled", original.id)
    assert correction.qty == D("-10") and correction.description == "fail to deliver"
    failed = broker.order(funded, order.id)
    assert (failed.status, failed.filled_qty) == ("canceled", D("0"))


def test_journal_settlement_failure(broker, funded):
    _buy(broker, funded)
    broker.end_of_day()
    other = open_funded(broker, cash="0")
    broker.add_fault("settlement_fail", applies_to="journal")
    broker.set_account_flags(funded, firm=True)
    journal = broker.create_journal(entry_type="JNLS", from_account=funded, to_account=other,
                                    symbol="AAPL", qty=D("3"))
    broker.end_of_day()
    assert broker.journal(journal.id).status == "rejected"
    assert broker.position(funded, "AAPL").qty_settled == D("10")
    assert broker.position(other, "AAPL") is None


def test_trade_bust(broker, funded):
    broker.add_fault("trade_bust")
    order = _buy(broker, funded)
    broker.advance(hours=14)  # past midnight: busted at the end of the trade date
    busted = broker.order(funded, order.id)
    assert busted.status == "canceled" and busted.status_reason == "trade busted by the market"
    assert broker.executions(funded, order.id)[0].status == "busted"
    assert broker.trading_account(funded).cash == D("100000")
    assert broker.positions(funded) == []


def test_trade_correction(broker, funded):
    broker.add_fault("trade_correct", price="201.00")
    order = _buy(broker, funded)
    [original] = broker.activities(account_id=funded, types=["FILL"])
    broker.end_of_day()  # corrected at midnight, then settled at the start of Tuesday
    correction = broker.activities(account_id=funded, types=["FILL"])[-1]
    assert (correction.status, correction.corrects_id) == ("correct", original.id)
    assert (correction.price, correction.net_amount) == (D("201"), D("-10"))
    assert broker.order(funded, order.id).filled_avg_price == D("201")
    assert broker.position(funded, "AAPL").avg_entry_price == D("201")
    assert broker.trading_account(funded).cash_settled == D("100000") - D("2010")


@pytest.mark.parametrize("kind", ["activity_duplicate", "activity_out_of_order"])
def test_activity_delivery_faults_do_not_break_exactly_once_consumption(broker, funded, kind):
    for qty in ("1", "2", "3", "4", "5"):
        _buy(broker, funded, qty)
    clean = [a.id for a in broker.activities(account_id=funded, page_size=1000)]
    broker.add_fault(kind, count=None, probability=D("1"))
    raw = broker.activities(account_id=funded, page_size=3)
    assert [a.id for a in raw] != clean[:3]  # the fault really changed the page
    consumed = [a.id for a in broker.new_activities(None, account_id=funded, page_size=3)]
    assert consumed == clean
    _buy(broker, funded, "6")
    resumed = list(broker.new_activities(consumed[-1], account_id=funded, page_size=3))
    assert [a.qty for a in resumed] == [D("6")]


def test_amended_announcement(broker, funded):
    _buy(broker, funded)
    ann = broker.announce(ca_type="dividend", ca_sub_type="cash", initiating_symbol="AAPL",
                          declaration_date=DAY(2024, 10, 7), ex_date=DAY(2024, 10, 9),
                          record_date=DAY(2024, 10, 9), payable_date=DAY(2024, 10, 11),
                          cash=D("0.25"))
    broker.add_fault("announcement_amend", symbol="AAPL", changes={"cash": "0.40"})
    broker.end_of_day()
    [current] = broker.announcements(symbol="AAPL")
    assert (current.corporate_action_id, current.version, current.cash) == (
        ann.corporate_action_id, 2, D("0.4"))
    for _ in range(3):
        broker.end_of_day()
    [div] = broker.activities(account_id=funded, types=["DIV"])
    assert div.net_amount == D("4")  # 10 x 0.40


def _orders_of(broker, account):
    return [(o.client_order_id, o.status) for o in broker.orders(account)]


@pytest.mark.parametrize("applied", [False, True])
def test_5xx_on_submit_never_places_two_orders(broker, funded, applied):
    broker.add_fault("http_error", endpoint=ORDERS, status=503, applied=applied)
    order = _buy(broker, funded, client_order_id="c-1")
    assert order.client_order_id == "c-1" and order.status == "filled"
    assert _orders_of(broker, funded) == [("c-1", "filled")]
    assert broker.position(funded, "AAPL").qty == D("10")
    [rule] = broker.faults()
    assert rule.fired == 1


def test_timeout_where_the_request_was_applied(broker, broker_url, funded):
    broker.add_fault("timeout", endpoint=ORDERS, delay_ms=800, applied=True)
    with BrokerClient(broker_url, timeout=0.3, backoff=0.01) as impatient:
        order = impatient.submit_order(funded, symbol="AAPL", side="buy", qty=D("10"),
                                       client_order_id="c-2")
    assert order.status == "filled"
    assert _orders_of(broker, funded) == [("c-2", "filled")]
    assert broker.position(funded, "AAPL").qty == D("10")


def test_timeout_where_the_request_was_not_applied(broker, broker_url, funded):
    broker.add_fault("timeout", endpoint=ORDERS, delay_ms=300, applied=False)
    raw = httpx.post(f"{broker_url}/v1/trading/accounts/{funded}/orders",
                     auth=("mock-key", "mock-secret"),
                     json={"symbol": "AAPL", "side": "buy", "type": "market",
                           "time_in_force": "day", "qty": "1"})
    assert raw.status_code == 504 and raw.json()["code"] == "gateway_timeout"
    assert broker.orders(funded) == []
    broker.add_fault("timeout", endpoint=ORDERS, delay_ms=300, applied=False)
    assert _buy(broker, funded, client_order_id="c-3").status == "filled"
    assert _orders_of(broker, funded) == [("c-3", "filled")]


def test_rate_limit_with_reset_header(broker, broker_url, funded):
    broker.add_fault("rate_limit", count=1, retry_after=1)
    raw = httpx.get(f"{broker_url}/v1/trading/accounts/{funded}/account",
                    auth=("mock-key", "mock-secret"))
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "1"
    assert int(raw.headers["X-RateLimit-Reset"]) >= int(raw.headers["Retry-After"])
    assert raw.headers["X-RateLimit-Remaining"] == "0"
    waits: list[float] = []
    broker.add_fault("rate_limit", count=2, retry_after=1, endpoint=ORDERS)
    with BrokerClient(broker_url, sleep=waits.append) as client:
        order = client.submit_order(funded, symbol="AAPL", side="buy", qty=D("1"))
    assert order.status == "filled" and waits == [1.0, 1.0]
    assert len(broker.orders(funded)) == 1


def test_non_idempotent_write_reports_that_it_may_have_been_applied(broker, funded):
    broker.add_fault("http_error", endpoint="POST /v1/accounts/*/transfers", applied=True)
    with pytest.raises(BrokerUnavailable) as unknown:
        broker.deposit(funded, D("5"))
    assert unknown.value.maybe_applied and unknown.value.status == 503
    assert broker.trading_account(funded).cash == D("100005")  # it was applied


def test_seeded_probability_is_deterministic(broker):
    def run() -> list[str]:
        seed(broker, START)
        account = open_funded(broker)
        broker.add_fault("order_reject_submit", count=None, probability=D("0.5"), seed=7)
        return [_buy(broker, account, "1").status for _ in range(12)]

    first, second = run(), run()
    assert first == second
    assert {"rejected", "filled"} == set(first)


def test_faults_are_scoped_to_their_symbol_and_account(broker, funded):
    other = open_funded(broker)
    broker.add_fault("order_reject_submit", symbol="NVDA", account_id=other)
    assert broker.submit_order(other, symbol="AAPL", side="buy", qty=D("1")).status == "filled"
    assert broker.submit_order(funded, symbol="NVDA", side="buy", qty=D("1")).status == \
        "filled"
    assert broker.submit_order(other, symbol="NVDA", side="buy", qty=D("1")).status == \
        "rejected"


def test_unknown_fault_kind_is_refused(broker):
    with pytest.raises(BrokerRejected) as refused:
        broker.add_fault("meteor_strike")
    assert refused.value.code == "invalid_fault" and "trade_bust" in refused.value.detail
    assert broker.faults() == []
