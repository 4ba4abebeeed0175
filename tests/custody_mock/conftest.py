"""The broker runs for real: uvicorn on a loopback port, its own SQLite file, the typed client.

Each test starts from an empty broker (``POST /_mock/reset``) with the clock at ``START``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from custody_mock.client import BrokerClient
from custody_mock.settings import Settings
from servicekit.calendar import NEW_YORK
from tests.support import serve

D = Decimal


def ny(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A New York wall-clock time, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK)


#: Monday 2024-10-07, 10:00 New York: the market is open.
START = ny(dt.date(2024, 10, 7))


def seed(client: BrokerClient, start: dt.datetime) -> None:
    """Empty broker at ``start`` with AAPL at 200 and NVDA at 100."""
    client.reset(start)
    client.set_asset("AAPL", name="Apple Inc.")
    client.set_asset("NVDA", name="NVIDIA Corp.")
    client.set_price("AAPL", D("200.00"))
    client.set_price("NVDA", D("100.00"))


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("custody_mock") / "broker.db"
    with serve(Settings(database_url=f"sqlite:///{db}", start=START)) as url:
        yield url


@pytest.fixture
def broker(broker_url: str) -> Iterator[BrokerClient]:
    with BrokerClient(broker_url, backoff=0.01, timeout=5.0) as client:
        seed(client, START)
        yield client


def open_funded(client: BrokerClient, cash: str = "100000", country: str = "USA",
                **extra: object) -> str:
    account = client.create_account(given_name="Test", family_name=country,
                                    country_of_tax_residence=country, **extra)
    if D(cash) > 0:
        client.deposit(account.id, D(cash))
    return account.id


@pytest.fixture
def funded(broker: BrokerClient) -> str:
    """A US account with $100,000 of settled cash."""
    return open_funded(broker)


def snapshot(client: BrokerClient, account_id: str) -> tuple:
    """Everything a refused request must leave unchanged for an account."""
    account = client.trading_account(account_id)
    return (account.cash, account.cash_settled, account.buying_power,
            [(p.symbol, p.qty, p.qty_settled) for p in client.positions(account_id)],
            [(o.id, o.status, o.filled_qty) for o in client.orders(account_id)],
            [a.id for a in client.activities(account_id=account_id, page_size=1000)])
