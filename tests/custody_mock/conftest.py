"""The broker runs for real: uvicorn on a loopback port, its own SQLite file, the typed client.

Each test starts from an empty broker (``POST /_mock/reset``) with the clock at ``START``.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import uvicorn

from custody_mock.app import create_app
from custody_mock.client import BrokerClient
from custody_mock.settings import Settings

#: Monday 2024-10-07, 10:00 New York: the market is open.
START = dt.datetime(2024, 10, 7, 14, 0, tzinfo=dt.UTC)
D = Decimal


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("custody_mock") / "broker.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", start=START))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("custody_mock did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def broker(broker_url: str) -> Iterator[BrokerClient]:
    with BrokerClient(broker_url, backoff=0.01, timeout=5.0) as client:
        client.reset(START)
        client.set_asset("AAPL", name="Apple Inc.")
        client.set_asset("NVDA", name="NVIDIA Corp.")
        client.set_price("AAPL", D("200.00"))
        client.set_price("NVDA", D("100.00"))
        yield client


@pytest.fixture
def funded(broker: BrokerClient) -> str:
    """A US account with $100,000 of settled cash."""
    account = broker.create_account(given_name="Ada", family_name="Lovelace")
    broker.deposit(account.id, D("100000"))
    return account.id
