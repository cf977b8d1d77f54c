"""Pace work to a rate: ``acquire(n)`` returns when ``n`` more items fit in ``rate`` per second."""

from __future__ import annotations

import time
from collections.abc import Callable


class RateLimiter:
    """Spaces items ``1/rate`` seconds apart on average; a batch waits for its whole share.

    Idle time earns no credit, so a replay that paused never bursts past the rate afterwards.
    """

    def __init__(
        self,
        rate_per_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate_per_s
        self.clock = clock
        self.sleep = sleep
        self._next = clock()
        self.waited_s = 0.0

    def acquire(self, n: int = 1) -> None:
        now = self.clock()
        wait = self._next - now
        if wait > 0:
            self.sleep(wait)
            self.waited_s += wait
        self._next = max(self._next, now) + n / self.rate
