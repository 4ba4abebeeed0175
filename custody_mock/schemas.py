"""Request and response bodies, with Alpaca's Broker API field names. Amounts travel as strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from custody_mock.faults import ALL_KINDS
from custody_mock.inputs import (
    Bps,
    Cash,
    CashPerShare,
    Commission,
    Day,
    Fraction01,
    KycAmount,
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
from servicekit.tokenization import NETWORKS, Network


def _fault_kind(value: object) -> str:
    if not isinstance(value, str) or value not in ALL_KINDS:
        raise PydanticCustomError("invalid_fault", f"unknown fault kind {str(value)[:40]!r}; "
                                  f"one of {', '.join(sorted(ALL_KINDS))}")
    return str(value)


#: A fault kind the control API injects (an enum in the document).
FaultKind = Annotated[str, BeforeValidator(_fault_kind),
                      WithJsonSchema({"type": "string", "enum": sorted(ALL_KINDS)})]


#: A network name as Alpaca's ``TokenizationNetwork`` enum has it (documented as the enum; any
#: other string is refused by the broker's own check, 422 ``invalid_network``).
NetworkName = Annotated[str, Field(min_length=1, max_length=32,
                                   json_schema_extra={"enum": list(NETWORKS)})]

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ----------------------------------------------------------------------------- accounts


class Identity(Strict):
    """Alpaca's account identity (KYC). The mock keeps every field; it checks the format of
    those it uses (names, tax residence) and takes the rest as given."""

    given_name: str = Field("", max_length=100)
    middle_name: str | None = Field(None, max_length=100)
    family_name: str = Field("", max_length=100)
    date_of_birth: str | None = Field(None, max_length=10)
    tax_id: str | None = Field(None, max_length=40)
    tax_id_type: str | None = Field(None, max_length=40)
    country_of_citizenship: str | None = Field(None, max_length=3)
    country_of_birth: str | None = Field(None, max_length=3)
    #: ISO 3166-1 alpha-3, as Alpaca takes it ("USA", "GBR", ...)
    country_of_tax_residence: str = Field("USA", pattern=r"^[A-Z]{3}$")
    visa_type: str | None = Field(None, max_length=20)
    visa_expiration_date: str | None = Field(None, max_length=10)
    date_of_departure_from_usa: str | None = Field(None, max_length=10)
    permanent_resident: StrictBool | None = None
    funding_source: list[str] | None = Field(None, max_length=10)
    annual_income_min: KycAmount | None = None
    annual_income_max: KycAmount | None = None
    liquid_net_worth_min: KycAmount | None = None
    liquid_net_worth_max: KycAmount | None = None
    total_net_worth_min: KycAmount | None = None
    total_net_worth_max: KycAmount | None = None


class Contact(Strict):
    email_address: str | None = Field(None, max_length=200)
    phone_number: str | None = Field(None, max_length=40)
    street_address: list[str] | None = Field(None, max_length=4)
    unit: str | None = Field(None, max_length=40)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=40)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=3)


class Disclosures(Strict):
    is_control_person: StrictBool | None = None
    is_affiliated_exchange_or_finra: StrictBool | None = None
    is_politically_exposed: StrictBool | None = None
    immediate_family_exposed: StrictBool | None = None
    employment_status: str | None = Field(None, max_length=40)
    employer_name: str | None = Field(None, max_length=200)
    employer_address: str | None = Field(None, max_length=300)
    employment_position: str | None = Field(None, max_length=100)


class Agreement(Strict):
    agreement: Literal["margin_agreement", "account_agreement", "customer_agreement",
                       "crypto_agreement", "options_agreement"]
    signed_at: str = Field(max_length=40)
    ip_address: str = Field(max_length=64)
    revision: str | None = Field(None, max_length=40)


class TrustedContact(Strict):
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    email_address: str | None = Field(None, max_length=200)
    phone_number: str | None = Field(None, max_length=40)
    street_address: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=40)
    postal_code: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=3)


class AccountDocument(Strict):
    document_type: str = Field(max_length=60)
    document_sub_type: str | None = Field(None, max_length=60)
    content: str | None = Field(None, max_length=1_000_000)
    mime_type: str | None = Field(None, max_length=100)
    content_data: dict[str, Any] | None = None


class AccountCreate(Strict):
    """Alpaca's ``POST /v1/accounts`` body. Alpaca requires contact, identity, disclosures and
    agreements; the mock takes a bare account too (names only) for quick tests."""

    account_type: str | None = Field(None, max_length=20)
    account_sub_type: str | None = Field(None, max_length=20)
    identity: Identity = Identity()
    contact: Contact = Contact()
    disclosures: Disclosures | None = None
    agreements: list[Agreement] = Field(default_factory=list, max_length=10)
    documents: list[AccountDocument] | None = Field(None, max_length=10)
    trusted_contact: TrustedContact | None = None
    currency: Literal["USD"] | None = None
    enabled_assets: list[str] | None = Field(None, max_length=5)
    #: Not in Alpaca's request: a treaty withholding rate on dividends (0 to 1).
    withholding_rate: Fraction01 | None = None


class AccountOut(Out):
    id: str
    account_number: str
    status: str
    crypto_status: str | None = None
    kyc_results: dict[str, Any] | None = None
    currency: str = "USD"
    #: Equity at the last close (the mock: cash and positions at the current prices).
    last_equity: Amount
    created_at: dt.datetime
    account_type: str = "trading"
    identity: Identity
    #: Shown once it has what Alpaca requires of a contact (email, street address, city); an
    #: account opened with names only has none.
    contact: Contact | None = None
    disclosures: Disclosures | None = None
    agreements: list[Agreement] | None = None
    trusted_contact: TrustedContact | None = None
    enabled_assets: list[str] = ["us_equity"]
    withholding_rate: Amount | None = None


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
    # Alpaca's other trading-account fields. ``last_*`` are figures at the last close; the mock
    # keeps no end-of-day snapshot and gives the current ones. A cash account has no margin.
    cash_transferable: Amount
    previous_close: dt.datetime
    last_long_market_value: Amount
    last_short_market_value: Amount = Decimal(0)
    last_cash: Amount
    last_initial_margin: Amount = Decimal(0)
    last_regt_buying_power: Amount
    last_buying_power: Amount
    last_equity: Amount
    last_maintenance_margin: Amount = Decimal(0)
    clearing_broker: str = "ALPACA_APCA"
    portfolio_value: Amount
    short_market_value: Amount = Decimal(0)
    initial_margin: Amount = Decimal(0)
    maintenance_margin: Amount = Decimal(0)
    regt_buying_power: Amount
    daytrading_buying_power: Amount = Decimal(0)
    non_marginable_buying_power: Amount
    multiplier: str = "1"
    shorting_enabled: bool = False
    daytrade_count: int = 0


class TransferCreate(Strict):
    """Alpaca's transfer request. The mock's transfers complete at once (sandbox style), so
    ``timing`` and the bank relationship are recorded, not acted on."""

    transfer_type: Literal["ach", "wire"] = "ach"
    direction: Literal["INCOMING", "OUTGOING"]
    amount: Cash
    timing: Literal["immediate", "next_day"] | None = None
    relationship_id: str | None = Field(None, max_length=64)
    bank_id: str | None = Field(None, max_length=64)
    additional_information: str | None = Field(None, max_length=300)
    fee_payment_method: Literal["user", "invoice"] | None = None


class TransferOut(Out):
    id: str
    account_id: str
    type: str
    direction: str
    amount: Amount
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    relationship_id: str | None = None
    bank_id: str | None = None
    additional_information: str | None = None
    reason: str | None = None


# ----------------------------------------------------------------------------- orders


class OrderCreate(Strict):
    """Alpaca's order request. Every field Alpaca takes is accepted here; the mock executes
    simple market, limit, stop and stop limit orders (day, gtc, ioc; opg for market and limit),
    with a partner commission, and refuses the rest with 422 ``unsupported_order`` and a
    message saying what (trailing stops, closing auctions, fok, multi-leg classes, shorts)."""

    symbol: str = Field(min_length=1, max_length=16)
    side: Literal["buy", "sell"]
    type: Literal["market", "limit", "stop", "stop_limit", "trailing_stop"]
    time_in_force: Literal["day", "gtc", "ioc", "fok", "opg", "cls"]
    qty: OrderQty | None = None
    notional: Notional | None = None
    limit_price: LimitPrice | None = None
    stop_price: LimitPrice | None = None
    trail_price: LimitPrice | None = None
    trail_percent: LimitPrice | None = None
    extended_hours: StrictBool = False
    client_order_id: str | None = Field(None, min_length=1, max_length=128)
    order_class: Literal["simple", "bracket", "oco", "oto", "mleg", ""] | None = None
    take_profit: dict[str, Any] | None = None
    stop_loss: dict[str, Any] | None = None
    position_intent: Literal["buy_to_open", "buy_to_close", "sell_to_open",
                             "sell_to_close"] | None = None
    commission: Commission | None = None
    commission_type: Literal["notional", "qty", "bps"] | None = None

    def unsupported(self) -> str | None:
        """Why the mock cannot execute this order (None when it can)."""
        if self.type == "trailing_stop":
            return ("trailing_stop orders are not supported by this broker (market, limit, "
                    "stop and stop_limit are)")
        if self.time_in_force not in ("day", "gtc", "ioc", "opg"):
            return (f"time_in_force {self.time_in_force} is not supported (day, gtc, ioc, opg "
                    "are)")
        if self.order_class not in (None, "", "simple") or self.take_profit or self.stop_loss:
            return "only simple orders are supported (no bracket, oco, oto or multi-leg)"
        if self.trail_price is not None or self.trail_percent is not None:
            return "trailing prices belong to an order type this broker does not support"
        if self.position_intent in ("sell_to_open", "buy_to_close"):
            return "short positions are not supported"
        return None


class OrderReplace(Strict):
    """Alpaca's order replacement (``PATCH .../orders/{id}``): the fields that change."""

    qty: OrderQty | None = None
    time_in_force: Literal["day", "gtc", "ioc", "opg"] | None = None
    limit_price: LimitPrice | None = None
    stop_price: LimitPrice | None = None
    trail: LimitPrice | None = None
    client_order_id: str | None = Field(None, min_length=1, max_length=128)


