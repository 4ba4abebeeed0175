"""Request and response bodies of the operator API. Amounts travel as strings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from issuer.register import Holder
from issuer.statuses import (
    ApprovalStatus,
    CorporateActionKind,
    CorporateActionStatus,
    CreationStatus,
    InvestorStatus,
    ItnStatus,
    MeetingStatus,
    RedemptionStatus,
)
from issuer.validation import (
    QUANTITY_PATTERN,
    AddressText,
    BrokerAccountId,
    Country,
    Day,
    Quantity,
    RawAmount,
)
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
    wallet: AddressText
    #: The AP's email: what the broker presents to link it for the tokenization network.
    email: str | None = Field(None, min_length=3, max_length=200,
                              pattern=r"^[^@\s]+@[^@\s]+$")


class ParticipantOut(Out):
    id: str
    name: str
    broker_account_id: str
    wallet: str
    email: str | None = None
    #: The broker account number linked for the tokenization network (None: not linked).
    itn_account_number: str | None = None
    created_at: dt.datetime


class CreationIn(Strict):
    participant_id: str
    symbol: str = Field(min_length=1, max_length=16)
    #: Shares, as a string: digits with at most 9 decimals.
    qty: Quantity
    #: Only ``cash``: Alpaca journals shares from the firm account to a user account only, so
    #: shares a participant already holds come in through Alpaca's tokenization network.
    kind: Literal["cash"] = "cash"


class CreationOut(Out):
    id: str
    symbol: str
    participant_id: str
    kind: str
    qty: Amount
    status: CreationStatus
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


class CreationDetail(CreationOut):
    links: LifecycleLinks


class RedemptionIn(Strict):
    participant_id: str
    symbol: str = Field(min_length=1, max_length=16)
    #: Shares, as a string: digits with at most 9 decimals.
    qty: Quantity
    #: ``in_kind``: the shares are journaled from the custody (firm) account to the
    #: participant's.
    kind: Literal["cash", "in_kind"] = "cash"


class ChainRef(BaseModel):
    key: str
    attempt: int
    tx_hash: str
    block_number: int | None
    status: str


class ExecutionRef(BaseModel):
    id: str
    order_id: str
    side: str
    qty: Amount
    price: Amount
    amount: Amount
    trade_date: dt.date
    settle_date: dt.date
    #: ``pending``, ``settled`` or ``canceled`` (busted or failed to settle)
    status: str


class LifecycleLinks(BaseModel):
    """What a creation or redemption is tied to (see :mod:`issuer.links`)."""

    custody_account_id: str
    participant_account_id: str
    #: Attestation, mint (or batch mint) or burn transactions from the outbox.
    chain: list[ChainRef]
    broker_orders: list[str]
    broker_journals: list[str]
    #: None when the broker did not answer (``broker_error`` says why).
    executions: list[ExecutionRef] | None
    broker_error: str | None


class RedemptionOut(Out):
    id: str
    symbol: str
    participant_id: str
    kind: str
    qty: Amount
    status: RedemptionStatus
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


class RedemptionDetail(RedemptionOut):
    links: LifecycleLinks


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
    wallet: AddressText
    frozen: bool


class PartialFreezeIn(Strict):
    wallet: AddressText
    #: Raw token units (integer, as a string or a number), below 2^256.
    amount: RawAmount
    unfreeze: bool = False


class PauseIn(Strict):
    paused: bool


class ForcedTransferIn(Strict):
    symbol: str
    from_wallet: AddressText
    to_wallet: AddressText
    #: Raw token units (integer, as a string or a number), below 2^256.
    amount: RawAmount


TxHash = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$",
                              description="A transaction hash: 0x and 64 hex digits.")]
Reason = Annotated[str, Field(min_length=1, max_length=500,
                              description="Why (kept in the approval and the audit trail).")]


class DelistingIn(Strict):
    symbol: str = Field(min_length=1, max_length=16)
    #: The last day of the holders' final redemption window (a broker date after today).
    final_date: Day
    reason: Reason


class ItnForceCompleteIn(Strict):
    #: The deposit's burn, on chain.
    tx_hash: TxHash
    reason: Reason


class ItnCloseIn(Strict):
    reason: Reason


class ItnExcessBurnIn(Strict):
    #: The mint transaction the request did not count.
    tx_hash: TxHash
    #: Raw token units to burn from the request's wallet (at most what that transaction minted).
    amount: RawAmount
    reason: Reason


class RecoveryIn(Strict):
    symbol: str
    lost_wallet: AddressText
    new_wallet: AddressText
    identity: AddressText


class ApprovalOut(Out):
    id: str
    action: str
    payload: dict[str, Any]
    status: ApprovalStatus
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
    kind: CorporateActionKind
    status: CorporateActionStatus
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
    final_supply_raw: str | None = None
    custody_settled: Amount | None
    residue: Amount | None
    owed_creations: Amount | None
    owed_redemptions: Amount | None
    redeemers_paid: Amount | None
    residue_owed: Amount | None
    residue_free: Amount | None
    #: A name change: the broker's new symbol, the token's name and symbol to follow it, and
    #: the calls its owner sends (``function``, ``to``, ``data``).
    new_symbol: str | None = None
    token_name: str | None = None
    token_symbol: str | None = None
    owner_calls: list[dict[str, str]] | None = None
    price_before: Amount | None
    price_after: Amount | None
    #: When the change takes effect: chain time, and the broker moment (New York) it maps to.
    effective_at: int | None
    effective_broker_at: dt.datetime | None
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


class FigureOut(BaseModel):
    name: str
    value: str
    formula: str


class OwedOut(BaseModel):
    kind: str
    id: str
    qty: str
    raw: str | None
    amount: str | None
    journal_id: str | None


class CalendarWindowOut(BaseModel):
    """When the action holds its symbol's mints and burns: from the ex-date until it ends."""

    opens_on: dt.date
    #: When the action became final (the window closed); None while it is open.
    closed_at: dt.datetime | None
    #: Whether it holds mints and burns on the broker's date now.
    holds_mints_and_burns: bool


