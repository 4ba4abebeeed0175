"""What the lifecycles share: status changes, chain steps, reserve attestations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from issuer import crashpoints, outbox
from issuer.broker import BrokerUnavailable
from issuer.broker.types import Execution
from issuer.chain import ChainError
from issuer.db import utcnow
from issuer.models import (
    AuditEntry,
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

Lifecycle = Creation | Redemption | Investor | CorporateAction | ItnRequest | Meeting
#: Broker order statuses after which nothing more fills.
FINAL_ORDER = ("filled", "canceled", "expired", "rejected")


def settles_on(executions: Sequence[Execution]) -> dt.date | None:
    """The last settle date of the executions still pending, or None when none is."""
    return max((e.settle_date for e in executions if e.status == "pending"), default=None)


#: The broker references a creation's or redemption's audit entries carry (when set).
REFERENCES = ("broker_order_id", "payment_journal_id", "broker_journal_id")


def move(db: Session, row: Lifecycle, status: str, reason: str | None = None,
         **refs: object) -> None:
    """Record a step; every change of status is in the audit log, with the broker references
    the row has and ``refs`` (a mined transaction's hash and block, for example)."""
    crashpoints.reach(f"{_kind(row)}.before_{status}")
    before = row.status
    row.status, row.status_reason, row.updated_at = status, reason, utcnow()
    subject = row.wallet if isinstance(row, Investor) else row.id
    detail: dict[str, object] = {"from": before, "reason": reason}
    if isinstance(row, Creation | Redemption):
        detail.update({name: value for name in REFERENCES
                       if (value := getattr(row, name, None)) is not None})
    detail.update({k: v for k, v in refs.items() if v is not None})
    db.add(AuditEntry(at=row.updated_at, actor="worker", action=f"{_kind(row)}.{status}",
                      subject=subject, detail=detail))
    db.flush()
    LOG.info("lifecycle.status", kind=_kind(row), id=subject,
             symbol=getattr(row, "symbol", None), status_from=before, status=status,
             **{k: v for k, v in detail.items() if k not in ("from",)})


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


def _kind(row: Lifecycle) -> str:
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
    if isinstance(result, ChainError):
        return result.name if result.name in RESERVE_REFUSALS else None
    if result.status == "reverted":
        return next((name for name in RESERVE_REFUSALS if name in (result.error or "")), None)
    return None


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
    feed = chain.stock(symbol).reserve_feed
    as_of = chain.block_time()
    return chain_step(issuer, db, key, "reserve",
                      lambda: feed.functions.attest(settled, pending, as_of))
