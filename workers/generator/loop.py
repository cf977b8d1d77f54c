"""The generator's Kafka loop: consume a micro-batch, handle it, publish, commit.

Exactly-once (default): outputs, dead letters and input offsets are committed in one Kafka
transaction (``send_offsets_to_transaction``); output readers use ``read_committed``.
At-least-once: offsets are committed only after every output is acknowledged.

Why a batch is never in flight during a rebalance: the batch is generated, published and
committed between two ``consume()`` calls, and librdkafka only runs rebalance callbacks inside
``consume()``. So a cooperative revoke always finds the previous transaction committed. A
member that was expelled meanwhile (session or max.poll.interval exceeded) is fenced by the
group generation it sends with its offsets (KIP-447): the transaction aborts, nothing of the
batch becomes visible, and the new owner reads from the last committed offset.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from workers.envelope import Envelope
from workers.errors import BadInput, Fatal, Transient
from workers.generator.pipeline import DeadLetter, Outcome, Output, Pipeline, handle
from workers.kafka.dlq import HEADER_PREFIX, dead_letter_headers
from workers.settings import Settings

log = structlog.get_logger("copyflow.generator")

# Seconds for each transactional call; a broker restart must fit in the commit budget.
TXN_CALL_TIMEOUT_S = 30.0
TXN_COMMIT_TIMEOUT_S = 60.0
# Retriable transaction errors (coordinator moving, timeouts) are retried this many times,
# within this many seconds, before the transaction is aborted and the batch rewound. The time
# bound matters: after a broker restart librdkafka can keep a transactional call waiting on a
# stale coordinator well past its timeout (librdkafka #5456, #5511); giving up soon, and
# exiting if even the abort fails, lets a fresh process (which fences this one) take over.
TXN_RETRIES = 5
TXN_RETRY_BUDGET_S = 30.0
# librdkafka refuses records above message.max.bytes (1,000,000 by default) at produce() time.
# A dead letter keeps the original bytes, so an input close to the limit plus the dead-letter
# headers would never fit, abort every transaction and block its partition; above this size
# the stored value is cut and the header ``copyflow.dlq.truncated_from`` keeps the real size.
MAX_DEAD_LETTER_VALUE_BYTES = 900_000


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
    rewound_batches: int = 0


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
        # A stable instance id (a StatefulSet ordinal) lets a restarted process fence its
        # predecessor at once; a pid-based id leaves a killed process's transaction open
        # until transaction.timeout.ms passes.
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


def _refuses_the_request(exc: Exception) -> bool:
    """Errors that say "this request can never be served": bad input, not a broken generator.

    The engine's ``InvalidRequestError`` is matched by name: importing ``workers.engine`` here
    would load onnxruntime into every process, the model-free test modes included.
    """
    return isinstance(exc, BadInput) or any(
        c.__name__ == "InvalidRequestError" for c in type(exc).__mro__
    )


def handle_isolating(batch: Sequence[Envelope], pipeline: Pipeline) -> list[Outcome]:
    """Handle a batch; if something unexpected breaks it, find the poison record alone.

    ``Transient`` and ``Fatal`` are not the record's fault, so they propagate instead of
    dead-lettering good records.
    """
    try:
        return handle(batch, pipeline)
    except (Transient, Fatal):
        raise
    except Exception as exc:  # noqa: BLE001 - a bug on one record must not stop the partition
        if len(batch) == 1:
            reason = f"{type(exc).__name__}: {exc}"
            if _refuses_the_request(exc):
                stage = exc.stage if isinstance(exc, BadInput) else "generate"
                return [DeadLetter(batch[0], stage, reason, error_class="unprocessable")]
            return [DeadLetter(batch[0], "generate", reason, error_class="unexpected")]
        log.warning("batch_failed_isolating", size=len(batch), error=str(exc))
        outcomes: list[Outcome] = []
        for env in batch:
            outcomes.extend(handle_isolating([env], pipeline))
        return outcomes


def _partitions(tps: Sequence[TopicPartition]) -> list[str]:
    return [f"{tp.topic}[{tp.partition}]" for tp in tps]


class GeneratorWorker:
    """Consume → handle → publish → commit, one micro-batch at a time."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        topics: Sequence[str] | None = None,
        instance_id: str | None = None,
        *,
        consumer_overrides: Mapping[str, Any] | None = None,
        producer_overrides: Mapping[str, Any] | None = None,
        max_unexpected_in_a_row: int = 32,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.topics = list(
            topics or [settings.topics.product_created, settings.topics.content_requests]
        )
        self.instance_id = instance_id or default_instance_id()
        self.stats = RunStats()
        self.exactly_once = settings.delivery == "exactly_once"
        self.consumer_overrides = dict(consumer_overrides or {})
        self.producer_overrides = dict(producer_overrides or {})
        # Many records in a row failing with unexpected errors means the generator is broken,
        # not the data: exit (nothing committed) instead of dead-lettering the whole stream.
        # 0 turns the breaker off.
        self.max_unexpected_in_a_row = max_unexpected_in_a_row
        self._unexpected_streak = 0
        self._abort_streak = 0
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._in_transaction = False
        self._delivery_errors: list[str] = []
        self.last_progress = time.monotonic()
        self.last_poll = time.monotonic()
        self.assignment: set[tuple[str, int]] = set()

    # -- set-up -------------------------------------------------------------------------
    def _open(self) -> tuple[Consumer, Producer]:
        consumer = Consumer({**consumer_config(self.settings), **self.consumer_overrides})
        self._consumer = consumer
        producer = Producer(
            {**producer_config(self.settings, self.instance_id), **self.producer_overrides}
        )
        self._producer = producer
        if self.exactly_once:
            # Fences any older producer with the same transactional id (a zombie) and aborts
            # the transaction it left open.
            self._retry_retriable("init_transactions", lambda: producer.init_transactions(30))
        consumer.subscribe(
            self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )
        return consumer, producer

    def close(self) -> None:
        producer, consumer = self._producer, self._consumer
        self._consumer = self._producer = None
        try:
            if producer is not None:
                self._close_producer(producer)
        finally:
            # Always close the consumer: a member that never leaves keeps its partitions
            # from everyone else until its session times out.
            self._close_consumer(consumer)

    def _close_producer(self, producer: Producer) -> None:
        try:
            if self._in_transaction:
                # Only after an error escaped mid-transaction: abort so read_committed readers
                # need not wait for transaction.timeout.ms.
                self._in_transaction = False
                producer.abort_transaction(10)
            producer.flush(10)
        except Exception as exc:  # noqa: BLE001 - a fenced producer fails even to flush
            log.warning("producer_close_failed", error=str(exc))

    def _close_consumer(self, consumer: Consumer | None) -> None:
        if consumer is not None:
            try:
                consumer.close()  # leaves the group: partitions move to others at once
            except (KafkaException, RuntimeError) as exc:
                log.warning("consumer_close_failed", error=str(exc))

    # -- rebalance callbacks (run inside consume(), never mid-batch) ----------------------
    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assignment |= {(tp.topic, tp.partition) for tp in partitions}
        log.info(
            "partitions_assigned", partitions=_partitions(partitions), instance=self.instance_id
        )

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assignment -= {(tp.topic, tp.partition) for tp in partitions}
        log.info(
            "partitions_revoked", partitions=_partitions(partitions), instance=self.instance_id
        )

    def _on_lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assignment -= {(tp.topic, tp.partition) for tp in partitions}
        log.warning(
            "partitions_lost", partitions=_partitions(partitions), instance=self.instance_id
        )

    # -- publishing ---------------------------------------------------------------------
    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._delivery_errors.append(f"{msg.topic()}: {err}")

    def _dead_letter_record(
        self, o: DeadLetter
    ) -> tuple[bytes, list[tuple[str, str | bytes | None]]]:
        headers: list[tuple[str, str | bytes | None]] = [
            *dead_letter_headers(o.source, o.stage, o.reason)
        ]
        headers.append((HEADER_PREFIX + "class", o.error_class.encode()))
        value = o.source.value
        if len(value) > MAX_DEAD_LETTER_VALUE_BYTES:
            headers.append((HEADER_PREFIX + "truncated_from", str(len(value)).encode()))
            value = value[:MAX_DEAD_LETTER_VALUE_BYTES]
        return value, headers

    def _produce_all(self, producer: Producer, outcomes: Sequence[Outcome]) -> None:
        dlq = self.settings.topics.dead_letter
        for o in outcomes:
            while True:
                try:
                    if isinstance(o, Output):
                        producer.produce(
                            o.topic,
                            o.value,
                            o.key,
                            headers=list(o.headers),
                            on_delivery=self._on_delivery,
                        )
                    else:
                        value, headers = self._dead_letter_record(o)
                        producer.produce(
                            dlq, value, o.source.key, headers=headers, on_delivery=self._on_delivery
                        )
                    break
                except BufferError:
                    producer.poll(0.1)  # local queue full: let deliveries drain

    def _retry_retriable(self, what: str, call: Callable[[], object]) -> None:
        """Call; on a retriable error that needs no abort, call again (bounded: count, time)."""
        deadline = time.monotonic() + TXN_RETRY_BUDGET_S
        for attempt in range(TXN_RETRIES + 1):
            try:
                call()
                return
            except KafkaException as exc:
                err = exc.args[0]
                if err.fatal():
                    raise Fatal(f"{what}: producer fenced or fatal: {err}") from exc
                last = attempt == TXN_RETRIES or time.monotonic() >= deadline
                if last or not err.retriable() or err.txn_requires_abort():
                    raise
                log.warning("txn_call_retry", call=what, attempt=attempt + 1, error=str(err))
                time.sleep(min(0.2 * 2**attempt, 5.0))

    def _abort(self, producer: Producer) -> None:
        try:
            self._retry_retriable(
                "abort_transaction", lambda: producer.abort_transaction(TXN_CALL_TIMEOUT_S)
            )
        except KafkaException as exc:
            # The transaction state is unknown: only a restart (which fences this
            # transactional id) is safe now.
            raise Fatal(f"cannot abort transaction: {exc.args[0]}") from exc
        self._in_transaction = False

    def _publish_transactional(
        self,
        consumer: Consumer,
        producer: Producer,
        batch: Sequence[Envelope],
        outcomes: Sequence[Outcome],
    ) -> None:
        try:
            producer.begin_transaction()
            self._in_transaction = True
            self._produce_all(producer, outcomes)
            offsets = next_offsets(batch)
            self._retry_retriable(
                "send_offsets_to_transaction",
                lambda: producer.send_offsets_to_transaction(
                    offsets, consumer.consumer_group_metadata(), TXN_CALL_TIMEOUT_S
                ),
            )
            self._retry_retriable(
                "commit_transaction", lambda: producer.commit_transaction(TXN_COMMIT_TIMEOUT_S)
            )
            self._in_transaction = False
        except KafkaException as exc:
            err = exc.args[0]
            if err.fatal():
                raise Fatal(f"producer fenced or fatal: {err}") from exc
            if self._in_transaction:
                self._abort(producer)
            raise Transient(str(err)) from exc

    def _publish_at_least_once(
        self,
        consumer: Consumer,
        producer: Producer,
        batch: Sequence[Envelope],
        outcomes: Sequence[Outcome],
    ) -> None:
        self._delivery_errors.clear()
        self._produce_all(producer, outcomes)
        remaining = producer.flush(60)
        if remaining or self._delivery_errors:
            raise Transient(f"{remaining} undelivered; errors: {self._delivery_errors[:3]}")
        try:
            consumer.commit(offsets=next_offsets(batch), asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].fatal():
                raise Fatal(f"consumer: {exc.args[0]}") from exc
            raise Transient(f"offset commit: {exc.args[0]}") from exc

    def _rewind(self, consumer: Consumer, batch: Sequence[Envelope]) -> None:
        """Seek back to the batch start so it is read again; never skip a record."""
        assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        for tp in first_offsets(batch):
            if (tp.topic, tp.partition) not in assigned:
                continue  # revoked or lost: its new owner starts from the committed offset
            try:
                consumer.seek(tp)
            except KafkaException as exc:
                # Without the rewind the next consume() would skip the batch; a restart
                # reads from the committed offsets instead.
                raise Fatal(
                    f"cannot rewind {tp.topic}[{tp.partition}] to {tp.offset}: {exc}"
                ) from exc
        self.stats.rewound_batches += 1

    def _check_generator(self, outcomes: Sequence[Outcome]) -> None:
        for o in outcomes:
            if isinstance(o, Output):
                self._unexpected_streak = 0
            elif o.error_class == "unexpected":
                self._unexpected_streak += 1
        if 0 < self.max_unexpected_in_a_row <= self._unexpected_streak:
            raise Fatal(
                f"{self._unexpected_streak} records in a row failed with unexpected errors; "
                "the generator looks broken, not the data"
            )

    # -- the loop -----------------------------------------------------------------------
    def process(self, consumer: Consumer, producer: Producer, batch: Sequence[Envelope]) -> None:
        outcomes = handle_isolating(batch, self.pipeline)
        self._check_generator(outcomes)
        if self.exactly_once:
            try:
                self._publish_transactional(consumer, producer, batch, outcomes)
            except Transient as exc:
                # Aborted: nothing of the batch is visible. Re-read it rather than retry the
                # same records, because the abort may come from a rebalance that already
                # gave the partition to another member. Outputs are deterministic, so the
                # second attempt writes the same records.
                self.stats.aborted_batches += 1
                self._abort_streak += 1
                log.warning(
                    "batch_aborted", size=len(batch), error=str(exc), streak=self._abort_streak
                )
                self._rewind(consumer, batch)
                time.sleep(min(0.1 * 2**self._abort_streak, 5.0))
                return
            self._abort_streak = 0
        else:
            for attempt in range(5):
                try:
                    self._publish_at_least_once(consumer, producer, batch, outcomes)
                    break
                except Transient as exc:
                    self.stats.aborted_batches += 1
                    log.warning("publish_retry", attempt=attempt + 1, error=str(exc))
                    time.sleep(min(0.2 * 2**attempt, 5.0))
            else:
                # Nothing was committed: rewind so the batch is read again, never skipped.
                self._rewind(consumer, batch)
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
                    error_class=o.error_class,
                    reason=o.reason,
                )
        log.info("batch_done", size=len(batch), outputs=len(outcomes), total=self.stats.consumed)

    def run(
        self,
        stop: threading.Event | None = None,
        idle_timeout_s: float | None = None,
        until: Callable[[RunStats], bool] | None = None,
        tick: Callable[[Consumer], None] | None = None,
    ) -> RunStats:
        """Run until ``stop`` is set, ``idle_timeout_s`` passes without input, or ``until``.

        ``tick`` is called once per loop turn with the consumer (liveness and lag probes).
        """
        stop = stop or threading.Event()
        wait_s = self.settings.max_batch_wait_ms / 1000.0
        idle_since = time.monotonic()
        try:
            consumer, producer = self._open()
            while not stop.is_set():
                self.last_poll = time.monotonic()
                msgs = consumer.consume(
                    num_messages=self.settings.max_batch_size, timeout=max(wait_s, 0.05)
                )
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
                if tick is not None:
                    tick(consumer)
        finally:
            self.close()
        return self.stats
