"""Recommendations: co-occurrence, content, popularity fallback, exclusions, diversity."""

from __future__ import annotations

from tests.unit.profiles.conftest import T0, behavior, entry
from workers.profiles.catalog import CatalogIndex
from workers.profiles.config import ProfilesConfig
from workers.profiles.cooc import co_key
from workers.profiles.logic import apply_event
from workers.profiles.recommend import TableSignals, Weights, recommend, seeds
from workers.profiles.records import CatalogEntry, CoEntry, Profile, new_profile

CATS = (("Electronics", "Headphones"), ("Home", "Cups"), ("Sports", "Yoga"), ("Apparel", "Tees"))


def _world() -> tuple[dict[str, CatalogEntry], dict[str, CoEntry], CatalogIndex]:
    catalog = {}
    index = CatalogIndex()
    for c, cat in enumerate(CATS):
        for i in range(8):
            e = entry(f"{cat[1][0]}{i}", cat, brand=f"B{c}{i % 2}", price=f"{20 + 10 * i}.00")
            catalog[e["product_id"]] = e
            index.add(e)
    # Cups are the most popular products overall; within categories lower numbers lead.
    index.rank(
        {pid: (10.0 if pid.startswith("C") else 1.0) / (1 + int(pid[1:])) for pid in catalog}
    )
    return catalog, {}, index


def _signals(co: dict[str, CoEntry] | None = None) -> TableSignals:
    catalog, co0, index = _world()
    return TableSignals(catalog, co if co is not None else co0, index, partitions=1)


def _profile(signals: TableSignals, events: list[tuple[str, str]]) -> Profile:
    cfg = ProfilesConfig()
    p = new_profile(T0)
    index = signals._index  # the test builds product views the way the engine does
    for n, (kind, pid) in enumerate(events):
        e = signals.entry(pid)
        assert e is not None
        apply_event(p, behavior(kind, pid, ts_ms=T0 + n), index.view_of(e), T0, cfg)
    return p


def test_cold_start_is_popular_and_diverse() -> None:
    """Without a profile the list is the popular items, spread over categories."""
    recs = recommend(None, _signals(), k=8)
    assert recs[0].product_id == "C0" and recs[0].source == "popular"
    assert len({r.product_id[0] for r in recs}) >= 3


def test_bought_items_are_never_recommended() -> None:
    """Every purchased product is excluded, however strong its signals."""
    s = _signals()
    p = _profile(s, [("view", "H0"), ("purchase", "H0"), ("purchase", "H1")])
    ids = [r.product_id for r in recommend(p, s, k=10)]
    assert "H0" not in ids and "H1" not in ids


def test_headphone_viewer_gets_headphones() -> None:
    """A user who only viewed headphones gets headphones first, not the popular cups."""
    s = _signals()
    p = _profile(s, [("view", "H3"), ("view", "H4"), ("view", "H5")])
    recs = recommend(p, s, k=4)
    assert sum(r.product_id.startswith("H") for r in recs) >= 3
    assert recs[0].product_id.startswith("H")


def test_co_occurrence_finds_items_outside_the_users_categories() -> None:
    """An item often viewed with the user's item is recommended though its category is new."""
    co: dict[str, CoEntry] = {
        co_key(0, "H3"): {"t0": T0, "pop": 1.0, "v": {"Y7": 25.0}, "b": {}},
    }
    s = _signals(co)
    p = _profile(s, [("view", "H3")])
    recs = recommend(p, s, k=5)
    assert "Y7" in [r.product_id for r in recs]
    assert next(r for r in recs if r.product_id == "Y7").source == "co"


def test_diversity_spreads_categories() -> None:
    """The per-category penalty brings other categories into a one-category user's list."""
    s = _signals()
    p = _profile(s, [("view", f"H{i}") for i in range(4)])
    flat = recommend(p, s, k=6, weights=Weights(diversity=1.0))
    strong = recommend(p, s, k=6, weights=Weights(diversity=0.3))
    assert {r.product_id[0] for r in flat} == {"H"}
    assert len({r.product_id[0] for r in strong}) >= 2
    assert len({r.product_id[0] for r in recommend(p, s, k=10)}) >= 2


def test_locale_is_preferred_and_others_only_fill() -> None:
    """Items in the user's language come first; others only fill the rest of the list."""
    catalog, co, index = _world()
    for pid in ("H0", "H1"):
        catalog[pid] = {**catalog[pid], "locale": "zh"}
        index.add(catalog[pid])  # the engine indexes every catalog change it stores or sees
    s = TableSignals(catalog, co, index, 1)
    assert {r.product_id for r in recommend(None, s, k=2, locale="zh")} == {"H0", "H1"}
    five = recommend(None, s, k=5, locale="zh")
    assert len(five) == 5 and {r.product_id for r in five[:2]} == {"H0", "H1"}


def test_seeds_weigh_purchases_over_views() -> None:
    """Recent purchases and carts seed more strongly than views, newer more than older."""
    p = new_profile(T0)
    p["viewed"], p["carted"], p["bought"] = ["a", "b"], ["c"], ["d"]
    w = seeds(p)
    assert w["d"] > w["c"] > w["b"] > w["a"]
