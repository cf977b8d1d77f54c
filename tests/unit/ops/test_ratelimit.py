"""The rate limiter spaces work to the rate and never bursts after idle time."""

from __future__ import annotations

import pytest

from workers.ops.ratelimit import RateLimiter


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def test_batches_wait_for_their_share() -> None:
    """At 10/s, three batches of 5 take one second of waiting after the first."""
    c = _Clock()
    r = RateLimiter(10, clock=lambda: c.now, sleep=c.sleep)
    for _ in range(3):
        r.acquire(5)
    assert c.slept == [pytest.approx(0.5), pytest.approx(0.5)]
    assert c.now == pytest.approx(1.0)


def test_idle_time_earns_no_burst() -> None:
    """After a long pause the next items are still paced, not sent all at once."""
    c = _Clock()
    r = RateLimiter(2, clock=lambda: c.now, sleep=c.sleep)
    r.acquire(1)
    c.now += 100
    r.acquire(1)
    r.acquire(1)
    assert c.slept == [pytest.approx(0.5)]


def test_rate_must_be_positive() -> None:
    """A zero or negative rate is a programming error."""
    with pytest.raises(ValueError):
        RateLimiter(0)
