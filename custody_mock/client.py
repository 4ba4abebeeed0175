"""The mock broker's typed client: the Broker API calls (answers in the mock's own schemas,
``qty_settled`` and ``executions`` included) and the mock's control API (clock, prices,
announcements, faults). Retries and errors come from :mod:`servicekit.broker_http`.

An order is identified by its ``client_order_id`` (one is generated when the caller gives none)
and a journal by its ``client_journal_id``: a retried submission never places a second one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Generator, Iterator
from decimal import Decimal
from typing import Any

import httpx

from custody_mock.schemas import (
    AccountOut,
    ActivityOut,
    AnnouncementOut,
    AssetOut,
    ClockOut,
    ExecutionOut,
    FaultOut,
    InstructionOut,
    JournalOut,
    MeetingOut,
    OrderOut,
    PositionOut,
    PriceOut,
    RecordOut,
    ResultsOut,
    TokenizationIssuerOut,
    TokenizationLinkOut,
    TokenizationRequestOut,
    TradingAccountOut,
    TradingKeyOut,
    TransferOut,
)
from servicekit.broker_http import (
    BrokerError,
    BrokerHttp,
    BrokerRejected,
    BrokerUnavailable,
    seg,
    stream_after,
    tls_context,
)

__all__ = ["AccountTradingClient", "BrokerClient", "BrokerError", "BrokerRejected",
           "BrokerUnavailable", "MockAuth"]


class MockAuth(httpx.Auth):
    """HTTP basic with the partner's credentials on the Broker API and the control credentials
    on ``/_mock/...``: what a test harness that drives both sends."""

    def __init__(self, api_key: str = "mock-key", api_secret: str = "mock-secret",
                 control_key: str = "mock-control",
                 control_secret: str = "mock-control-secret") -> None:
        self._partner = httpx.BasicAuth(api_key, api_secret)
        self._control = httpx.BasicAuth(control_key, control_secret)

    def auth_flow(self, request: httpx.Request
                  ) -> Generator[httpx.Request, httpx.Response, None]:
        chosen = self._control if request.url.path.startswith("/_mock") else self._partner
        yield from chosen.auth_flow(request)


class BrokerClient(BrokerHttp):
    """The mock's typed client: the Broker API calls (the partner's credentials) and the mock's
    control API (``/_mock/...``, its own credentials)."""

    def __init__(self, base_url: str, *, control_key: str = "mock-control",
                 control_secret: str = "mock-control-secret", **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self._control = httpx.BasicAuth(control_key, control_secret)

    def _auth_for(self, path: str) -> Any:
        return self._control if path.startswith("/_mock") else super()._auth_for(path)

    def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request as sent, no retry and no checks, with the credentials ``path`` takes
        (for tests of refusals)."""
        return self._http.request(method, path, auth=self._auth_for(path), **kwargs)

    def create_trading_key(self, account_id: str) -> TradingKeyOut:
        """A Trading API key pair for ``account_id`` (mock control; the secret shown once)."""
        return self._write(TradingKeyOut, "POST", f"/_mock/accounts/{seg(account_id)}/keys", {})

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
        return self._get(AccountOut, f"/v1/accounts/{seg(account_id)}")

    def trading_account(self, account_id: str) -> TradingAccountOut:
        return self._get(TradingAccountOut, f"/v1/trading/accounts/{seg(account_id)}/account")

    def deposit(self, account_id: str, amount: Decimal) -> TransferOut:
        return self._write(TransferOut, "POST", f"/v1/accounts/{seg(account_id)}/transfers",
                           {"direction": "INCOMING", "amount": amount})

    def withdraw(self, account_id: str, amount: Decimal) -> TransferOut:
        return self._write(TransferOut, "POST", f"/v1/accounts/{seg(account_id)}/transfers",
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
        path = f"/v1/trading/accounts/{seg(account_id)}/orders"
        return self._write_once(
            lambda: self._send("POST", path, body=body),
            lambda: self.order_by_client_id(account_id, client_order_id),
            OrderOut, duplicate_code="duplicate_client_order_id",
            same=lambda o: _same_order(o, body))

    def order(self, account_id: str, order_id: str) -> OrderOut:
        return self._get(OrderOut,
                         f"/v1/trading/accounts/{seg(account_id)}/orders/{seg(order_id)}")

    def order_by_client_id(self, account_id: str, client_order_id: str) -> OrderOut | None:
        path = f"/v1/trading/accounts/{seg(account_id)}/orders:by_client_order_id"
        return self._get_or_none(OrderOut, path, client_order_id=client_order_id)

    def orders(self, account_id: str, *, status: str = "all", symbols: str | None = None,
               limit: int = 500, direction: str = "asc") -> list[OrderOut]:
        return self._get_list(OrderOut, f"/v1/trading/accounts/{seg(account_id)}/orders",
                              status=status, symbols=symbols, limit=limit, direction=direction)

    def cancel_order(self, account_id: str, order_id: str) -> None:
        """Cancel an open order. Idempotent: an order already canceled counts as done."""
        try:
            self._call("DELETE", f"/v1/trading/accounts/{seg(account_id)}/orders/{seg(order_id)}",
                       idempotent=True)
        except BrokerRejected as exc:
            if exc.code != "order_not_cancelable" or self.order(
                    account_id, order_id).status != "canceled":
                raise

    def executions(self, account_id: str, order_id: str) -> list[ExecutionOut]:
        return self._get_list(
            ExecutionOut,
            f"/_mock/accounts/{seg(account_id)}/orders/{seg(order_id)}/executions")

    # ------------------------------------------------------------------------- positions

    def positions(self, account_id: str) -> list[PositionOut]:
        return self._get_list(PositionOut, f"/v1/trading/accounts/{seg(account_id)}/positions")

    def position(self, account_id: str, symbol: str) -> PositionOut | None:
        path = f"/v1/trading/accounts/{seg(account_id)}/positions/{seg(symbol)}"
        return self._get_or_none(PositionOut, path)

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
        return stream_after(lambda after: self.activities(
            account_id=account_id, types=types, page_token=after, page_size=page_size),
            cursor, page_size)

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
        return self._get(JournalOut, f"/v1/journals/{seg(journal_id)}")

    def journals(self, **filters: str) -> list[JournalOut]:
        """Journals, filtered by status, entry_type, from_account, to_account..."""
        return self._get_list(JournalOut, "/v1/journals", **filters)

    def journal_by_client_id(self, client_journal_id: str) -> JournalOut | None:
        found = self.journals(client_journal_id=client_journal_id)
        return found[0] if found else None

    def cancel_journal(self, journal_id: str) -> None:
        self._call("DELETE", f"/v1/journals/{seg(journal_id)}", idempotent=True)

    # ------------------------------------------------------------------------- reference data

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None, until: dt.date | None = None,
                      include_history: bool = False) -> list[AnnouncementOut]:
        return self._get_list(AnnouncementOut, "/v1/corporate_actions/announcements",
                              ca_types=ca_types, symbol=symbol, since=since, until=until,
                              include_history=str(include_history).lower())

    def asset(self, symbol: str) -> AssetOut:
        return self._get(AssetOut, f"/v1/assets/{seg(symbol)}")

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
        return self._write(AssetOut, "PUT", f"/_mock/assets/{seg(symbol)}", fields,
                           idempotent=True)

    def set_price(self, symbol: str, price: Decimal,
                  effective_at: dt.datetime | None = None) -> PriceOut:
        return self._write(PriceOut, "PUT", f"/_mock/prices/{seg(symbol)}",
                           {"price": price, "effective_at": effective_at})

    def announce(self, **fields: Any) -> AnnouncementOut:
        return self._write(AnnouncementOut, "POST", "/_mock/announcements", fields)

    def amend(self, corporate_action_id: str, **changes: Any) -> AnnouncementOut:
        return self._write(AnnouncementOut, "PATCH", f"/_mock/announcements/"
                           f"{seg(corporate_action_id)}", changes)

    def set_account_flags(self, account_id: str, **flags: Any) -> AccountOut:
        return self._write(AccountOut, "PATCH", f"/_mock/accounts/{seg(account_id)}", flags,
                           idempotent=True)

    def charge_fee(self, account_id: str, amount: Decimal, description: str = "fee",
                   symbol: str | None = None) -> ActivityOut:
        return self._write(ActivityOut, "POST", f"/_mock/accounts/{seg(account_id)}/fees",
                           {"amount": amount, "description": description, "symbol": symbol})

    def credit_interest(self, account_id: str, amount: Decimal,
                        description: str = "interest on cash") -> ActivityOut:
        return self._write(ActivityOut, "POST", f"/_mock/accounts/{seg(account_id)}/interest",
                           {"amount": amount, "description": description})

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

    # ------------------------------------------------------------------------- tokenization

    def set_tokenization_issuer(self, name: str, *, account_id: str, base_url: str,
                                api_key: str, networks: list[str],
                                fee_flat: Decimal = Decimal(0),
                                fee_bps: int = 0) -> TokenizationIssuerOut:
        """Put an issuer on the tokenization network, with its fee schedule (mock control)."""
        return self._write(TokenizationIssuerOut, "PUT",
                           f"/_mock/tokenization/issuers/{seg(name)}",
                           {"account_id": account_id, "base_url": base_url,
                            "api_key": api_key, "networks": networks,
                            "fee_flat": str(fee_flat), "fee_bps": fee_bps}, idempotent=True)

    def link_tokenization(self, account_id: str, issuer: str,
                          email: str) -> TokenizationLinkOut:
        """Link an AP's account to an issuer (the broker calls its ``/accounts/connect``)."""
        return self._write(TokenizationLinkOut, "POST", "/_mock/tokenization/links",
                           {"account_id": account_id, "issuer": issuer, "email": email})

    def tokenization_mint(self, account_id: str, *, underlying_symbol: str, qty: Decimal,
                          issuer: str, network: str, wallet_address: str,
                          client_request_id: str | None = None) -> TokenizationRequestOut:
        """An AP's mint request (Broker API, on behalf of ``account_id``)."""
        body = {"underlying_symbol": underlying_symbol, "qty": qty, "issuer": issuer,
                "network": network, "wallet_address": wallet_address,
                "client_request_id": client_request_id}
        return self._write(TokenizationRequestOut, "POST",
                           f"/v1/accounts/{seg(account_id)}/tokenization/mint",
                           {k: v for k, v in body.items() if v is not None})

    def tokenization_requests(self, account_id: str,
                              **filters: str) -> list[TokenizationRequestOut]:
        return self._get_list(TokenizationRequestOut,
                              f"/v1/accounts/{seg(account_id)}/tokenization/requests", **filters)

    def tokenization_request(self, account_id: str, request_id: str) -> TokenizationRequestOut:
        return self._get(TokenizationRequestOut, f"/v1/accounts/{seg(account_id)}/tokenization"
                         f"/requests/{seg(request_id)}")

    def dispatch_tokenization(self) -> int:
        """Send every call the broker owes issuers now (the dispatcher does it by itself)."""
        return int(self._call("POST", "/_mock/tokenization/dispatch",
                              idempotent=True).json()["sent"])

    # ------------------------------------------------------------------------- proxy voting

    def announce_meeting(self, *, symbol: str, meeting_date: dt.date, record_date: dt.date,
                         cutoff: dt.datetime, proposals: list[dict[str, Any]],
                         street: dict[str, dict[str, Decimal]] | None = None,
                         meeting_id: str | None = None) -> MeetingOut:
        """Proxy materials for a meeting arrive at the broker (mock control)."""
        votes = None if street is None else [
            {"proposal_id": p, "choice": c, "qty": q}
            for p, choices in street.items() for c, q in choices.items()]
        body = {"symbol": symbol, "meeting_date": meeting_date, "record_date": record_date,
                "cutoff": cutoff, "proposals": proposals, "street": votes,
                "meeting_id": meeting_id}
        return self._write(MeetingOut, "POST", "/_mock/proxy/meetings",
                           {k: v for k, v in body.items() if v is not None})

    def amend_meeting(self, meeting_id: str, **changes: Any) -> MeetingOut:
        return self._write(MeetingOut, "POST", f"/_mock/proxy/meetings/{seg(meeting_id)}/amend",
                           changes)

    def cancel_meeting(self, meeting_id: str) -> MeetingOut:
        return self._write(MeetingOut, "POST",
                           f"/_mock/proxy/meetings/{seg(meeting_id)}/cancel", {},
                           idempotent=True)

    def meetings(self, *, symbol: str | None = None,
                 since: dt.date | None = None) -> list[MeetingOut]:
        return self._get_list(MeetingOut, "/proxy/v1/meetings", symbol=symbol, since=since)

    def meeting(self, meeting_id: str) -> MeetingOut:
        return self._get(MeetingOut, f"/proxy/v1/meetings/{seg(meeting_id)}")

    def meeting_record(self, meeting_id: str, account_id: str) -> RecordOut:
        return self._get(RecordOut, f"/proxy/v1/meetings/{seg(meeting_id)}/records/"
                         f"{seg(account_id)}")

    def instruct(self, meeting_id: str, *, account_id: str, client_instruction_id: str,
                 votes: list[dict[str, Any]], replace: bool = False) -> InstructionOut:
        return self._write(InstructionOut, "POST",
                           f"/proxy/v1/meetings/{seg(meeting_id)}/instructions",
                           {"account_id": account_id,
                            "client_instruction_id": client_instruction_id, "votes": votes,
                            "replace": replace})

    def instructions(self, meeting_id: str, account_id: str) -> list[InstructionOut]:
        return self._get_list(InstructionOut,
                              f"/proxy/v1/meetings/{seg(meeting_id)}/instructions",
                              account_id=account_id)

    def meeting_results(self, meeting_id: str, account_id: str | None = None) -> ResultsOut:
        return self._get(ResultsOut, f"/proxy/v1/meetings/{seg(meeting_id)}/results",
                         account_id=account_id)


