"""The behavior batch edge against the broker: offsets after writes, partitions, restarts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from tests.integration.profiles_support import (
    behavior,
    catalog,
    make_config,
    running,
    send_behavior,
    send_products,
    wait_for,
)
from workers.profiles.engine import ProfileEngine
from workers.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _committed(settings: Settings, group: str) -> dict[int, int]:
    """The group's committed offsets on the behavior topic, per partition (-1001: none)."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": group})
    try:
        topic = settings.topics.user_behavior
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        tps = [TopicPartition(topic, p) for p in meta.partitions]
        return {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=10)}
    finally:
        consumer.close()


def _changelog(settings: Settings, topic: str, expect: int) -> list[Any]:
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"probe-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    out: list[Any] = []
    deadline = time.monotonic() + 30
    try:
        while len(out) < expect and time.monotonic() < deadline:
            out += [m for m in consumer.consume(500, timeout=0.5) if not m.error()]
    finally:
        consumer.close()
    return out


def test_changelog_records_go_to_the_partition_of_the_users_events(
    make_settings: Callable[..., Settings],
) -> None:
    """Each user's profile record lands in the changelog partition its events came from,
    and the group commits the behavior offsets once the batch was written."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    users = [f"user-{n}" for n in range(12)]
    events = [behavior(u, "view", en[n % 6], n) for n in range(5) for u in users]
    with running(settings, cfg) as rw:
        send_products(settings, products)
        wait_for(lambda: rw.metrics().products == len(products), what="catalog loaded")
        placed = send_behavior(settings, events)
        wait_for(lambda: rw.metrics().applied == len(events), what="events applied")
        ends: dict[int, int] = {}
        for partition, offset in placed:
            ends[partition] = max(ends.get(partition, 0), offset + 1)
        wait_for(
            lambda: all(_committed(settings, cfg.app_id).get(p) == e for p, e in ends.items()),
            what="offsets committed",
        )
    source = {events[i]["user_id"]: p for i, (p, _o) in enumerate(placed)}
    records = _changelog(settings, f"{cfg.app_id}-profiles-changelog", len(users))
    assert {json.loads(m.key()) for m in records} == set(users)
    for m in records:
        assert m.partition() == source[json.loads(m.key())]


def test_a_failed_batch_is_not_committed_and_is_counted_once_after_restart(
    make_settings: Callable[..., Settings],
) -> None:
    """A batch whose writes fail stops the worker before its offsets are committed; the
    next worker reads it again and every distinct event counts exactly once."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    first = [behavior("ivy", "view", en[n % 6], n) for n in range(20)]
    second = [behavior("ivy", "view", en[n % 6], n) for n in range(20, 40)]

    def fail_next_batch(engine: ProfileEngine) -> None:
        def broken() -> None:
            raise RuntimeError("changelog unavailable")  # as a write that cannot be handed over

        engine.write_back = broken  # type: ignore[method-assign]

    with running(settings, cfg) as rw:
        send_products(settings, products)
        wait_for(lambda: rw.metrics().products == len(products), what="catalog loaded")
        send_behavior(settings, first)
        wait_for(lambda: rw.metrics().applied == len(first), what="first events applied")
        # Committed before the fault, so the restart does not read them again.
        wait_for(lambda: max(_committed(settings, cfg.app_id).values()) > -1001, what="commit")
        rw.worker.call(fail_next_batch)
        committed = _committed(settings, cfg.app_id)
        send_behavior(settings, second)
        wait_for(lambda: bool(rw.errors), 60, "the worker to stop on the failed batch")
        rw.errors.clear()  # expected: the fault above
    assert _committed(settings, cfg.app_id) == committed  # the failed batch: not committed
    with running(settings, cfg) as again:
        wait_for(
            lambda: (again.profile("ivy") or {}).get("n") == len(first) + len(second),
            60,
            "all 40 distinct events counted",
        )
        time.sleep(1.0)  # anything counted twice would show up now
        final = again.profile("ivy")
        stats = again.metrics()
    assert final is not None and final["n"] == len(first) + len(second)
    assert stats.applied <= len(second) + len(first)
