"""Exactly-once in the generator on a real broker: atomic commits, aborts, fencing, rebalances.

Workers run in threads with the canned generator (``workers.ops.fast_generators``): the
production loop, pipeline and transactions, minus the model's cost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from tests.integration.kafka_helpers import plain_avro_encode, produce
from workers.errors import Fatal
from workers.generator.loop import GeneratorWorker
from workers.generator.writer import PromptJob
from workers.ops.audit import AuditReport, audit, expect_outputs
from workers.ops.chaos import wait_until
from workers.ops.fast_generators import CannedTextGenerator
from workers.ops.lag import group_lag, total_lag
from workers.ops.pipelines import build_pipeline_with
from workers.sample_catalog import sample_products
from workers.serde import PlainAvroCodec
from workers.settings import Settings

pytestmark = pytest.mark.integration

KINDS = ("description", "ad")


class SlowCanned(CannedTextGenerator):
    """The canned generator with a pause per batch, so a batch is in flight long enough."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        time.sleep(self.delay_s)
        return super().generate(jobs)


def _send(settings: Settings, n: int, seed: int) -> list[tuple[int, int]]:
    products = sample_products(n, seed=seed)
    return produce(
        settings.bootstrap_servers,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )


def _worker(settings: Settings, instance: str, delay_s: float = 0.0) -> GeneratorWorker:
    gen = SlowCanned(delay_s) if delay_s else CannedTextGenerator()
    # Only the product topic: with both inputs subscribed the sticky assignor may balance by
    # handing a newcomer the (empty) request partitions, and nothing would move.
    return GeneratorWorker(
        settings,
        build_pipeline_with(settings, gen),
        topics=[settings.topics.product_created],
        instance_id=instance,
    )


@contextmanager
def _running(worker: GeneratorWorker, **run_kw: Any) -> Iterator[list[BaseException]]:
    """Run a worker in a thread; stop it on exit; yield the list its error would land in."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def _target() -> None:
        try:
            worker.run(stop, **run_kw)
        except BaseException as exc:  # noqa: BLE001 - surfaced to the test
            errors.append(exc)

    thread = threading.Thread(target=_target, daemon=True)
    thread.start()
    try:
        yield errors
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive(), "worker did not stop within 60 s"


def _drained(settings: Settings) -> Callable[[], bool]:
    topics = [settings.topics.product_created]
    return lambda: total_lag(group_lag(settings.kafka_common(), settings.group_id, topics)) == 0


def _audit(
    settings: Settings, placed: list[tuple[int, int]], isolation: str = "read_committed"
) -> AuditReport:
    conf = {**settings.kafka_common()}
    if isolation != "read_committed":
        conf["isolation.level"] = isolation
    return audit(
        conf,
        [settings.topics.descriptions, settings.topics.ads],
        settings.topics.dead_letter,
        expect_outputs(settings.topics.product_created, placed, KINDS),
        set(),
        PlainAvroCodec("GeneratedContent").decode,
    )


def test_outputs_and_offsets_commit_together(make_settings: Callable[..., Settings]) -> None:
    """Every input has exactly one description and one ad; the group's offsets are at the end."""
    settings = make_settings(max_batch_size=7)
    placed = _send(settings, 50, seed=21)
    worker = _worker(settings, "eos-1")
    with _running(worker) as errors:
        assert wait_until(_drained(settings), 90)
    assert not errors
    report = _audit(settings, placed)
    print(f"\natomic commit: {report.text()}")
    assert report.exact, report.text()
    assert worker.stats.consumed == 50 and worker.stats.batches >= 50 // 7


