"""Group lag per partition, from the committed offset or the log start."""

from __future__ import annotations

from workers.ops.lag import PartitionLag, total_lag


def test_lag_from_committed_or_log_start() -> None:
    """Lag is end minus committed; a group that never committed lags by the whole log."""
    a = PartitionLag("in", 0, committed=40, low=0, high=50)
    b = PartitionLag("in", 1, committed=None, low=10, high=25)
    assert (a.lag, b.lag, total_lag([a, b])) == (10, 15, 25)
