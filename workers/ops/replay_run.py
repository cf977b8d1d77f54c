"""Execute a replay plan: read the range, generate, write, checkpoint, one transaction per batch.

Each batch's outputs, dead letters and the replay group's offsets commit in one transaction,
so the checkpoint can never run ahead of or behind the outputs: an interrupted replay resumes
exactly where its last transaction ended. The live group's offsets are never read or written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from workers.errors import Transient
from workers.generator.loop import handle_isolating
from workers.generator.pipeline import Output, Pipeline
from workers.kafka.dlq import dead_letter_headers
from workers.ops.bounds import PartitionRange
from workers.ops.progress import Progress
from workers.ops.ratelimit import RateLimiter
from workers.ops.reading import BoundedReader
from workers.ops.replay_plan import ReplayPlan
from workers.ops.txn import OutRecord, TransactionalWriter

log = structlog.get_logger("copyflow.replay")

MAX_CONSECUTIVE_ABORTS = 5


@dataclass(slots=True)
class ReplaySummary:
    """What a replay did in this run (``already_done``: offsets finished by earlier runs)."""

    replay_id: str
    planned: int
    read: int = 0
    generated: int = 0
    dead_lettered: int = 0
    skipped: int = 0  # inputs: tombstones, or nothing of the chosen kinds in them
    already_done: int = 0
    transactions: int = 0
    elapsed_s: float = 0.0
    complete: bool = False
    interrupted: bool = False

    @property
    def rate(self) -> float:
        return self.read / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def counters(self) -> dict[str, int]:
        return {
            "generated": self.generated,
            "dead_lettered": self.dead_lettered,
            "skipped": self.skipped,
        }

    def text(self) -> str:
        state = "complete" if self.complete else "interrupted (rerun the same command to resume)"
        return (
            f"replay {self.replay_id} {state}\n"
            f"  read={self.read} generated={self.generated} dead_lettered={self.dead_lettered} "
            f"skipped={self.skipped} already_done={self.already_done} "
            f"transactions={self.transactions} time={self.elapsed_s:.1f}s rate={self.rate:.1f}/s"
        )


# The group coordinator moves or is still loading (a broker just started, a leader changed):
# the answer comes a moment later, so these are waited out rather than reported.
_COORDINATOR_SETTLING = frozenset(
    {
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }
)


def committed_offsets(
    conf: Mapping[str, Any], plan: ReplayPlan, timeout_s: float = 30.0
) -> dict[int, int]:
    """The replay group's checkpoint: next offset to read per partition (absent: none yet)."""
    consumer = Consumer({**conf, "group.id": plan.group_id, "enable.auto.commit": False})
    partitions = [TopicPartition(plan.source, r.partition) for r in plan.ranges]
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                got = consumer.committed(partitions, max(1.0, deadline - time.monotonic()))
                break
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                settling = isinstance(error, KafkaError) and error.code() in _COORDINATOR_SETTLING
                if not settling or time.monotonic() >= deadline:
                    raise
                log.info("replay_checkpoint_coordinator_settling", error=str(error))
                time.sleep(0.5)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in got if tp.offset >= 0 and tp.error is None}


def remaining_ranges(plan: ReplayPlan, done: Mapping[int, int]) -> list[PartitionRange]:
    """The plan's ranges minus what the checkpoint says is done."""
    out = []
    for r in plan.ranges:
        start = min(max(r.start, done.get(r.partition, r.start)), r.end)
        out.append(PartitionRange(r.partition, start, r.end))
    return out


def _kind_of(o: Output) -> str:
    return dict(o.headers).get("copyflow.kind", b"").decode()


