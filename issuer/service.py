"""The issuer as one object: settings, database, chain and broker, and a transaction helper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from issuer.broker import AlpacaBroker, BrokerPort
from issuer.broker.tickers import Rename, TickerBroker
from issuer.chain import Chain
from issuer.config import Settings
from issuer.db import make_engine, make_sessionmaker
from issuer.leases import Claims
from issuer.listings import renames_of
from issuer.schema import upgrade
from issuer.voting.port import ProxyVoting, ProxyVotingHttp


class Issuer:
    def __init__(self, settings: Settings, *, migrate: bool = True) -> None:
        self.settings = settings
        #: Set to run the next worker pass now (an ITN mint was confirmed).
        self.wake = threading.Event()
        self.engine = make_engine(settings.database_url)
        self._sessions = make_sessionmaker(self.engine)
        #: This process's claims on rows and tasks (several workers on PostgreSQL).
        self.claims = Claims(self.engine)
        if migrate:
            upgrade(self.engine)
        self.chain = Chain(settings)
        settings.check_secrets(self.chain.chain_id)
        #: The broker, with each listing under its ticker of the day (name changes).
        self.broker: BrokerPort = TickerBroker(AlpacaBroker(
            settings.broker_url, api_key=settings.broker_key.get_secret_value(),
            api_secret=settings.broker_secret.get_secret_value()), self.renames)
        #: The proxy-voting service (the broker's ``/proxy/v1``).
        self.proxy_voting: ProxyVoting = ProxyVotingHttp(
            settings.broker_url, api_key=settings.broker_key.get_secret_value(),
            api_secret=settings.broker_secret.get_secret_value())
        #: This process's Prometheus metrics, made by :func:`issuer.metrics.metrics_of` (the
        #: metrics module reads the lifecycles, which import this one: it is never imported
        #: from here).
        self.metrics_cache: Any = None

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

    def renames(self) -> list[Rename]:
        """The name changes the issuer recorded (the broker port's tickers), read in a
        connection of its own."""
        with self._sessions() as db:
            return renames_of(db)

    def close(self) -> None:
        self.claims.close()
        self.broker.close()
        self.proxy_voting.close()
        self.engine.dispose()
