"""The profile update function: affinities, decay, dedupe, ordering, bounds."""

from __future__ import annotations

import json

from tests.unit.profiles.conftest import DAY_MS, HOUR_MS, T0, behavior, view_of
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import (
    EID_CHARS,
    SearchMatch,
    apply_event,
    event_hash,
    mark_source,
    replayed,
    scores_at,
    seen_event,
    shares,
    top_keys,
)
from workers.profiles.records import new_profile


def test_view_builds_affinities_and_recent_items(cfg: ProfilesConfig) -> None:
    """A view adds category, brand and band affinity and lands in the viewed list."""
    p = new_profile(T0)
    out = apply_event(p, behavior("view", "P1"), view_of("P1"), T0, cfg)
    assert out.status == "applied"
    assert p["cat"] == {"Electronics/Headphones": 1.0}
    assert p["brand"] == {"Sonora": 1.0}
    assert p["band"] == {"mid": 1.0}
    assert p["viewed"] == ["P1"] and p["viewed_ts"] == [T0]
    assert p["n"] == 1 and p["loc"] == "en"


def test_redelivered_event_never_counts_twice(cfg: ProfilesConfig) -> None:
    """The same event id applied again is a duplicate and changes nothing."""
    p = new_profile(T0)
    event = behavior("purchase", "P1", event_id="same")
    apply_event(p, event, view_of(), T0, cfg)
    before = json.dumps(p, sort_keys=True)
    out = apply_event(p, event, view_of(), T0, cfg)
    assert out.status == "duplicate"
    assert json.dumps(p, sort_keys=True) == before


def test_impressions_are_ignored(cfg: ProfilesConfig) -> None:
    """An impression is not a choice: no affinity, no history, no dedupe slot."""
    p = new_profile(T0)
    out = apply_event(p, behavior("impression", "P1"), view_of(), T0, cfg)
    assert out.status == "ignored"
    assert p["n"] == 0 and p["eids"] == ""


def test_weight_halves_per_half_life(cfg: ProfilesConfig) -> None:
    """An event one half-life later weighs twice an earlier one of the same kind."""
    p = new_profile(T0)
    apply_event(p, behavior("view", "A"), view_of("A", "Home/Cups"), T0, cfg)
    later = T0 + int(cfg.half_life_ms)
    apply_event(p, behavior("view", "B", ts_ms=later), view_of("B", "Sports/Yoga"), later, cfg)
    s = shares(p["cat"])
    assert abs(s["Sports/Yoga"] - 2 / 3) < 1e-9
    now = scores_at(p["cat"], p["t0"], later, cfg.half_life_ms)
    assert abs(now["Sports/Yoga"] - 1.0) < 1e-9 and abs(now["Home/Cups"] - 0.5) < 1e-9


def test_anchor_moves_instead_of_overflowing() -> None:
    """Events many half-lives apart re-anchor the profile; scores stay finite and ordered."""
    cfg = ProfilesConfig(half_life_s=3600)
    p = new_profile(T0)
    apply_event(p, behavior("view", "A"), view_of("A", "Home/Cups"), T0, cfg)
    far = T0 + 200 * HOUR_MS  # 2**200 would overflow nothing, but loses all precision
    apply_event(p, behavior("view", "B", ts_ms=far), view_of("B", "Sports/Yoga"), far, cfg)
    assert p["t0"] == far
    assert p["cat"]["Sports/Yoga"] == 1.0
    assert p["cat"]["Home/Cups"] < 1e-50


def test_out_of_order_event_counts_its_decayed_weight(cfg: ProfilesConfig) -> None:
    """A late event is flagged, keeps the newest time, and sorts into the recent list."""
    p = new_profile(T0)
    apply_event(p, behavior("view", "A", ts_ms=T0 + DAY_MS), view_of("A"), T0 + DAY_MS, cfg)
    apply_event(p, behavior("view", "C", ts_ms=T0 + 3 * DAY_MS), view_of("C"), T0 + 3 * DAY_MS, cfg)
    out = apply_event(
        p, behavior("view", "B", ts_ms=T0 + 2 * DAY_MS), view_of("B"), T0 + 3 * DAY_MS, cfg
    )
    assert out.out_of_order
    assert p["ts"] == T0 + 3 * DAY_MS
    assert p["viewed"] == ["A", "B", "C"]
    assert p["viewed_ts"] == sorted(p["viewed_ts"])


def test_future_timestamps_are_clamped(cfg: ProfilesConfig) -> None:
    """A clock far in the future is clamped to now rather than outweighing everything."""
    p = new_profile(T0)
    out = apply_event(p, behavior("view", "A", ts_ms=T0 + 30 * DAY_MS), view_of("A"), T0, cfg)
    assert out.future_clamped
    assert p["ts"] == T0 and p["viewed_ts"] == [T0]


def test_unknown_product_keeps_history_but_no_affinity(cfg: ProfilesConfig) -> None:
    """Behavior for a product the catalog lacks is remembered, flagged, and adds no taste."""
    p = new_profile(T0)
    out = apply_event(p, behavior("view", "ghost"), None, T0, cfg)
    assert out.status == "applied" and out.unknown_product
    assert p["viewed"] == ["ghost"] and p["cat"] == {} and p["total"] == 0.0


