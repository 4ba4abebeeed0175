"""Who owns the dividend the broker paid: the entitlement rule.

The broker pays a dividend on the custody account's settled position at the end of the record
date. Those shares back three kinds of owner, and each gets the dividend of its own shares:

- **tokens** alive at the record snapshot (raw supply R at M0: E = R * M0 shares);
- **creations not yet minted** whose shares had settled by the end of the record date (bought
  before the ex-date), and **tokenization-network (ITN) mints not minted yet** whose shares the
  network journaled into custody by then (they arrive settled, out of the AP's position).
  Their creator is owed the dividend: with a reinvested dividend those shares mint in
  pre-dividend units, ``raw = floor(qty * 10^36 / M0)``, so the new multiplier gives them
  their part as it does to every token; with a stablecoin dividend the creator's wallet gets a
  claim. Shares bought on or after the ex-date settle after the record date: they
  earned nothing and mint at the multiplier of the mint;
- **redemptions whose tokens are burned** while their shares are still in the settled position
  at the end of the record date (sold on or after the ex-date, so the sale settled after it, or
  not sold or journaled out yet). The redeemer is owed that dividend: it is paid in cash, its
  share of the net dividend (``net * qty / Q``, cents, rounded down), by journal. Shares sold
  before the ex-date settled by the record date: the buyer got the dividend.

What custody holds beyond all three (the surplus's own dividend, rounding) is free residue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import units
from issuer.broker.types import Execution
from issuer.models import CorporateAction, Creation, DividendEntitlement, ItnRequest, Redemption
from issuer.service import Issuer

#: Creations whose shares may be in custody and whose tokens are not minted yet.
UNMINTED = ("ordered", "filled", "settled", "attesting", "minting", "halted")
#: ITN mints whose shares were journaled into custody and whose tokens are not minted yet.
ITN_UNMINTED = ("confirmed", "minting", "halted")
#: Entitlement kinds of a lifecycle whose tokens are minted later (a claim or pre-dividend raw).
MINTING_KINDS = ("creation", "itn_mint")
#: Redemptions whose tokens are burned (their shares may still be in custody).
BURNED = ("burned", "ordered", "filled", "settled", "paying", "paused", "halted", "completed")
#: How long after its last update a completed redemption can still have had shares in custody
#: at a record date being snapshotted.
RECENT = dt.timedelta(days=14)


@dataclass
class InFlight:
    """Shares in the custody account's settled position that creations and redemptions in
    flight own, by lifecycle id."""

    creations: dict[str, Decimal] = field(default_factory=dict)
    redemptions: dict[str, Decimal] = field(default_factory=dict)
    #: ITN mint request id -> the shares the network journaled in.
    itn_mints: dict[str, Decimal] = field(default_factory=dict)

    @property
    def creation_shares(self) -> Decimal:
        return sum(self.creations.values(), Decimal(0)) + sum(self.itn_mints.values(),
                                                              Decimal(0))

    def minting(self) -> dict[str, tuple[str, Decimal]]:
        """Every lifecycle whose tokens are still to be minted: id -> (kind, shares)."""
        return {**{i: ("creation", q) for i, q in self.creations.items()},
                **{i: ("itn_mint", q) for i, q in self.itn_mints.items()}}

    @property
    def redemption_shares(self) -> Decimal:
        return sum(self.redemptions.values(), Decimal(0))


def _settled_by(executions: list[Execution], day: dt.date | None) -> list[Execution]:
    """Executions not canceled that had settled by the end of ``day`` (None: by now)."""
    return [e for e in executions if e.status != "canceled"
            and (e.status == "settled" if day is None else e.settle_date <= day)]


def in_flight(issuer: Issuer, db: Session, symbol: str, *, by: dt.date | None) -> InFlight:
    """Settled custody shares owned by creations not minted and redemptions burned, at the end
    of ``by`` (a record date) or now (``by=None``)."""
    account = issuer.settings.broker_account_id
    found = InFlight()
    for creation in db.scalars(select(Creation).where(
            Creation.symbol == symbol, Creation.status.in_(UNMINTED),
            Creation.kind == "cash", Creation.broker_order_id.is_not(None),
            Creation.mint_raw.is_(None)).order_by(Creation.created_at, Creation.id)):
        assert creation.broker_order_id is not None
        order = issuer.broker.order(account, creation.broker_order_id)
        qty = sum((e.qty for e in _settled_by(issuer.broker.executions(account, order), by)),
                  Decimal(0))
        if qty > 0:
            found.creations[creation.id] = qty
    for row in db.scalars(select(ItnRequest).where(
            ItnRequest.symbol == symbol, ItnRequest.type == "mint",
            ItnRequest.status.in_(ITN_UNMINTED), ItnRequest.tx_hash.is_(None))
            .order_by(ItnRequest.created_at, ItnRequest.id)):
        if by is None or ((arrived := arrived_on(issuer, row)) is not None and arrived <= by):
            found.itn_mints[row.id] = row.qty
    since = units.start_of(by) - RECENT if by is not None else None
    query = select(Redemption).where(Redemption.symbol == symbol,
                                     Redemption.status.in_(BURNED),
                                     Redemption.burn_raw.is_not(None))
    if since is not None:
        query = query.where(Redemption.updated_at >= since)
    else:
        query = query.where(Redemption.status != "completed")
    for redemption in db.scalars(query.order_by(Redemption.created_at, Redemption.id)):
        qty = _still_in_custody(issuer, redemption, by)
        if qty > 0:
            found.redemptions[redemption.id] = qty
    return found


def arrived_on(issuer: Issuer, row: ItnRequest) -> dt.date | None:
    """The broker date the network journaled an ITN mint's shares into custody, read from the
    broker's request once and kept on the row (None while the broker does not say)."""
    if row.arrived_on is None and row.tokenization_request_id is not None:
        found = issuer.broker.tokenization_request(
            issuer.settings.broker_account_id, tokenization_request_id=row.tokenization_request_id)
        moment = None if found is None else (found.updated_at or found.created_at)
        if moment is not None:
            row.arrived_on = units.broker_date(moment)
    return row.arrived_on


