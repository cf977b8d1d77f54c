"""The only module that touches faust: tables, two agents, two timers, and a runner.

Tables (in-memory store, so state after a restart comes from the changelog topics):
- ``profiles``: user id → profile, partitioned like user-behavior (keyed by user id);
- ``co``: "<partition>:<product id>" → co-occurrence counts (see cooc.py);
- ``erased``: a digest of the user id → erasure time, so later behavior is ignored;
- ``catalog``: product id → product, a GlobalTable (every worker needs every product). One
  changelog partition and a recovery buffer of one, as faust's docs advise for global tables.

The agents only turn faust events into ``Envelope``s, call ``ProfileEngine`` and send what
it returns; the engine never raises for bad input, so an agent never dies quietly on it.

Behavior is taken in batches (``stream.take_events``): the engine writes each changed
profile and co-occurrence entry once per batch, and every table write is a changelog record
that faust serializes and produces, so per-event writes would cost more than the update
itself. faust acks a batch's events only after the agent is done with the batch, so their
offsets are committed after the table writes were handed to the producer, as with per-event
processing.
"""

from __future__ import annotations

import asyncio
import gc
import json
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import faust
import structlog
from confluent_kafka.admin import AdminClient
from faust.serializers import codecs
from faust.streams import _current_event

from workers.envelope import Envelope
from workers.errors import Fatal
from workers.profiles.config import ProfilesConfig
from workers.profiles.engine import Codecs, Produce, ProfileEngine, State
from workers.profiles.faust_batch import (
    BatchingApp,
    changelog_records,
    faust_json_dumps,
    send_changelog,
)
from workers.profiles.metrics import Metrics
from workers.profiles.records import interned
from workers.serde import make_codec
from workers.settings import Settings

log = structlog.get_logger("copyflow.profiles")
T = TypeVar("T")


class InterningJson(codecs.Codec):
    """faust's json, with strings interned on the way in (see records.interned): a table
    recovered from its changelog then shares field names, ids and categories. It writes
    faust's json bytes exactly, so changelogs written before and after it are the same."""

    writes_faust_json = True  # faust_batch.changelog_record may use its fast encoder

    def _dumps(self, obj: Any) -> bytes:
        if faust_json_dumps is not None:
            return faust_json_dumps(obj)
        return codecs.dumps("json", obj)

    def _loads(self, s: bytes) -> Any:
        return interned(json.loads(s))


class _InterningValues:
    """Tables whose store and changelog write and recover values with ``InterningJson``.

    faust derives a table's value codec from its ``value_type`` ("json" when there is none)
    and ignores the ``schema`` it was given, so plain tables use faust's own json: the same
    bytes, but recovered profiles would not share their strings: 4,851 bytes per profile
    against 2,505 interned (``copyflow profiles bench --no-kafka``). The codec is set in
    the constructor, before the app registers the table and makes its changelog topic and
    store, which take it from there. Keys keep faust's json (its ASCII escapes are the keys
    already written).
    """

    value_serializer: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if getattr(self, "_data", None) is not None or getattr(self, "_changelog_topic", None):
            raise RuntimeError("a table's store or changelog topic exists before its codec")
        self.value_serializer = InterningJson()


class InterningTable(_InterningValues, faust.Table):  # type: ignore[type-arg]
    """``faust.Table`` with ``InterningJson`` values (see ``_InterningValues``)."""


class InterningGlobalTable(_InterningValues, faust.GlobalTable):
    """``faust.GlobalTable`` with ``InterningJson`` values (see ``_InterningValues``)."""


