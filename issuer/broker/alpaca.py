"""The issuer's broker adapter for Alpaca's Broker API wire format (the mock broker speaks it
too: the issuer talks to the mock through this adapter, as to an Alpaca at another URL).

Retries and errors come from :mod:`servicekit.broker_http`: reads retry, an order and a journal
are written at most once (looked up by their client id after a timeout), other writes retry only
when nothing can have been applied.

Broker vocabulary and precision stay here: activity types (``DIV``, ``DIVNRA``...), ``ca_type``,
9-decimal quantities and cents travel as the broker writes them and come back as the issuer's
types (:mod:`issuer.broker.types`).

What Alpaca's Broker API does not give and the issuer still reads (the open "real rails I"
issue moves these onto what Alpaca gives; each is marked below):

- ``executions`` of an order with their trade and settle dates (Alpaca: FILL activities, and
  settle dates from the settlement calendar);
- ``qty_settled`` on a position (Alpaca: derived from executions and journals);
- ``status_reason`` on an order, ``client_journal_id`` on a journal, ``version`` on an
  announcement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

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
    TradingAccount,
)
from servicekit.broker_http import BrokerHttp, seg, stream_after


class AlpacaBroker(BrokerHttp):
    """The Broker API calls the issuer makes, answered in the issuer's types."""

    # ------------------------------------------------------------------------- accounts

    def account(self, account_id: str) -> Account:
        return self._get(Account, f"/v1/accounts/{seg(account_id)}")

    def trading_account(self, account_id: str) -> TradingAccount:
        return self._get(TradingAccount, f"/v1/trading/accounts/{seg(account_id)}/account")

    # ------------------------------------------------------------------------- orders

    def submit_order(self, account_id: str, *, symbol: str, side: str,
                     qty: Decimal | None = None, notional: Decimal | None = None,
                     type: str = "market", time_in_force: str = "day",
                     limit_price: Decimal | None = None,
                     client_order_id: str | None = None) -> Order:
        """Place an order at most once, however many times the request has to be retried."""
        client_order_id = client_order_id or str(uuid.uuid4())
        body = {"symbol": symbol, "side": side, "type": type, "time_in_force": time_in_force,
                "qty": qty, "notional": notional, "limit_price": limit_price,
                "client_order_id": client_order_id}
        path = f"/v1/trading/accounts/{seg(account_id)}/orders"
        return self._write_once(
            lambda: self._send("POST", path, body={k: v for k, v in body.items()
                                                   if v is not None}),
            lambda: self.order_by_client_id(account_id, client_order_id),
            Order, duplicate_code="duplicate_client_order_id",
            same=lambda o: (o.symbol == symbol.upper() and o.side == side and o.qty == qty
                            and o.notional == notional))

    def order(self, account_id: str, order_id: str) -> Order:
        return self._get(Order, f"/v1/trading/accounts/{seg(account_id)}/orders/{seg(order_id)}")

    def order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None:
        path = f"/v1/trading/accounts/{seg(account_id)}/orders:by_client_order_id"
        return self._get_or_none(Order, path, client_order_id=client_order_id)

    def orders(self, account_id: str, *, status: str = "all", symbols: str | None = None,
               limit: int = 500, direction: str = "asc") -> list[Order]:
        return self._get_list(Order, f"/v1/trading/accounts/{seg(account_id)}/orders",
                              status=status, symbols=symbols, limit=limit, direction=direction)

    def executions(self, account_id: str, order_id: str) -> list[Execution]:
        """Not in Alpaca's API (the mock's): the order's executions and their settlement."""
        return self._get_list(
            Execution,
            f"/v1/trading/accounts/{seg(account_id)}/orders/{seg(order_id)}/executions")

    # ------------------------------------------------------------------------- positions

    def position(self, account_id: str, symbol: str) -> Position | None:
        path = f"/v1/trading/accounts/{seg(account_id)}/positions/{seg(symbol)}"
        return self._get_or_none(Position, path)

    # ------------------------------------------------------------------------- activities

    def activities(self, *, account_id: str | None = None, types: list[str] | None = None,
                   page_token: str | None = None, page_size: int = 100,
                   direction: str = "asc") -> list[Activity]:
        return self._get_list(Activity, "/v1/accounts/activities", account_id=account_id,
                              activity_types=",".join(types) if types else None,
                              page_token=page_token, page_size=page_size, direction=direction)

    def new_activities(self, cursor: str | None, *, account_id: str | None = None,
                       types: list[str] | None = None,
                       page_size: int = 100) -> Iterator[Activity]:
        """Every activity after ``cursor`` (an activity id), once each and in stream order:
        ids sort in stream order, so repeated or reordered entries are sorted and skipped."""
        return stream_after(lambda after: self.activities(
            account_id=account_id, types=types, page_token=after, page_size=page_size),
            cursor, page_size)

    # ------------------------------------------------------------------------- journals

    def create_journal(self, *, entry_type: str, from_account: str, to_account: str,
                       symbol: str | None = None, qty: Decimal | None = None,
                       amount: Decimal | None = None, description: str = "",
                       client_journal_id: str | None = None) -> Journal:
        """Create a journal at most once (looked up by ``client_journal_id``, the mock's)."""
        client_journal_id = client_journal_id or str(uuid.uuid4())
        body: dict[str, Any] = {
            "entry_type": entry_type, "from_account": from_account, "to_account": to_account,
            "symbol": symbol, "qty": qty, "amount": amount, "description": description,
            "client_journal_id": client_journal_id}
        return self._write_once(
            lambda: self._send("POST", "/v1/journals",
                               body={k: v for k, v in body.items() if v is not None}),
            lambda: self.journal_by_client_id(client_journal_id),
            Journal, duplicate_code="duplicate_client_journal_id",
            same=lambda j: (j.from_account == from_account and j.to_account == to_account
                            and j.entry_type == entry_type))

    def journal(self, journal_id: str) -> Journal:
        return self._get(Journal, f"/v1/journals/{seg(journal_id)}")

    def journal_by_client_id(self, client_journal_id: str) -> Journal | None:
        found = self._get_list(Journal, "/v1/journals", client_journal_id=client_journal_id)
        return found[0] if found else None

    # ------------------------------------------------------------------------- reference data

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None, until: dt.date | None = None,
                      include_history: bool = False) -> list[Announcement]:
        return self._get_list(Announcement, "/v1/corporate_actions/announcements",
                              ca_types=ca_types, symbol=symbol, since=since, until=until,
                              include_history=str(include_history).lower())

    def asset(self, symbol: str) -> Asset:
        return self._get(Asset, f"/v1/assets/{seg(symbol)}")

    def clock(self) -> MarketClock:
        """Alpaca's ``/v1/clock``, with the New York date its timestamp falls on."""
        data = self._call("GET", "/v1/clock", idempotent=True).json()
        now = dt.datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00"))
        return MarketClock(now=now, date=units.broker_date(now),
                           is_open=data["is_open"], next_open=data["next_open"],
                           next_close=data["next_close"])
