"""The broker's tables. Names follow Alpaca's Broker API objects where one exists."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custody_mock.amounts import ZERO
from custody_mock.db import Base


def new_id() -> str:
    return str(uuid.uuid4())


class BrokerState(Base):
    """The one row of broker-wide state: the simulated clock and the cash-in-lieu mode."""

    __tablename__ = "broker_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    now: Mapped[dt.datetime]
    #: On a split, pay fractional shares out in cash (True) or keep fractions (False).
    cash_in_lieu: Mapped[bool] = mapped_column(default=False)
    #: Sequence number of the last activity written.
    activity_seq: Mapped[int] = mapped_column(default=0)


class Asset(Base):
    __tablename__ = "assets"
    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), default=new_id, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    tradable: Mapped[bool] = mapped_column(default=True)
    fractionable: Mapped[bool] = mapped_column(default=True)
    halt_reason: Mapped[str | None] = mapped_column(String(200))
    slippage_bps: Mapped[Decimal] = mapped_column(default=ZERO)


class PricePoint(Base):
    """The price of a symbol from ``effective_at`` on, until the next point."""

    __tablename__ = "prices"
    __table_args__ = (Index("ix_prices_symbol_time", "symbol", "effective_at"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(ForeignKey("assets.symbol"))
    effective_at: Mapped[dt.datetime]
    price: Mapped[Decimal]


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="ACTIVE")
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    email_address: Mapped[str | None] = mapped_column(String(200))
    country_of_tax_residence: Mapped[str] = mapped_column(String(3), default="USA")
    #: Treaty withholding rate on dividends; None means the default for the tax residence.
    withholding_rate: Mapped[Decimal | None]
    trading_blocked: Mapped[bool] = mapped_column(default=False)
    transfers_blocked: Mapped[bool] = mapped_column(default=False)
    account_blocked: Mapped[bool] = mapped_column(default=False)
    #: The broker partner's firm account (set by the broker, ``/_mock/accounts/{id}``): the only
    #: source Alpaca allows for a share journal (JNLS).
    firm: Mapped[bool] = mapped_column(default=False)
    cash_settled: Mapped[Decimal] = mapped_column(default=ZERO)
    unsettled_credits: Mapped[Decimal] = mapped_column(default=ZERO)
    unsettled_debits: Mapped[Decimal] = mapped_column(default=ZERO)
    created_at: Mapped[dt.datetime]
    #: The rest of the account request as sent (identity and contact details, disclosures,
    #: agreements, documents, trusted contact): kept and shown, not acted on.
    kyc: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    @property
    def cash(self) -> Decimal:
        return self.cash_settled + self.unsettled_credits - self.unsettled_debits


class Position(Base):
    __tablename__ = "positions"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    symbol: Mapped[str] = mapped_column(ForeignKey("assets.symbol"), primary_key=True)
    #: Shares owned after every fill (settled or not).
    qty: Mapped[Decimal] = mapped_column(default=ZERO)
    #: Shares whose delivery has settled: what counts on a record date and can be journaled.
    qty_settled: Mapped[Decimal] = mapped_column(default=ZERO)
    cost_basis: Mapped[Decimal] = mapped_column(default=ZERO)
    avg_entry_price: Mapped[Decimal] = mapped_column(default=ZERO)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id", name="uq_orders_client_order_id"),
        Index("ix_orders_open", "status", "symbol"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    client_order_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(ForeignKey("assets.symbol"))
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(10))
    time_in_force: Mapped[str] = mapped_column(String(4))
    qty: Mapped[Decimal | None]
    notional: Mapped[Decimal | None]
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    #: When a stop order's stop was reached (from then on it is a market or limit order).
    triggered_at: Mapped[dt.datetime | None]
    #: The partner's commission (:func:`custody_mock.trading._charge_commission`).
    commission: Mapped[Decimal | None]
    commission_type: Mapped[str | None] = mapped_column(String(8))
    commission_charged: Mapped[Decimal | None]
    replaces: Mapped[str | None] = mapped_column(String(36))
    replaced_by: Mapped[str | None] = mapped_column(String(36))
    replaced_at: Mapped[dt.datetime | None]
    extended_hours: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(String(300))
    filled_qty: Mapped[Decimal] = mapped_column(default=ZERO)
    filled_notional: Mapped[Decimal] = mapped_column(default=ZERO)
    filled_avg_price: Mapped[Decimal | None]
    #: Buying power held for an open buy order.
    reserved_cash: Mapped[Decimal] = mapped_column(default=ZERO)
    #: Shares held for an open sell order.
    reserved_qty: Mapped[Decimal] = mapped_column(default=ZERO)
    #: Session date a day order lives for (set when it is routed).
    session_date: Mapped[dt.date | None]
    #: Set by a partial-fill fault: what fraction to fill, then cancel the rest.
    partial_fill_ratio: Mapped[Decimal | None]
    #: Set by a reject-after-accept fault: the reason it will be rejected with when routed.
    reject_when_routed: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None]
    filled_at: Mapped[dt.datetime | None]
    canceled_at: Mapped[dt.datetime | None]
    expired_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]


OPEN_ORDER_STATUSES = ("accepted", "new", "partially_filled")


class Trade(Base):
    """One execution of an order; settles on its settle date (or fails, is busted, corrected)."""

    __tablename__ = "trades"
    __table_args__ = (Index("ix_trades_settle", "status", "settle_date"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    symbol: Mapped[str] = mapped_column(ForeignKey("assets.symbol"))
    side: Mapped[str] = mapped_column(String(4))
    qty: Mapped[Decimal]
    price: Mapped[Decimal]
    amount: Mapped[Decimal]
    transaction_time: Mapped[dt.datetime]
    trade_date: Mapped[dt.date]
    settle_date: Mapped[dt.date]
    #: pending -> settled, or failed / busted before settlement
    status: Mapped[str] = mapped_column(String(10), default="pending")
    activity_id: Mapped[str] = mapped_column(String(40))
    #: Faults decided at execution time and applied at the end of the trade date.
    pending_fault: Mapped[str | None] = mapped_column(String(20))
    pending_fault_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Journal(Base):
    __tablename__ = "journals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    entry_type: Mapped[str] = mapped_column(String(4))
    from_account: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    to_account: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    symbol: Mapped[str | None] = mapped_column(ForeignKey("assets.symbol"))
    qty: Mapped[Decimal | None]
    net_amount: Mapped[Decimal | None]
    description: Mapped[str] = mapped_column(String(300), default="")
    #: Our addition to Alpaca's shape: a caller's key, unique, to find a journal after a timeout.
    client_journal_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    #: queued -> executed, or rejected / canceled
    status: Mapped[str] = mapped_column(String(20), default="queued")
    status_reason: Mapped[str | None] = mapped_column(String(300))
    entry_date: Mapped[dt.date]
    settle_date: Mapped[dt.date]
    created_at: Mapped[dt.datetime]
    executed_at: Mapped[dt.datetime | None]


class Activity(Base):
    """The append-only account activity stream.

    ``id`` is ``<time to the millisecond>::<sequence>``: stable, and sorting ids sorts the stream.
    """

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_account", "account_id", "seq"),)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    activity_type: Mapped[str] = mapped_column(String(8))
    #: For FILL: ``fill`` or ``partial_fill`` (Alpaca's trade activity ``type``).
    type: Mapped[str | None] = mapped_column(String(20))
    #: For DIV: ``CDIV`` (cash) or ``SDIV`` (stock), Alpaca's ``activity_sub_type``.
    activity_sub_type: Mapped[str | None] = mapped_column(String(8))
    date: Mapped[dt.date]
    transaction_time: Mapped[dt.datetime]
    settle_date: Mapped[dt.date | None]
    symbol: Mapped[str | None] = mapped_column(String(16))
    side: Mapped[str | None] = mapped_column(String(4))
    qty: Mapped[Decimal | None]
    price: Mapped[Decimal | None]
    per_share_amount: Mapped[Decimal | None]
    net_amount: Mapped[Decimal | None]
    #: executed, or correct / canceled for an entry that corrects or cancels ``corrects_id``
    status: Mapped[str] = mapped_column(String(10), default="executed")
    description: Mapped[str] = mapped_column(String(300), default="")
    order_id: Mapped[str | None] = mapped_column(String(36))
    order_status: Mapped[str | None] = mapped_column(String(20))
    cum_qty: Mapped[Decimal | None]
    leaves_qty: Mapped[Decimal | None]
    journal_id: Mapped[str | None] = mapped_column(String(36))
    corporate_action_id: Mapped[str | None] = mapped_column(String(36))
    #: A withholding, fee or cash in lieu points at the activity it belongs to.
    parent_id: Mapped[str | None] = mapped_column(String(40))
    #: A correction, bust or settlement failure points at the activity it corrects.
    corrects_id: Mapped[str | None] = mapped_column(String(40))


class Announcement(Base):
    """One version of a corporate action; an amendment adds a version with the same action id."""

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("corporate_action_id", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    corporate_action_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(default=1)
    current: Mapped[bool] = mapped_column(default=True)
    ca_type: Mapped[str] = mapped_column(String(20))
    ca_sub_type: Mapped[str] = mapped_column(String(20))
    initiating_symbol: Mapped[str] = mapped_column(ForeignKey("assets.symbol"))
    #: A name change's new symbol (no asset carries it until the change is processed).
    target_symbol: Mapped[str | None] = mapped_column(String(16))
    declaration_date: Mapped[dt.date]
    ex_date: Mapped[dt.date]
    record_date: Mapped[dt.date | None]
    payable_date: Mapped[dt.date | None]
    cash: Mapped[Decimal | None]
    old_rate: Mapped[Decimal | None]
    new_rate: Mapped[Decimal | None]
    #: Fee charged per share on a dividend (an ADR custody fee, say), posted as FEE.
    fee_per_share: Mapped[Decimal | None]
    created_at: Mapped[dt.datetime]


class Entitlement(Base):
    """What one account is owed on a dividend, fixed at the end of the record date."""

    __tablename__ = "entitlements"
    corporate_action_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    qty: Mapped[Decimal]
    paid: Mapped[bool] = mapped_column(default=False)


class CorporateActionRun(Base):
    """Which processing step of which corporate action has run (each runs once)."""

    __tablename__ = "corporate_action_runs"
    corporate_action_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    step: Mapped[str] = mapped_column(String(10), primary_key=True)
    ran_at: Mapped[dt.datetime]


class Fault(Base):
    __tablename__ = "faults"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    symbol: Mapped[str | None] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(String(36))
    #: ``METHOD /path/pattern`` with ``*`` for one path segment, for HTTP faults
    endpoint: Mapped[str | None] = mapped_column(String(200))
    #: How many more matching calls it fires on; None: no limit (use with a probability).
    remaining: Mapped[int | None]
    probability: Mapped[Decimal | None]
    seed: Mapped[int] = mapped_column(default=0)
    #: Matching calls seen so far (drives the seeded draw and ``remaining``).
    calls: Mapped[int] = mapped_column(default=0)
    fired: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]


# ----------------------------------------------------------------------------- tokenization


class TradingKey(Base):
    """A Trading API key pair of one account (``APCA-API-KEY-ID`` / ``APCA-API-SECRET-KEY``), as
    Alpaca gives each account its own: it acts on that account and nothing else. The secret is
    kept as its SHA-256 and shown once, when the pair is made (``/_mock/accounts/{id}/keys``)."""

    __tablename__ = "trading_keys"
    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class TokenizationIssuer(Base):
    """An issuer on the tokenization network (set up by the broker, ``/_mock/tokenization``):
    its name, its tokenization account, where it serves its ITN endpoints and the key it gave
    the broker for them, and the networks it issues on."""

    __tablename__ = "tokenization_issuers"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    base_url: Mapped[str] = mapped_column(String(300))
    api_key: Mapped[str] = mapped_column(String(200))
    networks: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The network's fee schedule for this issuer's requests, charged to the AP's account
    #: (``FEE``) when a request completes: a flat USD amount per request plus basis points of
    #: the request's notional at the last price (:func:`custody_mock.tokenization.fee_of`).
    fee_flat: Mapped[Decimal] = mapped_column(default=ZERO)
    fee_bps: Mapped[int] = mapped_column(default=0)
    #: What the issuer lists at ``/tokenized-assets`` (read when it is set up).
    assets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class TokenizationLink(Base):
    """An AP's broker account linked to its identity at an issuer (``/accounts/connect``)."""

    __tablename__ = "tokenization_links"
    __table_args__ = (UniqueConstraint("account_id", "issuer"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    issuer: Mapped[str] = mapped_column(ForeignKey("tokenization_issuers.name"))
    email: Mapped[str] = mapped_column(String(200))
    #: The AP's id at the issuer.
    client_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]


class TokenizationRequest(Base):
    """A mint or redeem on the tokenization network (Alpaca's TokenizationRequest)."""

    __tablename__ = "tokenization_requests"
    #: ``client_request_id`` is the AP's label, not a key: Alpaca allows reuse (a lookup by it
    #: answers the most recent request)
    __table_args__ = (UniqueConstraint("issuer", "issuer_request_id"),
                      Index("ix_tokenization_requests_client_label", "client_account_id",
                            "client_request_id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: ``mint`` or ``redeem``
    type: Mapped[str] = mapped_column(String(8))
    #: pending -> completed | rejected
    status: Mapped[str] = mapped_column(String(12), default="pending")
    status_reason: Mapped[str | None] = mapped_column(String(300))
    #: The share journal: pending -> completed | rejected (None until one is tried).
    transfer_status: Mapped[str | None] = mapped_column(String(12))
    underlying_symbol: Mapped[str] = mapped_column(String(16))
    token_symbol: Mapped[str] = mapped_column(String(32))
    qty: Mapped[Decimal]
    issuer: Mapped[str] = mapped_column(ForeignKey("tokenization_issuers.name"))
    network: Mapped[str] = mapped_column(String(32))
    wallet_address: Mapped[str] = mapped_column(String(64))
    tx_hash: Mapped[str] = mapped_column(String(80), default="")
    fees: Mapped[Decimal] = mapped_column(default=ZERO)
    issuer_request_id: Mapped[str | None] = mapped_column(String(100))
    client_request_id: Mapped[str | None] = mapped_column(String(100))
    #: The AP's broker account, and its id at the issuer.
    client_account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    client_external_account_id: Mapped[str] = mapped_column(String(100))
    journal_id: Mapped[str | None] = mapped_column(String(36))
    #: The ``Idempotency-Key`` a redeem callback came with, and the hash of its body: the same
    #: key with another body is refused (422), as Alpaca does.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    idempotency_hash: Mapped[str | None] = mapped_column(String(64))
    #: Order of creation (the clock can stand still between two requests): the most recent
    #: request bearing a client label is the one with the highest.
    seq: Mapped[int] = mapped_column(default=0, index=True)
    #: Hidden from the list endpoint (an aged-out request, found only by id).
    aged_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class TokenizationDelivery(Base):
    """A call the broker owes an issuer (the mint request, the journal confirmation), sent by
    the dispatcher until the issuer answers; retried with backoff while it does not."""

    __tablename__ = "tokenization_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("tokenization_requests.id"))
    #: ``issuance`` or ``confirm``
    kind: Mapped[str] = mapped_column(String(12))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Wall-clock time (UTC) of the next attempt; None once delivered or given up.
    next_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    #: Deliver this many extra copies after the first success (a fault: a duplicate call).
    duplicates: Mapped[int] = mapped_column(default=0)


# ----------------------------------------------------------------------------- proxy voting


class Meeting(Base):
    """One version of a shareholder meeting as proxy materials announce it to the broker
    (``/_mock/proxy``); an amendment or a cancellation adds a version with the same id."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(default=1)
    current: Mapped[bool] = mapped_column(default=True)
    symbol: Mapped[str] = mapped_column(ForeignKey("assets.symbol"))
    #: ``announced`` or ``cancelled``.
    status: Mapped[str] = mapped_column(String(12), default="announced")
    meeting_date: Mapped[dt.date]
    record_date: Mapped[dt.date]
    #: The broker's instruction cutoff (UTC).
    cutoff: Mapped[dt.datetime]
    #: ``[{"id", "text", "kind": "for_against_abstain" | "slate", "choices": [...],
    #: "recommendation"}]``.
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Votes cast by the rest of the street, per proposal and choice (the mock's stand-in for
    #: every other shareholder), used for the result.
    street: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]


class MeetingRecord(Base):
    """An account's settled shares at the end of a meeting's record date (what it may vote)."""

    __tablename__ = "meeting_records"
    meeting_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    qty: Mapped[Decimal]


class VoteInstruction(Base):
    """An account's voting instruction for a meeting: per proposal, shares per choice. A
    replacement before the cutoff supersedes the current one (kept, ``replaced``)."""

    __tablename__ = "vote_instructions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(String(36), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    client_instruction_id: Mapped[str] = mapped_column(String(128))
    #: ``{proposal id: {choice: qty as a string}}``.
    votes: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    #: ``accepted`` or ``replaced``.
    status: Mapped[str] = mapped_column(String(10), default="accepted")
    #: The account's instructions for the meeting, counted from 1 (their order: the simulated
    #: clock may not move between two).
    seq: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime]
