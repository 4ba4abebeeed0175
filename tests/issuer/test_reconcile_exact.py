"""Reconciliation exact to 1e-30 share, stored and read back on the suite's database (SQLite,
or PostgreSQL with ``ISSUER_TEST_DATABASE=postgresql``): the chain is a stand-in, the broker
the in-memory fake, the database real and migrated. Before ``issuer.units`` a 28-digit context
reported a 1e-30 surplus as 0 and judged a 1e-30 shortfall a match."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace

from sqlalchemy import select

from issuer.broker.fake import FakeBroker
from issuer.db import make_engine, make_sessionmaker
from issuer.models import ReconciliationRecord, SymbolHalt
from issuer.reserves import check_invariant
from issuer.schema import upgrade
from tests.support import database_url

CUSTODY = "custody"
#: 107.134009416 shares in custody; a supply of raw * M = custody * 1e36 -/+ 1e6 at M = 1 (one
#: raw unit is 1e-36 share): 1e-30 share less, or more, than custody
RAW = 107134009416 * 10**27


def issuer_with(db_url: str, raw: int):  # noqa: ANN201
    broker = FakeBroker(dt.datetime(2024, 10, 16, 15, tzinfo=dt.UTC))
    broker.open_account(CUSTODY, shares={"AAPL": D("107.134009416")})
    chain = SimpleNamespace(head=lambda: 7, total_supply=lambda _s, _b=None: raw,
                            multiplier=lambda _s, _b=None: 1)
    settings = SimpleNamespace(broker_account_id=CUSTODY, mint_policy="on_settlement",
                               unsettled_cap=D(0))
    return SimpleNamespace(settings=settings, broker=broker, chain=chain)


def test_a_1e_30_surplus_and_a_1e_30_shortfall_are_recorded_exactly(tmp_path):
    with database_url(tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        with sessions() as db:
            report = check_invariant(issuer_with(url, RAW - 10**6), db, "AAPL")
            db.commit()
            assert (report.surplus, report.holds) == (D("1E-30"), True)
            short = check_invariant(issuer_with(url, RAW + 10**6), db, "AAPL")
            db.commit()
            assert (short.surplus, short.holds, short.halted) == (D("-1E-30"), False, True)
        with sessions() as db:
            stored = db.scalars(select(ReconciliationRecord).order_by(
                ReconciliationRecord.id)).all()
            assert [(r.surplus, r.holds) for r in stored] == [(D("1E-30"), True),
                                                             (D("-1E-30"), False)]
            assert stored[0].economic_supply == D("107.134009415999999999999999999999")
            assert stored[1].economic_supply == D("107.134009416000000000000000000001")
            assert db.scalar(select(SymbolHalt.symbol)) == "AAPL"
        engine.dispose()
