"""Orders: validation, buying power, routing at the open, stop triggers, opening-auction
(``opg``) orders, executions, partner commissions, cancel, replace and expiry."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from custody_mock import faults, ledger, market
from custody_mock.amounts import ZERO, cash_round, places, price_round, qty_down, trade_amount
from custody_mock.context import Ctx
from custody_mock.errors import BrokerError, invalid, not_found
from custody_mock.models import OPEN_ORDER_STATUSES, Account, Journal, Order, Trade


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None = None
    notional: Decimal | None = None
    limit_price: Decimal | None = None
    extended_hours: bool = False
    client_order_id: str | None = None
    stop_price: Decimal | None = None
    #: What the partner charges the end user (Alpaca's broker-partner commission): dollars per
    #: order (``notional``), per share (``qty``) or basis points of the fill (``bps``).
    commission: Decimal | None = None
    commission_type: str | None = None


# ----------------------------------------------------------------------------- submission


def submit(ctx: Ctx, account_id: str, request: OrderRequest) -> Order:
    """Validate and place an order. A refusal raises before anything is written."""
    account = ledger.account(ctx, account_id)
    if account.account_blocked or account.trading_blocked:
        raise BrokerError(403, "trading_blocked", "trading is blocked on this account")
    asset = ledger.asset(ctx, request.symbol)
    if not asset.tradable:
        raise BrokerError(403, "asset_not_tradable",
                          f"{asset.symbol} is not tradable: {asset.halt_reason or 'halted'}")
    _validate_shape(request, fractionable=asset.fractionable)
    client_order_id = request.client_order_id or str(uuid.uuid4())
    existing = find_by_client_order_id(ctx, account_id, client_order_id)
    if existing is not None:
        raise BrokerError(409, "duplicate_client_order_id",
                          f"client_order_id {client_order_id!r} is already used by order "
                          f"{existing.id}", order_id=existing.id)
    quote = market.price_at(ctx, asset.symbol)
    if quote is None:
        raise invalid("no_price", f"no price for {asset.symbol} at {ctx.now.isoformat()}")

    now = ctx.now
    order = Order(
        account_id=account_id, client_order_id=client_order_id, symbol=asset.symbol,
        side=request.side, type=request.type, time_in_force=request.time_in_force,
        qty=request.qty, notional=request.notional, limit_price=request.limit_price,
        stop_price=request.stop_price, commission=request.commission,
        commission_type=(request.commission_type or "notional") if request.commission else None,
        extended_hours=request.extended_hours, status="accepted", filled_qty=ZERO,
        filled_notional=ZERO, created_at=now, updated_at=now, submitted_at=now,
    )
    if request.side == "buy":
        order.reserved_cash = _buy_reservation(ctx, order, asset, quote)
        power = buying_power(ctx, account)
        if order.reserved_cash > power:
            raise BrokerError(403, "insufficient_buying_power",
                              f"order needs {order.reserved_cash} of buying power, "
                              f"the account has {power}")
    else:
        order.reserved_qty = request.qty if request.qty is not None else qty_down(
            request.notional / market.execution_price(asset, "sell", quote))  # type: ignore[operator]
        available = sellable_qty(ctx, account_id, asset.symbol)
        if order.reserved_qty > available:
            raise BrokerError(403, "insufficient_qty",
                              f"order sells {order.reserved_qty} {asset.symbol}, "
                              f"{available} available")

    scope = {"symbol": asset.symbol, "account_id": account_id}
    if (fault := faults.take(ctx, "order_reject_submit", **scope)) is not None:
        order.status = "rejected"
        order.status_reason = fault.params.get("reason", "rejected by the broker (injected)")
        order.failed_at = now
        order.reserved_cash = order.reserved_qty = ZERO
        ctx.db.add(order)
        ctx.db.flush()
        return order
    if (fault := faults.take(ctx, "order_reject_after_accept", **scope)) is not None:
        order.reject_when_routed = fault.params.get("reason", "rejected by the market (injected)")
    if (fault := faults.take(ctx, "partial_fill", **scope)) is not None:
        order.partial_fill_ratio = Decimal(str(fault.params.get("ratio", "0.5")))
    if request.time_in_force == "day":
        order.session_date = market.session_for_new_order(ctx, extended=request.extended_hours)
    elif request.time_in_force == "opg":
        order.session_date = _next_opening(ctx)
    ctx.db.add(order)
    ctx.db.flush()
    if order.reject_when_routed is None:  # else it stays accepted until the next clock step
        route(ctx, order)
    return order


#: The largest quantity, notional and price an order may name (anything larger is no real
#: order, and would overflow the 28-digit arithmetic of cash amounts).
MAX_QTY = Decimal(10) ** 12
MAX_NOTIONAL = Decimal(10) ** 13
MAX_PRICE = Decimal(10) ** 9


def _validate_shape(request: OrderRequest, *, fractionable: bool) -> None:
    if (request.qty is None) == (request.notional is None):
        raise invalid("qty_xor_notional", "give exactly one of qty and notional")
    for name, value, top in (("qty", request.qty, MAX_QTY), ("notional", request.notional,
                                                             MAX_NOTIONAL),
                             ("limit_price", request.limit_price, MAX_PRICE),
                             ("stop_price", request.stop_price, MAX_PRICE),
                             ("commission", request.commission, MAX_NOTIONAL)):
        if value is not None and (not value.is_finite() or abs(value) > top):
            raise invalid(f"invalid_{name}", f"{name} must be a finite number up to {top}")
    if request.qty is not None:
        if request.qty <= 0:
            raise invalid("invalid_qty", "qty must be positive")
        if places(request.qty) > 9:
            raise invalid("invalid_qty", "qty has more than 9 decimals")
        if request.qty != request.qty.to_integral_value():
            if not fractionable:
                raise invalid("not_fractionable", f"{request.symbol} is not fractionable")
            if request.time_in_force != "day":
                raise invalid("invalid_time_in_force", "fractional orders must be day orders")
    if request.notional is not None:
        if request.notional <= 0:
            raise invalid("invalid_notional", "notional must be positive")
        if places(request.notional) > 2:
            raise invalid("invalid_notional", "notional has more than 2 decimals")
        if request.type != "market" or request.time_in_force != "day":
            raise invalid("invalid_notional", "notional orders must be market day orders")
        if not fractionable:
            raise invalid("not_fractionable", f"{request.symbol} is not fractionable")
    if request.type in ("limit", "stop_limit"):
        _price_shape("limit_price", request.limit_price, request.type)
    elif request.limit_price is not None:
        raise invalid("invalid_limit_price", "limit_price is only for limit and stop limit "
                      "orders")
    if request.type in ("stop", "stop_limit"):
        _price_shape("stop_price", request.stop_price, request.type)
        if request.time_in_force not in ("day", "gtc"):
            raise invalid("invalid_time_in_force", "stop orders are day or gtc orders")
    elif request.stop_price is not None:
        raise invalid("invalid_stop_price", "stop_price is only for stop and stop limit orders")
    if request.time_in_force == "opg" and (request.type not in ("market", "limit")
                                           or request.extended_hours):
        raise invalid("invalid_time_in_force", "opg orders are market or limit orders of the "
                      "regular session's opening auction")
    if request.commission is not None:
        if request.commission < 0 or places(request.commission) > 2:
            raise invalid("invalid_commission", "commission is a non-negative amount with at "
                          "most 2 decimals")
        if request.commission_type not in (None, "notional", "qty", "bps"):
            raise invalid("invalid_commission_type", "commission_type is notional, qty or bps")
    if request.extended_hours and (request.type != "limit" or request.time_in_force != "day"):
        raise invalid("invalid_extended_hours", "extended hours orders must be limit day orders")


def _price_shape(name: str, price: Decimal | None, kind: str) -> None:
    if price is None or price <= 0:
        raise invalid(f"invalid_{name}", f"a {kind.replace('_', ' ')} order needs a positive "
                      f"{name}")
    allowed = 2 if price >= 1 else 4
    if places(price) > allowed:
        raise invalid(f"invalid_{name}", f"{name} takes at most {allowed} decimals at this price")


def _next_opening(ctx: Ctx) -> dt.date:
    """The session whose opening auction an ``opg`` order submitted now joins: today's when
    the regular session has not opened yet, else the next session's."""
    hours = ctx.calendar.session_hours(ctx.today)
    if hours is not None and ctx.now < hours[0]:
        return ctx.today
    return ctx.calendar.next_trading_day(ctx.today + dt.timedelta(days=1))


