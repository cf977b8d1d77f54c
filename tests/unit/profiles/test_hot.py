"""The compiled hot path (workers/profiles/_hot.pyx) is built, runs, and gives exactly the
Python reference's results: profiles, co-occurrence entries, outcomes, metrics, triggers and
dead letters, compared as the bytes the changelog would carry."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from tests.unit.profiles.conftest import DAY_MS, T0, behavior_bytes
from workers.envelope import Envelope
from workers.errors import BadInput
from workers.profiles import cooc, decode, hot, logic
from workers.profiles import engine as engine_module
from workers.profiles.bench import make_workload
from workers.profiles.config import ProfilesConfig
from workers.profiles.engine import Codecs, Produce, ProfileEngine, State, erased_key
from workers.profiles.records import BEHAVIOR_TYPES, Behavior, CatalogEntry, new_profile
from workers.profiles.simulate import make_catalog, make_world
from workers.serde import PlainAvroCodec
from workers.settings import TopicSettings

BEHAVIOR = PlainAvroCodec("UserBehavior")
CODECS = Codecs(BEHAVIOR, PlainAvroCodec("ProductCreated"), PlainAvroCodec("ContentRequest"))
TOPIC = "user-behavior"
# Small caps, short half-lives and windows: every eviction, rebase and trigger path runs often.
TIGHT = {
    "max_affinities": 2,
    "max_neighbors": 2,
    "co_window": 2,
    "recent_viewed": 3,
    "recent_carted": 2,
    "recent_bought": 2,
    "recent_event_ids": 3,
    "half_life_s": 60.0,
    "popularity_half_life_s": 30.0,
    "heavy_user_events": 20,
    "burst_views": 2,
    "burst_window_s": 600.0,
    "co_session_s": 900.0,
    "fresh_days": 1.0,
    "max_future_skew_s": 60.0,
    "debounce_window_s": 5.0,
    "min_interval_s": 30.0,
}


class _QuietLog:
    """The engine's logger, silenced: a rendered traceback per dead letter would make these
    long streams take minutes, and log lines are not what the two paths are compared on."""

    def _skip(self, *_: Any, **__: Any) -> None:
        return None

    debug = info = warning = exception = _skip


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "log", _QuietLog())


def _hot() -> Any:
    assert hot.module is not None, hot.implementation()
    return hot.module


def test_the_compiled_path_is_built_and_runs_by_default() -> None:
    """This install built the extension, and an engine uses it unless it is switched off:
    a failure here means the build did not compile workers/profiles/_hot.pyx."""
    assert hot.BUILT, hot.implementation()
    assert hot.module is not None and hot.module.FAST_READER
    engine = ProfileEngine(ProfilesConfig(), State(), TopicSettings(), CODECS)
    expected = "python" if not hot.enabled() else "compiled"
    assert engine.implementation == expected
    assert ProfileEngine(ProfilesConfig(), State(), TopicSettings(), CODECS, compiled=True)._hot
    assert ProfileEngine(
        ProfilesConfig(), State(), TopicSettings(), CODECS, compiled=False
    ).implementation == ("python")


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """COPYFLOW_PROFILES_COMPILED=0 makes new engines run the Python code, and says so."""
    monkeypatch.setenv(hot.ENV, "0")
    assert not hot.enabled() and hot.implementation().startswith("python")
    engine = ProfileEngine(ProfilesConfig(), State(), TopicSettings(), CODECS)
    assert engine.implementation == "python"


def test_event_hash_matches_hashlib() -> None:
    """The compiled BLAKE2b gives hashlib's digests (event ids, erased users) for short,
    long, block-sized and non-ASCII ids."""
    rng = random.Random(5)
    ids = ["", "e1", "é" * 64, "x" * 127, "x" * 128, "x" * 129, "y" * 256, "用户🙂" * 40]
    ids += ["".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(300)))]
    ids += [f"b3-{n}" for n in range(2000)]
    for event_id in ids:
        expected = hashlib.blake2b(event_id.encode(), digest_size=7).hexdigest()
        assert _hot().event_hash(event_id) == expected == logic.event_hash(event_id)
        assert _hot().erased_key(event_id) == erased_key(event_id)


# -- the reader ---------------------------------------------------------------------------


def _python_reader(data: bytes) -> Behavior | None:
    try:
        return decode._read_behavior(data)
    except Exception:  # noqa: BLE001 - "cannot vouch", as the engine treats it
        return None


def _compiled_reader(data: bytes) -> Behavior | None:
    try:
        event: Behavior = _hot().read_behavior(data)
    except ValueError:
        return None
    return event


def _mutations(bases: Sequence[bytes], count: int, seed: int) -> Iterator[bytes]:
    """Flipped, cut, extended and overwritten bytes, as test_decode.py makes them."""
    rng = random.Random(seed)
    for n in range(count):
        data = bytearray(rng.choice(bases))
        op = n % 5
        if op == 0:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif op == 1:
            del data[rng.randrange(len(data)) :]
        elif op == 2:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
        elif op == 3:
            data[rng.randrange(len(data))] = rng.choice((0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF))
        else:
            i = rng.randrange(len(data))
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        yield bytes(data)


def _odd_values() -> list[bytes]:
    return [
        behavior_bytes(),
        behavior_bytes(type="search", product_id=None, query="耳机 降噪"),
        behavior_bytes(type="erase_user", product_id=None, context={}),
        behavior_bytes(event_id="0f9c8d7e" * 20, user_id="用户-17"),
        behavior_bytes(timestamp=0, context={"locale": "en", "a": "b", "locale ": "zh"}),
        behavior_bytes(timestamp=253_402_300_799_999, product_id="", type="search"),
        behavior_bytes(timestamp=253_402_300_800_000),
        behavior_bytes(timestamp=-5),
        behavior_bytes(query="", context={f"k{i}": "v" for i in range(70)}),
        behavior_bytes(event_id=" e", user_id="u\u2003"),
        behavior_bytes(event_id="\u2003"),
        behavior_bytes(context={"locale": "fr"}),
        behavior_bytes(product_id="P" * 200, session_id="s" * 5000),
        behavior_bytes(type="view", product_id=""),
    ]


def test_compiled_reader_reads_what_the_python_reader_reads() -> None:
    """On valid, odd and mutated values the compiled reader gives the Python reader's
    Behavior, or declines (then the Python path decides): never a different event."""
    values = _odd_values() + make_workload(400, 30, seed=9).values
    declined = read = 0
    for data in [*values, *_mutations(values, 6000, 17)]:
        fast = _compiled_reader(data)
        if fast is None:
            declined += 1
            continue
        read += 1
        assert fast == _python_reader(data), data
        assert type(fast) is Behavior and [type(x) for x in fast] == [
            type(x) for x in decode._read_behavior(data)
        ]
    assert read > 1000 and declined > 1000


def test_the_reader_gives_each_product_id_as_its_interned_string() -> None:
    """A product id is the interned string, the same object event after event (tables and
    lists share it), however many distinct ids went by (the reader's table of ids is
    bounded and is cleared when full)."""
    ids: list[str] = []
    for n in range(70_000):
        event = _compiled_reader(behavior_bytes(event_id=f"e{n}", product_id=f"P-{n % 69_000}"))
        assert event is not None and event.product_id is not None
        ids.append(event.product_id)
    assert all(pid is sys.intern(f"P-{n % 69_000}") for n, pid in enumerate(ids))
    again = _compiled_reader(behavior_bytes(product_id="P-7"))
    assert again is not None and again.product_id is ids[7]


def test_decoding_in_the_engine_agrees_on_every_value() -> None:
    """The engine's decode (compiled reader, then the Python path) gives what
    decode_behavior gives, value or error, on mutated bytes too."""
    values = _odd_values() + make_workload(200, 20, seed=4).values
    engines = [_engine({}, compiled=c) for c in (True, False)]
    for n, data in enumerate([*values, *_mutations(values, 3000, 23)]):
        results = [_produced(e.on_behavior(_env(data, n), T0)) for e in engines]
        assert results[0] == results[1], data
        try:
            decode.decode_behavior(data, BEHAVIOR)
        except BadInput as exc:
            assert [dict(r[3])["copyflow.dlq.stage"] for r in results[0]] == [exc.stage.encode()]
        if n % 100 == 0:
            assert _snapshot(engines[0]) == _snapshot(engines[1]), data
    assert _snapshot(engines[0]) == _snapshot(engines[1])
    assert engines[0].metrics.dead_lettered > 500


# -- the engine ---------------------------------------------------------------------------


def _catalog(seed: int) -> list[CatalogEntry]:
    rng = random.Random(seed)
    return [p.entry for p in make_catalog(rng, 8, T0)]


def _engine(cfg: dict[str, Any], compiled: bool, catalog: Sequence[CatalogEntry] = ()) -> Any:
    config = ProfilesConfig(**cfg)
    engine = ProfileEngine(config, State(), TopicSettings(), CODECS, 3, compiled=compiled)
    assert engine.implementation == ("compiled" if compiled else "python")
    for entry in catalog:
        engine.state.catalog[entry["product_id"]] = copy.deepcopy(entry)
        engine.index.add(engine.state.catalog[entry["product_id"]])
    return engine


def _env(value: bytes, offset: int, partition: int = 1) -> Envelope:
    return Envelope(TOPIC, partition, offset, b"k", value, (), T0)


def _dump(mapping: Any) -> list[tuple[str, str]]:
    """A table as its changelog would carry it: keys in order, values as faust's JSON."""
    return [(k, json.dumps(v, separators=(",", ":"))) for k, v in mapping.items()]


