"""MicroBatcher and length grouping, driven by a fake clock."""

from __future__ import annotations

import pytest

from workers.engine import MicroBatcher, group_by_length


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_full_batch_returned_at_once() -> None:
    """The item that fills the batch gets it back immediately."""
    batcher: MicroBatcher[int] = MicroBatcher(3, max_wait_ms=1000, clock=FakeClock())
    assert batcher.add(1) is None and batcher.add(2) is None
    assert batcher.add(3) == [1, 2, 3]
    assert len(batcher) == 0


def test_wait_counts_from_first_item() -> None:
    """A partial batch falls due max_wait_ms after its first item, not its last."""
    clock = FakeClock()
    batcher: MicroBatcher[str] = MicroBatcher(10, max_wait_ms=50, clock=clock)
    assert batcher.take_due() is None and batcher.poll_timeout(1.0) == 1.0
    batcher.add("a")
    clock.now += 0.030
    batcher.add("b")
    assert batcher.take_due() is None
    assert batcher.poll_timeout(1.0) == pytest.approx(0.020)
    clock.now += 0.020
    assert batcher.poll_timeout(1.0) == 0.0
    assert batcher.take_due() == ["a", "b"]
    assert batcher.take_due() is None


def test_flush_and_validation() -> None:
    """flush empties whatever is pending; nonsense limits are refused."""
    batcher: MicroBatcher[int] = MicroBatcher(4, max_wait_ms=0, clock=FakeClock())
    batcher.add(7)
    assert batcher.take_due() == [7]  # zero wait: due at once
    assert batcher.flush() == []
    with pytest.raises(ValueError):
        MicroBatcher(0, 10)
    with pytest.raises(ValueError):
        MicroBatcher(1, -1)


def test_group_by_length_bounds_padding() -> None:
    """Groups keep longest <= ratio x shortest, cover all items once, keep input order."""
    items = ["a" * n for n in (100, 10, 12, 180, 95, 11, 300)]
    groups = group_by_length(items, len, max_pad_ratio=1.5)
    assert sorted(x for g in groups for x in g) == sorted(items)
    for group in groups:
        lengths = [len(x) for x in group]
        assert max(lengths) <= 1.5 * min(lengths)
        assert group == [x for x in items if x in group]
    assert [len(g) for g in groups] == [3, 2, 1, 1]