class CancelOrderOut(BaseModel):
    """One order of a cancel-all: its id and the HTTP status of its cancellation."""

    id: str
    status: int
    body: dict[str, Any] | None = None


class AllPositionsOut(BaseModel):
    """Every account's open positions (Alpaca's ``GET /v1/accounts/positions``)."""

    as_of: dt.datetime
    positions: dict[str, list[PositionOut]]


class InterestIn(Strict):
    """Credit interest on an account's cash (mock control; posted as an ``INT`` activity)."""

    amount: Cash
    description: str = Field("interest on cash", max_length=200)


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
    order_class: str = "simple"
    replaced_at: dt.datetime | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    commission: Amount | None = None
    commission_type: str | None = None
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
    @field_validator("net_amount", mode="before")
    @classmethod
    def _no_cash_is_zero(cls, value: object) -> object:
        return Decimal(0) if value is None else value

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
    #: A dividend's kind, as Alpaca names it: ``CDIV`` (cash) or ``SDIV`` (stock).
    activity_sub_type: str | None = None
    #: Cash moved: 0 for an activity that moves only shares (JNLS, SPLIT), as Alpaca gives it.
    net_amount: Amount = Decimal(0)
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
    initiating_original_cusip: str
    target_symbol: str
    target_original_cusip: str
    declaration_date: dt.date
    ex_date: dt.date
    record_date: dt.date | None
    payable_date: dt.date | None
    cash: Amount
    old_rate: Amount | None
    new_rate: Amount | None
    fee_per_share: Amount | None
    created_at: dt.datetime


