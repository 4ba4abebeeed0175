"""A worthless removal (a delisted company's shares removed for nothing): a final redemption
window announced to the holders, then the token frozen with a record of the event.

announced -> completed (or halted with the reason)

- ``announced``: from the announcement nothing is minted (creations and tokenization mints of
  the symbol are refused or wait: :func:`issuer.corporate.window.holds`), while redemptions go
  on until the process date: the holders' final redemption window, shown on the calendar.
- On the process date the broker removes custody's shares (``REORG``, no cash): the issuer
  pauses the token (the outbox, the agent key; skipped when it already is) and records the
  event at the chain's head after the pause: the raw supply R, M0, the tokens' shares
  E = R * M0 and the shares the broker removed (Q). The tokens stay, frozen, as the record of
  who held what; the removed shares count as their backing in the reconciliation
  (:func:`issuer.reserves.converted_shares`), so the invariant records the write-off instead
  of halting the symbol for ever. -> ``completed``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from issuer.corporate import arithmetic, cash_mergers, custody
from issuer.lifecycle.common import move, note
from issuer.models import CorporateAction
from issuer.service import Issuer


def in_final_window(issuer: Issuer, action: CorporateAction) -> bool:
    """Whether the broker's today is before the process (final) date, noted on the action."""
    if issuer.broker.clock().date < action.ex_date:
        note(action, f"final redemption window until {action.ex_date.isoformat()}: "
             "redemptions go on, nothing is minted")
        return True
    return False


def frozen(issuer: Issuer, db: Session, action: CorporateAction) -> bool:
    """The token paused (once), then the record of the event at the chain's head after the
    pause: R, M0 and E = R * M0; True once taken."""
    if not cash_mergers.paused(issuer, db, action):
        return False
    block = issuer.chain.head()
    raw, m0 = issuer.chain.total_supply(action.symbol, block), \
        issuer.chain.multiplier(action.symbol, block)
    action.snapshot_block, action.raw_supply, action.m0 = block, str(raw), str(m0)
    action.entitled = arithmetic.entitled_shares(raw, m0)
    return True


def _announced(issuer: Issuer, db: Session, action: CorporateAction) -> None:
    if in_final_window(issuer, action):
        return
    removed = custody.removed_shares(issuer, action.corporate_action_id)
    if removed is None:
        note(action, "waiting: the broker's removal entry (REORG) for custody")
        return
    if not frozen(issuer, db, action):
        return
    action.custody_entitled = removed
    move(db, action, "completed", f"{removed} custody shares removed as worthless; the token "
         f"is paused with {action.entitled} shares' worth of tokens as the record")


STEPS = {"announced": _announced}
