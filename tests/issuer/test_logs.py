"""The services' structured logs (servicekit.logs): one event per lifecycle status change, per
broker retry or rate-limit wait, with the fields an operator needs to follow it; JSON when
asked."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from issuer.broker import AlpacaBroker
from issuer.broker.fake import FakeBroker
from issuer.db import Base, make_engine, make_sessionmaker, utcnow
from issuer.lifecycle import creations
from issuer.models import Creation, Participant
from issuer.units import ONE
from servicekit import logs


@pytest.fixture
def db():
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_a_lifecycle_status_change_is_one_event_with_its_references(db):
    broker = FakeBroker(dt.datetime(2024, 10, 11, 15, tzinfo=dt.UTC),
                        prices={"AAPL": Decimal(200)})
    broker.open_account("custody")
    broker.open_account("ap", cash=Decimal(10_000))
    issuer = SimpleNamespace(
        settings=SimpleNamespace(broker_account_id="custody"), broker=broker,
        chain=SimpleNamespace(is_paused=lambda _s: False, multiplier=lambda _s: ONE))
    now = utcnow()
    db.add(Participant(id="p1", name="AP", broker_account_id="ap", wallet="0x" + "1" * 40,
                       created_at=now))
    db.flush()
    row = Creation(id="c1", symbol="AAPL", participant_id="p1", kind="cash", qty=Decimal(2),
                   status="requested", wallet="0x" + "1" * 40, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    with capture_logs() as events:
        creations.step(issuer, db, row)
    [event] = [e for e in events if e["event"] == "lifecycle.status"]
    assert (event["kind"], event["id"], event["symbol"], event["status_from"],
            event["status"]) == ("creation", "c1", "AAPL", "requested", "ordered")
    assert event["broker_order_id"] == row.broker_order_id and event["log_level"] == "info"


def test_a_broker_retry_and_a_rate_limit_wait_are_logged():
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "0"}),
                    httpx.Response(200, json={"id": "a1", "status": "ACTIVE"})])
    http = httpx.Client(base_url="https://b",
                        transport=httpx.MockTransport(lambda _r: next(answers)))
    broker = AlpacaBroker("https://b", http=http, backoff=0)
    with capture_logs() as events:
        assert broker.account("a1").status == "ACTIVE"
    assert [(e["event"], e["attempt"], e["path"]) for e in events] == [
        ("broker.retry", 1, "/v1/accounts/a1"), ("broker.rate_limited", 2, "/v1/accounts/a1")]
    assert events[1]["wait_s"] == 0.0 and "HTTP 429" in events[1]["reason"]


def test_json_in_production_with_the_service_name(capsys):
    logs.configure("issuer", fmt="json", level="INFO")
    try:
        logs.get("issuer.test").info("outbox.sent", key="mint:creation:c1", nonce=7)
        logging.getLogger("a.library").warning("a library's own line")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        logging.getLogger().handlers.clear()
        structlog.reset_defaults()
    assert {k: lines[0][k] for k in ("event", "key", "nonce", "service", "level")} == {
        "event": "outbox.sent", "key": "mint:creation:c1", "nonce": 7, "service": "issuer",
        "level": "info"}
    assert (lines[1]["event"], lines[1]["service"]) == ("a library's own line", "issuer")