class ReplayRunner:
    """Runs one plan to completion, interruption (``stop``) or a persistent failure."""

    def __init__(
        self,
        plan: ReplayPlan,
        conf: Mapping[str, Any],
        pipeline: Pipeline,
        batch_size: int = 64,
        rate_per_s: float | None = None,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.plan = plan
        self.conf = dict(conf)
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.limiter = RateLimiter(rate_per_s) if rate_per_s else None
        self.progress = progress
        self.stop = stop or threading.Event()
        self.summary = ReplaySummary(plan.replay_id, plan.total)

    def _records(self, outcomes: list[Any]) -> list[OutRecord]:
        records: list[OutRecord] = []
        for o in outcomes:
            if isinstance(o, Output):
                if _kind_of(o) not in self.plan.kinds:
                    continue  # only with a pipeline that does not filter kinds itself
                self.summary.generated += 1
                records.append(OutRecord(self.plan.out, o.key, o.value, o.headers))
            else:
                self.summary.dead_lettered += 1
                log.warning(
                    "replay_dead_lettered",
                    partition=o.source.partition,
                    offset=o.source.offset,
                    stage=o.stage,
                    reason=o.reason,
                )
                if self.plan.dlq is not None:
                    headers = tuple(dead_letter_headers(o.source, o.stage, o.reason))
                    records.append(OutRecord(self.plan.dlq, o.source.key, o.source.value, headers))
        return records

    def _open_reader(self) -> BoundedReader:
        done = committed_offsets(self.conf, self.plan)
        ranges = remaining_ranges(self.plan, done)
        return BoundedReader(self.conf, self.plan.source, ranges, group_id=self.plan.group_id)

    def run(self) -> ReplaySummary:
        started = time.monotonic()
        writer = TransactionalWriter(self.conf, self.plan.transactional_id)
        done = committed_offsets(self.conf, self.plan)
        self.summary.already_done = sum(r.count for r in self.plan.ranges) - sum(
            r.count for r in remaining_ranges(self.plan, done)
        )
        reader = self._open_reader()
        aborts = 0
        try:
            while not reader.done:
                if self.stop.is_set():
                    self.summary.interrupted = True
                    break
                items = reader.next_batch(self.batch_size, timeout_s=0.5)
                if not items:
                    continue
                if self.limiter is not None:
                    self.limiter.acquire(len(items))
                # Counters are applied only when the transaction commits.
                before = (self.summary.generated, self.summary.dead_lettered, self.summary.skipped)
                live = [i.envelope for i in items if not i.tombstone]
                outcomes = handle_isolating(live, self.pipeline)
                records = self._records(outcomes)
                # Skipped: tombstones, and inputs with nothing of the chosen kinds to write.
                answered = {id(o.source) for o in outcomes}
                skipped = len(items) - len(live) + sum(1 for e in live if id(e) not in answered)
                offsets = [
                    TopicPartition(self.plan.source, p, reader.positions[p])
                    for p in sorted({i.envelope.partition for i in items})
                ]
                try:
                    writer.write(records, offsets, reader.consumer.consumer_group_metadata())
                except Transient as exc:
                    aborts += 1
                    (self.summary.generated, self.summary.dead_lettered, self.summary.skipped) = (
                        before
                    )
                    log.warning("replay_batch_aborted", error=str(exc), attempt=aborts)
                    if aborts >= MAX_CONSECUTIVE_ABORTS:
                        raise
                    # Re-read from the checkpoint: the aborted batch left no trace.
                    reader.close()
                    time.sleep(min(0.5 * 2**aborts, 10.0))
                    reader = self._open_reader()
                    continue
                aborts = 0
                self.summary.read += len(items)
                self.summary.skipped += skipped
                self.summary.transactions += 1
                if self.progress is not None:
                    self.progress.update(
                        self.summary.already_done + self.summary.read, self.summary.counters()
                    )
            self.summary.complete = reader.done
        finally:
            reader.close()
            writer.close()
            self.summary.elapsed_s = time.monotonic() - started
            if self.progress is not None:
                self.progress.update(
                    self.summary.already_done + self.summary.read,
                    self.summary.counters(),
                    force=True,
                )
                self.progress.finish()
        log.info(
            "replay_finished",
            replay_id=self.plan.replay_id,
            complete=self.summary.complete,
            read=self.summary.read,
            generated=self.summary.generated,
            dead_lettered=self.summary.dead_lettered,
            skipped=self.summary.skipped,
            elapsed_s=round(self.summary.elapsed_s, 2),
        )
        return self.summary
