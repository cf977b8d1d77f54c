"""Triggers per event type and per-user coalescing with a window and a minimum interval."""

from __future__ import annotations

from tests.unit.profiles.conftest import behavior
from workers.domain import Provenance
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import Outcome
from workers.profiles.triggers import Debouncer, Trigger, trigger_for

SRC = Provenance("user-behavior", 0, 7, "e1")


def _trigger(kind: str = "view_burst", strength: int = 1, reason: str = "viewed:P1") -> Trigger:
    return Trigger(kind, strength, reason, "feed_card", "P1", SRC)


def test_strong_events_trigger_with_channels(cfg: ProfilesConfig) -> None:
    """Cart → push; purchase and search → feed card; the search text stays out of the reason."""
    applied = Outcome("applied")
    cart = trigger_for(behavior("add_to_cart", "P1"), applied, cfg, SRC)
    assert cart is not None and (cart.channel, cart.reason) == ("push", "carted:P1")
    buy = trigger_for(behavior("purchase", "P2"), applied, cfg, SRC)
    assert buy is not None and (buy.channel, buy.reason, buy.strength) == (
        "feed_card",
        "bought:P2",
        4,
    )
    search = trigger_for(behavior("search", None, query="my secret"), applied, cfg, SRC)
    assert search is not None and search.reason == "searched"


def test_views_trigger_only_in_bursts(cfg: ProfilesConfig) -> None:
    """A lone view does nothing; the burst-th view within the window triggers."""
    view = behavior("view", "P9")
    assert trigger_for(view, Outcome("applied", views_in_window=1), cfg, SRC) is None
    burst = trigger_for(view, Outcome("applied", views_in_window=cfg.burst_views), cfg, SRC)
    assert burst is not None and burst.reason == "viewed:P9" and burst.source == SRC


def test_duplicates_and_ignored_events_never_trigger(cfg: ProfilesConfig) -> None:
    """Only applied events trigger."""
    for status in ("duplicate", "ignored"):
        assert trigger_for(behavior("purchase"), Outcome(status), cfg, SRC) is None


def test_burst_of_forty_becomes_one() -> None:
    """Forty triggers inside one window come out as one, after the window closes."""
    d = Debouncer(window_s=5, min_interval_s=0)
    opened = [d.offer("u1", _trigger(reason=f"viewed:P{i}"), 1000 + i) for i in range(40)]
    assert opened.count(True) == 1
    assert d.due(1000 + 4999) == []
    out = d.due(6000)
    assert len(out) == 1
    user, pending = out[0]
    assert user == "u1" and pending.coalesced == 39 and pending.trigger.reason == "viewed:P39"
    assert d.due(10**9) == [] and len(d) == 0


def test_strongest_trigger_wins() -> None:
    """A cart inside a view window replaces it; a later view does not demote it."""
    d = Debouncer(window_s=5, min_interval_s=0)
    d.offer("u1", _trigger(), 0)
    d.offer("u1", _trigger("add_to_cart", 3, "carted:P2"), 1)
    d.offer("u1", _trigger(reason="viewed:P3"), 2)
    [(_, pending)] = d.due(5000)
    assert pending.trigger.reason == "carted:P2"


def test_users_are_independent() -> None:
    """Each user has a window of their own."""
    d = Debouncer(window_s=1, min_interval_s=0)
    d.offer("a", _trigger(), 0)
    d.offer("b", _trigger(), 500)
    assert [u for u, _ in d.due(1000)] == ["a"]
    assert [u for u, _ in d.due(1500)] == ["b"]


def test_min_interval_delays_the_next_window() -> None:
    """After an emit, the next window cannot close before the minimum interval."""
    d = Debouncer(window_s=1, min_interval_s=60)
    d.offer("u1", _trigger(), 0)
    assert len(d.due(1000)) == 1
    d.offer("u1", _trigger(), 2000)
    assert d.due(3000) == []
    assert len(d.due(61_000)) == 1


def test_cancel_drops_the_pending_trigger() -> None:
    """An erased user's pending trigger never comes out."""
    d = Debouncer(window_s=1, min_interval_s=0)
    d.offer("u1", _trigger(), 0)
    assert d.cancel("u1") and not d.cancel("u1")
    assert d.due(10_000) == [] and d.pending("u1") is None


def test_old_emits_are_forgotten() -> None:
    """Memory stays bounded: emit times older than the interval are dropped."""
    d = Debouncer(window_s=0, min_interval_s=10)
    for i in range(100):
        d.offer(f"u{i}", _trigger(), 0)
    d.due(0)
    assert len(d._last_emit) == 100  # the bound is the point of the test
    d.due(20_000)
    assert len(d._last_emit) == 0