class TableView(MutableMapping[str, Any]):
    """A faust table whose reads skip faust's per-read machinery.

    Writes and deletes go through the table (each one a changelog record, as before).
    Reads go straight to the dict the in-memory store keeps, the very object the table
    reads from, so they see exactly what the table holds (its own writes, changelog
    events applied by recovery or, for a GlobalTable, other workers' writes) and are never
    stale. Through the table each read costs a sensor call and several wrapper layers,
    5-16 us; the agents read the tables hundreds of times per recommendation.
    """

    __slots__ = ("_data", "_log", "table")

    def __init__(self, table: Any) -> None:
        self.table = table
        store = table.data  # created on first use and kept by the table
        data = getattr(store, "data", None)
        # Any other store (RocksDB: serialized values) is read through the table.
        self._data: Mapping[str, Any] = data if type(data) is dict else table
        self._log: dict[str, Any] | None = None

    @property
    def dict_backed(self) -> bool:
        """Does the view hold the in-memory store's dict (so it can log its writes)?"""
        return self._data is not self.table

    def log_writes(self, log: dict[str, Any] | None) -> None:
        """While ``log`` is set, a write or delete changes the store's dict and sets
        ``log[key]`` to the value (None: deleted), so ``log`` holds each written key's last
        value in the order keys were first written: the changelog records the caller
        sends (the batch edge, see ``BehaviorBatches``). None: writes go through the table
        again, each one a changelog record faust sends."""
        if log is not None and not self.dict_backed:
            raise TypeError("only a view of an in-memory store can log its writes")
        self._log = log

    def read_view(self) -> Mapping[str, Any]:
        """What ``get`` and ``[]`` read: the store's dict, or the table (for the compiled
        engine, which then reads the dict directly, as ``get`` would)."""
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setitem__(self, key: str, value: Any) -> None:
        log = self._log
        if log is None:
            self.table[key] = value
            return
        self._data[key] = value  # type: ignore[index]
        log[key] = value

    def write_all(self, values: Mapping[str, Any]) -> None:
        """``self[key] = value`` for each item, in order; while writes are logged, two
        dict updates (the engine writes thousands of keys per batch this way)."""
        log = self._log
        if log is None:
            for key, value in values.items():
                self.table[key] = value
            return
        self._data.update(values)  # type: ignore[attr-defined]
        log.update(values)

    def __delitem__(self, key: str) -> None:
        log = self._log
        if log is None:
            del self.table[key]
            return
        del self._data[key]  # type: ignore[attr-defined]
        log[key] = None


def _schema(key: str, value: str | codecs.Codec) -> faust.Schema[Any, Any]:
    return faust.Schema(key_serializer=key, value_serializer=value)


def partition_count(settings: Settings, topic: str) -> int:
    """Partitions of an existing topic (the changelogs must match the behavior topic)."""
    conf: dict[str, str | int | float | bool] = {**settings.kafka_common()}
    admin = AdminClient(conf)
    meta = admin.list_topics(topic, timeout=10).topics.get(topic)
    if meta is None or meta.error is not None or not meta.partitions:
        raise Fatal(f"topic {topic!r} is missing; run `copyflow topics` first")
    return len(meta.partitions)


def now_ms() -> int:
    return int(time.time() * 1000)


def envelope_of(message: Any) -> Envelope:
    """Copy a faust message; header values that are not bytes become empty bytes."""
    raw_headers: Any = message.headers or ()
    if isinstance(raw_headers, Mapping):
        raw_headers = raw_headers.items()
    headers = tuple((str(k), v if isinstance(v, bytes) else b"") for k, v in raw_headers)
    value = message.value
    return Envelope(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=value if isinstance(value, bytes) else b"",
        headers=headers,
        timestamp_ms=int(message.timestamp * 1000),
    )


def envelope_of_record(record: Any) -> Envelope:
    """Copy an aiokafka ConsumerRecord (what the batch edge hands over)."""
    raw_headers: Any = record.headers or ()
    headers = tuple((str(k), v if isinstance(v, bytes) else b"") for k, v in raw_headers)
    value = record.value
    return Envelope(
        record.topic,
        record.partition,
        record.offset,
        record.key,
        value if isinstance(value, bytes) else b"",
        headers,
        int(record.timestamp or 0),
    )


