"""Metrics are plain counters that serialize for logs."""

from __future__ import annotations

from workers.profiles.metrics import Metrics


def test_counters_start_at_zero_and_serialize() -> None:
    """Every counter is an int starting at zero, and as_dict reflects increments."""
    m = Metrics()
    assert set(m.as_dict().values()) == {0}
    m.duplicates += 2
    assert m.as_dict()["duplicates"] == 2 and "requests_emitted" in m.as_dict()
