"""``copyflow demo``: broker → sample catalog → generator → a table of generated copy."""

from __future__ import annotations

import os
import resource
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any, TextIO

from confluent_kafka import Consumer, Producer, TopicPartition

from workers import devbroker
from workers.generator.factory import build_pipeline
from workers.generator.loop import GeneratorWorker
from workers.kafka.topics import all_topics, ensure_topics
from workers.logs import configure_logging
from workers.sample_catalog import sample_products
from workers.serde import PlainAvroCodec
from workers.settings import Settings, TopicSettings


def produce_products(conf: dict[str, Any], topic: str, products: list[dict[str, Any]]) -> None:
    """Send ProductCreated records as the catalog service would, keyed by product id."""
    codec = PlainAvroCodec("ProductCreated")
    producer = Producer({**conf, "enable.idempotence": True, "acks": "all"})
    for rec in products:
        producer.produce(topic, codec.encode(rec), rec["product_id"].encode())
    if producer.flush(30):
        raise RuntimeError("sample catalog was not fully delivered")


def read_topic(conf: dict[str, Any], topic: str, timeout_s: float = 10.0) -> list[Any]:
    """Read a topic from the beginning to its current end (read_committed)."""
    consumer = Consumer(
        {
            **conf,
            "group.id": f"copyflow-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    md = consumer.list_topics(topic, timeout=10).topics[topic]
    parts = []
    for p in md.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        if high > low:
            parts.append((p, low, high))
    consumer.assign([TopicPartition(topic, p, low) for p, low, _ in parts])
    remaining = {p: high for p, _, high in parts}
    out: list[Any] = []
    deadline = time.monotonic() + timeout_s
    while remaining and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        out.append(msg)
        # Transaction markers take offsets too, so "done" is position ≥ high watermark.
        for p in list(remaining):
            pos = consumer.position([TopicPartition(topic, p)])[0].offset
            if pos >= remaining[p]:
                remaining.pop(p)
    consumer.close()
    return out


def print_table(rows: list[dict[str, Any]], out: TextIO) -> None:
    """A readable table: product, locale, kind, fallback flag, then the text."""
    rows = sorted(rows, key=lambda r: (r["product_ids"][0], r["kind"]))
    out.write(f"\n{'product':<10} {'loc':<3} {'kind':<12} {'fb':<2}  text\n")
    out.write("-" * 100 + "\n")
    for r in rows:
        flag = "T" if r["fallback"] else ""
        out.write(
            f"{r['product_ids'][0]:<10} {r['locale']:<3} {r['kind']:<12} {flag:<2}  {r['text']}\n"
        )


def run_demo(count: int = 60, out: TextIO = sys.stdout, log: Callable[[str], None] = print) -> int:
    # The table is the demo's output; per-record logs would bury it. Warnings still show.
    configure_logging("console", os.environ.get("COPYFLOW_LOG_LEVEL", "WARNING"))
    started_broker = False
    if not os.environ.get("KAFKA_BOOTSTRAP"):
        log("starting the dev broker (Apache Kafka, KRaft, 127.0.0.1)…")
        os.environ["KAFKA_BOOTSTRAP"] = devbroker.start()
        started_broker = True
    try:
        run_id = uuid.uuid4().hex[:6]
        # Fresh topics per run, so a shared cluster's old records never mix in.
        topics = TopicSettings(
            **{
                name: f"demo-{run_id}-{value}"
                for name, value in TopicSettings().model_dump().items()
            }
        )
        settings = Settings(topics=topics, group_id=f"copyflow-demo-{run_id}")
        conf = settings.kafka_common()
        ensure_topics(conf, all_topics(settings))
        log(f"broker {settings.bootstrap_servers}; topics demo-{run_id}-*")
        products = sample_products(count)
        produce_products(conf, topics.product_created, products)
        log(f"sent {len(products)} products (zh and en) to {topics.product_created}")
        pipeline = build_pipeline(settings)
        log(
            f"model {pipeline.generator.model_name} {pipeline.generator.model_version}; generating…"
        )
        t0 = time.perf_counter()
        stats = GeneratorWorker(settings, pipeline, topics=[topics.product_created]).run(
            idle_timeout_s=20, until=lambda s: s.consumed >= len(products)
        )
        elapsed = time.perf_counter() - t0
        codec = PlainAvroCodec("GeneratedContent")
        rows = [
            codec.decode(m.value())
            for t in (topics.descriptions, topics.ads)
            for m in read_topic(conf, t)
        ]
        print_table(rows, out)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.write(
            f"\n{stats.consumed} products → {stats.published} texts in {elapsed:.1f}s "
            f"({stats.fallbacks} template fallbacks, {stats.dead_lettered} dead letters); "
            f"peak RSS of this process (broker excluded) {peak_mb:.0f} MB\n"
        )
        return 0 if len(rows) == 2 * len(products) else 1
    finally:
        if started_broker:
            devbroker.stop()
            log("dev broker stopped")