class BehaviorBatches:
    """The behavior topic's batch edge (see faust_batch.py): one partition's new records
    → ``ProfileEngine.on_behavior_batch`` → the changed keys' changelog records, sent to
    that partition of each changelog through faust's producer → the dead letters.

    The engine's table writes land in the stores' dicts at once and are logged; after the
    whole fetch (engine calls of at most ``batch_max`` events each) every changed key
    becomes one changelog record holding its last value, or a tombstone when its last
    write was a delete, serialized by the table's own codecs. A key written in several
    of the fetch's batches is so serialized and sent once, not once per batch. The
    consumer acks the records when this returns, so faust commits their offsets only
    after these records were handed to the producer (and its commit flushes the producer
    first).
    """

    def __init__(
        self,
        app: faust.App,
        engine: ProfileEngine,
        views: Sequence[TableView],
        send_all: Callable[[list[Produce]], Awaitable[None]],
        batch_max: int,
    ) -> None:
        self.batch_max = max(1, batch_max)
        self.app = app
        self.engine = engine
        self.views = views
        self.send_all = send_all
        # Records handed over (changelog records and dead letters given to the producer),
        # and perf_counter at the start of the first call and at the end of the last one.
        self.handled = 0
        self.first_call_s = 0.0
        self.last_done_s = 0.0

    async def __call__(self, tp: Any, records: Sequence[Any]) -> None:
        if not self.first_call_s:
            self.first_call_s = time.perf_counter()
        step, now, run = self.batch_max, now_ms(), self.engine.on_behavior_batch
        # Per table, each written key's last value (TableView.log_writes): what the
        # changelog gets, however many of the fetch's engine batches wrote the key.
        logs: list[tuple[TableView, dict[str, Any]]] = [(view, {}) for view in self.views]
        out: list[Produce] = []
        for view, log in logs:
            view.log_writes(log)
        try:
            for i in range(0, len(records), step):
                if i:
                    await asyncio.sleep(0)  # let timers and the consumer run between batches
                # The records themselves: an Envelope is made only for a dead letter.
                out += run(records[i : i + step], now, envelope_of_record)
        finally:
            for view, _ in logs:
                view.log_writes(None)
        # Serialized before the next await: values are live dicts the next fetch changes.
        changes: list[tuple[str, bytes, bytes | None]] = []
        for view, log in logs:
            if log:
                changes += changelog_records(view.table, log)
        await send_changelog(self.app.producer, tp.partition, changes)
        await self.send_all(out)
        self.handled += len(records)
        self.last_done_s = time.perf_counter()


def by_partition(events: Sequence[Any]) -> list[list[Any]]:
    """A batch of faust events split per source partition, each part in arrival order."""
    parts: dict[int, list[Any]] = {}
    for event in events:
        parts.setdefault(event.message.partition, []).append(event)
    return list(parts.values())


def set_current_event(event: Any) -> None:
    """Make ``event`` faust's current event in this task.

    A table write goes to the changelog partition of the current event. Inside a batch
    from ``take_events`` faust sets none (the stream is drained by another task), so the
    agent names one event of the partition whose keys it is about to write.
    """
    _current_event.set(weakref.ref(event))


def _faust_options(
    settings: Settings, cfg: ProfilesConfig, partitions: int, datadir: str | None = None
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "broker": f"kafka://{settings.bootstrap_servers}",
        "Table": InterningTable,
        "GlobalTable": InterningGlobalTable,
        "store": "memory://",
        "web_enabled": False,
        "autodiscover": False,
        "topic_partitions": partitions,
        "table_standby_replicas": 0,
        "consumer_auto_offset_reset": "earliest",
        "processing_guarantee": "at_least_once",
        "broker_commit_interval": cfg.commit_interval_s,
        "broker_session_timeout": cfg.session_timeout_s,
        "broker_heartbeat_interval": min(3.0, cfg.session_timeout_s / 3),
        # Changelog records and requests go out in fewer, larger produce requests: with
        # faust's defaults (no linger, 16 kB batches) a batch of events costs hundreds.
        "producer_linger": cfg.producer_linger_s,
        "producer_max_batch_size": cfg.producer_max_batch_bytes,
        "stream_buffer_maxsize": max(4096, 4 * cfg.batch_max),
    }
    if datadir is not None:
        options["datadir"] = datadir  # faust's default is "<app id>-data" in the cwd
    if settings.sasl_mechanism and settings.sasl_username and settings.sasl_password:
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value(),
            mechanism=settings.sasl_mechanism,
        )
    return options


