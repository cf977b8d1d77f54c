"""The faust wrapper without a broker: message copying, options, what the app declares."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from faust.streams import current_event
from pydantic import SecretStr

from workers.profiles.app import (
    InterningJson,
    _faust_options,
    build_app,
    by_partition,
    envelope_of,
    set_current_event,
    young_gc_threshold,
)
from workers.profiles.config import ProfilesConfig
from workers.settings import Settings, TopicSettings


def test_envelope_copies_a_faust_message() -> None:
    """Offsets, bytes and headers are kept; seconds become milliseconds; odd headers empty."""
    msg = SimpleNamespace(
        topic="t",
        partition=2,
        offset=9,
        key=b"u1",
        value=b"\x00v",
        headers=[("trace", b"x"), ("bad", None)],
        timestamp=1_760_000_000.123,
    )
    env = envelope_of(msg)
    assert (env.topic, env.partition, env.offset, env.key, env.value) == (
        "t",
        2,
        9,
        b"u1",
        b"\x00v",
    )
    assert env.headers == (("trace", b"x"), ("bad", b""))
    assert env.timestamp_ms == 1_760_000_000_123
    assert envelope_of(SimpleNamespace(**{**vars(msg), "headers": {"h": b"1"}})).headers == (
        ("h", b"1"),
    )


def test_options_use_memory_store_and_sasl_when_configured() -> None:
    """State lives in memory (recovered from changelogs); SASL settings reach faust."""
    cfg = ProfilesConfig()
    # bootstrap_servers is read through its alias (KAFKA_BOOTSTRAP), so pass it that way.
    plain = _faust_options(Settings.model_validate({"KAFKA_BOOTSTRAP": "b:9092"}), cfg, 6)
    assert plain["store"] == "memory://" and plain["topic_partitions"] == 6
    assert plain["broker"] == "kafka://b:9092" and not plain["web_enabled"]
    assert "broker_credentials" not in plain
    secure = Settings(
        sasl_mechanism="PLAIN",
        sasl_username="svc",
        sasl_password=SecretStr("pw"),
    )
    assert isinstance(_faust_options(secure, cfg, 6)["broker_credentials"], faust.SASLCredentials)


def test_table_codec_round_trips_and_interns() -> None:
    """Table values encode as faust's json (compact, ASCII escapes) and decode equal, with
    shared strings."""
    codec = InterningJson()
    value = {"viewed": ["P-" + "y" * 30], "cat": {"数码/耳机": 2.5}, "eids": "ab"}
    data = codec.dumps(value)
    assert data == json.dumps(value, separators=(",", ":")).encode()
    one, two = codec.loads(data), codec.loads(data)
    assert one == value and one["viewed"][0] is two["viewed"][0]


def test_app_declares_changelogged_tables_and_two_agents() -> None:
    """Four tables with changelog topics (catalog global), agents on both input topics."""
    topics = TopicSettings(product_created="pc", user_behavior="ub")
    app, engine = build_app(Settings(topics=topics), ProfilesConfig(app_id="unit-app"), 3)
    tables = {name: app.tables[name] for name in ("profiles", "catalog", "co", "erased")}
    assert isinstance(tables["catalog"], faust.GlobalTable)
    assert tables["profiles"].changelog_topic.get_topic_name() == "unit-app-profiles-changelog"
    sources = {t for agent in app.agents.values() for t in agent.channel.topics}
    assert sources == {"pc", "ub"}
    assert engine.state.profiles.table is tables["profiles"]  # type: ignore[attr-defined]
    assert engine.partitions == 3


def _changelog_event(key: str, value: object) -> SimpleNamespace:
    return SimpleNamespace(key=key, value=value, message=SimpleNamespace(value=value))


def test_table_reads_see_what_the_table_holds_without_faust_reads() -> None:
    """Reads through the engine's view come from the store's own dict: a changelog change
    applied to the store is visible at once, and nothing is copied."""
    app, engine = build_app(Settings(), ProfilesConfig(app_id="unit-view"), 3)
    table: Any = app.tables["profiles"]
    store = table.data.data
    profile = {"viewed": ["P1"]}
    store["u1"] = profile  # as recovery's apply_changelog_batch writes it
    view: Any = engine.state.profiles
    assert view.get("u1") is profile and "u1" in view and len(view) == 1
    assert view.get("u2") is None and list(view) == ["u1"]
    del store["u1"]  # a tombstone applied
    assert view.get("u1") is None and len(view) == 0


def test_catalog_changelog_events_keep_the_index_in_step() -> None:
    """A product written by another worker (a changelog event this worker's GlobalTable
    applies) is indexed with its new attributes; a deleted key leaves the index."""
    app, engine = build_app(Settings(), ProfilesConfig(app_id="unit-cat"), 3)
    table: Any = app.tables["catalog"]

    def changelog(key: str, value: object) -> None:
        asyncio.run(table.on_changelog_event(_changelog_event(key, value)))

    product = {
        "product_id": "P1",
        "sku": "S1",
        "title": "Cup",
        "brand": "Acme",
        "category_path": ["Home", "Cups"],
        "price": "10.00",
        "currency": "USD",
        "attributes": {},
        "locale": "en",
        "created_at": 0,
    }
    changelog("P1", product)
    assert engine.index.meta("P1") is not None and engine.index.in_category("Home/Cups")
    moved = {**product, "category_path": ["Sports", "Yoga"], "brand": "Other"}
    changelog("P1", moved)
    meta = engine.index.meta("P1")
    assert meta is not None and (meta.category, meta.brand) == ("Sports/Yoga", "Other")
    assert engine.index.in_category("Home/Cups") == []
    changelog("P1", None)
    assert engine.index.meta("P1") is None and engine.index.size == 0
    changelog("P2", ["not", "an", "entry"])
    assert engine.index.size == 0 and engine.metrics.unexpected_errors == 1


def test_batches_split_per_partition_and_name_the_changelog_partition() -> None:
    """A batch splits per partition in arrival order; the named event is faust's current
    one, so table writes that follow go to that partition's changelog."""

    class Event:  # faust keeps a weak reference to the current event
        def __init__(self, partition: int, offset: int) -> None:
            self.message = SimpleNamespace(partition=partition, offset=offset)

    events = [Event(p, o) for p, o in ((1, 0), (0, 0), (1, 1), (2, 0), (0, 1))]
    parts = by_partition(events)
    assert [[(e.message.partition, e.message.offset) for e in part] for part in parts] == [
        [(1, 0), (1, 1)],
        [(0, 0), (0, 1)],
        [(2, 0)],
    ]
    set_current_event(parts[1][-1])
    assert current_event() is parts[1][-1]


