"""Dead letters end to end: every class of bad input, ``copyflow dlq inspect`` and ``redrive``.

Workers run in a thread with the canned generator (the real model for the input that only a
model refuses); the CLI runs as a subprocess.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from confluent_kafka import Producer

from tests.integration.kafka_helpers import plain_avro_decode, plain_avro_encode, produce, read_all
from tests.unit.factories import product_record
from workers.envelope import Envelope
from workers.generator.loop import GeneratorWorker
from workers.generator.requests import requests_from_product
from workers.generator.writer import PromptJob
from workers.kafka.dlq import dlq_facts
from workers.ops.audit import read_committed
from workers.ops.bounds import BrokerLookup
from workers.ops.chaos import wait_until, worker_env
from workers.ops.fast_generators import CannedTextGenerator
from workers.ops.pipelines import build_pipeline_with
from workers.prompt import build_prompt
from workers.sample_catalog import sample_products
from workers.serde import load_schema
from workers.settings import Settings

pytestmark = pytest.mark.integration


def _unchecked(schema: str, record: dict[str, Any]) -> bytes:
    """Encode without the codec's checks, as a buggy producer would."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, load_schema(schema), record)
    return buf.getvalue()


class _Broken(CannedTextGenerator):
    """A generator with a bug: every call fails, as after a bad deploy."""

    def generate(self, jobs: Sequence[PromptJob], /) -> list[str]:
        raise RuntimeError("tokenizer file truncated")


def _drain(settings: Settings, worker: GeneratorWorker, n: int) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: worker.stats.consumed >= n, 90)
    finally:
        stop.set()
        thread.join(60)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = worker_env(settings, COPYFLOW_LOG_LEVEL="WARNING")
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _messages(settings: Settings, topic: str) -> list[Any]:
    lookup = BrokerLookup(settings.kafka_common())
    try:
        return list(read_committed(settings.kafka_common(), topic, lookup))
    finally:
        lookup.close()


BAD_PRODUCTS: dict[str, tuple[bytes, str, str]] = {
    # name: (value, stage, words in the reason)
    "undecodable": (b"\x00\xff\xfe not avro at all", "decode", "not valid Avro"),
    "schema mismatch": (
        plain_avro_encode(
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
        ),
        "decode",
        "ProductCreated",
    ),
    "trailing bytes": (
        plain_avro_encode("ProductCreated", sample_products(1, seed=60)[0]) + b"\x00\x01",
        "decode",
        "trailing bytes",
    ),
    "missing field": (
        _unchecked("ProductCreated", product_record(event_id="")),
        "validate",
        "event_id",
    ),
    "out of range": (
        _unchecked("ProductCreated", product_record(price=Decimal("-1.00"))),
        "validate",
        "out of range",
    ),
    "bad currency": (
        _unchecked("ProductCreated", product_record(currency="??")),
        "validate",
        "ISO 4217",
    ),
}


