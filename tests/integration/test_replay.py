"""``copyflow replay`` against the real broker: plans, bounded reads, determinism, resume, refusals.

The command runs as a subprocess, as an SRE would run it, with the canned generator
(``COPYFLOW_OPS_GENERATOR=canned``) unless a test says otherwise; the backfill test uses the
real model when ``models/copyflow-small-v1`` exists.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.integration.kafka_helpers import plain_avro_decode, plain_avro_encode, produce
from workers.generator.loop import GeneratorWorker
from workers.kafka.topics import ensure_topics
from workers.ops.audit import read_committed
from workers.ops.bounds import BrokerLookup
from workers.ops.chaos import worker_env
from workers.ops.fast_generators import CannedTextGenerator
from workers.ops.lag import group_lag
from workers.ops.pipelines import build_pipeline_with
from workers.sample_catalog import sample_products
from workers.settings import DEFAULT_MODEL_DIR, Settings

pytestmark = pytest.mark.integration


def _send(settings: Settings, n: int, seed: int) -> list[tuple[int, int]]:
    products = sample_products(n, seed=seed)
    return produce(
        settings.bootstrap_servers,
        settings.topics.product_created,
        [(p["product_id"].encode(), plain_avro_encode("ProductCreated", p)) for p in products],
    )


def _side(settings: Settings, name: str) -> str:
    topic = f"{settings.group_id}-{name}"
    ensure_topics(settings.kafka_common(), [topic], partitions=3)
    return topic


def _settle(settings: Settings, topic: str, timeout_s: float = 20.0) -> None:
    """Wait until no transaction is pending on ``topic``: every partition's last stable
    offset has reached its high watermark. A producer's commit returns before the broker
    writes the commit markers, so a read right after a replay exits could stop at the old
    stable offset and see none of its records (seen once in CI)."""
    committed = BrokerLookup(settings.kafka_common())
    plain = Consumer(
        {
            **settings.kafka_common(),
            "group.id": "copyflow-test-settle",
            "enable.auto.commit": False,
            # librdkafka's default is read_committed: its "high" would be the stable offset.
            "isolation.level": "read_uncommitted",
        }
    )
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            parts = committed.topic_partitions(topic) or []
            stable = [committed.watermarks(topic, p)[1] for p in parts]
            high = [
                plain.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                for p in parts
            ]
            if stable == high:
                return
            time.sleep(0.2)
    finally:
        committed.close()
        plain.close()


def _records(
    settings: Settings, topic: str, settle: bool = True
) -> list[tuple[bytes | None, bytes, tuple[tuple[str, bytes], ...]]]:
    """The committed records of ``topic``; ``settle``: first wait for pending commit markers
    (off while a replay is still writing, when transactions are open by design)."""
    if settle:
        _settle(settings, topic)
    lookup = BrokerLookup(settings.kafka_common())
    try:
        return [
            (e.key, e.value, e.headers)
            for e in read_committed(settings.kafka_common(), topic, lookup)
        ]
    finally:
        lookup.close()


def _replay(
    settings: Settings, tmp_path: Path, *args: str, generator: str = "canned", timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = worker_env(settings, COPYFLOW_LOG_LEVEL="WARNING")
    if generator:
        env["COPYFLOW_OPS_GENERATOR"] = generator
    else:
        env.pop("COPYFLOW_OPS_GENERATOR", None)
    cmd = [
        sys.executable,
        "-m",
        "workers.cli",
        "replay",
        "--checkpoint-dir",
        str(tmp_path / "ckpt"),
        *args,
    ]
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _range(settings: Settings, out: str, *extra: str) -> list[str]:
    return [
        "--source",
        settings.topics.product_created,
        "--from",
        "earliest",
        "--to",
        "latest",
        "--out",
        out,
        *extra,
    ]


def test_dry_run_prints_the_plan_and_writes_nothing(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Without --execute the plan (counts per partition) is printed and no record is written."""
    settings = make_settings()
    _send(settings, 30, seed=51)
    out = _side(settings, "side")
    result = _replay(settings, tmp_path, *_range(settings, out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:1] == ["total"] and line.split()[1] == "30" for line in lines), (
        result.stdout
    )
    assert sum(1 for line in lines if line.strip()[:1].isdigit()) == 3  # one row per partition
    assert "dry run: nothing was written" in result.stdout
    assert _records(settings, out) == []


