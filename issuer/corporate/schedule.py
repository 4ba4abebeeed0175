"""Putting a corporate action's multiplier on chain: approval, the schedule transaction, its
cancellation, and the reference hash that ties the on-chain change to the off-chain record.

- ``proposed``: the figures are computed; an operator asks to apply them
  (``issuer.controls.request_apply``), which opens a maker-checker approval; the action is
  ``awaiting_approval``.
- A second operator approves (``approved``) or rejects (back to ``proposed``).
- ``approved``: for a dividend the custody position is attested first (the token caps a dividend
  multiplier by the attested settled shares); then ``scheduleMultiplier(M0, M1, effectiveAt,
  kind, ref, nonce)`` is sent through the outbox (``scheduling`` until mined, then
  ``scheduled``). A refusal because the multiplier moved (``MultiplierMismatch``) sends the
  action back to compute its figures again.
"""

from __future__ import annotations

import datetime as dt
import json

from eth_utils import keccak
from sqlalchemy.orm import Session

from issuer.chain import ChainError
from issuer.errors import IssuerError, conflict, not_found
from issuer.lifecycle.common import Refused, advance, attest, chain_step, move, outcome_of
from issuer.models import Approval, ChainTx, CorporateAction
from issuer.service import Issuer

#: ``ActionKind`` of the token's schedule.
#: The token's ``ActionKind`` per kind: a stock dividend is ``Other`` (0), bounded by custody
#: like every increase but not by the cash dividend's largest step.
KIND = {"dividend": 1, "forward_split": 2, "reverse_split": 3, "stock_dividend": 0}
#: The kinds that raise the multiplier against custody: attested just before the schedule.
ATTESTED = ("dividend", "stock_dividend")
#: Where a kind computes its M1 again when the multiplier moved under its schedule.
RECOMPUTE = {"dividend": "reinvesting", "stock_dividend": "recorded"}


def reference(action: CorporateAction) -> bytes:
    """keccak256 of the record's canonical JSON: anyone holding the record can check the
    ``ref`` of the on-chain schedule."""
    fields = {"corporate_action_id": action.corporate_action_id, "version": action.version,
              "symbol": action.symbol, "kind": action.kind, "m0": action.m0, "m1": action.m1,
              "supply_raw": action.supply_raw}
    if action.kind in ("forward_split", "reverse_split", "stock_dividend"):
        # the ratio the owner checks against the announcement during the split notice
        fields["old_rate"], fields["new_rate"] = str(action.old_rate), str(action.new_rate)
    return keccak(text=json.dumps(fields, sort_keys=True, separators=(",", ":")))


def key(action: CorporateAction, what: str) -> str:
    return f"ca:{action.id}:{what}:{action.attempt}"


def approved_figures(action: CorporateAction) -> dict[str, object]:
    """What the second operator approves of a corporate action, as the approval stores it: the
    new multiplier, the raw tokens to mint (a spin-off's, a merger's), the cash to pay (a
    merger's) and the announcement's version. A change of any of them makes the approval
    stale."""
    return {"m1": action.m1, "supply_raw": action.supply_raw,
            "net": None if action.net is None else str(action.net), "version": action.version}


def on_decision(db: Session, approval: Approval, approved: bool) -> dict[str, str]:
    """Carry out (or turn down) an approval of a multiplier change."""
    action = db.get(CorporateAction, approval.payload["corporate_action"])
    if action is None:
        raise not_found("corporate_action", approval.payload["corporate_action"])
    if action.approval_id != approval.id or action.status != "awaiting_approval":
        if not approved:  # turning down a stale request changes nothing
            return {"corporate_action": action.id, "status": action.status}
        raise conflict("approval_stale", f"corporate action {action.id} is {action.status} "
                       "and no longer waits for this approval")
    now = approved_figures(action)
    # (an approval asked before a figure was part of them is judged on the others)
    if approved and {k: approval.payload.get(k, v) for k, v in now.items()} != now:
        raise IssuerError(409, "approval_stale",
                          "the figures changed since the approval was asked for")
    if approved:
        move(db, action, "approved")
    else:
        action.approval_id = None
        move(db, action, "proposed", "approval rejected; ask again once the figures are right")
    return {"corporate_action": action.id, "status": action.status}


def send_schedule(issuer: Issuer, db: Session, action: CorporateAction,
                  effective_at: int) -> None:
    """``approved``/``scheduling``: attest (dividends), then the schedule transaction."""
    assert action.m0 is not None and action.m1 is not None
    if action.kind in ATTESTED:
        result = attest(issuer, db, action.symbol, key(action, "attest"))
        if not _went_through(db, action, result):
            return
    if action.nonce is None or action.effective_at is None:
        action.nonce = issuer.chain.last_multiplier_nonce(action.symbol) + 1
        action.effective_at = effective_at
        # the broker moment it maps to (the inverse of window.chain_time_at)
        action.effective_broker_at = issuer.broker.clock().now + dt.timedelta(
            seconds=effective_at - issuer.chain.block_time())
        db.commit()
    result = chain_step(issuer, db, key(action, "schedule"), "corporate_action",
                        lambda: issuer.chain.calls.schedule_multiplier(
                            action.symbol, int(action.m0 or 0), int(action.m1 or 0),
                            int(action.effective_at or 0), KIND[action.kind], reference(action),
                            int(action.nonce or 0)))
    if _went_through(db, action, result):
        move(db, action, "scheduled")


def _went_through(db: Session, action: CorporateAction, result: ChainTx | ChainError) -> bool:
    """True once mined; a refusal starts the change again (the multiplier moved under it) or
    halts it; in flight, the action is ``scheduling``."""
    def refused(refusal: Refused) -> None:
        action.nonce = action.effective_at = action.effective_broker_at = None
        action.attempt += 1
        if refusal.error == "MultiplierMismatch" or "MultiplierMismatch" in refusal.detail:
            move(db, action, RECOMPUTE.get(action.kind, "announced"),
                 f"the multiplier moved; computing again ({refusal.detail})",
                 error=refusal.error)
        else:
            move(db, action, "halted", refusal.detail, error=refusal.error)

    return advance(db, action, outcome_of(result), refused=refused,
                   waiting="scheduling") is not None
