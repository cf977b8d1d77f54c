"""Re-publish chosen dead letters to their source topic: a dry run unless told to execute.

The record goes back as it came: same key, same value bytes, its original headers (the
``copyflow.dlq.*`` facts removed), plus ``copyflow.redrive.*`` headers saying where it came
from and how many times it has been redriven. A record redriven ``max_redrives`` times, one
whose stored value was truncated, or one without a known source topic is refused, with the
reason, instead of being sent. All records of one redrive go in transactions of up to
``chunk`` records; outputs are idempotent downstream by their deterministic content id.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workers.kafka.dlq import HEADER_PREFIX
from workers.ops.dlq_inspect import REDRIVE_PREFIX, DeadLetterRow, Filters
from workers.ops.txn import OutRecord, TransactionalWriter


@dataclass(slots=True)
class RedrivePlan:
    """What a redrive would send, and what it refuses to send and why."""

    selected: list[DeadLetterRow] = field(default_factory=list)
    refused: list[tuple[DeadLetterRow, str]] = field(default_factory=list)

    def by_topic(self) -> Counter[str]:
        return Counter(r.source_topic for r in self.selected)

    def text(self, dlq_topic: str, execute: bool) -> str:
        verb = "redriving" if execute else "would redrive (dry run; --execute to send)"
        lines = [f"{dlq_topic}: {verb} {len(self.selected)} records"]
        for topic, n in self.by_topic().most_common():
            lines.append(f"    {n:>7}  -> {topic}")
        for row in self.selected[:10]:
            lines.append(f"    {row.partition}:{row.offset}  {row.stage}  {row.reason[:80]}")
        if len(self.selected) > 10:
            lines.append(f"    ... {len(self.selected) - 10} more")
        if self.refused:
            lines.append(f"  refused {len(self.refused)}:")
            reasons = Counter(why for _, why in self.refused)
            for why, n in reasons.most_common():
                lines.append(f"    {n:>7}  {why}")
        return "\n".join(lines)


def plan_redrive(
    rows: Sequence[DeadLetterRow], filters: Filters, known_topics: set[str], max_redrives: int = 3
) -> RedrivePlan:
    """Select the rows matching ``filters``; refuse the ones that must not go back."""
    plan = RedrivePlan()
    for row in rows:
        if not filters.match(row):
            continue
        if row.truncated:
            plan.refused.append((row, "value was truncated when dead-lettered"))
        elif not row.source_topic:
            plan.refused.append((row, "no source topic header"))
        elif row.source_topic not in known_topics:
            plan.refused.append((row, f"source topic {row.source_topic} does not exist"))
        elif row.redrives >= max_redrives:
            plan.refused.append((row, f"already redriven {row.redrives} times (--max-redrives)"))
        else:
            plan.selected.append(row)
    return plan


def redrive_record(row: DeadLetterRow, dlq_topic: str, now_ms: int | None = None) -> OutRecord:
    """The record to send back: original bytes and headers, plus the redrive trail."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    kept = tuple(
        (k, v)
        for k, v in row.headers
        if not k.startswith(HEADER_PREFIX) and not k.startswith(REDRIVE_PREFIX)
    )
    trail = (
        (REDRIVE_PREFIX + "count", str(row.redrives + 1).encode()),
        (REDRIVE_PREFIX + "from", f"{dlq_topic}:{row.partition}:{row.offset}".encode()),
        (REDRIVE_PREFIX + "at", str(now_ms).encode()),
    )
    return OutRecord(row.source_topic, row.key, row.value, kept + trail)


def execute_redrive(
    plan: RedrivePlan, conf: Mapping[str, Any], dlq_topic: str, chunk: int = 500
) -> int:
    """Send the selected records, ``chunk`` per transaction; return how many were sent."""
    if not plan.selected:
        return 0
    selection = ",".join(f"{r.partition}:{r.offset}" for r in plan.selected)
    txn_id = (
        "copyflow-redrive-" + hashlib.sha256(f"{dlq_topic}|{selection}".encode()).hexdigest()[:16]
    )
    writer = TransactionalWriter(conf, txn_id)
    sent = 0
    try:
        for start in range(0, len(plan.selected), chunk):
            records = [redrive_record(r, dlq_topic) for r in plan.selected[start : start + chunk]]
            writer.write(records)
            sent += len(records)
    finally:
        writer.close()
    return sent
