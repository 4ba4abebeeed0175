"""Work a worker does every so many seconds rather than every pass (the price reports, the
public figures): one schedule per issuer object, so each process keeps its own."""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

from issuer.service import Issuer


class Cadence:
    """When a periodic task is due next, per issuer (process)."""

    def __init__(self) -> None:
        self._next: WeakKeyDictionary[Issuer, float] = WeakKeyDictionary()

    def due(self, issuer: Issuer, interval: float) -> bool:
        """Whether the task is due now (and, if so, schedule the next run ``interval`` seconds
        on); never when ``interval`` is 0 or less (the task is off)."""
        if interval <= 0:
            return False
        now = time.monotonic()
        if now < self._next.get(issuer, 0.0):
            return False
        self._next[issuer] = now + interval
        return True
