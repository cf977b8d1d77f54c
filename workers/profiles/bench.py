"""Benchmarks of the profile stage: events/s, the same next to a raw Kafka consume, memory.

The profile stage is what the worker's behavior agent runs per batch:
``ProfileEngine.on_behavior_batch`` (decode, profile update, co-occurrence, triggers, one
table write per changed key), here over dict state. The narrower "decode + profile update"
figure (decode and ``logic.apply_event`` only) is printed beside it. With ``worker=True``
the faust worker itself runs against the broker, so faust's own per-event cost and the
changelog writes of its tables are measured too, next to a raw consume with aiokafka, the
client faust uses.

All figures come from one run on one process; the machine is shared, so ratios measured
side by side say more than absolute numbers.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import statistics
import threading
import time
import timeit
import tracemalloc
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workers.envelope import Envelope
from workers.profiles import hot
from workers.profiles.catalog import CatalogIndex
from workers.profiles.config import ProfilesConfig
from workers.profiles.decode import decode_behavior
from workers.profiles.engine import Codecs, ProfileEngine, State
from workers.profiles.logic import apply_event
from workers.profiles.records import CatalogEntry, Profile, interned, new_profile
from workers.profiles.simulate import make_catalog
from workers.serde import PlainAvroCodec
from workers.settings import Settings, TopicSettings

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
    keys: list[bytes]  # each value's record key: its user id, as the apps key behavior


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
    keys = []
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
        keys.append(record["user_id"].encode())
    return Workload([p.entry for p in products], values, users, keys)


def product_record(entry: CatalogEntry) -> dict[str, Any]:
    """The ProductCreated record of a catalog entry (to send the catalog to a worker)."""
    return {
        **entry,
        "event_id": f"pc-{entry['product_id']}",
        "price": Decimal(entry["price"]),
        "emitted_at": entry["created_at"],
    }


class ProfileStage:
    """The engine over dict state, fed batches of envelopes: what the worker's agent runs."""

    def __init__(
        self,
        workload: Workload,
        cfg: ProfilesConfig,
        partitions: int = 3,
        compiled: bool | None = None,
    ) -> None:
        codecs = Codecs(
            behavior=PlainAvroCodec("UserBehavior"),
            product=PlainAvroCodec("ProductCreated"),
            request=PlainAvroCodec("ContentRequest"),
        )
        self.engine = ProfileEngine(
            cfg, State(), TopicSettings(), codecs, partitions, compiled=compiled
        )
        for entry in workload.catalog:
            self.engine.state.catalog[entry["product_id"]] = entry
            self.engine.index.add(entry)
        self.batch = cfg.batch_max

    @property
    def profiles(self) -> dict[str, Profile]:
        return self.engine.state.profiles  # type: ignore[return-value]

    def __call__(self, envelopes: Sequence[Envelope], now_ms: int) -> None:
        step, run = self.batch, self.engine.on_behavior_batch
        for i in range(0, len(envelopes), step):
            run(envelopes[i : i + step], now_ms)


def envelopes_of(values: Sequence[bytes], topic: str = "user-behavior") -> list[Envelope]:
    return [Envelope(topic, 0, i, None, v, (), 0) for i, v in enumerate(values)]


class Stage:
    """decode + the plain update function over dict state (no co-occurrence, no triggers),
    compiled (hot.py) when the engine would run compiled."""

    def __init__(self, workload: Workload, cfg: ProfilesConfig) -> None:
        self.cfg = cfg
        self.apply_event: Callable[..., Any] = apply_event
        self.decode: Callable[[bytes, PlainAvroCodec], Any] = decode_behavior
        module = hot.module
        if module is not None and hot.enabled():
            self.apply_event, read = module.apply_event, module.read_behavior

            def _decode(value: bytes, codec: PlainAvroCodec) -> Any:
                try:
                    return read(value)
                except ValueError:  # what the compiled reader leaves to the general path
                    return decode_behavior(value, codec)

            self.decode = _decode
        self.codec = PlainAvroCodec("UserBehavior")
        self.catalog = {e["product_id"]: e for e in workload.catalog}
        self.index = CatalogIndex()
        for entry in workload.catalog:
            self.index.add(entry)
        self.profiles: dict[str, Profile] = {}

    def __call__(self, value: bytes, now_ms: int) -> None:
        event = self.decode(value, self.codec)
        profile = self.profiles.get(event.user_id)
        if profile is None:
            profile = new_profile(event.ts_ms)
        entry = self.catalog.get(event.product_id) if event.product_id else None
        view = self.index.view_of(entry) if entry is not None else None
        search = self.index.match_query(event.query) if event.query else None
        self.apply_event(profile, event, view, now_ms, self.cfg, search)
        self.profiles[event.user_id] = profile


