"""Profiles survive a restart: state comes back from the changelog topics, not a replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.integration.kafka_helpers import produce
from tests.integration.profiles_support import (
    behavior,
    catalog,
    make_config,
    running,
    send_behavior,
    send_products,
    wait_for,
)
from workers.profiles.faust_batch import BatchingConsumer
from workers.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_profile_recovers_from_changelog_after_restart(
    make_settings: Callable[..., Settings],
) -> None:
    """Stop the worker, start a new one with the same app id: same profile, same catalog."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    events = [behavior("gina", "view", en[n % 6], n) for n in range(12)]
    events.append(behavior("gina", "purchase", en[3], 12))
    with running(settings, cfg) as first:
        send_products(settings, products)
        wait_for(lambda: first.metrics().products == len(products), what="catalog loaded")
        send_behavior(settings, events)
        wait_for(lambda: first.metrics().applied == len(events), what="events applied")
        before = first.profile("gina")
    assert before is not None and before["n"] == len(events)

    with running(settings, cfg) as second:
        after = second.profile("gina")
        restored = second.worker.call(lambda engine: len(engine.state.catalog))
        replayed = second.metrics()
        # A redelivered event must not count twice; a new one counts once.
        send_behavior(settings, [events[5], behavior("gina", "view", en[7], 20)])
        wait_for(lambda: second.metrics().behavior_events == 2, what="two more events")
        final = second.profile("gina")
        stats = second.metrics()
    assert after == before  # every float, list and event id, exactly
    assert restored == len(products)
    assert replayed.behavior_events == 0 and replayed.products == 0  # from changelogs only
    assert final is not None and final["n"] == len(events) + 1
    assert stats.duplicates == 1 and final["viewed"][-1] == en[7]


def test_records_sent_again_from_a_rewound_offset_count_once(
    make_settings: Callable[..., Settings],
) -> None:
    """The widest redelivery: the group's committed offset rewound to the start after the
    profile was written (a kill between a changelog write and the offset commit does the
    same over a shorter stretch). Far more records than the event-id window holds come
    again; the profile recovered from its changelog skips each one by its offset."""
    settings = make_settings()
    products = catalog()
    cfg = make_config(recent_event_ids=8)
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    events = [behavior("ivy", "view", en[n % 6], n) for n in range(60)]
    with running(settings, cfg) as first:
        send_products(settings, products)
        wait_for(lambda: first.metrics().products == len(products), what="catalog loaded")
        sent = send_behavior(settings, events)
        wait_for(lambda: first.metrics().applied == len(events), what="events applied")
        before = first.profile("ivy")
    assert before is not None and before["n"] == len(events)
    [partition] = {p for p, _ in sent}
    assert (before["part"], before["off"]) == sent[-1]  # the watermark went to the changelog
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    rewind = ConsumerGroupTopicPartitions(
        cfg.app_id, [TopicPartition(settings.topics.user_behavior, partition, 0)]
    )
    for future in admin.alter_consumer_group_offsets([rewind]).values():
        future.result(30)

    with running(settings, cfg) as second:
        wait_for(lambda: second.metrics().replayed == len(events), 60, "every record seen again")
        after = second.profile("ivy")
        stats = second.metrics()
    assert after == before
    assert (stats.behavior_events, stats.applied, stats.duplicates) == (len(events), 0, 0)


