"""A cash dividend paid to the holders as stablecoin claims instead of being reinvested: the
payout of the symbols in ``ISSUER_STABLECOIN_DIVIDENDS``, fixed when the announcement is
picked up.

announced -> recorded -> paid (as a reinvested dividend: record snapshot, then gross,
withholding and fees from the broker) -> funding -> claimable -> reclaiming -> completed

- ``paid``: the claims, stored once (:class:`DividendClaim`): every holder at the record
  snapshot block (from the indexer) gets ``floor(net_units * raw / R)`` stablecoin units, where
  ``R`` is the raw supply of the snapshot. Tokens in the redemption wallet count for the wallet
  that deposited them while their redemption has not burned them (as in the snapshot); the rest
  of the redemption wallet is the issuer's and gets nothing. If the indexed holders do not add
  up to ``R`` the action halts. The sum of the claims, rounded up to a cent (``distributed``),
  is journaled from custody to the on-ramp account (``ca-<id>-onramp``, at most once by its
  client id). What the floors leave of the net in whole cents stays in custody as cash
  (``net - distributed``); the sub-cent rest is in the distribution and comes back with the
  reclaim.
- ``funding``: once the journal has executed: the on-ramp mints ``distributed`` to the
  corporate-actions key (on the devnet the key owns the stand-in stablecoin), which approves the
  distributor and creates the distribution (root of the claims' Merkle tree, deadline
  ``ISSUER_DIVIDEND_CLAIM_DAYS`` ahead, reference of the record), each through the outbox.
- ``claimable``: holders claim on chain with the proof the API serves; after the deadline,
  ``reclaiming``: what is left returns to the corporate-actions key; ``completed``.

The multiplier never changes, so the ex-date window only lasts until the claims are stored:
from ``funding`` on, mints and burns of the symbol go on (:mod:`issuer.corporate.window`).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer import indexer, units
from issuer.broker import BrokerRejected
from issuer.broker.journals import cash_journal, cash_journal_by_client_id
from issuer.chain import ChainError, checksum
from issuer.corporate import entitlement
from issuer.corporate.merkle import MerkleTree
from issuer.corporate.schedule import key, reference
from issuer.deposits import UNBURNED, deposit_event
from issuer.lifecycle.common import advance, chain_step, move, note, outcome_of
from issuer.models import (
    ChainTx,
    CorporateAction,
    DividendClaim,
    Redemption,
)
from issuer.service import Issuer


def claims(db: Session, action: CorporateAction) -> list[DividendClaim]:
    """The stored claims of ``action``, by wallet."""
    return list(db.scalars(select(DividendClaim).where(DividendClaim.action_id == action.id)
                           .order_by(DividendClaim.wallet)))


def tree(stored: list[DividendClaim]) -> MerkleTree | None:
    """The Merkle tree of the claims owed something (None when none is)."""
    owed = {c.wallet: c.amount for c in stored if c.amount > 0}
    return MerkleTree(owed) if owed else None


def _unit(issuer: Issuer) -> Decimal:
    """One stablecoin in its smallest units."""
    return Decimal(issuer.chain.stablecoin_unit())


def snapshot_raw(issuer: Issuer, db: Session, action: CorporateAction) -> dict[str, int]:
    """Raw tokens per entitled wallet at the snapshot block (see the module docstring)."""
    assert action.snapshot_block is not None
    raw = indexer.holders(db, action.symbol, action.snapshot_block)
    wallet = issuer.settings.redemption_wallet
    if wallet:
        raw.pop(checksum(wallet), None)
        for source in db.scalars(select(Redemption.source_event).where(
                Redemption.symbol == action.symbol, Redemption.status.in_(UNBURNED),
                Redemption.source_event.is_not(None))):
            event = deposit_event(db, source)
            if event is not None and event.block_number <= action.snapshot_block:
                raw[event.sender] = raw.get(event.sender, 0) + int(event.value)
    return raw


def _amounts(db: Session, action: CorporateAction, raw: dict[str, int],
             unit: Decimal) -> dict[str, int]:
    """Stablecoin units per wallet: the net dividend (less the redeemers' cash) shared by the
    shares it was paid on, Q' = Q less the redeemers' shares: a holder gets
    ``floor(net_units * raw * M0 / (10^36 * Q'))``, a creation entitled at the record
    ``floor(net_units * qty / Q')`` to its wallet; the surplus's share stays in custody. Each
    wallet's raw (``raw``) gains the creations' raw at M0 (for the record)."""
    assert action.m0 is not None and action.custody_entitled is not None
    net = entitlement.reinvested_net(action) * unit
    net_units = int(net.to_integral_value(rounding=ROUND_DOWN))
    paid_on = Fraction(action.custody_entitled - (action.owed_redemptions or Decimal(0)))
    if paid_on <= 0:
        return dict.fromkeys(raw, 0)
    m0 = int(action.m0)
    amounts = {w: int(net_units * Fraction(r * m0, units.ONE * units.ONE) / paid_on)
               for w, r in raw.items()}
    for owed, minter, owed_raw in entitlement.owed_raw(db, action.id, m0):
        wallet = checksum(minter)
        owed.amount = Decimal(int(net_units * Fraction(owed.qty) / paid_on))
        amounts[wallet] = amounts.get(wallet, 0) + int(owed.amount)
        raw[wallet] = raw.get(wallet, 0) + owed_raw
    return amounts


def pay(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    """``paid``, for a stablecoin payout: store the claims and journal their sum."""
    assert action.net is not None and action.raw_supply is not None
    if not issuer.settings.onramp_account_id:
        move(db, action, "halted", "no stablecoin on-ramp account (ISSUER_ONRAMP_ACCOUNT_ID)")
        return
    if "Stablecoin" not in issuer.chain.manifest["contracts"]:
        move(db, action, "halted", "the deployment manifest has no Stablecoin")
        return
    indexed = indexer.indexed_to(db)
    if indexed is None or indexed < (action.snapshot_block or 0):
        note(action, f"waiting: the indexer has not reached the snapshot block "
             f"{action.snapshot_block}")
        return
    raw = snapshot_raw(issuer, db, action)
    total_raw = int(action.raw_supply)
    if sum(raw.values()) != total_raw:
        move(db, action, "halted", f"indexed holders hold {sum(raw.values())} raw at block "
             f"{action.snapshot_block}, the snapshot says {total_raw}")
        return
    unit = _unit(issuer)
    amounts = _amounts(db, action, raw, unit)
    for wallet, r in sorted(raw.items()):
        db.add(DividendClaim(action_id=action.id, wallet=wallet, raw=str(r),
                             amount=amounts[wallet]))
    # the broker moves cash in cents: the sum of the claims, rounded up to a cent (at most the
    # net, itself in cents), funds the distribution; its sub-cent rest returns at the reclaim
    action.distributed = units.up(Fraction(sum(amounts.values())) / Fraction(unit), 2)
    if action.distributed <= 0:
        move(db, action, "completed", "no holder is owed a stablecoin unit: the dividend "
             "stays in custody as cash")
        return
    try:
        cash_journal(
            issuer.broker, from_account=issuer.settings.broker_account_id,
            to_account=issuer.settings.onramp_account_id, amount=action.distributed,
            description=f"dividend {action.corporate_action_id} to stablecoin",
            client_journal_id=f"ca-{action.id}-onramp")
    except BrokerRejected as exc:
        db.rollback()  # no claims without the cash behind them
        move(db, action, "halted", f"on-ramp journal refused: {exc.code}: {exc.detail}")
        return
    move(db, action, "funding")


def _funding(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.distributed is not None
    journal = cash_journal_by_client_id(
        issuer.broker, f"ca-{action.id}-onramp", from_account=issuer.settings.broker_account_id,
        to_account=issuer.settings.onramp_account_id)
    if journal is None or not (journal.in_flight or journal.executed):
        move(db, action, "halted", "the on-ramp journal is "
             + ("missing" if journal is None else journal.status))
        return
    if not journal.executed:
        note(action, f"waiting: on-ramp journal {journal.status}")
        return
    calls, me = issuer.chain.calls, issuer.chain.signers["corporate_action"].address
    units = int(action.distributed * _unit(issuer))
    if action.claim_deadline is None:
        action.claim_deadline = issuer.chain.block_time() + issuer.settings.dividend_claim_days \
            * 86_400
        db.commit()
    owed = tree(claims(db, action))
    assert owed is not None  # distributed > 0
    root, deadline = owed.root, action.claim_deadline
    steps = (("onramp-mint", lambda: calls.stablecoin_mint(me, units)),
             ("approve", lambda: calls.stablecoin_approve_distributor(units)),
             ("distribution", lambda: calls.create_distribution(
                 action.symbol, root, units, deadline, reference(action))))
    for what, call in steps:
        result = chain_step(issuer, db, key(action, what), "corporate_action", call)
        if not _mined(db, action, result, what):
            return
    assert isinstance(result, ChainTx) and result.tx_hash is not None
    action.distribution_id = issuer.chain.created_distribution(result.tx_hash)
    move(db, action, "claimable")


def _claimable(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.claim_deadline is not None
    if issuer.chain.block_time() <= action.claim_deadline:
        note(action, f"waiting: claims open until chain time {action.claim_deadline}")
        return
    move(db, action, "reclaiming")


def _reclaiming(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.distribution_id is not None
    me, distribution_id = issuer.chain.signers["corporate_action"].address, \
        action.distribution_id
    result = chain_step(issuer, db, key(action, "reclaim"), "corporate_action",
                        lambda: issuer.chain.calls.reclaim_distribution(distribution_id, me))
    if not _mined(db, action, result, "reclaim"):
        return
    distribution = issuer.chain.distribution(distribution_id)
    action.reclaimed = units.exact(Fraction(distribution.total - distribution.claimed)
                                   / Fraction(_unit(issuer)))
    move(db, action, "completed")


def _mined(db: Session, action: CorporateAction, result: ChainTx | ChainError,
           what: str) -> bool:
    return advance(db, action, outcome_of(result, what)) is not None


STEPS = {
    "funding": _funding,
    "claimable": _claimable,
    "reclaiming": _reclaiming,
}
