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
