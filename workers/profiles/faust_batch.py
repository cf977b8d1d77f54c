"""A batch edge for one topic inside a faust app: what app.py needs from faust's internals.

Why: faust delivers every message through its per-message path (the consumer's drain loop
waits on four futures per message, the conductor builds an ``Event`` and queues it, the
stream acks it), which costs more than our whole profile update; a no-op agent managed
2.4k-2.7k events/s here. This module takes one topic's fetched records out of faust's
consumer as they arrive, per partition, hands them to one handler as a batch, and keeps
faust's own offset bookkeeping: the read offset, gaps, and acks, so faust's commit timer,
rebalances and shutdown commit exactly the offsets of batches whose handler returned.

Everything else stays faust's: the consumer group and its assignment (the topic is still
subscribed through an agent, so tables stay co-partitioned with it), the tables, their
stores, changelog topics and recovery, the producer, and the commit (which flushes the
producer before it commits, so a batch's changelog records are delivered before its
offsets are committed).

Written against faust-streaming 0.15.3 (``FAUST_VERSION``); it touches the consumer's
``_wait_next_records``, ``_read_offset``, ``_acked``/``_acked_index``/``_committed_offset``,
``_unacked_messages``, ``_add_gap`` and ``_buffered_partitions``. ``supported()`` says
whether the running faust is that version; app.py falls back to the plain agent otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, ClassVar

import faust
from faust.serializers import codecs
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.types.tuples import ack_lock
from faust.utils import json as faust_json
from mode.utils.futures import notify

from workers.profiles import hot

if TYPE_CHECKING:
    from workers.profiles._hot import FaustJson

FAUST_VERSION = "0.15.3"

# A handler gets one partition's new records (aiokafka ConsumerRecords, offset order).
RecordsHandler = Callable[[TP, Sequence[Any]], Awaitable[None]]


def supported() -> bool:
    """Is the installed faust the version whose internals this module was written for?"""
    return faust.__version__ == FAUST_VERSION


class _InFlight:
    """Stands for a batch being handled in the consumer's set of unacked messages, so that
    faust's ``wait_empty`` (before a rebalance's commit, and at shutdown) waits for it."""

    __slots__ = ("__weakref__", "acked", "refcount")

    def __init__(self, count: int) -> None:
        self.acked = False
        self.refcount = count  # faust's wait_empty logs it


class BatchingConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer, with one topic's records handed over in batches."""

    async def _wait_next_records(
        self, timeout: float
    ) -> tuple[Mapping[TP, list[Any]] | None, set[TP] | None]:
        records, active = await super()._wait_next_records(timeout)
        if records:
            records = self._skip_recovered(records, active)
        route: tuple[str, RecordsHandler] | None = getattr(self.app, "batch_route", None)
        if not records or route is None:
            return records, active
        topic, handler = route
        if not any(tp.topic == topic for tp in records):
            return records, active
        rest = {tp: recs for tp, recs in records.items() if tp.topic != topic}
        generation = self.app.consumer_generation_id
        dropped: dict[TP, int] = {}
        for tp, recs in records.items():
            if tp.topic != topic or not recs:
                continue
            # The same checks faust's getmany makes per message; what fails them is not
            # handed over, and is fetched again (``_rewind``).
            if (
                not self.flow_active
                or self.should_stop
                or self.app.consumer_generation_id != generation
                or (active is not None and tp not in active and tp not in self._buffered_partitions)
            ):
                read = self._read_offset[tp]  # never back past what was handed over
                dropped[tp] = recs[0].offset if read is None else max(recs[0].offset, read)
                continue
            await self._deliver(tp, recs, handler, generation)
        for tp, offset in dropped.items():
            await self._rewind(tp, offset)
        return rest, active

    def _skip_recovered(
        self, records: Mapping[TP, list[Any]], active: set[TP] | None
    ) -> Mapping[TP, list[Any]]:
        """``records`` less the changelog records that table recovery has applied already.

        Once recovery is done faust seeks every assigned partition to its committed
        offset. A changelog partition has none (faust never commits them), so one that
        stays assigned, a GlobalTable's, is read again from its start, and each record
        goes through faust's per-message path (about 0.35 ms here: two futures, a task,
        the conductor's decode) only for recovery's changelog reader to drop it: it skips
        a record at or below the last offset it applied (``Recovery._slurp_changelogs``,
        ``offset > seen_offset``). That same check is made here, per partition, before
        that path; what it passes goes on as before. The 1,200-product catalog of the
        benchmark took 0.42 s of stalled behavior processing after each start.

        The read offset moves past what is left out, as faust's loop would have moved it.
        While recovery runs nothing is left out (its reader also watches for its end), nor
        where faust's getmany would not pass a record on (flow stopped, not active)."""
        recovery: Any = getattr(self.app.tables, "_recovery", None)
        if recovery is None or recovery.in_recovery or not self.flow_active or self.should_stop:
            return records
        changelogs = self.app.tables.changelog_topics
        kept: dict[TP, list[Any]] | None = None
        for tp, recs in records.items():
            if not recs or tp.topic not in changelogs:
                continue
            if active is not None and tp not in active and tp not in self._buffered_partitions:
                continue
            if tp in recovery.active_tps:
                seen = recovery.active_offsets.get(tp)
            elif tp in recovery.standby_tps:
                seen = recovery.standby_offsets.get(tp)
            else:
                continue
            if seen is None or recs[0].offset > seen:
                continue
            if kept is None:
                kept = dict(records)
            rest = [rec for rec in recs if rec.offset > seen]
            if rest:
                kept[tp] = rest
            else:
                del kept[tp]
            last = max(rec.offset for rec in recs if rec.offset <= seen)
            read = self._read_offset[tp]
            if read is None or last >= read:
                self._read_offset[tp] = last
        return records if kept is None else kept

    async def _rewind(self, tp: TP, offset: int) -> None:
        """Fetch ``tp`` again from ``offset``: its records from there on were fetched but
        not handed over (the partition was paused, or flow stopped, while the fetch was out:
        faust changes the set of active partitions in place). faust's getmany drops such
        records and counts on its seek to the committed offsets after a rebalance, which
        does nothing for a partition without a committed offset (a new group, as a worker
        starts): its consumer position stays past them and they were never processed.
        A partition no longer assigned is left to its next owner; on the way out, to the
        committed offsets."""
        if self.should_stop or tp not in self.assignment():
            return
        try:
            await self.seek(tp, offset)
        except Exception as exc:  # noqa: BLE001 - e.g. revoked meanwhile; the owner reads it
            self.log.warning("Could not rewind %r to %r: %r", tp, offset, exc)

    async def _deliver(
        self, tp: TP, records: Sequence[Any], handler: RecordsHandler, generation: int
    ) -> None:
        read = self._read_offset[tp]
        if read is not None:
            # faust's rule: a record at or after the last read offset (a seek sets it to
            # the next offset to read) is processed; older ones are dropped.
            records = [rec for rec in records if rec.offset >= read]
        if not records:
            return
        if self.app.topics.acks_enabled_for(tp.topic):
            previous = read
            for rec in records:  # offsets missing in between (compaction, markers)
                if previous and rec.offset - previous > 1:
                    await self._add_gap(tp, previous + 1, rec.offset)
                previous = rec.offset
        flight = _InFlight(len(records))
        self._unacked_messages.add(flight)  # type: ignore[arg-type]
        try:
            await handler(tp, records)
            self._read_offset[tp] = records[-1].offset
            if self.app.consumer_generation_id == generation:
                # Acked only once the handler is done: the commit that follows can
                # include these offsets. After a rebalance they are left unacked, and the
                # partition's next owner reads them again (at least once).
                self._ack_offsets(tp, [rec.offset for rec in records])
        finally:
            flight.acked = True
            self._unacked_messages.discard(flight)  # type: ignore[arg-type]
            notify(self._waiting_for_ack)

    def _ack_offsets(self, tp: TP, offsets: Sequence[int]) -> None:
        """``Consumer.ack`` for many offsets of one partition at once."""
        if not self.app.topics.acks_enabled_for(tp.topic):
            return
        with ack_lock:
            committed = self._committed_offset[tp]
            index, acked = self._acked_index[tp], self._acked[tp]
            added = 0
            for offset in offsets:
                if (committed is None or offset >= committed) and offset not in index:
                    index.add(offset)
                    acked.append(offset)
                    added += 1
            self._n_acked += added


