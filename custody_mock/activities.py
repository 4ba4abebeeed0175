"""Reading the activity stream: filters, a replay cursor, and the two delivery faults.

Pages are in stream order (``direction=asc``) or newest first (``desc``, Alpaca's default); the
``page_token`` is the id of the last activity the caller has, and the next page starts right
after it. A client that keeps the last id it processed and skips ids it has already seen consumes
the stream exactly once, even when a fault repeats or reorders entries.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from custody_mock import faults
from custody_mock.context import Ctx
from custody_mock.errors import invalid
from custody_mock.models import Activity

TYPES = frozenset({"FILL", "DIV", "DIVNRA", "SPLIT", "CIL", "JNLS", "JNLC", "CSD", "CSW", "FEE",
                   "INT", "SC", "MA", "REORG", "SSO"})


def page(
    ctx: Ctx,
    *,
    account_id: str | None,
    activity_types: list[str],
    page_token: str | None,
    page_size: int,
    direction: str,
    date: dt.date | None,
    after: dt.date | dt.datetime | None,
    until: dt.date | dt.datetime | None,
) -> list[Activity]:
    unknown = set(activity_types) - TYPES
    if unknown:
        raise invalid("invalid_activity_type", f"unknown activity types: {sorted(unknown)}")
    query = select(Activity)
    if account_id:
        query = query.where(Activity.account_id == account_id)
    if activity_types:
        query = query.where(Activity.activity_type.in_(activity_types))
    if date is not None:
        query = query.where(Activity.date == date)
    # a date compares with the activity's date, a date-time (RFC 3339) with its time
    if isinstance(after, dt.datetime):
        query = query.where(Activity.transaction_time > after)
    elif after is not None:
        query = query.where(Activity.date > after)
    if isinstance(until, dt.datetime):
        query = query.where(Activity.transaction_time <= until)
    elif until is not None:
        query = query.where(Activity.date <= until)
    if page_token:
        cursor = ctx.db.scalar(select(Activity.seq).where(Activity.id == page_token))
        if cursor is None:
            raise invalid("invalid_page_token", f"no activity {page_token!r}")
        query = query.where(Activity.seq > cursor if direction == "asc" else Activity.seq < cursor)
    order = Activity.seq.asc() if direction == "asc" else Activity.seq.desc()
    rows = list(ctx.db.scalars(query.order_by(order).limit(page_size)))
    if rows and faults.take(ctx, "activity_duplicate", account_id=account_id) is not None:
        rows = [row for row in rows for _ in (0, 1)]
    if rows and faults.take(ctx, "activity_out_of_order", account_id=account_id) is not None:
        rows.reverse()
    return rows