def test_datadir_is_passed_to_faust_only_when_given(tmp_path: Path) -> None:
    """faust's data directory goes where the worker says, not to "<app id>-data" in the cwd."""
    settings = Settings.model_validate({"KAFKA_BOOTSTRAP": "b:9092"})
    assert "datadir" not in _faust_options(settings, ProfilesConfig(), 3)
    options = _faust_options(settings, ProfilesConfig(), 3, str(tmp_path))
    assert options["datadir"] == str(tmp_path)
    app, _ = build_app(settings, ProfilesConfig(app_id="unit-dir"), 3, str(tmp_path))
    assert str(app.conf.datadir) == str(tmp_path)


def test_tables_recover_their_values_with_interned_strings() -> None:
    """faust would give every table its plain json codec (it ignores ``schema``): the
    stores and changelog topics use InterningJson instead, so two recovered profiles share
    their strings, and the bytes written are faust's json bytes."""
    from faust.serializers import codecs as faust_codecs

    from workers.profiles.app import InterningJson

    app, _ = build_app(Settings(), ProfilesConfig(app_id="unit-intern"), 3)
    value = {"viewed": ["P0000001"], "category_affinity": {"home": 1.5}}
    for name in ("profiles", "catalog", "co", "erased"):
        table: Any = app.tables[name]
        assert isinstance(table.value_serializer, InterningJson), name
        assert isinstance(table.data.value_serializer, InterningJson), name
        assert isinstance(table.changelog_topic.value_serializer, InterningJson), name
        data = table.data._encode_value(value)
        assert data == faust_codecs.dumps("json", value)
        one, two = table.data._decode_value(data), table.data._decode_value(data)
        assert one == value and one["viewed"][0] is two["viewed"][0]


def test_young_gc_threshold_is_set_inside_and_restored_after() -> None:
    """The worker's collector setting holds while it runs and is undone after, an error
    included; the older generations' thresholds are left as they were."""
    before = gc.get_threshold()
    with young_gc_threshold(12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), young_gc_threshold(20_000):
        assert gc.get_threshold()[0] == 20_000
        raise RuntimeError("worker failed")
    assert gc.get_threshold() == before
