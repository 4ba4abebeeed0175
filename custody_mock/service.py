"""The broker as one object: its database, its lock and a transaction per request.

The mock is a single matching engine: every request runs under one lock in one database
transaction, committed when the request succeeds and rolled back when it raises, so a refused
request changes nothing and no two requests see half of each other's work.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, or_, select

from custody_mock.context import Ctx
from custody_mock.db import Base, make_engine, make_sessionmaker
from custody_mock.faults import HTTP_KINDS
from custody_mock.models import BrokerState, Fault
from custody_mock.settings import Settings
from servicekit.calendar import SettlementCalendar


class Broker:
    def __init__(self, settings: Settings, calendar: SettlementCalendar | None = None) -> None:
        self.settings = settings
        self.calendar = calendar or SettlementCalendar()
        self.engine = make_engine(settings.database_url)
        self._sessions = make_sessionmaker(self.engine)
        self.lock = threading.RLock()
        #: Set when a transaction queued a call to a tokenization issuer (the dispatcher wakes).
        self.itn_wake = threading.Event()
        #: Whether any HTTP fault rule can still fire; None: read it again from the database.
        self._http_faults_armed: bool | None = None
        Base.metadata.create_all(self.engine)
        with self.transaction() as _ctx:
            pass

    @contextmanager
    def transaction(self) -> Iterator[Ctx]:
        with self.lock, self._sessions() as session:
            state = session.get(BrokerState, 1)
            if state is None:
                state = BrokerState(id=1, now=self.settings.start, cash_in_lieu=False)
                session.add(state)
                session.flush()
            ctx = Ctx(db=session, settings=self.settings, calendar=self.calendar, state=state)
            try:
                yield ctx
                session.commit()
            except BaseException:
                session.rollback()
                raise
            if ctx.memo.get("itn_wake"):
                self.itn_wake.set()

    def http_faults_armed(self) -> bool:
        """Cheap check for the fault middleware, so that a request with no HTTP fault armed
        costs no database round trip."""
        if self._http_faults_armed is None:
            with self.transaction() as ctx:
                armed = ctx.db.scalar(select(func.count()).select_from(Fault).where(
                    Fault.kind.in_(HTTP_KINDS),
                    or_(Fault.remaining.is_(None), Fault.remaining > 0)))
                self._http_faults_armed = bool(armed)
        return self._http_faults_armed

    def faults_changed(self) -> None:
        """Fault rules were added, removed or used up: check again on the next request."""
        self._http_faults_armed = None

    def reset(self, start: dt.datetime) -> None:
        """Empty every table and restart the clock at ``start`` (for tests and demos)."""
        with self.lock:
            Base.metadata.drop_all(self.engine)
            Base.metadata.create_all(self.engine)
            with self._sessions() as session:
                session.add(BrokerState(id=1, now=start, cash_in_lieu=False))
                session.commit()
        self.faults_changed()

    def close(self) -> None:
        self.engine.dispose()