def build_app(
    settings: Settings, cfg: ProfilesConfig, partitions: int, datadir: str | None = None
) -> tuple[faust.App, ProfileEngine]:
    """A faust app wired to a fresh engine; nothing runs until a worker starts it."""
    app = BatchingApp(cfg.app_id, **_faust_options(settings, cfg, partitions, datadir))
    topics = settings.topics
    registry = settings.schema_registry_url
    basic_auth = settings.schema_registry_basic_auth
    auth = basic_auth.get_secret_value() if basic_auth else None
    raw, json_ = _schema("raw", "raw"), _schema("json", InterningJson())
    engines: list[ProfileEngine] = []

    async def on_catalog_changelog(event: Any) -> None:
        # Every change of the catalog this worker's table applies from the changelog
        # (recovery; other workers' products; our own writes coming back): the index the
        # recommendations read is kept in step with the table, not only with on_product.
        for engine_ in engines:
            value = None if event.message.value is None else event.value
            engine_.on_catalog_change(event.key, value)

    catalog = app.GlobalTable(
        "catalog",
        default=None,
        schema=json_,
        partitions=1,
        use_partitioner=True,
        recovery_buffer_size=1,
        on_changelog_event=on_catalog_changelog,
    )
    state = State(
        profiles=TableView(app.Table("profiles", default=None, schema=json_)),
        catalog=TableView(catalog),
        co=TableView(app.Table("co", default=None, schema=json_)),
        erased=TableView(app.Table("erased", default=None, schema=json_)),
    )
    engine = ProfileEngine(
        cfg,
        state,
        topics,
        Codecs(
            behavior=make_codec("UserBehavior", registry, auth),
            product=make_codec("ProductCreated", registry, auth),
            request=make_codec("ContentRequest", registry, auth),
        ),
        partitions=partitions,
    )
    engines.append(engine)

    @catalog.on_recover
    async def _catalog_recovered() -> None:
        engine.resync_catalog()

    outputs = {
        name: app.topic(name, schema=raw) for name in (topics.content_requests, topics.dead_letter)
    }

    async def send_all(records: list[Produce]) -> None:
        for rec in records:
            await outputs[rec.topic].send(key=rec.key, value=rec.value, headers=list(rec.headers))

    async def on_products(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            await send_all(engine.on_product(envelope_of(event.message)))

    async def on_behavior(stream: faust.StreamT[Any]) -> None:
        # take_events is on faust.Stream, not on the StreamT protocol agents are typed with.
        batches = cast(faust.Stream[Any], stream).take_events(
            cfg.batch_max, within=cfg.batch_within_s
        )
        async for events in batches:
            now = now_ms()
            for part in by_partition(events):
                set_current_event(part[-1])  # the changelog partition of the writes below
                envelopes = [envelope_of(event.message) for event in part]
                await send_all(engine.on_behavior_batch(envelopes, now))

    async def flush() -> None:
        await send_all(engine.flush(now_ms()))

    async def stats() -> None:
        log.info("profiles_stats", pending=len(engine.debouncer), **engine.metrics.as_dict())

    app.agent(app.topic(topics.product_created, schema=raw), name="profiles-catalog")(on_products)
    app.agent(app.topic(topics.user_behavior, schema=raw), name="profiles-behavior")(on_behavior)
    views = [state.profiles, state.co, state.erased]
    if cfg.batch_edge and all(isinstance(v, TableView) and v.dict_backed for v in views):
        batches = BehaviorBatches(
            app, engine, cast(list[TableView], views), send_all, cfg.batch_max
        )
        app.batch_consume(topics.user_behavior, batches)
    app.timer(cfg.flush_interval_s, name="profiles-flush")(flush)
    app.timer(cfg.stats_log_interval_s, name="profiles-stats")(stats)
    return app, engine


@contextmanager
def young_gc_threshold(threshold: int) -> Iterator[None]:
    """The collector's youngest generation collected every ``threshold`` allocations (net
    of deallocations) instead of its default, the older generations' thresholds kept;
    all three restored on the way out (the worker may share its process)."""
    old = gc.get_threshold()
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _EmbeddedWorker(faust.Worker):
    """A faust worker that leaves signals to its host and says when it is ready."""

    def __init__(self, app: faust.App, on_ready: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._on_ready = on_ready
        self.spinner = None  # no terminal art in logs

    def install_signal_handlers(self) -> None:
        pass  # the CLI (or the test) owns signals and sets the stop event

    async def on_startup_finished(self) -> None:
        await super().on_startup_finished()
        self._on_ready()  # tables recovered, agents running


class ProfilesWorker:
    """Runs the faust app on its own event loop in the calling thread until ``stop`` is set."""

    def __init__(
        self, settings: Settings, cfg: ProfilesConfig, partitions: int | None = None
    ) -> None:
        self.settings = settings
        self.cfg = cfg
        self.partitions = partitions or cfg.partitions
        self.ready = threading.Event()
        self.engine: ProfileEngine | None = None
        self.batches: BehaviorBatches | None = None  # the batch edge, when it is on
        self.datadir: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, stop: threading.Event) -> Metrics:
        """Start, recover state from the changelogs, process until ``stop``; return metrics."""
        behavior_topic = self.settings.topics.user_behavior
        partitions = self.partitions or partition_count(self.settings, behavior_topic)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        # State is in memory (recovered from the changelogs), so faust's data directory
        # holds nothing worth keeping: a temporary one, removed on the way out.
        owned = self.cfg.data_dir is None
        datadir = self.cfg.data_dir or tempfile.mkdtemp(prefix=f"{self.cfg.app_id}-")
        self.datadir = datadir
        try:
            with young_gc_threshold(self.cfg.gc_young_threshold):
                return self._run(loop, stop, partitions, datadir)
        finally:
            if owned:
                shutil.rmtree(datadir, ignore_errors=True)

    def _run(
        self, loop: asyncio.AbstractEventLoop, stop: threading.Event, partitions: int, datadir: str
    ) -> Metrics:
        app, engine = build_app(self.settings, self.cfg, partitions, datadir)
        self.engine = engine
        route = getattr(app, "batch_route", None)
        self.batches = route[1] if route and isinstance(route[1], BehaviorBatches) else None
        worker = _EmbeddedWorker(
            app,
            on_ready=self._on_ready,
            loop=loop,
            loglevel=self.cfg.faust_loglevel,
            quiet=True,
            redirect_stdouts=False,
            daemon=False,
        )
        log.info(
            "profiles_worker_starting",
            app_id=self.cfg.app_id,
            partitions=partitions,
            engine=engine.implementation,  # the compiled hot path, or the Python code
        )
        try:
            loop.run_until_complete(worker.start())
            loop.run_until_complete(self._wait(stop, worker))
        finally:
            loop.run_until_complete(worker.stop())
            self._drain(loop)
            self._loop = None
            log.info("profiles_worker_stopped", **engine.metrics.as_dict())
        return engine.metrics

    def call(self, fn: Callable[[ProfileEngine], T], timeout_s: float = 10.0) -> T:
        """Run ``fn(engine)`` on the worker's loop (from another thread), e.g. to read a profile."""
        loop, engine = self._loop, self.engine
        if loop is None or engine is None:
            raise RuntimeError("worker is not running")

        async def _call() -> T:
            return fn(engine)

        future: Future[T] = asyncio.run_coroutine_threadsafe(_call(), loop)
        return future.result(timeout_s)

    def _on_ready(self) -> None:
        # The recovered tables are long-lived: moving them out of the collector's generations
        # keeps full collections from rescanning millions of profile dicts as events arrive.
        gc.freeze()
        log.info("profiles_worker_ready", app_id=self.cfg.app_id)
        self.ready.set()

    async def _wait(self, stop: threading.Event, worker: _EmbeddedWorker) -> None:
        while not stop.is_set():
            if worker.crash_reason is not None or worker.app.crash_reason is not None:
                reason = worker.crash_reason or worker.app.crash_reason
                raise Fatal(f"faust worker crashed: {reason!r}")
            await asyncio.sleep(0.1)

    @staticmethod
    def _drain(loop: asyncio.AbstractEventLoop) -> None:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
