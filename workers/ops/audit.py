"""Prove exactly-once from the outside: every input has exactly one output per kind.

Reads the output topics and the dead-letter topic ``read_committed`` (what a downstream
consumer sees) and compares what is there with what should be there:
- lost: an expected (input, kind) with no output;
- duplicated: outputs beyond the first for an expected (input, kind);
- extra: outputs for an (input, kind) nobody expected.
The same for dead letters, per input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workers.envelope import Envelope
from workers.kafka.dlq import dlq_facts
from workers.ops.bounds import BrokerLookup, PartitionRange
from workers.ops.reading import BoundedReader

OutputKey = tuple[str, int, int, str]  # source topic, partition, offset, kind
InputKey = tuple[str, int, int]  # source topic, partition, offset


def read_committed(conf: Mapping[str, Any], topic: str, lookup: BrokerLookup) -> Iterator[Envelope]:
    """Every committed record of ``topic`` up to its current end."""
    partitions = lookup.topic_partitions(topic) or []
    ranges = [PartitionRange(p, *lookup.watermarks(topic, p)) for p in partitions]
    reader = BoundedReader(conf, topic, ranges, group_id="copyflow-ops-audit")
    try:
        while not reader.done:
            for item in reader.next_batch(1000, timeout_s=1.0):
                yield item.envelope
    finally:
        reader.close()


def count_outputs(
    conf: Mapping[str, Any],
    topics: Iterable[str],
    decode: Callable[[bytes], Mapping[str, Any]],
    lookup: BrokerLookup,
) -> Counter[OutputKey]:
    """How many committed outputs each (source record, kind) has."""
    seen: Counter[OutputKey] = Counter()
    for topic in topics:
        for env in read_committed(conf, topic, lookup):
            rec = decode(env.value)
            seen[
                (
                    rec["source_topic"],
                    int(rec["source_partition"]),
                    int(rec["source_offset"]),
                    rec["kind"],
                )
            ] += 1
    return seen


def count_dead_letters(
    conf: Mapping[str, Any], topic: str, lookup: BrokerLookup
) -> Counter[InputKey]:
    """How many committed dead letters each source record has."""
    seen: Counter[InputKey] = Counter()
    for env in read_committed(conf, topic, lookup):
        f = dlq_facts(list(env.headers))
        seen[
            (
                f.get("source.topic", ""),
                int(f.get("source.partition", -1)),
                int(f.get("source.offset", -1)),
            )
        ] += 1
    return seen


@dataclass(frozen=True, slots=True)
class Tally:
    """Lost, duplicated and extra for one kind of record."""

    expected: int
    seen: int
    lost: int
    duplicated: int
    extra: int

    @property
    def exact(self) -> bool:
        return self.lost == self.duplicated == self.extra == 0


def tally(expected: Iterable[Any], seen: Counter[Any]) -> Tally:
    want = set(expected)
    return Tally(
        expected=len(want),
        seen=sum(seen.values()),
        lost=sum(1 for k in want if seen[k] == 0),
        duplicated=sum(c - 1 for k, c in seen.items() if k in want and c > 1),
        extra=sum(c for k, c in seen.items() if k not in want),
    )


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The verdict for outputs and dead letters."""

    outputs: Tally
    dead_letters: Tally

    @property
    def exact(self) -> bool:
        return self.outputs.exact and self.dead_letters.exact

    def text(self) -> str:
        o, d = self.outputs, self.dead_letters
        return (
            f"outputs: expected={o.expected} seen={o.seen} lost={o.lost} duplicated={o.duplicated} "
            f"extra={o.extra}; dead letters: expected={d.expected} seen={d.seen} lost={d.lost} "
            f"duplicated={d.duplicated} extra={d.extra}"
        )


def audit(
    conf: Mapping[str, Any],
    output_topics: Iterable[str],
    dead_letter_topic: str,
    expected_outputs: Iterable[OutputKey],
    expected_dead_letters: Iterable[InputKey],
    decode: Callable[[bytes], Mapping[str, Any]],
) -> AuditReport:
    """Read everything committed and compare it with what the inputs call for."""
    lookup = BrokerLookup(conf)
    try:
        outputs = count_outputs(conf, output_topics, decode, lookup)
        dead = count_dead_letters(conf, dead_letter_topic, lookup)
    finally:
        lookup.close()
    return AuditReport(tally(expected_outputs, outputs), tally(expected_dead_letters, dead))


def expect_outputs(
    topic: str, placed: Iterable[tuple[int, int]], kinds: Iterable[str]
) -> set[OutputKey]:
    """The outputs inputs at ``placed`` (partition, offset) call for, one per kind."""
    wanted = tuple(kinds)
    return {(topic, p, o, k) for p, o in placed for k in wanted}


def expect_dead_letters(topic: str, placed: Iterable[tuple[int, int]]) -> set[InputKey]:
    """One dead letter per bad input at ``placed``."""
    return {(topic, p, o) for p, o in placed}
