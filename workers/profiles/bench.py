"""Benchmarks of the profile stage: events/s, the same next to a raw Kafka consume, memory.

All figures come from one run on one process; the machine is shared, so ratios measured
side by side say more than absolute numbers.
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import time
import timeit
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from workers.profiles.catalog import CatalogIndex
from workers.profiles.config import ProfilesConfig
from workers.profiles.decode import decode_behavior
from workers.profiles.logic import apply_event
from workers.profiles.records import CatalogEntry, Profile, interned, new_profile
from workers.profiles.simulate import make_catalog
from workers.serde import PlainAvroCodec

# A realistic mix: mostly views, few purchases, a trickle of searches and impressions.
_MIX: tuple[tuple[str, float], ...] = (
    ("view", 0.78),
    ("click", 0.06),
    ("add_to_cart", 0.08),
    ("purchase", 0.04),
    ("search", 0.02),
    ("impression", 0.02),
)


@dataclass(frozen=True, slots=True)
class Workload:
    catalog: list[CatalogEntry]
    values: list[bytes]
    users: int


def make_workload(events: int, users: int, seed: int = 3) -> Workload:
    """``events`` Avro-encoded behavior records over ``users`` users, each with 3 favourite
    categories, against the simulated catalog."""
    rng = random.Random(seed)
    now = int(time.time() * 1000)
    products = make_catalog(rng, 60, now)
    by_cat: dict[str, list[str]] = {}
    for p in products:
        by_cat.setdefault(p.category, []).append(p.entry["product_id"])
    cats = list(by_cat)
    favourites = [rng.sample(cats, 3) for _ in range(users)]
    kinds, weights = zip(*_MIX, strict=True)
    codec = PlainAvroCodec("UserBehavior")
    values = []
    start = now - 3_600_000
    for n in range(events):
        u = rng.randrange(users)
        kind = rng.choices(kinds, weights)[0]
        pid = rng.choice(by_cat[rng.choice(favourites[u])])
        record = {
            "event_id": f"b{seed}-{n}",
            "user_id": f"user-{u:07d}",
            "session_id": f"s{u}",
            "type": kind,
            "product_id": None if kind == "search" else pid,
            "query": "headphones" if kind == "search" else None,
            "timestamp": start + n,
            "context": {"locale": "en"},
        }
        values.append(codec.encode(record))
    return Workload([p.entry for p in products], values, users)


class Stage:
    """decode + the plain update function, over dict state: what the benchmark times."""

    def __init__(self, workload: Workload, cfg: ProfilesConfig) -> None:
        self.cfg = cfg
        self.codec = PlainAvroCodec("UserBehavior")
        self.catalog = {e["product_id"]: e for e in workload.catalog}
        self.index = CatalogIndex()
        for entry in workload.catalog:
            self.index.add(entry)
        self.profiles: dict[str, Profile] = {}

    def __call__(self, value: bytes, now_ms: int) -> None:
        event = decode_behavior(value, self.codec)
        profile = self.profiles.get(event.user_id)
        if profile is None:
            profile = new_profile(event.ts_ms)
        entry = self.catalog.get(event.product_id) if event.product_id else None
        view = self.index.view_of(entry) if entry is not None else None
        search = self.index.match_query(event.query) if event.query else None
        apply_event(profile, event, view, now_ms, self.cfg, search)
        self.profiles[event.user_id] = profile


def time_stage(values: Sequence[bytes], stage: Callable[[bytes, int], None]) -> float:
    """Events per second of ``stage`` over in-memory values."""
    now = int(time.time() * 1000)
    start = time.perf_counter()
    for value in values:
        stage(value, now)
    return len(values) / (time.perf_counter() - start)


def produce_values(conf: dict[str, Any], topic: str, values: Sequence[bytes]) -> None:
    from confluent_kafka import Producer

    producer = Producer({**conf, "linger.ms": 20, "batch.num.messages": 10000})
    for i, value in enumerate(values):
        while True:
            try:
                producer.produce(topic, value, f"user-{i % 997}".encode())
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(60):
        raise RuntimeError("benchmark records were not all delivered")


def time_consume(
    conf: dict[str, Any], topic: str, count: int, handle: Callable[[bytes, int], None] | None
) -> float:
    """Events per second reading ``count`` records from the start (assign, no group join),
    with ``handle`` applied to each value when given."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            **conf,
            "group.id": f"bench-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "fetch.min.bytes": 1,
        }
    )
    md = consumer.list_topics(topic, timeout=10).topics[topic]
    consumer.assign([TopicPartition(topic, p, 0) for p in md.partitions])
    now = int(time.time() * 1000)
    seen = 0
    start = 0.0
    deadline = time.monotonic() + 120
    while seen < count and time.monotonic() < deadline:
        batch = consumer.consume(num_messages=5000, timeout=1.0)
        if not batch:
            continue
        if not start:
            start = time.perf_counter()  # from the first record: not the connection set-up
        for msg in batch:
            if msg.error():
                continue
            value = msg.value()
            if handle is not None and value is not None:
                handle(value, now)
            seen += 1
    elapsed = time.perf_counter() - start
    consumer.close()
    if seen < count:
        raise RuntimeError(f"consumed {seen} of {count} benchmark records")
    return seen / elapsed


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    profiles: int
    bytes_per_profile: float
    json_bytes_per_profile: float

    @property
    def gib_per_million(self) -> float:
        return self.bytes_per_profile * 1_000_000 / 2**30


