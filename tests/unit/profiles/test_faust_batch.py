"""The batch edge without a broker: changelog bytes, logged writes, wiring, batch acks."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.serializers import codecs

from workers.profiles.app import BehaviorBatches, InterningJson, TableView, build_app
from workers.profiles.config import ProfilesConfig
from workers.profiles.faust_batch import (
    BatchingConsumer,
    changelog_record,
    supported,
)
from workers.settings import Settings, TopicSettings


def test_changelog_records_are_the_bytes_faust_writes() -> None:
    """Keys and values serialize exactly as the table's own writes do; None is a tombstone."""
    app, _engine = build_app(Settings(), ProfilesConfig(app_id="unit-cl"), 3)
    table: Any = app.tables["profiles"]
    value = {"cat": {"数码/耳机": 2.5, "Home": 1e-07}, "eids": "ab", "viewed": ["P1"]}
    for key in ("user-1", "用户", 'a"b\\c\n', "0:P-1"):
        assert changelog_record(table, key, value) == (
            codecs.dumps(table.key_serializer, key),
            codecs.dumps(table.value_serializer, value),
        )
    assert changelog_record(table, "u", None) == (b'"u"', None)
    assert InterningJson().loads(changelog_record(table, "u", value)[1] or b"") == value


def test_logged_writes_change_the_store_and_are_listed_in_order() -> None:
    """With a log set, writes and deletes go to the store's dict and the log, not faust."""
    app, engine = build_app(Settings(), ProfilesConfig(app_id="unit-log"), 3)
    profiles: Any = engine.state.profiles
    erased: Any = engine.state.erased
    assert isinstance(profiles, TableView) and profiles.dict_backed
    log: list[tuple[Any, str, Any]] = []
    profiles.log_writes(log)
    erased.log_writes(log)
    profiles["u1"] = {"n": 1}
    erased["digest"] = 5
    del profiles["u1"]
    profiles.log_writes(None)
    erased.log_writes(None)
    table, erased_table = app.tables["profiles"], app.tables["erased"]
    assert log == [(table, "u1", {"n": 1}), (erased_table, "digest", 5), (table, "u1", None)]
    assert "u1" not in profiles and erased.get("digest") == 5


def test_a_view_over_another_store_refuses_to_log() -> None:
    """Only the in-memory store's dict can be written behind faust's back."""
    view = TableView(SimpleNamespace(data=SimpleNamespace(data="not a dict")))
    assert not view.dict_backed
    with pytest.raises(TypeError):
        view.log_writes([])


def test_the_app_routes_behavior_to_the_batch_edge_unless_turned_off() -> None:
    """The behavior topic goes to BehaviorBatches (its agent stays for the assignment);
    with ``batch_edge`` off, or on another faust version, the agent gets the records."""
    topics = TopicSettings(user_behavior="ub")
    app, _engine = build_app(Settings(topics=topics), ProfilesConfig(app_id="unit-route"), 3)
    route = getattr(app, "batch_route", None)
    assert supported() and route is not None
    assert route[0] == "ub" and isinstance(route[1], BehaviorBatches)
    assert "ub" in {t for agent in app.agents.values() for t in agent.channel.topics}
    off, _ = build_app(
        Settings(topics=topics), ProfilesConfig(app_id="unit-off", batch_edge=False), 3
    )
    assert getattr(off, "batch_route", None) is None


def test_a_batch_is_acked_only_when_its_handler_returns() -> None:
    """Offsets of a batch become committable after the handler (writes handed over), in
    one step; a handler that raises leaves them unacked (they are read again)."""
    app, _engine = build_app(
        Settings(topics=TopicSettings(user_behavior="ub")), ProfilesConfig(app_id="unit-ack"), 3
    )
    consumer: Any = app.consumer
    assert isinstance(consumer, BatchingConsumer)
    app.topics.acks_enabled_for = lambda topic: True  # type: ignore[method-assign]
    tp = consumer._new_topicpartition("ub", 1)
    records = [SimpleNamespace(offset=o) for o in range(10, 15)]
    seen: list[tuple[int, list[int]]] = []

    async def handler(tp_: Any, recs: Any) -> None:
        seen.append((tp_.partition, [r.offset for r in recs]))
        assert consumer._new_offset(tp) is None  # nothing committable mid-batch
        assert len(consumer._unacked_messages) == 1  # wait_empty waits for this batch

    async def failing(tp_: Any, recs: Any) -> None:
        raise RuntimeError("send failed")

    async def run() -> None:
        generation = app.consumer_generation_id
        with pytest.raises(RuntimeError):
            await consumer._deliver(tp, records[:2], failing, generation)
        assert consumer._new_offset(tp) is None and not consumer._unacked_messages
        await consumer._deliver(tp, records, handler, generation)

    asyncio.run(run())
    assert seen == [(1, [10, 11, 12, 13, 14])]
    assert consumer._new_offset(tp) == 15 and not consumer._unacked_messages
    assert consumer._read_offset[tp] == 14
