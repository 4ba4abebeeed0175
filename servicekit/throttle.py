"""Failed-authentication throttling per source: after ``limit`` failures from one source in
``window`` seconds, that source is answered 429 with ``Retry-After`` until the oldest failure in
the window ages out, before any key is looked at. Successes never count. In memory, per
process, bounded: at most ``max_sources`` sources are tracked (the least recently failing is
dropped first), so a flood of sources cannot exhaust memory.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable


class FailureThrottle:
    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_sources: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_sources = limit, window, max_sources
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def retry_after(self, source: str) -> int | None:
        """Seconds ``source`` must wait before trying again, or None when it may try now."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            failures = self._failures.get(source)
            if failures is None:
                return None
            self._expire(failures, now)
            if len(failures) < self.limit:
                return None
            return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, source: str) -> None:
        """Count one failed authentication of ``source``."""
        if self.limit <= 0:
            return
        now = self._clock()
        with self._lock:
            failures = self._failures.pop(source, None) or collections.deque()
            self._expire(failures, now)
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()
            self._failures[source] = failures  # now the most recent
            while len(self._failures) > self.max_sources:
                self._failures.popitem(last=False)

    def _expire(self, failures: collections.deque[float], now: float) -> None:
        while failures and failures[0] <= now - self.window:
            failures.popleft()