def _buy_reservation(ctx: Ctx, order: Order, asset: object, quote: Decimal) -> Decimal:
    if order.notional is not None:
        return order.notional
    assert order.qty is not None
    if order.limit_price is not None:
        return cash_round(order.qty * order.limit_price)
    if order.stop_price is not None:   # a buy stop fills at or above its stop
        worst = max(quote, order.stop_price)
        return cash_round(order.qty * worst * (1 + ctx.settings.market_buy_buffer))
    worst = market.execution_price(asset, "buy", quote)  # type: ignore[arg-type]
    return cash_round(order.qty * worst * (1 + ctx.settings.market_buy_buffer))


# ----------------------------------------------------------------------------- balances


def buying_power(ctx: Ctx, account: Account) -> Decimal:
    held = ctx.db.scalars(
        select(Order.reserved_cash).where(
            Order.account_id == account.id, Order.status.in_(OPEN_ORDER_STATUSES))
    )
    return account.cash - sum(held, ZERO)


def sellable_qty(ctx: Ctx, account_id: str, symbol: str) -> Decimal:
    """Shares not yet promised to an open sell order or a queued share journal."""
    pos = ctx.db.get(ledger.Position, (account_id, symbol))
    owned = pos.qty if pos is not None else ZERO
    held = ctx.db.scalars(
        select(Order.reserved_qty).where(
            Order.account_id == account_id, Order.symbol == symbol,
            Order.status.in_(OPEN_ORDER_STATUSES))
    )
    journaled = ctx.db.scalars(
        select(Journal.qty).where(
            Journal.from_account == account_id, Journal.symbol == symbol,
            Journal.status == "queued")
    )
    return owned - sum(held, ZERO) - sum((q or ZERO for q in journaled), ZERO)