class CalendarEntryOut(BaseModel):
    id: str
    corporate_action_id: str
    version: int
    symbol: str
    kind: CorporateActionKind
    status: CorporateActionStatus
    status_reason: str | None
    announced_at: dt.datetime
    ex_date: dt.date
    record_date: dt.date | None
    payable_date: dt.date | None
    #: When the multiplier change takes effect on chain (UTC), once scheduled.
    effective_at: dt.datetime | None
    window: CalendarWindowOut


class CalendarOut(BaseModel):
    """Every corporate action of every kind by ex-date, with its window and state."""

    broker_date: dt.date
    entries: list[CalendarEntryOut]


class FiguresOut(BaseModel):
    """Every figure of a corporate action with its formula, and who besides the tokens owned
    custody shares at the record (the entitlement rule)."""

    id: str
    corporate_action_id: str
    symbol: str
    kind: CorporateActionKind
    status: CorporateActionStatus
    custody_account_id: str
    ex_date: dt.date
    record_date: dt.date | None
    effective_at: int | None
    effective_broker_at: dt.datetime | None
    figures: list[FigureOut]
    owed: list[OwedOut]


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
    wallet: AddressText
    #: ISO 3166-1 numeric country code (840 = US), a JSON integer.
    country: Country
    #: An existing ONCHAINID identity that already holds a KYC claim; omit to have the issuer
    #: deploy one and add the claim.
    identity: AddressText | None = None


class CountryIn(Strict):
    country: Country


class InvestorOut(Out):
    wallet: str
    identity: str | None
    mode: str
    country: int
    status: InvestorStatus
    status_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


# ----------------------------------------------------------------------------- documented shapes
# Answers that were plain dicts: typed here so the OpenAPI document says what comes back.

#: An exact decimal, as a string (never a float).
DecimalText = str


class ReconciliationOut(BaseModel):
    """Chain supply against custody for one symbol (see :mod:`issuer.reserves`)."""

    symbol: str
    block: int
    broker_time: str
    raw_supply: int
    multiplier: int
    economic_supply: DecimalText
    custody_qty: DecimalText
    custody_settled: DecimalText
    custody_pending: DecimalText
    allowed_pending: DecimalText
    open_creations: int | None
    open_redemptions: int | None
    surplus: DecimalText
    holds: bool
    halted: bool | None
    split_adjusted: bool
    #: Raw tokens left out of the economic supply: in the redemption wallet while the broker
    #: delivers their shares over the tokenization network.
    delivering_raw: int = 0
    #: The issuer's custody account at the broker.
    custody_account_id: str


class ReconciliationRecordOut(BaseModel):
    """One recorded reconciliation (``/reserves/{symbol}/history``)."""

    id: int
    block: int
    broker_time: str
    raw_supply: str
    multiplier: str
    economic_supply: DecimalText
    custody_qty: DecimalText
    custody_settled: DecimalText
    custody_pending: DecimalText
    allowed_pending: DecimalText
    surplus: DecimalText
    holds: bool
    split_adjusted: bool


class HolderOut(BaseModel):
    wallet: str
    raw: str
    shares: DecimalText