class BatchingTransport(faust_aiokafka.Transport):
    """The aiokafka transport whose consumer is a ``BatchingConsumer``."""

    Consumer: ClassVar[type[BatchingConsumer]] = BatchingConsumer


class BatchingApp(faust.App):
    """A faust app whose consumer can hand one topic over in batches (``batch_consume``)."""

    batch_route: tuple[str, RecordsHandler] | None = None

    def _new_transport(self) -> Any:
        if not supported() or self.conf.broker_consumer[0].scheme not in ("kafka", "aiokafka"):
            return super()._new_transport()
        return BatchingTransport(self.conf.broker_consumer, self)

    def batch_consume(self, topic: str, handler: RecordsHandler) -> bool:
        """Hand ``topic``'s records to ``handler`` instead of its agent, from the first
        fetch on (call it before the app starts). False when the installed faust is not
        the version this module knows: the topic's agent then gets them as before."""
        if not supported():
            return False
        self.batch_route = (topic, handler)
        return True


def _faust_json_dumps() -> Callable[[Any], bytes] | None:
    """faust's "json" codec (``codecs.dumps("json", obj)``) without its per-call set-up.

    That codec is ``json.dumps(obj, cls=faust's JSONEncoder, separators=(",", ":"))``
    encoded to bytes: a new encoder object per value, then the standard library's C
    encoder. Here the C encoder is made once with the same settings (ASCII escapes,
    faust's ``default`` for other types, NaN allowed, keys unsorted), so the bytes are the
    same; only the circular-reference check is left out (table values are trees). None
    when faust's JSON is not the standard library's (orjson or simplejson installed): then
    faust's own codec is called."""
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    stdlib = (
        getattr(faust_json, "orjson", None) is None and getattr(faust_json, "json", None) is json
    )
    if make is None or not stdlib:
        return None
    default = faust_json.JSONEncoder().default
    encoder = make(None, default, encode_basestring_ascii, None, ":", ",", False, False, True)
    return lambda obj: "".join(encoder(obj, 0)).encode()


