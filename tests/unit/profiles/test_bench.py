"""The benchmark helpers work on a small workload without a broker."""

from __future__ import annotations

from workers.profiles.bench import (
    Stage,
    make_workload,
    measure_memory,
    render,
    run_bench,
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


def test_run_without_kafka_renders_figures() -> None:
    """Without a broker the report has the stage rate and memory, no ratio."""
    result = run_bench(events=3000, users=100, memory_profiles=300, kafka_conf=None, rounds=2)
    assert result.ratio is None and result.stage_rate > 0 and len(result.stage_rates) == 2
    assert result.calibration_us > 0
    text = render(result)
    assert "events/s" in text and "per 1M users" in text and "ratio" not in text
