"""Database plumbing for the issuer: its own metadata, on the same engine factory and exact
decimal / UTC time column types as the broker (amounts stored as text so SQLite and PostgreSQL
keep every digit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import DeclarativeBase

from custody_mock.db import ExactDecimal, UTCDateTime, make_engine, make_sessionmaker

__all__ = ["Base", "make_engine", "make_sessionmaker", "utcnow"]


class Base(DeclarativeBase):
    type_annotation_map = {Decimal: ExactDecimal, dt.datetime: UTCDateTime}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