def test_every_bad_input_class_lands_in_the_dlq_with_its_original(
    make_settings: Callable[..., Settings],
) -> None:
    """Each bad record is dead-lettered once with its bytes, headers and facts; good ones flow."""
    settings = make_settings()
    good = sample_products(2, seed=61)
    records: list[tuple[bytes | None, bytes]] = [
        (b"k", plain_avro_encode("ProductCreated", good[0]))
    ]
    records += [(name.encode(), value) for name, (value, _s, _r) in BAD_PRODUCTS.items()]
    records.append((b"k", plain_avro_encode("ProductCreated", good[1])))
    placed = produce(settings.bootstrap_servers, settings.topics.product_created, records)
    no_items = _unchecked(
        "ContentRequest",
        {
            "request_id": "r1",
            "kind": "recommendation",
            "locale": "en",
            "channel": "push",
            "items": [],
            "source_topic": "user-behavior",
            "source_partition": 0,
            "source_offset": 1,
            "source_event_id": "e1",
            "created_at": 0,
        },
    )
    [(req_p, req_o)] = produce(
        settings.bootstrap_servers, settings.topics.content_requests, [(b"u1", no_items)]
    )
    traced = Producer({"bootstrap.servers": settings.bootstrap_servers})
    traced.produce(
        settings.topics.product_created, b"\x01", b"traced", headers=[("traceparent", b"00-ab-01")]
    )
    assert traced.flush(30) == 0
    worker = GeneratorWorker(
        settings, build_pipeline_with(settings, CannedTextGenerator()), instance_id="dlq-1"
    )
    _drain(settings, worker, len(records) + 2)
    dead = read_all(
        settings.bootstrap_servers, settings.topics.dead_letter, expect=len(BAD_PRODUCTS) + 2
    )
    assert len(dead) == len(BAD_PRODUCTS) + 2
    [with_trace] = [m for m in dead if m.key() == b"traced"]
    # Original headers come first, unchanged, then the dead-letter facts.
    assert Envelope.from_message(with_trace).headers[0] == ("traceparent", b"00-ab-01")
    assert with_trace.value() == b"\x01"
    by_source = {
        (f["source.topic"], int(f["source.partition"]), int(f["source.offset"])): (m, f)
        for m in dead
        for f in [dlq_facts(list(Envelope.from_message(m).headers))]
    }
    for i, (name, (value, stage, words)) in enumerate(BAD_PRODUCTS.items(), start=1):
        msg, facts = by_source[(settings.topics.product_created, *placed[i])]
        assert msg.value() == value and msg.key() == name.encode(), name
        assert (facts["stage"], facts["class"]) == (stage, "bad_input"), name
        assert words in facts["reason"], (name, facts["reason"])
        assert int(facts["timestamp"]) > 0 and int(facts["source.timestamp"]) > 0
    msg, facts = by_source[(settings.topics.content_requests, req_p, req_o)]
    assert (
        msg.value() == no_items
        and facts["stage"] == "validate"
        and "at least one item" in facts["reason"]
    )
    descriptions = read_all(settings.bootstrap_servers, settings.topics.descriptions, expect=2)
    assert sorted(
        plain_avro_decode("GeneratedContent", m.value() or b"")["source_event_id"]
        for m in descriptions
    ) == sorted(p["event_id"] for p in good)


def test_inspect_summarizes_by_stage_class_reason_and_source(
    make_settings: Callable[..., Settings],
) -> None:
    """``copyflow dlq inspect --json`` counts dead letters and shows samples; filters narrow it."""
    settings = make_settings()
    produce(
        settings.bootstrap_servers,
        settings.topics.product_created,
        [(n.encode(), v) for n, (v, _s, _r) in BAD_PRODUCTS.items()],
    )
    worker = GeneratorWorker(
        settings, build_pipeline_with(settings, CannedTextGenerator()), instance_id="dlq-2"
    )
    _drain(settings, worker, len(BAD_PRODUCTS))
    result = _cli(settings, "dlq", "inspect", "--json", "--samples", "2")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["total"] == summary["matched"] == 6
    assert summary["by_stage"] == {"decode": 3, "validate": 3}
    assert summary["by_class"] == {"bad_input": 6}
    assert summary["by_source_topic"] == {settings.topics.product_created: 6}
    assert len(summary["samples"]) == 2 and summary["samples"][0]["value"]
    narrowed = json.loads(
        _cli(
            settings, "dlq", "inspect", "--json", "--stage", "validate", "--reason", "range"
        ).stdout
    )
    assert narrowed["matched"] == 1
    table = _cli(settings, "dlq", "inspect")
    assert "by stage:" in table.stdout and "6 dead letters" in table.stdout
    print("\n" + table.stdout)


def test_redrive_after_a_fix_publishes_what_a_bug_dead_lettered(
    make_settings: Callable[..., Settings],
) -> None:
    """A bad deploy dead-letters good records; a dry run changes nothing; --execute sends them."""
    settings = make_settings()
    products = sample_products(3, seed=62)
    produce(
        settings.bootstrap_servers,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )
    broken = GeneratorWorker(
        settings,
        build_pipeline_with(settings, _Broken()),
        instance_id="dlq-3",
        max_unexpected_in_a_row=0,
    )
    _drain(settings, broken, 3)
    assert broken.stats.dead_lettered == 3
    source_before = len(_messages(settings, settings.topics.product_created))
    dry = _cli(settings, "dlq", "redrive", "--class", "unexpected")
    assert (
        dry.returncode == 0 and "would redrive (dry run" in dry.stdout and "3 records" in dry.stdout
    )
    assert len(_messages(settings, settings.topics.product_created)) == source_before
    done = _cli(settings, "dlq", "redrive", "--class", "unexpected", "--execute")
    assert done.returncode == 0, done.stderr
    assert "sent 3 records" in done.stdout
    source = _messages(settings, settings.topics.product_created)
    redriven = [e for e in source if "copyflow.redrive.count" in dict(e.headers)]
    assert len(source) == source_before + 3 and len(redriven) == 3
    assert all(dict(e.headers)["copyflow.redrive.count"] == b"1" for e in redriven)
    assert all(not k.startswith("copyflow.dlq.") for e in redriven for k, _v in e.headers)
    fixed = GeneratorWorker(
        settings, build_pipeline_with(settings, CannedTextGenerator()), instance_id="dlq-4"
    )
    _drain(settings, fixed, 3)
    descriptions = read_all(settings.bootstrap_servers, settings.topics.descriptions, expect=3)
    assert sorted(
        plain_avro_decode("GeneratedContent", m.value() or b"")["source_event_id"]
        for m in descriptions
    ) == sorted(p["event_id"] for p in products)
    # A redrive loop is refused: records already redriven max times are not sent again.
    again = _cli(
        settings, "dlq", "redrive", "--class", "unexpected", "--max-redrives", "0", "--execute"
    )
    assert (
        again.returncode == 0 and "sent 0 records" in again.stdout and "refused 3" in again.stdout
    )


