"""Named crash points for the kill-and-restart tests.

``ISSUER_CRASH_AT=<name>`` makes the process kill itself with SIGKILL when it reaches that point,
exactly as if the machine died there: no ``finally``, no rollback handler, no flush. Unset (the
default) every point is a no-op.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "creation.after_order",      # the broker has the order, the database does not know it
    "creation.after_fill",       # the fill is recorded, the payment journal not yet asked for
    "creation.after_mint_sent",  # the mint is on the node, its receipt not yet seen
    "redemption.after_burn_sent",  # the burn is on the node, its receipt not yet seen
    "redemption.after_order",    # the sale is at the broker, the database does not know it
    # every step's status change, before it is committed (what the step did outside the
    # database, at the broker or on chain, is done; the database does not know it yet).
    # ``attesting`` and ``burning`` are passed through only while a transaction waits to be
    # mined (the devnet mines at once): the ``after_*_sent`` points cover those windows.
    *(f"creation.before_{s}" for s in ("ordered", "filled", "settled", "minting",
                                       "completed")),
    *(f"redemption.before_{s}" for s in ("burned", "ordered", "filled", "settled", "paying",
                                         "completed")),
    # the tokenization network: a mint on the node before its receipt, the broker told of it
    # before the database knows, a burn on the node before its receipt
    "itn_mint.after_mint_sent", "itn_mint.after_callback", "itn_redeem.after_burn_sent",
    *(f"itn_mint.before_{s}" for s in ("minting", "minted", "completed")),
    *(f"itn_redeem.before_{s}" for s in ("pending", "review", "burning", "completed")),
    # shareholder meetings: between the stored tally and the broker's instruction, the
    # broker instructed before the database knows, and the status changes around them
    "meeting.before_instruction", "meeting.after_instruction",
    *(f"meeting.before_{s}" for s in ("instructing", "instructed")),
    # corporate actions: a transaction of theirs on the node before its receipt (a pause, a
    # burn, a distribution...), and a cash merger's status changes
    "corporate_action.after_tx_sent",
    *(f"corporate_action.before_{s}" for s in ("paid", "funding", "claimable")),
    # a spin-off's: its distribution starts, and its mints are done but not recorded; a stock
    # merger's migration starts
    *(f"corporate_action.before_{s}" for s in ("distributing", "completed", "migrating")),
)


def reach(name: str) -> None:
    if os.environ.get("ISSUER_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
