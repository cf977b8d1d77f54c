"""Read the dead-letter topic and summarize it: counts by stage, class, reason and source topic.

A dead letter is the original record (bytes, key, headers) plus ``copyflow.dlq.*`` headers;
see ``workers.kafka.dlq``. Reading uses ``assign()`` up to the end of the log at the time of
the call, so inspecting never joins a group or moves an offset.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workers.kafka.dlq import dlq_facts
from workers.ops.bounds import PartitionRange, cli_error
from workers.ops.reading import BoundedReader

REDRIVE_PREFIX = "copyflow.redrive."


@dataclass(frozen=True, slots=True)
class DeadLetterRow:
    """One dead letter with its facts read back from the headers."""

    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    facts: Mapping[str, str]

    @property
    def stage(self) -> str:
        return self.facts.get("stage", "?")

    @property
    def reason(self) -> str:
        return self.facts.get("reason", "")

    @property
    def error_class(self) -> str:
        return self.facts.get("class", "?")

    @property
    def source_topic(self) -> str:
        return self.facts.get("source.topic", "")

    @property
    def redrives(self) -> int:
        for k, v in self.headers:
            if k == REDRIVE_PREFIX + "count":
                try:
                    return int(v.decode())
                except ValueError:
                    return 0
        return 0

    @property
    def truncated(self) -> bool:
        return "truncated_from" in self.facts


@dataclass(frozen=True, slots=True)
class OffsetSelection:
    """``--offsets 0:10-20,1:5``: DLQ offsets per partition (inclusive ranges)."""

    spans: Mapping[int, tuple[tuple[int, int], ...]]

    def __contains__(self, where: tuple[int, int]) -> bool:
        partition, offset = where
        return any(a <= offset <= b for a, b in self.spans.get(partition, ()))


def parse_offsets(text: str) -> OffsetSelection:
    """Parse ``P:A-B`` / ``P:O`` items separated by commas."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for item in text.split(","):
        item = item.strip()
        m = re.fullmatch(r"(\d+):(\d+)(?:-(\d+))?", item)
        if not m:
            raise cli_error(
                f"bad --offsets item {item!r}: use PARTITION:OFFSET or PARTITION:FROM-TO"
            )
        a = int(m.group(2))
        b = int(m.group(3)) if m.group(3) else a
        if a > b:
            raise cli_error(f"inverted offsets {item!r}")
        spans.setdefault(int(m.group(1)), []).append((a, b))
    return OffsetSelection({p: tuple(v) for p, v in spans.items()})


@dataclass(frozen=True, slots=True)
class Filters:
    """Which dead letters a command acts on; empty filters select everything."""

    stage: str | None = None
    reason: str | None = None
    source_topic: str | None = None
    error_class: str | None = None
    offsets: OffsetSelection | None = None

    def match(self, row: DeadLetterRow) -> bool:
        if self.stage is not None and row.stage != self.stage:
            return False
        if self.reason is not None and self.reason.lower() not in row.reason.lower():
            return False
        if self.source_topic is not None and row.source_topic != self.source_topic:
            return False
        if self.error_class is not None and row.error_class != self.error_class:
            return False
        return self.offsets is None or (row.partition, row.offset) in self.offsets


def facts_of(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    return dlq_facts(list(headers))


def read_dead_letters(
    conf: Mapping[str, Any], topic: str, lookup: Any, partitions: Sequence[int] | None = None
) -> list[DeadLetterRow]:
    """Every committed dead letter from the log start to the current end."""
    available = lookup.topic_partitions(topic)
    if available is None:
        raise cli_error(f"unknown topic: {topic}")
    chosen = available if partitions is None else [p for p in available if p in set(partitions)]
    ranges = []
    for p in chosen:
        low, high = lookup.watermarks(topic, p)
        ranges.append(PartitionRange(p, low, high))
    reader = BoundedReader(conf, topic, ranges, group_id="copyflow-ops-dlq-reader")
    rows: list[DeadLetterRow] = []
    try:
        while not reader.done:
            for item in reader.next_batch(500, timeout_s=1.0):
                env = item.envelope
                rows.append(
                    DeadLetterRow(
                        env.partition,
                        env.offset,
                        env.timestamp_ms,
                        env.key,
                        env.value,
                        env.headers,
                        facts_of(env.headers),
                    )
                )
    finally:
        reader.close()
    return rows


_NUMBER = re.compile(r"\d+(\.\d+)?")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def reason_pattern(reason: str, limit: int = 90) -> str:
    """Group similar reasons: numbers become N and quoted values '…', cut to ``limit``."""
    text = _QUOTED.sub("'…'", reason)
    text = _NUMBER.sub("N", text)
    return text[:limit]


@dataclass(slots=True)
class Summary:
    """Counts for ``copyflow dlq inspect``."""

    total: int = 0
    matched: int = 0
    by_stage: Counter[str] = field(default_factory=Counter)
    by_class: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    by_source_topic: Counter[str] = field(default_factory=Counter)
    samples: list[DeadLetterRow] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "matched": self.matched,
            "by_stage": dict(self.by_stage.most_common()),
            "by_class": dict(self.by_class.most_common()),
            "by_reason": dict(self.by_reason.most_common()),
            "by_source_topic": dict(self.by_source_topic.most_common()),
            "samples": [sample_json(r) for r in self.samples],
        }


def preview(value: bytes, limit: int = 60) -> str:
    """A printable, bounded view of raw bytes (hostile values must not mess up a terminal)."""
    text = value[:limit].decode("utf-8", "backslashreplace")
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return text + ("…" if len(value) > limit else "")


def sample_json(row: DeadLetterRow) -> dict[str, Any]:
    f = row.facts
    return {
        "partition": row.partition,
        "offset": row.offset,
        "stage": row.stage,
        "class": row.error_class,
        "reason": row.reason,
        "source": f"{row.source_topic}[{f.get('source.partition')}]@{f.get('source.offset')}",
        "dead_lettered_at": row.facts.get("timestamp"),
        "bytes": len(row.value),
        "redrives": row.redrives,
        "value": preview(row.value),
    }


def summarize(rows: Sequence[DeadLetterRow], filters: Filters, samples: int = 5) -> Summary:
    """Counts over the rows that match ``filters``, and the first ``samples`` of them."""
    s = Summary(total=len(rows))
    for row in rows:
        if not filters.match(row):
            continue
        s.matched += 1
        s.by_stage[row.stage] += 1
        s.by_class[row.error_class] += 1
        s.by_reason[reason_pattern(row.reason)] += 1
        s.by_source_topic[row.source_topic] += 1
        if len(s.samples) < samples:
            s.samples.append(row)
    return s


def format_summary(s: Summary, topic: str) -> str:
    """The human table printed by ``copyflow dlq inspect``."""
    lines = [f"{topic}: {s.total} dead letters, {s.matched} match the filters"]
    for title, counter in (
        ("by stage", s.by_stage),
        ("by class", s.by_class),
        ("by source topic", s.by_source_topic),
        ("by reason", s.by_reason),
    ):
        lines.append(f"  {title}:")
        for name, count in counter.most_common(10):
            lines.append(f"    {count:>7}  {name or '?'}")
        if len(counter) > 10:
            lines.append(f"    ... {len(counter) - 10} more")
    if s.samples:
        lines.append("  samples:")
        for row in s.samples:
            j = sample_json(row)
            lines.append(
                f"    {j['partition']}:{j['offset']}  {j['stage']}/{j['class']}  {j['source']}  "
                f"{j['bytes']}B  {j['reason'][:80]}"
            )
            lines.append(f"        value: {j['value']}")
    return "\n".join(lines)