def test_a_restart_reads_the_catalog_changelog_once_and_follows_it(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After recovery faust reads the GlobalTable's changelog again from its start (it
    never commits changelog offsets); what recovery applied already does not go through
    faust's per-message path a second time, and a record written later (another worker's
    product) still reaches the catalog index."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    with running(settings, cfg) as first:
        send_products(settings, products)
        wait_for(lambda: first.metrics().products == len(products), what="catalog loaded")
        entry = first.worker.call(lambda e: dict(e.state.catalog[products[0]["product_id"]]))

    changelog = f"{cfg.app_id}-catalog-changelog"
    passed: list[int] = []  # offsets of catalog changelog records faust's getmany yields
    getmany = BatchingConsumer.getmany

    async def counting(self: Any, timeout: float) -> Any:
        async for tp, message in getmany(self, timeout):
            if tp.topic == changelog:
                passed.append(message.offset)
            yield tp, message

    monkeypatch.setattr(BatchingConsumer, "getmany", counting)
    with running(settings, cfg) as second:
        assert second.worker.call(lambda e: e.index.size) == len(products)
        new = {**entry, "product_id": "P-from-another-worker"}
        produce(
            settings.bootstrap_servers,
            changelog,
            [(b'"P-from-another-worker"', json.dumps(new).encode())],
        )
        wait_for(
            lambda: second.worker.call(lambda e: "P-from-another-worker" in e.index),
            what="the other worker's product indexed",
        )
        catalog_size = second.worker.call(lambda e: len(e.state.catalog))
    assert catalog_size == len(products) + 1
    # Recovery's pass, then the new record: no second pass over 0..47.
    assert sorted(passed) == list(range(len(products) + 1))


def _worker_process(settings: Settings, app_id: str, log: Path) -> subprocess.Popen[bytes]:
    """``copyflow profiles worker`` in its own process, configured only by environment."""
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP": settings.bootstrap_servers,
        "COPYFLOW_PROFILES_APP_ID": app_id,
        "COPYFLOW_PROFILES_COMMIT_INTERVAL_S": "0.5",
        "COPYFLOW_PROFILES_SESSION_TIMEOUT_S": "10",
        "COPYFLOW_LOG_FORMAT": "json",
        **{f"COPYFLOW_TOPIC_{k.upper()}": v for k, v in settings.topics.model_dump().items()},
    }
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "profiles", "worker"], env=env, stdout=out, stderr=out
    )


def _latest_count(consumer: Consumer, key: bytes, seen: dict[str, int]) -> int:
    """Poll the profiles changelog; remember the newest event count written for ``key``."""
    for msg in consumer.consume(500, timeout=0.2):
        value = msg.value()
        if not msg.error() and msg.key() == key and value:
            seen["n"] = json.loads(value)["n"]
    return seen.get("n", 0)


def test_hard_kill_loses_nothing_and_counts_nothing_twice(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """kill -9 mid-stream, restart: every distinct event counted exactly once."""
    settings = make_settings()
    products = catalog()
    app_id = make_config().app_id
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    events = [behavior("hank", "view", en[n % len(en)], n) for n in range(300)]
    send_products(settings, products)
    proc = _worker_process(settings, app_id, tmp_path / "worker.log")
    try:
        wait_for(
            lambda: b"profiles_worker_ready" in (tmp_path / "worker.log").read_bytes(),
            60,
            "the worker process to be ready",
        )
        changelog = f"{app_id}-profiles-changelog"
        consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": f"probe-{app_id}",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([changelog])

        def trickle() -> None:  # a steady stream, so the kill lands mid-stream
            for i in range(0, len(events), 10):
                send_behavior(settings, events[i : i + 10])
                time.sleep(0.05)

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        seen: dict[str, int] = {}
        wait_for(lambda: _latest_count(consumer, b'"hank"', seen) >= 100, 60, "100 events in")
        proc.send_signal(signal.SIGKILL)  # no commit, no flush: the worst case
        proc.wait(10)
        killed_at = seen["n"]
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 2.0:  # the changelog's last word on hank
            before = dict(seen)
            _latest_count(consumer, b'"hank"', seen)
            if seen != before:
                quiet_since = time.monotonic()
        restored = seen["n"]
        sender.join(60)
        consumer.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed_at < len(events), "the kill came too late to test anything"
    with running(settings, make_config(app_id=app_id)) as again:
        wait_for(
            lambda: (again.profile("hank") or {}).get("n") == len(events),
            60,
            "all 300 distinct events counted",
        )
        time.sleep(1.0)  # anything counted twice would show up now
        final = again.profile("hank")
        stats = again.metrics()
    assert final is not None and final["n"] == len(events)
    # The restart counted exactly what the changelog did not hold; whatever it was sent
    # again from the last committed offset was skipped by the offset watermark.
    assert restored >= killed_at and stats.applied == len(events) - restored
    assert stats.duplicates == 0
