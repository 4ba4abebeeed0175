"""The books: accounts, positions and the append-only activity stream."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from custody_mock.amounts import ZERO, price_round
from custody_mock.context import Ctx
from custody_mock.errors import not_found
from custody_mock.models import Account, Activity, Asset, Position


def account(ctx: Ctx, account_id: str) -> Account:
    found = ctx.db.get(Account, account_id)
    if found is None:
        raise not_found("account", account_id)
    return found


def asset(ctx: Ctx, symbol: str) -> Asset:
    found = ctx.db.get(Asset, symbol.upper())
    if found is None:
        raise not_found("asset", symbol)
    return found


def position(ctx: Ctx, account_id: str, symbol: str) -> Position:
    """The account's position in ``symbol``, created empty when there is none."""
    found = ctx.db.get(Position, (account_id, symbol))
    if found is None:
        found = Position(account_id=account_id, symbol=symbol, qty=ZERO, qty_settled=ZERO,
                         cost_basis=ZERO, avg_entry_price=ZERO)
        ctx.db.add(found)
    return found


def add_shares(pos: Position, qty: Decimal, price: Decimal) -> None:
    """A buy: more shares at ``price``, average entry price re-weighted."""
    pos.cost_basis += qty * price
    pos.qty += qty
    pos.avg_entry_price = price_round(pos.cost_basis / pos.qty) if pos.qty > 0 else ZERO


def remove_shares(pos: Position, qty: Decimal) -> None:
    """A sell: fewer shares, same average entry price."""
    pos.qty -= qty
    if pos.qty <= 0:
        pos.cost_basis = ZERO
        pos.avg_entry_price = ZERO
    else:
        pos.cost_basis = pos.avg_entry_price * pos.qty


def positions_in(ctx: Ctx, symbol: str) -> list[Position]:
    rows = ctx.db.scalars(
        select(Position).where(Position.symbol == symbol).order_by(Position.account_id)
    )
    return [row for row in rows if row.qty != 0 or row.qty_settled != 0]


def post(ctx: Ctx, account_id: str, activity_type: str, **fields: Any) -> Activity:
    """Append one activity. Its id (time::sequence, shaped like Alpaca's) never changes."""
    now = ctx.now
    ctx.state.activity_seq += 1
    entry = Activity(
        seq=ctx.state.activity_seq,
        id=f"{now:%Y%m%d%H%M%S%f}"[:17] + f"::{ctx.state.activity_seq:012d}",
        account_id=account_id,
        activity_type=activity_type,
        date=ctx.today,
        transaction_time=now,
        **fields,
    )
    ctx.db.add(entry)
    ctx.db.flush()
    return entry


def charge(ctx: Ctx, account_id: str, amount: Decimal, description: str,
           symbol: str | None) -> Activity:
    """A fee taken from the account's settled cash at once (``FEE``)."""
    found = account(ctx, account_id)
    found.cash_settled -= amount
    return post(ctx, found.id, "FEE", net_amount=-amount, symbol=symbol, settle_date=ctx.today,
                description=description)
