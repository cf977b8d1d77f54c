"""Plain Kafka clients for tests: an independent producer and a read_committed reader."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

import fastavro
from confluent_kafka import Consumer, Message, Producer, TopicPartition

from workers.serde import SCHEMA_DIR, SCHEMA_FILES


@cache
def _schema(name: str) -> Any:
    """The parsed schema, straight from schemas/ (parsed once: chaos tests encode 50k records)."""
    return fastavro.parse_schema(json.loads((SCHEMA_DIR / SCHEMA_FILES[name]).read_text()))


def plain_avro_decode(name: str, data: bytes) -> dict[str, Any]:
    """Decode with fastavro straight from schemas/, independent of workers.serde."""
    record = fastavro.schemaless_reader(io.BytesIO(data), _schema(name), None)
    assert isinstance(record, dict)
    return record


def plain_avro_encode(name: str, record: dict[str, Any]) -> bytes:
    schema = _schema(name)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, record)
    return buf.getvalue()


def produce(
    bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]]
) -> list[tuple[int, int]]:
    """Send (key, value) pairs; return (partition, offset) of each, in order."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
    placed: dict[int, tuple[int, int]] = {}
    items = list(records)
    for i, (key, value) in enumerate(items):

        def _report(err: Any, msg: Message, i: int = i) -> None:
            assert err is None, err
            placed[i] = (msg.partition(), msg.offset())

        producer.produce(topic, value, key, on_delivery=_report)
    assert producer.flush(30) == 0
    return [placed[i] for i in range(len(items))]


def read_all(bootstrap: str, topic: str, expect: int, timeout_s: float = 60.0) -> list[Message]:
    """Read committed records from the start until ``expect`` arrived or time is up."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    out: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(out) < expect and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            out.append(msg)
    # Linger briefly: anything beyond ``expect`` is a duplicate the test must see.
    linger = time.monotonic() + 1.0
    while time.monotonic() < linger:
        msg = consumer.poll(0.2)
        if msg is not None and not msg.error():
            out.append(msg)
    consumer.close()
    return out


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "offsets-probe"})
    md = consumer.list_topics(topic, timeout=10).topics[topic]
    out = {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
        for p in md.partitions
    }
    consumer.close()
    return out
