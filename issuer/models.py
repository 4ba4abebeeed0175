"""The issuer's tables: lifecycles, the transaction outbox, participants, investors, operators."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from issuer.db import Base


def new_id() -> str:
    return str(uuid.uuid4())


class Participant(Base):
    """An authorized participant: creates and redeems, pays and is paid at the broker."""

    __tablename__ = "participants"
    __table_args__ = (Index("uq_participants_email", "email", unique=True),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    broker_account_id: Mapped[str] = mapped_column(String(64))
    #: The verified wallet tokens are minted to and redeemed from.
    wallet: Mapped[str] = mapped_column(String(42))
    #: The AP's email at the issuer: what the broker presents to link the AP's account for the
    #: tokenization network (``/accounts/connect``), and the account number it linked.
    email: Mapped[str | None] = mapped_column(String(200))
    itn_account_number: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class Creation(Base):
    """A mint lifecycle. ``status`` is the step reached; each step is idempotent."""

    __tablename__ = "creations"
    __table_args__ = (Index("ix_creations_status", "status", "symbol"),)
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    symbol: Mapped[str] = mapped_column(String(16))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    #: ``cash`` (bought at the broker) or ``in_kind`` (shares journaled in)
    kind: Mapped[str] = mapped_column(String(10))
    qty: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text)
    wallet: Mapped[str] = mapped_column(String(42))
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    broker_journal_id: Mapped[str | None] = mapped_column(String(64))
    payment_journal_id: Mapped[str | None] = mapped_column(String(64))
    filled_qty: Mapped[Decimal | None]
    filled_avg_price: Mapped[Decimal | None]
    cost: Mapped[Decimal | None]
    settled_qty: Mapped[Decimal | None]
    #: The first broker date whose split ``settled_qty`` does not reflect (the executions'
    #: settle date; the day after it was read for a fill minted before settlement).
    units_date: Mapped[dt.date | None]
    mint_raw: Mapped[str | None] = mapped_column(String(80))
    multiplier: Mapped[str | None] = mapped_column(String(80))
    #: The mint batch (one attestation and one ``batchMint`` for several creations), if any.
    mint_batch: Mapped[str | None] = mapped_column(String(36), index=True)
    #: Times the reserve refused the mint and custody was attested again (bounded).
    reserve_round: Mapped[int] = mapped_column(default=0, server_default="0")
    approved_by: Mapped[str | None] = mapped_column(String(36))
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Redemption(Base):
    __tablename__ = "redemptions"
    __table_args__ = (Index("ix_redemptions_status", "status", "symbol"),
                      UniqueConstraint("source_event", name="uq_redemptions_source_event"))
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    symbol: Mapped[str] = mapped_column(String(16))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    #: ``cash`` (sold at the broker) or ``in_kind`` (shares journaled out)
    kind: Mapped[str] = mapped_column(String(10))
    qty: Mapped[Decimal]
    burn_raw: Mapped[str | None] = mapped_column(String(80))
    multiplier: Mapped[str | None] = mapped_column(String(80))
    wallet: Mapped[str] = mapped_column(String(42))
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text)
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    #: Sale orders placed so far (a partial or refused sale is followed by another).
    sale_attempts: Mapped[int] = mapped_column(default=0)
    #: For a redemption started by tokens sent to the redemption wallet: that Transfer
    #: (``<tx hash>:<log index>``), so each deposit starts exactly one redemption.
    source_event: Mapped[str | None] = mapped_column(String(140))
    broker_journal_id: Mapped[str | None] = mapped_column(String(64))
    filled_qty: Mapped[Decimal | None]
    proceeds: Mapped[Decimal | None]
    created_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ChainTx(Base):
    """One signed transaction, persisted before it is sent (the outbox).

    ``key`` names the intent (``mint:creation:<id>``); a replacement keeps the key with a higher
    ``attempt`` and only the newest attempt is live.
    """

    __tablename__ = "chain_txs"
    __table_args__ = (
        UniqueConstraint("key", "attempt"),
        UniqueConstraint("signer", "nonce", "attempt", name="uq_chain_txs_signer_nonce"),
        Index("ix_chain_txs_status", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(default=1)
    signer: Mapped[str] = mapped_column(String(42))
    to: Mapped[str] = mapped_column(String(42))
    data: Mapped[str] = mapped_column(Text)
    nonce: Mapped[int]
    raw: Mapped[str] = mapped_column(Text)
    tx_hash: Mapped[str] = mapped_column(String(66), unique=True)
    #: signed -> sent -> mined (success) | reverted | dead (replaced by a new attempt)
    status: Mapped[str] = mapped_column(String(10))
    block_number: Mapped[int | None]
    #: For a deployment: the new contract's address, from the receipt.
    contract_address: Mapped[str | None] = mapped_column(String(42))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Investor(Base):
    """An onboarding (and later offboarding) of one wallet, as a state machine:
    requested -> deploying (a new ONCHAINID identity) -> claiming (KYC claim added) ->
    registering -> active; offboarding -> offboarded; failed with a reason."""

    __tablename__ = "investors"
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    wallet: Mapped[str] = mapped_column(String(42), primary_key=True)
    #: Empty until deployed when the issuer deploys the identity.
    identity: Mapped[str | None] = mapped_column(String(42))
    #: ``deploy`` (the issuer deploys the identity and adds the claim) or ``link`` (existing)
    mode: Mapped[str] = mapped_column(String(10), default="deploy")
    country: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="requested")
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class ApiKey(Base):
    __tablename__ = "api_keys"
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: SHA-256 of the key; the key itself is shown once, when created.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]
    #: The person the key belongs to: maker-checker compares operators, never keys.
    operator: Mapped[str] = mapped_column(String(100), index=True)
    #: The operator whose key created this one ("bootstrap" for the first admin's): a key may
    #: not approve requests of the operator who issued it.
    issued_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[dt.datetime | None]


class IdempotencyRecord(Base):
    """The first answer to a write, replayed for a retry with the same ``Idempotency-Key``."""

    __tablename__ = "idempotency"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[dict[str, Any] | list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


class Approval(Base):
    """A sensitive action waiting for (or given) a second operator's approval."""

    __tablename__ = "approvals"
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    #: Operators (people), not keys: the maker, then the checker.
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    #: Why it has its status, and when that last changed (``move``).
    status_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime | None]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SymbolHalt(Base):
    """Creations for a symbol stop while a halt is open (set by an invariant violation)."""

    __tablename__ = "symbol_halts"
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[dt.datetime]
    cleared_at: Mapped[dt.datetime | None]
    #: The operator who cleared it.
    cleared_by: Mapped[str | None] = mapped_column(String(100))