# ----------------------------------------------------------------------------- lookups


def get(ctx: Ctx, account_id: str, order_id: str) -> Order:
    order = ctx.db.get(Order, order_id)
    if order is None or order.account_id != account_id:
        raise not_found("order", order_id)
    return order


def find_by_client_order_id(ctx: Ctx, account_id: str, client_order_id: str) -> Order | None:
    return ctx.db.scalar(select(Order).where(
        Order.account_id == account_id, Order.client_order_id == client_order_id))


def open_orders(ctx: Ctx, symbol: str | None = None) -> list[Order]:
    query = select(Order).where(Order.status.in_(OPEN_ORDER_STATUSES))
    if symbol is not None:
        query = query.where(Order.symbol == symbol)
    return list(ctx.db.scalars(query.order_by(Order.created_at, Order.id)))


# ----------------------------------------------------------------------------- lifecycle


def route(ctx: Ctx, order: Order) -> None:
    """Send an accepted order to the market when its session is open, then try to fill it."""
    if order.status == "accepted":
        if not _market_open_for(ctx, order):
            return
        if order.reject_when_routed is not None:
            _close(ctx, order, "rejected", order.reject_when_routed)
            return
        order.status = "new"
        order.updated_at = ctx.now
    match(ctx, order)
    if order.time_in_force == "ioc" and order.status in OPEN_ORDER_STATUSES:
        _close(ctx, order, "canceled", "immediate or cancel: unfilled remainder canceled")
    if order.time_in_force == "opg" and order.status in OPEN_ORDER_STATUSES:
        _close(ctx, order, "canceled", "not filled in the opening auction")


def step_all(ctx: Ctx) -> None:
    """Route and match every open order (run at every clock event)."""
    for order in open_orders(ctx):
        route(ctx, order)


def match(ctx: Ctx, order: Order) -> None:
    if order.status not in ("new", "partially_filled") or not _market_open_for(ctx, order):
        return
    asset = ledger.asset(ctx, order.symbol)
    quote = market.price_at(ctx, order.symbol)
    if not asset.tradable or quote is None:
        return
    if order.stop_price is not None and order.triggered_at is None:
        # a buy stop triggers when the price reaches its stop from below, a sell stop from above
        if (order.side == "buy" and quote < order.stop_price) or \
                (order.side == "sell" and quote > order.stop_price):
            return
        order.triggered_at = ctx.now
    price = market.execution_price(asset, order.side, quote)
    if order.limit_price is not None and (
        (order.side == "buy" and price > order.limit_price)
        or (order.side == "sell" and price < order.limit_price)
    ):
        return
    if order.qty is not None:
        remaining = order.qty - order.filled_qty
    else:
        assert order.notional is not None
        remaining = qty_down((order.notional - order.filled_notional) / price)
    fill = remaining
    if order.partial_fill_ratio is not None:
        fill = qty_down(remaining * order.partial_fill_ratio)
    if order.side == "sell":
        pos = ctx.db.get(ledger.Position, (order.account_id, order.symbol))
        fill = min(fill, pos.qty if pos is not None else ZERO)
    if fill <= 0:
        _close(ctx, order, "canceled", "nothing left to fill")
        return
    account = ledger.account(ctx, order.account_id)
    if order.side == "buy" and trade_amount(fill, price) > buying_power(ctx, account) + \
            order.reserved_cash:
        if order.filled_qty > 0:
            _close(ctx, order, "canceled", "insufficient buying power at execution")
        else:
            _close(ctx, order, "rejected", "insufficient buying power at execution")
        return
    execute(ctx, order, account, fill, price)
    if order.partial_fill_ratio is not None and order.status == "partially_filled":
        _close(ctx, order, "canceled", "partially filled, remainder canceled by the market")