def time_stage(values: Sequence[bytes], stage: Callable[[bytes, int], None]) -> float:
    """Events per second of ``stage`` over in-memory values."""
    now = int(time.time() * 1000)
    start = time.perf_counter()
    for value in values:
        stage(value, now)
    return len(values) / (time.perf_counter() - start)


def time_batches(envelopes: Sequence[Envelope], stage: ProfileStage) -> float:
    """Events per second of the engine stage over in-memory envelopes."""
    now = int(time.time() * 1000)
    start = time.perf_counter()
    stage(envelopes, now)
    return len(envelopes) / (time.perf_counter() - start)


def produce_values(
    conf: dict[str, Any], topic: str, values: Sequence[bytes], keys: Sequence[bytes] = ()
) -> None:
    """Send ``values``, the i-th keyed by ``keys[i]`` (behavior: by user id, so each user's
    events and profile live in one partition, as the worker's tables assume), else by a
    spread of 997 keys."""
    from confluent_kafka import Producer

    producer = Producer({**conf, "linger.ms": 20, "batch.num.messages": 10000})
    for i, value in enumerate(values):
        key = keys[i] if keys else f"user-{i % 997}".encode()
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(60):
        raise RuntimeError("benchmark records were not all delivered")


def time_consume(
    conf: dict[str, Any], topic: str, count: int, handle: ProfileStage | None
) -> float:
    """Events per second reading ``count`` records from the start (assign, no group join),
    with ``handle`` applied to each fetched batch when given."""
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
        good = [msg for msg in batch if not msg.error()]
        if handle is not None:
            handle([Envelope.from_message(msg) for msg in good], now)
        seen += len(good)
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


def measure_memory(stage: Stage, profiles: int, intern: bool = False) -> MemoryFigures:
    """Bytes per profile as the table holds them after recovery, measured with tracemalloc
    over ``profiles`` copies of the built profiles decoded from their changelog JSON.

    ``intern=False`` is what the worker holds today: faust decodes table values with its own
    ``json`` codec whatever schema the table is given, so app.InterningJson's interning never
    runs. ``intern=True`` is what interned strings would hold (the earlier figure)."""
    docs = [json.dumps(p, separators=(",", ":")) for p in stage.profiles.values()]
    if not docs:
        raise ValueError("no profiles to measure")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    table: dict[str, Profile] = {}
    for i in range(profiles):
        doc = json.loads(docs[i % len(docs)])
        table[f"user-{i:07d}"] = interned(doc) if intern else doc
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    size = sum(len(d) for d in docs) / len(docs)
    del table
    return MemoryFigures(profiles, (after - before) / profiles, size)


def time_consume_aiokafka(bootstrap: str, topic: str, partitions: int, count: int) -> float:
    """Events per second reading ``count`` records from the start with aiokafka (the client
    faust uses), no processing: the ceiling of any faust worker on this machine."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def _run() -> float:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in range(partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            seen, start = 0, 0.0
            deadline = time.monotonic() + 120
            while seen < count and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                if batches and not start:
                    start = time.perf_counter()
                seen += sum(len(msgs) for msgs in batches.values())
            elapsed = time.perf_counter() - start
        finally:
            await consumer.stop()
        if seen < count:
            raise RuntimeError(f"aiokafka consumed {seen} of {count} benchmark records")
        return seen / elapsed

    return asyncio.run(_run())


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    """The faust worker against the broker, and aiokafka's raw consume, in one run."""

    events: int
    batch_max: int
    worker_rate: float
    aiokafka_raw_rate: float
    changelog_records: int

    @property
    def ratio(self) -> float:
        return self.worker_rate / self.aiokafka_raw_rate