def _same_order(order: OrderOut, body: dict[str, Any]) -> bool:
    return (order.symbol == str(body["symbol"]).upper() and order.side == body["side"]
            and order.qty == body["qty"] and order.notional == body["notional"])




class AccountTradingClient(BrokerHttp):
    """One account's Trading API client, with its own key pair (``APCA-API-KEY-ID`` /
    ``APCA-API-SECRET-KEY``): what an authorized participant holds. It acts on that account
    alone; it has no Broker API or control credentials."""

    def __init__(self, base_url: str, *, key_id: str, secret: str, **kwargs: Any) -> None:
        http = httpx.Client(base_url=base_url, timeout=kwargs.pop("timeout", 5.0), headers={
            "APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret}, verify=tls_context())
        super().__init__(base_url, http=http, **kwargs)

    def tokenization_mint(self, *, underlying_symbol: str, qty: Decimal, issuer: str,
                          network: str, wallet_address: str,
                          client_request_id: str | None = None) -> TokenizationRequestOut:
        """The account's mint request on the tokenization network."""
        body = {"underlying_symbol": underlying_symbol, "qty": qty, "issuer": issuer,
                "network": network, "wallet_address": wallet_address,
                "client_request_id": client_request_id}
        return self._write(TokenizationRequestOut, "POST", "/v2/tokenization/mint",
                           {k: v for k, v in body.items() if v is not None})

    def tokenization_requests(self, **filters: str) -> list[TokenizationRequestOut]:
        return self._get_list(TokenizationRequestOut, "/v2/tokenization/requests", **filters)

    def tokenization_request(self, request_id: str) -> TokenizationRequestOut:
        return self._get(TokenizationRequestOut, f"/v2/tokenization/requests/{seg(request_id)}")
