"""Request and response bodies, with Alpaca's Broker API field names. Amounts travel as strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from custody_mock.faults import KINDS
from custody_mock.inputs import (
    Bps,
    Cash,
    CashPerShare,
    Fraction01,
    LimitPrice,
    Notional,
    OrderQty,
    Price,
    Qty,
    Rate,
    Timestamp,
    Whole,
    decimal_in,
)
from servicekit.decimals import Amount


def _fault_kind(value: object) -> str:
    if not isinstance(value, str) or value not in KINDS:
        raise PydanticCustomError("invalid_fault", f"unknown fault kind {str(value)[:40]!r}; "
                                  f"one of {', '.join(sorted(KINDS))}")
    return str(value)


#: A fault kind the control API injects (an enum in the document).
FaultKind = Annotated[str, BeforeValidator(_fault_kind),
                      WithJsonSchema({"type": "string", "enum": sorted(KINDS)})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ----------------------------------------------------------------------------- accounts


class Identity(Strict):
    given_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    #: ISO 3166-1 alpha-3, as Alpaca takes it ("USA", "GBR", ...)
    country_of_tax_residence: str = Field("USA", pattern=r"^[A-Z]{3}$")


class Contact(Strict):
    email_address: str | None = Field(None, max_length=200)


class AccountCreate(Strict):
    identity: Identity = Identity()
    contact: Contact = Contact()
    #: Not in Alpaca's request: a treaty withholding rate on dividends (0 to 1).
    withholding_rate: Fraction01 | None = None


class AccountOut(Out):
    id: str
    account_number: str
    status: str
    created_at: dt.datetime
    identity: Identity
    contact: Contact
    withholding_rate: Amount | None


class TradingAccountOut(Out):
    id: str
    account_number: str
    status: str
    currency: str = "USD"
    cash: Amount
    buying_power: Amount
    cash_withdrawable: Amount
    cash_settled: Amount
    cash_unsettled_credits: Amount
    cash_unsettled_debits: Amount
    long_market_value: Amount
    equity: Amount
    trading_blocked: bool
    transfers_blocked: bool
    account_blocked: bool
    pattern_day_trader: bool = False
    created_at: dt.datetime


class TransferCreate(Strict):
    transfer_type: Literal["ach", "wire"] = "ach"
    direction: Literal["INCOMING", "OUTGOING"]
    amount: Cash


class TransferOut(Out):
    id: str
    account_id: str
    type: str
    direction: str
    amount: Amount
    status: str
    created_at: dt.datetime


# ----------------------------------------------------------------------------- orders


class OrderCreate(Strict):
    symbol: str = Field(min_length=1, max_length=16)
    side: Literal["buy", "sell"]
    type: Literal["market", "limit"]
    time_in_force: Literal["day", "gtc", "ioc"]
    qty: OrderQty | None = None
    notional: Notional | None = None
    limit_price: LimitPrice | None = None
    extended_hours: StrictBool = False
    client_order_id: str | None = Field(None, min_length=1, max_length=128)


class OrderOut(Out):
    id: str
    client_order_id: str
    account_id: str
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    filled_at: dt.datetime | None
    expired_at: dt.datetime | None
    canceled_at: dt.datetime | None
    failed_at: dt.datetime | None
    asset_id: str
    symbol: str
    asset_class: str = "us_equity"
    qty: Amount | None
    notional: Amount | None
    filled_qty: Amount
    filled_avg_price: Amount | None
    order_type: str
    type: str
    side: str
    time_in_force: str
    limit_price: Amount | None
    stop_price: Amount | None = None
    status: str
    extended_hours: bool
    #: Not in Alpaca's object: why the order was rejected, canceled, expired or adjusted.
    status_reason: str | None


class ExecutionOut(Out):
    """One execution of an order and where its settlement stands (not in Alpaca's API)."""

    id: str
    order_id: str
    symbol: str
    side: str
    qty: Amount
    price: Amount
    amount: Amount
    transaction_time: dt.datetime
    trade_date: dt.date
    settle_date: dt.date
    status: str
    activity_id: str


class PositionOut(Out):
    asset_id: str
    symbol: str
    exchange: str = "NYSE"
    asset_class: str = "us_equity"
    side: str = "long"
    qty: Amount
    #: Not in Alpaca's object: shares whose delivery has settled.
    qty_settled: Amount
    qty_available: Amount
    avg_entry_price: Amount
    cost_basis: Amount
    current_price: Amount | None
    market_value: Amount | None
    unrealized_pl: Amount | None


# ----------------------------------------------------------------------------- activities


class ActivityOut(Out):
    id: str
    account_id: str
    activity_type: str
    type: str | None
    date: dt.date
    transaction_time: dt.datetime
    settle_date: dt.date | None
    symbol: str | None
    side: str | None
    qty: Amount | None
    price: Amount | None
    per_share_amount: Amount | None
    net_amount: Amount | None
    status: str
    description: str
    order_id: str | None
    order_status: str | None
    cum_qty: Amount | None
    leaves_qty: Amount | None
    journal_id: str | None
    corporate_action_id: str | None
    #: The activity a withholding (DIVNRA), fee or cash in lieu belongs to.
    parent_id: str | None
    #: The activity a correction, bust or failed settlement corrects.
    corrects_id: str | None


# ----------------------------------------------------------------------------- journals


class JournalCreate(Strict):
    entry_type: Literal["JNLS", "JNLC"]
    from_account: str
    to_account: str
    symbol: str | None = None
    qty: Qty | None = None
    amount: Cash | None = None
    description: str = Field("", max_length=300)
    #: Not in Alpaca's request: the caller's unique key, to look a journal up after a timeout.
    client_journal_id: str | None = Field(None, min_length=1, max_length=128)


class JournalOut(Out):
    id: str
    entry_type: str
    from_account: str
    to_account: str
    symbol: str | None
    qty: Amount | None
    net_amount: Amount | None
    description: str
    client_journal_id: str | None
    status: str
    status_reason: str | None
    system_date: dt.date
    settle_date: dt.date
    created_at: dt.datetime
    executed_at: dt.datetime | None


# ----------------------------------------------------------------------------- corporate actions


class AnnouncementOut(Out):
    id: str
    corporate_action_id: str
    version: int
    ca_type: str
    ca_sub_type: str
    initiating_symbol: str
    target_symbol: str
    declaration_date: dt.date
    ex_date: dt.date
    record_date: dt.date | None
    payable_date: dt.date | None
    cash: Amount | None
    old_rate: Amount | None
    new_rate: Amount | None
    fee_per_share: Amount | None
    created_at: dt.datetime


class AnnouncementCreate(Strict):
    ca_type: Literal["dividend", "split"]
    ca_sub_type: Literal["cash", "stock_split", "reverse_split"]
    initiating_symbol: str
    declaration_date: dt.date
    ex_date: dt.date
    record_date: dt.date | None = None
    payable_date: dt.date | None = None
    cash: CashPerShare | None = None
    old_rate: Rate | None = None
    new_rate: Rate | None = None
    fee_per_share: CashPerShare | None = None


class AnnouncementAmend(Strict):
    ex_date: dt.date | None = None
    record_date: dt.date | None = None
    payable_date: dt.date | None = None
    declaration_date: dt.date | None = None
    cash: CashPerShare | None = None
    old_rate: Rate | None = None
    new_rate: Rate | None = None
    fee_per_share: CashPerShare | None = None


# ----------------------------------------------------------------------------- control


class ClockOut(BaseModel):
    now: dt.datetime
    date: dt.date
    is_open: bool
    is_settlement_day: bool
    next_open: dt.datetime
    cash_in_lieu: bool


class ClockSet(Strict):
    now: Timestamp


class ClockAdvance(Strict):
    days: Whole = Field(0, ge=0, le=3660)
    hours: Whole = Field(0, ge=0, le=24 * 3660)
    minutes: Whole = Field(0, ge=0, le=60 * 24 * 3660)
    seconds: Whole = Field(0, ge=0, le=3600 * 24 * 3660)


class AssetSet(Strict):
    name: str = Field("", max_length=200)
    tradable: StrictBool = True
    fractionable: StrictBool = True
    halt_reason: str | None = Field(None, max_length=300)
    slippage_bps: Bps = Decimal(0)


class AssetOut(Out):
    id: str
    symbol: str
    name: str
    tradable: bool
    fractionable: bool
    halt_reason: str | None
    slippage_bps: Amount
    status: str = "active"
    asset_class: str = "us_equity"


class PriceSet(Strict):
    price: Price
    #: When the price takes effect (default: now); later points form a price path.
    effective_at: Timestamp | None = None


class PriceOut(Out):
    symbol: str
    price: Amount
    effective_at: dt.datetime


class AccountFlags(Strict):
    trading_blocked: StrictBool | None = None
    transfers_blocked: StrictBool | None = None
    account_blocked: StrictBool | None = None
    country_of_tax_residence: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    withholding_rate: Fraction01 | None = None
    clear_withholding_rate: StrictBool = False


class FeeCreate(Strict):
    amount: Cash
    description: str = Field("fee", max_length=300)
    symbol: str | None = None


class BrokerSettingsSet(Strict):
    cash_in_lieu: StrictBool


class FaultCreate(Strict):
    kind: FaultKind
    symbol: str | None = Field(None, max_length=16)
    account_id: str | None = Field(None, max_length=64)
    endpoint: str | None = Field(None, max_length=200)
    count: Whole | None = Field(1, ge=1, le=1_000_000)
    probability: decimal_in("invalid_probability", digits=1, places=9,  # type: ignore[valid-type]
                            at_most_one=True) | None = None
    seed: Whole = Field(0, ge=0, le=2**63 - 1)
    params: dict[str, Any] = {}


class FaultOut(Out):
    id: str
    kind: str
    symbol: str | None
    account_id: str | None
    endpoint: str | None
    remaining: int | None
    probability: Amount | None
    seed: int
    calls: int
    fired: int
    params: dict[str, Any]
    created_at: dt.datetime