def execute(ctx: Ctx, order: Order, account: Account, qty: Decimal, price: Decimal) -> Trade:
    amount = trade_amount(qty, price)
    pos = ledger.position(ctx, order.account_id, order.symbol)
    if order.side == "buy":
        ledger.add_shares(pos, qty, price)
        account.unsettled_debits += amount
        order.reserved_cash = max(ZERO, order.reserved_cash - amount)
    else:
        ledger.remove_shares(pos, qty)
        account.unsettled_credits += amount
        order.reserved_qty = max(ZERO, order.reserved_qty - qty)
    previous = order.filled_qty
    order.filled_qty += qty
    order.filled_notional += amount
    order.filled_avg_price = price_round(
        ((order.filled_avg_price or ZERO) * previous + price * qty) / order.filled_qty)
    if order.notional is None:
        done = order.filled_qty == order.qty
    else:
        done = qty_down((order.notional - order.filled_notional) / price) <= 0
    order.status = "filled" if done else "partially_filled"
    order.updated_at = ctx.now
    if done:
        order.filled_at = ctx.now
        order.reserved_cash = order.reserved_qty = ZERO
    _charge_commission(ctx, order, qty, amount, first=previous == 0)
    trade_date = ctx.today
    settle_date = ctx.calendar.settlement_date(trade_date)
    activity = ledger.post(
        ctx, order.account_id, "FILL", type="fill" if done else "partial_fill",
        symbol=order.symbol, side=order.side, qty=qty, price=price,
        net_amount=-amount if order.side == "buy" else amount, settle_date=settle_date,
        order_id=order.id, order_status=order.status, cum_qty=order.filled_qty,
        leaves_qty=(order.qty - order.filled_qty) if order.qty is not None else ZERO,
    )
    trade = Trade(
        order_id=order.id, account_id=order.account_id, symbol=order.symbol, side=order.side,
        qty=qty, price=price, amount=amount, transaction_time=ctx.now, trade_date=trade_date,
        settle_date=settle_date, activity_id=activity.id,
    )
    scope = {"symbol": order.symbol, "account_id": order.account_id}
    for kind in ("trade_bust", "trade_correct"):
        if (fault := faults.take(ctx, kind, **scope)) is not None:
            trade.pending_fault, trade.pending_fault_params = kind, dict(fault.params)
            break
    ctx.db.add(trade)
    ctx.db.flush()
    return trade


def _charge_commission(ctx: Ctx, order: Order, qty: Decimal, amount: Decimal, *,
                       first: bool) -> None:
    """The partner's commission on a fill, charged to the account as ``FEE``: dollars once per
    order (``notional``, at its first fill), per share filled (``qty``) or basis points of the
    fill (``bps``), cents rounded half up."""
    if not order.commission:
        return
    if order.commission_type == "qty":
        fee = cash_round(order.commission * qty)
    elif order.commission_type == "bps":
        fee = cash_round(amount * order.commission / 10_000)
    else:
        fee = order.commission if first else ZERO
    if fee > 0:
        ledger.charge(ctx, order.account_id, fee, f"commission on order {order.id}",
                      order.symbol)
        order.commission_charged = (order.commission_charged or ZERO) + fee


def cancel_all(ctx: Ctx, account_id: str) -> list[Order]:
    """Cancel every open order of the account (Alpaca's ``DELETE .../orders``)."""
    ledger.account(ctx, account_id)
    found = [o for o in open_orders(ctx) if o.account_id == account_id]
    for order in found:
        _close(ctx, order, "canceled", "canceled by the client (all orders)")
    return found


