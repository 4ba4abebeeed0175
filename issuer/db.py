"""The issuer's declarative base, on the shared column types and engine factory (amounts stored
as text so SQLite and PostgreSQL keep every digit, times as UTC)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import DeclarativeBase

from servicekit.sql import TYPE_MAP, make_engine, make_sessionmaker

__all__ = ["Base", "make_engine", "make_sessionmaker", "utcnow"]


class Base(DeclarativeBase):
    type_annotation_map = TYPE_MAP


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def age_of(now: dt.datetime, then: dt.datetime | None) -> float:
    """Seconds from ``then`` to ``now`` (0 when ``then`` is None or ahead; a naive ``then``,
    as SQLite returns it, is UTC)."""
    if then is None:
        return 0.0
    if then.tzinfo is None:
        then = then.replace(tzinfo=dt.UTC)
    return max(0.0, (now - then).total_seconds())
