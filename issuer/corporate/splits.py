"""A forward or reverse split, carried by the multiplier (no balance moves).

announced -> proposed -> awaiting_approval -> approved -> scheduling -> scheduled -> checking ->
completed (or halted with the reason)

- ``announced``: waits for any earlier corporate action of the symbol to finish (a dividend in
  the same week is applied first); M0 is then the multiplier now;
  M1 = floor(M0 * new / old) (:mod:`issuer.corporate.arithmetic`). A warning is recorded when
  custody after the split, if the broker pays cash in lieu of fractions, could fall short of the
  supply at M1.
- ``approved``: schedules M1 to take effect at the broker's processing moment of the split (the
  start of the effective date, New York, mapped to chain time), then sets the token's
  market-data-paused flag. Mints and burns wait from then (:mod:`issuer.corporate.window`).
- ``scheduled``: keeps the last pre-split price; waits until the multiplier is active on chain
  and the broker has split the custody position.
- ``checking``: releases only when the price is continuous: |price_after * M1 /
  (price_before * M0) - 1| <= ``ISSUER_SPLIT_CONTINUITY_TOLERANCE``. Cash in lieu of fractions
  paid by the broker is reinvested (``ISSUER_CASH_IN_LIEU=reinvest``, the default; order
  ``ca-<id>-cil``) or kept as cash (``surplus``); either way it is surplus collateral. Then the
  market-data flag is cleared and the action is ``completed``.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from issuer import units
from issuer.broker import BrokerRejected
from issuer.corporate import arithmetic, custody
from issuer.corporate.schedule import key, send_schedule
from issuer.corporate.window import (
    chain_time_at,
    multiplier_change_pending,
    open_actions,
    start_of,
)
from issuer.lifecycle.common import advance, chain_step, move, note, outcome_of
from issuer.models import CorporateAction
from issuer.reserves import custody_shares
from issuer.service import Issuer

#: Seconds a schedule transaction is given to be mined before its effective time.
MARGIN = 60


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    if multiplier_change_pending(issuer, action.symbol):
        note(action, "waiting: another multiplier change is scheduled")
        return
    earlier = [a for a in open_actions(db, action.symbol)
               if a.id != action.id and a.ex_date <= action.ex_date]
    if earlier:
        note(action, f"waiting: corporate action {earlier[0].corporate_action_id} "
             f"({earlier[0].kind}, ex-date {earlier[0].ex_date.isoformat()}) comes first")
        return
    assert action.old_rate is not None and action.new_rate is not None
    m0 = issuer.chain.multiplier(action.symbol)
    m1 = arithmetic.split_multiplier(m0, action.old_rate, action.new_rate)
    supply = issuer.chain.total_supply(action.symbol)
    settled = custody_shares(issuer, action.symbol)[1]
    after = units.after_split(settled, units.split_ratio(action.old_rate, action.new_rate))
    action.m0, action.m1, action.m1_uncapped, action.supply_raw = str(m0), str(m1), str(m1), \
        str(supply)
    action.custody_settled = settled
    action.residue = arithmetic.residue(after, supply, m1)
    warnings = []
    if (short := arithmetic.economic(supply, m1) - int(after)) > 0:
        warnings.append(f"if the broker pays cash in lieu of fractions, custody after the split "
                        f"({int(after)} whole shares) would be {short} short of the supply at "
                        "M1: top up custody before the effective date")
    if issuer.broker.clock().date >= action.ex_date:
        warnings.append("late: the broker has already split; the multiplier follows once "
                        "approved, and mints and burns wait until then")
    action.warning = "; ".join(warnings) or None
    move(db, action, "proposed")


def _approved(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    bounds = issuer.chain.multiplier_bounds(action.symbol)
    # a forward split waits the token's split notice (the owner's window to cancel it)
    notice = max(bounds.min_notice,
                 bounds.split_notice if action.kind == "forward_split" else 0)
    earliest = issuer.chain.block_time() + notice + MARGIN
    effective_at = max(chain_time_at(issuer, start_of(action.ex_date)), earliest)
    if action.price_before is None:
        action.price_before = custody.price(issuer, action.symbol)
    send_schedule(issuer, db, action, effective_at)


def _market_data(issuer: Issuer, db: Session, action: CorporateAction, paused: bool) -> bool:
    """Set or clear the token's market-data-paused flag; True once mined."""
    result = chain_step(issuer, db, key(action, "market-data-" + ("paused" if paused else
                                                                   "resumed")),
                        "corporate_action",
                        lambda: issuer.chain.calls.market_data_paused(action.symbol, paused))
    return advance(db, action, outcome_of(result, "the market-data flag")) is not None


def _scheduled(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    if not _market_data(issuer, db, action, True):
        return
    assert action.m1 is not None
    split_done = issuer.broker.clock().date >= action.ex_date
    if not split_done and (price := custody.price(issuer, action.symbol)) is not None:
        action.price_before = price
    if issuer.chain.multiplier(action.symbol) != int(action.m1) or not split_done:
        note(action, f"waiting: the split takes effect on {action.ex_date.isoformat()}")
        return
    move(db, action, "checking")


def _checking(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.m0 is not None and action.m1 is not None
    price_after = custody.price(issuer, action.symbol)
    if action.price_before is not None and price_after is not None:
        action.price_after = price_after
        gap = arithmetic.continuity_gap(action.price_before, int(action.m0), price_after,
                                        int(action.m1))
        if gap > issuer.settings.split_continuity_tolerance:
            note(action, f"waiting: price not continuous across the split: {price_after} * M1 "
                 f"vs {action.price_before} * M0 differ by {gap:.6f}")
            return
    if not _cash_in_lieu(issuer, db, action):
        return
    if not _market_data(issuer, db, action, False):
        return
    settled = custody_shares(issuer, action.symbol)[1]
    supply = issuer.chain.total_supply(action.symbol)
    action.custody_settled, action.final_supply_raw = settled, str(supply)
    action.residue = arithmetic.residue(settled, supply, int(action.m1))
    move(db, action, "completed")


def _cash_in_lieu(issuer: Issuer, db: Session, action: CorporateAction) -> bool:
    """Record the broker's cash in lieu and reinvest it when configured; True when done."""
    if action.cash_in_lieu is None:
        action.cash_in_lieu = custody.total(list(custody.activities(
            issuer, action.corporate_action_id, ["CIL"])))
    if action.cash_in_lieu <= 0 or issuer.settings.cash_in_lieu != "reinvest":
        return True
    account = issuer.settings.broker_account_id
    if action.order_id is None:
        try:
            order = issuer.broker.submit_order(account, symbol=action.symbol, side="buy",
                                               notional=action.cash_in_lieu,
                                               client_order_id=f"ca-{action.id}-cil")
        except BrokerRejected as exc:
            note(action, f"cash in lieu kept as cash: reinvestment refused ({exc.code})")
            return True
        action.order_id = order.id
        db.commit()
    order = issuer.broker.order(account, action.order_id)
    if not order.final:
        note(action, f"waiting: cash-in-lieu reinvestment {order.status}")
        return False
    action.filled_qty, action.filled_cost = order.filled_qty, \
        (order.filled_avg_price or Decimal(0)) * order.filled_qty
    return True


STEPS = {
    "announced": _announced,
    "approved": _approved,
    "scheduling": _approved,
    "scheduled": _scheduled,
    "checking": _checking,
}