class AnnouncementCreate(Strict):
    """An announcement to seed. A name change (``name_change``/``name_change``) carries its
    new symbol in ``target_symbol`` and its process date in ``ex_date``; Alpaca lists it in
    its corporate-actions data (``GET /v1/corporate-actions``), not among announcements; so
    does a cash merger (``cash_merger``: ``cash`` per share, the effective date in ``ex_date``,
    the acquirer, if listed, in ``target_symbol``), a worthless removal and a spin-off
    (``spin_off``: the new company in ``target_symbol``, ``new_rate`` of its shares per
    ``old_rate`` shares held at ``record_date``, delivered on ``payable_date``) and a stock
    merger (``stock_merger``, sub-type ``stock_merger`` or ``stock_and_cash_merger``: the
    acquirer in ``target_symbol``, ``new_rate`` of its shares per ``old_rate`` acquired
    shares, ``cash`` per acquired share for the second, effective on ``ex_date``)."""

    ca_type: Literal["dividend", "split", "name_change", "cash_merger", "worthless_removal",
                     "spin_off", "stock_merger"]
    ca_sub_type: Literal["cash", "stock", "stock_split", "reverse_split", "name_change",
                         "cash_merger", "worthless_removal", "spin_off", "stock_merger",
                         "stock_and_cash_merger"]
    initiating_symbol: str
    declaration_date: dt.date
    ex_date: dt.date
    target_symbol: str | None = Field(None, max_length=16, pattern=r"^[A-Za-z][A-Za-z0-9.]*$")
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
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)
    id: str
    symbol: str
    name: str
    tradable: bool
    fractionable: bool
    halt_reason: str | None
    slippage_bps: Amount
    status: str = "active"
    #: Alpaca names it ``class``.
    asset_class: str = Field("us_equity", validation_alias=AliasChoices("class", "asset_class"),
                             serialization_alias="class")
    exchange: str = "NYSE"
    marginable: bool = False
    shortable: bool = False
    easy_to_borrow: bool = False
    min_order_size: Amount | None = None
    min_trade_increment: Amount | None = None
    price_increment: Amount | None = None


