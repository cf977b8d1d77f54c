"""The generator loop's transaction handling, against fake clients (no broker)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from confluent_kafka import KafkaError, TopicPartition

from tests.unit.ops.fakes import FakeConsumer, FakeProducer, kafka_exc
from workers.envelope import Envelope
from workers.errors import Fatal, Transient
from workers.generator.loop import MAX_DEAD_LETTER_VALUE_BYTES, GeneratorWorker, handle_isolating
from workers.generator.pipeline import DeadLetter, Pipeline
from workers.generator.writer import PromptJob
from workers.kafka.dlq import dlq_facts
from workers.settings import Settings

Envelopes = Callable[..., list[Envelope]]


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries and aborts back off with sleeps; tests need not wait."""
    monkeypatch.setattr("workers.generator.loop.time.sleep", lambda _s: None)


def _worker(settings: Settings, pipeline: Pipeline, **kw: object) -> GeneratorWorker:
    return GeneratorWorker(settings, pipeline, instance_id="t", **kw)  # type: ignore[arg-type]


def _consumer(batch: Sequence[Envelope]) -> FakeConsumer:
    parts = {(e.topic, e.partition) for e in batch}
    return FakeConsumer(assigned=[TopicPartition(t, p) for t, p in parts])


def test_batch_commits_outputs_and_offsets_in_one_transaction(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """A good batch is one transaction: begin, two outputs per product, offsets, commit."""
    batch = product_envelopes(3)
    producer = FakeProducer()
    worker = _worker(settings, canned_pipeline)
    worker.process(_consumer(batch), producer, batch)  # type: ignore[arg-type]
    assert producer.calls[0] == "begin_transaction"
    assert producer.calls[-2:] == ["send_offsets_to_transaction", "commit_transaction"]
    assert len(producer.committed) == 1 and len(producer.committed[0]) == 6
    assert (worker.stats.consumed, worker.stats.published, worker.stats.aborted_batches) == (
        3,
        6,
        0,
    )


def test_retriable_commit_error_is_retried_without_abort(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """A timed-out commit is called again (librdkafka allows it) and the batch still commits."""
    batch = product_envelopes(2)
    producer = FakeProducer(fail={"commit_transaction": [kafka_exc(retriable=True)]})
    worker = _worker(settings, canned_pipeline)
    worker.process(_consumer(batch), producer, batch)  # type: ignore[arg-type]
    assert producer.calls.count("commit_transaction") == 2
    assert "abort_transaction" not in producer.calls
    assert worker.stats.consumed == 2


def test_abortable_error_aborts_and_rewinds_to_batch_start(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """A fenced group generation aborts the transaction and seeks back; nothing is counted."""
    batch = product_envelopes(4, first_offset=10)
    producer = FakeProducer(
        fail={"send_offsets_to_transaction": [kafka_exc(KafkaError.ILLEGAL_GENERATION, abort=True)]}
    )
    consumer = _consumer(batch)
    worker = _worker(settings, canned_pipeline)
    worker.process(consumer, producer, batch)  # type: ignore[arg-type]
    assert "abort_transaction" in producer.calls and not producer.committed
    assert [(tp.partition, tp.offset) for tp in consumer.seeks] == [(0, 10)]
    assert (worker.stats.consumed, worker.stats.aborted_batches, worker.stats.rewound_batches) == (
        0,
        1,
        1,
    )


def test_rewind_skips_partitions_no_longer_assigned(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """After losing a partition, only the partitions still owned are rewound."""
    batch = product_envelopes(2, partition=0) + product_envelopes(2, partition=1, first_offset=5)
    consumer = FakeConsumer(assigned=[TopicPartition(settings.topics.product_created, 1)])
    producer = FakeProducer(fail={"commit_transaction": [kafka_exc(abort=True)]})
    _worker(settings, canned_pipeline).process(consumer, producer, batch)  # type: ignore[arg-type]
    assert [(tp.partition, tp.offset) for tp in consumer.seeks] == [(1, 5)]


def test_failed_rewind_is_fatal(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """If the consumer cannot seek back, the process must restart rather than skip the batch."""
    batch = product_envelopes(1)
    consumer = _consumer(batch)
    consumer.seek_error = kafka_exc(KafkaError._STATE)
    producer = FakeProducer(fail={"commit_transaction": [kafka_exc(abort=True)]})
    with pytest.raises(Fatal, match="cannot rewind"):
        _worker(settings, canned_pipeline).process(consumer, producer, batch)  # type: ignore[arg-type]


def test_fenced_producer_is_fatal(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """A newer instance with our transactional id fences us: exit, never abort and go on."""
    batch = product_envelopes(1)
    producer = FakeProducer(
        fail={"commit_transaction": [kafka_exc(KafkaError._FENCED, fatal=True)]}
    )
    with pytest.raises(Fatal, match="fenced or fatal"):
        _worker(settings, canned_pipeline).process(_consumer(batch), producer, batch)  # type: ignore[arg-type]


def test_abort_that_fails_is_fatal(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """When even the abort fails the transaction state is unknown: exit loudly."""
    batch = product_envelopes(1)
    producer = FakeProducer(
        fail={
            "commit_transaction": [kafka_exc(abort=True)],
            "abort_transaction": [kafka_exc(KafkaError._STATE)],
        }
    )
    with pytest.raises(Fatal, match="cannot abort"):
        _worker(settings, canned_pipeline).process(_consumer(batch), producer, batch)  # type: ignore[arg-type]


def test_begin_failure_rewinds_without_abort(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """A begin that fails opens nothing, so nothing is aborted; the batch is read again."""
    batch = product_envelopes(1)
    consumer = _consumer(batch)
    producer = FakeProducer(fail={"begin_transaction": [kafka_exc(KafkaError._STATE)]})
    worker = _worker(settings, canned_pipeline)
    worker.process(consumer, producer, batch)  # type: ignore[arg-type]
    assert "abort_transaction" not in producer.calls
    assert len(consumer.seeks) == 1 and worker.stats.aborted_batches == 1


def test_at_least_once_commit_failure_retries_then_rewinds(
    settings: Settings,
    canned_pipeline: Pipeline,
    product_envelopes: Envelopes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At-least-once: a failing offset commit is retried five times, then the batch is re-read."""
    alo = settings.model_copy(update={"delivery": "at_least_once"})
    batch = product_envelopes(1)
    consumer = _consumer(batch)

    def _commit(offsets: object = None, asynchronous: bool = True) -> None:
        raise kafka_exc(KafkaError.REBALANCE_IN_PROGRESS)

    monkeypatch.setattr(consumer, "commit", _commit)
    worker = _worker(alo, canned_pipeline)
    worker.process(consumer, FakeProducer(), batch)  # type: ignore[arg-type]
    assert worker.stats.aborted_batches == 5 and len(consumer.seeks) == 1
    assert worker.stats.consumed == 0


class _Broken:
    """A generator that fails on every call, like a model whose session died."""

    model_name = "broken"
    model_version = "0"
    model_sha256 = "0" * 64

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        raise RuntimeError("onnxruntime session is gone")


def test_broken_generator_trips_the_breaker(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """Many unexpected failures in a row stop the worker before anything is dead-lettered."""
    canned_pipeline.generator = _Broken()
    batch = product_envelopes(4)
    producer = FakeProducer()
    worker = _worker(settings, canned_pipeline, max_unexpected_in_a_row=3)
    with pytest.raises(Fatal, match="generator looks broken"):
        worker.process(_consumer(batch), producer, batch)  # type: ignore[arg-type]
    assert producer.committed == []


def test_unexpected_failures_are_dead_lettered_with_their_class(
    settings: Settings, canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """With the breaker off, a record that breaks the generator is dead-lettered as unexpected."""
    canned_pipeline.generator = _Broken()
    batch = product_envelopes(2)
    producer = FakeProducer()
    worker = _worker(settings, canned_pipeline, max_unexpected_in_a_row=0)
    worker.process(_consumer(batch), producer, batch)  # type: ignore[arg-type]
    records = producer.committed[0]
    assert [r[0] for r in records] == [settings.topics.dead_letter] * 2
    facts = dlq_facts(records[0][3])
    assert facts["class"] == "unexpected" and facts["stage"] == "generate"
    assert "RuntimeError" in facts["reason"]


def test_transient_errors_are_not_dead_lettered(
    canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """A Transient from the generator is not the record's fault: it propagates."""

    class _Flaky(_Broken):
        def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
            raise Transient("GPU busy")

    canned_pipeline.generator = _Flaky()
    with pytest.raises(Transient):
        handle_isolating(product_envelopes(2), canned_pipeline)


def test_huge_dead_letter_value_is_truncated_with_its_size(
    settings: Settings, canned_pipeline: Pipeline
) -> None:
    """An input near the size limit is dead-lettered cut, with the real size in a header."""
    big = Envelope(settings.topics.product_created, 0, 0, b"k", b"\xff" * 999_000, (), 0)
    producer = FakeProducer()
    worker = _worker(settings, canned_pipeline)
    worker.process(_consumer([big]), producer, [big])  # type: ignore[arg-type]
    topic, _key, value, headers = producer.committed[0][0]
    assert topic == settings.topics.dead_letter
    assert len(value) == MAX_DEAD_LETTER_VALUE_BYTES
    assert dlq_facts(headers)["truncated_from"] == "999000"
    assert isinstance(handle_isolating([big], canned_pipeline)[0], DeadLetter)


def test_close_aborts_an_open_transaction(settings: Settings, canned_pipeline: Pipeline) -> None:
    """If an error escaped mid-transaction, close() aborts it so readers need not wait."""
    worker = _worker(settings, canned_pipeline)
    producer = FakeProducer()
    worker._producer = producer  # type: ignore[assignment]
    worker._in_transaction = True
    worker.close()
    assert producer.calls == ["abort_transaction", "flush"]


def test_engine_refusals_are_unprocessable_not_unexpected(
    canned_pipeline: Pipeline, product_envelopes: Envelopes
) -> None:
    """An engine InvalidRequestError dead-letters the record without feeding the breaker."""
    from workers.engine.errors import InvalidRequestError

    class _Refusing(_Broken):
        def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
            raise InvalidRequestError("prompt longer than the context")

    canned_pipeline.generator = _Refusing()
    outcomes = handle_isolating(product_envelopes(2), canned_pipeline)
    assert [o.error_class for o in outcomes if isinstance(o, DeadLetter)] == ["unprocessable"] * 2


def test_retriable_errors_stop_being_retried_after_the_time_budget(
    settings: Settings,
    canned_pipeline: Pipeline,
    product_envelopes: Envelopes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past TXN_RETRY_BUDGET_S a retriable commit error aborts the batch instead of retrying on."""
    monkeypatch.setattr("workers.generator.loop.TXN_RETRY_BUDGET_S", 0.0)
    batch = product_envelopes(1)
    producer = FakeProducer(fail={"commit_transaction": [kafka_exc(retriable=True)]})
    worker = _worker(settings, canned_pipeline)
    worker.process(_consumer(batch), producer, batch)  # type: ignore[arg-type]
    assert producer.calls.count("commit_transaction") == 1
    assert "abort_transaction" in producer.calls and worker.stats.aborted_batches == 1
