"""Replay planning refuses unsafe or impossible requests before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.ops.lookup import two_partitions
from workers.errors import BadInput
from workers.ops.bounds import PartitionRange
from workers.ops.replay_plan import PlanStore, ReplayArgs, ReplayPlan, make_plan
from workers.settings import Settings


def _args(**kw: object) -> ReplayArgs:
    fields: dict[str, object] = {
        "source": "src",
        "start": "earliest",
        "end": "latest",
        "out": "side",
    }
    fields.update(kw)
    return ReplayArgs(source_schema="product-created", **fields)  # type: ignore[arg-type]


def _plan(settings: Settings, **kw: object) -> ReplayPlan:
    return make_plan(_args(**kw), settings, two_partitions(), "m", "v1", now_ms=1)


def test_plan_resolves_every_partition(settings: Settings) -> None:
    """earliest..latest covers both partitions in full; the plan names a group and a txn id."""
    plan = _plan(settings)
    assert plan.ranges == (PartitionRange(0, 0, 10), PartitionRange(1, 0, 10))
    assert plan.total == 20
    assert plan.group_id == plan.transactional_id == f"copyflow-replay-{plan.replay_id}"
    assert plan.group_id != settings.group_id


def test_same_request_same_name_fresh_differs(settings: Settings) -> None:
    """The replay id is a pure function of what it does, unless --fresh asks for a new one."""
    assert _plan(settings).replay_id == _plan(settings).replay_id
    assert _plan(settings).replay_id != _plan(settings, fresh=True).replay_id
    assert _plan(settings).replay_id != _plan(settings, partitions="1").replay_id


@pytest.mark.parametrize("out", ["content-descriptions", "content-ads", "content-recommendations"])
def test_live_output_needs_allow_live(settings: Settings, out: str) -> None:
    """Writing into a live output topic is refused unless --allow-live is given."""
    lookup = two_partitions()
    lookup.partitions[out] = [0]
    with pytest.raises(BadInput, match="live output topic"):
        make_plan(_args(out=out), settings, lookup, "m", "v1")
    assert make_plan(_args(out=out, allow_live=True), settings, lookup, "m", "v1").out == out


def test_inputs_and_the_source_are_never_targets(settings: Settings) -> None:
    """A replay never writes into an input topic or into its own source."""
    lookup = two_partitions()
    lookup.partitions["product-created"] = [0]
    with pytest.raises(BadInput, match="live input topic"):
        make_plan(_args(out="product-created", allow_live=True), settings, lookup, "m", "v1")
    with pytest.raises(BadInput, match="source topic"):
        make_plan(_args(out="src"), settings, lookup, "m", "v1")


def test_unknown_topics_are_named(settings: Settings) -> None:
    """Missing source, output or DLQ topics are listed in one error; nothing is auto-created."""
    with pytest.raises(BadInput, match=r"unknown topic.*nope.*gone"):
        make_plan(_args(source="nope", out="gone"), settings, two_partitions(), "m", "v1")


def test_bad_kinds_and_unknown_schema_are_refused(settings: Settings) -> None:
    """--kinds must be known kinds; an unguessable source needs --source-schema."""
    with pytest.raises(BadInput, match="--kinds"):
        _plan(settings, kinds=("poem",))
    args = ReplayArgs(source="src", start="earliest", end="latest", out="side")
    with pytest.raises(BadInput, match="--source-schema"):
        make_plan(args, settings, two_partitions(), "m", "v1")


def test_plan_store_round_trip(tmp_path: Path, settings: Settings) -> None:
    """A saved plan loads back equal, with its status; an unreadable file reads as none."""
    store = PlanStore(tmp_path / "replay")
    plan = _plan(settings)
    key = store.args_key(_args(), "v1")
    assert store.load(key) is None
    store.save(key, plan, "running")
    assert store.load(key) == (plan, "running")
    store.path(key).write_text("{not json")
    assert store.load(key) is None


def test_describe_shows_ranges_and_progress(settings: Settings) -> None:
    """The dry-run table lists each partition's range, size and what is already done."""
    text = _plan(settings).describe(done={0: 4})
    assert "counted only" in text
    lines = text.splitlines()
    assert lines[-3].split() == ["0", "0", "10", "10", "4"]
    assert lines[-1].split() == ["total", "20", "4"]