class MarketClockOut(BaseModel):
    """Alpaca's ``/v1/clock``."""

    timestamp: dt.datetime
    is_open: bool
    next_open: dt.datetime
    next_close: dt.datetime


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
    #: Make the account the partner's firm account (the source of share journals) or not.
    firm: StrictBool | None = None
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


# ----------------------------------------------------------------------------- tokenization


class TokenizationMintIn(Strict):
    """An AP's mint request (Alpaca's ``POST .../tokenization/mint``)."""

    underlying_symbol: str = Field(min_length=1, max_length=16)
    qty: Qty
    #: The issuer's name on the network.
    issuer: str = Field(min_length=1, max_length=64)
    network: NetworkName
    wallet_address: str = Field(min_length=1, max_length=64)
    client_request_id: str | None = Field(None, min_length=1, max_length=100)


class TokenizationRequestOut(Out):
    """Alpaca's TokenizationRequest (``status_reason`` is ours)."""

    tokenization_request_id: str
    type: str
    status: str
    status_reason: str | None = None
    transfer_status: str | None = None
    underlying_symbol: str
    token_symbol: str
    qty: Amount
    issuer: str
    network: str
    wallet_address: str
    tx_hash: str
    fees: Amount
    issuer_request_id: str | None = None
    client_request_id: str | None = None
    client_account_id: str
    client_external_account_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CallbackMintIn(BaseModel):
    """The issuer reports its mint; ``client_id`` is the deprecated name of
    ``client_external_account_id``."""

    model_config = ConfigDict(extra="ignore")
    tokenization_request_id: str = Field(min_length=1, max_length=64)
    client_id: str | None = Field(None, max_length=100)
    client_external_account_id: str | None = Field(None, max_length=100)
    wallet_address: str = Field(min_length=1, max_length=64)
    tx_hash: str = Field(min_length=1, max_length=80)
    network: NetworkName


class CallbackRedeemIn(BaseModel):
    """The issuer asks to deliver shares for tokens it received."""

    model_config = ConfigDict(extra="ignore")
    issuer_request_id: str = Field(min_length=1, max_length=100)
    underlying_symbol: str = Field(min_length=1, max_length=16)
    token_symbol: str = Field(min_length=1, max_length=32)
    #: The client: its id at the issuer, or its account here (at least one).
    client_id: str | None = Field(None, min_length=1, max_length=100)
    client_account_id: str | None = Field(None, min_length=1, max_length=100)
    qty: Qty
    network: NetworkName
    wallet_address: str = Field(min_length=1, max_length=64)
    tx_hash: str = Field(min_length=1, max_length=80)


