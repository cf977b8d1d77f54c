"""Read a bounded range of a topic with ``assign()``: no subscription, no group membership.

The reader never commits on its own, so it cannot move any group's offsets; replays commit
theirs inside their own transactions, under their own group id. It reads ``read_committed``
and knows that a range may end in offsets it will never see (transaction markers, records of
aborted transactions): a partition is done when a record at or past its end arrives, or when
the reader reaches the end of the partition at or past its end.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from workers.envelope import Envelope
from workers.errors import Fatal, Transient
from workers.ops.bounds import PartitionRange


@dataclass(frozen=True, slots=True)
class ReadItem:
    """One record of the range; ``tombstone`` when its value was null."""

    envelope: Envelope
    tombstone: bool


class BoundedReader:
    """Batches of records from ``[start, end)`` of each partition, in offset order per partition."""

    def __init__(
        self,
        conf: Mapping[str, object],
        topic: str,
        ranges: Sequence[PartitionRange],
        group_id: str = "copyflow-ops-reader",
        stuck_timeout_s: float = 60.0,
        consumer: Any | None = None,
    ) -> None:
        self.topic = topic
        self.ends = {r.partition: r.end for r in ranges}
        self.positions = {r.partition: r.start for r in ranges}
        self.pending = {r.partition for r in ranges if r.start < r.end}
        self.stuck_timeout_s = stuck_timeout_s
        self._consumer = consumer or Consumer(
            {
                # What downstream consumers see; a caller's conf may ask for read_uncommitted.
                "isolation.level": "read_committed",
                **conf,
                "group.id": group_id,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                # A start offset that vanished (retention ran since the plan) must fail loudly,
                # never silently read from somewhere else.
                "auto.offset.reset": "error",
            }
        )
        self._last_record = time.monotonic()
        if self.pending:
            self._consumer.assign(
                [
                    TopicPartition(topic, r.partition, r.start)
                    for r in ranges
                    if r.partition in self.pending
                ]
            )

    @property
    def consumer(self) -> Any:
        return self._consumer

    @property
    def done(self) -> bool:
        return not self.pending

    def _finish(self, partition: int) -> None:
        if partition in self.pending:
            self.pending.discard(partition)
            self._consumer.pause([TopicPartition(self.topic, partition)])

    def next_batch(self, max_records: int, timeout_s: float = 1.0) -> list[ReadItem]:
        """Up to ``max_records`` records; empty when none came within ``timeout_s`` or all done."""
        if self.done:
            return []
        items: list[ReadItem] = []
        for msg in self._consumer.consume(num_messages=max_records, timeout=timeout_s):
            p = msg.partition()
            offset = msg.offset()
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    if p is not None and offset is not None and offset >= self.ends.get(p, 0):
                        self._finish(p)
                    continue
                if err.fatal():
                    raise Fatal(f"reader: {err}")
                if err.code() == KafkaError._AUTO_OFFSET_RESET:
                    raise Fatal(f"reader: a start offset is gone (retention?): {err}")
                raise Transient(f"reader: {err}")
            if p is None or offset is None or p not in self.pending:
                continue
            if offset >= self.ends[p]:
                self._finish(p)
                continue
            self.positions[p] = offset + 1
            if offset + 1 >= self.ends[p]:
                self._finish(p)
            items.append(ReadItem(Envelope.from_message(msg), msg.value() is None))
        if items:
            self._last_record = time.monotonic()
        elif not self.done and time.monotonic() - self._last_record > self.stuck_timeout_s:
            stuck = {p: self.positions[p] for p in sorted(self.pending)}
            raise Transient(
                f"no records for {self.stuck_timeout_s:.0f}s before the end of the range at "
                f"{stuck} (an open transaction holding the read_committed reader back?)"
            )
        return items

    def close(self) -> None:
        self._consumer.close()