def measure_worker(
    settings: Settings, workload: Workload, cfg: ProfilesConfig, partitions: int = 3
) -> WorkerFigures:
    """Run ``ProfilesWorker`` (faust, changelogged tables) over the workload on fresh topics:
    events/s from its first processed event to its last, from the engine's own counter.

    As after an outage or a deploy: a first worker loads the catalog and stops; the
    behavior is then written, and a second worker (same app id) recovers the catalog from
    its changelog and works through the behavior backlog. aiokafka reads the same backlog
    raw afterwards, in the same run. (Producing behavior while the worker runs would
    measure the producer's pace; behavior read before the catalog would be about unknown
    products, which costs less.)"""
    from confluent_kafka.admin import AdminClient

    from workers.kafka.topics import ensure_topics

    conf: dict[str, Any] = dict(settings.kafka_common())
    tag = uuid.uuid4().hex[:8]
    topics = settings.topics.model_copy(
        update={
            name: f"bench-{name.replace('_', '-')}-{tag}"
            for name in ("product_created", "user_behavior", "content_requests", "dead_letter")
        }
    )
    ensure_topics(conf, [topics.user_behavior], partitions=partitions)
    ensure_topics(conf, [topics.product_created, topics.content_requests, topics.dead_letter])
    codec = PlainAvroCodec("ProductCreated")
    products = [codec.encode(product_record(e)) for e in workload.catalog]
    produce_values(conf, topics.product_created, products)
    count = len(workload.values)
    worker_settings = settings.model_copy(update={"topics": topics})
    worker_cfg = cfg.model_copy(update={"app_id": f"bench-profiles-{tag}"})

    def catalog_loaded(engine: ProfileEngine) -> bool:
        return engine.index.size >= len(products)

    _run_worker(worker_settings, worker_cfg, partitions, catalog_loaded)
    produce_values(conf, topics.user_behavior, workload.values, workload.keys)
    rate = _run_worker(
        worker_settings,
        worker_cfg,
        partitions,
        lambda e: e.metrics.behavior_events >= count,
        progress=lambda e: e.metrics.behavior_events,
        handed_over=count,
    )
    # The stopped workers' garbage (faust's object cycles) is collected first: left to
    # the collector, one full collection of it lands inside the raw consume's timing.
    gc.collect()
    raw = time_consume_aiokafka(settings.bootstrap_servers, topics.user_behavior, partitions, count)
    records = _topic_size(conf, f"{worker_cfg.app_id}-profiles-changelog")
    admin = AdminClient(conf)
    ours = [t for t in admin.list_topics(timeout=10).topics if tag in t]
    if ours:
        admin.delete_topics(ours)
    return WorkerFigures(count, cfg.batch_max, rate, raw, records)


