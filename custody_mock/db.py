"""The broker's declarative base, on the shared column types and engine factory."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from servicekit.sql import TYPE_MAP, make_engine, make_sessionmaker

__all__ = ["Base", "make_engine", "make_sessionmaker"]


class Base(DeclarativeBase):
    type_annotation_map = TYPE_MAP
