"""A stock (or stock-and-cash) merger: on the effective date the broker turns custody's shares of
the acquired company into the acquirer's (and cash); the holders end with the acquirer's tokens,
migrated for them (they do not act), and any cash part as stablecoin claims.

announced -> proposed -> awaiting_approval -> approved -> migrating -> completed
(stock and cash: migrating -> paid -> funding -> claimable -> reclaiming -> completed; or halted
with the reason)

- ``announced``: waits for the effective date (mints and burns of the acquired company wait
  from it: the window); then the acquired company's token is paused (as a cash merger's), and
  the action waits for the acquirer's listing (an acquirer the stack does not list yet is
  listed by the factory's owner, as a spin-off's new company: ``owner_calls``). The record is
  taken at the head after the pause: R, M0, E = R * M0 and what creations and redemptions in
  flight own. The broker's two ``MA`` entries say the Q shares it took, the cash it paid with
  them (C) and the N acquirer shares it gave (:func:`issuer.corporate.custody.merger_shares`);
  E plus what in-flight creations own must fit in Q, else the action halts. The figures
  (:func:`issuer.corporate.arithmetic.new_token_raws`, at the acquirer's multiplier now, Ma,
  kept as ``m1``): holder i of record (a creation in flight whose shares custody held at the
  record counts at its wallet, and is completed by the migration) gets
  ``floor(raw_i * D / R)`` raw acquirer tokens,
  D = min(floor(R * M0 * rate / Ma), floor(N * 1e36 / Ma)) -> ``proposed``.
- ``proposed`` .. ``approved``: the maker-checker approval (of D, ``supply_raw``, and Ma).
- ``migrating``: the acquirer's custody attested, then one ``batchMint`` of the acquirer per
  ``ISSUER_MINT_BATCH_MAX`` holders and one ``batchBurn`` of every acquired token at the record
  (outbox keys per batch: a restart sends each once), then the acquirer's invariant checked.
  If the acquirer's multiplier moved since the figures before anything was sent: halted
  (once the migration has started it is finished with the figures approved). With no cash
  part -> ``completed``; with one, the holders' cash is the stablecoin payout of a cash merger
  (:mod:`issuer.corporate.stablecoin`, a claim per holder of ``floor(net_units * raw * M0 /
  (10^36 * Q'))``) -> ``paid``.

The invariant across the two tokens: from the effective date until the burn the acquired
company's tokens are backed by the shares the broker converted (``converted``, as a cash
merger's); the acquirer's custody holds the N new shares from the effective date, so its tokens
gain backing before they are minted.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from issuer import indexer, outbox, units
from issuer.corporate import (
    arithmetic,
    cash_mergers,
    custody,
    dividends,
    entitlement,
    stablecoin,
)
from issuer.corporate.schedule import key
from issuer.corporate.spin_offs import listing_calls, minted_to_holders, record_raws
from issuer.lifecycle.common import move, note
from issuer.models import CorporateAction, Creation
from issuer.reserves import check_invariant
from issuer.service import Issuer
from issuer.statuses import FINAL_CREATIONS


def distribution(issuer: Issuer, db: Session, action: CorporateAction) -> dict[str, int]:
    """The acquirer's raw units per holder of record, the same every time (the indexed
    snapshot and the stored figures: N in ``filled_qty``, Ma in ``m1``)."""
    assert action.m0 is not None and action.m1 is not None and action.filled_qty is not None
    assert action.old_rate and action.new_rate
    rate = units.split_ratio(action.old_rate, action.new_rate)
    return {w: raw for w, raw in arithmetic.new_token_raws(
        record_raws(issuer, db, action, ("creation",)), int(action.m0), rate,
        action.filled_qty, int(action.m1)).items() if raw > 0}


def _close_converted(db: Session, action: CorporateAction) -> None:
    """The creations in flight at the record whose shares the merger converted: their wallets
    got the acquirer's tokens in the migration, so each is completed with that reason (its own
    mint of the acquired token would be refused: paused, then burned)."""
    for owed in entitlement.entitlements(db, action.id, "creation"):
        creation = db.get(Creation, owed.lifecycle_id)
        if creation is not None and creation.status not in FINAL_CREATIONS:
            move(db, creation, "completed", f"its {owed.qty} {action.symbol} shares were "
                 f"converted by the stock merger {action.corporate_action_id}: "
                 f"{action.new_symbol} tokens minted to {creation.wallet} in its migration")


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.new_symbol is not None
    acquirer = action.new_symbol
    if issuer.broker.clock().date < action.ex_date:
        note(action, f"waiting: {action.symbol} is acquired by {acquirer} on "
             f"{action.ex_date.isoformat()}")
        return
    if not cash_mergers.paused(issuer, db, action):
        return   # first: no transfer moves a holder's claim while the rest waits
    if acquirer not in issuer.chain.stocks:
        action.token_symbol = acquirer
        action.token_name = action.token_name or f"{acquirer} tokenized share"
        action.owner_calls = listing_calls(issuer, action)
        note(action, f"waiting: the acquirer {acquirer} is not listed; the factory's owner "
             "lists it (owner_calls)")
        return
    shares = custody.merger_shares(issuer, action.corporate_action_id, action.symbol, acquirer)
    if not shares.paid:
        note(action, "waiting: the broker's merger entries (MA) for custody")
        return
    if action.snapshot_block is None:
        cash_mergers.take_record(issuer, db, action)
    assert action.snapshot_block is not None and action.entitled is not None
    if (indexer.indexed_to(db) or 0) < action.snapshot_block:
        note(action, f"waiting: the holders of record (block {action.snapshot_block}) are "
             "not indexed yet")
        return
    owed = (action.owed_creations or Decimal(0))
    if action.entitled + owed > shares.given:
        move(db, action, "halted", f"the tokens' {action.entitled} shares (+ {owed} owed) "
             f"exceed the {shares.given} shares the broker converted")
        return
    action.custody_entitled, action.filled_qty = shares.given, shares.received
    action.gross = action.net = shares.cash
    action.withholding = action.fees = Decimal(0)
    action.cash_in_lieu = shares.cash_in_lieu
    action.m1 = str(issuer.chain.multiplier(acquirer))
    raws = distribution(issuer, db, action)
    minted = sum(raws.values())
    action.supply_raw = str(minted)
    action.residue = arithmetic.residue(shares.received, minted, int(action.m1))
    move(db, action, "proposed", f"{shares.given} {action.symbol} became {shares.received} "
         f"{acquirer}" + (f" and {shares.cash} in cash" if shares.cash else "")
         + f"; {len(raws)} holders of record get {minted} raw {acquirer}")


def _approved(_issuer: Issuer, db: Session, action: CorporateAction) -> None:
    move(db, action, "migrating")


def _migrating(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    acquirer = action.new_symbol
    assert acquirer is not None and action.m1 is not None and action.snapshot_block is not None
    started = outbox.live(db, key(action, "attest")) is not None
    if not started and issuer.chain.multiplier(acquirer) != int(action.m1):
        move(db, action, "halted", f"the {acquirer} multiplier moved from {action.m1} since "
             "the figures: not migrated (an operator computes them again)")
        return
    raws = distribution(issuer, db, action)
    if not minted_to_holders(issuer, db, action, acquirer, raws) or \
            not cash_mergers.burned(issuer, db, action):
        return
    report = check_invariant(issuer, db, acquirer)
    if not report.holds:
        move(db, action, "halted", f"the {acquirer} invariant fails after the migration")
        return
    action.custody_settled = report.custody_settled
    _close_converted(db, action)
    if action.net and action.net > 0:
        action.payout = "stablecoin"
        move(db, action, "paid", f"{len(raws)} holders migrated to {acquirer}; "
             f"{action.net} in cash to pay as claims")
        return
    move(db, action, "completed", f"{len(raws)} holders migrated to {acquirer}; "
         f"{report.economic_supply} {acquirer} tokens, custody {report.custody_settled}")


STEPS = {
    "announced": _announced,
    "approved": _approved,
    "migrating": _migrating,
    "paid": dividends.STEPS["paid"],
    "funding": stablecoin.STEPS["funding"],
    "claimable": cash_mergers.STEPS["claimable"],
    "reclaiming": stablecoin.STEPS["reclaiming"],
}
