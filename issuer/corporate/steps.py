"""One step of a corporate action: the dividend or split state machine, plus the cancellation
of a scheduled change that an amendment made obsolete."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from issuer.corporate import (
    cash_mergers,
    delistings,
    dividends,
    name_changes,
    removals,
    spin_offs,
    splits,
    stock_dividends,
    stock_mergers,
)
from issuer.corporate.schedule import key
from issuer.lifecycle.common import advance, chain_step, dispatch, move, outcome_of
from issuer.models import ChainTx, CorporateAction
from issuer.service import Issuer
from issuer.statuses import ACTIVE_CORPORATE_ACTIONS

#: Statuses the worker moves on (``proposed`` and ``awaiting_approval`` wait for operators).
ACTIVE = ACTIVE_CORPORATE_ACTIONS


def _canceling(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.nonce is not None
    nonce = action.nonce
    result = chain_step(issuer, db, key(action, "cancel"), "corporate_action",
                        lambda: issuer.chain.calls.cancel_multiplier(action.symbol, nonce))
    def cancelled(_tx: ChainTx) -> None:
        action.nonce = action.effective_at = action.price_before = None
        action.attempt += 1
        move(db, action, "announced", "the scheduled change is cancelled; computing again")

    advance(db, action, outcome_of(result, "cancelling the scheduled change"), done=cancelled)


_BY_KIND: dict[str, dict[str, Any]] = {
    "dividend": {**dividends.STEPS, "canceling": _canceling},
    "stock_dividend": {**stock_dividends.STEPS, "canceling": _canceling},
    "name_change": name_changes.STEPS,
    "cash_merger": cash_mergers.STEPS,
    "worthless_removal": removals.STEPS,
    "spin_off": spin_offs.STEPS,
    "stock_merger": stock_mergers.STEPS,
    "delisting": delistings.STEPS,
    "forward_split": {**splits.STEPS, "canceling": _canceling},
    "reverse_split": {**splits.STEPS, "canceling": _canceling},
}


def step(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    dispatch(_BY_KIND[action.kind], issuer, db, action)