def _snapshot(engine: Any) -> Any:
    deb = engine.debouncer
    pending = [(u, p.trigger, p.due_ms, p.opened_ms, p.coalesced) for u, p in deb._pending.items()]
    return (
        _dump(engine.state.profiles),
        _dump(engine.state.co),
        list(engine.state.erased.items()),
        engine.metrics.as_dict(),
        pending,
        sorted(deb._heap),
        list(deb._last_emit.items()),
        _dump(engine._dirty_profiles),
        _dump(engine._dirty_co),
    )


def _produced(out: Sequence[Produce]) -> list[tuple[Any, ...]]:
    """Records to send, less the dead-letter header that says when (the wall clock)."""
    return [
        (p.topic, p.key, p.value, tuple(h for h in p.headers if h[0] != "copyflow.dlq.timestamp"))
        for p in out
    ]


def _random_records(seed: int, count: int, catalog: Sequence[CatalogEntry]) -> list[bytes]:
    """Behavior of every type and oddity: hot and cold users, unknown products, searches
    naming categories and brands, duplicates, out-of-order, far-past and future times,
    erasures, locales, and a few invalid values."""
    rng = random.Random(seed)
    pids = [e["product_id"] for e in catalog] + ["unknown-1", "unknown-2"]
    leaves = sorted({e["category_path"][-1] for e in catalog})
    brands = sorted({e["brand"] for e in catalog})
    users = [f"u{i}" for i in range(40)]
    ts = T0 - 2 * DAY_MS
    sent: list[dict[str, Any]] = []
    out: list[bytes] = []
    for n in range(count):
        roll = rng.random()
        if sent and roll < 0.04:  # a redelivery
            out.append(BEHAVIOR.encode(rng.choice(sent)))
            continue
        ts += rng.choice((0, 1, 500, 30_000, 90_000, 400_000, 3_600_000, 5 * 3_600_000))
        when = ts
        if roll < 0.08:
            when = ts - rng.choice((1, 60_000, 3_600_000, 40 * DAY_MS))  # late
        elif roll < 0.10:
            when = T0 + rng.choice((30_000, 10 * 60_000, DAY_MS))  # the future
        kind = rng.choices(BEHAVIOR_TYPES, weights=(50, 8, 8, 5, 5, 3, 1 if n > count // 2 else 0))[
            0
        ]
        user = rng.choice(users[:5]) if rng.random() < 0.4 else rng.choice(users)
        pid: str | None = rng.choice(pids)
        query = None
        if kind == "search":
            pid = None if rng.random() < 0.8 else pid
            query = rng.choice(
                [f"best {rng.choice(leaves)}", rng.choice(brands).lower(), "nothing", ""]
            )
        elif kind in ("impression", "erase_user") and rng.random() < 0.5:
            pid = None
        record = {
            "event_id": f"ev{seed}-{n}",
            "user_id": user,
            "session_id": f"s{user}",
            "type": kind,
            "product_id": pid,
            "query": query,
            "timestamp": max(0, when),
            "context": rng.choice(({"locale": "en"}, {"locale": "zh"}, {"locale": "fr"}, {})),
        }
        sent.append(record)
        out.append(BEHAVIOR.encode(record))
        if rng.random() < 0.01:
            out.append(b"\x00garbage")
    return out


def _world_records(seed: int, users: int) -> tuple[list[CatalogEntry], list[bytes]]:
    """The simulator's histories (sessions of views, carts and purchases), interleaved."""
    world = make_world(seed, users=users, per_category=6)
    events = sorted(
        (e for h in world.histories.values() for e in h), key=lambda e: (e.ts_ms, e.event_id)
    )
    values = [
        BEHAVIOR.encode(
            {
                "event_id": e.event_id,
                "user_id": e.user_id,
                "session_id": "s",
                "type": e.type,
                "product_id": e.product_id,
                "query": e.query,
                "timestamp": e.ts_ms,
                "context": {"locale": e.locale} if e.locale else {},
            }
        )
        for e in events
    ]
    return [p.entry for p in world.products], values


def _run_both(
    cfg: dict[str, Any],
    catalog: Sequence[CatalogEntry],
    values: Sequence[bytes],
    batches: Sequence[int],
    now_ms: int,
    seed_state: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """Both engines over the same envelopes in the same batches; everything compared after
    every batch and after a final flush of the triggers."""
    engines = [_engine(cfg, compiled, catalog) for compiled in (True, False)]
    if seed_state:
        for e in engines:
            e.state.profiles.update(copy.deepcopy(seed_state))
    envs = [_env(v, i, partition=i % 3) for i, v in enumerate(values)]
    i = step = 0
    while i < len(envs):
        size = batches[step % len(batches)]
        step += 1
        part = envs[i : i + size]
        i += size
        now = now_ms + i * 50
        outs = [_produced(e.on_behavior_batch(part, now)) for e in engines]
        assert outs[0] == outs[1], f"batch ending at {i}"
        assert _snapshot(engines[0]) == _snapshot(engines[1]), f"batch ending at {i}"
        if step % 7 == 0:
            flushed = [_produced(e.flush(now)) for e in engines]
            assert flushed[0] == flushed[1]
    flushed = [_produced(e.flush(now_ms + 10 * DAY_MS)) for e in engines]
    assert flushed[0] == flushed[1]
    assert _snapshot(engines[0]) == _snapshot(engines[1])
    return engines[0], engines[1]


@pytest.mark.parametrize("cfg", [{}, TIGHT], ids=["defaults", "tight"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_streams_give_identical_state(cfg: dict[str, Any], seed: int) -> None:
    """Long random streams of every event type and oddity: identical profiles, co
    entries, metrics, triggers, dead letters and requests, batch after batch."""
    catalog = _catalog(seed)
    values = _random_records(seed, 4000, catalog)
    compiled, _ = _run_both(cfg, catalog, values, (1, 7, 250, 2000), T0)
    m = compiled.metrics
    assert m.applied > 1000 and m.duplicates and m.out_of_order and m.future_clamped
    assert m.unknown_product and m.erasures and m.dead_lettered and m.triggers and m.coalesced
    if cfg:
        assert m.heavy_user_events and m.ignored


@pytest.mark.parametrize("cfg", [{}, TIGHT], ids=["defaults", "tight"])
def test_bench_workload_gives_identical_state(cfg: dict[str, Any]) -> None:
    """The benchmark's workload (many users, the realistic mix), in the worker's batches."""
    w = make_workload(12_000, 600, seed=5)
    # Its times are the hour before the wall clock: "now" is after them, as in the bench.
    compiled, _ = _run_both(cfg, w.catalog, w.values, (2000,), int(time.time() * 1000))
    assert compiled.metrics.applied > 10_000 and len(compiled.state.co) > 100


@pytest.mark.parametrize("cfg", [{}, TIGHT], ids=["defaults", "tight"])
def test_simulated_histories_give_identical_state(cfg: dict[str, Any]) -> None:
    """The simulator's sessions (views, carts, purchases over a month)."""
    catalog, values = _world_records(11, 300)
    compiled, _ = _run_both(cfg, catalog, values, (500, 1, 64), 1_760_000_000_000)
    assert compiled.metrics.applied > 1000


def test_mutated_values_in_a_stream_give_identical_state() -> None:
    """A stream with mutated bytes mixed in: the same dead letters, the same state."""
    catalog = _catalog(4)
    values = _random_records(4, 600, catalog)
    mutated = _mutations(values, len(values), 8)
    mixed = [v for pair in zip(values, mutated, strict=True) for v in pair]
    compiled, _ = _run_both(TIGHT, catalog, mixed, (100,), T0)
    assert compiled.metrics.dead_lettered > 50


def _odd_profiles() -> dict[str, Any]:
    """Profiles as a recovered changelog might hold them: other number types, huge and
    negative numbers, lists out of step, missing keys, no dicts at all."""
    base = new_profile(T0 - DAY_MS)
    odd: dict[str, Any] = {}
    variants: list[dict[str, Any]] = [
        {"cat": {"Home/Cups": 1, "x": 2.5}},
        {"t0": 2**70, "ts": 2**64},
        {"t0": -(2**60)},
        {"fresh": 1, "total": 3},
        {"viewed": ["a", "b"], "viewed_ts": [1]},
        {"viewed_ts": [T0, 1.5], "viewed": ["a", "b"]},
        {"eids": ["not", "a", "string"]},
        {"n": "7"},
        {"brand": None},
        {"ts": T0 + 10**9, "n": 2**62},
        {"carted": ["x"], "carted_ts": [True]},
    ]
    for i, change in enumerate(variants):
        profile = copy.deepcopy(base)
        profile.update(change)
        odd[f"u{i}"] = profile
    del_key = copy.deepcopy(base)
    del del_key["band"]  # type: ignore[misc]
    odd[f"u{len(variants)}"] = del_key
    odd[f"u{len(variants) + 1}"] = ["not", "a", "profile"]
    return odd


def test_odd_recovered_state_gives_identical_results() -> None:
    """Profiles of odd shapes take the Python reference in the compiled engine: the same
    updates, the same errors (dead-lettered as unexpected), the same state."""
    catalog = _catalog(6)
    values = _random_records(6, 1500, catalog)
    compiled, _ = _run_both(TIGHT, catalog, values, (50,), T0, seed_state=_odd_profiles())
    assert compiled.metrics.unexpected_errors > 0


def test_odd_co_entries_give_identical_results() -> None:
    """Co-occurrence entries of the earlier float format, or with odd types, count and
    evict exactly as the Python code does."""
    catalog = _catalog(7)
    values = _random_records(7, 1500, catalog)
    engines = [_engine(TIGHT, c, catalog) for c in (True, False)]
    for e in engines:
        for p, entry in enumerate(catalog[:30]):
            key = f"{p % 3}:{entry['product_id']}"
            e.state.co[key] = {
                "t0": [T0 - DAY_MS, 2**70, -(2**60), T0][p % 4],
                "pop": [1.5, 2, 0.0][p % 3],
                "v": {"a": 1.0, "b": 3, "c": 2.5} if p % 2 else {"a": 5, "b": 4, "c": 3},
                "b": {"z": 1.0},
            }
    envs = [_env(v, i, partition=i % 3) for i, v in enumerate(values)]
    for i in range(0, len(envs), 40):
        outs = [_produced(e.on_behavior_batch(envs[i : i + 40], T0 + i)) for e in engines]
        assert outs[0] == outs[1]
        assert _snapshot(engines[0]) == _snapshot(engines[1])


def test_apply_outcomes_are_identical() -> None:
    """ProfileEngine.apply (what the eval and the benchmark call) and the plain update
    function return the same outcomes from both implementations."""
    catalog = _catalog(8)
    values = _random_records(8, 2000, catalog)
    engines = [_engine(TIGHT, c, catalog) for c in (True, False)]
    events = []
    for v in values:
        try:
            events.append(decode.decode_behavior(v, BEHAVIOR))
        except BadInput:
            continue
    for n, event in enumerate(events):
        env = _env(b"", n, partition=n % 3)
        outcomes = [e.apply(event, env, T0 + n) for e in engines]
        assert outcomes[0] == outcomes[1]
        assert type(outcomes[0]) is type(outcomes[1])
    assert _snapshot(engines[0]) == _snapshot(engines[1])
    cfg = ProfilesConfig(**TIGHT)
    index = engines[1].index
    profiles: list[dict[str, Any]] = [{}, {}]
    for n, event in enumerate(events):
        entry = engines[1].state.catalog.get(event.product_id) if event.product_id else None
        view = index.view_of(entry) if entry is not None else None
        search = index.match_query(event.query) if event.query else None
        results = []
        for store, apply in zip(profiles, (_hot().apply_event, logic.apply_event), strict=True):
            profile = store.setdefault(event.user_id, new_profile(event.ts_ms))
            results.append(apply(profile, event, view, T0 + n, cfg, search))
        assert results[0] == results[1]
    assert _dump(profiles[0]) == _dump(profiles[1])


def test_cooc_functions_match() -> None:
    """add_pairs and evict_weakest, compiled, keep and drop the same neighbours."""
    rng = random.Random(3)
    for _ in range(300):
        counts: dict[str, Any] = {
            f"k{i}": rng.choice((1, 2, 3, 1.0, 2.5)) for i in range(rng.randrange(1, 12))
        }
        others = tuple(f"k{rng.randrange(15)}" for _ in range(rng.randrange(4)))
        cap = rng.randrange(1, 8)
        a = {"t0": T0, "pop": 0.0, "v": dict(counts), "b": {}}
        b = copy.deepcopy(a)
        _hot().add_pairs(a, "v", others, cap)
        cooc.add_pairs(b, "v", others, cap)  # type: ignore[arg-type]
        assert json.dumps(a) == json.dumps(b)
        c, d = dict(counts), dict(counts)
        _hot().evict_weakest(c, cap)
        cooc.evict_weakest(d, cap)
        assert json.dumps(c) == json.dumps(d)


def test_a_config_the_c_code_cannot_hold_runs_the_python_code() -> None:
    """A limit beyond what the C code holds leaves the engine on the Python code, which
    it says; the results are the same as ever."""
    cfg = ProfilesConfig(heavy_user_events=2**60)
    engine = ProfileEngine(cfg, State(), TopicSettings(), CODECS)
    assert engine.implementation == "python"


def _json_values() -> Any:
    from hypothesis import strategies as st

    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text()
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
        ),
        max_leaves=30,
    )


def test_changelog_json_is_faust_json() -> None:
    """The compiled JSON writer gives faust's json bytes for profiles, co entries and
    arbitrary JSON trees (escapes, surrogates, floats, big ints); other shapes fall
    back to faust's own encoder."""
    from hypothesis import given, settings

    from workers.profiles import faust_batch

    reference = faust_batch._faust_json_dumps()
    assert reference is not None
    dumps = _hot().FaustJson(reference)
    assert faust_batch.faust_json_dumps is not None
    assert faust_batch.faust_json_dumps(["x"]) == reference(["x"])

    @settings(max_examples=400, deadline=None)
    @given(_json_values())
    def check(value: Any) -> None:
        assert dumps(value) == reference(value)
        assert dumps({"k": value, "l": [value]}) == reference({"k": value, "l": [value]})

    check()
    odd = [
        "\ud800 lone surrogate",
        '\x00\x1f\x7f"\\\b\f\n\r\t é 用户 🙂',
        [(1, 2), {1: "int key"}, {"t": (3,)}],
        {"deep": [[[[[[[[[["x"]]]]]]]]]]},
        [0.1, -0.0, 5e-324, 1e300, 1e16, 123456789.0, float("nan"), float("-inf")],
    ]
    for value in odd:
        assert dumps(value) == reference(value)
    catalog = _catalog(2)
    engine = _engine(TIGHT, True, catalog)
    values = _random_records(2, 800, catalog)
    engine.on_behavior_batch([_env(v, i) for i, v in enumerate(values)], T0)
    for table in (engine.state.profiles, engine.state.co):
        for value in table.values():
            assert dumps(value) == reference(value)


def test_records_in_place_of_envelopes_give_identical_results() -> None:
    """The batch edge hands the engines consumer records with ``envelope_of``: the
    compiled loop reads them as they are; both give what the copied Envelopes give,
    dead letters (garbage, a value that is not bytes, None) included."""
    from types import SimpleNamespace

    from workers.profiles.app import envelope_of_record

    catalog = _catalog(6)
    values: list[Any] = list(_random_records(6, 1500, catalog))
    values[10:10] = [None, "text", b""]
    records = [
        SimpleNamespace(
            topic=TOPIC,
            partition=i % 3,
            offset=i,
            key=b"k",
            value=v,
            headers=[("h", b"1")],
            timestamp=T0 + i,
        )
        for i, v in enumerate(values)
    ]
    reference = _engine({}, False, catalog)
    engines = [_engine({}, compiled, catalog) for compiled in (True, False)]
    for i in range(0, len(records), 250):
        part = records[i : i + 250]
        want = _produced(reference.on_behavior_batch([envelope_of_record(r) for r in part], T0))
        for e in engines:
            assert _produced(e.on_behavior_batch(part, T0, envelope_of_record)) == want
            assert _snapshot(e) == _snapshot(reference)
    assert reference.metrics.dead_lettered >= 3


def test_float_repr_is_reprs() -> None:
    """The JSON writer's float digits (Grisu3) are float.__repr__'s for every double it
    takes on; the few it leaves go to PyOS_double_to_string (checked in the JSON test)."""
    import struct

    from hypothesis import given, settings
    from hypothesis import strategies as st

    float_repr = _hot().float_repr
    rng = random.Random(8)
    left = 0
    samples = [
        *(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(40_000)),
        *(rng.random() * 10 ** rng.randint(-6, 18) for _ in range(40_000)),
        *(float(rng.randint(0, 2**60)) for _ in range(10_000)),
        *(2.0**e for e in range(-1074, 1024)),
        *(10.0**e for e in range(-323, 309)),
        *(math.nextafter(10.0**e, d) for e in range(-300, 300) for d in (0, math.inf)),
        0.0, -0.0, 1e16, 1e15, 1e-4, 1e-5, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3,
    ]  # fmt: skip
    for x in samples:
        if not math.isfinite(x):
            continue
        for v in (x, -x):
            got = float_repr(v)
            if got is None:
                left += 1
            else:
                assert got == repr(v)
    assert left < 0.03 * 2 * len(samples)
    assert float_repr(math.inf) is None and float_repr(math.nan) is None

    @settings(max_examples=2000, deadline=None)
    @given(st.floats(allow_nan=False, allow_infinity=False))
    def check(x: float) -> None:
        got = float_repr(x)
        assert got is None or got == repr(x)

    check()


def test_changelog_records_of_a_table_are_changelog_record_of_each_write() -> None:
    """The compiled writer's records for a table's writes are faust_batch.changelog_record
    of each write in order, on the table's changelog topic: str and other keys, deletes,
    and values its JSON does not take."""
    from decimal import Decimal

    from workers.profiles import faust_batch
    from workers.profiles.app import build_app
    from workers.settings import Settings

    app, _ = build_app(Settings(), ProfilesConfig(app_id="unit-records"), 3)
    table: Any = app.tables["profiles"]
    topic = table.changelog_topic.get_topic_name()
    catalog = _catalog(2)
    engine = _engine(TIGHT, True, catalog)
    engine.on_behavior_batch(
        [_env(v, i) for i, v in enumerate(_random_records(2, 600, catalog))], T0
    )
    writes: dict[Any, Any] = {**engine.state.profiles, **engine.state.co}
    writes.update({"gone": None, 'q"\\é用': {"x": [1.5, None]}, 7: {"d": Decimal("1.2")}})
    writes["odd"] = {"t": (1, 2), "f": [0.1, -0.0, 1e22, 2.5e-05, math.inf, 2**70]}
    expected = [(topic, *faust_batch.changelog_record(table, k, v)) for k, v in writes.items()]
    assert faust_batch.changelog_records(table, writes) == expected
    assert faust_batch._writer is not None
    assert faust_batch._writer.records(topic, writes) == expected


def test_a_redelivered_stretch_is_skipped_however_long() -> None:
    """A restart redelivers everything after the last committed offset while the profile
    comes back from its changelog ahead of it: far more records than the event-id window
    holds. Each one at or below the offset the profile holds is skipped; the next new
    record counts; and both implementations agree on every byte."""
    catalog = _catalog(4)
    pid = catalog[0]["product_id"]
    values = [
        behavior_bytes(event_id=f"hank-{n}", user_id="hank", product_id=pid, timestamp=T0 - n)
        for n in range(101)
    ]
    envs = [_env(v, 40 + n, partition=2) for n, v in enumerate(values)]
    moved = behavior_bytes(event_id="hank-moved", user_id="hank", product_id=pid, timestamp=T0)
    snapshots = []
    for compiled in (True, False):
        engine = _engine({"recent_event_ids": 8}, compiled, catalog)
        profiles, m = engine.state.profiles, engine.metrics
        engine.on_behavior_batch(envs[:100], T0)
        before = _dump(profiles)
        assert (profiles["hank"]["part"], profiles["hank"]["off"]) == (2, 139)
        engine.on_behavior_batch(envs[:100], T0 + 1)  # redelivered from the committed offset
        assert _dump(profiles) == before
        assert (m.applied, m.replayed, m.duplicates) == (100, 100, 0)
        engine.on_behavior_batch(envs[100:], T0 + 2)  # the next record is new
        assert profiles["hank"]["n"] == 101 and m.applied == 101
        # The same event id at a later offset (a producer retry): the id window catches it.
        engine.on_behavior_batch([_env(values[100], 141, partition=2)], T0 + 3)
        assert (m.duplicates, profiles["hank"]["n"]) == (1, 101)
        # A low offset on another partition is another record (after a repartition).
        engine.on_behavior_batch([_env(moved, 40, partition=0)], T0 + 4)
        assert profiles["hank"]["n"] == 102
        assert (profiles["hank"]["part"], profiles["hank"]["off"]) == (0, 40)
        snapshots.append(_snapshot(engine))
    assert snapshots[0] == snapshots[1]


def test_a_profile_without_a_watermark_skips_nothing() -> None:
    """State written before the watermark existed has no ``part``/``off``: its events
    count (only the event-id window dedupes them), in both implementations."""
    catalog = _catalog(4)
    old: dict[str, Any] = dict(new_profile(T0 - DAY_MS))
    del old["part"], old["off"]
    value = behavior_bytes(user_id="old-user", product_id=catalog[0]["product_id"])
    snapshots = []
    for compiled in (True, False):
        engine = _engine({}, compiled, catalog)
        engine.state.profiles["old-user"] = copy.deepcopy(old)
        engine.on_behavior_batch([_env(value, 0, partition=1)], T0)
        assert engine.state.profiles["old-user"]["n"] == 1
        assert engine.state.profiles["old-user"]["off"] == 0
        snapshots.append(_snapshot(engine))
    assert snapshots[0] == snapshots[1]
