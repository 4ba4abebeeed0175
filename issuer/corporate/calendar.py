"""The corporate-action calendar: every action of every kind with its dates, the window in
which it holds its symbol's mints and burns, and its state. One function serves the operator
API (``GET /v1/corporate-actions/calendar``), the console's calendar and the public reserve
page, so the three never disagree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.corporate.window import FINAL, holds
from issuer.models import CorporateAction


def window(action: CorporateAction, today: dt.date) -> dict[str, Any]:
    """The action's window: it opens on the ex-date (start of day, New York) and closes when the
    action ends (``closed_at``: the time it became final; None while it is open)."""
    final = action.status in FINAL
    return {"opens_on": action.ex_date.isoformat(),
            "closed_at": action.updated_at.isoformat() if final else None,
            "holds_mints_and_burns": holds(action, today)}


def entry(action: CorporateAction, today: dt.date) -> dict[str, Any]:
    """One line of the calendar (dates as ISO strings, the on-chain effective time in UTC)."""
    effective = action.effective_at
    return {
        "id": action.id, "corporate_action_id": action.corporate_action_id,
        "version": action.version, "symbol": action.symbol, "kind": action.kind,
        "status": action.status, "status_reason": action.status_reason,
        "announced_at": action.created_at.isoformat(),
        "ex_date": action.ex_date.isoformat(),
        "record_date": action.record_date.isoformat() if action.record_date else None,
        "payable_date": action.payable_date.isoformat() if action.payable_date else None,
        "effective_at": dt.datetime.fromtimestamp(effective, dt.UTC).isoformat()
        if effective else None,
        "window": window(action, today)}


def entries(db: Session, today: dt.date, *, symbol: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None,
            open_only: bool = False) -> list[dict[str, Any]]:
    """The calendar by ex-date (then announcement), optionally for one symbol, ex-dates in
    [``since``, ``until``], or only the actions not final yet."""
    query = select(CorporateAction)
    if symbol:
        query = query.where(CorporateAction.symbol == symbol.upper())
    if since:
        query = query.where(CorporateAction.ex_date >= since)
    if until:
        query = query.where(CorporateAction.ex_date <= until)
    if open_only:
        query = query.where(CorporateAction.status.not_in(FINAL))
    rows = db.scalars(query.order_by(CorporateAction.ex_date, CorporateAction.created_at,
                                     CorporateAction.id))
    return [entry(row, today) for row in rows]
