"""The reserve invariant and the reconciliation report, per symbol.

Invariant: ``totalSupply * multiplier / 1e18 <= custody settled shares (+ allowed pending)``,
with the issuer's custody account at the broker as the custody. A violation opens a halt for the
symbol: creations stop until an operator clears it. While a split is half done (the broker and
the chain take it at the same moment, by two clocks) both sides are compared after the split.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer import audit as audit_trail
from issuer import statuses, units
from issuer.corporate.custody import merger_cash, merger_shares, removed_shares
from issuer.db import utcnow
from issuer.errors import IssuerError
from issuer.models import (
    CorporateAction,
    Creation,
    ItnRequest,
    ReconciliationRecord,
    Redemption,
    SymbolHalt,
)
from issuer.service import Issuer
from issuer.statuses import FINAL_CORPORATE_ACTIONS
from issuer.units import ONE, raw_to_shares
from servicekit import logs

LOG = logs.get("issuer.reserves")

OPEN_CREATIONS, OPEN_REDEMPTIONS = statuses.OPEN_CREATIONS, statuses.OPEN_REDEMPTIONS


@dataclass(frozen=True)
class Reconciliation:
    symbol: str
    block: int
    broker_time: str
    raw_supply: int
    multiplier: int
    economic_supply: Decimal
    custody_qty: Decimal
    custody_settled: Decimal
    custody_pending: Decimal
    allowed_pending: Decimal
    #: Open lifecycles and the halt flag: known for a live report, None for a past one.
    open_creations: int | None
    open_redemptions: int | None
    surplus: Decimal
    holds: bool
    halted: bool | None
    #: A split is half done (the broker has split and the chain not yet, or the other way
    #: round): both sides are compared in post-split terms.
    split_adjusted: bool = False
    #: Raw tokens left out of the economic supply: in the redemption wallet while the broker
    #: delivers their shares over the tokenization network (burned next).
    delivering_raw: int = 0
    #: Custody shares a cash merger turned into cash for the holders, or a worthless removal
    #: wrote off: they back the tokens still out (:func:`converted_shares`).
    converted: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, object]:
        return {k: (format(v, "f") if isinstance(v, Decimal) else v)
                for k, v in asdict(self).items()}


def pending_cap(issuer: Issuer, symbol: str) -> Decimal:
    """How many unsettled shares may back supply, the one rule the report and the mints share:
    none unless ``ISSUER_MINT_POLICY=on_fill``, then the tighter of the service's
    ``ISSUER_UNSETTLED_CAP`` and the token's own pending cap (its reserve guard's)."""
    if issuer.settings.mint_policy != "on_fill":
        return Decimal(0)
    on_chain = units.exact(Fraction(issuer.chain.pending_cap(symbol), units.ONE))
    return min(issuer.settings.unsettled_cap, on_chain)


def reconcile(issuer: Issuer, db: Session, symbol: str,
              block: int | None = None) -> Reconciliation:
    chain = issuer.chain
    at = chain.head() if block is None else block
    raw = chain.total_supply(symbol, at)
    multiplier = chain.multiplier(symbol, at)
    delivering = delivering_raw(db, symbol) if block is None else 0
    economic = raw_to_shares(raw - delivering, multiplier)
    qty, settled, pending = custody_shares(issuer, symbol)
    clock = issuer.broker.clock()
    adjusted = False
    if (split := _split_in_flight(db, symbol)) is not None:
        assert split.m1 is not None and split.new_rate and split.old_rate
        broker_split, chain_split = clock.date >= split.ex_date, multiplier == int(split.m1)
        if broker_split and not chain_split:
            economic, adjusted = raw_to_shares(raw - delivering, int(split.m1)), True
        elif chain_split and not broker_split:
            # custody in post-split terms, as the broker will hold it (9 decimals, down)
            ratio = units.split_ratio(split.old_rate, split.new_rate)
            qty, settled, pending = (units.after_split(q, ratio) for q in (qty, settled, pending))
            adjusted = True
    allowed = min(pending, pending_cap(issuer, symbol))
    # converted shares back the tokens still out, never more: after a merger's burn they back
    # nothing and are no surplus
    converted = min(converted_shares(issuer, db, symbol, clock.date), economic) \
        if block is None else Decimal(0)
    backing = units.exact(Fraction(settled) + Fraction(allowed) + Fraction(converted))
    return Reconciliation(
        symbol=symbol, block=at, broker_time=clock.now.isoformat(),
        raw_supply=raw, multiplier=multiplier, economic_supply=economic, custody_qty=qty,
        custody_settled=settled, custody_pending=pending, allowed_pending=allowed,
        open_creations=_count(db, Creation, symbol, OPEN_CREATIONS),
        open_redemptions=_count(db, Redemption, symbol, OPEN_REDEMPTIONS),
        surplus=units.exact(Fraction(backing) - Fraction(economic)),
        holds=Fraction(economic) <= Fraction(backing),
        halted=open_halt(db, symbol) is not None, split_adjusted=adjusted,
        delivering_raw=delivering, converted=converted,
    )


def converted_shares(issuer: Issuer, db: Session, symbol: str, today: dt.date) -> Decimal:
    """Custody shares the broker took away for the tokens still out: an open cash merger's,
    turned into cash for the holders (from its effective date until the tokens are burned), an
    open stock merger's, turned into the acquirer's shares (until the tokens are migrated),
    or a worthless removal's, written off (from its process date on: the tokens stay, paused,
    as the record). As recorded, or from the broker's entries before the issuer recorded
    them."""
    total = Decimal(0)
    for action in db.scalars(select(CorporateAction).where(
            CorporateAction.symbol == symbol,
            CorporateAction.kind.in_(("cash_merger", "stock_merger", "worthless_removal")),
            CorporateAction.status.not_in(("canceled", "failed")))):
        if today < action.ex_date or (action.kind != "worthless_removal"
                                      and action.status in FINAL_CORPORATE_ACTIONS):
            continue
        if action.custody_entitled is not None:
            total += action.custody_entitled
        elif action.kind == "cash_merger":
            total += merger_cash(issuer, action.corporate_action_id).shares
        elif action.kind == "stock_merger" and action.new_symbol:
            total += merger_shares(issuer, action.corporate_action_id, action.symbol,
                                   action.new_symbol).given
        else:
            total += removed_shares(issuer, action.corporate_action_id) or Decimal(0)
    return total


def delivering_raw(db: Session, symbol: str) -> int:
    """Raw tokens in the redemption wallet whose shares the broker is delivering (or has
    delivered) over the tokenization network: the issuer holds them and burns them next, so
    custody no longer backs them (the dust below the broker's 9 decimals, which goes back to
    the AP, stays backed)."""
    return sum(int(raw or 0) - int(dust or 0) for raw, dust in db.execute(
        select(ItnRequest.raw, ItnRequest.dust_raw).where(
            ItnRequest.symbol == symbol, ItnRequest.type == "redeem",
            ItnRequest.status.in_(("pending", "review", "burning")))))


def _split_in_flight(db: Session, symbol: str) -> CorporateAction | None:
    return db.scalar(select(CorporateAction).where(
        CorporateAction.symbol == symbol, CorporateAction.status.in_(("scheduled", "checking")),
        CorporateAction.kind.in_(("forward_split", "reverse_split"))))


def _count(db: Session, model: type[Creation] | type[Redemption], symbol: str,
           statuses: tuple[str, ...]) -> int:
    return db.scalar(select(func.count()).select_from(model).where(
        model.symbol == symbol, model.status.in_(statuses))) or 0


def clear_halt(issuer: Issuer, db: Session, symbol: str, actor: str) -> SymbolHalt:
    """Clear ``symbol``'s halt: only while one is open, and only once the invariant holds."""
    halt = open_halt(db, symbol)
    if halt is None:
        raise IssuerError(409, "not_halted", f"{symbol} is not halted")
    report = reconcile(issuer, db, symbol)
    if not report.holds:
        raise IssuerError(409, "invariant_violated",
                          f"{symbol}: economic supply {report.economic_supply} still exceeds "
                          f"custody {report.custody_settled}")
    halt.cleared_at, halt.cleared_by = utcnow(), actor
    LOG.warning("invariant.halt_cleared", symbol=symbol, by=actor)
    audit_trail.record(db, actor, "halt.clear", symbol, {}, at=halt.cleared_at)
    return halt


