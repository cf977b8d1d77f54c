"""The Kafka-free stage with dict-backed state: envelopes in, records to produce out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.unit.profiles.conftest import T0
from workers.envelope import Envelope
from workers.generator.requests import request_from_avro
from workers.kafka.dlq import dlq_facts
from workers.profiles.config import ProfilesConfig
from workers.profiles.engine import Codecs, ProfileEngine, State, erased_key
from workers.serde import PlainAvroCodec
from workers.settings import TopicSettings

BEHAVIOR = PlainAvroCodec("UserBehavior")
PRODUCT = PlainAvroCodec("ProductCreated")
REQUEST = PlainAvroCodec("ContentRequest")
TOPICS = TopicSettings()
CATS = (("Electronics", "Headphones"), ("Home", "Cups"), ("Sports", "Yoga"))


def _engine(**cfg: Any) -> ProfileEngine:
    config = ProfilesConfig(**{"debounce_window_s": 5.0, "min_interval_s": 30.0, **cfg})
    return ProfileEngine(config, State(), TOPICS, Codecs(BEHAVIOR, PRODUCT, REQUEST), partitions=3)


def _env(value: bytes, topic: str, offset: int = 0, partition: int = 1) -> Envelope:
    return Envelope(topic, partition, offset, b"k", value, (("trace", b"t-1"),), T0)


def _load_catalog(engine: ProfileEngine) -> None:
    n = 0
    for cat in CATS:
        for i in range(6):
            rec = {
                "event_id": f"pe{n}",
                "product_id": f"{cat[1][0]}{i}",
                "sku": f"SKU{n}",
                "title": f"{cat[1]} {i}",
                "brand": f"Brand{i % 2}",
                "category_path": list(cat),
                "price": Decimal(f"{10 + i * 5}.00"),
                "currency": "USD",
                "attributes": {"color": "Black"},
                "locale": "en",
                "created_at": T0 - 10**10,
                "emitted_at": T0,
            }
            assert engine.on_product(_env(PRODUCT.encode(rec), TOPICS.product_created, n)) == []
            n += 1


def _behave(
    engine: ProfileEngine, kind: str, pid: str | None, n: int, user: str = "u1", **extra: Any
) -> list[Any]:
    rec = {
        "event_id": extra.pop("event_id", f"{user}-{n}"),
        "user_id": user,
        "session_id": "s",
        "type": kind,
        "product_id": pid,
        "query": extra.pop("query", None),
        "timestamp": extra.pop("ts", T0 + n),
        "context": {"locale": "en"},
    }
    return engine.on_behavior(_env(BEHAVIOR.encode(rec), TOPICS.user_behavior, n), T0 + n)


def test_burst_of_forty_views_yields_one_consistent_request() -> None:
    """Forty views within the window give one recommendation naming headphones."""
    engine = _engine()
    _load_catalog(engine)
    for n in range(40):
        assert _behave(engine, "view", f"H{n % 6}", n) == []
    assert engine.flush(T0 + 1000) == []  # window still open
    out = engine.flush(T0 + 10_000)
    assert len(out) == 1 and engine.flush(T0 + 20_000) == []
    rec = out[0]
    assert rec.topic == TOPICS.content_requests and rec.key == b"u1"
    req = request_from_avro(REQUEST.decode(rec.value))
    assert req.kind == "recommendation" and req.user_id == "u1"
    assert req.reason is not None and req.reason.startswith("viewed:H")
    assert (req.source.topic, req.source.partition) == (TOPICS.user_behavior, 1)
    assert req.items[0].category_path == ("Electronics", "Headphones")
    assert engine.metrics.triggers == 38 and engine.metrics.coalesced == 37
    assert engine.metrics.requests_emitted == 1


def test_cart_request_is_a_push() -> None:
    """An add-to-cart becomes a push with the cart reason."""
    engine = _engine()
    _load_catalog(engine)
    _behave(engine, "add_to_cart", "C2", 0)
    [rec] = engine.flush(T0 + 6000)
    req = request_from_avro(REQUEST.decode(rec.value))
    assert (req.channel, req.reason) == ("push", "carted:C2")


def test_state_tables_are_written() -> None:
    """Profiles, catalog and co-occurrence (partition-prefixed) are all updated."""
    engine = _engine()
    _load_catalog(engine)
    _behave(engine, "view", "H1", 0)
    _behave(engine, "view", "H2", 1)
    state = engine.state
    assert len(state.catalog) == 18 and state.profiles["u1"]["viewed"] == ["H1", "H2"]
    assert state.co["1:H2"]["v"] == {"H1": 1.0} and state.co["1:H1"]["v"] == {"H2": 1.0}


def test_erasure_deletes_and_silences_the_user() -> None:
    """erase_user deletes the profile, cancels pending content and ignores later events."""
    engine = _engine()
    _load_catalog(engine)
    _behave(engine, "add_to_cart", "H1", 0)
    _behave(engine, "erase_user", None, 1)
    assert "u1" not in engine.state.profiles and erased_key("u1") in engine.state.erased
    assert "u1" not in engine.state.erased  # not even the erasure record keeps the id
    _behave(engine, "purchase", "H2", 2)
    assert engine.flush(T0 + 60_000) == []
    assert "u1" not in engine.state.profiles
    assert engine.metrics.erasures == 1 and engine.metrics.erased_user_events == 1


def test_bad_bytes_go_to_the_dead_letter_topic() -> None:
    """Undecodable events are dead-lettered with their bytes, headers and the reason."""
    engine = _engine()
    [rec] = engine.on_behavior(_env(b"\x01garbage", TOPICS.user_behavior, 5), T0)
    assert rec.topic == TOPICS.dead_letter and rec.value == b"\x01garbage" and rec.key == b"k"
    assert rec.headers[0] == ("trace", b"t-1")
    facts = dlq_facts(list(rec.headers))
    assert facts["stage"] == "decode" and facts["source.offset"] == "5"
    [rec] = engine.on_product(_env(b"nope", TOPICS.product_created))
    assert rec.topic == TOPICS.dead_letter and engine.metrics.dead_lettered == 2


def test_odd_input_is_counted_not_fatal() -> None:
    """Unknown products, duplicates, out-of-order and future events all just count."""
    engine = _engine()
    _load_catalog(engine)
    _behave(engine, "view", "nope", 0)
    _behave(engine, "view", "H1", 1, event_id="dup")
    _behave(engine, "view", "H1", 2, event_id="dup")
    _behave(engine, "view", "H2", 3, ts=T0 - 10_000)
    _behave(engine, "view", "H3", 4, ts=T0 + 10**9)
    _behave(engine, "impression", "H3", 5)
    m = engine.metrics
    assert (m.unknown_product, m.duplicates, m.out_of_order, m.future_clamped) == (1, 1, 1, 1)
    assert m.ignored == 1 and m.applied == 4 and m.behavior_events == 6


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_a_new_user_from_the_far_future_is_anchored_now(compiled: bool) -> None:
    """A first event centuries ahead is clamped to now, and so is the new profile's anchor:
    anchored in the future, every later decay (2 ** (centuries / half-life)) overflowed and
    the user's requests failed."""
    config = ProfilesConfig(debounce_window_s=5.0, min_interval_s=30.0)
    engine = ProfileEngine(
        config, State(), TOPICS, Codecs(BEHAVIOR, PRODUCT, REQUEST), 3, compiled=compiled
    )
    assert engine.implementation == ("compiled" if compiled else "python")
    _load_catalog(engine)
    _behave(engine, "add_to_cart", "H1", 0, ts=T0 + 10**13)
    assert engine.metrics.future_clamped == 1
    assert engine.state.profiles["u1"]["t0"] == T0  # now_ms of that call, not the event's
    out = engine.flush(T0 + 10_000)
    assert engine.metrics.unexpected_errors == 0
    assert out and all(p.topic == TOPICS.content_requests for p in out)