def _run_worker(
    settings: Settings,
    cfg: ProfilesConfig,
    partitions: int,
    done: Callable[[ProfileEngine], bool],
    progress: Callable[[ProfileEngine], int] | None = None,
    handed_over: int = 0,
) -> float:
    """Run a worker until ``done(engine)``; with ``progress``, the rate of that counter
    from the first poll that saw it move to the last poll (NaN without).

    With ``handed_over`` and the batch edge on, the worker runs on until the edge has
    handed over that many records, and the rate is timed inside the worker instead: from
    the edge's first call to the end of the call that handed over the last one (its
    changelog records given to the producer). The engine's counter moves before a
    fetch's changelog records are written, and polls see it only between batches, so
    polling leaves the last fetch's writes out of the time and the first batch's events
    out of the count."""
    from workers.profiles.app import ProfilesWorker

    worker = ProfilesWorker(settings, cfg, partitions)
    stop = threading.Event()
    errors: list[BaseException] = []

    def _run() -> None:
        try:
            worker.run(stop)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=_run, daemon=True)
    thread.start()
    try:
        if not worker.ready.wait(120):
            raise RuntimeError(f"worker not ready: {errors!r}")
        first = last = 0.0
        first_count = last_count = 0
        deadline = time.monotonic() + 600
        moved = time.monotonic()
        while not errors:
            finished = worker.call(done)
            if progress is not None:
                seen = worker.call(progress)
                now = time.perf_counter()
                if seen and not first:
                    first, first_count = now, seen
                if seen != last_count:
                    moved = time.monotonic()
                last, last_count = now, seen
                if time.monotonic() - moved > 90:
                    # Seen now and then on this machine, old and new worker alike: a
                    # restarted worker of the same group that never gets its records.
                    raise RuntimeError(f"the worker made no progress for 90 s at {seen}")
            if finished and handed_over and worker.batches is not None:
                finished = worker.call(lambda _e: batches_handled(worker) >= handed_over)
            if finished:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not finish in 600 s")
            time.sleep(0.02)
        if errors:
            raise RuntimeError(f"the worker failed: {errors!r}")
    finally:
        stop.set()
        thread.join(60)
    edge = worker.batches
    if handed_over and edge is not None:
        took = edge.last_done_s - edge.first_call_s
        return edge.handled / took if took > 0 else float("nan")
    if last <= first:
        return float("nan")
    return (last_count - first_count) / (last - first)


def batches_handled(worker: Any) -> int:
    """Records the worker's batch edge has handed over so far."""
    return int(worker.batches.handled) if worker.batches is not None else 0


