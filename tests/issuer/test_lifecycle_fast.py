"""The issuer's lifecycle steps against the in-memory broker (:mod:`issuer.broker.fake`): no
chain, no broker process, an in-memory SQLite database; each test runs in milliseconds. The
steps that sign on chain (attest, mint, burn) stay in the integration suites; here the creation
runs from ``requested`` to ``settled`` and the redemption from ``burned`` to ``completed``.

Dates: Friday 2024-10-11 is the trade date; Monday 2024-10-14 is Columbus Day (NYSE trades,
banks are closed), so T+1 is Tuesday 2024-10-15."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from issuer.broker.fake import FakeBroker
from issuer.broker.types import Announcement
from issuer.corporate import discovery
from issuer.db import Base, make_engine, make_sessionmaker, utcnow
from issuer.lifecycle import creations, redemptions
from issuer.models import AuditEntry, CorporateAction, Creation, Participant, Redemption
from issuer.units import ONE

D = Decimal
FRIDAY = dt.datetime(2024, 10, 11, 15, 0, tzinfo=dt.UTC)           # 11:00 New York
MONDAY, TUESDAY = FRIDAY + dt.timedelta(days=3), FRIDAY + dt.timedelta(days=4)
CUSTODY, AP = "custody", "ap"


@pytest.fixture
def db():
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        session.add(Participant(id="p1", name="AP", broker_account_id=AP,
                                wallet="0x" + "1" * 40, created_at=utcnow()))
        session.flush()
        yield session
    engine.dispose()


@pytest.fixture
def broker():
    fake = FakeBroker(FRIDAY, prices={"AAPL": D(200)})
    fake.open_account(CUSTODY, cash=D(0))
    fake.open_account(AP, cash=D(100_000), shares={"AAPL": D(50)})
    return fake


@pytest.fixture
def issuer(broker):
    settings = SimpleNamespace(broker_account_id=CUSTODY, mint_policy="on_settlement",
                               unsettled_cap=D(0), pays_stablecoin=lambda _symbol: False)
    chain = SimpleNamespace(is_paused=lambda _s: False, stocks={"AAPL": None},
                            multiplier=lambda _s: ONE)
    return SimpleNamespace(settings=settings, broker=broker, chain=chain)


def creation(db, qty: str = "10") -> Creation:
    now = utcnow()
    row = Creation(id="c1", symbol="AAPL", participant_id="p1", kind="cash", qty=D(qty),
                   status="requested", wallet="0x" + "1" * 40, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    return row


def execute_journals(broker: FakeBroker) -> None:
    for journal_id, (journal, _) in list(broker.journals.items()):
        if journal.status == "queued":
            broker.set_journal(journal_id, "executed")


# ----------------------------------------------------------------------------- creations


def test_a_cash_creation_settles_on_t_plus_1_across_columbus_day(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    assert row.status == "ordered" and broker.calls == ["submit_order creation-c1"]
    creations.step(issuer, db, row)
    assert row.status == "ordered" and row.status_reason == "waiting: broker order accepted"
    broker.fill(row.broker_order_id)
    creations.step(issuer, db, row)
    # 10 at 200: the participant pays 2,000.00 by one journal into custody
    assert (row.status, row.filled_qty, row.cost) == ("filled", D(10), D(2000))
    [(payment, _)] = broker.journals.values()
    assert (payment.from_account, payment.to_account, payment.net_amount) == (AP, CUSTODY,
                                                                              D(2000))
    execute_journals(broker)
    for now in (FRIDAY, MONDAY):
        broker.set_time(now)
        creations.step(issuer, db, row)
        assert row.status == "filled"
        assert row.status_reason == "waiting: settlement on 2024-10-15"
    broker.set_time(TUESDAY)
    creations.step(issuer, db, row)
    # counted in the shares of its trade date: splits from Saturday the 12th on apply to it
    assert (row.status, row.settled_qty, row.units_date) == ("settled", D(10),
                                                             dt.date(2024, 10, 12))
    assert broker.trading_account(AP).cash == D(98_000)


def test_a_step_repeated_after_a_crash_pays_once(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    broker.fill(row.broker_order_id)
    creations.step(issuer, db, row)
    db.rollback()                   # the answer was never stored: the step runs again
    assert row.status == "ordered"
    creations.step(issuer, db, row)
    assert row.status == "filled" and len(broker.journals) == 1
    assert [c for c in broker.calls if c.startswith("submit")] == ["submit_order creation-c1"]


def test_a_busted_fill_is_refunded_and_not_minted(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    broker.fill(row.broker_order_id, D(6))
    busted = broker.fill(row.broker_order_id, D(4))
    creations.step(issuer, db, row)
    execute_journals(broker)
    broker.bust(busted.id)
    broker.set_time(TUESDAY)
    creations.step(issuer, db, row)
    # paid 2,000 for 10; 4 were busted: 800 back by one journal, then nothing until it executes
    refund = [j for j, _ in broker.journals.values() if j.from_account == CUSTODY]
    assert [(j.to_account, j.net_amount) for j in refund] == [(AP, D(800))]
    assert row.status == "filled" and row.status_reason == "waiting: true-up journal of 800"
    execute_journals(broker)
    creations.step(issuer, db, row)
    assert (row.status, row.settled_qty, row.cost) == ("settled", D(6), D(1200))
    assert broker.trading_account(AP).cash == D(100_000) - D(1200)


def test_a_price_correction_is_charged(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    fill = broker.fill(row.broker_order_id)
    creations.step(issuer, db, row)
    execute_journals(broker)
    broker.correct(fill.id, D("200.125"))          # 10 * 200.125 = 2,001.25: 1.25 more
    broker.set_time(TUESDAY)
    creations.step(issuer, db, row)
    charge = [j for j, _ in broker.journals.values() if j.to_account == CUSTODY][-1]
    assert (charge.from_account, charge.net_amount) == (AP, D("1.25"))
    execute_journals(broker)
    creations.step(issuer, db, row)
    assert (row.status, row.cost) == ("settled", D("2001.25"))


def test_a_partial_fill_creates_only_what_was_bought(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    broker.fill(row.broker_order_id, D(4))
    broker.finish(row.broker_order_id, "canceled", "market closed")
    creations.step(issuer, db, row)
    assert row.status == "filled" and "partially filled: 4 of 10" in row.status_reason
    execute_journals(broker)
    broker.set_time(TUESDAY)
    creations.step(issuer, db, row)
    assert (row.status, row.settled_qty, row.cost) == ("settled", D(4), D(800))


def test_nothing_filled_fails_the_creation_and_moves_no_cash(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    broker.finish(row.broker_order_id, "expired")
    creations.step(issuer, db, row)
    assert row.status == "failed" and "nothing filled: order expired" in row.status_reason
    assert broker.journals == {}


def test_a_refused_payment_halts_with_the_brokers_reason(issuer, broker, db):
    broker.books[AP].cash = D(10)
    row = creation(db)
    creations.step(issuer, db, row)
    broker.fill(row.broker_order_id)
    creations.step(issuer, db, row)
    assert row.status == "halted" and "insufficient_cash" in row.status_reason


# ----------------------------------------------------------------------------- redemptions


def redemption(db, qty: str = "4") -> Redemption:
    now = utcnow()
    row = Redemption(id="r1", symbol="AAPL", participant_id="p1", kind="cash", qty=D(qty),
                     burn_raw=str(int(D(qty) * ONE)), multiplier=str(ONE),
                     wallet="0x" + "1" * 40, status="burned", created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    return row


def test_a_redemption_sells_settles_and_pays_the_proceeds(issuer, broker, db):
    broker.books[CUSTODY].shares["AAPL"] = D(10)
    row = redemption(db)
    redemptions.step(issuer, db, row)
    assert row.status == "ordered" and broker.calls == ["submit_order redemption-r1-1"]
    broker.fill(row.broker_order_id, price=D("199.995"))   # 4 * 199.995 = 799.98
    redemptions.step(issuer, db, row)
    assert row.status == "filled"
    redemptions.step(issuer, db, row)
    assert row.status == "filled" and row.status_reason == "waiting: settlement"
    broker.set_time(TUESDAY)
    redemptions.step(issuer, db, row)
    assert (row.status, row.proceeds) == ("settled", D("799.98"))
    redemptions.step(issuer, db, row)
    assert row.status == "paying"
    execute_journals(broker)
    redemptions.step(issuer, db, row)
    assert row.status == "completed"
    assert broker.trading_account(AP).cash == D(100_000) + D("799.98")


def test_a_busted_sale_is_sold_again_under_a_new_order_id(issuer, broker, db):
    broker.books[CUSTODY].shares["AAPL"] = D(10)
    row = redemption(db)
    redemptions.step(issuer, db, row)
    fill = broker.fill(row.broker_order_id)
    redemptions.step(issuer, db, row)
    broker.bust(fill.id)
    redemptions.step(issuer, db, row)
    assert row.status == "burned" and "sold 0 of 4" in row.status_reason
    redemptions.step(issuer, db, row)
    assert row.status == "ordered" and broker.calls[-1] == "submit_order redemption-r1-2"
    # custody got its 4 shares back when the sale was busted, and sells them again
    assert broker.position(CUSTODY, "AAPL").qty == D(10)


# ----------------------------------------------------------------------------- custody


def test_settled_custody_counts_a_buy_only_from_its_settle_date(issuer, broker, db):
    row = creation(db)
    creations.step(issuer, db, row)
    broker.fill(row.broker_order_id)
    for now, settled in ((FRIDAY, D(0)), (MONDAY, D(0)), (TUESDAY, D(10))):
        broker.set_time(now)
        position = broker.position(CUSTODY, "AAPL")
        assert (position.qty, position.qty_settled) == (D(10), settled)


# ----------------------------------------------------------------------------- announcements


def dividend(cash: str) -> Announcement:
    return Announcement(id="a1", corporate_action_id="ca-1", ca_type="dividend",
                        ca_sub_type="cash", initiating_symbol="AAPL",
                        ex_date=dt.date(2024, 11, 8), record_date=dt.date(2024, 11, 8),
                        payable_date=dt.date(2024, 11, 14), cash=D(cash), old_rate=D(1),
                        new_rate=D(1))


def test_an_amendment_is_seen_by_its_figures_without_a_version(issuer, broker, db):
    """Alpaca amends an announcement in place: the issuer compares figures and counts the
    amendments itself; the same figures again change nothing."""
    broker.announce(dividend("0.25"))
    discovery.discover(issuer, db)
    broker.announce(dividend("0.25"))
    assert discovery.discover(issuer, db) == []
    broker.announce(dividend("0.30"))
    [row] = discovery.discover(issuer, db)
    assert (row.version, row.cash_rate) == (2, D("0.30"))
    audits = db.scalars(select(AuditEntry.action).where(
        AuditEntry.subject == "ca-1")).all()
    assert audits == ["corporate_action.announced", "corporate_action.amended"]
    assert db.scalar(select(CorporateAction.status)) == "announced"
