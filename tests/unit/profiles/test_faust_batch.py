"""The batch edge without a broker: changelog bytes, logged writes, wiring, batch acks."""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from faust.serializers import codecs

from workers.profiles.app import BehaviorBatches, InterningJson, TableView, build_app
from workers.profiles.config import ProfilesConfig
from workers.profiles.faust_batch import (
    BatchingConsumer,
    changelog_record,
    send_changelog,
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
    odd = {
        "f": [0.1, -0.0, 1e22, 2.5e-05, math.inf, -math.inf, 1.0000038852075177],
        "nested": {"a": [1, [2, {"b": None, "c": True}]], "é\\u": "\x00\"'"},
        "dec": Decimal("12.30"),  # not JSON: faust's encoder writes it as a string
        "t": (1, 2),
        "big": 2**70,
    }
    for v in (odd, "just a string", 3, 2.5, None, [], {}):
        want = None if v is None else codecs.dumps(table.value_serializer, v)
        assert changelog_record(table, "k", v) == (b'"k"', want)
        # The table's codec (InterningJson) writes faust's own json bytes.
        assert want is None or want == codecs.dumps("json", v)


def test_logged_writes_change_the_store_and_keep_each_keys_last_value() -> None:
    """With a log set, writes and deletes go to the store's dict and the view's log, not
    faust: per key its last value (None: deleted), in the order keys were first written."""
    _app, engine = build_app(Settings(), ProfilesConfig(app_id="unit-log"), 3)
    profiles: Any = engine.state.profiles
    erased: Any = engine.state.erased
    assert isinstance(profiles, TableView) and profiles.dict_backed
    log: dict[str, Any] = {}
    erased_log: dict[str, Any] = {}
    profiles.log_writes(log)
    erased.log_writes(erased_log)
    profiles["u1"] = {"n": 1}
    profiles["u2"] = {"n": 2}
    erased["digest"] = 5
    del profiles["u1"]
    profiles["u2"] = {"n": 3}
    profiles["u3"] = {"n": 4}
    del profiles["u3"]
    profiles["u3"] = {"n": 5}
    profiles.log_writes(None)
    erased.log_writes(None)
    assert list(log.items()) == [("u1", None), ("u2", {"n": 3}), ("u3", {"n": 5})]
    assert erased_log == {"digest": 5}
    assert "u1" not in profiles and profiles.get("u2") == {"n": 3}
    assert erased.get("digest") == 5
    with pytest.raises(TypeError):  # no log: through the table, which needs a stream
        profiles["u4"] = {"n": 6}
    assert "u4" not in log


def test_write_all_leaves_what_a_write_per_key_leaves() -> None:
    """``write_all`` (the engine's write-back) gives the store's dict and the log the
    same contents, in the same order, as one ``view[key] = value`` per key; without a
    log it goes through the table, as a single write does."""
    views: list[Any] = []
    logs: list[dict[str, Any]] = []
    for name in ("unit-wa1", "unit-wa2"):
        _app, engine = build_app(Settings(), ProfilesConfig(app_id=name), 3)
        view: Any = engine.state.profiles
        log: dict[str, Any] = {}
        view.log_writes(log)
        view["u3"] = {"n": 0}  # written before: keeps its place in the log and store
        views.append(view)
        logs.append(log)
    values = {"u1": {"n": 1}, "u3": {"n": 3}, "u2": {"n": 2}}
    for key, value in values.items():
        views[0][key] = value
    views[1].write_all(values)
    assert list(logs[1].items()) == list(logs[0].items())
    assert list(logs[1]) == ["u3", "u1", "u2"] and logs[1]["u3"] == {"n": 3}
    assert list(views[1].read_view().items()) == list(views[0].read_view().items())
    views[1].log_writes(None)
    with pytest.raises(TypeError):  # through the table, which needs a current event
        views[1].write_all({"u4": {"n": 4}})
    assert "u4" not in logs[1] and "u4" not in views[1]


def test_a_view_over_another_store_refuses_to_log() -> None:
    """Only the in-memory store's dict can be written behind faust's back."""
    view = TableView(SimpleNamespace(data=SimpleNamespace(data="not a dict")))
    assert not view.dict_backed
    with pytest.raises(TypeError):
        view.log_writes({})


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


class _Builder:
    """An aiokafka BatchBuilder stand-in that holds ``room`` records."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.records: list[tuple[bytes, bytes | None]] = []

    def append(self, *, key: bytes, value: bytes | None, timestamp: None) -> object | None:
        if len(self.records) >= self.room or (value or b"") == b"huge":
            return None
        self.records.append((key, value))
        return object()

    def record_count(self) -> int:
        return len(self.records)


class _Producer:
    """faust's producer with an aiokafka producer inside (``_producer``), recording sends."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.batches: list[tuple[str, int, list[tuple[bytes, bytes | None]]]] = []
        self.sends: list[tuple[str, bytes, bytes | None, int]] = []
        self._producer = self

    def create_batch(self) -> _Builder:
        return _Builder(self.room)

    async def send_batch(self, batch: _Builder, topic: str, *, partition: int) -> None:
        self.batches.append((topic, partition, batch.records))

    async def send(self, topic: str, key: bytes, value: bytes | None, *rest: Any) -> None:
        self.sends.append((topic, key, value, rest[0]))


def test_changelog_records_go_out_in_batches_per_topic_in_order() -> None:
    """Records become record batches per changelog topic, each to the given partition, in
    order; a full batch goes and the next starts; a record no batch holds is sent alone."""
    producer = _Producer(room=2)
    records = [
        ("p", b"1", b"a"),
        ("c", b"x", b"b"),
        ("p", b"2", None),  # a tombstone
        ("p", b"3", b"c"),
        ("p", b"4", b"huge"),
        ("c", b"y", b"d"),
    ]
    asyncio.run(send_changelog(producer, 2, records))
    assert producer.batches == [
        ("p", 2, [(b"1", b"a"), (b"2", None)]),
        ("p", 2, [(b"3", b"c")]),
        ("c", 2, [(b"x", b"b"), (b"y", b"d")]),
    ]
    assert producer.sends == [("p", b"4", b"huge", 2)]
    plain = SimpleNamespace(sends=[])

    async def send(topic: str, key: bytes, value: bytes | None, *rest: Any) -> None:
        plain.sends.append((topic, key, value, rest[0]))

    plain.send = send  # a producer without an aiokafka one inside: one send per record
    asyncio.run(send_changelog(plain, 1, records[:2]))
    assert plain.sends == [("p", b"1", b"a", 1), ("c", b"x", b"b", 1)]


def test_a_fetch_writes_each_changed_key_once_with_its_last_value() -> None:
    """Over a fetch split into several engine batches, a key written in each batch is
    one changelog record holding its final value; an erased user is one tombstone."""
    topics = TopicSettings(user_behavior="ub")
    app, engine = build_app(Settings(topics=topics), ProfilesConfig(app_id="unit-fetch"), 3)
    edge = app.batch_route[1]  # type: ignore[attr-defined]
    assert isinstance(edge, BehaviorBatches)
    edge.batch_max = 2
    producer = _Producer(room=1000)
    app._producer = producer  # type: ignore[attr-defined]
    dead: list[Any] = []

    async def send_all(out: list[Any]) -> None:
        dead.extend(out)

    edge.send_all = send_all
    codec = engine.codecs.behavior

    def record(offset: int, user: str, kind: str) -> Any:
        value = codec.encode(
            {
                "event_id": f"e{offset}",
                "user_id": user,
                "session_id": "s",
                "type": kind,
                "product_id": None if kind == "erase_user" else f"P{offset % 2}",
                "query": None,
                "timestamp": 1_760_000_000_000 + offset,
                "context": {},
            },
            "ub",
        )
        return SimpleNamespace(
            topic="ub",
            partition=1,
            offset=offset,
            key=None,
            value=value,
            headers=(),
            timestamp=0,
        )

    records = [record(0, "u1", "view"), record(1, "u2", "view"), record(2, "u1", "view")]
    records += [record(3, "u2", "view"), record(4, "u2", "erase_user")]
    tp = SimpleNamespace(topic="ub", partition=1)
    asyncio.run(edge(tp, records))
    assert engine.metrics.behavior_events == 5 and engine.metrics.erasures == 1 and not dead
    [(_, partition, sent)] = [b for b in producer.batches if "profiles" in b[0]]
    profiles: Any = app.tables["profiles"]
    assert partition == 1
    assert sent == [
        changelog_record(profiles, "u1", engine.state.profiles["u1"]),
        changelog_record(profiles, "u2", None),
    ]
    assert engine.state.profiles["u1"]["n"] == 2
    co = [b for b in producer.batches if "-co-" in b[0]]
    keys = [k for _, _, batch in co for k, _ in batch]
    assert len(keys) == len(set(keys)) > 0


def test_records_fetched_for_a_paused_partition_are_fetched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """faust changes the set of active partitions while a fetch is out: what came back
    for a partition no longer active is not handed over, and the consumer seeks back to
    it (a new group has no committed offset that faust's own seek would go back to)."""
    app, _engine = build_app(
        Settings(topics=TopicSettings(user_behavior="ub")), ProfilesConfig(app_id="unit-rw"), 3
    )
    consumer: Any = app.consumer
    app.topics.acks_enabled_for = lambda topic: True  # type: ignore[method-assign]
    live, paused = consumer._new_topicpartition("ub", 0), consumer._new_topicpartition("ub", 1)
    other = consumer._new_topicpartition("pc", 0)
    fetched = {
        live: [SimpleNamespace(offset=o) for o in (0, 1)],
        paused: [SimpleNamespace(offset=o) for o in (4, 5)],
        other: [SimpleNamespace(offset=0)],
    }

    async def fetch(self: Any, timeout: float) -> tuple[Any, Any]:
        return fetched, {live, other}  # ``paused`` left the active set meanwhile

    monkeypatch.setattr(BatchingConsumer.__mro__[1], "_wait_next_records", fetch)
    handed: list[tuple[int, list[int]]] = []
    seeks: list[tuple[int, int]] = []

    async def handler(tp: Any, recs: Any) -> None:
        handed.append((tp.partition, [r.offset for r in recs]))

    async def seek(tp: Any, offset: int) -> None:
        seeks.append((tp.partition, offset))

    app.batch_route = ("ub", handler)  # type: ignore[attr-defined]
    consumer.seek = seek
    consumer.assignment = lambda: {live, paused, other}
    rest, _active = asyncio.run(consumer._wait_next_records(1.0))
    assert rest == {other: fetched[other]}  # other topics go on through faust
    assert handed == [(0, [0, 1])] and seeks == [(1, 4)]
    consumer.assignment = lambda: {live, other}  # revoked: its next owner reads it
    asyncio.run(consumer._wait_next_records(1.0))
    assert seeks == [(1, 4)]


def test_changelog_records_recovery_applied_are_left_out_before_faust(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After recovery, a changelog partition read again from its start (faust seeks it to
    a committed offset it never has) passes on only what recovery has not applied: the
    records up to the last applied offset never take faust's per-message path, and the
    read offset moves past them. Nothing is left out while recovery runs."""
    app, _engine = build_app(
        Settings(topics=TopicSettings(user_behavior="ub")), ProfilesConfig(app_id="unit-rc"), 3
    )
    consumer: Any = app.consumer
    catalog = consumer._new_topicpartition("unit-rc-catalog-changelog", 0)
    profiles = consumer._new_topicpartition("unit-rc-profiles-changelog", 2)
    fresh = consumer._new_topicpartition("unit-rc-co-changelog", 1)  # nothing recovered
    other = consumer._new_topicpartition("pc", 0)
    assert {catalog.topic, profiles.topic, fresh.topic} <= set(app.tables._changelogs)

    def recs(*offsets: int) -> list[Any]:
        return [SimpleNamespace(offset=o) for o in offsets]

    fetched = {
        catalog: recs(0, 1, 2, 3, 4, 5),
        profiles: recs(7, 8),
        fresh: recs(0, 1),
        other: recs(0, 1),
    }
    recovery = SimpleNamespace(
        in_recovery=False,
        active_tps={catalog, fresh},
        active_offsets={catalog: 3},
        standby_tps={profiles},
        standby_offsets={profiles: 8},
    )
    monkeypatch.setattr(app.tables, "_recovery", recovery)
    active: set[Any] | None = None

    async def fetch(self: Any, timeout: float) -> tuple[Any, Any]:
        return fetched, active

    monkeypatch.setattr(BatchingConsumer.__mro__[1], "_wait_next_records", fetch)

    def offsets(got: Any) -> dict[Any, list[int]]:
        return {tp: [r.offset for r in rs] for tp, rs in got.items()}

    rest, _ = asyncio.run(consumer._wait_next_records(1.0))
    assert offsets(rest) == {catalog: [4, 5], fresh: [0, 1], other: [0, 1]}
    assert consumer._read_offset[catalog] == 3 and consumer._read_offset[profiles] == 8
    assert consumer._read_offset[fresh] is None and consumer._read_offset[other] is None
    assert offsets(fetched) == {  # the fetched mapping itself is left as it was
        catalog: [0, 1, 2, 3, 4, 5],
        profiles: [7, 8],
        fresh: [0, 1],
        other: [0, 1],
    }

    consumer._read_offset.clear()
    active = {fresh, other}  # faust's getmany passes nothing on for inactive partitions
    rest, _ = asyncio.run(consumer._wait_next_records(1.0))
    assert offsets(rest) == offsets(fetched) and consumer._read_offset[catalog] is None

    active = None
    recovery.in_recovery = True
    rest, _ = asyncio.run(consumer._wait_next_records(1.0))
    assert offsets(rest) == offsets(fetched) and consumer._read_offset[catalog] is None