def open_halt(db: Session, symbol: str) -> SymbolHalt | None:
    return db.scalar(select(SymbolHalt).where(SymbolHalt.symbol == symbol,
                                              SymbolHalt.cleared_at.is_(None)))


FIGURES = ("raw_supply", "multiplier", "custody_qty", "custody_settled", "custody_pending",
           "allowed_pending", "split_adjusted")


def record(db: Session, report: Reconciliation) -> None:
    """Store ``report`` when its figures differ from the symbol's last stored one."""
    last = db.scalar(select(ReconciliationRecord).where(
        ReconciliationRecord.symbol == report.symbol).order_by(
        ReconciliationRecord.id.desc()).limit(1))
    now = {k: getattr(report, k) for k in FIGURES}
    now["raw_supply"], now["multiplier"] = str(report.raw_supply), str(report.multiplier)
    if last is not None and all(getattr(last, k) == v for k, v in now.items()):
        return
    db.add(ReconciliationRecord(
        symbol=report.symbol, block=report.block,
        broker_time=dt.datetime.fromisoformat(report.broker_time),
        economic_supply=report.economic_supply, surplus=report.surplus, holds=report.holds,
        **now))
    db.flush()


def reconcile_at(issuer: Issuer, db: Session, symbol: str, *, block: int | None = None,
                 broker_time: dt.datetime | None = None) -> Reconciliation | None:
    """The report as it stood at ``block`` (the chain read at that block, custody as the
    issuer last saw it at or before it) or at ``broker_time`` (the record in force then, its
    chain figures read again at its block); None when nothing was recorded by then."""
    query = select(ReconciliationRecord).where(ReconciliationRecord.symbol == symbol)
    if block is not None:
        query = query.where(ReconciliationRecord.block <= block)
    if broker_time is not None:
        query = query.where(ReconciliationRecord.broker_time <= broker_time)
    row = db.scalar(query.order_by(ReconciliationRecord.id.desc()).limit(1))
    if row is None:
        return None
    at = row.block if block is None else block
    raw, multiplier = issuer.chain.total_supply(symbol, at), issuer.chain.multiplier(symbol, at)
    if (str(raw), str(multiplier)) == (row.raw_supply, row.multiplier):
        economic, adjusted = row.economic_supply, row.split_adjusted   # as recorded
    else:  # the chain moved between the record and ``block``
        economic, adjusted = raw_to_shares(raw, multiplier), False
    backing = units.exact(Fraction(row.custody_settled) + Fraction(row.allowed_pending))
    return Reconciliation(
        symbol=symbol, block=at, broker_time=row.broker_time.isoformat(), raw_supply=raw,
        multiplier=multiplier, economic_supply=economic, custody_qty=row.custody_qty,
        custody_settled=row.custody_settled, custody_pending=row.custody_pending,
        allowed_pending=row.allowed_pending, open_creations=None, open_redemptions=None,
        surplus=units.exact(Fraction(backing) - Fraction(economic)),
        holds=Fraction(economic) <= Fraction(backing), halted=None,
        split_adjusted=adjusted)


