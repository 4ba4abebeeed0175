"""The broker port: every call the issuer makes to its broker, in the issuer's own types.

Two adapters implement it: :class:`issuer.broker.alpaca.AlpacaBroker` (Alpaca's Broker API, and
the mock broker, which speaks it) and, for fast tests of the issuer's logic only,
:class:`issuer.broker.fake.FakeBroker` (in memory). Errors: :class:`BrokerRejected` (the broker
said no; ``code`` says why) and :class:`BrokerUnavailable` (``retry_safe`` says whether sending
the same request again could apply it twice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

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


class BrokerPort(Protocol):
    def account(self, account_id: str) -> Account: ...

    def trading_account(self, account_id: str) -> TradingAccount: ...

    def submit_order(self, account_id: str, *, symbol: str, side: str,
                     qty: Decimal | None = None, notional: Decimal | None = None,
                     type: str = "market", time_in_force: str = "day",
                     limit_price: Decimal | None = None,
                     client_order_id: str | None = None) -> Order:
        """Place an order at most once per ``client_order_id``."""
        ...

    def order(self, account_id: str, order_id: str) -> Order: ...

    def order_by_client_id(self, account_id: str, client_order_id: str) -> Order | None: ...

    def orders(self, account_id: str, *, status: str = "all", symbols: str | None = None,
               limit: int = 500, direction: str = "asc") -> list[Order]: ...

    def executions(self, account_id: str, order: Order) -> list[Execution]:
        """The order's fills and their settlement (T+1 on the settlement calendar)."""
        ...

    def position(self, account_id: str, symbol: str) -> Position | None:
        """The position with its settled shares, None when there is none."""
        ...

    def new_activities(self, cursor: str | None, *, account_id: str | None = None,
                       types: list[str] | None = None,
                       page_size: int = 100) -> Iterator[Activity]:
        """Every activity after ``cursor`` (an activity id), once each, in stream order."""
        ...

    def create_journal(self, *, entry_type: str, from_account: str, to_account: str,
                       symbol: str | None = None, qty: Decimal | None = None,
                       amount: Decimal | None = None, description: str = "",
                       client_journal_id: str | None = None,
                       first_attempt: bool = False) -> Journal:
        """Make a journal at most once per ``client_journal_id``. ``first_attempt``: the caller
        stored, before this call, proof that no earlier call used this client id (so the
        lookup before writing is skipped; failures inside the call still look it up)."""
        ...

    def journal(self, journal_id: str) -> Journal: ...

    def journal_by_client_id(self, client_journal_id: str, *, from_account: str,
                             to_account: str, entry_type: str) -> Journal | None: ...

    def announcements(self, *, ca_types: str | None = None, symbol: str | None = None,
                      since: dt.date | None = None,
                      until: dt.date | None = None) -> list[Announcement]: ...

    def corporate_actions_data(self, *, since: dt.date,
                     until: dt.date | None = None) -> list[Announcement]:
        """Name changes, cash mergers and worthless removals from ``since`` on (Alpaca's
        corporate-actions data),
        each as an announcement: a name change's old symbol initiating, the new one the target,
        the process date the ex-date; a cash merger's acquired company initiating, the acquirer
        the target, the cash per share, the effective date the ex-date."""
        ...

    def asset(self, symbol: str) -> Asset: ...

    def latest_trade(self, symbol: str) -> Trade | None:
        """The symbol's last trade (None when it has never traded)."""
        ...

    def clock(self) -> MarketClock: ...

    def tokenization_callback_mint(self, account_id: str, *, tokenization_request_id: str,
                                   client_id: str, wallet_address: str, tx_hash: str,
                                   network: str) -> TokenizationRequest:
        """Report an ITN mint's transaction (the same report again is answered the same)."""
        ...

    def tokenization_callback_redeem(self, account_id: str, *, issuer_request_id: str,
                                     underlying_symbol: str, token_symbol: str, client_id: str,
                                     qty: Decimal, network: str, wallet_address: str,
                                     tx_hash: str) -> TokenizationRequest:
        """Ask the broker to deliver shares for tokens received (one per issuer request id)."""
        ...

    def tokenization_request(self, account_id: str, *, tokenization_request_id: str | None = None,
                             issuer_request_id: str | None = None
                             ) -> TokenizationRequest | None:
        """One ITN request by the broker's id or the issuer's; None when not found."""
        ...

    def close(self) -> None: ...
