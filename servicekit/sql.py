"""Database plumbing shared by the services: engine, sessions and two column types.

Amounts are stored as text so that SQLite keeps every decimal exactly (its NUMERIC affinity would
turn them into binary floats); times are stored as naive UTC and handed back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import DateTime, TypeDecorator

from servicekit.decimals import normalize


class ExactDecimal(TypeDecorator[Decimal]):
    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"amounts must be Decimal, got {type(value).__name__}")
        return format(normalize(value), "f")

    def process_result_value(self, value: str | None, dialect: object) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator[dt.datetime]):
    impl = DateTime()
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times must be timezone-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


TYPE_MAP = {Decimal: ExactDecimal, dt.datetime: UTCDateTime}
"""``type_annotation_map`` for a service's declarative base."""


#: Connections kept and allowed beyond them: the API serves up to 40 requests at once from its
#: thread pool, each holding a connection for authentication and one for its route in turn.
POOL = {"pool_size": 10, "max_overflow": 40}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        extra = {"poolclass": StaticPool} if memory else POOL
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **extra)

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
