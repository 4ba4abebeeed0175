"""Database plumbing for the issuer: engine, sessions, exact decimal and UTC time columns.

The same column types as the broker's (amounts as text, times as UTC) so SQLite and PostgreSQL
store every amount exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.pool import StaticPool

from custody_mock.db import ExactDecimal, UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map = {Decimal: ExactDecimal, dt.datetime: UTCDateTime}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        extra = {"poolclass": StaticPool} if memory else {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **extra)

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
