"""Paging, once for every list: cursors over ``(created_at, id)`` and the bounded query
parameters (``limit``, ``after``, ``block``)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from issuer import validation
from issuer.api.schemas import Page
from issuer.errors import invalid

Limit = Annotated[int, Query(ge=1, le=200)]
#: An id to page after: a SQL BIGINT at most.
After = Annotated[int, Query(ge=0, le=validation.MAX_BIGINT)]
#: A block number: a SQL BIGINT at most.
Block = Annotated[int | None, Query(ge=0, le=validation.MAX_BIGINT)]


def cursor_of(row: Any) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(model: Any, cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        at_text, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at = validation.point_in_time(dt.datetime.fromisoformat(at_text))
        if not key or len(key) > 36:
            raise ValueError("no row id")
    except (ValueError, UnicodeDecodeError):
        raise invalid("invalid_cursor", "cursor is not one this API returned") from None
    return or_(model.created_at > at, and_(model.created_at == at, model.id > key))


def page(db: Session, query: Any, model: Any, cursor: str | None, limit: int, out: Any) -> Page:
    """One page of ``query`` in ``(created_at, id)`` order, after ``cursor``."""
    if (condition := _after(model, cursor)) is not None:
        query = query.where(condition)
    rows = list(db.scalars(query.order_by(model.created_at, model.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=[out.model_validate(r) for r in rows],
                next_cursor=cursor_of(rows[-1]) if more and rows else None)
