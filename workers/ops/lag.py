"""A consumer group's lag per partition, read from outside the group (no join, no commit)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from workers.ops.bounds import BrokerLookup


@dataclass(frozen=True, slots=True)
class PartitionLag:
    """Committed offset, end of log and lag of one partition (committed None: never committed)."""

    topic: str
    partition: int
    committed: int | None
    low: int
    high: int

    @property
    def lag(self) -> int:
        start = self.committed if self.committed is not None else self.low
        return max(0, self.high - start)


def group_lag(
    conf: Mapping[str, Any], group_id: str, topics: Sequence[str], timeout_s: float = 10.0
) -> list[PartitionLag]:
    """Lag of ``group_id`` on every partition of ``topics`` (OffsetFetch, which never joins)."""
    lookup = BrokerLookup(conf, timeout_s)
    consumer = Consumer({**conf, "group.id": group_id, "enable.auto.commit": False})
    try:
        tps = [TopicPartition(t, p) for t in topics for p in (lookup.topic_partitions(t) or [])]
        committed = {
            (tp.topic, tp.partition): tp.offset
            for tp in (_committed(consumer, tps, timeout_s) if tps else [])
        }
        out = []
        for tp in tps:
            low, high = lookup.watermarks(tp.topic, tp.partition)
            c = committed.get((tp.topic, tp.partition), -1)
            out.append(PartitionLag(tp.topic, tp.partition, c if c >= 0 else None, low, high))
        return out
    finally:
        consumer.close()
        lookup.close()


# The group coordinator can move or still be loading (a fresh broker creates
# __consumer_offsets on first use); those answers mean "ask again", not "no lag known".
_COORDINATOR_BUSY = frozenset(
    {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }
)


def _committed(
    consumer: Consumer, tps: list[TopicPartition], timeout_s: float
) -> list[TopicPartition]:
    """The group's committed offsets, asked again while the coordinator is busy, up to timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return list(consumer.committed(tps, max(0.1, deadline - time.monotonic())))
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            busy = isinstance(error, KafkaError) and error.code() in _COORDINATOR_BUSY
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def total_lag(lags: Sequence[PartitionLag]) -> int:
    return sum(p.lag for p in lags)