def test_thousands_of_events_stay_bounded() -> None:
    """A very active user keeps bounded lists and maps, and is flagged past the threshold."""
    cfg = ProfilesConfig(heavy_user_events=1000)
    p = new_profile(T0)
    out = None
    for i in range(3000):
        ts = T0 + i * 1000
        kind = ("view", "add_to_cart", "purchase")[i % 3]
        view = view_of(f"P{i}", f"Root/C{i % 50}", f"B{i % 70}", "mid")
        out = apply_event(p, behavior(kind, f"P{i}", ts_ms=ts), view, ts, cfg)
    assert out is not None and out.heavy_user
    assert len(p["viewed"]) == cfg.recent_viewed == len(p["viewed_ts"])
    assert len(p["bought"]) == cfg.recent_bought
    assert len(p["carted"]) <= cfg.recent_carted
    assert len(p["eids"]) == cfg.recent_event_ids * EID_CHARS
    assert len(p["cat"]) <= cfg.max_affinities and len(p["brand"]) <= cfg.max_affinities
    assert len(json.dumps(p)) < 8000


def test_co_view_pairs_come_from_the_same_session(cfg: ProfilesConfig) -> None:
    """A view pairs with the previous distinct items in the session, not with older ones."""
    p = new_profile(T0)
    apply_event(p, behavior("view", "old"), view_of("old"), T0, cfg)
    later = T0 + DAY_MS
    for i, pid in enumerate(("A", "B", "C")):
        ts = later + i * 1000
        out = apply_event(p, behavior("view", pid, ts_ms=ts), view_of(pid), ts, cfg)
    assert out.co_view_with == ("B", "A")
    again = apply_event(
        p, behavior("view", "B", ts_ms=later + 9000, event_id="x"), view_of("B"), later, cfg
    )
    assert again.co_view_with == ()  # a re-view inside the window adds no new pair


def test_purchase_pairs_with_earlier_purchases_and_leaves_the_cart(cfg: ProfilesConfig) -> None:
    """A purchase yields co-purchase pairs and removes the product from the cart."""
    p = new_profile(T0)
    apply_event(p, behavior("purchase", "A"), view_of("A"), T0, cfg)
    apply_event(p, behavior("add_to_cart", "B", ts_ms=T0 + 1), view_of("B"), T0, cfg)
    out = apply_event(p, behavior("purchase", "B", ts_ms=T0 + 2), view_of("B"), T0, cfg)
    assert out.co_buy_with == ("A",)
    assert p["bought"] == ["A", "B"] and p["carted"] == [] and p["carted_ts"] == []


def test_views_in_window_counts_recent_distinct_views(cfg: ProfilesConfig) -> None:
    """The burst counter sees the distinct products viewed within the burst window."""
    p = new_profile(T0)
    out = None
    for i in range(5):
        out = apply_event(p, behavior("view", f"P{i}", ts_ms=T0 + i), view_of(f"P{i}"), T0, cfg)
    assert out is not None and out.views_in_window == 5
    late = T0 + int(cfg.burst_window_s * 1000) + 10
    out = apply_event(p, behavior("view", "Z", ts_ms=late), view_of("Z"), late, cfg)
    assert out.views_in_window == 1


def test_search_matches_add_taste(cfg: ProfilesConfig) -> None:
    """Categories and brands a search names gain a little affinity."""
    p = new_profile(T0)
    match = SearchMatch(("Electronics/Headphones",), ("Sonora",))
    out = apply_event(p, behavior("search", None, query="sonora headphones"), None, T0, cfg, match)
    assert out.status == "applied" and not out.unknown_product
    assert p["cat"] == {"Electronics/Headphones": 0.5} and p["brand"] == {"Sonora": 0.5}


def test_event_hash_is_stable_and_distinct() -> None:
    """Event ids hash the same in every process (no PYTHONHASHSEED), and differ per id."""
    assert event_hash("evt-1") == event_hash("evt-1")
    assert event_hash("evt-1") != event_hash("evt-2")
    assert event_hash("evt-1") == "3c09d2ba57f087"
    assert len(event_hash("x")) == EID_CHARS


def test_seen_event_only_matches_whole_digests() -> None:
    """A digest spanning the end of one and the start of the next never counts as seen."""
    a, b = "aaaaaaabbbbbbb", "cccccccddddddd"
    eids = a + b
    assert seen_event(eids, a) and seen_event(eids, b)
    assert not seen_event(eids, "bbbbbbbccccccc")  # found at offset 7: not aligned
    assert not seen_event("", a)


def test_profile_survives_a_json_round_trip(cfg: ProfilesConfig) -> None:
    """What the changelog carries decodes to an equal profile that keeps updating."""
    p = new_profile(T0)
    for i in range(10):
        apply_event(p, behavior("view", f"P{i}", ts_ms=T0 + i), view_of(f"P{i}"), T0, cfg)
    q = json.loads(json.dumps(p))
    assert q == p
    apply_event(q, behavior("view", "P3", ts_ms=T0 + 99, event_id="n"), view_of("P3"), T0, cfg)
    assert q["n"] == 11


def test_top_keys_breaks_ties_by_key() -> None:
    """Rankings are deterministic: equal scores order by key."""
    assert top_keys({"b": 1.0, "a": 1.0, "c": 2.0}, 2) == ["c", "a"]
    assert shares({}) == {}


def test_the_offset_watermark_marks_replays() -> None:
    """At or below the offset a profile holds, on its partition, a record is a replay;
    above it, or on another partition, or with no watermark yet, it is not."""
    p = new_profile(T0)
    assert not replayed(p, 0, 0)  # a new profile holds no record yet
    mark_source(p, 3, 120)
    assert replayed(p, 3, 120) and replayed(p, 3, 7)
    assert not replayed(p, 3, 121) and not replayed(p, 1, 5)
    odd = new_profile(T0)
    odd["off"] = "120"  # type: ignore[typeddict-item]  # odd recovered state skips nothing
    odd["part"] = 3
    assert not replayed(odd, 3, 5)
