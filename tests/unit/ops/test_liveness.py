"""Stall detection: lag with no progress for long enough is reported once, then recovery."""

from __future__ import annotations

import pytest
from confluent_kafka import TopicPartition

from tests.unit.ops.fakes import FakeConsumer
from workers.ops.liveness import LagMonitor


def test_partition_with_lag_and_no_progress_is_stalled_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No progress for stall_after_s while lag grows: one partition_stalled log, flag set."""
    m = LagMonitor(stall_after_s=30)
    m.observe(("in", 0), 100, 120, now=0)
    m.observe(("in", 0), 100, 140, now=20)
    assert m.stalled() == []
    m.observe(("in", 0), 100, 160, now=31)
    m.observe(("in", 0), 100, 170, now=40)
    assert m.stalled() == ["in[0]"] and m.stall_events == 1
    out = capsys.readouterr().out
    assert out.count("partition_stalled") == 1 and "lag_growth=40" in out


def test_progress_clears_the_stall(capsys: pytest.CaptureFixture[str]) -> None:
    """When the position moves again the partition recovers and says so."""
    m = LagMonitor(stall_after_s=10)
    m.observe(("in", 1), 5, 50, now=0)
    m.observe(("in", 1), 5, 50, now=11)
    assert m.stalled() == ["in[1]"]
    m.observe(("in", 1), 9, 50, now=12)
    assert m.stalled() == []
    assert "partition_recovered" in capsys.readouterr().out


def test_no_lag_is_never_a_stall() -> None:
    """An idle partition at the end of its log is healthy however long nothing happens."""
    m = LagMonitor(stall_after_s=1)
    m.observe(("in", 0), 42, 42, now=0)
    m.observe(("in", 0), 42, 42, now=100)
    assert m.stalled() == []


def test_unfetched_partition_with_records_counts_as_stalled() -> None:
    """A partition never fetched since assignment (e.g. blocked offsets) with records is stuck."""
    m = LagMonitor(stall_after_s=5)
    m.observe(("in", 2), None, 10, now=0, low=0)
    m.observe(("in", 2), None, 12, now=6, low=0)
    assert m.stalled() == ["in[2]"]
    assert m.snapshot()["in[2]"]["lag"] == 12


def test_tick_reads_positions_and_forgets_revoked_partitions() -> None:
    """tick() checks at most once per interval and drops partitions no longer assigned."""
    clock = [0.0]
    consumer = FakeConsumer(
        assigned=[TopicPartition("in", 0), TopicPartition("in", 1)],
        positions={("in", 0): 3, ("in", 1): 7},
        watermarks={("in", 0): (0, 9), ("in", 1): None},  # partition 1 times out
    )
    m = LagMonitor(stall_after_s=60, interval_s=10, clock=lambda: clock[0])
    m.tick(consumer)
    assert m.snapshot() == {
        "in[0]": {"position": 3, "high_watermark": 9, "lag": 6, "stalled": False}
    }
    consumer.positions[("in", 0)] = 9
    clock[0] = 5.0
    m.tick(consumer)  # within the interval: not checked
    assert m.snapshot()["in[0]"]["position"] == 3
    consumer.assigned = []
    clock[0] = 20.0
    m.tick(consumer)
    assert m.snapshot() == {}


def test_watermarks_come_from_the_given_client() -> None:
    """A separate (read_uncommitted) watermark client is asked instead of the worker's consumer."""
    consumer = FakeConsumer(
        assigned=[TopicPartition("in", 0)], positions={("in", 0): 4}, watermarks={("in", 0): (0, 4)}
    )
    uncommitted = FakeConsumer(watermarks={("in", 0): (0, 9)})
    m = LagMonitor(watermarks=uncommitted)
    m.tick(consumer)
    assert m.snapshot()["in[0]"]["lag"] == 5


def test_idle_worker_at_its_committed_end_is_not_stalled() -> None:
    """Assigned partitions with nothing new to fetch (position unknown) are judged from the
    group's committed offset: at the end of the log, no lag, however long it stays idle;
    records that then arrive unread do count."""
    clock = [0.0]
    consumer = FakeConsumer(
        assigned=[TopicPartition("in", 0), TopicPartition("in", 1)],
        watermarks={("in", 0): (0, 500), ("in", 1): (0, 80)},
        committed_offsets={("in", 0): 500},  # partition 1: never committed
    )
    m = LagMonitor(stall_after_s=30, interval_s=10, clock=lambda: clock[0])
    for t in (0.0, 15.0, 40.0, 90.0):
        clock[0] = t
        m.tick(consumer)
    assert m.snapshot()["in[0]"] == {
        "position": 500,
        "high_watermark": 500,
        "lag": 0,
        "stalled": False,
    }
    assert m.stalled() == ["in[1]"]  # 80 retained records and no committed offset
    consumer.watermarks[("in", 0)] = (0, 530)
    clock[0] = 100.0
    m.tick(consumer)
    assert "in[0]" not in m.stalled()  # records just arrived: not stuck yet
    clock[0] = 140.0
    m.tick(consumer)
    assert "in[0]" in m.stalled()