class ReconciliationRecord(Base):
    """The reconciliation of a symbol each time its figures changed (supply, multiplier or
    custody): what a report at a past block or broker time is rebuilt from."""

    __tablename__ = "reconciliations"
    __table_args__ = (Index("ix_reconciliations_symbol_block", "symbol", "block"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16))
    block: Mapped[int] = mapped_column(BigInteger)
    broker_time: Mapped[dt.datetime]
    raw_supply: Mapped[str] = mapped_column(String(80))
    multiplier: Mapped[str] = mapped_column(String(80))
    economic_supply: Mapped[Decimal]
    custody_qty: Mapped[Decimal]
    custody_settled: Mapped[Decimal]
    custody_pending: Mapped[Decimal]
    allowed_pending: Mapped[Decimal]
    surplus: Mapped[Decimal]
    holds: Mapped[bool]
    split_adjusted: Mapped[bool]


class PublicView(Base):
    """The public reserve figures of a symbol as a worker last computed them (the JSON the
    public API serves, so no request computes anything)."""

    __tablename__ = "public_views"
    symbol: Mapped[str] = mapped_column(String(16), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    refreshed_at: Mapped[dt.datetime]


class PublicSnapshot(Base):
    """A signed public snapshot of a symbol's reserve figures: one per broker day and one per
    attestation (the reserve feed's round). Append-only."""

    __tablename__ = "public_snapshots"
    __table_args__ = (UniqueConstraint("symbol", "kind", "ref", name="uq_public_snapshot"),
                      Index("ix_public_snapshots_symbol", "symbol", "id"))
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16))
    #: "daily" (``ref`` the broker date) or "attestation" (``ref`` the feed's round id)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(40))
    block: Mapped[int] = mapped_column(BigInteger)
    #: the figures, canonical JSON (sorted keys, no spaces): what the signature covers
    body: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(66))
    signature: Mapped[str] = mapped_column(String(132))
    signer: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[dt.datetime]


