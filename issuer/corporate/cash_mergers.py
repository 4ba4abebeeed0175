"""A cash merger: on the effective date the broker turns custody's shares into cash; the token
is paused (no transfer can move a claim), its holders of record are paid their cash per share
as stablecoin claims, and every token is burned.

announced -> proposed -> awaiting_approval -> approved -> paid -> funding -> claimable ->
reclaiming -> completed (or halted with the reason)

- ``announced``: waits for the effective date (mints and burns wait from it: the window). Then
  the token is paused (``pause`` through the outbox, by the agent key; skipped when it already
  is), and the record is taken at the chain's head after the pause: raw supply R (issuer-held
  tokens excluded), M0, E = R * M0, the creations and redemptions in flight that own custody
  shares (:mod:`issuer.corporate.entitlement`, record date = the day before the effective
  date). The broker's ``MA`` entry says the Q shares it took and the cash it paid (gross =
  net: no withholding on merger proceeds here); E plus what in-flight creations own must fit
  in Q, else the action halts. -> ``proposed``: the pause is protective and goes first; paying
  the cash and burning every token, which cannot be undone, take the maker-checker approval
  (of the cash, ``net``) -> ``approved`` -> ``paid`` with the stablecoin payout.
- ``paid`` .. ``claimable`` .. ``completed``: the stablecoin payout of a cash dividend
  (:mod:`issuer.corporate.stablecoin`): a claim per holder of ``floor(net_units * raw * M0 /
  (10^36 * Q'))``, the sum journaled to the on-ramp, minted and put in the distributor with the
  claims' Merkle root; the deadline, then what is left comes back.
- ``claimable``: first every holder's tokens at the record are burned (one ``batchBurn``, the
  redemption wallet's included): the supply is zero, and the claims are the holders' only
  right left.

The invariant: from the effective date until the burn, custody holds cash, not shares; the
shares the broker converted count as backing (:func:`issuer.reserves.reconcile`), so the
tokens stay covered until they are burned and the cash is in the distributor.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from issuer import indexer, outbox
from issuer.corporate import arithmetic, custody, dividends, stablecoin
from issuer.corporate.schedule import key
from issuer.lifecycle.common import advance, chain_step, move, note, outcome_of
from issuer.models import CorporateAction
from issuer.service import Issuer


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    today = issuer.broker.clock().date
    if today < action.ex_date:
        note(action, f"waiting: the merger takes effect on {action.ex_date.isoformat()}")
        return
    if not paused(issuer, db, action):
        return
    owed = take_record(issuer, db, action)
    cash = custody.merger_cash(issuer, action.corporate_action_id)
    if not cash.paid:
        note(action, "waiting: the broker's merger entry (MA) for custody")
        return
    action.custody_entitled, action.custody_settled = cash.shares, cash.shares
    action.gross = action.net = cash.cash
    action.withholding = action.fees = Decimal(0)
    action.payout = "stablecoin"
    assert action.entitled is not None
    if action.entitled + owed - (action.owed_redemptions or Decimal(0)) > cash.shares:
        move(db, action, "halted", f"the tokens' {action.entitled} shares (+ {owed} owed) "
             f"exceed the {cash.shares} shares the broker converted")
        return
    move(db, action, "proposed", f"{cash.shares} shares became {cash.cash} in cash: paying it "
         "to the holders of record and burning every token waits for approval")


def _approved(_issuer: Issuer, db: Session, action: CorporateAction) -> None:
    move(db, action, "paid", f"approved: {action.net} in cash to the holders of record")


def take_record(issuer: Issuer, db: Session, action: CorporateAction) -> Decimal:
    """The record at the chain's head (the token paused): R (issuer-held tokens excluded), M0,
    E = R * M0 and who owns custody shares in flight; returns the shares those own."""
    block = issuer.chain.head()
    total = issuer.chain.total_supply(action.symbol, block)
    held = dividends.issuer_held_raw(issuer, db, action.symbol, block)
    m0 = issuer.chain.multiplier(action.symbol, block)
    raw = total - held
    action.snapshot_block, action.raw_supply, action.issuer_held_raw = block, str(raw), str(held)
    action.m0, action.entitled = str(m0), arithmetic.entitled_shares(raw, m0)
    return dividends.record_entitlements(issuer, db, action, m0)


def paused(issuer: Issuer, db: Session, action: CorporateAction) -> bool:
    """True once the token is paused (by this action's transaction, or already)."""
    pause_key = key(action, "pause")
    if issuer.chain.is_paused(action.symbol) and outbox.live(db, pause_key) is None:
        return True
    result = chain_step(issuer, db, pause_key, "supply",
                        lambda: issuer.chain.calls.pause(action.symbol, True))
    return advance(db, action, outcome_of(result, "pausing the token")) is not None


def burned(issuer: Issuer, db: Session, action: CorporateAction) -> bool:
    """Every holder's tokens at the record burned (one ``batchBurn``, the redemption wallet's
    included, sent once): True once mined."""
    assert action.snapshot_block is not None
    held = indexer.holders(db, action.symbol, action.snapshot_block)
    if not held:
        return True
    wallets, raws = list(held), list(held.values())
    result = chain_step(issuer, db, key(action, "burn"), "supply",
                        lambda: issuer.chain.calls.batch_burn(action.symbol, wallets, raws))
    return advance(db, action, outcome_of(result, "burning the tokens")) is not None


def _claimable(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    """Burn every holder's tokens at the record (once), then the claims run their course."""
    if burned(issuer, db, action):
        stablecoin.STEPS["claimable"](issuer, db, action)


STEPS = {
    "announced": _announced,
    "approved": _approved,
    "paid": dividends.STEPS["paid"],
    "funding": stablecoin.STEPS["funding"],
    "claimable": _claimable,
    "reclaiming": stablecoin.STEPS["reclaiming"],
}