class HoldersOut(BaseModel):
    symbol: str
    block: int
    multiplier: str
    holders: list[HolderOut]


class ClaimOut(BaseModel):
    wallet: str
    #: Raw tokens at the record snapshot.
    raw: str
    #: Stablecoin units.
    amount: int
    proof: list[str]


class ClaimsOut(BaseModel):
    corporate_action: str
    distribution_id: int | None
    claim_deadline: int | None
    root: str | None
    claims: list[ClaimOut]


class WalletClaimOut(ClaimOut):
    corporate_action: str
    distribution_id: int | None
    claim_deadline: int | None


class WorkerStateOut(BaseModel):
    passes: int
    last_error: str | None


class HealthOut(BaseModel):
    status: str
    chain_id: int
    block: int
    worker: WorkerStateOut | None


# ----------------------------------------------------------------------------- tokenization


class ItnConnectIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str = Field(min_length=3, max_length=200)
    #: The AP's broker account number.
    account: str = Field(min_length=1, max_length=64)


class ItnConnectOut(BaseModel):
    client_id: str


class TokenizedAssetOut(BaseModel):
    underlying_symbol: str
    token_symbol: str
    networks: list[str]
    token_address: str


class ItnIssuanceIn(BaseModel):
    """The broker's mint request (ITN.md); unknown fields are ignored, as the protocol grows."""

    model_config = ConfigDict(extra="ignore")
    tokenization_request_id: str = Field(min_length=1, max_length=64)
    #: Documented with the quantity rule of every route; checked by the issuer itself, so a
    #: qty outside it is the protocol's 400 ``invalid_payload`` with a reason, not a 422.
    qty: str = Field(min_length=1, max_length=40,
                     json_schema_extra={"pattern": QUANTITY_PATTERN, "examples": ["10", "2.5"]})
    underlying_symbol: str = Field(min_length=1, max_length=16)
    token_symbol: str = Field(min_length=1, max_length=32)
    network: str = Field(min_length=1, max_length=32)
    client_id: str = Field(min_length=1, max_length=100)
    wallet_address: str = Field(min_length=1, max_length=64)


class ItnIssuanceOut(BaseModel):
    issuer_request_id: str
    status: Literal["created"]


class ItnConfirmIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tokenization_request_id: str = Field(min_length=1, max_length=64)
    issuer_request_id: str | None = Field(None, max_length=140)
    status: Literal["completed", "rejected"]
    reason: str | None = Field(None, max_length=500)


class ItnConfirmOut(BaseModel):
    issuer_request_id: str
    status: str


class ItnRequestOut(Out):
    id: str
    type: str
    status: ItnStatus
    status_reason: str | None
    tokenization_request_id: str | None
    issuer_request_id: str
    participant_id: str
    symbol: str
    token_symbol: str
    network: str
    qty: Amount
    wallet: str
    raw: str | None
    multiplier: str | None
    #: The mint transaction, or a redemption's deposit transfer.
    tx_hash: str | None
    block_number: int | None
    callback_acknowledged: bool
    callback_attempts: int
    broker_status: str | None
    fees: Amount | None
    #: A mint's shares arrived in custody on this broker date.
    arrived_on: dt.date | None = None
    #: A redemption has waited for the broker since (``review`` after the timeout).
    pending_since: dt.datetime | None = None
    #: A redemption's raw units below the broker's 9 decimals, returned to the AP.
    dust_raw: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class ItnRequestDetail(ItnRequestOut):
    custody_account_id: str
    chain: list[ChainRef]


# ----------------------------------------------------------------------------- meetings


class MeetingOut(Out):
    """A shareholder meeting passed through to the holders."""

    id: str
    version: int
    symbol: str
    status: MeetingStatus
    status_reason: str | None
    meeting_date: dt.date
    record_date: dt.date
    cutoff: dt.datetime
    #: Ballots close here (the cutoff less ``ISSUER_VOTE_DEADLINE_MARGIN``).
    deadline: dt.datetime
    proposals: list[dict[str, Any]]
    unvoted_policy: str
    record_block: int | None
    multiplier: str | None
    entitled_shares: Amount | None
    root: str | None
    custody_shares: Amount | None
    instruction: dict[str, Any] | None
    instruction_hash: str | None
    broker_instruction_id: str | None
    results: dict[str, Any] | None


class PolicyIn(Strict):
    """What is done with the shares of holders who do not vote: left ``unvoted``, or voted as
    the ``board`` recommends."""

    policy: Literal["unvoted", "board"]


