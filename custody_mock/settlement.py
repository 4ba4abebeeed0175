"""End of a trade date: injected busts and corrections, then T+1 settlement of due trades.

Settling a buy moves its shares into the settled position and its cost out of settled cash; a
sell the other way round. A failed or busted trade is reversed (shares and cash as if it never
happened) and a correcting FILL activity points at the original one.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from custody_mock import faults, ledger
from custody_mock.amounts import ZERO, price_round, trade_amount
from custody_mock.context import Ctx
from custody_mock.models import Order, Trade


def apply_trade_faults(ctx: Ctx) -> None:
    """Busts and corrections decided at execution take effect at the end of the trade date."""
    trades = ctx.db.scalars(select(Trade).where(
        Trade.status == "pending", Trade.pending_fault.is_not(None),
        Trade.trade_date <= ctx.today).order_by(Trade.transaction_time, Trade.id))
    for trade in list(trades):
        kind, params = trade.pending_fault, trade.pending_fault_params or {}
        trade.pending_fault = None
        if kind == "trade_bust":
            _reverse(ctx, trade, "busted", params.get("reason", "trade busted by the market"))
        elif kind == "trade_correct":
            _correct_price(ctx, trade, params)


def settle_due(ctx: Ctx) -> None:
    """Settle every pending trade due today or earlier, unless a fault delays or fails it."""
    day = ctx.today
    if not ctx.calendar.is_settlement_day(day):
        return
    due = ctx.db.scalars(select(Trade).where(
        Trade.status == "pending", Trade.settle_date <= day)
        .order_by(Trade.transaction_time, Trade.id))
    for trade in list(due):
        scope = {"symbol": trade.symbol, "account_id": trade.account_id}
        if (fault := take_settlement_fault(ctx, "settlement_fail", "trade", **scope)):
            _reverse(ctx, trade, "failed",
                     fault.params.get("reason", "settlement failed (fail to deliver)"))
            continue
        if (fault := take_settlement_fault(ctx, "settlement_delay", "trade", **scope)):
            trade.settle_date = ctx.calendar.settlement_date(day, int(fault.params.get("days", 1)))
            continue
        _settle(ctx, trade)


def take_settlement_fault(ctx: Ctx, kind: str, target: str, **scope: str | None):  # noqa: ANN201
    """A settlement fault, when its ``applies_to`` (trade, journal or both) covers ``target``."""
    candidates = [f for f in faults.rules_of(ctx, kind)
                  if f.params.get("applies_to", "any") in ("any", target)]
    return faults.take_from(candidates, **scope)


def _settle(ctx: Ctx, trade: Trade) -> None:
    account = ledger.account(ctx, trade.account_id)
    pos = ledger.position(ctx, trade.account_id, trade.symbol)
    if trade.side == "buy":
        account.unsettled_debits -= trade.amount
        account.cash_settled -= trade.amount
        pos.qty_settled += trade.qty
    else:
        account.unsettled_credits -= trade.amount
        account.cash_settled += trade.amount
        pos.qty_settled -= trade.qty
    trade.status = "settled"


def _reverse(ctx: Ctx, trade: Trade, status: str, reason: str) -> None:
    account = ledger.account(ctx, trade.account_id)
    pos = ledger.position(ctx, trade.account_id, trade.symbol)
    order = ctx.db.get(Order, trade.order_id)
    assert order is not None
    if trade.side == "buy":
        ledger.remove_shares(pos, trade.qty)
        account.unsettled_debits -= trade.amount
    else:
        ledger.add_shares(pos, trade.qty, pos.avg_entry_price or trade.price)
        account.unsettled_credits -= trade.amount
    trade.status = status
    order.filled_qty -= trade.qty
    order.filled_notional -= trade.amount
    order.filled_avg_price = (price_round(order.filled_notional / order.filled_qty)
                              if order.filled_qty > 0 else None)
    order.status_reason = reason
    order.updated_at = ctx.now
    if order.filled_qty == 0 and order.status in ("filled", "partially_filled"):
        order.status, order.canceled_at = "canceled", ctx.now
    ledger.post(
        ctx, trade.account_id, "FILL", type="fill", status="canceled", symbol=trade.symbol,
        side=trade.side, qty=-trade.qty, price=trade.price,
        net_amount=trade.amount if trade.side == "buy" else -trade.amount,
        settle_date=None, order_id=order.id, order_status=order.status,
        cum_qty=order.filled_qty, corrects_id=trade.activity_id, description=reason,
    )


def _correct_price(ctx: Ctx, trade: Trade, params: dict) -> None:
    if "price" in params:
        new_price = price_round(Decimal(str(params["price"])))
    else:
        bps = Decimal(str(params.get("price_change_bps", "10")))
        new_price = price_round(trade.price * (1 + bps / 10_000))
    new_amount = trade_amount(trade.qty, new_price)
    delta = new_amount - trade.amount
    account = ledger.account(ctx, trade.account_id)
    pos = ledger.position(ctx, trade.account_id, trade.symbol)
    order = ctx.db.get(Order, trade.order_id)
    assert order is not None
    if trade.side == "buy":
        account.unsettled_debits += delta
        pos.cost_basis += (new_price - trade.price) * trade.qty
        pos.avg_entry_price = price_round(pos.cost_basis / pos.qty) if pos.qty > 0 else ZERO
    else:
        account.unsettled_credits += delta
    order.filled_notional += delta
    order.filled_avg_price = price_round(
        ((order.filled_avg_price or ZERO) * order.filled_qty
         + (new_price - trade.price) * trade.qty) / order.filled_qty)
    order.status_reason = f"execution price corrected from {trade.price} to {new_price}"
    order.updated_at = ctx.now
    trade.price, trade.amount = new_price, new_amount
    ledger.post(
        ctx, trade.account_id, "FILL", type="fill", status="correct", symbol=trade.symbol,
        side=trade.side, qty=trade.qty, price=new_price,
        net_amount=-delta if trade.side == "buy" else delta, settle_date=trade.settle_date,
        order_id=order.id, order_status=order.status, cum_qty=order.filled_qty,
        corrects_id=trade.activity_id, description=order.status_reason,
    )
