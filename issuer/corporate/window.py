"""When a corporate action stops mints and burns, and how a broker moment maps to chain time.

The rule (DESIGN.md, the ex-date window): a multiplier applies to every raw token alive when it
takes effect, so a token minted or burned between a corporate action's ex-date and the end of
that action would move value between old and new holders. Mints and burns of the symbol
therefore wait

- from the broker's ex-date (start of day, New York) until the action is ``completed`` (for a
  dividend: its multiplier is active; for a split: the multiplier is active, the broker has split
  the position and the price is continuous), and
- whenever a multiplier change is scheduled on chain and not yet active.
A dividend paid as stablecoin claims changes no multiplier: it holds mints and burns only until
its claims are stored (:mod:`issuer.corporate.stablecoin`).

Broker orders and journals of creations go on in the window; only the mint (or burn) waits.

The broker and the chain keep separate clocks (in tests the broker's is simulated). A broker
moment maps to chain time by the offset between the two clocks now: ``chain now + (moment -
broker now)``. On a live system both are wall clocks and the offset is zero.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from issuer import units
from issuer.models import CorporateAction
from issuer.service import Issuer
from issuer.statuses import FINAL_CORPORATE_ACTIONS

FINAL = FINAL_CORPORATE_ACTIONS
#: A stablecoin dividend in these statuses has its claims stored: it holds nothing any more.
PAYING_OUT = ("funding", "claimable", "reclaiming")
#: Statuses in which the action holds the symbol's mints and burns whatever the date.
ON_CHAIN = ("scheduling", "scheduled", "checking", "canceling")


start_of = units.start_of


def chain_time_at(issuer: Issuer, moment: dt.datetime) -> int:
    """The chain timestamp that corresponds to the broker moment ``moment``."""
    broker_now = issuer.broker.clock().now
    return issuer.chain.block_time() + int((moment - broker_now).total_seconds())


def open_actions(db: Session, symbol: str) -> list[CorporateAction]:
    """The open actions of ``symbol``, and the open spin-offs that list it as their new
    company."""
    return list(db.scalars(select(CorporateAction).where(
        or_(CorporateAction.symbol == symbol,
            and_(CorporateAction.kind == "spin_off", CorporateAction.new_symbol == symbol)),
        CorporateAction.status.not_in(FINAL)).order_by(CorporateAction.ex_date)))


def split_ratios(db: Session, symbol: str, since: dt.date | None) -> list[Fraction]:
    """new/old of every completed split of ``symbol`` effective on or after ``since``, in
    order: what turns a share quantity read before them into today's shares (apply each with
    :func:`issuer.units.after_split`, as the broker does)."""
    if since is None:
        return []
    ratios = []
    for old, new in db.execute(
            select(CorporateAction.old_rate, CorporateAction.new_rate).where(
                CorporateAction.symbol == symbol, CorporateAction.status == "completed",
                CorporateAction.kind.in_(("forward_split", "reverse_split")),
                CorporateAction.ex_date >= since).order_by(CorporateAction.ex_date)):
        assert old is not None and new is not None, "a split is discovered with its rates"
        ratios.append(units.split_ratio(old, new))
    return ratios


def multiplier_change_pending(issuer: Issuer, symbol: str) -> bool:
    """A change scheduled on chain and not yet active."""
    return issuer.chain.effective_at(symbol) > issuer.chain.block_time()


def mint_burn_blocker(issuer: Issuer, db: Session, symbol: str, *,
                      burn: bool = False) -> str | None:
    """Why a mint (or, ``burn``, a burn) of ``symbol`` must wait now, or None."""
    if multiplier_change_pending(issuer, symbol):
        return "a multiplier change is scheduled"
    actions = open_actions(db, symbol)
    if not actions:
        return None
    today = issuer.broker.clock().date
    for action in actions:
        if action.symbol != symbol:   # a spin-off's new company: until its distribution
            return (f"corporate action {action.corporate_action_id} (spin-off from "
                    f"{action.symbol}) is {action.status}: {symbol} is minted to the holders "
                    "of record first")
        if holds(action, today, burn=burn):
            return (f"corporate action {action.corporate_action_id} ({action.kind}, ex-date "
                    f"{action.ex_date.isoformat()}) is {action.status}")
    return None


def holds(action: CorporateAction, today: dt.date, *, burn: bool = False) -> bool:
    """Whether ``action`` holds its symbol's mints (or, ``burn``, burns) on the broker's
    ``today``: from its ex-date (or once its change is on chain) until it is final; a
    stablecoin dividend only until its claims are stored. A worthless removal (or a delisting)
    holds mints from its announcement and burns from its process (final) date: the days
    between are the holders' final redemption window."""
    if action.status in FINAL:
        return False
    if action.kind in ("worthless_removal", "delisting"):
        return today >= action.ex_date or not burn
    if action.kind == "spin_off":   # until the holders of record are snapshotted
        return action.status == "announced" and today >= action.ex_date
    if action.kind == "dividend" and action.payout == "stablecoin" and \
            action.status in PAYING_OUT:
        return False  # the claims are fixed; the multiplier does not change
    return action.status in ON_CHAIN or today >= action.ex_date
