"""Range bounds for replays: ``TIME|OFFSET`` on the command line, resolved per partition.

Accepted forms:
- ``earliest`` / ``latest``: the log start / the end of the log when the plan is made;
- ``1234``: the same offset in every partition;
- ``0:1200,2:1350``: offsets per partition (every selected partition must be listed);
- a time: ISO-8601 (``2025-03-01``, ``2025-03-01T12:00:00Z``; no zone means UTC),
  ``@1740830400000`` (epoch milliseconds), ``now``, or an age like ``-90m``, ``-2h``, ``-7d``.

A range is half-open, ``[from, to)``: a time bound resolves with ``offsets_for_times`` to the
first record at or after that time, so ``--from T1 --to T2`` holds the records with
``T1 <= timestamp < T2``. Bounds are resolved once, when the plan is made: a replay never chases
records that arrive while it runs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from confluent_kafka import Consumer, TopicPartition

from workers.errors import BadInput, Transient

BoundKind = Literal["earliest", "latest", "offset", "partition_offsets", "time"]

_PER_PARTITION = re.compile(r"^\d+:\d+(,\d+:\d+)*$")
_AGE = re.compile(r"^-(\d+)([smhd])$")
_AGE_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def cli_error(reason: str) -> BadInput:
    """The error every bad command-line value raises: exit code 2, nothing written."""
    return BadInput("cli", reason)


@dataclass(frozen=True, slots=True)
class Bound:
    """One parsed ``--from``/``--to`` value."""

    kind: BoundKind
    text: str
    offset: int | None = None
    time_ms: int | None = None
    per_partition: Mapping[int, int] | None = None


def parse_bound(text: str, now_ms: int | None = None) -> Bound:
    """Parse ``TIME|OFFSET``; raise BadInput("cli") with a readable reason when it is neither."""
    raw = text.strip()
    low = raw.lower()
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if low in ("earliest", "latest"):
        return Bound(low, raw)  # type: ignore[arg-type]  # narrowed by the test above
    if raw.isdigit():
        return Bound("offset", raw, offset=int(raw))
    if _PER_PARTITION.match(raw):
        pairs = [part.split(":") for part in raw.split(",")]
        mapping = {int(p): int(o) for p, o in pairs}
        if len(mapping) != len(pairs):
            raise cli_error(f"partition listed twice in {raw!r}")
        return Bound("partition_offsets", raw, per_partition=mapping)
    if low == "now":
        return Bound("time", raw, time_ms=now_ms)
    if raw.startswith("@") and raw[1:].isdigit():
        return Bound("time", raw, time_ms=int(raw[1:]))
    age = _AGE.match(low)
    if age:
        return Bound("time", raw, time_ms=now_ms - int(age.group(1)) * _AGE_UNIT_MS[age.group(2)])
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise cli_error(
            f"not a time or an offset: {raw!r} (use earliest, latest, 1234, 0:12,1:40, "
            "2025-03-01T12:00:00Z, @<epoch ms>, now or -2h)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return Bound("time", raw, time_ms=int(parsed.timestamp() * 1000))


class OffsetLookup(Protocol):
    """What resolving needs from the broker; ``BrokerLookup`` is the Kafka-backed one."""

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]: ...

    def offset_for_time(self, topic: str, partition: int, time_ms: int) -> int: ...

    def first_timestamp(self, topic: str, partition: int, offset: int) -> int | None: ...


def check_order(start: Bound, end: Bound) -> None:
    """Reject ranges that are inverted whatever the partition (checked before any broker call)."""
    inverted = (
        (start.kind == end.kind == "time" and (start.time_ms or 0) > (end.time_ms or 0))
        or (start.kind == end.kind == "offset" and (start.offset or 0) > (end.offset or 0))
        or (start.kind == "latest" and end.kind == "earliest")
    )
    if inverted:
        raise cli_error(f"inverted range: --from {start.text} is after --to {end.text}")


def _fmt_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def resolve_bound(
    bound: Bound, role: Literal["from", "to"], topic: str, partition: int, lookup: OffsetLookup
) -> int:
    """The offset ``bound`` means in one partition; raise BadInput("cli") if it cannot mean one."""
    low, high = lookup.watermarks(topic, partition)
    where = f"{topic}[{partition}]"
    if bound.kind == "earliest":
        return low
    if bound.kind == "latest":
        return high
    if bound.kind in ("offset", "partition_offsets"):
        if bound.kind == "offset":
            assert bound.offset is not None
            offset = bound.offset
        else:
            assert bound.per_partition is not None
            if partition not in bound.per_partition:
                raise cli_error(f"--{role} {bound.text} lists no offset for partition {partition}")
            offset = bound.per_partition[partition]
        if offset < low:
            raise cli_error(
                f"--{role} offset {offset} in {where} is before the log start {low}: "
                "those records were deleted by retention"
            )
        if offset > high:
            raise cli_error(
                f"--{role} offset {offset} in {where} is past the end of the log ({high})"
            )
        return offset
    assert bound.time_ms is not None
    if low > 0:
        # Records were deleted: a time before the first retained record asks for lost data.
        first_ts = lookup.first_timestamp(topic, partition, low)
        if first_ts is not None and bound.time_ms < first_ts:
            raise cli_error(
                f"--{role} {bound.text} ({_fmt_ms(bound.time_ms)}) is before the oldest retained "
                f"record of {where} ({_fmt_ms(first_ts)}): older records were deleted by retention"
            )
    offset = lookup.offset_for_time(topic, partition, bound.time_ms)
    return high if offset < 0 else max(low, min(offset, high))


@dataclass(frozen=True, slots=True)
class PartitionRange:
    """Records ``[start, end)`` of one partition."""

    partition: int
    start: int
    end: int

    @property
    def count(self) -> int:
        return max(0, self.end - self.start)


def resolve_ranges(
    topic: str, partitions: Sequence[int], start: Bound, end: Bound, lookup: OffsetLookup
) -> list[PartitionRange]:
    """Resolve both bounds in every partition; reject an inverted range in any of them."""
    check_order(start, end)
    ranges: list[PartitionRange] = []
    for p in partitions:
        a = resolve_bound(start, "from", topic, p, lookup)
        b = resolve_bound(end, "to", topic, p, lookup)
        if a > b:
            raise cli_error(f"inverted range in {topic}[{p}]: --from resolves to {a}, --to to {b}")
        ranges.append(PartitionRange(p, a, b))
    return ranges


def parse_partitions(text: str | None, available: Sequence[int]) -> list[int]:
    """``--partitions 0,2`` (or ``0-3``) against the partitions the topic has; None means all."""
    if text is None or not text.strip():
        return sorted(available)
    chosen: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                chosen.update(range(a, b + 1))
            else:
                chosen.add(int(part))
        except ValueError:
            raise cli_error(f"bad --partitions value {part!r}: use 0,1,2 or 0-2") from None
    missing = sorted(chosen - set(available))
    if missing:
        raise cli_error(f"no such partitions: {missing} (the topic has {sorted(available)})")
    return sorted(chosen)


class BrokerLookup:
    """``OffsetLookup`` backed by a plain consumer (no subscription, no commits, no group)."""

    def __init__(self, conf: Mapping[str, object], timeout_s: float = 10.0) -> None:
        self._conf = {
            **conf,
            "group.id": "copyflow-ops-lookup",  # required by the client; never joined
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
        self._consumer = Consumer(self._conf)
        self.timeout_s = timeout_s

    def close(self) -> None:
        self._consumer.close()

    def all_topics(self) -> set[str]:
        """Every topic name the cluster has."""
        return set(self._consumer.list_topics(timeout=self.timeout_s).topics)

    def topic_partitions(self, topic: str) -> list[int] | None:
        """The partition ids of ``topic``, or None when it does not exist."""
        md = self._consumer.list_topics(topic, timeout=self.timeout_s)
        info = md.topics.get(topic)
        if info is None or info.error is not None:
            return None
        return sorted(info.partitions)

    def watermarks(self, topic: str, partition: int) -> tuple[int, int]:
        marks = self._consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=self.timeout_s, cached=False
        )
        if marks is None:
            raise Transient(f"no watermarks for {topic}[{partition}] within {self.timeout_s}s")
        return int(marks[0]), int(marks[1])

    def offset_for_time(self, topic: str, partition: int, time_ms: int) -> int:
        got = self._consumer.offsets_for_times(
            [TopicPartition(topic, partition, time_ms)], self.timeout_s
        )
        return int(got[0].offset)

    def first_timestamp(self, topic: str, partition: int, offset: int) -> int | None:
        """The timestamp of the first readable record at or after ``offset``."""
        consumer = Consumer({**self._conf, "enable.partition.eof": True})
        try:
            consumer.assign([TopicPartition(topic, partition, offset)])
            deadline = time.monotonic() + self.timeout_s
            while time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error() is not None:
                    return None  # end of partition or an error: no timestamp to compare
                return int(msg.timestamp()[1])
            return None
        finally:
            consumer.close()
