"""The service itself: clock control, authentication, OpenAPI, problem format, accounts."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from custody_mock.client import BrokerClient, BrokerRejected, MockAuth
from custody_mock.settings import Settings
from tests.custody_mock.conftest import D, ny, open_funded, seed
from tests.support import serve


def test_the_clock_never_moves_backwards(broker):
    before = broker.clock()
    with pytest.raises(BrokerRejected) as refused:
        broker.set_clock(before.now - dt.timedelta(seconds=1))
    assert refused.value.code == "clock_backwards"
    assert broker.clock().now == before.now


def test_end_of_day_crosses_weekends_and_holidays_to_the_next_open(broker):
    seed(broker, ny(dt.date(2024, 12, 24), 10))  # Christmas Eve: early close at 13:00
    clock = broker.end_of_day()
    assert clock.now == ny(dt.date(2024, 12, 26), 9, 30) and clock.is_open
    seed(broker, ny(dt.date(2025, 4, 17), 15))
    assert broker.end_of_day().now == ny(dt.date(2025, 4, 21), 9, 30)  # over Good Friday
    clock = broker.set_clock(ny(dt.date(2025, 4, 21), 16, 30))
    assert not clock.is_open and clock.next_open == ny(dt.date(2025, 4, 22), 9, 30)


def test_a_year_of_simulated_time_passes_in_one_call(broker, broker_url, funded):
    broker.submit_order(funded, symbol="AAPL", side="buy", qty=D("1"))
    # 252 sessions settled in one call: seconds of work, more on a machine the whole suite
    # shares (the fixture's client gives up after 5 s)
    with BrokerClient(broker_url, timeout=120) as patient:
        clock = patient.advance(days=365)
    assert clock.date == dt.date(2025, 10, 7)
    assert broker.position(funded, "AAPL").qty_settled == D("1")


def test_requests_need_the_api_key(broker_url):
    response = httpx.get(f"{broker_url}/v1/accounts")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == 'Basic realm="broker"'
    wrong = httpx.get(f"{broker_url}/v1/accounts", auth=("mock-key", "nope"))
    assert wrong.status_code == 401


def test_openapi_describes_the_broker_and_control_apis(broker_url):
    spec = httpx.get(f"{broker_url}/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/v1/accounts", "/v1/trading/accounts/{account_id}/orders",
                 "/v1/trading/accounts/{account_id}/orders:by_client_order_id",
                 "/v1/trading/accounts/{account_id}/positions/{symbol}",
                 "/v1/accounts/activities", "/v1/journals",
                 "/v1/corporate_actions/announcements", "/_mock/clock", "/_mock/eod",
                 "/_mock/faults", "/_mock/prices/{symbol}"):
        assert path in paths, path
    assert httpx.get(f"{broker_url}/docs").status_code == 200


def test_unknown_ids_and_malformed_bodies_are_problems_not_crashes(broker, broker_url, funded):
    auth = MockAuth()
    for method, path in (("GET", "/v1/accounts/nope"),
                         ("GET", f"/v1/trading/accounts/{funded}/orders/nope"),
                         ("GET", "/v1/journals/nope"),
                         ("DELETE", "/_mock/faults/nope"),
                         ("GET", "/v1/nothing-here")):
        response = httpx.request(method, broker_url + path, auth=auth)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
    garbage = httpx.post(f"{broker_url}/v1/trading/accounts/{funded}/orders", auth=auth,
                         content=b"{not json", headers={"content-type": "application/json"})
    assert garbage.status_code == 422 and garbage.json()["code"] == "invalid_request"
    float_qty = httpx.post(f"{broker_url}/v1/trading/accounts/{funded}/orders", auth=auth,
                           json={"symbol": "AAPL", "side": "buy", "type": "market",
                                 "time_in_force": "day", "qty": "abc"})
    assert float_qty.status_code == 422


def test_accounts_carry_tax_residence_and_treaty_rate(broker):
    account = broker.create_account(given_name="Grace", family_name="Hopper",
                                    country_of_tax_residence="GBR",
                                    withholding_rate=D("0.15"))
    fetched = broker.account(account.id)
    assert fetched.identity.country_of_tax_residence == "GBR"
    assert fetched.withholding_rate == D("0.15")
    cleared = broker.set_account_flags(account.id, clear_withholding_rate=True)
    assert cleared.withholding_rate is None
    with pytest.raises(BrokerRejected) as refused:
        broker.create_account(country_of_tax_residence="gb")
    assert refused.value.code == "invalid_request"


def test_fees_and_transfers_post_activities(broker, funded):
    broker.charge_fee(funded, D("12.34"), "custody fee")
    broker.withdraw(funded, D("100"))
    kinds = [(a.activity_type, a.net_amount) for a in broker.activities(account_id=funded)]
    assert kinds == [("CSD", D("100000")), ("FEE", D("-12.34")), ("CSW", D("-100"))]
    assert broker.trading_account(funded).cash == D("99887.66")


def test_broker_restarts_on_its_database(tmp_path):
    """State lives in the database: a new service on the same file sees the same books."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}",
                        start=ny(dt.date(2024, 10, 7)))
    with serve(settings) as url, BrokerClient(url) as first:
        first.set_asset("AAPL")
        first.set_price("AAPL", D("10"))
        account = open_funded(first)
        first.submit_order(account, symbol="AAPL", side="buy", qty=D("3"))
    with serve(settings) as url, BrokerClient(url) as second:
        assert second.position(account, "AAPL").qty == D("3")
        assert second.clock().now == ny(dt.date(2024, 10, 7))