class TokenizationIssuerSet(Strict):
    """Set up an issuer on the network (the broker's side; mock control)."""

    account_id: str = Field(min_length=1, max_length=64)
    base_url: str = Field(min_length=1, max_length=300, pattern=r"^https?://")
    api_key: str = Field(min_length=1, max_length=200)
    networks: list[Network] = Field(min_length=1, max_length=8)
    #: Fee schedule: USD per request (at most 2 decimals) and basis points of the notional.
    fee_flat: Amount = Field(default=Decimal(0), ge=0, le=1000)
    fee_bps: int = Field(default=0, ge=0, le=1000)


class TradingKeyOut(Out):
    """An account's new Trading API key pair; the secret is shown this once."""

    key_id: str
    secret: str
    account_id: str


class TokenizationIssuerOut(Out):
    name: str
    account_id: str
    base_url: str
    networks: list[str]
    fee_flat: Amount
    fee_bps: int
    assets: list[dict[str, Any]]


class TokenizationLinkIn(Strict):
    """Link an AP's account to its identity at an issuer: the broker calls the issuer's
    ``/accounts/connect`` with the AP's email and account number."""

    account_id: str = Field(min_length=1, max_length=64)
    issuer: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=200)


class TokenizationLinkOut(Out):
    id: str
    account_id: str
    issuer: str
    email: str
    client_id: str
    created_at: dt.datetime


# ----------------------------------------------------------------------------- proxy voting

ProposalId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]
Choice = Annotated[str, Field(min_length=1, max_length=100)]


class ProposalIn(Strict):
    """A proposal: ``for_against_abstain`` (its choices are for, against, abstain) or a
    ``slate`` of candidates (its choices)."""

    id: ProposalId
    text: str = Field(min_length=1, max_length=2000)
    kind: Literal["for_against_abstain", "slate"]
    choices: list[Choice] | None = Field(None, max_length=50)
    recommendation: Choice | None = None


class StreetVote(Strict):
    """Shares the rest of the street voted on a proposal's choice (the result adds them)."""

    proposal_id: ProposalId
    choice: Choice
    qty: Qty


class MeetingIn(Strict):
    """A shareholder meeting, as proxy materials announce it to the broker."""

    meeting_id: str | None = Field(None, min_length=1, max_length=36,
                                   pattern=r"^[A-Za-z0-9-]+$")
    symbol: str = Field(min_length=1, max_length=16)
    meeting_date: Day
    record_date: Day
    #: The broker's instruction cutoff.
    cutoff: Timestamp
    proposals: list[ProposalIn] = Field(min_length=1, max_length=50)
    #: Votes of every other shareholder (the result adds them).
    street: list[StreetVote] | None = Field(None, max_length=500)


class MeetingAmend(Strict):
    meeting_date: Day | None = None
    record_date: Day | None = None
    cutoff: Timestamp | None = None
    proposals: list[ProposalIn] | None = Field(None, min_length=1, max_length=50)
    street: list[StreetVote] | None = Field(None, max_length=500)


class MeetingOut(Out):
    meeting_id: str
    version: int
    status: str
    symbol: str
    meeting_date: dt.date
    record_date: dt.date
    cutoff: dt.datetime
    proposals: list[dict[str, Any]]
    created_at: dt.datetime


class VoteIn(Strict):
    proposal_id: ProposalId
    choice: Choice
    qty: Qty


class InstructionIn(Strict):
    """An account's voting instruction: shares per choice per proposal (split voting)."""

    account_id: str = Field(min_length=1, max_length=36)
    client_instruction_id: str = Field(min_length=1, max_length=128)
    votes: list[VoteIn] = Field(min_length=1, max_length=500)
    #: Replace the account's accepted instruction (before the cutoff).
    replace: StrictBool = False


class InstructionOut(Out):
    id: str
    meeting_id: str
    account_id: str
    client_instruction_id: str
    votes: dict[str, dict[str, str]]
    status: str
    created_at: dt.datetime


class RecordOut(BaseModel):
    """What an account may vote: its settled shares at the end of the record date (null
    before then)."""

    meeting_id: str
    account_id: str
    qty: Amount | None


class ProposalResultOut(BaseModel):
    id: str
    totals: dict[str, str]
    outcome: str
    account_votes: dict[str, str]


class ResultsOut(BaseModel):
    meeting_id: str
    version: int
    proposals: list[ProposalResultOut]