class _FailFirstCommit:
    """Wraps the real producer; the first commit fails as an abortable error would."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.failures = 0

    def commit_transaction(self, timeout: float | None = None) -> None:
        if self.failures == 0:
            self.failures += 1
            # A real commit timeout comes after the batch was sent. Without this flush the
            # copies can still sit in the producer's queue, and the abort purges them unsent.
            assert self.real.flush(30) == 0
            raise KafkaException(
                KafkaError(KafkaError._TIMED_OUT, "injected", txn_requires_abort=True)
            )
        self.real.commit_transaction(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _FlakyWorker(GeneratorWorker):
    def _open(self) -> Any:
        consumer, producer = super()._open()
        self._producer = _FailFirstCommit(producer)  # type: ignore[assignment]
        return consumer, self._producer


def test_aborted_batch_is_invisible_and_rewritten_once(
    make_settings: Callable[..., Settings],
) -> None:
    """An aborted transaction never reaches read_committed readers; the batch is redone once."""
    settings = make_settings(max_batch_size=10)
    placed = _send(settings, 20, seed=22)
    worker = _FlakyWorker(
        settings, build_pipeline_with(settings, CannedTextGenerator()), instance_id="eos-abort"
    )
    with _running(worker) as errors:
        assert wait_until(_drained(settings), 90)
    assert not errors
    committed = _audit(settings, placed)
    uncommitted = _audit(settings, placed, isolation="read_uncommitted")
    print(f"\nabort: committed {committed.text()}\n       uncommitted {uncommitted.text()}")
    assert worker.stats.aborted_batches == 1 and worker.stats.rewound_batches == 1
    assert committed.exact, committed.text()
    # The aborted copies exist in the log; only a read_uncommitted reader sees them.
    assert uncommitted.outputs.duplicated > 0 and uncommitted.outputs.lost == 0


def test_zombie_with_the_same_transactional_id_is_fenced(
    make_settings: Callable[..., Settings],
) -> None:
    """A second instance with the same id fences the first mid-batch; nothing lost or doubled."""
    settings = make_settings(max_batch_size=5)
    placed = _send(settings, 40, seed=23)
    zombie = _worker(settings, "same-id", delay_s=1.0)
    with _running(zombie) as zombie_errors:
        assert wait_until(lambda: zombie.stats.consumed >= 5, 60)
        successor = _worker(settings, "same-id")
        with _running(successor) as successor_errors:
            assert wait_until(lambda: bool(zombie_errors), 60), "the zombie was never fenced"
            assert wait_until(_drained(settings), 120)
    assert isinstance(zombie_errors[0], Fatal) and "fenced" in str(zombie_errors[0]).lower()
    assert not successor_errors
    report = _audit(settings, placed)
    print(
        f"\nfencing: zombie committed {zombie.stats.consumed}, "
        f"successor {successor.stats.consumed}; {report.text()}"
    )
    assert report.exact, report.text()


def test_cooperative_rebalance_mid_batch_keeps_exactly_once(
    make_settings: Callable[..., Settings],
) -> None:
    """A member joining while the first is mid-batch takes partitions; nothing lost or doubled."""
    settings = make_settings(max_batch_size=5)
    placed = _send(settings, 90, seed=24)
    first = _worker(settings, "coop-a", delay_s=0.3)
    second = _worker(settings, "coop-b", delay_s=0.3)

    def owned(w: GeneratorWorker) -> int:
        return sum(1 for t, _p in w.assignment if t == settings.topics.product_created)

    with _running(first) as first_errors:
        assert wait_until(lambda: first.stats.consumed >= 10, 60)
        assert owned(first) == 3
        with _running(second) as second_errors:
            assert wait_until(lambda: owned(second) > 0, 60)
            # More records on every partition once both own some: the newcomer then has work
            # whatever the first worker had already read to the end before the join.
            placed += _send(settings, 30, seed=240)
            assert wait_until(_drained(settings), 120)
            shared = (owned(first), owned(second))
    assert not first_errors and not second_errors
    report = _audit(settings, placed)
    print(f"\nrebalance: assignment after join {shared}; {report.text()}")
    assert sum(shared) == 3 and min(shared) >= 1
    assert second.stats.consumed > 0
    assert report.exact, report.text()


def test_restart_resumes_from_committed_offsets(make_settings: Callable[..., Settings]) -> None:
    """A stopped worker's successor starts where the last transaction ended: nothing twice."""
    settings = make_settings(max_batch_size=5)
    placed = _send(settings, 40, seed=25)
    first = _worker(settings, "restart-1")
    first.run(until=lambda s: s.consumed >= 15)
    second = _worker(settings, "restart-2")
    with _running(second) as errors:
        assert wait_until(_drained(settings), 90)
    assert not errors
    assert first.stats.consumed + second.stats.consumed == 40
    report = _audit(settings, placed)
    assert report.exact, report.text()


def test_at_least_once_mode_loses_nothing(make_settings: Callable[..., Settings]) -> None:
    """delivery=at_least_once commits offsets after acknowledged outputs: nothing is lost."""
    settings = make_settings(max_batch_size=8, delivery="at_least_once")
    placed = _send(settings, 30, seed=26)
    worker = _worker(settings, "alo-1")
    assert not worker.exactly_once
    with _running(worker) as errors:
        assert wait_until(_drained(settings), 90)
    assert not errors
    report = _audit(settings, placed)
    assert report.outputs.lost == 0 and report.outputs.extra == 0