def _emoji_product() -> dict[str, Any]:
    """A valid product the model can never be prompted with: emoji titles and values.

    Every field is within the prompt's character bounds, but each emoji is four bytes of
    byte-level BPE, so the prompt is over twice the model's context.
    """
    flair = "🔥✨🎧💥"
    return product_record(
        event_id="evt-emoji",
        product_id="P-EMOJI",
        sku="SKU-EMOJI",
        title="限时爆款" + flair * 19,
        attributes={f"亮点{i}": flair * 12 for i in range(8)},
    )


def test_a_request_the_model_can_never_serve_is_dead_lettered_in_a_live_batch(
    make_settings: Callable[..., Settings],
    make_pipeline: Callable[[Settings], Any],
    text_generator: Any,
) -> None:
    """With the real model: the one unservable input goes to the DLQ as unprocessable, with
    its bytes, headers and a reason naming the limit; the inputs in its batch publish.

    At the default length limits no request fails the guards for good (the template's last
    candidates pass any of them), so this is the unprocessable input that exists in
    production: a prompt longer than the model's context, which the engine refuses.
    """
    settings = make_settings(max_batch_wait_ms=5000)
    bad = _emoji_product()
    req = requests_from_product(
        bad, Envelope(settings.topics.product_created, 0, 0, None, b"", (), 0)
    )
    limit = text_generator.engine.model.manifest.max_positions
    tokens = len(text_generator.engine.tokenizer.encode(build_prompt(req[0])))
    assert limit is not None and tokens > limit  # the premise: no model run can take it

    good = sample_products(2, seed=63)
    bad_value = plain_avro_encode("ProductCreated", bad)
    records = [
        (good[0]["product_id"].encode(), plain_avro_encode("ProductCreated", good[0])),
        (b"P-EMOJI", bad_value),
        (good[1]["product_id"].encode(), plain_avro_encode("ProductCreated", good[1])),
    ]
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    for key, value in records:
        # One partition, so the three records reach the worker as one micro-batch.
        producer.produce(
            settings.topics.product_created,
            value,
            key,
            partition=0,
            headers=[("traceparent", b"00-emoji-01")] if key == b"P-EMOJI" else None,
        )
    assert producer.flush(30) == 0

    worker = GeneratorWorker(settings, make_pipeline(settings), instance_id="dlq-model")
    _drain(settings, worker, 3)
    assert worker.stats.batches == 1 and worker.stats.consumed == 3
    assert (worker.stats.published, worker.stats.dead_lettered) == (4, 1)

    [dead] = read_all(settings.bootstrap_servers, settings.topics.dead_letter, expect=1)
    assert dead.key() == b"P-EMOJI" and dead.value() == bad_value
    headers = Envelope.from_message(dead).headers
    assert headers[0] == ("traceparent", b"00-emoji-01")
    facts = dlq_facts(list(headers))
    assert (facts["stage"], facts["class"]) == ("generate", "unprocessable")
    assert f"prompt has {tokens} tokens, model context is {limit}" in facts["reason"]
    assert (facts["source.topic"], facts["source.partition"], facts["source.offset"]) == (
        settings.topics.product_created,
        "0",
        "1",
    )
    assert int(facts["timestamp"]) > 0 and int(facts["source.timestamp"]) > 0

    published = {
        topic: read_all(settings.bootstrap_servers, topic, expect=2)
        for topic in (settings.topics.descriptions, settings.topics.ads)
    }
    for topic, messages in published.items():
        events = sorted(
            plain_avro_decode("GeneratedContent", m.value() or b"")["source_event_id"]
            for m in messages
        )
        assert events == sorted(p["event_id"] for p in good), topic