def test_unexpected_errors_are_dead_lettered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the update is counted and dead-lettered; the stream goes on."""
    engine = _engine()

    def boom(*_: Any) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(engine, "apply", boom)
    [rec] = _behave(engine, "view", "H1", 0)
    assert dlq_facts(list(rec.headers))["stage"] == "profiles"
    assert engine.metrics.unexpected_errors == 1


def test_flush_skips_users_without_profiles_or_items() -> None:
    """A due trigger for a user whose profile is gone, or with no catalog, is skipped."""
    engine = _engine()
    _behave(engine, "add_to_cart", "ghost", 0)  # no catalog at all: nothing to recommend
    assert engine.flush(T0 + 10_000) == []
    assert engine.metrics.requests_skipped == 1


def test_refresh_rebuilds_the_index_from_the_table() -> None:
    """Products that reached the table another way (recovery) are indexed on refresh."""
    engine = _engine()
    _load_catalog(engine)
    other = _engine()
    other.state.catalog.update(engine.state.catalog)
    other.refresh(T0)
    assert other.index.size == 18 and other.index.in_category("Home/Cups")


def _requested_items(engine: ProfileEngine, user: str, n: int) -> dict[str, Any]:
    _behave(engine, "purchase", "Y1", n, user=user)
    (out,) = engine.flush(T0 + n + 100_000)
    return {i.product_id: i for i in request_from_avro(REQUEST.decode(out.value)).items}


def test_catalog_changes_seen_later_reach_the_recommendations() -> None:
    """A product update that reaches the table after the index was built (another worker's
    write, through the changelog) changes the attributes requests carry; a deleted product
    is never recommended again."""
    engine = _engine(items_per_request=18)
    _load_catalog(engine)
    before = _requested_items(engine, "u1", 0)
    assert before["Y2"].brand == "Brand0"
    changed: Any = {**engine.state.catalog["Y2"], "brand": "Renamed", "title": "Yoga mat 2"}
    engine.state.catalog["Y2"] = changed  # what faust's store holds after the changelog
    engine.on_catalog_change("Y2", changed)
    del engine.state.catalog["Y3"]
    engine.on_catalog_change("Y3", None)
    after = _requested_items(engine, "u2", 1)
    assert after["Y2"].brand == "Renamed" and after["Y2"].title == "Yoga mat 2"
    assert "Y3" in before and "Y3" not in after
    meta = engine.index.meta("Y2")
    assert meta is not None and meta.brand == "Renamed"


def test_ads_come_with_recommendations_when_enabled() -> None:
    """emit_ads adds a personalized ad for the lead item."""
    engine = _engine(emit_ads=True)
    _load_catalog(engine)
    _behave(engine, "purchase", "Y1", 0)
    kinds = [request_from_avro(REQUEST.decode(r.value)).kind for r in engine.flush(T0 + 10_000)]
    assert kinds == ["recommendation", "ad"]


class _CountingDict(dict[str, Any]):
    """A dict that counts writes, as a faust table would produce changelog records."""

    writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def _views(user: str, pids: list[str], start: int) -> list[Envelope]:
    out = []
    for n, pid in enumerate(pids):
        rec = {
            "event_id": f"{user}-{start + n}",
            "user_id": user,
            "session_id": "s",
            "type": "view",
            "product_id": pid,
            "query": None,
            "timestamp": T0 + (start + n) * 1000,
            "context": {"locale": "en"},
        }
        out.append(_env(BEHAVIOR.encode(rec), TOPICS.user_behavior, start + n))
    return out


def test_a_batch_writes_each_changed_key_once_with_the_same_state() -> None:
    """A batch ends in the state event-by-event processing reaches, with one table write
    per changed profile and co-occurrence entry instead of one per event."""
    events = _views("u1", ["H1", "H2", "H3", "H1"], 0) + _views("u2", ["C1", "H2"], 10)
    single, batched = _engine(), _engine()
    for engine in (single, batched):
        _load_catalog(engine)
        engine.state.profiles = _CountingDict()
        engine.state.co = _CountingDict()
    for env in events:
        assert single.on_behavior(env, T0) == []
    assert batched.on_behavior_batch(events, T0) == []
    assert batched.state.profiles == single.state.profiles
    assert batched.state.co == single.state.co
    assert batched.metrics.as_dict() == single.metrics.as_dict()
    single_state: Any = single.state
    batched_state: Any = batched.state
    assert single_state.profiles.writes == 6 and batched_state.profiles.writes == 2
    assert batched_state.co.writes == len(batched_state.co) < single_state.co.writes


def test_erasure_inside_a_batch_leaves_no_profile() -> None:
    """An erase after views in the same batch deletes the not-yet-written profile too."""
    engine = _engine()
    _load_catalog(engine)
    erase: dict[str, Any] = {
        "event_id": "erase",
        "user_id": "u1",
        "session_id": "s",
        "type": "erase_user",
        "product_id": None,
        "query": None,
        "timestamp": T0 + 5000,
        "context": {},
    }
    batch = [
        *_views("u1", ["H1", "H2"], 0),
        _env(BEHAVIOR.encode(erase), TOPICS.user_behavior, 3),
        *_views("u1", ["H3"], 4),
    ]
    assert engine.on_behavior_batch(batch, T0) == []
    assert "u1" not in engine.state.profiles and erased_key("u1") in engine.state.erased
    assert engine.metrics.erased_user_events == 1 and engine.metrics.erasures == 1
