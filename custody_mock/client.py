"""A typed client for the broker, with retries that are safe and errors a caller can act on.

Retry rules:

- reads (GET) retry on timeouts, connection errors, 5xx and 429 (honouring ``Retry-After``);
- an order is identified by its ``client_order_id`` (one is generated when the caller gives
  none): after a timeout or a 5xx the client looks the order up by that id and returns it if the
  broker has it, else submits again; a 409 for the same id returns the existing order when it is
  the same order, so a retried submission never places a second order;
- a journal is identified the same way by its ``client_journal_id``;
- other writes retry only on 429 (never applied) and on a connection refused before sending;
  anything else raises :class:`BrokerUnavailable` with ``maybe_applied=True``.

Errors: :class:`BrokerRejected` (4xx: the request is wrong or not allowed now; ``code`` says why),
:class:`BrokerUnavailable` (the broker did not answer usefully within the retries).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from custody_mock.schemas import (
    AccountOut,
    ActivityOut,
    AnnouncementOut,
    AssetOut,
    ClockOut,
    ExecutionOut,
    FaultOut,
    JournalOut,
    OrderOut,
    PositionOut,
    PriceOut,
    TradingAccountOut,
    TransferOut,
)

M = TypeVar("M", bound=BaseModel)
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})



def _seg(value: object) -> str:
    """One URL path segment, escaped: an id can never add a segment or climb out of its path
    (``x/../<other id>``), whatever it contains."""
    return quote(str(value), safe="")


class BrokerError(Exception):
    """Base of everything this client raises."""


class BrokerRejected(BrokerError):
    """The broker answered 4xx: nothing was done; ``code`` is the stable reason."""

    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail, self.body = status, code, detail, body


class BrokerUnavailable(BrokerError):
    """No useful answer after the retries. ``maybe_applied``: the write may have happened."""

    def __init__(self, message: str, *, maybe_applied: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.maybe_applied, self.status = maybe_applied, status


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class BrokerClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "mock-key",
        api_secret: str = "mock-secret",
        timeout: float = 5.0,
        retries: int = 4,
        backoff: float = 0.05,
        max_retry_after: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        http: httpx.Client | None = None,
    ) -> None:
        """``http``: an httpx client to use instead (for example FastAPI's TestClient)."""
        self._http = http or httpx.Client(base_url=base_url, auth=(api_key, api_secret),
                                          timeout=timeout)
        self.retries, self.backoff, self.max_retry_after = retries, backoff, max_retry_after
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BrokerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------- transport

    def _send(self, method: str, path: str, *, body: Any = None,
              params: dict[str, Any] | None = None) -> httpx.Response:
        """One request with no retry; raises BrokerRejected on 4xx other than 429."""
        query = {k: _json(v) for k, v in (params or {}).items() if v is not None}
        response = self._http.request(method, path, json=_json(body) if body is not None
                                      else None, params=query)
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise _rejected(response)
        return response

    def _call(self, method: str, path: str, *, body: Any = None,
              params: dict[str, Any] | None = None, idempotent: bool) -> httpx.Response:
        """Send with retries: all failures for idempotent calls, 429 only for the others."""
        last = "no attempt"
        for attempt in range(self.retries + 1):
            try:
                response = self._send(method, path, body=body, params=params)
            except httpx.ConnectError as exc:  # nothing reached the server
                last = f"connection failed: {exc}"
            except httpx.TransportError as exc:
                if not idempotent:
                    raise BrokerUnavailable(f"{method} {path}: {exc!r}",
                                            maybe_applied=True) from exc
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code != 429 and not idempotent:
                    raise BrokerUnavailable(f"{method} {path}: {last}", maybe_applied=True,
                                            status=response.status_code)
                if attempt < self.retries:
                    self._sleep(self._delay(response, attempt))
                    continue
                raise BrokerUnavailable(f"{method} {path}: {last}", maybe_applied=not
                                        idempotent and response.status_code != 429,
                                        status=response.status_code)
            if attempt < self.retries:
                self._sleep(self.backoff * 2**attempt)
        raise BrokerUnavailable(f"{method} {path}: {last}", maybe_applied=not idempotent)

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        if response.status_code == 429:
            if (after := response.headers.get("Retry-After")) is not None:
                return min(float(after), self.max_retry_after)
            if (reset := response.headers.get("X-RateLimit-Reset")) is not None:
                return min(max(0.0, float(reset) - time.time()), self.max_retry_after)
        return self.backoff * 2**attempt

    def _get(self, model: type[M], path: str, **params: Any) -> M:
        return model.model_validate(self._call("GET", path, params=params,
                                               idempotent=True).json())

    def _get_list(self, model: type[M], path: str, **params: Any) -> list[M]:
        data = self._call("GET", path, params=params, idempotent=True).json()
        return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]

    def _write(self, model: type[M], method: str, path: str, body: Any = None,
               *, idempotent: bool = False) -> M:
        return model.model_validate(self._call(method, path, body=body,
                                               idempotent=idempotent).json())

    # ------------------------------------------------------------------------- accounts

    def create_account(self, *, given_name: str = "", family_name: str = "",
                       country_of_tax_residence: str = "USA", email_address: str | None = None,
                       withholding_rate: Decimal | None = None) -> AccountOut:
        body = {"identity": {"given_name": given_name, "family_name": family_name,
                             "country_of_tax_residence": country_of_tax_residence},
                "contact": {"email_address": email_address},
                "withholding_rate": withholding_rate}
        return self._write(AccountOut, "POST", "/v1/accounts", body)

    def account(self, account_id: str) -> AccountOut:
        return self._get(AccountOut, f"/v1/accounts/{_seg(account_id)}")

    def trading_account(self, account_id: str) -> TradingAccountOut:
        return self._get(TradingAccountOut, f"/v1/trading/accounts/{_seg(account_id)}/account")

    def deposit(self, account_id: str, amount: Decimal) -> TransferOut:
        return self._write(TransferOut, "POST", f"/v1/accounts/{_seg(account_id)}/transfers",
                           {"direction": "INCOMING", "amount": amount})

    def withdraw(self, account_id: str, amount: Decimal) -> TransferOut:
        return self._write(TransferOut, "POST", f"/v1/accounts/{_seg(account_id)}/transfers",
                           {"direction": "OUTGOING", "amount": amount})

    # ------------------------------------------------------------------------- orders

    def submit_order(
        self,
        account_id: str,
        *,
        symbol: str,
        side: str,
        qty: Decimal | None = None,
        notional: Decimal | None = None,
        type: str = "market",
        time_in_force: str = "day",
        limit_price: Decimal | None = None,
        extended_hours: bool = False,
        client_order_id: str | None = None,
    ) -> OrderOut:
        """Place an order at most once, however many times the request has to be retried."""
        client_order_id = client_order_id or str(uuid.uuid4())
        body = {"symbol": symbol, "side": side, "type": type, "time_in_force": time_in_force,
                "qty": qty, "notional": notional, "limit_price": limit_price,
                "extended_hours": extended_hours, "client_order_id": client_order_id}
        path = f"/v1/trading/accounts/{_seg(account_id)}/orders"
        return self._write_once(
            lambda: self._send("POST", path, body=body),
            lambda: self.order_by_client_id(account_id, client_order_id),
            OrderOut, duplicate_code="duplicate_client_order_id",
            same=lambda o: _same_order(o, body))

    def order(self, account_id: str, order_id: str) -> OrderOut:
        return self._get(OrderOut,
                         f"/v1/trading/accounts/{_seg(account_id)}/orders/{_seg(order_id)}")

    def order_by_client_id(self, account_id: str, client_order_id: str) -> OrderOut | None:
        try:
            return self._get(OrderOut,
                             f"/v1/trading/accounts/{_seg(account_id)}/orders:by_client_order_id",
                             client_order_id=client_order_id)
        except BrokerRejected as exc:
            if exc.status == 404:
                return None
            raise

    def orders(self, account_id: str, *, status: str = "all", symbols: str | None = None,
               limit: int = 500, direction: str = "asc") -> list[OrderOut]:
        return self._get_list(OrderOut, f"/v1/trading/accounts/{_seg(account_id)}/orders",
                              status=status, symbols=symbols, limit=limit, direction=direction)

    def cancel_order(self, account_id: str, order_id: str) -> None:
        """Cancel an open order. Idempotent: an order already canceled counts as done."""
        try:
            self._call("DELETE", f"/v1/trading/accounts/{_seg(account_id)}/orders/{_seg(order_id)}",
                       idempotent=True)
        except BrokerRejected as exc:
            if exc.code != "order_not_cancelable" or self.order(
                    account_id, order_id).status != "canceled":
                raise

    def executions(self, account_id: str, order_id: str) -> list[ExecutionOut]:
        return self._get_list(
            ExecutionOut,
            f"/v1/trading/accounts/{_seg(account_id)}/orders/{_seg(order_id)}/executions")

    # ------------------------------------------------------------------------- positions

    def positions(self, account_id: str) -> list[PositionOut]:
        return self._get_list(PositionOut, f"/v1/trading/accounts/{_seg(account_id)}/positions")

    def position(self, account_id: str, symbol: str) -> PositionOut | None:
        try:
            return self._get(PositionOut,
                             f"/v1/trading/accounts/{_seg(account_id)}/positions/{_seg(symbol)}")
        except BrokerRejected as exc:
            if exc.status == 404:
                return None
            raise

    # ------------------------------------------------------------------------- activities

    def activities(self, *, account_id: str | None = None, types: list[str] | None = None,
                   page_token: str | None = None, page_size: int = 100,
                   direction: str = "asc") -> list[ActivityOut]:
        return self._get_list(ActivityOut, "/v1/accounts/activities", account_id=account_id,
                              activity_types=",".join(types) if types else None,
                              page_token=page_token, page_size=page_size, direction=direction)

    def new_activities(self, cursor: str | None, *, account_id: str | None = None,
                       types: list[str] | None = None,
                       page_size: int = 100) -> Iterator[ActivityOut]:
        """Every activity after ``cursor`` (an activity id), once each and in stream order.

        Ids sort in stream order, so repeated or reordered entries in a page are sorted and
        skipped; persist the id of the last activity you processed as the next cursor.
        """
        while True:
            page = self.activities(account_id=account_id, types=types, page_token=cursor,
                                   page_size=page_size)
            fresh = sorted({a.id: a for a in page if cursor is None or a.id > cursor}.values(),
                           key=lambda a: a.id)
            if not fresh:
                return
            for entry in fresh:
                yield entry
                cursor = entry.id
            if len({a.id for a in page}) < page_size:
                return

    # ------------------------------------------------------------------------- journals

    def create_journal(
        self,
        *,
        entry_type: str,
        from_account: str,
        to_account: str,
        symbol: str | None = None,
        qty: Decimal | None = None,
        amount: Decimal | None = None,
        description: str = "",
        client_journal_id: str | None = None,
    ) -> JournalOut:
        """Create a journal at most once (by ``client_journal_id``), retries included."""
        client_journal_id = client_journal_id or str(uuid.uuid4())
        body = {"entry_type": entry_type, "from_account": from_account,
                "to_account": to_account, "symbol": symbol, "qty": qty, "amount": amount,
                "description": description, "client_journal_id": client_journal_id}
        return self._write_once(
            lambda: self._send("POST", "/v1/journals", body=body),
            lambda: self.journal_by_client_id(client_journal_id),
            JournalOut, duplicate_code="duplicate_client_journal_id",
            same=lambda j: j.from_account == from_account and j.to_account == to_account
            and j.entry_type == entry_type)

    def journal(self, journal_id: str) -> JournalOut:
        return self._get(JournalOut, f"/v1/journals/{_seg(journal_id)}")

    def journals(self, **filters: str) -> list[JournalOut]:
        """Journals, filtered by status, entry_type, from_account, to_account..."""
        return self._get_list(JournalOut, "/v1/journals", **filters)

    def journal_by_client_id(self, client_journal_id: str) -> JournalOut | None:
        found = self.journals(client_journal_id=client_journal_id)
        return found[0] if found else None

    def cancel_journal(self, journal_id: str) -> None:
        self._call("DELETE", f"/v1/journals/{_seg(journal_id)}", idempotent=True)

    # ------------------------------------------------------------------------- reference data

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None, until: dt.date | None = None,
                      include_history: bool = False) -> list[AnnouncementOut]:
        return self._get_list(AnnouncementOut, "/v1/corporate_actions/announcements",
                              ca_types=ca_types, symbol=symbol, since=since, until=until,
                              include_history=str(include_history).lower())

    def asset(self, symbol: str) -> AssetOut:
        return self._get(AssetOut, f"/v1/assets/{_seg(symbol)}")

    # ------------------------------------------------------------------------- mock control

    def clock(self) -> ClockOut:
        return self._get(ClockOut, "/_mock/clock")

    def reset(self, now: dt.datetime) -> ClockOut:
        return self._write(ClockOut, "POST", "/_mock/reset", {"now": now})

    def set_clock(self, now: dt.datetime) -> ClockOut:
        return self._write(ClockOut, "PUT", "/_mock/clock", {"now": now}, idempotent=True)

    def advance(self, *, days: int = 0, hours: int = 0, minutes: int = 0,
                seconds: int = 0) -> ClockOut:
        return self._write(ClockOut, "POST", "/_mock/clock/advance",
                           {"days": days, "hours": hours, "minutes": minutes,
                            "seconds": seconds})

    def end_of_day(self) -> ClockOut:
        """Run through the close and end of day to the next regular open."""
        return self._write(ClockOut, "POST", "/_mock/eod")

    def set_cash_in_lieu(self, enabled: bool) -> ClockOut:
        return self._write(ClockOut, "PUT", "/_mock/settings", {"cash_in_lieu": enabled},
                           idempotent=True)

    def set_asset(self, symbol: str, **fields: Any) -> AssetOut:
        return self._write(AssetOut, "PUT", f"/_mock/assets/{_seg(symbol)}", fields,
                           idempotent=True)

    def set_price(self, symbol: str, price: Decimal,
                  effective_at: dt.datetime | None = None) -> PriceOut:
        return self._write(PriceOut, "PUT", f"/_mock/prices/{_seg(symbol)}",
                           {"price": price, "effective_at": effective_at})

    def announce(self, **fields: Any) -> AnnouncementOut:
        return self._write(AnnouncementOut, "POST", "/_mock/announcements", fields)

    def amend(self, corporate_action_id: str, **changes: Any) -> AnnouncementOut:
        return self._write(AnnouncementOut, "PATCH", f"/_mock/announcements/"
                           f"{_seg(corporate_action_id)}", changes)

    def set_account_flags(self, account_id: str, **flags: Any) -> AccountOut:
        return self._write(AccountOut, "PATCH", f"/_mock/accounts/{_seg(account_id)}", flags,
                           idempotent=True)

    def charge_fee(self, account_id: str, amount: Decimal, description: str = "fee",
                   symbol: str | None = None) -> ActivityOut:
        return self._write(ActivityOut, "POST", f"/_mock/accounts/{_seg(account_id)}/fees",
                           {"amount": amount, "description": description, "symbol": symbol})

    def add_fault(self, kind: str, *, count: int | None = 1, probability: Decimal | None = None,
                  seed: int = 0, symbol: str | None = None, account_id: str | None = None,
                  endpoint: str | None = None, **params: Any) -> FaultOut:
        """Arm a fault; ``count=None`` with a ``probability`` fires without limit."""
        return self._write(FaultOut, "POST", "/_mock/faults", {
            "kind": kind, "count": count, "probability": probability, "seed": seed,
            "symbol": symbol, "account_id": account_id, "endpoint": endpoint, "params": params})

    def faults(self) -> list[FaultOut]:
        return self._get_list(FaultOut, "/_mock/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/_mock/faults", idempotent=True)

    # ------------------------------------------------------------------------- at-most-once

    def _write_once(self, send: Callable[[], httpx.Response],
                    lookup: Callable[[], M | None], model: type[M], *,
                    duplicate_code: str, same: Callable[[M], bool]) -> M:
        last = "no attempt"
        for attempt in range(self.retries + 1):
            response = None
            try:
                response = send()
            except BrokerRejected as exc:
                if exc.code != duplicate_code:
                    raise
                existing = lookup()
                if existing is not None and same(existing):
                    return existing  # an earlier attempt went through
                raise
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return model.model_validate(response.json())
                last = f"HTTP {response.status_code}"
            if not (response is not None and response.status_code == 429):
                existing = self._lookup_quietly(lookup)
                if existing is not None:
                    return existing
            if attempt < self.retries:
                self._sleep(self._delay(response, attempt) if response is not None
                            else self.backoff * 2**attempt)
        raise BrokerUnavailable(f"write not confirmed: {last}", maybe_applied=False)

    def _lookup_quietly(self, lookup: Callable[[], M | None]) -> M | None:
        try:
            return lookup()
        except BrokerUnavailable:
            return None


def _same_order(order: OrderOut, body: dict[str, Any]) -> bool:
    return (order.symbol == str(body["symbol"]).upper() and order.side == body["side"]
            and order.qty == body["qty"] and order.notional == body["notional"])


def _rejected(response: httpx.Response) -> BrokerRejected:
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return BrokerRejected(response.status_code, str(data.get("code", "http_error")),
                          str(data.get("detail", response.text[:200])), data)
