"""Offsets to commit and to rewind to are computed per partition."""

from __future__ import annotations

from workers.envelope import Envelope
from workers.generator.loop import first_offsets, next_offsets


def _env(partition: int, offset: int, topic: str = "t") -> Envelope:
    return Envelope(topic, partition, offset, None, b"", (), 0)


def test_next_offsets_is_last_plus_one_per_partition() -> None:
    """The committed offset is the next record to read, per topic-partition."""
    batch = [_env(0, 5), _env(1, 2), _env(0, 7), _env(0, 6), _env(1, 3, "u")]
    got = {(tp.topic, tp.partition): tp.offset for tp in next_offsets(batch)}
    assert got == {("t", 0): 8, ("t", 1): 3, ("u", 1): 4}


def test_first_offsets_rewinds_to_batch_start() -> None:
    """A failed batch is re-read from its first offset in each partition."""
    batch = [_env(0, 5), _env(0, 4), _env(1, 9)]
    got = {(tp.topic, tp.partition): tp.offset for tp in first_offsets(batch)}
    assert got == {("t", 0): 4, ("t", 1): 9}
