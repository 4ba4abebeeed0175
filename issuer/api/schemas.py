"""Request and response bodies of the operator API. Amounts travel as strings."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from issuer.validation import BrokerAccountId, Quantity, RawAmount
from servicekit.decimals import Amount

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ApiKeyIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["viewer", "operator", "compliance", "admin"]
    #: The person the key belongs to; dual control compares operators, not keys.
    operator: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._@-]*$")


class ApiKeyOut(Out):
    id: str
    name: str
    role: str
    operator: str
    #: The key that created this one ("bootstrap" for the first admin's).
    issued_by: str | None
    active: bool
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    #: The key itself: shown in the answer to the request that created it, and never again (a
    #: replay of that request with its Idempotency-Key answers ``null`` here).
    key: str | None


class ParticipantIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    broker_account_id: BrokerAccountId
    wallet: str


class ParticipantOut(Out):
    id: str
    name: str
    broker_account_id: str
    wallet: str
    created_at: dt.datetime


class CreationIn(Strict):
    participant_id: str
    symbol: str = Field(min_length=1, max_length=16)
    #: Shares, as a string: digits with at most 9 decimals.
    qty: Quantity
    kind: Literal["cash", "in_kind"] = "cash"


class CreationOut(Out):
    id: str
    symbol: str
    participant_id: str
    kind: str
    qty: Amount
    status: str
    status_reason: str | None
    wallet: str
    broker_order_id: str | None
    broker_journal_id: str | None
    payment_journal_id: str | None
    filled_qty: Amount | None
    filled_avg_price: Amount | None
    cost: Amount | None
    settled_qty: Amount | None
    mint_raw: str | None
    multiplier: str | None
    mint_batch: str | None
    created_by: str | None
    approved_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RedemptionIn(CreationIn):
    pass


class RedemptionOut(Out):
    id: str
    symbol: str
    participant_id: str
    kind: str
    qty: Amount
    status: str
    status_reason: str | None
    wallet: str
    burn_raw: str | None
    multiplier: str | None
    broker_order_id: str | None
    broker_journal_id: str | None
    filled_qty: Amount | None
    proceeds: Amount | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` for the next one (null: the end)."""

    items: list[T]
    next_cursor: str | None


class ChainTxOut(Out):
    key: str
    attempt: int
    signer: str
    nonce: int
    tx_hash: str
    status: str
    block_number: int | None
    error: str | None


class FreezeIn(Strict):
    wallet: str
    frozen: bool


class PartialFreezeIn(Strict):
    wallet: str
    #: Raw token units (integer, as a string or a number), below 2^256.
    amount: RawAmount
    unfreeze: bool = False


class PauseIn(Strict):
    paused: bool


class ForcedTransferIn(Strict):
    symbol: str
    from_wallet: str
    to_wallet: str
    #: Raw token units (integer, as a string or a number), below 2^256.
    amount: RawAmount


class RecoveryIn(Strict):
    symbol: str
    lost_wallet: str
    new_wallet: str
    identity: str


class ApprovalOut(Out):
    id: str
    action: str
    payload: dict[str, Any]
    status: str
    requested_by: str
    decided_by: str | None
    result: dict[str, Any] | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


class CorporateActionOut(Out):
    """A corporate action with every figure it was computed from (see ``issuer.corporate``):
    R = ``raw_supply``, M0 = ``m0``, E = ``entitled``, Q = ``custody_entitled``, M1 = ``m1``."""

    id: str
    corporate_action_id: str
    version: int
    symbol: str
    kind: str
    status: str
    status_reason: str | None
    ex_date: dt.date
    record_date: dt.date | None
    payable_date: dt.date | None
    cash_rate: Amount | None
    old_rate: Amount | None
    new_rate: Amount | None
    snapshot_block: int | None
    raw_supply: str | None
    issuer_held_raw: str | None
    m0: str | None
    entitled: Amount | None
    custody_entitled: Amount | None
    gross: Amount | None
    withholding: Amount | None
    fees: Amount | None
    net: Amount | None
    order_id: str | None
    filled_qty: Amount | None
    filled_cost: Amount | None
    cash_in_lieu: Amount | None
    m1: str | None
    m1_uncapped: str | None
    supply_raw: str | None
    custody_settled: Amount | None
    residue: Amount | None
    price_before: Amount | None
    price_after: Amount | None
    effective_at: int | None
    nonce: int | None
    approval_id: str | None
    payout: str
    distributed: Amount | None
    distribution_id: int | None
    claim_deadline: int | None
    reclaimed: Amount | None
    warning: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class AuditOut(Out):
    id: int
    at: dt.datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any]


class HaltOut(Out):
    id: int
    symbol: str
    reason: str
    opened_at: dt.datetime
    cleared_at: dt.datetime | None


class InvestorIn(Strict):
    wallet: str
    #: ISO 3166-1 numeric country code (840 = US), a JSON integer.
    country: int = Field(strict=True)
    #: An existing ONCHAINID identity that already holds a KYC claim; omit to have the issuer
    #: deploy one and add the claim.
    identity: str | None = None


class CountryIn(Strict):
    country: int = Field(strict=True)


class InvestorOut(Out):
    wallet: str
    identity: str | None
    mode: str
    country: int
    status: str
    status_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