def _topic_size(conf: dict[str, Any], topic: str) -> int:
    """Records in a topic (sum of high watermarks: nothing is compacted this soon)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**conf, "group.id": f"bench-{uuid.uuid4().hex[:8]}"})
    try:
        md = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if md is None or md.error is not None:
            return 0
        total = 0
        for p in md.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += high - low
        return total
    finally:
        consumer.close()


@dataclass(frozen=True, slots=True)
class BenchResult:
    events: int
    implementation: str  # what the engine ran: "compiled" or "python (why)"
    stage_rates: list[float]
    python_stage_rates: list[float]  # the Python reference engine, same run (when compiled)
    update_rates: list[float]
    raw_consume_rates: list[float]
    consume_stage_rates: list[float]
    memory: MemoryFigures
    memory_interned: MemoryFigures
    mean_events_per_user: float
    calibration_us: float
    load_average: float
    workers: list[WorkerFigures]

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
    worker_settings: Settings | None = None,
    worker_events: int = 50_000,
    worker_batches: Sequence[int] = (1, 500, 2000),
) -> BenchResult:
    """Stage rate in memory; then, with a broker, raw consume vs consume + stage, alternated
    ``rounds`` times so both see the same machine weather; then, with ``worker_settings``,
    the faust worker once per batch size in ``worker_batches``."""
    cfg = ProfilesConfig()
    workload = make_workload(events, users)
    envelopes = envelopes_of(workload.values)
    warm = min(20_000, events)
    time_batches(envelopes[:warm], ProfileStage(workload, cfg))  # imports, caches, warm-up
    time_stage(workload.values[:warm], Stage(workload, cfg))
    stage_rates: list[float] = []
    python_rates: list[float] = []
    update_rates: list[float] = []
    stage = Stage(workload, cfg)
    implementation = ProfileStage(workload, cfg).engine.implementation
    if implementation == "compiled":
        time_batches(envelopes[:warm], ProfileStage(workload, cfg, compiled=False))
    for _ in range(rounds):
        stage_rates.append(time_batches(envelopes, ProfileStage(workload, cfg)))
        if implementation == "compiled":  # the reference, alternated in the same weather
            python_rates.append(
                time_batches(envelopes, ProfileStage(workload, cfg, compiled=False))
            )
        stage = Stage(workload, cfg)
        update_rates.append(time_stage(workload.values, stage))
    raw: list[float] = []
    full: list[float] = []
    if kafka_conf is not None:
        from workers.kafka.topics import ensure_topics

        topic = f"{topic_prefix}-{uuid.uuid4().hex[:8]}"
        ensure_topics(kafka_conf, [topic], partitions=3)
        produce_values(kafka_conf, topic, workload.values, workload.keys)
        for _ in range(rounds):
            raw.append(time_consume(kafka_conf, topic, events, None))
            full.append(time_consume(kafka_conf, topic, events, ProfileStage(workload, cfg)))
    workers: list[WorkerFigures] = []
    if worker_settings is not None:
        small = make_workload(min(worker_events, events), users)
        for batch in worker_batches:
            wcfg = cfg.model_copy(update={"batch_max": batch})
            workers.append(measure_worker(worker_settings, small, wcfg))
    memory = measure_memory(stage, memory_profiles)
    memory_interned = measure_memory(stage, memory_profiles, intern=True)
    return BenchResult(
        events=events,
        implementation=implementation if implementation != "python" else hot.implementation(),
        stage_rates=stage_rates,
        python_stage_rates=python_rates,
        update_rates=update_rates,
        raw_consume_rates=raw,
        consume_stage_rates=full,
        memory=memory,
        memory_interned=memory_interned,
        mean_events_per_user=events / max(1, len(stage.profiles)),
        calibration_us=calibrate(),
        load_average=os.getloadavg()[0],
        workers=workers,
    )


def _rates(values: list[float]) -> str:
    return f"median {statistics.median(values):,.0f}, best {max(values):,.0f} events/s"


def render(result: BenchResult) -> str:
    lines = [
        f"machine: sum(range(1000)) takes {result.calibration_us:.1f} us; "
        f"load average {result.load_average:.1f} on {os.cpu_count()} CPUs",
        f"profile stage (engine: decode + profile + co-occurrence + triggers, dict state): "
        f"{_rates(result.stage_rates)} ({result.events:,} events, "
        f"{result.mean_events_per_user:.0f} per user, one process, "
        f"{len(result.stage_rates)} rounds)",
        f"  engine implementation measured: {result.implementation}",
        f"  of which decode + profile update alone:  {_rates(result.update_rates)}",
    ]
    if result.python_stage_rates:
        speedup = result.stage_rate / statistics.median(result.python_stage_rates)
        lines.append(
            f"  Python reference engine, same run:      {_rates(result.python_stage_rates)}"
            f" (compiled {speedup:.1f}x)"
        )
    if result.ratio is not None:
        lines += [
            f"raw consume (confluent-kafka, same run): {_rates(result.raw_consume_rates)}",
            f"consume + profile stage:                 {_rates(result.consume_stage_rates)}",
            f"ratio (consume + stage) / raw consume:   median {result.ratio:.3f} "
            f"(rounds: {', '.join(f'{r:.3f}' for r in result.ratios)})",
        ]
    for w in result.workers:
        lines.append(
            f"faust worker, engine batch {w.batch_max}: {w.worker_rate:,.0f} events/s over "
            f"{w.events:,} events; raw consume (aiokafka, same run) {w.aiokafka_raw_rate:,.0f}"
            f" events/s; ratio {w.ratio:.3f}; {w.changelog_records:,} profile changelog records"
        )
    m = result.memory
    lines += [
        f"state memory: {m.bytes_per_profile:,.0f} bytes/profile (tracemalloc over "
        f"{m.profiles:,} profiles as recovered from JSON by faust's codec) = "
        f"{m.gib_per_million:.2f} GiB per 1M users; with strings interned "
        f"{result.memory_interned.bytes_per_profile:,.0f} bytes = "
        f"{result.memory_interned.gib_per_million:.2f} GiB",
        f"changelog value: {m.json_bytes_per_profile:,.0f} bytes/profile (JSON)",
    ]
    return "\n".join(lines)
