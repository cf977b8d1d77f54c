"""The generator's Kafka loop: consume a micro-batch, handle it, publish, commit.

Exactly-once (default): outputs, dead letters and input offsets are committed in one Kafka
transaction (``send_offsets_to_transaction``); output readers use ``read_committed``.
At-least-once: offsets are committed only after every output is acknowledged.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from workers.envelope import Envelope
from workers.errors import Fatal, Transient
from workers.generator.pipeline import DeadLetter, Outcome, Output, Pipeline, handle
from workers.kafka.dlq import dead_letter_headers
from workers.settings import Settings

log = structlog.get_logger("copyflow.generator")


@dataclass(slots=True)
class RunStats:
    """Counters for one run, printed at the end and exposed to probes."""

    consumed: int = 0
    published: int = 0
    dead_lettered: int = 0
    fallbacks: int = 0
    batches: int = 0
    aborted_batches: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)


def default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def consumer_config(settings: Settings) -> dict[str, Any]:
    return {
        **settings.kafka_common(),
        "group.id": settings.group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        # Inputs may themselves come from transactional producers (profiles, replays).
        "isolation.level": "read_committed",
        "partition.assignment.strategy": "cooperative-sticky",
    }


def producer_config(settings: Settings, instance_id: str) -> dict[str, Any]:
    conf: dict[str, Any] = {
        **settings.kafka_common(),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
    }
    if settings.delivery == "exactly_once":
        conf["transactional.id"] = f"{settings.transactional_id_prefix}-{instance_id}"
        conf["transaction.timeout.ms"] = 60000
    return conf


def next_offsets(batch: Sequence[Envelope]) -> list[TopicPartition]:
    """The offsets to commit after a batch: last offset + 1 per partition."""
    last: dict[tuple[str, int], int] = {}
    for env in batch:
        key = (env.topic, env.partition)
        last[key] = max(last.get(key, -1), env.offset)
    return [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]


def first_offsets(batch: Sequence[Envelope]) -> list[TopicPartition]:
    """Where to rewind to when a batch must be processed again."""
    first: dict[tuple[str, int], int] = {}
    for env in batch:
        key = (env.topic, env.partition)
        first[key] = min(first.get(key, env.offset), env.offset)
    return [TopicPartition(t, p, o) for (t, p), o in first.items()]


def handle_isolating(batch: Sequence[Envelope], pipeline: Pipeline) -> list[Outcome]:
    """Handle a batch; if something unexpected breaks it, find the poison record alone."""
    try:
        return handle(batch, pipeline)
    except Exception as exc:  # noqa: BLE001 - a bug on one record must not stop the partition
        if len(batch) == 1:
            return [DeadLetter(batch[0], "generate", f"{type(exc).__name__}: {exc}")]
        log.warning("batch_failed_isolating", size=len(batch), error=str(exc))
        outcomes: list[Outcome] = []
        for env in batch:
            outcomes.extend(handle_isolating([env], pipeline))
        return outcomes


class GeneratorWorker:
    """Consume → handle → publish → commit, one micro-batch at a time."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        topics: Sequence[str] | None = None,
        instance_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.topics = list(topics or [settings.topics.product_created, settings.topics.content_requests])
        self.instance_id = instance_id or default_instance_id()
        self.stats = RunStats()
        self.exactly_once = settings.delivery == "exactly_once"
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._delivery_errors: list[str] = []
        self.last_progress = time.monotonic()

    # -- set-up -------------------------------------------------------------------------
    def _open(self) -> tuple[Consumer, Producer]:
        consumer = Consumer(consumer_config(self.settings))
        producer = Producer(producer_config(self.settings, self.instance_id))
        if self.exactly_once:
            # Fences any older producer with the same transactional id (a zombie).
            producer.init_transactions(30)
        consumer.subscribe(self.topics)
        self._consumer, self._producer = consumer, producer
        return consumer, producer

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(10)
        if self._consumer is not None:
            self._consumer.close()
        self._consumer = self._producer = None

    # -- publishing ---------------------------------------------------------------------
    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(f"{msg.topic()}: {err}")

    def _produce_all(self, producer: Producer, outcomes: Sequence[Outcome]) -> None:
        dlq = self.settings.topics.dead_letter
        for o in outcomes:
            while True:
                try:
                    if isinstance(o, Output):
                        producer.produce(
                            o.topic, o.value, o.key, headers=list(o.headers), on_delivery=self._on_delivery
                        )
                    else:
                        producer.produce(
                            dlq,
                            o.source.value,
                            o.source.key,
                            headers=dead_letter_headers(o.source, o.stage, o.reason),
                            on_delivery=self._on_delivery,
                        )
                    break
                except BufferError:
                    producer.poll(0.1)  # local queue full: let deliveries drain

    def _publish_transactional(
        self, consumer: Consumer, producer: Producer, batch: Sequence[Envelope], outcomes: Sequence[Outcome]
    ) -> None:
        producer.begin_transaction()
        try:
            self._produce_all(producer, outcomes)
            producer.send_offsets_to_transaction(
                next_offsets(batch), consumer.consumer_group_metadata(), 30
            )
            producer.commit_transaction(60)
        except KafkaException as exc:
            err = exc.args[0]
            if err.fatal():
                raise Fatal(f"producer fenced or fatal: {err}") from exc
            if err.txn_requires_abort():
                producer.abort_transaction(30)
            raise Transient(str(err)) from exc

    def _publish_at_least_once(
        self, consumer: Consumer, producer: Producer, batch: Sequence[Envelope], outcomes: Sequence[Outcome]
    ) -> None:
        self._delivery_errors.clear()
        self._produce_all(producer, outcomes)
        remaining = producer.flush(60)
        if remaining or self._delivery_errors:
            raise Transient(f"{remaining} undelivered; errors: {self._delivery_errors[:3]}")
        consumer.commit(offsets=next_offsets(batch), asynchronous=False)

    # -- the loop -----------------------------------------------------------------------
    def process(self, consumer: Consumer, producer: Producer, batch: Sequence[Envelope]) -> None:
        outcomes = handle_isolating(batch, self.pipeline)
        for attempt in range(5):
            try:
                if self.exactly_once:
                    self._publish_transactional(consumer, producer, batch, outcomes)
                else:
                    self._publish_at_least_once(consumer, producer, batch, outcomes)
                break
            except Transient as exc:
                self.stats.aborted_batches += 1
                log.warning("publish_retry", attempt=attempt + 1, error=str(exc))
                time.sleep(min(0.2 * 2**attempt, 5.0))
        else:
            # Nothing was committed: rewind so the batch is read again, never skipped.
            for tp in first_offsets(batch):
                consumer.seek(tp)
            return
        self._account(batch, outcomes)

    def _account(self, batch: Sequence[Envelope], outcomes: Sequence[Outcome]) -> None:
        self.stats.batches += 1
        self.stats.consumed += len(batch)
        self.last_progress = time.monotonic()
        for o in outcomes:
            if isinstance(o, Output):
                self.stats.published += 1
                self.stats.fallbacks += int(o.fallback)
                self.stats.by_topic[o.topic] = self.stats.by_topic.get(o.topic, 0) + 1
                log.debug(
                    "content_published",
                    topic=o.source.topic,
                    partition=o.source.partition,
                    offset=o.source.offset,
                    out_topic=o.topic,
                    key=o.key.decode("utf-8", "replace"),
                    fallback=o.fallback,
                )
            else:
                self.stats.dead_lettered += 1
                log.warning(
                    "dead_lettered",
                    topic=o.source.topic,
                    partition=o.source.partition,
                    offset=o.source.offset,
                    stage=o.stage,
                    reason=o.reason,
                )
        log.info("batch_done", size=len(batch), outputs=len(outcomes), total=self.stats.consumed)

    def run(
        self,
        stop: threading.Event | None = None,
        idle_timeout_s: float | None = None,
        until: Callable[[RunStats], bool] | None = None,
    ) -> RunStats:
        """Run until ``stop`` is set, ``idle_timeout_s`` passes without input, or ``until``."""
        stop = stop or threading.Event()
        consumer, producer = self._open()
        wait_s = self.settings.max_batch_wait_ms / 1000.0
        idle_since = time.monotonic()
        try:
            while not stop.is_set():
                msgs = consumer.consume(num_messages=self.settings.max_batch_size, timeout=max(wait_s, 0.05))
                batch: list[Envelope] = []
                for msg in msgs:
                    err = msg.error()
                    if err is None:
                        batch.append(Envelope.from_message(msg))
                    elif err.fatal():
                        raise Fatal(f"consumer: {err}")
                    else:
                        log.warning("consumer_error", error=str(err))
                if batch:
                    idle_since = time.monotonic()
                    self.process(consumer, producer, batch)
                    if until is not None and until(self.stats):
                        break
                elif idle_timeout_s is not None and time.monotonic() - idle_since > idle_timeout_s:
                    break
        finally:
            self.close()
        return self.stats
