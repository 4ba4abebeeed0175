"""An in-memory broker behind the port, for fast tests of the issuer's logic only (the HTTP mock
broker stays for the integration suites).

It keeps accounts, orders, fills, journals and announcements in dictionaries and settles fills
by the same rule as the Alpaca adapter: T+1 on the shared settlement calendar, read against the
fake's own clock (:meth:`FakeBroker.set_time`). A test drives what the market does: orders stay
``accepted`` until :meth:`FakeBroker.fill` (or fill at once at :attr:`prices` with
``auto_fill``), journals stay ``queued`` until :meth:`FakeBroker.set_journal`, a fill can be
busted or its price corrected. Refusals are :class:`BrokerRejected` with Alpaca-like codes.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from issuer import units
from issuer.broker.types import (
    Account,
    Activity,
    Announcement,
    Asset,
    Execution,
    Journal,
    MarketClock,
    Order,
    Position,
    TokenizationRequest,
    Trade,
    TradingAccount,
)
from servicekit.broker_http import BrokerRejected
from servicekit.calendar import SettlementCalendar

ZERO = Decimal(0)


@dataclass
class _Fill:
    id: str
    account_id: str
    order_id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    at: dt.datetime
    canceled: bool = False


@dataclass
class _Book:
    cash: Decimal = ZERO
    #: Shares held per symbol, settled or not (journals and fills add and remove them).
    shares: dict[str, Decimal] = field(default_factory=dict)


class FakeBroker:
    """The port in memory (see the module notes)."""

    def __init__(self, now: dt.datetime, *, prices: dict[str, Decimal] | None = None,
                 auto_fill: bool = False) -> None:
        self.now = now
        self.prices = dict(prices or {})
        self.auto_fill = auto_fill
        self.calendar = SettlementCalendar()
        self.books: dict[str, _Book] = {}
        self.orders_: dict[str, Order] = {}
        self.fills: list[_Fill] = []
        self.journals: dict[str, tuple[Journal, str | None]] = {}
        self.announced: list[Announcement] = []
        #: Name changes (Alpaca's corporate-actions data), as announcements.
        self.renamed: list[Announcement] = []
        self.activity_log: list[Activity] = []
        self.calls: list[str] = []
        self._owner: dict[str, str] = {}
        #: Tokenization requests by the broker's id.
        self.tokenizations: dict[str, TokenizationRequest] = {}
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------------- test controls

    def open_account(self, account_id: str, *, cash: Decimal = ZERO,
                     shares: dict[str, Decimal] | None = None) -> None:
        self.books[account_id] = _Book(cash=cash, shares=dict(shares or {}))

    def set_time(self, now: dt.datetime) -> None:
        self.now = now

    def fill(self, order_id: str, qty: Decimal | None = None,
             price: Decimal | None = None) -> _Fill:
        """The market fills ``qty`` (default: the rest) of the order at ``price``; a notional
        order fills what its notional buys at ``price`` (to 9 decimals, down)."""
        order = self.orders_[order_id]
        price = self.prices[order.symbol] if price is None else price
        whole = order.qty if order.qty is not None else \
            units.broker_qty_down((order.notional or ZERO) / price)
        qty = whole - order.filled_qty if qty is None else qty
        fill = _Fill(self._id("fill"), self._owner[order.id], order.id, order.symbol,
                     order.side, qty, price, self.now)
        self.fills.append(fill)
        book = self.books[fill.account_id]
        amount = units.cash_half_up(qty * price)
        sign = 1 if order.side == "buy" else -1
        book.shares[order.symbol] = book.shares.get(order.symbol, ZERO) + sign * qty
        book.cash -= sign * amount
        filled = order.filled_qty + qty
        self._update(order, filled_qty=filled, filled_avg_price=price,
                     status="filled" if filled == whole else "partially_filled")
        self._log("FILL", fill.account_id, symbol=order.symbol, side=order.side, qty=qty,
                  price=price, net_amount=-sign * amount, order_id=order.id)
        return fill

    def finish(self, order_id: str, status: str = "canceled", reason: str | None = None) -> None:
        """The order ends without filling further (canceled, expired, rejected)."""
        self._update(self.orders_[order_id], status=status, status_reason=reason)

    def bust(self, fill_id: str) -> None:
        """The market busts a fill: shares and cash as if it never happened."""
        fill = next(f for f in self.fills if f.id == fill_id)
        fill.canceled = True
        book = self.books[fill.account_id]
        sign = 1 if fill.side == "buy" else -1
        book.shares[fill.symbol] -= sign * fill.qty
        book.cash += sign * units.cash_half_up(fill.qty * fill.price)
        order = self.orders_[fill.order_id]
        self._update(order, filled_qty=order.filled_qty - fill.qty,
                     status_reason="trade busted")

    def correct(self, fill_id: str, price: Decimal) -> None:
        fill = next(f for f in self.fills if f.id == fill_id)
        sign = 1 if fill.side == "buy" else -1
        delta = units.cash_half_up(fill.qty * price) - units.cash_half_up(fill.qty * fill.price)
        self.books[fill.account_id].cash -= sign * delta
        fill.price = price

    def set_journal(self, journal_id: str, status: str, reason: str | None = None) -> None:
        """Move a journal to ``status``; ``executed`` moves its cash or shares."""
        journal, client_id = self.journals[journal_id]
        if status == "executed":
            source, target = self.books[journal.from_account], self.books[journal.to_account]
            if journal.entry_type == "JNLC":
                assert journal.net_amount is not None
                source.cash -= journal.net_amount
                target.cash += journal.net_amount
            else:
                assert journal.symbol is not None and journal.qty is not None
                source.shares[journal.symbol] -= journal.qty
                target.shares[journal.symbol] = target.shares.get(journal.symbol,
                                                                  ZERO) + journal.qty
        self.journals[journal_id] = (journal.model_copy(update={
            "status": status, "status_reason": reason}), client_id)

    def announce(self, announcement: Announcement) -> None:
        self.announced = [a for a in self.announced
                          if a.corporate_action_id != announcement.corporate_action_id]
        self.announced.append(announcement)

    # ------------------------------------------------------------------------- the port

    def account(self, account_id: str) -> Account:
        self._book(account_id)
        return Account(id=account_id, status="ACTIVE")

    def trading_account(self, account_id: str) -> TradingAccount:
        cash = self._book(account_id).cash
        return TradingAccount(id=account_id, cash=cash, buying_power=cash,
                              cash_withdrawable=cash)

    def submit_order(self, account_id: str, *, symbol: str, side: str,
                     qty: Decimal | None = None, notional: Decimal | None = None,
                     type: str = "market", time_in_force: str = "day",
                     limit_price: Decimal | None = None,
                     client_order_id: str | None = None) -> Order:
        self.calls.append(f"submit_order {client_order_id}")
        self._book(account_id)
        client_order_id = client_order_id or self._id("client")
        if self.order_by_client_id(account_id, client_order_id) is not None:
            raise BrokerRejected(422, "duplicate_client_order_id",
                                 f"client_order_id {client_order_id} is already used", {})
        if side == "sell" and (qty or ZERO) > self._book(account_id).shares.get(symbol, ZERO):
            raise BrokerRejected(403, "insufficient_qty", f"not enough {symbol} to sell", {})
        order = Order(id=self._id("order"), client_order_id=client_order_id, symbol=symbol,
                      side=side, type=type, qty=qty, notional=notional, filled_qty=ZERO,
                      status="accepted", created_at=self.now)
        self.orders_[order.id] = order
        self._owner[order.id] = account_id
        if self.auto_fill:
            self.fill(order.id)
        return self.orders_[order.id]

    def order(self, account_id: str, order_id: str) -> Order:
        order = self.orders_.get(order_id)
        if order is None or self._owner[order_id] != account_id:
            raise BrokerRejected(404, "not_found", f"order {order_id} not found", {})
        return order

    def order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None:
        return next((o for o in self.orders_.values() if o.client_order_id == client_order_id
                     and self._owner[o.id] == account_id), None)

    def orders(self, account_id: str, *, status: str = "all", symbols: str | None = None,
               limit: int = 500, direction: str = "asc") -> list[Order]:
        wanted = set(symbols.split(",")) if symbols else None
        found = [o for o in self.orders_.values() if self._owner[o.id] == account_id
                 and (wanted is None or o.symbol in wanted)]
        return (found if direction == "asc" else found[::-1])[:limit]

    def executions(self, account_id: str, order: Order) -> list[Execution]:
        today = self.clock().date
        return [self._execution(f, today) for f in self.fills
                if f.order_id == order.id and f.account_id == account_id]

    def position(self, account_id: str, symbol: str) -> Position | None:
        qty = self._book(account_id).shares.get(symbol, ZERO)
        if qty == 0:
            return None
        today = self.clock().date
        unsettled = ZERO
        for fill in self.fills:
            if fill.account_id == account_id and fill.symbol == symbol and not fill.canceled:
                execution = self._execution(fill, today)
                if execution.status == "pending":
                    unsettled += fill.qty if fill.side == "buy" else -fill.qty
        price = self.prices.get(symbol)
        return Position(symbol=symbol, qty=qty, qty_settled=min(qty, max(ZERO, qty - unsettled)),
                        qty_available=qty, current_price=price,
                        market_value=None if price is None else qty * price)

    def new_activities(self, cursor: str | None, *, account_id: str | None = None,
                       types: list[str] | None = None,
                       page_size: int = 100) -> Iterator[Activity]:
        for entry in self.activity_log:
            if ((cursor is None or entry.id > cursor)
                    and (account_id is None or entry.account_id == account_id)
                    and (types is None or entry.activity_type in types)):
                yield entry

    def create_journal(self, *, entry_type: str, from_account: str, to_account: str,
                       symbol: str | None = None, qty: Decimal | None = None,
                       amount: Decimal | None = None, description: str = "",
                       client_journal_id: str | None = None,
                       first_attempt: bool = False) -> Journal:
        self.calls.append(f"create_journal {client_journal_id}")
        if client_journal_id is not None and (existing := self.journal_by_client_id(
                client_journal_id, from_account=from_account, to_account=to_account,
                entry_type=entry_type)) is not None:
            return existing
        source = self._book(from_account)
        self._book(to_account)
        if entry_type == "JNLC" and (amount or ZERO) > source.cash:
            raise BrokerRejected(403, "insufficient_cash",
                                 f"journal moves {amount}, {source.cash} withdrawable", {})
        if entry_type == "JNLS" and (qty or ZERO) > source.shares.get(symbol or "", ZERO):
            raise BrokerRejected(403, "insufficient_qty", f"not enough {symbol}", {})
        journal = Journal(id=self._id("journal"), entry_type=entry_type,
                          from_account=from_account, to_account=to_account, symbol=symbol,
                          qty=qty, net_amount=amount, description=description, status="queued",
                          settle_date=self.clock().date, created_at=self.now)
        self.journals[journal.id] = (journal, client_journal_id)
        return journal

    def journal(self, journal_id: str) -> Journal:
        if journal_id not in self.journals:
            raise BrokerRejected(404, "not_found", f"journal {journal_id} not found", {})
        return self.journals[journal_id][0]

    def journal_by_client_id(self, client_journal_id: str, *, from_account: str,
                             to_account: str, entry_type: str) -> Journal | None:
        return next((j for j, cid in self.journals.values() if cid == client_journal_id
                     and (j.from_account, j.to_account, j.entry_type)
                     == (from_account, to_account, entry_type)), None)

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None,
                      until: dt.date | None = None) -> list[Announcement]:
        return [a for a in self.announced if (symbol is None or a.initiating_symbol == symbol)
                and (since is None or a.ex_date >= since)
                and (until is None or a.ex_date <= until)]

    def corporate_actions_data(self, *, since: dt.date,
                     until: dt.date | None = None) -> list[Announcement]:
        return [a for a in self.renamed if a.ex_date >= since
                and (until is None or a.ex_date <= until)]

    def asset(self, symbol: str) -> Asset:
        return Asset(symbol=symbol, tradable=True, fractionable=True)

    def latest_trade(self, symbol: str) -> Trade | None:
        """The price :attr:`prices` holds for ``symbol``, traded now."""
        price = self.prices.get(symbol)
        return None if price is None else Trade(symbol=symbol, price=price, at=self.now)

    def clock(self) -> MarketClock:
        today = units.broker_date(self.now)
        hours = self.calendar.session_hours(today)
        is_open = hours is not None and hours[0] <= self.now < hours[1]
        day = today + dt.timedelta(days=1)
        while (nxt := self.calendar.session_hours(day)) is None:
            day += dt.timedelta(days=1)
        return MarketClock(now=self.now, date=today, is_open=is_open, next_open=nxt[0],
                           next_close=hours[1] if is_open and hours else nxt[1])

    def tokenization_callback_mint(self, account_id: str, *, tokenization_request_id: str,
                                   client_id: str, wallet_address: str, tx_hash: str,
                                   network: str) -> TokenizationRequest:
        found = self.tokenizations.get(tokenization_request_id)
        if found is None:
            raise BrokerRejected(404, "not_found", tokenization_request_id, {})
        if found.status == "completed" and found.tx_hash != tx_hash:
            raise BrokerRejected(409, "tx_hash_mismatch", found.tx_hash, {})
        done = found.model_copy(update={"status": "completed", "tx_hash": tx_hash,
                                         "updated_at": self.now})
        self.tokenizations[tokenization_request_id] = done
        return done

    def tokenization_callback_redeem(self, account_id: str, *, issuer_request_id: str,
                                     underlying_symbol: str, token_symbol: str, client_id: str,
                                     qty: Decimal, network: str, wallet_address: str,
                                     tx_hash: str) -> TokenizationRequest:
        for found in self.tokenizations.values():
            if found.issuer_request_id == issuer_request_id:
                return found
        request = TokenizationRequest(
            tokenization_request_id=self._id("tokenization"), type="redeem", status="pending",
            underlying_symbol=underlying_symbol, token_symbol=token_symbol, qty=qty,
            network=network, wallet_address=wallet_address, issuer_request_id=issuer_request_id,
            created_at=self.now, updated_at=self.now)
        self.tokenizations[request.tokenization_request_id] = request
        return request

    def tokenization_request(self, account_id: str, *, tokenization_request_id: str | None = None,
                             issuer_request_id: str | None = None
                             ) -> TokenizationRequest | None:
        if tokenization_request_id is not None:
            return self.tokenizations.get(tokenization_request_id)
        return next((r for r in self.tokenizations.values()
                     if r.issuer_request_id == issuer_request_id), None)

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------------- internals

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids):06d}"

    def _book(self, account_id: str) -> _Book:
        if account_id not in self.books:
            raise BrokerRejected(404, "account_not_found", f"account {account_id} not found", {})
        return self.books[account_id]

    def _update(self, order: Order, **changes: object) -> None:
        self.orders_[order.id] = order.model_copy(update=changes)

    def _execution(self, fill: _Fill, today: dt.date) -> Execution:
        trade_date = units.broker_date(fill.at)
        settle_date = self.calendar.settlement_date(trade_date)
        status = ("canceled" if fill.canceled else
                  "settled" if today >= settle_date else "pending")
        return Execution(id=fill.id, order_id=fill.order_id, symbol=fill.symbol, side=fill.side,
                         qty=fill.qty, price=fill.price,
                         amount=units.cash_half_up(fill.qty * fill.price),
                         transaction_time=fill.at, trade_date=trade_date,
                         settle_date=settle_date, status=status)

    def _log(self, activity_type: str, account_id: str, **fields: object) -> None:
        seq = len(self.activity_log) + 1
        self.activity_log.append(Activity.model_validate({
            "id": f"{self.now:%Y%m%d%H%M%S%f}"[:17] + f"::{seq:012d}", "account_id": account_id,
            "activity_type": activity_type, "date": units.broker_date(self.now),
            "transaction_time": self.now, **fields}))
