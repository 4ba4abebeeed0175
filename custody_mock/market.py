"""Market data and hours: the settable price source, slippage, and when an order may fill."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from custody_mock.amounts import price_round
from custody_mock.context import Ctx
from custody_mock.errors import invalid
from custody_mock.models import Asset, PricePoint
from servicekit.calendar import local_date

BPS = Decimal(10_000)


def price_at(ctx: Ctx, symbol: str, at: dt.datetime | None = None) -> Decimal | None:
    """The price in force at ``at`` (default: now): the latest point at or before it."""
    moment = ctx.now if at is None else at
    return ctx.db.scalar(
        select(PricePoint.price)
        .where(PricePoint.symbol == symbol, PricePoint.effective_at <= moment)
        .order_by(PricePoint.effective_at.desc(), PricePoint.id.desc())
        .limit(1)
    )


def set_price(ctx: Ctx, symbol: str, price: Decimal, effective_at: dt.datetime) -> PricePoint:
    if price <= 0:
        raise invalid("invalid_price", "a price must be positive")
    point = PricePoint(symbol=symbol, price=price_round(price), effective_at=effective_at)
    ctx.db.add(point)
    ctx.db.flush()
    return point


def execution_price(asset: Asset, side: str, price: Decimal) -> Decimal:
    """The quoted price moved against the order by the symbol's slippage."""
    move = price * asset.slippage_bps / BPS
    return price_round(price + move if side == "buy" else price - move)


def is_open(ctx: Ctx, *, extended: bool, at: dt.datetime | None = None) -> bool:
    moment = ctx.now if at is None else at
    day = local_date(moment)
    hours = ctx.calendar.extended_hours(day) if extended else ctx.calendar.session_hours(day)
    return hours is not None and hours[0] <= moment < hours[1]


def session_for_new_order(ctx: Ctx, *, extended: bool) -> dt.date:
    """The session a day order submitted now lives for: today's if not over yet, else the next."""
    today = ctx.today
    hours = ctx.calendar.extended_hours(today) if extended else ctx.calendar.session_hours(today)
    if hours is not None and ctx.now < hours[1]:
        return today
    return ctx.calendar.next_trading_day(today + dt.timedelta(days=1))
