"""The generator worker against a real broker: products in, descriptions and ads out."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.kafka_helpers import plain_avro_decode, plain_avro_encode, produce, read_all
from workers import devbroker
from workers.kafka.dlq import dlq_facts
from workers.sample_catalog import sample_products
from workers.settings import Settings

pytestmark = pytest.mark.integration


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.2)


def test_every_product_gets_a_description_and_an_ad(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], running_worker: Any
) -> None:
    """N products from an independent producer yield N descriptions and N ads, keyed, traced."""
    settings = make_settings()
    products = sample_products(12, seed=3)
    placed = produce(
        kafka_bootstrap,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )
    with running_worker(settings) as worker:
        _wait_for(lambda: worker.stats.consumed >= len(products))
    by_event = {p["event_id"]: (p, pos) for p, pos in zip(products, placed, strict=True)}
    for topic, kind in ((settings.topics.descriptions, "description"), (settings.topics.ads, "ad")):
        msgs = read_all(kafka_bootstrap, topic, expect=len(products))
        assert len(msgs) == len(products), f"{topic}: {len(msgs)} records, want {len(products)}"
        for msg in msgs:
            rec = plain_avro_decode("GeneratedContent", msg.value())
            product, (partition, offset) = by_event[rec["source_event_id"]]
            assert msg.key() == product["product_id"].encode()
            assert rec["kind"] == kind
            assert rec["locale"] == product["locale"]
            assert rec["product_ids"] == [product["product_id"]]
            assert (rec["source_topic"], rec["source_partition"], rec["source_offset"]) == (
                settings.topics.product_created,
                partition,
                offset,
            )
            assert rec["text"].strip()
            assert len(rec["model_sha256"]) == 64
            # Published text passed every guard; a fallback says which draft guard failed.
            assert all(g["passed"] for g in rec["guards"] if not g["name"].startswith("draft."))
        assert len(
            {plain_avro_decode("GeneratedContent", m.value())["content_id"] for m in msgs}
        ) == len(msgs)


def test_malformed_events_go_to_the_dead_letter_topic(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], running_worker: Any
) -> None:
    """Garbage and wrong-schema records are dead-lettered with reasons; good ones still flow."""
    settings = make_settings()
    good = sample_products(2, seed=5)
    behavior = plain_avro_encode(
        "UserBehavior",
        {
            "event_id": "e",
            "user_id": "u",
            "session_id": "s",
            "type": "view",
            "product_id": "P",
            "query": None,
            "timestamp": 0,
            "context": {},
        },
    )
    bad_price = dict(good[0], product_id="P-NEG", event_id="neg", price=good[0]["price"] * -1)
    key = b"same-partition"  # one key: the bad records sit between the good ones
    placed = produce(
        kafka_bootstrap,
        settings.topics.product_created,
        [
            (key, plain_avro_encode("ProductCreated", good[0])),
            (key, b"\x00\xff not avro"),
            (key, behavior),
            (key, plain_avro_encode("ProductCreated", bad_price)),
            (key, plain_avro_encode("ProductCreated", good[1])),
        ],
    )
    with running_worker(settings) as worker:
        _wait_for(lambda: worker.stats.consumed >= 5)
        assert worker.stats.dead_lettered == 3
    dead = read_all(kafka_bootstrap, settings.topics.dead_letter, expect=3)
    assert len(dead) == 3
    values = [m.value() for m in dead]
    assert values[0] == b"\x00\xff not avro" and values[1] == behavior
    facts = [dlq_facts(m.headers()) for m in dead]
    assert [f["stage"] for f in facts] == ["decode", "decode", "validate"]
    assert [int(f["source.offset"]) for f in facts] == [placed[1][1], placed[2][1], placed[3][1]]
    assert "out of range" in facts[2]["reason"]
    assert all(f["source.topic"] == settings.topics.product_created for f in facts)
    descriptions = read_all(kafka_bootstrap, settings.topics.descriptions, expect=2)
    events = sorted(
        plain_avro_decode("GeneratedContent", m.value())["source_event_id"] for m in descriptions
    )
    assert events == sorted(p["event_id"] for p in good)


def test_java_console_consumer_sees_the_outputs(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], running_worker: Any
) -> None:
    """Kafka's own console consumer (another client implementation) reads the committed outputs."""
    settings = make_settings()
    products = sample_products(4, seed=9)
    produce(
        kafka_bootstrap,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )
    with running_worker(settings) as worker:
        _wait_for(lambda: worker.stats.consumed >= len(products))
    libs = devbroker.ensure_jars(devbroker.default_paths())
    out = subprocess.run(
        [
            "java",
            "-cp",
            f"{libs}/*",
            "org.apache.kafka.tools.consumer.ConsoleConsumer",
            "--bootstrap-server",
            kafka_bootstrap,
            "--topic",
            settings.topics.ads,
            "--from-beginning",
            "--max-messages",
            str(len(products)),
            "--timeout-ms",
            "30000",
            "--isolation-level",
            "read_committed",
            "--property",
            "print.key=true",
            # Avro values are binary and may hold newline bytes: print keys and offsets only.
            "--property",
            "print.value=false",
            "--property",
            "print.offset=true",
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    lines = [line.split(b"\t") for line in out.stdout.splitlines() if line.startswith(b"Offset:")]
    assert len(lines) == len(products), out.stderr.decode(errors="replace")[-2000:]
    assert {fields[-1] for fields in lines} == {p["product_id"].encode() for p in products}
