"""Integration fixtures: fresh topics and groups per test, one loaded model per session."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from workers.generator.factory import OnnxTextGenerator, runtime_options
from workers.generator.loop import GeneratorWorker, RunStats
from workers.generator.pipeline import Pipeline
from workers.kafka.topics import all_topics, ensure_topics
from workers.serde import PlainAvroCodec
from workers.settings import DEFAULT_MODEL_DIR, Settings, TopicSettings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def text_generator() -> OnnxTextGenerator:
    """The committed default model, loaded once (CPU here, CUDA where present)."""
    settings = Settings()
    return OnnxTextGenerator.from_folder(DEFAULT_MODEL_DIR, runtime_options(settings), 16)


@pytest.fixture
def make_settings(kafka_bootstrap: str) -> Callable[..., Settings]:
    """Settings with fresh topics and a fresh consumer group for each call."""

    def _make(**overrides: Any) -> Settings:
        run = uuid.uuid4().hex[:8]
        topics = TopicSettings(
            **{name: f"t-{run}-{value}" for name, value in TopicSettings().model_dump().items()}
        )
        settings = Settings(
            bootstrap_servers=kafka_bootstrap,
            topics=topics,
            group_id=f"g-{run}",
            transactional_id_prefix=f"tx-{run}",
            **overrides,
        )
        ensure_topics(settings.kafka_common(), all_topics(settings))
        return settings

    return _make


@pytest.fixture
def make_pipeline(text_generator: OnnxTextGenerator) -> Callable[[Settings], Pipeline]:
    def _make(settings: Settings) -> Pipeline:
        return Pipeline(
            topics=settings.topics,
            product_codec=PlainAvroCodec("ProductCreated"),
            request_codec=PlainAvroCodec("ContentRequest"),
            content_codec=PlainAvroCodec("GeneratedContent"),
            generator=text_generator,
            max_attempts=settings.max_resample_attempts + 1,
            drafts=settings.drafts_per_attempt,
        )

    return _make


@pytest.fixture
def running_worker(
    make_pipeline: Callable[[Settings], Pipeline],
) -> Callable[..., Any]:
    """Run a GeneratorWorker in a thread for the duration of a ``with`` block."""

    @contextmanager
    def _run(settings: Settings, **kwargs: Any) -> Iterator[GeneratorWorker]:
        worker = GeneratorWorker(settings, make_pipeline(settings), **kwargs)
        stop = threading.Event()
        errors: list[BaseException] = []
        result: list[RunStats] = []

        def _target() -> None:
            try:
                result.append(worker.run(stop))
            except BaseException as exc:  # noqa: BLE001 - surfaced to the test below
                errors.append(exc)

        thread = threading.Thread(target=_target, daemon=True)
        thread.start()
        try:
            yield worker
        finally:
            stop.set()
            thread.join(60)
        assert not thread.is_alive(), "worker did not stop within 60 s"
        assert not errors, f"worker died: {errors!r}"

    return _run