def _json_integer(value: object) -> object:
    """A JSON integer as JSON Schema has it: ``5`` or ``5.0``, never ``"5"`` or ``true``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a JSON integer (not a string or a boolean)")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number")
        return int(value)
    return value


JsonInteger = Annotated[int, BeforeValidator(_json_integer)]


class VoteIn(Strict):
    proposal: str = Field(min_length=1, max_length=32)
    choice: str = Field(min_length=1, max_length=100)
    #: Shares, as a string: digits with at most 9 decimals.
    shares: Quantity


class BallotIn(Strict):
    """A holder's ballot, signed as EIP-712 typed data (``GET .../voters/{wallet}`` gives the
    domain and types): shares per choice per proposal, up to the entitlement."""

    voter: AddressText
    #: A JSON integer (a string or a boolean is refused: the signed nonce is an integer).
    nonce: JsonInteger = Field(ge=1, le=2**53 - 1)
    votes: list[VoteIn] = Field(min_length=1, max_length=200)
    #: The voter's signature over the ballot's EIP-712 digest (hex); a contract wallet's is
    #: checked through ERC-1271.
    signature: str = Field(min_length=2, max_length=4200, pattern=r"^0x[0-9a-fA-F]*$")


class CountedBallot(BaseModel):
    ballot_id: str
    voter: str
    nonce: int
    votes: list[dict[str, str]]
    digest: str
    signature: str
    #: Against ``root`` (and the ``ballotsRoot`` the registry recorded beside the tally).
    proof: list[str]


class CountedBallotsOut(BaseModel):
    meeting_id: str
    count: int
    root: str | None
    ballots: list[CountedBallot]


class BallotReceipt(BaseModel):
    ballot_id: str
    meeting_id: str
    voter: str
    nonce: int
    status: str
    digest: str
    votes: list[dict[str, str]]
    counted_at: dt.datetime
    instruction_hash: str | None
    meeting_status: str


class VoterOut(BaseModel):
    meeting_id: str
    wallet: str
    units: int
    shares: str
    record_block: int | None
    root: str | None
    proof: list[str]
    deadline: dt.datetime
    #: Until the tally, shown only on the holder's own signed read (``read_request``).
    next_nonce: int | None
    typed_data: dict[str, Any]
    read_request: dict[str, Any]
    proposals: list[dict[str, Any]]


class TallyOut(BaseModel):
    meeting_id: str
    status: MeetingStatus
    holders_of_record: int
    ballots: int
    entitled_shares: str
    proposals: list[dict[str, Any]]
    instruction: dict[str, Any] | None
    instruction_hash: str | None
    results: dict[str, Any] | None


class PublicAttestationOut(BaseModel):
    round: int
    settled_shares: str
    pending_shares: str
    as_of: str
    tx_hash: str | None


class PublicActionOut(BaseModel):
    """A corporate action on the calendar (the broker's id), with its window; figures stored
    before the window was published carry none."""

    id: str
    kind: CorporateActionKind
    status: CorporateActionStatus
    ex_date: str
    record_date: str | None
    payable_date: str | None = None
    effective_at: str | None = None
    window: CalendarWindowOut | None = None


class PublicFeedsOut(BaseModel):
    reserve: str
    price: str
    unit_price: str


class PublicReserveOut(BaseModel):
    """A symbol's public figures (decimals as strings; raw units and multipliers as integer
    strings, 18 decimals; times ISO 8601 UTC)."""

    symbol: str
    block: int
    broker_time: str
    raw_supply: str
    multiplier: str
    pending_multiplier: str | None
    pending_effective_at: str | None
    economic_supply: str
    custody_settled: str
    custody_pending: str
    allowed_pending: str
    surplus: str
    holds: bool
    attestation: PublicAttestationOut | None
    open_creations: int | None
    oldest_creation_age_seconds: int | None
    open_redemptions: int | None
    oldest_redemption_age_seconds: int | None
    halted: bool | None
    corporate_actions: list[PublicActionOut]
    feeds: PublicFeedsOut


class PublicSnapshotOut(BaseModel):
    """A signed snapshot: ``body`` is the canonical JSON the EIP-712 ``typed_data`` hashes
    (``message.body`` = keccak256 of it); ``signature`` recovers to ``signer``."""

    id: int
    symbol: str
    kind: Literal["daily", "attestation"]
    ref: str
    block: int
    created_at: str
    figures: PublicReserveOut
    body: str
    digest: str
    signature: str
    signer: str
    typed_data: dict[str, Any]


class RegisterOut(BaseModel):
    """The holders at ``block``; ``raw_balance`` adds up to ``total_supply``."""

    symbol: str
    block: int
    record_date: str | None
    multiplier: str
    total_supply: str
    economic_supply: str
    holders: list[Holder]