class DividendClaim(Base):
    """What one wallet may claim from a stablecoin dividend: its raw balance at the record
    snapshot and its amount in stablecoin units (a leaf of the distribution's Merkle tree)."""

    __tablename__ = "dividend_claims"
    __table_args__ = (UniqueConstraint("action_id", "wallet"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(String(36), index=True)
    wallet: Mapped[str] = mapped_column(String(42))
    raw: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(BigInteger)


class ItnRequest(Base):
    """A mint or redemption over the broker's tokenization network (ITN). ``id`` is the
    issuer's request id for a mint; a redemption's ``issuer_request_id`` is its deposit
    (``<tx hash>:<log index>``), so a transfer seen twice starts one redemption.

    mint:   created -> confirmed -> minting -> minted -> completed (or rejected / halted)
    redeem: detected -> pending -> burning -> completed (or rejected: the tokens stay)"""

    __tablename__ = "itn_requests"
    __table_args__ = (Index("ix_itn_requests_status", "status", "type"),)
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: ``mint`` or ``redeem``
    type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: The broker's TokenizationRequest id (known from the start for a mint).
    tokenization_request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    issuer_request_id: Mapped[str] = mapped_column(String(140), unique=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    symbol: Mapped[str] = mapped_column(String(16))
    token_symbol: Mapped[str] = mapped_column(String(32))
    network: Mapped[str] = mapped_column(String(32))
    qty: Mapped[Decimal]
    wallet: Mapped[str] = mapped_column(String(42))
    #: A mint's shares arrived in custody on this broker date (the network's journal; read
    #: from the broker's request once, :func:`issuer.lifecycle.itn.arrived_on`).
    arrived_on: Mapped[dt.date | None]
    #: A redemption has waited for the broker since (after ``ISSUER_ITN_REDEEM_TIMEOUT`` it
    #: goes to the operators' queue, status ``review``).
    pending_since: Mapped[dt.datetime | None]
    #: A redemption's raw units below the broker's 9 decimals: returned to the AP, not burned.
    dust_raw: Mapped[str | None] = mapped_column(String(80))
    #: The request's payload as the broker sent it (a replay must match it).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Raw units minted or burned, and the multiplier they were computed at.
    raw: Mapped[str | None] = mapped_column(String(80))
    multiplier: Mapped[str | None] = mapped_column(String(80))
    #: The mint batch (one attestation and one ``batchMint`` for mints confirmed together).
    mint_batch: Mapped[str | None] = mapped_column(String(36), index=True)
    #: Times the reserve refused the mint and custody was attested again (bounded).
    reserve_round: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The mint's transaction, or the redemption's deposit transfer.
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    #: The broker acknowledged ``callback/mint`` (a mint) or answered ``callback/redeem``.
    callback_acknowledged: Mapped[bool] = mapped_column(default=False)
    callback_attempts: Mapped[int] = mapped_column(default=0)
    broker_status: Mapped[str | None] = mapped_column(String(12))
    fees: Mapped[Decimal | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class DividendEntitlement(Base):
    """Shares in custody at the end of a dividend's record date that back a creation not yet
    minted or a redemption whose tokens are already burned: the broker paid the dividend on
    them, so it belongs to that creator or redeemer (the entitlement rule, README).

    - creation, reinvested dividend: ``raw`` = floor(qty * 10^36 / M0), the raw tokens those
      shares are worth at M0; the mint gives them exactly that, so the new multiplier adds their
      dividend as it does for every token (the creation's other shares mint at the multiplier of
      the mint).
    - creation, stablecoin dividend: ``amount`` = the stablecoin units of its claim.
    - redemption: ``amount`` = its cash share of the net dividend (cents, rounded down), paid by
      journal ``ca-<action>-redemption-<id>`` (``journal_id``)."""

    __tablename__ = "dividend_entitlements"
    __table_args__ = (UniqueConstraint("action_id", "kind", "lifecycle_id"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    action_id: Mapped[str] = mapped_column(String(36), index=True)
    #: ``creation`` or ``redemption``
    kind: Mapped[str] = mapped_column(String(12))
    lifecycle_id: Mapped[str] = mapped_column(String(36), index=True)
    qty: Mapped[Decimal]
    raw: Mapped[str | None] = mapped_column(String(80))
    amount: Mapped[Decimal | None]
    journal_id: Mapped[str | None] = mapped_column(String(64))


class IndexedBlock(Base):
    """A block the indexer has read, with its hash, to notice when a reorg replaces it."""

    __tablename__ = "indexed_blocks"
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(66))


class TokenEvent(Base):
    """A token Transfer (mints from and burns to the zero address included)."""

    __tablename__ = "token_events"
    __table_args__ = (UniqueConstraint("block_hash", "log_index"),
                      Index("ix_token_events_symbol_block", "symbol", "block_number"))
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(16))
    block_number: Mapped[int]
    log_index: Mapped[int]
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    sender: Mapped[str] = mapped_column(String(42))
    receiver: Mapped[str] = mapped_column(String(42))
    #: Raw token units, as a decimal string (uint256 does not fit every database's integers).
    value: Mapped[str] = mapped_column(String(80))


class CorporateAction(Base):
    """A broker announcement (dividend or split) carried onto the token's multiplier, with every
    figure it was computed from. Amounts are custody shares or cash; ``*_raw`` and ``m*`` are
    on-chain integers as decimal strings (uint256 does not fit every database's integers)."""

    __tablename__ = "corporate_actions"
    __table_args__ = (Index("ix_corporate_actions_symbol_status", "symbol", "status"),)
    #: Optimistic lock: an update made from a stale read fails (StaleDataError) instead of
    #: silently overwriting a concurrent one (an API request racing the worker or another request).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: The broker's id; every amendment keeps it.
    corporate_action_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: The announcement version the figures follow.
    version: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(16))
    #: ``dividend``, ``forward_split`` or ``reverse_split``
    kind: Mapped[str] = mapped_column(String(20))
    #: A name change: the broker's new symbol, and the token's name and symbol to follow it.
    new_symbol: Mapped[str | None] = mapped_column(String(16))
    token_name: Mapped[str | None] = mapped_column(String(200))
    token_symbol: Mapped[str | None] = mapped_column(String(32))
    #: The calls the token's owner sends for a name change (``to``, ``data``, ``function``).
    owner_calls: Mapped[list[Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text)
    ex_date: Mapped[dt.date]
    record_date: Mapped[dt.date | None]
    payable_date: Mapped[dt.date | None]
    cash_rate: Mapped[Decimal | None]
    old_rate: Mapped[Decimal | None]
    new_rate: Mapped[Decimal | None]
    #: Record-date snapshot: the block, raw supply R (issuer-held tokens excluded), M0 and the
    #: entitled shares E = R * M0; the custody shares the broker counted (Q).
    snapshot_block: Mapped[int | None] = mapped_column(BigInteger)
    raw_supply: Mapped[str | None] = mapped_column(String(80))
    issuer_held_raw: Mapped[str | None] = mapped_column(String(80))
    m0: Mapped[str | None] = mapped_column(String(80))
    entitled: Mapped[Decimal | None]
    custody_entitled: Mapped[Decimal | None]
    gross: Mapped[Decimal | None]
    withholding: Mapped[Decimal | None]
    fees: Mapped[Decimal | None]
    net: Mapped[Decimal | None]
    #: Reinvestment of the net dividend (or of cash in lieu after a split).
    order_id: Mapped[str | None] = mapped_column(String(64))
    filled_qty: Mapped[Decimal | None]
    filled_cost: Mapped[Decimal | None]
    cash_in_lieu: Mapped[Decimal | None]
    #: The proposed multiplier, the raw supply and settled custody it was capped with, and what
    #: custody holds beyond ``supply * m1`` (surplus collateral).
    m1: Mapped[str | None] = mapped_column(String(80))
    m1_uncapped: Mapped[str | None] = mapped_column(String(80))
    supply_raw: Mapped[str | None] = mapped_column(String(80))
    #: totalSupply at completion (the residue's); ``supply_raw`` stays what the schedule's
    #: reference hashed.
    final_supply_raw: Mapped[str | None] = mapped_column(String(80))
    custody_settled: Mapped[Decimal | None]
    residue: Mapped[Decimal | None]
    #: At the record date: shares in custody owed to creations not yet minted and to
    #: redemptions already burned (:class:`DividendEntitlement`); the cash paid to those
    #: redeemers out of the net dividend.
    owed_creations: Mapped[Decimal | None]
    owed_redemptions: Mapped[Decimal | None]
    redeemers_paid: Mapped[Decimal | None]
    #: ``residue`` split: what custody holds for creations and redemptions in flight, and the
    #: rest (rounding and genuinely unowned surplus).
    residue_owed: Mapped[Decimal | None]
    residue_free: Mapped[Decimal | None]
    #: When the change takes effect as a broker moment (New York), beside ``effective_at``.
    effective_broker_at: Mapped[dt.datetime | None]
    #: Split continuity: the price before and after, per share.
    price_before: Mapped[Decimal | None]
    price_after: Mapped[Decimal | None]
    #: On chain: when the change takes effect (chain timestamp) and its schedule nonce.
    effective_at: Mapped[int | None] = mapped_column(BigInteger)
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    #: Bumped when a schedule must be sent again (its outbox keys carry it).
    attempt: Mapped[int] = mapped_column(default=1)
    approval_id: Mapped[str | None] = mapped_column(String(36))
    warning: Mapped[str | None] = mapped_column(Text)
    #: How a dividend reaches the holders: ``reinvest`` (the multiplier) or ``stablecoin``
    #: (claims on the DividendDistributor), fixed when the announcement is picked up.
    payout: Mapped[str] = mapped_column(String(12), default="reinvest", server_default="reinvest")
    #: Stablecoin payout: the cash sent to the on-ramp (the sum of the claims), the
    #: distribution's id on chain, its claim deadline (chain time) and what came back after it.
    distributed: Mapped[Decimal | None]
    distribution_id: Mapped[int | None] = mapped_column(BigInteger)
    claim_deadline: Mapped[int | None] = mapped_column(BigInteger)
    reclaimed: Mapped[Decimal | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


# ----------------------------------------------------------------------------- voting


class Meeting(Base):
    """A shareholder meeting the broker announced, passed through to the token holders.

    announced -> publishing (snapshot taken, ballot root being published) -> open (holders
    vote until ``deadline``) -> instructing (the tally is stored, then sent to the broker) ->
    instructed -> completed (the broker's result stored); or cancelled / failed."""

    __tablename__ = "meetings"
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}
    #: The broker's meeting id.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    symbol: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    status_reason: Mapped[str | None] = mapped_column(Text)
    meeting_date: Mapped[dt.date]
    record_date: Mapped[dt.date]
    #: The broker's instruction cutoff, and the holders' deadline (earlier by the margin).
    cutoff: Mapped[dt.datetime]
    deadline: Mapped[dt.datetime]
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: What is done with the shares of holders who did not vote: ``unvoted`` (left unvoted)
    #: or ``board`` (voted as the board recommends), set by an operator before the deadline.
    unvoted_policy: Mapped[str] = mapped_column(String(8), default="unvoted")
    #: The snapshot: the last block of the record date, the multiplier then, the total
    #: entitled shares, the Merkle root, and custody's shares at the record date.
    record_block: Mapped[int | None] = mapped_column(BigInteger)
    multiplier: Mapped[str | None] = mapped_column(String(80))
    entitled_shares: Mapped[Decimal | None]
    root: Mapped[str | None] = mapped_column(String(66))
    custody_shares: Mapped[Decimal | None]
    #: The instruction sent (per proposal, shares per choice), its hash, the broker's id.
    instruction: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    instruction_hash: Mapped[str | None] = mapped_column(String(66))
    broker_instruction_id: Mapped[str | None] = mapped_column(String(36))
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class MeetingEntitlement(Base):
    """A holder of record: economic shares at the record block (1e-9 share units)."""

    __tablename__ = "meeting_entitlements"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(42), primary_key=True)
    raw: Mapped[str] = mapped_column(String(80))
    units: Mapped[int] = mapped_column(BigInteger)


class Ballot(Base):
    """A holder's signed ballot; a newer one (higher nonce, before the deadline) replaces it."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("meeting_id", "voter", "nonce"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    voter: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    #: ``[[proposal, choice, units]]`` as signed.
    votes: Mapped[list[list[Any]]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(66))
    signature: Mapped[str] = mapped_column(Text)
    #: ``counted`` (the holder's current ballot) or ``replaced``.
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime]


class ConsoleSession(Base):
    """A signed-in operator console session (:mod:`issuer.console.sessions`): the cookie holds
    a random token, the table its SHA-256 only; it ends on sign-out, after the idle timeout, or
    at once when its API key is revoked."""

    __tablename__ = "console_sessions"
    #: SHA-256 of the cookie's token.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"), index=True)
    #: The token every form of the session carries (compared in constant time).
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]


class WorkerHeartbeat(Base):
    """Each worker's last full pass (the operator console and ``/metrics`` show its age)."""

    __tablename__ = "worker_heartbeats"
    #: ``<host>:<pid>`` of the worker process.
    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    passes: Mapped[int] = mapped_column(BigInteger)
    last_pass_at: Mapped[dt.datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
