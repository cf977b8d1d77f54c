"""A scripted OffsetLookup: topics, watermarks, time index and first timestamps."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeLookup:
    """``times[(topic, partition)]`` lists record timestamps from the log start (``low``)."""

    partitions: dict[str, list[int]] = field(default_factory=dict)
    marks: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    times: dict[tuple[str, int], list[int]] = field(default_factory=dict)

    def topic_partitions(self, topic: str) -> list[int] | None:
        return self.partitions.get(topic)

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        return self.marks[(topic, partition)]

    def offset_for_time(self, topic: str, partition: int, time_ms: int) -> int:
        low, _high = self.marks[(topic, partition)]
        for i, ts in enumerate(self.times.get((topic, partition), [])):
            if ts >= time_ms:
                return low + i
        return -1

    def first_timestamp(self, topic: str, partition: int, offset: int) -> int | None:
        ts = self.times.get((topic, partition), [])
        return ts[0] if ts else None


def two_partitions(topic: str = "src", low: int = 0) -> FakeLookup:
    """``topic`` with partitions 0 and 1, ten records each, at t = 1000, 2000, ... 10000."""
    return FakeLookup(
        partitions={topic: [0, 1], "side": [0], "side-dlq": [0]},
        marks={(topic, 0): (low, low + 10), (topic, 1): (low, low + 10)},
        times={
            (topic, 0): [1000 * (i + 1) for i in range(10)],
            (topic, 1): [1000 * (i + 1) for i in range(10)],
        },
    )
