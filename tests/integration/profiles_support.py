"""Helpers for the profiles integration tests: a worker in a thread, senders, readers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import Message

from tests.integration.kafka_helpers import plain_avro_decode, plain_avro_encode, produce, read_all
from workers.profiles.app import ProfilesWorker
from workers.profiles.config import ProfilesConfig
from workers.profiles.metrics import Metrics
from workers.sample_catalog import sample_products
from workers.settings import Settings

DAY_MS = 86_400_000


def make_config(**overrides: Any) -> ProfilesConfig:
    """Short windows and commit interval, a fresh app id (consumer group, changelogs)."""
    values: dict[str, Any] = {
        "app_id": f"profiles-it-{uuid.uuid4().hex[:8]}",
        "debounce_window_s": 1.5,
        "min_interval_s": 60.0,
        "commit_interval_s": 0.5,
        "session_timeout_s": 10.0,  # a killed worker's partitions come back quickly
        "flush_interval_s": 0.1,
    }
    values.update(overrides)
    return ProfilesConfig(**values)


def wait_for(predicate: Callable[[], bool], timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what or predicate}"
        time.sleep(0.1)


class RunningWorker:
    """A ProfilesWorker running in a thread, with thread-safe access to its engine."""

    def __init__(self, settings: Settings, cfg: ProfilesConfig) -> None:
        self.worker = ProfilesWorker(settings, cfg)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.result: list[Metrics] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.result.append(self.worker.run(self.stop))
        except BaseException as exc:  # noqa: BLE001 - surfaced to the test, whatever it is
            self.errors.append(exc)

    def metrics(self) -> Metrics:
        return self.worker.call(lambda engine: Metrics(**engine.metrics.as_dict()))

    def profile(self, user_id: str) -> dict[str, Any] | None:
        def _get(engine: Any) -> dict[str, Any] | None:
            found = engine.state.profiles.get(user_id)
            # A deep copy: the live profile keeps changing in place on the worker's thread.
            return None if found is None else json.loads(json.dumps(found))

        return self.worker.call(_get)


@contextmanager
def running(
    settings: Settings, cfg: ProfilesConfig, ready_s: float = 60.0
) -> Iterator[RunningWorker]:
    """Start a worker, wait until it has recovered its tables, stop it on exit."""
    rw = RunningWorker(settings, cfg)
    rw.thread.start()
    try:
        deadline = time.monotonic() + ready_s
        while not rw.worker.ready.wait(0.2):
            assert not rw.errors, f"worker died while starting: {rw.errors!r}"
            assert time.monotonic() < deadline, "worker was not ready in time"
        yield rw
    finally:
        rw.stop.set()
        rw.thread.join(60)
    assert not rw.thread.is_alive(), "worker did not stop within 60 s"
    assert not rw.errors, f"worker died: {rw.errors!r}"


def catalog(count: int = 48, seed: int = 4) -> list[dict[str, Any]]:
    """The sample catalog, launched three months ago (so nobody looks like a trend follower)."""
    products = sample_products(count, seed=seed)
    old = int(time.time() * 1000) - 90 * DAY_MS
    for p in products:
        p["created_at"] = old
    return products


def send_products(settings: Settings, products: list[dict[str, Any]]) -> None:
    produce(
        settings.bootstrap_servers,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )


def behavior(
    user_id: str, kind: str, product_id: str | None, n: int, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": extra.pop("event_id", f"{user_id}-{kind}-{n}-{uuid.uuid4().hex[:6]}"),
        "user_id": user_id,
        "session_id": f"s-{user_id}",
        "type": kind,
        "product_id": product_id,
        "query": extra.pop("query", None),
        "timestamp": extra.pop("timestamp", int(time.time() * 1000) - 60_000 + n),
        "context": extra.pop("context", {"locale": "en"}),
    }


def send_behavior(settings: Settings, events: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Keyed by user id, as the apps do; returns (partition, offset) of each."""
    return produce(
        settings.bootstrap_servers,
        settings.topics.user_behavior,
        [(e["user_id"].encode(), plain_avro_encode("UserBehavior", e)) for e in events],
    )


def read_requests(
    settings: Settings, expect: int, timeout_s: float = 30.0
) -> list[tuple[bytes, dict[str, Any]]]:
    msgs = read_all(settings.bootstrap_servers, settings.topics.content_requests, expect, timeout_s)
    return [(m.key() or b"", plain_avro_decode("ContentRequest", m.value() or b"")) for m in msgs]


def headers_of(msg: Message) -> list[tuple[str, bytes]]:
    """A message's headers with every value as bytes (absent values as empty bytes)."""
    raw = msg.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return [(k, v if isinstance(v, bytes) else b"") for k, v in pairs]
