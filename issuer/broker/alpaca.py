"""The issuer's broker adapter for Alpaca's Broker API wire format (the mock broker speaks it
too: the issuer talks to the mock through this adapter, as to an Alpaca at another URL).

Retries and errors come from :mod:`servicekit.broker_http`: reads retry, an order and a journal
are written at most once (looked up by their client id after a timeout), other writes retry only
when nothing can have been applied.

Broker vocabulary and precision stay here: activity types (``DIV``, ``DIVNRA``...), ``ca_type``,
9-decimal quantities and cents travel as the broker writes them and come back as the issuer's
types (:mod:`issuer.broker.types`).

What the issuer needs and Alpaca's Broker API does not give, worked around here only:

- **Executions and their settlement.** Alpaca has no per-order executions: they are the order's
  FILL activities; the settle date comes from the settlement calendar shared with the mock
  (:mod:`servicekit.calendar`, T+1 on NYSE sessions that are bank business days); a fill is
  settled once the broker's date reaches it. A busted fill, or one that failed to settle, is
  reversed by a FILL activity ``canceled`` that names it (``corrects_id``); a price correction
  is a FILL ``correct`` with the new price.
- **Settled shares of a position.** Alpaca's position has ``qty`` only: settled shares are
  ``qty`` less the buys not settled yet plus the sells not settled yet (each adjusted for a split
  since its trade date), within ``[0, qty]``.
- **A journal's client id.** Alpaca's journals have none: the adapter writes the id into the
  journal's ``description`` (``[ref:<id>]``) and finds an earlier attempt by listing the
  journals between the two accounts, so a retried or restarted journal is never made twice.
- **Announcement versions.** Alpaca amends an announcement in place: the issuer compares the
  figures it recorded with the current ones (:mod:`issuer.corporate.discovery`).
- ``status_reason`` on an order is read when the broker gives one (the mock does).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from issuer import passcache, units
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
from servicekit.broker_http import BrokerHttp, BrokerRejected, seg, stream_after
from servicekit.calendar import SettlementCalendar

#: How far back a fill can still be unsettled: T+1 plus a run of holidays, with room to spare.
UNSETTLED_LOOKBACK = dt.timedelta(days=14)
#: The tag that carries a journal's client id in its description.
REF = "[ref:{}]"


class _WirePosition(Position):
    """A position as Alpaca sends it: no settled quantity."""

    qty_settled: Decimal = Decimal(0)


class AlpacaBroker(BrokerHttp):
    """The Broker API calls the issuer makes, answered in the issuer's types."""

    def __init__(self, base_url: str, **options: Any) -> None:
        super().__init__(base_url, **options)
        self.calendar = SettlementCalendar()
        #: Per account: the earliest time read from and every FILL activity since, in stream
        #: order (see :meth:`_fills`).
        self._fill_log: dict[str, tuple[dt.datetime, list[Activity]]] = {}
        self._fill_guard = threading.Lock()

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

    def executions(self, account_id: str, order: Order) -> list[Execution]:
        """The order's fills, from its FILL activities, with their settlement (see the module
        notes)."""
        fills = [a for a in self._fills(account_id, order.created_at, per_pass=True)
                 if a.order_id == order.id]
        if sum((f.qty or 0 for f in fills if f.corrects_id is None), Decimal(0)) \
                < order.filled_qty:   # filled since this pass read the fills: read them again
            fills = [a for a in self._fills(account_id, order.created_at)
                     if a.order_id == order.id]
        today = self.clock().date
        return [self._execution(fill, fills, today) for fill in fills if fill.corrects_id is None]

    def _fills(self, account_id: str, after: dt.datetime, *,
               per_pass: bool = False) -> list[Activity]:
        """FILL activities of the account from ``after`` on (originals and corrections).

        Read with a stored cursor: the account's fills already seen are kept, and each call
        asks the broker only for the activities after the last one seen (one short request),
        so N orders cost N short reads, not N reads of the whole history. Corrections are new
        activities, so the cursor sees them. A call reaching further back than what is kept
        reads from there again.

        ``per_pass``: within a worker pass (:mod:`issuer.passcache`) the account's new fills are
        asked for once, at the first such call (an order's executions: a fill that arrives
        later in the pass is read by the next one). The settled quantity of a position is
        always derived from a fresh read."""
        since = after - dt.timedelta(seconds=1)
        with self._fill_guard:
            kept = self._fill_log.get(account_id)
            if kept is None or since < kept[0]:
                self._fill_log[account_id] = (since, [])
            start = self._fill_log[account_id][0]
            if per_pass:
                passcache.once(("fills", id(self), account_id, start),
                               lambda: self._read_new_fills(account_id))
            else:
                self._read_new_fills(account_id)
            items = self._fill_log[account_id][1]
        return [a for a in items if a.transaction_time >= since]

    def _read_new_fills(self, account_id: str) -> None:
        """Append the account's fills after the last one kept (caller holds the guard)."""
        start, items = self._fill_log[account_id]
        cursor = items[-1].id if items else None
        self._fill_log[account_id] = (start, items + list(stream_after(
            lambda token: self.activities(account_id=account_id, types=["FILL"], after=start,
                                          page_token=token, page_size=500), cursor, 500)))

    def _execution(self, fill: Activity, fills: list[Activity], today: dt.date) -> Execution:
        assert fill.qty is not None and fill.price is not None and fill.side is not None
        trade_date = units.broker_date(fill.transaction_time)
        settle_date = self.calendar.settlement_date(trade_date)
        price = fill.price
        signed = fill.net_amount if fill.net_amount else (
            -1 if fill.side == "buy" else 1) * units.cash_half_up(fill.qty * fill.price)
        status = "settled" if today >= settle_date else "pending"
        for correction in sorted((c for c in fills if c.corrects_id == fill.id),
                                 key=lambda c: c.id):
            if correction.status == "canceled":
                status = "canceled"
            elif correction.status == "correct" and correction.price is not None:
                price, signed = correction.price, signed + correction.net_amount
        return Execution(id=fill.id, order_id=fill.order_id or "", symbol=fill.symbol or "",
                         side=fill.side, qty=fill.qty, price=price, amount=abs(signed),
                         transaction_time=fill.transaction_time, trade_date=trade_date,
                         settle_date=settle_date, status=status)

    # ------------------------------------------------------------------------- positions

    def position(self, account_id: str, symbol: str) -> Position | None:
        """The position, with ``qty_settled`` derived (Alpaca does not give it): ``qty`` less
        the buys not settled yet plus the sells not settled yet, within ``[0, qty]``."""
        path = f"/v1/trading/accounts/{seg(account_id)}/positions/{seg(symbol)}"
        found = self._get_or_none(_WirePosition, path)
        if found is None:
            return None
        settled = found.qty - self.unsettled_net(account_id, found.symbol)
        return Position.model_validate({**found.model_dump(),
                                        "qty_settled": min(found.qty, max(Decimal(0), settled))})

    def unsettled_net(self, account_id: str, symbol: str) -> Decimal:
        """Shares bought and not settled less shares sold and not settled, in today's shares."""
        clock = self.clock()
        fills = [a for a in self._fills(account_id, clock.now - UNSETTLED_LOOKBACK)
                 if a.symbol == symbol]
        pending = [e for e in (self._execution(f, fills, clock.date) for f in fills
                               if f.corrects_id is None) if e.status == "pending"]
        if not pending:
            return Decimal(0)
        ratios = self._split_ratios(account_id, symbol,
                                    min(e.trade_date for e in pending))
        net = Decimal(0)
        for execution in pending:
            qty = execution.qty
            for day, ratio in ratios:   # each split since its trade date, as the broker rounds
                if day > execution.trade_date:
                    qty = units.after_split(qty, ratio)
            net += qty if execution.side == "buy" else -qty
        return net

    def _split_ratios(self, account_id: str, symbol: str,
                      since: dt.date) -> list[tuple[dt.date, Fraction]]:
        """The splits of ``symbol`` the account took after ``since``: (date, new/old), in
        order (read once for every pending fill)."""
        splits = sorted((a for a in self.activities(
            account_id=account_id, types=["SPLIT"],
            after=units.start_of(since + dt.timedelta(days=1)), page_size=500)
            if a.symbol == symbol and a.corporate_action_id), key=lambda a: a.id)
        if not splits:
            return []
        announced = {a.corporate_action_id: a for a in self.announcements(
            symbol=symbol, since=splits[0].date - dt.timedelta(days=7),
            until=splits[-1].date + dt.timedelta(days=7))}
        ratios = []
        for split in splits:
            found = announced.get(split.corporate_action_id or "")
            if found is not None and found.old_rate and found.new_rate:
                ratios.append((split.date, units.split_ratio(found.old_rate, found.new_rate)))
        return ratios

    # ------------------------------------------------------------------------- activities

    def activities(self, *, account_id: str | None = None, types: list[str] | None = None,
                   page_token: str | None = None, page_size: int = 100,
                   direction: str = "asc", after: dt.datetime | None = None) -> list[Activity]:
        return self._get_list(Activity, "/v1/accounts/activities", account_id=account_id,
                              activity_types=",".join(types) if types else None,
                              page_token=page_token, page_size=page_size, direction=direction,
                              after=after)

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
                       client_journal_id: str | None = None,
                       first_attempt: bool = False) -> Journal:
        """Create a journal at most once. Alpaca's journals have no client id: the id travels
        in the description (``[ref:<id>]``), and an earlier attempt (a timeout, a crash before
        the caller stored the answer) is found by it before anything new is sent, unless the
        caller knows this is the first attempt (the lookup lists the journals between the two
        accounts: skipping it keeps a day of N creations from costing N^2 reads)."""
        client_journal_id = client_journal_id or str(uuid.uuid4())
        tag = REF.format(client_journal_id)

        def lookup() -> Journal | None:
            return self.journal_by_client_id(client_journal_id, from_account=from_account,
                                             to_account=to_account, entry_type=entry_type)

        if not first_attempt and (existing := lookup()) is not None:
            return existing
        body: dict[str, Any] = {
            "entry_type": entry_type, "from_account": from_account, "to_account": to_account,
            "symbol": symbol, "qty": qty, "amount": amount,
            "description": f"{description} {tag}".strip()}
        return self._write_once(
            lambda: self._send("POST", "/v1/journals",
                               body={k: v for k, v in body.items() if v is not None}),
            lookup, Journal, duplicate_code="duplicate_journal", same=lambda _: True)

    def journal(self, journal_id: str) -> Journal:
        return self._get(Journal, f"/v1/journals/{seg(journal_id)}")

    def journal_by_client_id(self, client_journal_id: str, *, from_account: str,
                             to_account: str, entry_type: str) -> Journal | None:
        """The journal between the two accounts whose description carries the client id."""
        tag = REF.format(client_journal_id)
        found = [j for j in self._get_list(Journal, "/v1/journals", from_account=from_account,
                                           to_account=to_account, entry_type=entry_type)
                 if j.description.endswith(tag)]
        return found[0] if found else None

    # ------------------------------------------------------------------------- reference data

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None,
                      until: dt.date | None = None) -> list[Announcement]:
        return self._get_list(Announcement, "/v1/corporate_actions/announcements",
                              ca_types=ca_types, symbol=symbol, since=since, until=until)

    def corporate_actions_data(self, *, since: dt.date,
                               until: dt.date | None = None) -> list[Announcement]:
        """Alpaca's corporate-actions data (``GET /v1/corporate-actions``, the Market Data
        API, one page of up to 1,000): name changes, cash mergers, worthless removals and
        spin-offs (the parent initiating, the new company the target, its rates) and stock
        (and stock-and-cash) mergers (the acquired company initiating, the acquirer the
        target, the acquiree and acquirer rates as old and new, the cash rate), as
        announcements (a
        merger's acquired company initiating, its acquirer the target, the cash per share,
        the effective date as the ex-date)."""
        params: dict[str, Any] = {"types": "name_change,cash_merger,worthless_removal,spin_off,"
                                           "stock_merger,stock_and_cash_merger",
                                  "start": since.isoformat(), "limit": 1000}
        if until is not None:
            params["end"] = until.isoformat()
        body = self._call("GET", "/v1/corporate-actions", params=params,
                          idempotent=True).json(parse_float=Decimal)
        found = body.get("corporate_actions", {})
        renamed = [Announcement(
            id=str(entry["id"]), corporate_action_id=str(entry["id"]), ca_type="name_change",
            ca_sub_type="name_change", initiating_symbol=str(entry["old_symbol"]),
            target_symbol=str(entry["new_symbol"]),
            ex_date=dt.date.fromisoformat(str(entry["process_date"])))
            for entry in found.get("name_changes", [])]
        merged = [Announcement(
            id=str(entry["id"]), corporate_action_id=str(entry["id"]), ca_type="cash_merger",
            ca_sub_type="cash_merger", initiating_symbol=str(entry["acquiree_symbol"]),
            target_symbol=entry.get("acquirer_symbol"), cash=Decimal(str(entry["rate"])),
            ex_date=dt.date.fromisoformat(str(entry["effective_date"])),
            payable_date=dt.date.fromisoformat(str(entry.get("payable_date")
                                                   or entry["effective_date"])))
            for entry in found.get("cash_mergers", [])]
        removed = [Announcement(
            id=str(entry["id"]), corporate_action_id=str(entry["id"]),
            ca_type="worthless_removal", ca_sub_type="worthless_removal",
            initiating_symbol=str(entry["symbol"]),
            ex_date=dt.date.fromisoformat(str(entry["process_date"])))
            for entry in found.get("worthless_removals", [])]
        spun = [Announcement(
            id=str(entry["id"]), corporate_action_id=str(entry["id"]), ca_type="spin_off",
            ca_sub_type="spin_off", initiating_symbol=str(entry["source_symbol"]),
            target_symbol=str(entry["new_symbol"]),
            old_rate=Decimal(str(entry["source_rate"])), new_rate=Decimal(str(entry["new_rate"])),
            ex_date=dt.date.fromisoformat(str(entry["ex_date"])),
            record_date=dt.date.fromisoformat(str(entry["record_date"]))
            if entry.get("record_date") else None,
            payable_date=dt.date.fromisoformat(str(entry.get("payable_date")
                                                   or entry["process_date"])))
            for entry in found.get("spin_offs", [])]
        stock = [Announcement(
            id=str(entry["id"]), corporate_action_id=str(entry["id"]), ca_type="stock_merger",
            ca_sub_type=sub_type, initiating_symbol=str(entry["acquiree_symbol"]),
            target_symbol=str(entry["acquirer_symbol"]),
            old_rate=Decimal(str(entry["acquiree_rate"])),
            new_rate=Decimal(str(entry["acquirer_rate"])),
            cash=Decimal(str(entry["cash_rate"])) if entry.get("cash_rate") else None,
            ex_date=dt.date.fromisoformat(str(entry["effective_date"])),
            payable_date=dt.date.fromisoformat(str(entry.get("payable_date")
                                                   or entry["effective_date"])))
            for sub_type, key in (("stock_merger", "stock_mergers"),
                                  ("stock_and_cash_merger", "stock_and_cash_mergers"))
            for entry in found.get(key, [])]
        return renamed + merged + removed + spun + stock

    def asset(self, symbol: str) -> Asset:
        return self._get(Asset, f"/v1/assets/{seg(symbol)}")

    def latest_trade(self, symbol: str) -> Trade | None:
        """Alpaca's Market Data API (``/v2/stocks/{symbol}/trades/latest``, read with the
        partner's credentials; the mock answers it at the broker's URL). The price travels as a
        JSON number: it is read back from its decimal text, never through a float."""
        try:
            response = self._call("GET", f"/v2/stocks/{seg(symbol)}/trades/latest",
                                  idempotent=True)
        except BrokerRejected as refused:
            if refused.status == 404:
                return None
            raise
        trade = response.json(parse_float=Decimal)["trade"]
        at = dt.datetime.fromisoformat(str(trade["t"]).replace("Z", "+00:00"))
        return Trade(symbol=symbol, price=Decimal(trade["p"]), at=at)

    def clock(self) -> MarketClock:
        """Alpaca's ``/v1/clock``, with the New York date its timestamp falls on (read once
        per worker pass: :mod:`issuer.passcache`; every step of a pass sees one broker
        moment)."""
        return passcache.once(("clock", id(self)), self._read_clock)

    def _read_clock(self) -> MarketClock:
        data = self._call("GET", "/v1/clock", idempotent=True).json()
        now = dt.datetime.fromisoformat(str(data["timestamp"]).replace("Z", "+00:00"))
        return MarketClock(now=now, date=units.broker_date(now), is_open=data["is_open"],
                           next_open=data["next_open"], next_close=data["next_close"])

    # ------------------------------------------------------------------------- tokenization

    def tokenization_callback_mint(self, account_id: str, *, tokenization_request_id: str,
                                   client_id: str, wallet_address: str, tx_hash: str,
                                   network: str) -> TokenizationRequest:
        """``callback/mint``: safe to send again (the broker answers the same for the same
        hash), so it retries like a read."""
        body = {"tokenization_request_id": tokenization_request_id, "client_id": client_id,
                "client_external_account_id": client_id, "wallet_address": wallet_address,
                "tx_hash": tx_hash, "network": network}
        return self._write(TokenizationRequest, "POST",
                           f"/v1/accounts/{seg(account_id)}/tokenization/callback/mint", body,
                           idempotent=True)

    def tokenization_callback_redeem(self, account_id: str, *, issuer_request_id: str,
                                     underlying_symbol: str, token_symbol: str, client_id: str,
                                     qty: Decimal, network: str, wallet_address: str,
                                     tx_hash: str) -> TokenizationRequest:
        """``callback/redeem``: one request per ``issuer_request_id`` at the broker, so a
        retry finds the first; the ``Idempotency-Key`` (``redeem-<issuer request id>``) makes a
        retry with another body a refusal, never a second request."""
        body = {"issuer_request_id": issuer_request_id, "underlying_symbol": underlying_symbol,
                "token_symbol": token_symbol, "client_id": client_id, "qty": qty,
                "network": network, "wallet_address": wallet_address, "tx_hash": tx_hash}
        return self._write(TokenizationRequest, "POST",
                           f"/v1/accounts/{seg(account_id)}/tokenization/callback/redeem",
                           body, idempotent=True,
                           headers={"Idempotency-Key": f"redeem-{issuer_request_id}"})

    def tokenization_request(self, account_id: str, *, tokenization_request_id: str | None = None,
                             issuer_request_id: str | None = None
                             ) -> TokenizationRequest | None:
        base = f"/v1/accounts/{seg(account_id)}/tokenization"
        if tokenization_request_id is not None:
            return self._get_or_none(TokenizationRequest,
                                     f"{base}/requests/{seg(tokenization_request_id)}")
        return self._get_or_none(TokenizationRequest, f"{base}/requests:by_issuer_request_id",
                                 issuer_request_id=issuer_request_id)