def test_execute_backfills_descriptions_and_never_touches_the_live_group(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """--execute --kinds description writes one description per product; live offsets stay put."""
    settings = make_settings()
    placed = _send(settings, 40, seed=52)
    live = GeneratorWorker(
        settings, build_pipeline_with(settings, CannedTextGenerator()), instance_id="live"
    )
    live.run(until=lambda s: s.consumed >= 40)
    before = group_lag(
        settings.kafka_common(), settings.group_id, [settings.topics.product_created]
    )
    out = _side(settings, "descriptions-v2")
    began = time.monotonic()
    result = _replay(
        settings, tmp_path, *_range(settings, out, "--kinds", "description", "--execute")
    )
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    print(f"\nreplay: {result.stdout.splitlines()[-1].strip()} (wall {took:.1f}s incl. start-up)")
    records = [plain_avro_decode("GeneratedContent", v) for _k, v, _h in _records(settings, out)]
    assert len(records) == 40 and {r["kind"] for r in records} == {"description"}
    assert sorted((r["source_partition"], r["source_offset"]) for r in records) == sorted(placed)
    assert "read=40 generated=40 dead_lettered=0 skipped=0" in result.stdout
    after = group_lag(settings.kafka_common(), settings.group_id, [settings.topics.product_created])
    assert [p.committed for p in after] == [p.committed for p in before]


def test_same_range_twice_gives_identical_records(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Two replays of one range write byte-identical keys, values and headers."""
    settings = make_settings()
    _send(settings, 25, seed=53)
    first, second = _side(settings, "a"), _side(settings, "b")
    assert _replay(settings, tmp_path, *_range(settings, first, "--execute")).returncode == 0
    assert (
        _replay(
            settings, tmp_path, *_range(settings, second, "--execute", "--batch-size", "7")
        ).returncode
        == 0
    )
    a, b = _records(settings, first), _records(settings, second)
    assert len(a) == 50
    assert Counter(a) == Counter(b)


def test_interrupted_replay_resumes_exactly_once(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """SIGINT stops after a transaction (exit 130); the same command resumes; no record twice."""
    settings = make_settings()
    _send(settings, 60, seed=54)
    out = _side(settings, "resume")
    args = _range(settings, out, "--execute", "--rate", "12", "--batch-size", "4")
    env = worker_env(settings, COPYFLOW_OPS_GENERATOR="canned", COPYFLOW_LOG_LEVEL="WARNING")
    cmd = [
        sys.executable,
        "-m",
        "workers.cli",
        "replay",
        "--checkpoint-dir",
        str(tmp_path / "ckpt"),
        *args,
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_records(settings, out, settle=False)) < 16 and time.monotonic() < deadline:
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    stdout, _stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout
    assert "interrupted" in stdout
    partial = len(_records(settings, out))
    assert 0 < partial < 120
    resumed = _replay(settings, tmp_path, *args, timeout=240)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming replay" in resumed.stdout
    records = [plain_avro_decode("GeneratedContent", v) for _k, v, _h in _records(settings, out)]
    keys = Counter((r["source_partition"], r["source_offset"], r["kind"]) for r in records)
    print(f"\nresume: {partial} outputs before SIGINT, {len(records)} after the rerun")
    assert len(keys) == 120 and set(keys.values()) == {1}
    again = _replay(settings, tmp_path, *args)
    assert again.returncode == 0 and "already completed" in again.stdout


def test_time_bounds_select_records_by_timestamp(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """--from/--to as times pick the records with from <= timestamp < to, in every partition."""
    settings = make_settings()
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    base = 1_700_000_000_000
    for i, p in enumerate(sample_products(10, seed=55)):
        producer.produce(
            settings.topics.product_created,
            plain_avro_encode("ProductCreated", p),
            p["product_id"].encode(),
            partition=i % 2,
            timestamp=base + i * 1000,
        )
    assert producer.flush(30) == 0
    out = _side(settings, "window")
    args = [
        "--source",
        settings.topics.product_created,
        "--from",
        f"@{base + 3000}",
        "--to",
        f"@{base + 7000}",
        "--out",
        out,
        "--kinds",
        "ad",
        "--execute",
    ]
    result = _replay(settings, tmp_path, *args)
    assert result.returncode == 0, result.stderr
    stamps = sorted(
        int(plain_avro_decode("GeneratedContent", v)["created_at"].timestamp() * 1000)
        for _k, v, _h in _records(settings, out)
    )
    # Deterministic records carry the source timestamp as created_at.
    assert stamps == [base + 3000, base + 4000, base + 5000, base + 6000]


def test_rate_limit_paces_the_replay(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """--rate 20 over 40 records takes about two seconds of pacing, never much faster."""
    settings = make_settings()
    _send(settings, 40, seed=56)
    out = _side(settings, "paced")
    result = _replay(
        settings, tmp_path, *_range(settings, out, "--rate", "20", "--batch-size", "5", "--execute")
    )
    assert result.returncode == 0, result.stderr
    summary = result.stdout.splitlines()[-1]
    rate = float(summary.rsplit("rate=", 1)[1].rstrip("/s"))
    print(f"\nrate limit: {summary.strip()}")
    assert rate <= 22.0


def _refused(
    settings: Settings, tmp_path: Path, args: Sequence[str], needle: str, generator: str = "canned"
) -> None:
    result = _replay(settings, tmp_path, *args, "--execute", generator=generator)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert needle in result.stderr, result.stderr


def test_bad_input_is_refused_before_anything_is_written(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Unknown topics, inverted ranges, live outputs, retention gaps, no model: exit 2."""
    settings = make_settings()
    _send(settings, 12, seed=57)
    out = _side(settings, "guarded")
    src = settings.topics.product_created
    _refused(
        settings,
        tmp_path,
        [
            "--source",
            "no-such-topic",
            "--from",
            "earliest",
            "--to",
            "latest",
            "--out",
            out,
            "--source-schema",
            "product-created",
        ],
        "unknown topic",
    )
    _refused(
        settings,
        tmp_path,
        ["--source", src, "--from", "earliest", "--to", "latest", "--out", "nope-out"],
        "unknown topic",
    )
    _refused(
        settings,
        tmp_path,
        ["--source", src, "--from", "@2000", "--to", "@1000", "--out", out],
        "inverted",
    )
    _refused(
        settings, tmp_path, _range(settings, settings.topics.descriptions), "live output topic"
    )
    _refused(
        settings,
        tmp_path,
        _range(settings, out, "--model", str(tmp_path / "no-model")),
        "model not found",
        generator="",
    )
    # Retention: delete the first records of partition 0, then ask for them.
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    _low, high = BrokerLookup(settings.kafka_common()).watermarks(src, 0)
    assert high >= 2
    for fut in admin.delete_records([TopicPartition(src, 0, high - 1)]).values():
        fut.result()
    _refused(
        settings,
        tmp_path,
        ["--source", src, "--from", "0", "--to", "latest", "--out", out],
        "deleted by retention",
    )
    _refused(
        settings,
        tmp_path,
        ["--source", src, "--from", "@1", "--to", "latest", "--out", out],
        "before the oldest retained record",
    )
    assert _records(settings, out) == []


@pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").is_file(),
    reason=f"no model at {DEFAULT_MODEL_DIR} yet (another engineer is training it)",
)
@pytest.mark.slow
def test_backfill_with_the_model_folder(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """--model names a model folder: descriptions regenerate with its version, deterministically."""
    settings = make_settings()
    _send(settings, 6, seed=58)
    first, second = _side(settings, "model-a"), _side(settings, "model-b")
    for out in (first, second):
        result = _replay(
            settings,
            tmp_path,
            *_range(
                settings,
                out,
                "--kinds",
                "description",
                "--model",
                str(DEFAULT_MODEL_DIR),
                "--execute",
            ),
            generator="",
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
    a, b = _records(settings, first), _records(settings, second)
    records = [plain_avro_decode("GeneratedContent", v) for _k, v, _h in a]
    assert len(records) == 6 and {r["kind"] for r in records} == {"description"}
    assert (
        len({r["model_version"] for r in records}) == 1
        and records[0]["model_name"] != "copyflow-canned"
    )
    assert Counter(a) == Counter(b)
