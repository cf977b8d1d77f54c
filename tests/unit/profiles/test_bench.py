"""The benchmark helpers work on a small workload without a broker."""

from __future__ import annotations

from workers.profiles.bench import (
    ProfileStage,
    Stage,
    envelopes_of,
    make_workload,
    measure_memory,
    product_record,
    render,
    run_bench,
    time_batches,
    time_stage,
)
from workers.profiles.config import ProfilesConfig
from workers.serde import PlainAvroCodec


def test_workload_is_valid_behavior_avro() -> None:
    """Every generated record decodes as UserBehavior with a known user."""
    w = make_workload(200, 20)
    codec = PlainAvroCodec("UserBehavior")
    users = {codec.decode(v)["user_id"] for v in w.values}
    assert len(w.values) == 200 and users <= {f"user-{i:07d}" for i in range(20)}


def test_stage_builds_profiles_and_memory_is_measured() -> None:
    """The timed stage fills profiles; tracemalloc reports a plausible size per profile."""
    w = make_workload(2000, 50)
    stage = Stage(w, ProfilesConfig())
    assert time_stage(w.values, stage) > 0
    assert len(stage.profiles) == 50
    mem = measure_memory(stage, 500)
    assert 500 < mem.bytes_per_profile < 50_000 and mem.json_bytes_per_profile > 100
    interned = measure_memory(stage, 500, intern=True)
    assert interned.bytes_per_profile < mem.bytes_per_profile  # shared strings are counted once


def test_run_without_kafka_renders_figures() -> None:
    """Without a broker the report has the stage rate and memory, no ratio."""
    result = run_bench(events=3000, users=100, memory_profiles=300, kafka_conf=None, rounds=2)
    assert result.ratio is None and result.stage_rate > 0 and len(result.stage_rates) == 2
    assert result.calibration_us > 0
    text = render(result)
    assert "events/s" in text and "per 1M users" in text and "ratio" not in text


def test_profile_stage_runs_the_engine_in_batches() -> None:
    """The timed stage is the worker's engine: profiles, co-occurrence and triggers fill."""
    w = make_workload(3000, 40)
    stage = ProfileStage(w, ProfilesConfig(batch_max=256))
    assert time_batches(envelopes_of(w.values), stage) > 0
    engine = stage.engine
    assert len(stage.profiles) == 40 and len(engine.state.co) > 0
    assert engine.metrics.behavior_events == 3000 and engine.metrics.triggers > 0
    assert engine.metrics.dead_lettered == 0 and engine.metrics.unknown_product == 0


def test_catalog_entries_become_product_records() -> None:
    """The bench sends its catalog as ProductCreated records that decode back equal."""
    w = make_workload(10, 2)
    codec = PlainAvroCodec("ProductCreated")
    rec = codec.decode(codec.encode(product_record(w.catalog[0])))
    assert rec["product_id"] == w.catalog[0]["product_id"]
    assert str(rec["price"]) == w.catalog[0]["price"]