def measure_memory(stage: Stage, profiles: int) -> MemoryFigures:
    """Bytes per profile as the table holds them after recovery (decoded from the changelog's
    JSON as app.InterningJson does, strings interned), measured with tracemalloc over
    ``profiles`` copies of the built profiles."""
    docs = [json.dumps(p, separators=(",", ":")) for p in stage.profiles.values()]
    if not docs:
        raise ValueError("no profiles to measure")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    table: dict[str, Profile] = {}
    for i in range(profiles):
        table[f"user-{i:07d}"] = interned(json.loads(docs[i % len(docs)]))
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    size = sum(len(d) for d in docs) / len(docs)
    del table
    return MemoryFigures(profiles, (after - before) / profiles, size)


@dataclass(frozen=True, slots=True)
class BenchResult:
    events: int
    stage_rates: list[float]
    raw_consume_rates: list[float]
    consume_stage_rates: list[float]
    memory: MemoryFigures
    mean_events_per_user: float
    calibration_us: float
    load_average: float

    @property
    def stage_rate(self) -> float:
        return statistics.median(self.stage_rates)

    @property
    def ratios(self) -> list[float]:
        """Per round: consume + stage over the raw consume measured right before it."""
        pairs = zip(self.consume_stage_rates, self.raw_consume_rates, strict=True)
        return [full / raw for full, raw in pairs]

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None


def calibrate() -> float:
    """Microseconds for ``sum(range(1000))``: how fast this CPU runs Python right now."""
    return min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6


def run_bench(
    events: int = 200_000,
    users: int = 10_000,
    memory_profiles: int = 100_000,
    kafka_conf: dict[str, Any] | None = None,
    topic_prefix: str = "bench-profiles",
    rounds: int = 3,
) -> BenchResult:
    """Stage rate in memory; then, with a broker, raw consume vs consume + stage, alternated
    ``rounds`` times so both see the same machine weather."""
    cfg = ProfilesConfig()
    workload = make_workload(events, users)
    warm = Stage(workload, cfg)
    time_stage(workload.values[: min(20_000, events)], warm)  # imports, caches, branch warm-up
    stage_rates = []
    stage = warm
    for _ in range(rounds):
        stage = Stage(workload, cfg)
        stage_rates.append(time_stage(workload.values, stage))
    raw: list[float] = []
    full: list[float] = []
    if kafka_conf is not None:
        from workers.kafka.topics import ensure_topics

        topic = f"{topic_prefix}-{uuid.uuid4().hex[:8]}"
        ensure_topics(kafka_conf, [topic], partitions=3)
        produce_values(kafka_conf, topic, workload.values)
        for _ in range(rounds):
            raw.append(time_consume(kafka_conf, topic, events, None))
            full.append(time_consume(kafka_conf, topic, events, Stage(workload, cfg)))
    memory = measure_memory(stage, memory_profiles)
    return BenchResult(
        events=events,
        stage_rates=stage_rates,
        raw_consume_rates=raw,
        consume_stage_rates=full,
        memory=memory,
        mean_events_per_user=events / max(1, len(stage.profiles)),
        calibration_us=calibrate(),
        load_average=os.getloadavg()[0],
    )


def _rates(values: list[float]) -> str:
    return f"median {statistics.median(values):,.0f}, best {max(values):,.0f} events/s"


def render(result: BenchResult) -> str:
    lines = [
        f"machine: sum(range(1000)) takes {result.calibration_us:.1f} us; "
        f"load average {result.load_average:.1f} on {os.cpu_count()} CPUs",
        f"profile stage (decode + update function): {_rates(result.stage_rates)} "
        f"({result.events:,} events, {result.mean_events_per_user:.0f} per user, one process, "
        f"{len(result.stage_rates)} rounds)",
    ]
    if result.ratio is not None:
        lines += [
            f"raw consume (confluent-kafka, same run): {_rates(result.raw_consume_rates)}",
            f"consume + decode + update:               {_rates(result.consume_stage_rates)}",
            f"ratio (consume + stage) / raw consume:   median {result.ratio:.3f} "
            f"(rounds: {', '.join(f'{r:.3f}' for r in result.ratios)})",
        ]
    m = result.memory
    lines += [
        f"state memory: {m.bytes_per_profile:,.0f} bytes/profile (tracemalloc over "
        f"{m.profiles:,} profiles as recovered from JSON) = {m.gib_per_million:.2f} GiB "
        "per 1M users",
        f"changelog value: {m.json_bytes_per_profile:,.0f} bytes/profile (JSON)",
    ]
    return "\n".join(lines)
