"""What the lifecycles share: status changes, chain steps, reserve attestations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import crashpoints, outbox, statuses
from issuer.audit import record
from issuer.broker import BrokerUnavailable
from issuer.broker.types import Execution
from issuer.chain import ChainError
from issuer.db import utcnow
from issuer.models import (
    Approval,
    ChainTx,
    CorporateAction,
    Creation,
    Investor,
    ItnRequest,
    Meeting,
    Redemption,
)
from issuer.reserves import attestation_figures
from issuer.service import Issuer
from issuer.units import ONE, exact, raw_to_shares
from servicekit import logs

LOG = logs.get("issuer.lifecycle")

Lifecycle = Creation | Redemption | Investor | CorporateAction | ItnRequest | Meeting | Approval


def settles_on(executions: Sequence[Execution]) -> dt.date | None:
    """The last settle date of the executions still pending, or None when none is."""
    return max((e.settle_date for e in executions if e.status == "pending"), default=None)


#: The broker references a creation's or redemption's audit entries carry (when set).
REFERENCES = ("broker_order_id", "payment_journal_id", "broker_journal_id")


def move(db: Session, row: Lifecycle, status: str, /, reason: str | None = None, *,
         actor: str = "worker", **refs: object) -> None:
    """Record a step; every change of status is in the audit log (by ``actor``: the worker, or
    the operator whose decision moved it), with the broker references the row has and ``refs``
    (a mined transaction's hash and block, for example)."""
    status = machine_of(row)(status).value   # a status its machine lacks: ValueError
    crashpoints.reach(f"{_kind(row)}.before_{status}")
    before = row.status
    row.status, row.status_reason, row.updated_at = status, reason, utcnow()
    subject = row.wallet if isinstance(row, Investor) else row.id
    detail: dict[str, object] = {"from": before, "reason": reason}
    if isinstance(row, Creation | Redemption):
        detail.update({name: value for name in REFERENCES
                       if (value := getattr(row, name, None)) is not None})
    detail.update({k: v for k, v in refs.items() if v is not None})
    record(db, actor, _action(row, status), subject, detail, at=row.updated_at)
    db.flush()
    LOG.info("lifecycle.status", kind=_kind(row), id=subject,
             symbol=getattr(row, "symbol", None), status_from=before, status=status,
             **{k: v for k, v in detail.items()
                if k not in ("from", "kind", "id", "symbol", "status", "status_from")})


#: Each lifecycle's statuses (:mod:`issuer.statuses`).
MACHINES: dict[type, type[StrEnum]] = {
    Creation: statuses.CreationStatus, Redemption: statuses.RedemptionStatus,
    Investor: statuses.InvestorStatus, CorporateAction: statuses.CorporateActionStatus,
    ItnRequest: statuses.ItnStatus, Meeting: statuses.MeetingStatus,
    Approval: statuses.ApprovalStatus}

#: An approval's audit line says the decision and what it decided
#: (``approval.approve.forced_transfer``), as operators search the trail for it.
_APPROVAL_VERBS = {"approved": "approve", "rejected": "reject", "superseded": "supersede",
                   "pending": "request", "deciding": "decide"}


def _action(row: Lifecycle, status: str) -> str:
    if isinstance(row, Approval):
        return f"approval.{_APPROVAL_VERBS[status]}.{row.action}"
    return f"{_kind(row)}.{status}"


def machine_of(row: Lifecycle) -> type[StrEnum]:
    return MACHINES[type(row)]


def dispatch(steps: dict[str, Any], issuer: Issuer, db: Session, row: Lifecycle) -> None:
    """Run the handler of the row's status; a broker outage only notes why it waits."""
    try:
        handler = steps.get(row.status)
        if handler is not None:
            handler(issuer, db, row)
    except BrokerUnavailable as exc:
        note(row, f"waiting: broker unavailable ({exc})")


def note(row: Lifecycle, reason: str) -> None:
    """Say why a step is waiting, without changing status."""
    if row.status_reason != reason:
        row.status_reason, row.updated_at = reason, utcnow()


def journal_executed(issuer: Issuer, db: Session, row: Creation | Redemption,
                     journal_id: str | None, what: str) -> bool:
    """True once the broker executed ``journal_id`` (``what`` names it); in flight, the row
    notes that it waits; refused or canceled, the row halts with the broker's reason."""
    assert journal_id is not None
    journal = issuer.broker.journal(journal_id)
    if journal.in_flight:
        note(row, f"waiting: {what}")
        return False
    if not journal.executed:
        move(db, row, "halted", f"{what} {journal.status}: {journal.status_reason}")
        return False
    return True


def _kind(row: Lifecycle) -> str:
    if isinstance(row, Approval):
        return "approval"
    if isinstance(row, Investor):
        return "investor"
    if isinstance(row, CorporateAction):
        return "corporate_action"
    if isinstance(row, ItnRequest):
        return f"itn_{row.type}"
    if isinstance(row, Meeting):
        return "meeting"
    return "creation" if isinstance(row, Creation) else "redemption"


def supply_claim(issuer: Issuer, symbol: str) -> AbstractContextManager[bool]:
    """The claim a worker holds while it attests custody and mints ``symbol`` (steps and
    batches alike): one worker at a time, so no worker attests from its view of the broker
    between another's attestation and its mint (issue 25, item 18). Not waited for: a row whose
    claim another worker holds waits for the next pass."""
    return issuer.claims.claim(f"supply:{symbol}")


def dispatch_supply(steps: dict[str, Any], supply: tuple[str, ...], issuer: Issuer,
                    db: Session, row: Any) -> None:
    """:func:`dispatch`, with the steps in ``supply`` (those that attest or mint) run under the
    symbol's :func:`supply_claim`."""
    if row.status not in supply:
        dispatch(steps, issuer, db, row)
        return
    with supply_claim(issuer, row.symbol) as held:
        if not held:
            note(row, f"waiting: another worker attests and mints {row.symbol}")
            return
        dispatch(steps, issuer, db, row)


def run_batches(issuer: Issuer, model: Any, statuses: tuple[str, ...],
                form_batch: Callable[[Issuer, Session, str], bool],
                advance_batch: Callable[[Issuer, Session, str], None]) -> None:
    """Mint batches, for creations and tokenization mints alike: per symbol, form every batch
    that is ready (``form_batch`` stores it before anything is sent, so a restart finishes the
    same batch), then move each open batch (its members in ``statuses``) on, under its symbol's
    supply claim."""
    with issuer.session() as db:
        for symbol in issuer.chain.stocks:
            while form_batch(issuer, db, symbol):   # every ready one, in batches
                pass
        found_batches: list[str | None] = list(db.scalars(
            select(model.mint_batch).distinct().where(
                model.mint_batch.is_not(None), model.status.in_(statuses))))
    batches = [batch for batch in found_batches if batch is not None]
    for batch in batches:
        with issuer.session() as db:
            found = db.scalar(select(model.symbol).where(model.mint_batch == batch).limit(1))
            with supply_claim(issuer, str(found)) as held:
                if held:
                    advance_batch(issuer, db, batch)


def batch_mint(issuer: Issuer, db: Session, key: str, symbol: str,
               members: Sequence[Any]) -> ChainTx | ChainError:
    """One ``batchMint`` of ``members`` (each with its ``wallet`` and fixed ``mint_raw`` or
    ``raw``), once per outbox ``key``."""
    wallets = [m.wallet for m in members]
    amounts = [int(getattr(m, "mint_raw", None) or getattr(m, "raw", None) or 0)
               for m in members]
    return chain_step(issuer, db, key, "supply",
                      lambda: issuer.chain.calls.batch_mint(symbol, wallets, amounts))


def chain_step(issuer: Issuer, db: Session, key: str, role: str,
               call_factory: Any) -> ChainTx | ChainError:
    """Enqueue a transaction once per ``key`` and move it on; the caller reads its status."""
    row = outbox.live(db, key)
    if row is None or row.status == "dead":
        try:
            row = outbox.enqueue(db, issuer.chain, key, role, call_factory())
        except ChainError as refused:
            return refused
        db.commit()  # persisted before it is sent
    return outbox.pump(db, issuer.chain, row)


# ------------------------------------------------------------------ a chain step's outcome
# Every lifecycle reads what its chain step came to in one way: ``outcome_of`` turns what the
# outbox answered into one of three outcomes, ``advance`` moves the row on it.


@dataclass(frozen=True)
class Done:
    """The transaction is mined (and not reverted)."""

    tx: ChainTx


@dataclass(frozen=True)
class Waiting:
    """Nothing to decide yet: the transaction is in flight (``tx``), or was not sent for a
    reason that passes (``tx`` None: custody is read again next pass)."""

    reason: str
    tx: ChainTx | None = None


@dataclass(frozen=True)
class Refused:
    """The chain refused the step: before sending (the node's estimate) or by reverting
    (``tx``). ``error`` is the contracts' custom error decoded (``reverted`` when the node gave
    no reason); ``detail`` says it in words."""

    error: str
    detail: str
    tx: ChainTx | None = None


Outcome = Done | Waiting | Refused
_ERROR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def outcome_of(result: ChainTx | ChainError, what: str = "transaction") -> Outcome:
    """What the outbox's answer for a chain step means (``what`` names the step in words)."""
    if isinstance(result, ChainError):
        if result.name in ATTESTATION_WAITS:
            return Waiting(f"waiting: {result.detail}")
        return Refused(result.name, f"{what} refused by the chain: {result}")
    if result.status == "mined":
        return Done(result)
    if result.status == "reverted":
        found = _ERROR_NAME.match(result.error or "")
        return Refused(found.group(0) if found else "reverted",
                       f"{what} {result.tx_hash} reverted: {result.error}", result)
    return Waiting(f"waiting: {what} {result.tx_hash} {result.status}", result)


def advance(db: Session, row: Lifecycle, outcome: Outcome, *,
            done: str | Callable[[ChainTx], None] | None = None,
            refused: str | Callable[[Refused], None] = "halted",
            waiting: str | None = None) -> ChainTx | None:
    """Move ``row`` on its chain step's ``outcome``: when mined, to ``done`` (a status, with the
    transaction's hash, key and block in the audit line; or a function of the transaction);
    when refused, to ``refused`` (a status, with the decoded error; or a function of the
    refusal); in flight, to ``waiting`` (when given and not there yet), else the row notes why
    it waits. The mined transaction, or None."""
    if isinstance(outcome, Done):
        if callable(done):
            done(outcome.tx)
        elif done is not None:
            move(db, row, done, tx=outcome.tx.tx_hash, tx_key=outcome.tx.key,
                 block=outcome.tx.block_number)
        return outcome.tx
    if isinstance(outcome, Refused):
        if callable(refused):
            refused(outcome)
        else:
            move(db, row, refused, outcome.detail, error=outcome.error,
                 tx=outcome.tx.tx_hash if outcome.tx is not None else None)
        return None
    if waiting is not None and outcome.tx is not None and row.status != waiting:
        move(db, row, waiting)
    else:
        note(row, outcome.reason)
    return None


#: The reserve guard's refusals of a mint whose shares may well be in custody: a reason to
#: attest again, not to halt (another worker may have attested from a stale view).
RESERVE_REFUSALS = ("ReserveExceeded", "ReserveAttestationStale",
                    "ReserveAttestationPredatesSplit", "ReserveFeedUnusable")
#: Times a mint the reserve refused is attested again before it halts (a real shortfall).
RESERVE_ROUNDS = 3
#: An attestation not sent, for now (:func:`attest`): the step waits.
ATTESTATION_WAITS = ("AttestationBelowSupply",)


def reserve_refusal(result: ChainTx | ChainError) -> str | None:
    """The reserve guard's error when it refused a mint (before sending, or a reverted one)."""
    outcome = outcome_of(result)
    return outcome.error if isinstance(outcome, Refused) and \
        outcome.error in RESERVE_REFUSALS else None


def attest(issuer: Issuer, db: Session, symbol: str, key: str) -> ChainTx | ChainError:
    """Attest the custody position now (settled and pending shares, as of the latest block).

    Never below what the issuer already minted against: when the capacity the broker shows now
    (settled, plus pending up to the token's cap) is less than the economic supply on chain,
    nothing is sent and ``AttestationBelowSupply`` says why (a worker whose view of the broker
    is older than the mint, or a real shortfall, which the invariant reports and halts)."""
    live = outbox.live(db, key)
    if live is not None and live.status != "dead":
        return outbox.pump(db, issuer.chain, live)
    settled, pending = attestation_figures(issuer, symbol)
    chain = issuer.chain
    capacity = exact(Fraction(settled + min(pending, chain.pending_cap(symbol)), ONE))
    economic = raw_to_shares(chain.total_supply(symbol), chain.mint_multiplier(symbol))
    if capacity < economic:
        return ChainError("AttestationBelowSupply", f"custody as the broker shows it now "
                          f"({capacity} shares) is below the supply already minted "
                          f"({economic}): not attested")
    as_of = chain.block_time()
    return chain_step(issuer, db, key, "reserve",
                      lambda: chain.calls.attest(symbol, settled, pending, as_of))
