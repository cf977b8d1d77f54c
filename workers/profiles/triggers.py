"""Which events ask for content, and per-user coalescing of those asks.

Strong signals (purchase, add to cart), searches and bursts of views trigger a request.
Triggers are debounced per user: the first opens a window, later ones inside it are folded
into the pending one (the strongest, then the latest, wins), and when the window closes one
request goes out. A user also gets at most one request per ``min_interval``.

Pending triggers are soft state, in memory: a restart drops at most one window of them,
which we prefer over re-sending pushes a user already got.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, replace

from workers.domain import Channel, Provenance
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import Outcome
from workers.profiles.records import Behavior


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why a user should get content now, and the event that caused it."""

    kind: str
    strength: int
    reason: str
    channel: Channel
    product_id: str | None
    source: Provenance
    locale: str | None = None


@dataclass(slots=True)
class Pending:
    trigger: Trigger
    due_ms: int
    opened_ms: int
    coalesced: int = 0


# The strength of the trigger each behavior type raises (views and clicks only in a burst).
STRENGTHS: dict[str, int] = {"purchase": 4, "add_to_cart": 3, "search": 2, "view": 1, "click": 1}


def trigger_strength(event: Behavior, outcome: Outcome, cfg: ProfilesConfig) -> int:
    """The strength of the trigger ``trigger_for`` would return; 0 when it returns None.
    Cheap (no Trigger built): the engine asks this first, since most triggers only
    coalesce into a stronger pending one (see ``Debouncer.absorbs``)."""
    if outcome.status != "applied":
        return 0
    strength = STRENGTHS.get(event.type, 0)
    if strength == 1 and outcome.views_in_window < cfg.burst_views:
        return 0
    return strength


def trigger_for(
    event: Behavior, outcome: Outcome, cfg: ProfilesConfig, source: Provenance
) -> Trigger | None:
    """The trigger an applied event raises, if any (duplicates never reach here)."""
    if outcome.status != "applied":
        return None
    pid = event.product_id
    if event.type == "purchase":
        # Right after a purchase the feed is the place for complements; a push would nag.
        return Trigger("purchase", 4, f"bought:{pid}", "feed_card", pid, source, event.locale)
    if event.type == "add_to_cart":
        return Trigger("add_to_cart", 3, f"carted:{pid}", "push", pid, source, event.locale)
    if event.type == "search":
        # The query itself stays out: it is free text a user typed, possibly personal.
        return Trigger("search", 2, "searched", "feed_card", None, source, event.locale)
    if event.type in ("view", "click") and outcome.views_in_window >= cfg.burst_views:
        return Trigger("view_burst", 1, f"viewed:{pid}", "feed_card", pid, source, event.locale)
    return None


class Debouncer:
    """Per-user trigger windows with a due-time heap; clock passed in, so tests need no sleep."""

    def __init__(self, window_s: float, min_interval_s: float) -> None:
        self._window_ms = int(window_s * 1000)
        self._min_interval_ms = int(min_interval_s * 1000)
        self._pending: dict[str, Pending] = {}
        self._heap: list[tuple[int, str]] = []
        self._last_emit: dict[str, int] = {}
        self._emits: deque[tuple[int, str]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def pending(self, user_id: str) -> Pending | None:
        return self._pending.get(user_id)

    def offer(self, user_id: str, trigger: Trigger, now_ms: int) -> bool:
        """Fold a trigger into the user's window; True when it opened a new window."""
        current = self._pending.get(user_id)
        if current is not None:
            current.coalesced += 1
            if trigger.strength >= current.trigger.strength:
                current.trigger = trigger
            return False
        due = now_ms + self._window_ms
        last = self._last_emit.get(user_id)
        if last is not None:
            due = max(due, last + self._min_interval_ms)
        self._pending[user_id] = Pending(trigger, due, now_ms)
        heapq.heappush(self._heap, (due, user_id))
        return True

    def absorbs(self, user_id: str, strength: int) -> bool:
        """``offer`` for a trigger that would not replace the pending one, without building
        it: True (counted as coalesced) when the user has a window open whose trigger is
        stronger than ``strength``; False, changing nothing, otherwise."""
        current = self._pending.get(user_id)
        if current is None or strength >= current.trigger.strength:
            return False
        current.coalesced += 1
        return True

    def cancel(self, user_id: str) -> bool:
        """Forget a user's pending trigger (erasure); the heap entry is skipped lazily."""
        self._last_emit.pop(user_id, None)
        return self._pending.pop(user_id, None) is not None

    def due(self, now_ms: int) -> list[tuple[str, Pending]]:
        """Pop every window that has closed by ``now_ms``, oldest first."""
        out: list[tuple[str, Pending]] = []
        heap = self._heap
        while heap and heap[0][0] <= now_ms:
            due, user_id = heapq.heappop(heap)
            pending = self._pending.get(user_id)
            if pending is None or pending.due_ms != due:
                continue  # cancelled, or a stale entry of an older window
            del self._pending[user_id]
            out.append((user_id, replace(pending)))
            self._last_emit[user_id] = now_ms
            self._emits.append((now_ms, user_id))
        self._forget_old_emits(now_ms)
        return out

    def _forget_old_emits(self, now_ms: int) -> None:
        # Bounded memory: a user's last emit matters only for min_interval.
        horizon = now_ms - self._min_interval_ms
        emits = self._emits
        while emits and emits[0][0] < horizon:
            when, user_id = emits.popleft()
            if self._last_emit.get(user_id) == when:
                del self._last_emit[user_id]
