"""The bounded reader stops at the end of each partition's range, markers and EOF included."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from tests.unit.ops.fakes import FakeConsumer, FakeMessage, eof
from workers.errors import Fatal, Transient
from workers.ops.bounds import PartitionRange
from workers.ops.reading import BoundedReader


def _reader(consumer: FakeConsumer, *ranges: PartitionRange, stuck: float = 60.0) -> BoundedReader:
    return BoundedReader({}, "t", list(ranges), consumer=consumer, stuck_timeout_s=stuck)


def test_reads_exactly_the_range_and_assigns_its_start() -> None:
    """Records before the end are returned; one at the end finishes the partition."""
    consumer = FakeConsumer(
        batches=[[FakeMessage("t", 0, 5), FakeMessage("t", 0, 6), FakeMessage("t", 0, 7)]]
    )
    r = _reader(consumer, PartitionRange(0, 5, 7))
    assert [(tp.partition, tp.offset) for tp in consumer.assigned] == [(0, 5)]
    items = r.next_batch(10)
    assert [i.envelope.offset for i in items] == [5, 6]
    assert r.done and r.positions == {0: 7}


def test_trailing_transaction_marker_ends_on_eof() -> None:
    """When the last offsets are markers, reaching the end of the log finishes the partition."""
    consumer = FakeConsumer(batches=[[FakeMessage("t", 0, 0)], [eof("t", 0, 2)]])
    r = _reader(consumer, PartitionRange(0, 0, 2))
    assert len(r.next_batch(10)) == 1 and not r.done
    assert r.next_batch(10) == [] and r.done


def test_empty_ranges_are_done_at_once() -> None:
    """A range with nothing in it needs no read at all."""
    consumer = FakeConsumer()
    r = _reader(consumer, PartitionRange(0, 4, 4))
    assert r.done and consumer.assigned == [] and r.next_batch(10) == []


def test_tombstones_are_flagged() -> None:
    """A null value is returned as a tombstone so callers can skip it."""
    consumer = FakeConsumer(batches=[[FakeMessage("t", 1, 0, _value=None)]])
    [item] = _reader(consumer, PartitionRange(1, 0, 5)).next_batch(10)
    assert item.tombstone


def test_vanished_start_offset_is_fatal() -> None:
    """auto.offset.reset=error: a start offset deleted since the plan stops the read loudly."""
    bad = FakeMessage("t", 0, 0, _error=KafkaError(KafkaError._AUTO_OFFSET_RESET))
    with pytest.raises(Fatal, match="retention"):
        _reader(FakeConsumer(batches=[[bad]]), PartitionRange(0, 0, 5)).next_batch(10)


def test_stuck_reader_raises_transient() -> None:
    """No record for stuck_timeout_s before the end (an open transaction) is reported."""
    r = _reader(FakeConsumer(), PartitionRange(0, 0, 5), stuck=0.0)
    with pytest.raises(Transient, match="open transaction"):
        r.next_batch(10, timeout_s=0)
