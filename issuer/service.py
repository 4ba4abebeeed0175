"""The issuer as one object: settings, database, chain and broker, and a transaction helper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from issuer.broker import AlpacaBroker, BrokerPort
from issuer.chain import Chain
from issuer.config import Settings
from issuer.db import make_engine, make_sessionmaker
from issuer.schema import upgrade


class Issuer:
    def __init__(self, settings: Settings, *, migrate: bool = True) -> None:
        self.settings = settings
        #: Set to run the next worker pass now (an ITN mint was confirmed).
        self.wake = threading.Event()
        self.engine = make_engine(settings.database_url)
        self._sessions = make_sessionmaker(self.engine)
        if migrate:
            upgrade(self.engine)
        self.chain = Chain(settings)
        settings.check_secrets(self.chain.chain_id)
        self.broker: BrokerPort = AlpacaBroker(settings.broker_url, api_key=settings.broker_key,
                                   api_secret=settings.broker_secret)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One database transaction: committed on success, rolled back on any exception."""
        with self._sessions() as db:
            try:
                yield db
                db.commit()
            except BaseException:
                db.rollback()
                raise

    def close(self) -> None:
        self.broker.close()
        self.engine.dispose()
