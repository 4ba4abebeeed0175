"""What the issuer reads from its broker, in its own types: the port's vocabulary. Each model
takes the fields the issuer uses and ignores the rest, so an adapter may be fed a richer answer
(Alpaca's) without the issuer depending on its shape. Amounts are exact ``Decimal``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, field_validator


class BrokerModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MarketClock(BrokerModel):
    """The broker's market clock: ``now`` and the New York trading ``date`` it falls on."""

    now: dt.datetime
    date: dt.date
    is_open: bool
    next_open: dt.datetime
    next_close: dt.datetime


class Account(BrokerModel):
    id: str
    status: str


class TradingAccount(BrokerModel):
    id: str
    cash: Decimal
    buying_power: Decimal
    cash_withdrawable: Decimal
    trading_blocked: bool = False
    transfers_blocked: bool = False
    account_blocked: bool = False


class Asset(BrokerModel):
    symbol: str
    #: The company's name, as the broker lists it.
    name: str | None = None
    tradable: bool
    fractionable: bool
    status: str = "active"
    #: Why trading is halted, when the broker says (the mock does; Alpaca has ``status``).
    halt_reason: str | None = None


class Trade(BrokerModel):
    """The last trade of a symbol (Alpaca's Market Data API,
    ``/v2/stocks/{symbol}/trades/latest``)."""

    symbol: str
    price: Decimal
    at: dt.datetime


#: Broker order statuses after which nothing more fills.
FINAL_ORDER_STATUSES = ("filled", "canceled", "expired", "rejected")


class Order(BrokerModel):
    id: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    qty: Decimal | None = None
    notional: Decimal | None = None
    filled_qty: Decimal
    filled_avg_price: Decimal | None = None
    status: str
    created_at: dt.datetime
    #: Why the order was rejected, canceled or adjusted, when the broker says.
    status_reason: str | None = None

    @property
    def final(self) -> bool:
        """Nothing more fills: the order is filled, canceled, expired or rejected."""
        return self.status in FINAL_ORDER_STATUSES


class Execution(BrokerModel):
    """One execution (fill) of an order and its settlement, as the adapter derives it: the fill
    from the broker's FILL activity, the settle date from the settlement calendar (T+1 on NYSE
    sessions that are bank business days), ``settled`` once the broker's date reaches it.

    ``qty`` is in the shares of the trade date: a split effective after ``trade_date`` is not
    reflected (apply the splits effective from ``trade_date + 1`` day)."""

    id: str
    order_id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    #: Cash of the execution (qty * price to the cent), after any price correction.
    amount: Decimal
    transaction_time: dt.datetime
    trade_date: dt.date
    settle_date: dt.date
    #: ``pending`` (not settled yet), ``settled``, or ``canceled`` (busted, or failed to
    #: settle: the broker reversed it).
    status: str


class Position(BrokerModel):
    symbol: str
    qty: Decimal
    #: Shares whose delivery has settled (what counts on a record date and can be journaled).
    #: Alpaca does not publish it: the adapter derives it from the position and the fills not
    #: settled yet (:meth:`issuer.broker.alpaca.AlpacaBroker.position`).
    qty_settled: Decimal
    #: Shares not held for open sell orders.
    qty_available: Decimal
    avg_entry_price: Decimal | None = None
    current_price: Decimal | None = None
    market_value: Decimal | None = None


class Activity(BrokerModel):
    id: str
    account_id: str
    activity_type: str
    type: str | None = None
    #: A dividend's kind: ``CDIV`` (cash) or ``SDIV`` (stock); None where the broker gives none.
    activity_sub_type: str | None = None
    date: dt.date
    transaction_time: dt.datetime
    settle_date: dt.date | None = None
    symbol: str | None = None
    side: str | None = None
    qty: Decimal | None = None
    price: Decimal | None = None
    per_share_amount: Decimal | None = None
    #: Cash moved (0 for an entry that moves only shares).
    net_amount: Decimal = Decimal(0)
    status: str = "executed"
    description: str = ""
    order_id: str | None = None
    journal_id: str | None = None
    corporate_action_id: str | None = None
    parent_id: str | None = None
    corrects_id: str | None = None

    @field_validator("net_amount", mode="before")
    @classmethod
    def _no_cash_is_zero(cls, value: object) -> object:
        return Decimal(0) if value is None else value


#: Alpaca's journal statuses still on their way (the issuer waits), done, and failed for good.
JOURNAL_IN_FLIGHT = frozenset({"queued", "sent_to_clearing", "pending"})
JOURNAL_DONE = frozenset({"executed"})


class Journal(BrokerModel):
    id: str
    entry_type: str
    from_account: str
    to_account: str
    symbol: str | None = None
    qty: Decimal | None = None
    net_amount: Decimal | None = None
    description: str = ""
    status: str
    status_reason: str | None = None
    settle_date: dt.date | None = None
    created_at: dt.datetime | None = None

    @property
    def in_flight(self) -> bool:
        """Still on its way (queued, sent to clearing, pending): wait for it."""
        return self.status in JOURNAL_IN_FLIGHT

    @property
    def executed(self) -> bool:
        return self.status in JOURNAL_DONE


class Announcement(BrokerModel):
    id: str
    corporate_action_id: str
    ca_type: str
    ca_sub_type: str
    initiating_symbol: str
    #: A name change's new symbol.
    target_symbol: str | None = None
    declaration_date: dt.date | None = None
    ex_date: dt.date
    record_date: dt.date | None = None
    payable_date: dt.date | None = None
    cash: Decimal | None = None
    old_rate: Decimal | None = None
    new_rate: Decimal | None = None

    @property
    def kind(self) -> str:
        """The issuer's word for it (Alpaca's ``ca_type``/``ca_sub_type`` stay here):
        ``dividend``, ``stock_dividend``, ``forward_split``, ``reverse_split``,
        ``name_change``, ``cash_merger``, ``worthless_removal``, ``spin_off`` or
        ``stock_merger``."""
        if self.ca_type == "dividend":
            return "stock_dividend" if self.ca_sub_type == "stock" else "dividend"
        if self.ca_type == "split":
            return "forward_split" if self.ca_sub_type == "stock_split" else "reverse_split"
        return self.ca_type


class TokenizationRequest(BrokerModel):
    """The broker's record of a mint or redeem on its tokenization network (ITN)."""

    tokenization_request_id: str
    type: str
    #: pending, completed or rejected
    status: str
    transfer_status: str | None = None
    underlying_symbol: str
    token_symbol: str
    qty: Decimal
    network: str
    wallet_address: str
    #: Empty while a redeem is pending.
    tx_hash: str = ""
    fees: Decimal = Decimal(0)
    issuer_request_id: str | None = None
    status_reason: str | None = None
    created_at: dt.datetime | None = None
    #: For a mint not reported yet: when the network journaled the shares.
    updated_at: dt.datetime | None = None

    @field_validator("tx_hash", mode="before")
    @classmethod
    def _no_hash_is_empty(cls, value: object) -> object:
        return "" if value is None else value
