"""The broker port on its own, without a chain or a broker process: the Alpaca adapter against
canned Alpaca answers (httpx's MockTransport), and lifecycle steps against journals in each of
Alpaca's documented statuses. Before the port, a journal ``pending`` or ``sent_to_clearing`` at
Alpaca halted a creation, and the issuer read the mock's ``/_mock/clock``."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import threading
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from issuer import passcache
from issuer.broker import AlpacaBroker, BrokerPort, BrokerRejected
from issuer.broker.fake import FakeBroker
from issuer.broker.tickers import TickerBroker
from issuer.broker.types import Journal, Order
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


def test_a_worker_pass_reads_the_clock_once_and_only_for_itself():
    seen: list[httpx.Request] = []
    broker = adapter({"/v1/clock": {"timestamp": "2024-10-14T15:00:00Z", "is_open": True,
                                    "next_open": "2024-10-15T13:30:00Z",
                                    "next_close": "2024-10-14T20:00:00Z"}}, seen)
    with passcache.scope():
        first = broker.clock()
        assert all(broker.clock() is first for _ in range(50))
        # another thread (an API request during the pass) reads the broker itself
        other = []
        thread = threading.Thread(target=lambda: other.append(broker.clock()))
        thread.start()
        thread.join()
    assert len(seen) == 2 and other[0] == first
    broker.clock()
    broker.clock()
    assert len(seen) == 4   # outside a pass, every read asks the broker
    with passcache.scope():
        broker.clock()
    assert len(seen) == 5   # a new pass reads it afresh


def test_fills_are_read_with_a_cursor_not_from_the_start_each_time():
    fills = [{"id": f"20241014150000000::00000000000{i}", "activity_type": "FILL",
              "account_id": "acct", "date": "2024-10-14",
              "transaction_time": "2024-10-14T15:00:00Z", "type": "fill", "price": "200",
              "qty": "1", "side": "buy", "symbol": "AAPL", "leaves_qty": "0",
              "order_id": f"o{i}", "cum_qty": "1", "order_status": "filled"}
             for i in range(3)]
    pages: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/clock":
            return httpx.Response(200, json={"timestamp": "2024-10-14T16:00:00Z",
                                             "is_open": True,
                                             "next_open": "2024-10-15T13:30:00Z",
                                             "next_close": "2024-10-14T20:00:00Z"})
        token = request.url.params.get("page_token")
        pages.append({"page_token": token})
        return httpx.Response(200, json=[f for f in fills if token is None or f["id"] > token])

    http = httpx.Client(base_url="https://b.example", transport=httpx.MockTransport(handle))
    broker = AlpacaBroker("https://b.example", http=http, backoff=0)
    order = Order(id="o2", client_order_id="c2", symbol="AAPL", side="buy", type="market",
                  status="filled", qty=Decimal(1), filled_qty=Decimal(1),
                  created_at=dt.datetime(2024, 10, 14, 14, tzinfo=dt.UTC))
    assert [e.order_id for e in broker.executions("acct", order)] == ["o2"]
    fills.append({**fills[2], "id": "20241014150000000::000000000009", "order_id": "o2",
                  "qty": "0.5"})
    assert [e.qty for e in broker.executions("acct", order)] == [Decimal(1), Decimal("0.5")]
    # the second read asked only for what came after the last fill seen
    assert [p["page_token"] for p in pages] == [None, fills[2]["id"]]
    # within a worker pass, the account's new fills are asked for once
    with passcache.scope():
        for _ in range(5):
            broker.executions("acct", order)
        assert len(pages) == 3
        # an order that filled after the pass read the fills (another worker's, or a late
        # fill): its fills are read again, never taken as missing (a payment of 0)
        fills.append({**fills[0], "id": "20241014150000000::000000000010", "order_id": "o7"})
        late = order.model_copy(update={"id": "o7", "client_order_id": "c7"})
        assert [e.order_id for e in broker.executions("acct", late)] == ["o7"]
    assert len(pages) == 4


def test_alpaca_errors_keep_their_message():
    broker = adapter({})
    with pytest.raises(BrokerRejected) as refused:
        broker.asset("NOPE")
    assert refused.value.status == 404 and refused.value.detail == "not found"


CLOCK = {"timestamp": "2024-10-14T15:00:00Z", "is_open": True,
         "next_open": "2024-10-15T13:30:00Z", "next_close": "2024-10-14T20:00:00Z"}


def test_an_answer_richer_than_the_issuer_needs_parses():
    broker = adapter({"/v1/clock": CLOCK, "/v1/accounts/activities": [],
                      "/v1/trading/accounts/a1/positions/AAPL": {
        "asset_id": "x", "symbol": "AAPL", "exchange": "NASDAQ", "asset_class": "us_equity",
        "qty": "10", "qty_settled": "9", "qty_available": "10", "avg_entry_price": "200",
        "side": "long", "market_value": "2000", "cost_basis": "2000", "unrealized_pl": "0",
        "current_price": "200", "lastday_price": "199", "change_today": "0.005"}})
    position = broker.position("a1", "AAPL")
    # no fill waits for settlement: every share is settled, whatever a mock-only field says
    assert position is not None and (position.qty, position.qty_settled) == (Decimal(10),
                                                                             Decimal(10))


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


# ----------------------------------------------------------------------------- settlement


def fill(id_: str, at: str, qty: str, price: str, *, side: str = "buy", order: str = "o1",
         status: str = "executed", corrects: str | None = None, net: str | None = None,
         symbol: str = "AAPL") -> dict:
    """A FILL activity as Alpaca writes it (``net_amount`` optional: Alpaca's has none)."""
    entry = {"id": id_, "account_id": "a1", "activity_type": "FILL", "type": "fill",
             "date": at[:10], "transaction_time": at, "symbol": symbol, "side": side,
             "qty": qty, "price": price, "order_id": order, "status": status,
             "corrects_id": corrects}
    if net is not None:
        entry["net_amount"] = net
    return entry


def broker_on(day: str, activities: list[dict], extra: dict | None = None,
              seen: list[httpx.Request] | None = None) -> AlpacaBroker:
    """An Alpaca whose clock reads ``day`` 11:00 New York and whose activity list is
    ``activities`` (filtered by type and ``after`` as Alpaca filters them)."""
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        path, query = request.url.path, request.url.params
        if path == "/v1/clock":
            return httpx.Response(200, json={**CLOCK, "timestamp": f"{day}T15:00:00Z"})
        if path == "/v1/accounts/activities":
            types = set(query.get("activity_types", "").split(","))
            after = dt.datetime.fromisoformat(query["after"]) if "after" in query else None
            token = query.get("page_token")
            found = [a for a in activities if a["activity_type"] in types
                     and (after is None or dt.datetime.fromisoformat(
                         a["transaction_time"].replace("Z", "+00:00")) > after)
                     and (token is None or a["id"] > token)]
            return httpx.Response(200, json=found)
        if extra and path in extra:
            answer = extra[path]
            return httpx.Response(200, json=answer(request) if callable(answer) else answer)
        return httpx.Response(404, json={"code": 40410000, "message": "not found"})

    http = httpx.Client(base_url="https://b", transport=httpx.MockTransport(handle))
    return AlpacaBroker("https://b", http=http, backoff=0)


ORDER = Order(id="o1", client_order_id="creation-c1", symbol="AAPL", side="buy", type="market",
              qty=Decimal(10), filled_qty=Decimal(10), status="filled",
              created_at=dt.datetime(2024, 10, 11, 14, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(("today", "status"), [("2024-10-11", "pending"),
                                                ("2024-10-14", "pending"),
                                                ("2024-10-15", "settled")])
def test_an_execution_settles_on_the_next_nyse_session_that_is_a_bank_day(today, status):
    # Friday 2024-10-11; Monday the 14th is Columbus Day (NYSE trades, banks are closed), so
    # T+1 is Tuesday the 15th. 10 at 200.005 = 2000.05 to the cent (half up); the other order's
    # fill is not this order's
    broker = broker_on(today, [fill("20241011140001::1", "2024-10-11T14:00:01Z", "10", "200.005"),
                               fill("20241011140002::2", "2024-10-11T14:00:02Z", "3", "200",
                                    order="o2")])
    [execution] = broker.executions("a1", ORDER)
    assert (execution.trade_date, execution.settle_date) == (dt.date(2024, 10, 11),
                                                             dt.date(2024, 10, 15))
    assert (execution.qty, execution.amount, execution.status) == (Decimal(10),
                                                                   Decimal("2000.05"), status)


def test_a_busted_fill_is_canceled_and_a_price_correction_changes_the_amount():
    broker = broker_on("2024-10-15", [
        fill("20241011140001::1", "2024-10-11T14:00:01Z", "6", "200", net="-1200"),
        fill("20241011140002::2", "2024-10-11T14:00:02Z", "4", "200", net="-800"),
        # the first fill's price corrected to 200.50: 3 more dollars charged
        fill("20241011210000::3", "2024-10-11T21:00:00Z", "6", "200.5", status="correct",
             corrects="20241011140001::1", net="-3"),
        # the second busted: reversed
        fill("20241011210001::4", "2024-10-11T21:00:01Z", "-4", "200", status="canceled",
             corrects="20241011140002::2", net="800"),
    ])
    first, second = broker.executions("a1", ORDER)
    assert (first.status, first.price, first.amount) == ("settled", Decimal("200.5"),
                                                         Decimal(1203))
    assert (second.status, second.amount) == ("canceled", Decimal(800))


def position_answer(qty: str) -> dict:
    return {"/v1/trading/accounts/a1/positions/AAPL": {
        "symbol": "AAPL", "qty": qty, "qty_available": qty, "avg_entry_price": "100"}}


def test_settled_shares_are_the_position_less_unsettled_buys_plus_unsettled_sells():
    # on Tuesday the 15th: Thursday's trades settled (Friday), Friday's settle today (Columbus
    # Day in between), today's buy of 4 and sale of 1.5 settle Wednesday
    broker = broker_on("2024-10-15", [
        fill("20241010140000::1", "2024-10-10T14:00:00Z", "20", "100"),
        fill("20241011140000::2", "2024-10-11T14:00:00Z", "5", "100"),
        fill("20241015140000::3", "2024-10-15T14:00:00Z", "4", "100"),
        fill("20241015140001::4", "2024-10-15T14:00:01Z", "1.5", "100", side="sell"),
        fill("20241015140002::5", "2024-10-15T14:00:02Z", "9", "100", symbol="MSFT"),
    ], position_answer("27.5"))
    position = broker.position("a1", "AAPL")
    assert position is not None
    # 27.5 - 4 + 1.5 = 25 settled: the 20 and the 5
    assert (position.qty, position.qty_settled) == (Decimal("27.5"), Decimal(25))


def test_a_busted_buy_is_not_taken_off_the_settled_shares_twice():
    broker = broker_on("2024-10-15", [
        fill("20241015140000::1", "2024-10-15T14:00:00Z", "4", "100"),
        fill("20241015150000::2", "2024-10-15T15:00:00Z", "-4", "100", status="canceled",
             corrects="20241015140000::1"),
    ], position_answer("10"))
    position = broker.position("a1", "AAPL")
    assert position is not None and position.qty_settled == Decimal(10)


def test_a_pending_buy_across_a_split_counts_in_post_split_shares():
    # 3 bought Friday 2024-10-11 at 99.99 settle Tuesday the 15th (Columbus Day between); a
    # 3-for-2 split takes effect Monday the 14th, before: on Monday 3 * 3/2 = 4.5 of Monday's
    # shares are not settled yet, so 19.5 held are 15 settled; on Tuesday all 19.5 are
    split = {"id": "20241014040000::9", "account_id": "a1", "activity_type": "SPLIT",
             "date": "2024-10-14", "transaction_time": "2024-10-14T04:00:00Z",
             "symbol": "AAPL", "qty": "6.5", "corporate_action_id": "ca-1"}
    announcement = [{"id": "an-1", "corporate_action_id": "ca-1", "ca_type": "split",
                     "ca_sub_type": "stock_split", "initiating_symbol": "AAPL",
                     "ex_date": "2024-10-14", "old_rate": "2", "new_rate": "3", "cash": "0"}]
    answers = {**position_answer("19.5"), "/v1/corporate_actions/announcements": announcement}
    history = [fill("20241011140000::1", "2024-10-11T14:00:00Z", "3", "99.99"), split]
    monday = broker_on("2024-10-14", history, answers).position("a1", "AAPL")
    tuesday = broker_on("2024-10-15", history, answers).position("a1", "AAPL")
    assert monday is not None and monday.qty_settled == Decimal(15)
    assert tuesday is not None and tuesday.qty_settled == Decimal("19.5")


# ----------------------------------------------------------------------------- journals


def test_a_journal_carries_its_client_id_and_is_not_made_twice():
    """Alpaca's journals have no client id: the adapter puts it in the description and looks
    for it before writing, so a retry after a crash finds the first journal."""
    made: list[dict] = []

    def journals(request: httpx.Request) -> object:
        if request.method == "POST":
            body = json.loads(request.content)
            made.append({"id": f"j{len(made) + 1}", "status": "queued", **body})
            raise httpx.ReadTimeout("lost", request=request)  # the answer never arrives
        query = request.url.params
        return [j for j in made if j["from_account"] == query["from_account"]
                and j["to_account"] == query["to_account"]]

    seen: list[httpx.Request] = []
    broker = broker_on("2024-10-15", [], {"/v1/journals": journals}, seen)

    def pay() -> Journal:
        return broker.create_journal(entry_type="JNLC", from_account="ap", to_account="custody",
                                     amount=Decimal("2000.05"), description="payment",
                                     client_journal_id="creation-c1-payment")

    first = pay()
    assert first.id == "j1" and first.description == "payment [ref:creation-c1-payment]"
    again = pay()   # a restarted worker asks again
    assert again.id == "j1" and len(made) == 1
    assert [r.method for r in seen] == ["GET", "POST", "GET", "GET"]
    # a caller that stored proof of a first attempt skips the lookup; a lost answer is still
    # found by it afterwards
    seen.clear()
    other = broker.create_journal(entry_type="JNLC", from_account="ap", to_account="custody",
                                  amount=Decimal("1"), description="payment",
                                  client_journal_id="creation-c2-payment", first_attempt=True)
    assert other.id == "j2" and [r.method for r in seen] == ["POST", "GET"]


# ----------------------------------------------------------------------------- the port


@pytest.mark.parametrize("adapter_class", [AlpacaBroker, FakeBroker, TickerBroker])
def test_each_adapter_implements_every_call_of_the_port(adapter_class):
    """Same names, parameters and defaults as :class:`BrokerPort`: a fast test against the
    fake exercises the calls the Alpaca adapter answers."""
    calls = [name for name, member in vars(BrokerPort).items()
             if callable(member) and not name.startswith("_")]
    assert len(calls) == 21
    for name in calls:
        expected = inspect.signature(getattr(BrokerPort, name))
        actual = inspect.signature(getattr(adapter_class, name))
        assert [(p.name, p.kind, p.default) for p in actual.parameters.values()] == [
            (p.name, p.kind, p.default) for p in expected.parameters.values()], name


def test_nothing_under_issuer_imports_the_mock():
    root = Path(__file__).resolve().parents[2] / "issuer"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "custody_mock" in p.read_text()]
    assert offenders == []
