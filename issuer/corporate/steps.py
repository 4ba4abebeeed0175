"""One step of a corporate action: the dividend or split state machine, plus the cancellation
of a scheduled change that an amendment made obsolete."""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.chain import ChainError
from issuer.corporate import dividends, splits
from issuer.corporate.schedule import key
from issuer.lifecycle.common import chain_step, dispatch, move, note
from issuer.models import CorporateAction
from issuer.service import Issuer

#: Statuses the worker moves on (``proposed`` and ``awaiting_approval`` wait for operators).
ACTIVE = ("announced", "recorded", "paid", "reinvesting", "approved", "scheduling",
          "scheduled", "checking", "canceling", "funding", "claimable", "reclaiming")


def _canceling(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    assert action.nonce is not None
    token = issuer.chain.stock(action.symbol).token
    result = chain_step(issuer, db, key(action, "cancel"), "corporate_action",
                        lambda: token.functions.cancelScheduledMultiplier(action.nonce))
    if isinstance(result, ChainError) or result.status == "reverted":
        move(db, action, "halted", f"cancelling the scheduled change failed: {result}")
    elif result.status == "mined":
        action.nonce = action.effective_at = action.price_before = None
        action.attempt += 1
        move(db, action, "announced", "the scheduled change is cancelled; computing again")
    else:
        note(action, f"waiting: cancel transaction {result.status}")


_BY_KIND = {
    "dividend": {**dividends.STEPS, "canceling": _canceling},
    "forward_split": {**splits.STEPS, "canceling": _canceling},
    "reverse_split": {**splits.STEPS, "canceling": _canceling},
}


def step(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    dispatch(_BY_KIND[action.kind], issuer, db, action)
