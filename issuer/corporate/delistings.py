"""A delisting the issuer winds down: the stock leaves its exchange without being removed as
worthless (it moves over the counter, is taken private, or the issuer stops offering it).
Alpaca lists no such corporate action, so an operator announces it with its final date and a
second operator approves (maker-checker); the holders get a final redemption window, then the
token is frozen with a record of the event.

announced -> completed (or halted with the reason)

- From the approval nothing is minted (a creation is refused with 409 ``symbol_removed``, a
  tokenization mint waits: :func:`issuer.corporate.window.holds`) while redemptions go on until
  the final date: the holders' final redemption window, on the calendar and the public page.
- On the final date the token is paused (the outbox, the agent key; skipped when it already is)
  and the event recorded at the chain's head after the pause: the raw supply R, M0, the tokens'
  shares E = R * M0 and the custody shares behind them. The shares stay in custody, backing the
  frozen tokens (the invariant holds as before); their holders are settled as the operators
  decide (a forced transfer to the redemption wallet and a redemption, for example). ->
  ``completed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from issuer.corporate import removals
from issuer.db import utcnow
from issuer.errors import conflict, invalid
from issuer.lifecycle.common import move
from issuer.models import Approval, CorporateAction
from issuer.operations import audit, request_approval, symbol_of, winding_down
from issuer.reserves import custody_shares
from issuer.service import Issuer

#: How far ahead a final date may be.
LONGEST = dt.timedelta(days=366)


def request(issuer: Issuer, db: Session, *, symbol: str, final_date: dt.date, reason: str,
            actor: str) -> Approval:
    """The first operator's announcement of a delisting (maker); refused when it could never
    take effect: a symbol already winding down, a final date not after the broker's today or
    more than a year ahead."""
    key = symbol_of(issuer, symbol)
    if (found := winding_down(db, key)) is not None:
        raise conflict("symbol_removed", f"{key} is already winding down: {found.kind} "
                       f"{found.corporate_action_id} on {found.ex_date.isoformat()}")
    today = issuer.broker.clock().date
    if not today < final_date <= today + LONGEST:
        raise invalid("invalid_final_date", f"the final date must follow the broker's today "
                      f"({today.isoformat()}) by a day to a year")
    return request_approval(db, "delisting", {
        "symbol": key, "final_date": final_date.isoformat(), "reason": reason}, actor)


def on_approval(db: Session, approval: Approval) -> dict[str, Any]:
    """The second operator's approval: the delisting is announced (its window opens now)."""
    p = approval.payload
    if (found := winding_down(db, p["symbol"])) is not None:
        raise conflict("symbol_removed", f"{p['symbol']} is already winding down: "
                       f"{found.kind} {found.corporate_action_id}")
    now = utcnow()
    action = CorporateAction(corporate_action_id=f"delisting-{approval.id}", version=1,
                             symbol=p["symbol"], kind="delisting", status="announced",
                             ex_date=dt.date.fromisoformat(p["final_date"]),
                             approval_id=approval.id, created_at=now, updated_at=now)
    db.add(action)
    db.flush()
    audit(db, approval.decided_by or "approver", "corporate_action.announced",
          action.corporate_action_id, symbol=action.symbol, kind="delisting",
          ex_date=p["final_date"], reason=p["reason"], approval=approval.id)
    return {"corporate_action": action.id, "corporate_action_id": action.corporate_action_id}


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    if removals.in_final_window(issuer, action) or not removals.frozen(issuer, db, action):
        return
    action.custody_settled = custody_shares(issuer, action.symbol)[1]
    move(db, action, "completed", f"delisted: the token is paused with {action.entitled} "
         f"shares' worth of tokens as the record, {action.custody_settled} custody shares "
         "behind them")


STEPS = {"announced": _announced}