def replace(ctx: Ctx, order: Order, *, qty: Decimal | None, time_in_force: str | None,
            limit_price: Decimal | None, stop_price: Decimal | None,
            client_order_id: str | None) -> Order:
    """Alpaca's order replacement: the open, unfilled order is ``replaced`` by a new order
    with the changed fields (``replaces`` / ``replaced_by`` link the two), checked as a new
    order is; a refused replacement leaves the old order as it was."""
    if order.status not in OPEN_ORDER_STATUSES:
        raise invalid("order_not_replaceable", f"order {order.id} is {order.status}")
    if order.filled_qty > 0:
        raise invalid("order_partially_filled", f"order {order.id} is partially filled; "
                      "cancel it and place a new one")
    if qty is None and time_in_force is None and limit_price is None and stop_price is None:
        raise invalid("nothing_to_replace", "give qty, time_in_force, limit_price or stop_price")
    if order.notional is not None and qty is not None:
        raise invalid("qty_xor_notional", "a notional order cannot be given a qty")
    reserved = (order.reserved_cash, order.reserved_qty, order.status)
    order.reserved_cash = order.reserved_qty = ZERO   # its reservation is free for the new one
    order.status = "pending_replace"
    try:
        new = submit(ctx, order.account_id, OrderRequest(
            symbol=order.symbol, side=order.side, type=order.type,
            time_in_force=time_in_force or order.time_in_force,
            qty=qty if qty is not None else order.qty, notional=order.notional,
            limit_price=limit_price if limit_price is not None else order.limit_price,
            stop_price=stop_price if stop_price is not None else order.stop_price,
            extended_hours=order.extended_hours, client_order_id=client_order_id,
            commission=order.commission, commission_type=order.commission_type))
    except BrokerError:
        order.reserved_cash, order.reserved_qty, order.status = reserved
        raise
    new.replaces = order.id
    order.status, order.replaced_by, order.replaced_at = "replaced", new.id, ctx.now
    order.status_reason, order.updated_at = f"replaced by order {new.id}", ctx.now
    return new


def close_position(ctx: Ctx, account_id: str, symbol: str, *, qty: Decimal | None,
                   percentage: Decimal | None) -> Order:
    """Liquidate all (or ``qty``, or ``percentage`` %) of a position by one market sell."""
    ledger.account(ctx, account_id)
    pos = ctx.db.get(ledger.Position, (account_id, symbol))
    if pos is None or pos.qty <= 0:
        raise not_found("position", symbol)
    if qty is not None and percentage is not None:
        raise invalid("qty_xor_percentage", "give qty or percentage, not both")
    if percentage is not None:
        if not 0 < percentage <= 100:
            raise invalid("invalid_percentage", "percentage is above 0 and at most 100")
        qty = qty_down(pos.qty * percentage / 100)
    wanted = pos.qty if qty is None else qty
    if wanted <= 0 or wanted > pos.qty:
        raise invalid("invalid_qty", f"qty must be above 0 and at most the position, {pos.qty}")
    return submit(ctx, account_id, OrderRequest(
        symbol=symbol, side="sell", type="market", time_in_force="day", qty=wanted))


def cancel(ctx: Ctx, order: Order) -> None:
    if order.status not in OPEN_ORDER_STATUSES:
        raise invalid("order_not_cancelable", f"order {order.id} is {order.status}")
    _close(ctx, order, "canceled", "canceled by the client")


def expire_day_orders(ctx: Ctx, *, extended: bool) -> None:
    """At a session's (regular or extended) close: day orders for it or earlier expire."""
    for order in open_orders(ctx):
        if (order.time_in_force == "day" and order.extended_hours == extended
                and order.session_date is not None and order.session_date <= ctx.today):
            _close(ctx, order, "expired", "day order not filled by the close")


def _close(ctx: Ctx, order: Order, status: str, reason: str) -> None:
    order.status = status
    order.status_reason = reason
    order.updated_at = ctx.now
    order.reserved_cash = order.reserved_qty = ZERO
    stamp = {"canceled": "canceled_at", "expired": "expired_at", "rejected": "failed_at"}[status]
    setattr(order, stamp, ctx.now)


def _market_open_for(ctx: Ctx, order: Order) -> bool:
    if order.session_date is not None and order.session_date != ctx.today:
        return False
    return market.is_open(ctx, extended=order.extended_hours)
