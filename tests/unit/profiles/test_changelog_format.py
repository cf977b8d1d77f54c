"""Changelog values: what the tables write now reads back as the same state, and values
written in the earlier format (standard-library JSON, co-occurrence counts as floats)
recover into state that goes on exactly as if it had never been written."""

from __future__ import annotations

import json
from typing import Any

from workers.profiles.app import InterningJson
from workers.profiles.bench import ProfileStage, envelopes_of, make_workload
from workers.profiles.config import ProfilesConfig
from workers.serde import PlainAvroCodec

NOW = 1_790_000_000_000
REQUEST = PlainAvroCodec("ContentRequest")


def _old_format(value: Any, co: bool) -> bytes:
    """A value as the previous release wrote it: json.dumps, counts as floats."""
    if co:
        value = {
            **value,
            "v": {k: float(n) for k, n in value["v"].items()},
            "b": {k: float(n) for k, n in value["b"].items()},
        }
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _stage(workload: Any) -> ProfileStage:
    return ProfileStage(workload, ProfilesConfig(), partitions=3)


def _run(stage: ProfileStage, envelopes: list[Any], now: int) -> list[Any]:
    """Batches of 250 and a flush after each; the requests decoded."""
    out = []
    for i in range(0, len(envelopes), 250):
        stage.engine.on_behavior_batch(envelopes[i : i + 250], now)
        now += 10_000  # past the debounce window: requests in both halves
        out += [REQUEST.decode(p.value, p.topic) for p in stage.engine.flush(now)]
    return out


def _numbers(state: Any) -> str:
    """State as JSON with every number a float, key order kept (eviction ties use it)."""

    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
        return v

    return json.dumps(walk(state))


def test_values_are_written_as_json_dumps_writes_them_and_read_back_equal() -> None:
    workload = make_workload(4000, 300)
    stage = _stage(workload)
    _run(stage, envelopes_of(workload.values), NOW)
    codec = InterningJson()
    tables = (stage.engine.state.profiles, stage.engine.state.co)
    values = [v for table in tables for v in table.values()]
    assert len(values) > 300
    for value in values:
        data = codec.dumps(value)
        assert data == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        assert codec.loads(data) == value
    tiny = {"cat": {"数码/耳机": 2.5e-05, "Home": 1e-07, "big": 1e22}, "n": 3, "eids": "ab"}
    assert codec.loads(codec.dumps(tiny)) == tiny


def test_state_recovered_from_the_previous_format_goes_on_as_before() -> None:
    """Half a workload, state written in the old format and recovered into a fresh engine,
    then the other half: the same state and requests as one engine run straight through."""
    workload = make_workload(6000, 400)
    envelopes = envelopes_of(workload.values)
    half = len(envelopes) // 2

    later = NOW + 10_000 * (half // 250)  # the clock of the second half's first batch

    straight = _stage(workload)
    expected = _run(straight, envelopes[:half], NOW)
    straight.engine.refresh(later, force=True)  # both rank popularity at the same moment
    expected += _run(straight, envelopes[half:], later)

    first = _stage(workload)
    requests = _run(first, envelopes[:half], NOW)
    assert 0 < len(requests) < len(expected)  # requests in both halves
    codec = InterningJson()
    recovered = _stage(workload)
    state, old = recovered.engine.state, first.engine.state
    for user_id, profile in old.profiles.items():
        state.profiles[user_id] = codec.loads(_old_format(profile, co=False))
    for key, entry in old.co.items():
        state.co[key] = codec.loads(_old_format(entry, co=True))
    assert any(isinstance(n, float) for e in state.co.values() for n in e["v"].values())
    recovered.engine.debouncer = first.engine.debouncer  # soft state, not changelogged
    recovered.engine.refresh(later, force=True)
    requests += _run(recovered, envelopes[half:], later)

    assert requests == expected
    assert _numbers(dict(state.profiles)) == _numbers(dict(straight.engine.state.profiles))
    assert _numbers(dict(state.co)) == _numbers(dict(straight.engine.state.co))
    for key, entry in state.co.items():  # new counts write as ints, recovered ones go on
        assert json.loads(codec.dumps(entry)) == straight.engine.state.co[key]
