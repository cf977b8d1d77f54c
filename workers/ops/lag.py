"""A consumer group's lag per partition, read from outside the group (no join, no commit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, TopicPartition

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
            for tp in (consumer.committed(tps, timeout_s) if tps else [])
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


def total_lag(lags: Sequence[PartitionLag]) -> int:
    return sum(p.lag for p in lags)
