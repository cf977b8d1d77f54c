"""Lag and stall detection: a partition with lag whose position does not move.

A partition is *stalled* when it has lag (records we have not processed) and our position
has not advanced for ``stall_after_s``: the loop may be alive, yet this partition makes no
progress (a batch that aborts every time, an upstream transaction left open in front of a
read_committed reader, a paused fetch). The monitor logs ``partition_stalled`` once per
episode (with how much the lag grew meanwhile), ``partition_recovered`` when it moves again,
and exposes the state for ``/health`` and ``/metrics``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition

log = structlog.get_logger("copyflow.liveness")

Key = tuple[str, int]


class LagSource(Protocol):
    """What the monitor needs from a consumer (a confluent_kafka.Consumer fits)."""

    def assignment(self) -> list[TopicPartition]: ...

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]: ...

    def committed(
        self, partitions: list[TopicPartition], timeout: float = ...
    ) -> list[TopicPartition]: ...

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = ..., cached: bool = ...
    ) -> tuple[int, int] | None: ...


@dataclass(slots=True)
class PartitionState:
    """What the monitor knows about one assigned partition."""

    position: int | None
    high: int
    lag: int
    since: float
    lag_at_progress: int
    stalled: bool = False


class LagMonitor:
    """Feed it ``tick(consumer)`` from the loop; it checks every ``interval_s``."""

    def __init__(
        self,
        stall_after_s: float = 60.0,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        watermark_timeout_s: float = 2.0,
        watermarks: Any | None = None,
    ) -> None:
        self.stall_after_s = stall_after_s
        self.interval_s = interval_s
        self.clock = clock
        self.watermark_timeout_s = watermark_timeout_s
        # Where high watermarks come from. The worker's own consumer reads read_committed, and
        # librdkafka then answers with the last stable offset, which stops at an open upstream
        # transaction: exactly the stall to detect. So the worker passes a read_uncommitted
        # client here (``watermark_client``); tests may pass none and use the consumer.
        self.watermarks = watermarks
        self.partitions: dict[Key, PartitionState] = {}
        self.stall_events = 0
        self._last_check: float | None = None

    def tick(self, consumer: LagSource) -> None:
        """Check positions against high watermarks, at most once per interval."""
        now = self.clock()
        if self._last_check is not None and now - self._last_check < self.interval_s:
            return
        self._last_check = now
        try:
            assigned = consumer.assignment()
            positions = consumer.position(assigned) if assigned else []
        except KafkaException as exc:
            log.warning("lag_check_failed", error=str(exc.args[0]))
            return
        starts = self._committed_starts(consumer, [tp for tp in positions if tp.offset < 0])
        seen: set[Key] = set()
        for tp in positions:
            key = (tp.topic, tp.partition)
            seen.add(key)
            source = self.watermarks if self.watermarks is not None else consumer
            try:
                marks = source.get_watermark_offsets(
                    TopicPartition(tp.topic, tp.partition),
                    timeout=self.watermark_timeout_s,
                    cached=False,
                )
            except KafkaException as exc:
                log.warning(
                    "lag_check_failed",
                    topic=tp.topic,
                    partition=tp.partition,
                    error=str(exc.args[0]),
                )
                continue
            if marks is None:  # timed out: the broker is away; judge again next interval
                continue
            low, high = marks
            # A negative position means "not fetched yet": nothing consumed since assignment.
            # The group's committed offset is then where reading will start; without one,
            # the whole retained partition is still to read.
            position = tp.offset if tp.offset >= 0 else starts.get(key)
            self.observe(key, position, high, now, low=low)
        for key in list(self.partitions):
            if key not in seen:
                del self.partitions[key]  # revoked: its new owner watches it

    def _committed_starts(
        self, consumer: LagSource, unfetched: list[TopicPartition]
    ) -> dict[Key, int]:
        """Committed offsets of partitions not fetched since assignment. A worker whose
        partitions are idle at the end of their log fetches nothing, and must not read as
        lagging by everything the partition retains."""
        if not unfetched:
            return {}
        try:
            got = consumer.committed(unfetched, timeout=self.watermark_timeout_s)
        except KafkaException as exc:
            log.warning("lag_check_failed", error=str(exc.args[0]))
            return {}
        return {(tp.topic, tp.partition): tp.offset for tp in got if tp.offset >= 0}

    def observe(self, key: Key, position: int | None, high: int, now: float, low: int = 0) -> None:
        """Record one observation of a partition and log a stall or a recovery."""
        state = self.partitions.get(key)
        lag = self._lag(position, high, low)
        if state is None:
            self.partitions[key] = PartitionState(position, high, lag, now, lag)
            return
        moved = position is not None and (state.position is None or position > state.position)
        state.high, state.lag = high, lag
        # Nothing to read is as good as progress: the clock starts when records wait.
        if moved or lag == 0:
            if state.stalled:
                log.info(
                    "partition_recovered",
                    topic=key[0],
                    partition=key[1],
                    stalled_s=round(now - state.since, 1),
                    lag=lag,
                )
            state.position, state.since, state.stalled = position, now, False
            state.lag_at_progress = lag
            return
        if lag > 0 and not state.stalled and now - state.since >= self.stall_after_s:
            state.stalled = True
            self.stall_events += 1
            log.warning(
                "partition_stalled",
                topic=key[0],
                partition=key[1],
                position=position,
                high_watermark=high,
                lag=lag,
                lag_growth=lag - state.lag_at_progress,
                no_progress_s=round(now - state.since, 1),
            )

    @staticmethod
    def _lag(position: int | None, high: int, low: int) -> int:
        # Before the first fetch the whole retained partition counts as lag.
        return max(0, high - (position if position is not None else low))

    def close(self) -> None:
        if self.watermarks is not None:
            self.watermarks.close()

    def stalled(self) -> list[str]:
        """``topic[partition]`` of every partition stalled right now."""
        return [f"{t}[{p}]" for (t, p), s in sorted(self.partitions.items()) if s.stalled]

    def snapshot(self) -> dict[str, Any]:
        """Per-partition lag and stall flags, for /health and /metrics."""
        return {
            f"{t}[{p}]": {
                "position": s.position,
                "high_watermark": s.high,
                "lag": s.lag,
                "stalled": s.stalled,
            }
            for (t, p), s in sorted(self.partitions.items())
        }


def watermark_client(conf: Mapping[str, Any]) -> Any:
    """A consumer that never joins a group, reading high watermarks as read_uncommitted."""
    return Consumer(
        {
            **conf,
            "group.id": "copyflow-lag-probe",
            "enable.auto.commit": False,
            "isolation.level": "read_uncommitted",
        }
    )
