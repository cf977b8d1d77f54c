"""The derived catalog index: bands, search matching, popularity ranking, rebuild."""

from __future__ import annotations

from tests.unit.profiles.conftest import entry
from workers.profiles.catalog import CatalogIndex, band_for


def _index(prices: list[str], category: tuple[str, ...] = ("Home", "Cups")) -> CatalogIndex:
    index = CatalogIndex()
    for i, price in enumerate(prices):
        index.add(entry(f"P{i}", category, price=price))
    return index


def test_band_is_relative_to_the_category() -> None:
    """In a category of ~100 items, 50 is budget and 300 is luxury."""
    index = _index(["100.00"] * 6)
    assert index.band_of(entry("x", ("Home", "Cups"), price="50.00")) == "budget"
    assert index.band_of(entry("x", ("Home", "Cups"), price="100.00")) == "mid"
    assert index.band_of(entry("x", ("Home", "Cups"), price="180.00")) == "premium"
    assert index.band_of(entry("x", ("Home", "Cups"), price="300.00")) == "luxury"


def test_small_categories_use_absolute_usd_bands() -> None:
    """Too few products to compare: the price in USD decides; CNY converts first."""
    index = CatalogIndex()
    assert index.band_of(entry("x", ("New", "Cat"), price="5.00")) == "budget"
    assert index.band_of(entry("x", ("New", "Cat"), price="500.00")) == "luxury"
    assert index.band_of(entry("x", ("New", "Cat"), price="280.00", currency="CNY")) == "mid"
    assert band_for(-1.0) == "budget" and band_for(2.0) == "luxury"


def test_query_matches_leaves_and_brands_case_insensitively() -> None:
    """A search names categories and brands, in any case and in Chinese too."""
    index = CatalogIndex()
    index.add(entry("a", ("Electronics", "Headphones"), brand="Sonora"))
    index.add(entry("b", ("数码", "耳机"), brand="声悦"))
    m = index.match_query("SONORA noise cancelling headphones")
    assert m.categories == ("Electronics/Headphones",) and m.brands == ("Sonora",)
    m = index.match_query("声悦降噪耳机")
    assert m.categories == ("数码/耳机",) and m.brands == ("声悦",)
    assert index.match_query("zzz").categories == ()


def test_query_matches_are_remembered_until_the_catalog_changes() -> None:
    """A repeated query gets the same match; a product with a new brand or category
    changes what a query matches, and the next search sees it."""
    index = CatalogIndex()
    index.add(entry("a", ("Electronics", "Headphones"), brand="Sonora"))
    first = index.match_query("aurel yoga mat")
    assert first.brands == () and first.categories == ()
    assert index.match_query("aurel yoga mat") is first
    index.add(entry("b", ("Sports", "Yoga Mat"), brand="Aurel"))
    m = index.match_query("aurel yoga mat")
    assert m.categories == ("Sports/Yoga Mat",) and m.brands == ("Aurel",)
    index.remove("b")
    assert index.match_query("aurel yoga mat") == first


def test_rank_orders_categories_and_popular_list() -> None:
    """Ranking sorts each category and the global list by popularity, known products only."""
    index = _index(["10.00", "10.00", "10.00"])
    index.rank({"P2": 9.0, "P0": 3.0, "ghost": 100.0})
    assert index.in_category("Home/Cups") == ["P2", "P0", "P1"]
    assert index.popular() == ["P2", "P0"]
    assert index.popularity("ghost") == 1.0 and index.popularity("P2") == 0.09


def test_rebuild_and_changed_products() -> None:
    """A re-sent product refreshes its view; a rebuild starts from the given entries."""
    index = _index(["10.00"])
    assert index.view_of(entry("P0", ("Home", "Cups"))).category == "Home/Cups"
    index.add(entry("P0", ("Home", "Cups"), brand="Other"))
    assert index.view_of(entry("P0", ("Home", "Cups"), brand="Other")).brand == "Other"
    index.rebuild([entry("Q", ("Sports", "Yoga"))])
    assert index.size == 1 and index.categories() == ["Sports/Yoga"]


def test_a_changed_product_moves_category_and_price_statistics() -> None:
    """A re-sent product with a new category and price leaves its old category and its
    old price no longer counts in the old category's mean."""
    index = _index(["100.00"] * 5 + ["1000.00"])
    assert index.band_of(entry("x", ("Home", "Cups"), price="100.00")) == "budget"
    index.add(entry("P5", ("Sports", "Yoga"), price="1000.00"))
    assert "P5" not in index.in_category("Home/Cups") and index.in_category("Sports/Yoga")
    assert index.band_of(entry("x", ("Home", "Cups"), price="100.00")) == "mid"
    meta = index.meta("P5")
    assert meta is not None and meta.category == "Sports/Yoga" and index.size == 6


def test_removed_products_leave_every_index() -> None:
    """A deleted product is gone from its category, the search names and the facts."""
    index = CatalogIndex()
    index.add(entry("a", ("Electronics", "Headphones"), brand="Sonora"))
    index.remove("a")
    index.remove("never-there")
    assert index.size == 0 and index.meta("a") is None and "a" not in index
    assert index.categories() == [] and index.in_category("Electronics/Headphones") == []
    assert index.match_query("sonora headphones").categories == ()
    assert index.match_query("sonora headphones").brands == ()


def test_candidates_are_cached_and_follow_changes_and_ranking() -> None:
    """Content candidates carry brand, band and prior; a product change or a new ranking
    is seen on the next read, not a stale cached list."""
    index = _index(["10.00"] * 6)
    index.rank({"P0": 4.0, "P1": 1.0})
    first = index.candidates("Home/Cups", 2, 0.5)
    assert [c.product_id for c in first] == ["P0", "P1"]
    assert first[0].prior == 1.05 and first[1].prior == 0.55
    assert index.candidates("Home/Cups", 2, 0.5) is first  # cached
    index.add(entry("P0", ("Home", "Cups"), brand="Renamed", price="10.00"))
    assert index.candidates("Home/Cups", 2, 0.5)[0].brand == "Renamed"
    index.rank({"P1": 4.0})
    assert index.candidates("Home/Cups", 2, 0.5)[0].product_id == "P1"
    index.remove("P1")
    assert "P1" not in [c.product_id for c in index.candidates("Home/Cups", 6, 0.5)]
