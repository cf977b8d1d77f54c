"""Dynamic micro-batching, independent of Kafka.

``MicroBatcher`` is driven from the consumer's poll loop, which is single-threaded, so it
has no threads or locks of its own::

    while running:
        message = consumer.poll(batcher.poll_timeout(default=1.0))
        if message is not None:
            batch = batcher.add(message)      # full -> returned at once
        else:
            batch = None
        batch = batch or batcher.take_due()   # waited long enough -> returned
        if batch:
            handle(batch)

A batch closes when it holds ``max_batch_size`` items or ``max_wait_ms`` after its FIRST
item arrived, so a lone request waits at most ``max_wait_ms`` and a burst fills batches
without waiting at all.

``group_by_length`` optionally splits a batch into sub-batches of similar prompt length:
left padding makes every row pay for the longest prompt in its batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class MicroBatcher(Generic[T]):
    """Accumulates items into batches bounded by size and by the age of the oldest item."""

    def __init__(
        self,
        max_batch_size: int,
        max_wait_ms: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        if max_wait_ms < 0:
            raise ValueError(f"max_wait_ms must be >= 0, got {max_wait_ms}")
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self._clock = clock
        self._items: list[T] = []
        # One stored deadline, so due() and poll_timeout() can never disagree by rounding.
        self._deadline: float | None = None

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: T) -> list[T] | None:
        """Queue one item; return the batch if this item filled it."""
        if not self._items:
            self._deadline = self._clock() + self.max_wait_s
        self._items.append(item)
        if len(self._items) >= self.max_batch_size:
            return self.flush()
        return None

    def due(self) -> bool:
        """Whether the pending batch has waited ``max_wait_ms`` since its first item."""
        return self._deadline is not None and self._clock() >= self._deadline

    def take_due(self) -> list[T] | None:
        """The pending batch if it is due, else None."""
        return self.flush() if self.due() else None

    def poll_timeout(self, default: float) -> float:
        """Seconds the caller may block waiting for input before a batch falls due."""
        if self._deadline is None:
            return default
        remaining = self._deadline - self._clock()
        return max(0.0, min(default, remaining))

    def flush(self) -> list[T]:
        """Everything pending, now (also on shutdown or partition revocation)."""
        items, self._items, self._deadline = self._items, [], None
        return items


def group_by_length(
    items: Sequence[T],
    length: Callable[[T], int],
    max_pad_ratio: float = 1.5,
) -> list[list[T]]:
    """Split items into groups whose longest prompt is at most ``max_pad_ratio`` x shortest.

    Groups come out shortest first; inside a group items keep their input order, so a caller
    can match results back by position within the group.
    """
    if max_pad_ratio < 1.0:
        raise ValueError(f"max_pad_ratio must be >= 1, got {max_pad_ratio}")
    order = sorted(range(len(items)), key=lambda i: length(items[i]))
    groups: list[list[int]] = []
    shortest = 0
    for index in order:
        size = max(1, length(items[index]))
        if groups and size <= shortest * max_pad_ratio:
            groups[-1].append(index)
        else:
            groups.append([index])
            shortest = size
    return [[items[i] for i in sorted(group)] for group in groups]