def check_invariant(issuer: Issuer, db: Session, symbol: str) -> Reconciliation:
    """Reconcile and record it; on a violation open a halt (once) and write it to the audit
    log."""
    report = reconcile(issuer, db, symbol)
    record(db, report)
    if not report.holds and open_halt(db, symbol) is None:
        reason = (f"economic supply {report.economic_supply} exceeds custody "
                  f"{report.custody_settled} settled + {report.allowed_pending} pending")
        db.add(SymbolHalt(symbol=symbol, reason=reason, opened_at=utcnow()))
        LOG.error("invariant.halt", symbol=symbol, reason=reason,
                  economic_supply=str(report.economic_supply),
                  custody_settled=str(report.custody_settled))
        audit_trail.record(db, "invariant", "halt", symbol, report.as_dict())
        db.flush()
        report = replace(report, halted=True)
    return report


def custody_shares(issuer: Issuer, symbol: str) -> tuple[Decimal, Decimal, Decimal]:
    """Custody shares owned, settled and pending. Settled shares already sold (delivery not
    yet settled) no longer back anything, so settled is capped by what is owned."""
    position = issuer.broker.position(issuer.settings.broker_account_id, symbol)
    if position is None:
        return Decimal(0), Decimal(0), Decimal(0)
    settled = min(position.qty_settled, position.qty)
    return position.qty, settled, max(Decimal(0), position.qty - position.qty_settled)


def attestation_figures(issuer: Issuer, symbol: str) -> tuple[int, int]:
    """Settled and pending custody shares, in 18-decimal units, for ``attestReserves``."""
    _, settled, pending = custody_shares(issuer, symbol)
    return int(Fraction(settled) * ONE), int(Fraction(pending) * ONE)
