"""The broker port on its own, without a chain or a broker process: the Alpaca adapter against
canned Alpaca answers (httpx's MockTransport), and lifecycle steps against journals in each of
Alpaca's documented statuses. Before the port, a journal ``pending`` or ``sent_to_clearing`` at
Alpaca halted a creation, and the issuer read the mock's ``/_mock/clock``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest

from issuer.broker import AlpacaBroker, BrokerRejected
from issuer.broker.types import Journal
from issuer.db import Base, make_engine, make_sessionmaker, utcnow
from issuer.lifecycle import creations
from issuer.models import Creation, Participant


def adapter(answers: dict[str, object], seen: list[httpx.Request] | None = None,
            status: int = 200) -> AlpacaBroker:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        body = answers.get(request.url.path)
        if body is None:
            return httpx.Response(404, json={"code": 40410000, "message": "not found"})
        return httpx.Response(status, json=body)

    http = httpx.Client(base_url="https://broker.example", transport=httpx.MockTransport(handle))
    return AlpacaBroker("https://broker.example", http=http, backoff=0)


def test_the_market_clock_is_alpacas_v1_clock_with_its_new_york_date():
    seen: list[httpx.Request] = []
    broker = adapter({"/v1/clock": {"timestamp": "2024-10-12T01:30:00Z", "is_open": False,
                                    "next_open": "2024-10-14T13:30:00Z",
                                    "next_close": "2024-10-14T20:00:00Z"}}, seen)
    clock = broker.clock()
    # 01:30 UTC on the 12th is still Friday the 11th in New York
    assert clock.date == dt.date(2024, 10, 11) and clock.is_open is False
    assert [r.url.path for r in seen] == ["/v1/clock"]


def test_alpaca_errors_keep_their_message():
    broker = adapter({})
    with pytest.raises(BrokerRejected) as refused:
        broker.asset("NOPE")
    assert refused.value.status == 404 and refused.value.detail == "not found"


def test_an_answer_richer_than_the_issuer_needs_parses():
    broker = adapter({"/v1/trading/accounts/a1/positions/AAPL": {
        "asset_id": "x", "symbol": "AAPL", "exchange": "NASDAQ", "asset_class": "us_equity",
        "qty": "10", "qty_settled": "9", "qty_available": "10", "avg_entry_price": "200",
        "side": "long", "market_value": "2000", "cost_basis": "2000", "unrealized_pl": "0",
        "current_price": "200", "lastday_price": "199", "change_today": "0.005"}})
    position = broker.position("a1", "AAPL")
    assert position is not None and (position.qty, position.qty_settled) == (Decimal(10),
                                                                             Decimal(9))


@pytest.fixture
def db():
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def _journaled_creation(db) -> Creation:
    now = utcnow()
    db.add(Participant(id="p1", name="AP", broker_account_id="a", wallet="0x" + "1" * 40,
                       created_at=now))
    db.flush()
    row = Creation(id="c1", symbol="AAPL", participant_id="p1", kind="in_kind",
                   qty=Decimal(5), status="journaled", wallet="0x" + "1" * 40,
                   broker_journal_id="j1", created_at=now, updated_at=now)
    db.add(row)
    return row


@pytest.mark.parametrize("status", ["queued", "sent_to_clearing", "pending"])
def test_a_journal_on_its_way_at_alpaca_keeps_the_creation_waiting(db, status):
    creation = _journaled_creation(db)
    issuer = SimpleNamespace(broker=SimpleNamespace(journal=lambda _id: Journal(
        id="j1", entry_type="JNLS", from_account="a", to_account="b", status=status,
        settle_date=dt.date(2024, 10, 15))))
    creations._journaled(issuer, db, creation)
    assert creation.status == "journaled" and creation.status_reason.startswith("waiting")


@pytest.mark.parametrize("status", ["rejected", "canceled", "refused", "deleted"])
def test_a_journal_that_failed_at_alpaca_fails_the_creation(db, status):
    creation = _journaled_creation(db)
    issuer = SimpleNamespace(broker=SimpleNamespace(journal=lambda _id: Journal(
        id="j1", entry_type="JNLS", from_account="a", to_account="b", status=status)))
    creations._journaled(issuer, db, creation)
    assert creation.status == "failed" and status in creation.status_reason


def test_an_order_is_written_once_when_the_answer_is_lost():
    """A timeout on submit: the adapter finds the order by its client id instead of placing a
    second one."""
    calls: list[str] = []
    order = {"id": "o1", "client_order_id": "creation-c1", "symbol": "AAPL", "side": "buy",
             "type": "market", "qty": "5", "filled_qty": "0", "status": "accepted",
             "created_at": "2024-10-11T14:00:00Z"}

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            assert json.loads(request.content)["qty"] == "5"
            raise httpx.ReadTimeout("lost", request=request)
        return httpx.Response(200, json=order)

    http = httpx.Client(base_url="https://b", transport=httpx.MockTransport(handle))
    broker = AlpacaBroker("https://b", http=http, backoff=0)
    placed = broker.submit_order("a1", symbol="AAPL", side="buy", qty=Decimal(5),
                                 client_order_id="creation-c1")
    assert placed.id == "o1"
    assert calls == ["POST /v1/trading/accounts/a1/orders",
                     "GET /v1/trading/accounts/a1/orders:by_client_order_id"]