def _compiled_writer(fallback: Callable[[Any], bytes] | None) -> FaustJson | None:
    """The compiled writer (hot.py) of ``fallback``'s bytes: it writes a plain JSON tree
    (the profile and co-occurrence values) straight into one buffer, several times faster
    than the json module's chunks, and leaves anything else to ``fallback``."""
    if fallback is None or hot.module is None or not hot.enabled():
        return None
    writer: FaustJson = hot.module.FaustJson(fallback)
    return writer


_reference_dumps = _faust_json_dumps()
_writer = _compiled_writer(_reference_dumps)
faust_json_dumps: Callable[[Any], bytes] | None = (
    _writer if _writer is not None else _reference_dumps
)


def changelog_record(table: Any, key: Any, value: Any) -> tuple[bytes, bytes | None]:
    """Key and value of a changelog record, serialized as the table's own writes are
    (a deleted key is a tombstone: no value). A str key under faust's "json" codec is
    ``json.dumps(key)`` with ASCII escapes; that is done by the C escaper directly, and a
    value under that codec by one C encoder made once (``_faust_json_dumps``), since
    faust's generic path costs several Python calls and an encoder per record."""
    kser = table.key_serializer
    if kser == "json" and type(key) is str:
        key_bytes = encode_basestring_ascii(key).encode()
    else:
        key_bytes = codecs.dumps(kser, key)
    if value is None:
        return key_bytes, None
    vser = table.value_serializer
    # faust's "json", or a codec that writes exactly its bytes (app.InterningJson).
    if (vser == "json" or getattr(vser, "writes_faust_json", False)) and faust_json_dumps:
        return key_bytes, faust_json_dumps(value)
    if isinstance(vser, codecs.Codec):
        return key_bytes, vser.dumps(value)
    return key_bytes, codecs.dumps(vser, value)


def changelog_records(
    table: Any, writes: Mapping[Any, Any]
) -> list[tuple[str, bytes, bytes | None]]:
    """``(topic, key, value)`` changelog records of ``writes`` (key → its last value, None:
    deleted) to ``table``, in the mapping's order: ``changelog_record`` of each, on the
    table's changelog topic. A table whose keys and values are faust's json has them
    written by the compiled writer in one call (hot.py), the same bytes."""
    topic: str = table.changelog_topic.get_topic_name()
    vser = table.value_serializer
    if (
        _writer is not None
        and table.key_serializer == "json"
        and (vser == "json" or getattr(vser, "writes_faust_json", False))
        and type(writes) is dict
    ):
        return _writer.records(topic, writes)
    return [(topic, *changelog_record(table, key, value)) for key, value in writes.items()]


async def send_changelog(
    producer: Any, partition: int, records: Sequence[tuple[str, bytes, bytes | None]]
) -> None:
    """Hand ``(topic, key, value)`` changelog records, all for ``partition``, to faust's
    producer: per topic in record batches built here (``create_batch``/``send_batch`` of
    the aiokafka producer faust runs), which costs a fraction of a ``send`` per record
    (faust's wrapper, its sensors, aiokafka's partitioner and accumulator per call). The
    batches join the producer's queue like any send, so faust's commit, which flushes the
    producer first, waits for their delivery. A producer that is not aiokafka's, or a
    record too large for a batch of its own, goes through ``producer.send``."""
    raw = getattr(producer, "_producer", None)
    if raw is None or not hasattr(raw, "send_batch") or not hasattr(raw, "create_batch"):
        for topic, key, value in records:
            await producer.send(topic, key, value, partition, None, None)
        return
    builders: dict[str, Any] = {}
    for topic, key, value in records:
        builder = builders.get(topic)
        if builder is None:
            builder = builders[topic] = raw.create_batch()
        if builder.append(key=key, value=value, timestamp=None) is not None:
            continue
        if builder.record_count():  # full: send it, and start the next with this record
            await raw.send_batch(builder, topic, partition=partition)
            builder = builders[topic] = raw.create_batch()
            if builder.append(key=key, value=value, timestamp=None) is not None:
                continue
        await producer.send(topic, key, value, partition, None, None)  # alone too large
    for topic, builder in builders.items():
        if builder.record_count():
            await raw.send_batch(builder, topic, partition=partition)
