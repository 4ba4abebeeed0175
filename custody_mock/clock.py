"""The simulated clock and what happens as it moves.

Moving the clock forward walks through every event in between, in order:

- 04:00 New York on a session day: extended-hours orders are routed;
- the regular open: accepted orders are routed and fill against the price source;
- the regular close (early on half days): unfilled regular day orders expire;
- 20:00: unfilled extended-hours day orders expire;
- a new price taking effect: open orders are matched against it;
- midnight New York: the end of day D runs injected busts and corrections of D's executions,
  journals of D and dividend record dates on D; the start of D+1 (before any session) settles
  trades due on D+1 (so settled shares and cash are there on the settlement date's morning),
  then applies splits effective and pays dividends payable on D+1.

The clock never moves backwards, so the activity stream stays in time order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from custody_mock import corporate_actions, journals, proxy, settlement, trading
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError
from custody_mock.models import PricePoint
from servicekit.calendar import local_date, midnight


def advance_to(ctx: Ctx, target: dt.datetime) -> None:
    if target < ctx.now:
        raise BrokerError(409, "clock_backwards",
                          f"the clock is at {ctx.now.isoformat()} and never moves backwards")
    while (event := _next_event(ctx, target)) is not None:
        moment, kind = event
        ctx.state.now = moment
        _handle(ctx, kind)
    ctx.state.now = target
    trading.step_all(ctx)
    ctx.db.flush()


def _next_session_edge(ctx: Ctx, edge: int) -> dt.datetime:
    """The next regular session open (``edge`` 0) or close (1) strictly after now."""
    day = ctx.today
    while True:
        hours = ctx.calendar.session_hours(day)
        if hours is not None and hours[edge] > ctx.now:
            return hours[edge]
        day += dt.timedelta(days=1)


def next_open(ctx: Ctx) -> dt.datetime:
    """The next regular session open strictly after now."""
    return _next_session_edge(ctx, 0)


def previous_close(ctx: Ctx) -> dt.datetime:
    """The last regular session close at or before now (the calendar's first day's midnight
    when there is none in its data)."""
    day = ctx.today
    while day >= ctx.calendar.first_day:
        hours = ctx.calendar.session_hours(day)
        if hours is not None and hours[1] <= ctx.now:
            return hours[1]
        day -= dt.timedelta(days=1)
    return midnight(ctx.calendar.first_day)


def next_close(ctx: Ctx) -> dt.datetime:
    """The next regular session close strictly after now (today's, while it is ahead)."""
    return _next_session_edge(ctx, 1)


def _next_event(ctx: Ctx, target: dt.datetime) -> tuple[dt.datetime, str] | None:
    now = ctx.now
    day = local_date(now)
    candidates: list[tuple[dt.datetime, str]] = [(midnight(day + dt.timedelta(days=1)),
                                                  "midnight")]
    if (extended := ctx.calendar.extended_hours(day)) is not None:
        regular = ctx.calendar.session_hours(day)
        assert regular is not None
        candidates += [(extended[0], "extended_open"), (regular[0], "open"),
                       (regular[1], "close"), (extended[1], "extended_close")]
    price_change = ctx.db.scalar(select(PricePoint.effective_at).where(
        PricePoint.effective_at > now, PricePoint.effective_at <= target)
        .order_by(PricePoint.effective_at).limit(1))
    if price_change is not None:
        candidates.append((price_change, "price"))
    upcoming = [c for c in candidates if now < c[0] <= target]
    return min(upcoming) if upcoming else None


def _handle(ctx: Ctx, kind: str) -> None:
    if kind == "midnight":
        _end_of_day(ctx)
        settlement.settle_due(ctx)
        corporate_actions.start_of_day(ctx)
    elif kind == "close":
        trading.expire_day_orders(ctx, extended=False)
    elif kind == "extended_close":
        trading.expire_day_orders(ctx, extended=True)
    trading.step_all(ctx)


def _end_of_day(ctx: Ctx) -> None:
    """Runs at midnight for the day that just ended."""
    ended = ctx.now - dt.timedelta(microseconds=1)
    ctx.state.now = ended
    settlement.apply_trade_faults(ctx)
    journals.execute_due(ctx)
    corporate_actions.end_of_day(ctx)
    proxy.end_of_day(ctx)   # shareholder meetings' record dates
    ctx.state.now = ended + dt.timedelta(microseconds=1)