def _still_in_custody(issuer: Issuer, redemption: Redemption, by: dt.date | None) -> Decimal:
    account = issuer.settings.broker_account_id
    if redemption.kind == "in_kind":
        if redemption.broker_journal_id is None:
            return redemption.qty
        journal = issuer.broker.journal(redemption.broker_journal_id)
        delivered = journal.executed and (by is None or journal.settle_date is None
                                          or journal.settle_date <= by)
        return Decimal(0) if delivered else redemption.qty
    sold = sum((e.qty for o in issuer.broker.orders(account, symbols=redemption.symbol)
                if o.client_order_id.startswith(f"redemption-{redemption.id}-")
                for e in _settled_by(issuer.broker.executions(account, o), by)), Decimal(0))
    return max(Decimal(0), redemption.qty - sold)


def entitlements(db: Session, action_id: str, kind: str | None = None
                 ) -> list[DividendEntitlement]:
    query = select(DividendEntitlement).where(DividendEntitlement.action_id == action_id)
    if kind is not None:
        query = query.where(DividendEntitlement.kind == kind)
    return list(db.scalars(query.order_by(DividendEntitlement.id)))


def minting_wallet(db: Session, owed: DividendEntitlement) -> str:
    """The wallet a creation or tokenization mint owed at a record mints to."""
    row: Creation | ItnRequest | None = (
        db.get(Creation, owed.lifecycle_id) if owed.kind == "creation"
        else db.get(ItnRequest, owed.lifecycle_id))
    assert row is not None and row.wallet is not None
    return row.wallet


def owed_raw(db: Session, action_id: str, m0: int, kinds: tuple[str, ...] = MINTING_KINDS
             ) -> list[tuple[DividendEntitlement, str, int]]:
    """The creations (and tokenization mints) in flight that owned custody shares at the
    record: each with its wallet and the raw tokens its shares are worth at M0, rounded down
    once (a holder of record in all but the mint)."""
    return [(owed, minting_wallet(db, owed), units.shares_to_raw(owed.qty, m0))
            for owed in entitlements(db, action_id) if owed.kind in kinds]


def creation_entitlement(db: Session, creation_id: str) -> DividendEntitlement | None:
    """The first reinvested dividend the shares of a creation (or ITN mint) not minted yet
    earned (they are token-like from then on: later dividends count them through that raw
    amount)."""
    return db.scalar(select(DividendEntitlement).where(
        DividendEntitlement.kind.in_(MINTING_KINDS),
        DividendEntitlement.lifecycle_id == creation_id,
        DividendEntitlement.raw.is_not(None)).order_by(DividendEntitlement.id).limit(1))


def token_like(db: Session, lifecycle_id: str) -> tuple[int, Decimal] | None:
    """Raw units already fixed for shares not minted yet, and the shares they stand for: the
    first reinvested dividend they earned, or an ITN mint's raw amount fixed before it was
    minted. Such shares count through their raw amount at every later dividend."""
    if (first := creation_entitlement(db, lifecycle_id)) is not None and first.raw:
        return int(first.raw), first.qty
    row = db.get(ItnRequest, lifecycle_id)
    if row is not None and row.raw is not None:
        return int(row.raw), row.qty
    return None


def cash_share(net: Decimal, qty: Decimal, paid_on: Decimal) -> Decimal:
    """A redeemer's cash: ``net * qty / Q`` rounded down to the cent."""
    return units.down(Fraction(net) * Fraction(qty) / Fraction(paid_on), 2)


def reinvested_net(action: CorporateAction) -> Decimal:
    """The net dividend less what redeemers were paid: the part that is reinvested (or
    distributed as stablecoin claims)."""
    assert action.net is not None
    return action.net - (action.redeemers_paid or Decimal(0))


def owed_value(raw: int, multiplier: int) -> Fraction:
    return units.raw_value(raw, multiplier)


@dataclass(frozen=True)
class Obligations:
    """What custody owes besides the tokens, now: raw tokens entitled creations will receive
    for their token-like shares, and shares owed at face value (the rest of open creations'
    settled shares, and the shares of burned redemptions not delivered yet)."""

    owed_raw: int
    face_shares: Decimal

    def shares(self, multiplier: int) -> Decimal:
        """All of it in shares at ``multiplier`` (exact)."""
        return units.exact(owed_value(self.owed_raw, multiplier) + Fraction(self.face_shares))


def obligations(issuer: Issuer, db: Session, symbol: str) -> Obligations:
    now = in_flight(issuer, db, symbol, by=None)
    owed_raw, face = 0, now.redemption_shares
    for creation_id, (_, qty) in now.minting().items():
        if (fixed := token_like(db, creation_id)) is not None:
            owed_raw += fixed[0]
            face += max(Decimal(0), qty - fixed[1])
        else:
            face += qty
    return Obligations(owed_raw=owed_raw, face_shares=face)
