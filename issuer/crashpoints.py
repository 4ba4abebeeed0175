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
)


def reach(name: str) -> None:
    if os.environ.get("ISSUER_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
