"""In-memory indexes over the catalog table: per category, price bands, names, popularity.

The catalog table (a faust GlobalTable) is the durable truth; this index is derived, cheap
to rebuild after recovery, and refreshed when the table's size says it is stale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from workers.profiles.logic import SearchMatch
from workers.profiles.records import (
    CatalogEntry,
    PriceBand,
    ProductView,
    category_key,
    category_leaf,
)

# Rough rates to compare prices across currencies when a category has too few products to
# judge relative price; only the order of magnitude matters for a band.
USD_PER_UNIT: dict[str, float] = {"USD": 1.0, "CNY": 0.14, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}
# Log-price offsets from the category mean that separate the bands: about a quarter of a
# typical category lands in budget, two fifths in mid, a quarter in premium, the rest luxury.
BAND_EDGES: tuple[float, float, float] = (-0.3, 0.25, 0.7)
FALLBACK_MEAN_LOG_USD = math.log(40.0)
MIN_CATEGORY_SIZE = 5
MIN_NAME_CHARS = 2


def _log_price(entry: CatalogEntry) -> float:
    try:
        price = float(entry["price"])
    except ValueError:
        return FALLBACK_MEAN_LOG_USD
    return math.log(max(price, 0.01))


def band_for(offset: float) -> PriceBand:
    low, mid, high = BAND_EDGES
    if offset < low:
        return "budget"
    if offset < mid:
        return "mid"
    if offset < high:
        return "premium"
    return "luxury"


class CatalogIndex:
    """Products by category, price statistics per category, and a popularity ranking."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._by_category: dict[str, list[str]] = {}
        self._log_sum: dict[str, float] = {}
        self._count: dict[str, int] = {}
        self._known: set[str] = set()
        self._views: dict[str, ProductView] = {}
        self._brands: dict[str, str] = {}
        self._leaves: dict[str, set[str]] = {}
        self._popular: list[str] = []
        self._popularity: dict[str, float] = {}

    @property
    def size(self) -> int:
        return len(self._known)

    def add(self, entry: CatalogEntry) -> None:
        """Index one product (a re-sent product replaces its earlier view)."""
        pid = entry["product_id"]
        cat = category_key(entry["category_path"])
        self._views.pop(pid, None)
        if pid not in self._known:
            self._known.add(pid)
            self._by_category.setdefault(cat, []).append(pid)
            self._log_sum[cat] = self._log_sum.get(cat, 0.0) + _log_price(entry)
            self._count[cat] = self._count.get(cat, 0) + 1
        if len(entry["brand"]) >= MIN_NAME_CHARS:
            self._brands[entry["brand"].casefold()] = entry["brand"]
        leaf = category_leaf(cat)
        if len(leaf) >= MIN_NAME_CHARS:
            self._leaves.setdefault(leaf.casefold(), set()).add(cat)

    def rebuild(self, entries: Iterable[CatalogEntry]) -> None:
        """Start again from the table (after recovery, or when it grew behind our back)."""
        self._reset()
        for entry in entries:
            self.add(entry)

    def band_of(self, entry: CatalogEntry) -> PriceBand:
        """Price band relative to the product's category; absolute (in USD) for tiny ones."""
        cat = category_key(entry["category_path"])
        count = self._count.get(cat, 0)
        if count >= MIN_CATEGORY_SIZE:
            return band_for(_log_price(entry) - self._log_sum[cat] / count)
        rate = USD_PER_UNIT.get(entry["currency"], 1.0)
        return band_for(_log_price(entry) + math.log(rate) - FALLBACK_MEAN_LOG_USD)

    def view_of(self, entry: CatalogEntry) -> ProductView:
        """The update function's view of a product; cached, dropped when the product changes."""
        pid = entry["product_id"]
        view = self._views.get(pid)
        if view is None:
            view = ProductView(
                product_id=pid,
                category=category_key(entry["category_path"]),
                brand=entry["brand"],
                band=self.band_of(entry),
                created_at_ms=entry["created_at"],
            )
            self._views[pid] = view
        return view

    def match_query(self, query: str) -> SearchMatch:
        """Category leaves and brands named in a search query (substring, case-folded)."""
        text = query.casefold()
        cats = {c for leaf, keys in self._leaves.items() if leaf in text for c in keys}
        brands = tuple(sorted({b for low, b in self._brands.items() if low in text}))
        return SearchMatch(tuple(sorted(cats)), brands)

    def in_category(self, category: str) -> list[str]:
        """Products of one category, most popular first (as of the last ``rank``)."""
        return self._by_category.get(category, [])

    def categories(self) -> list[str]:
        return list(self._by_category)

    def popular(self) -> list[str]:
        return self._popular

    def popularity(self, product_id: str) -> float:
        """Popularity in [0, 1] relative to the most popular product."""
        return self._popularity.get(product_id, 0.0)

    def rank(self, popularity: Mapping[str, float], top: int = 200) -> None:
        """Re-sort every category and the global list by ``popularity`` (raw scores)."""
        peak = max(popularity.values(), default=0.0)
        self._popularity = {k: v / peak for k, v in popularity.items()} if peak > 0 else {}
        score = self._popularity.get
        for ids in self._by_category.values():
            ids.sort(key=lambda pid: (-score(pid, 0.0), pid))
        known = self._known
        ranked = [p for p in self._popularity if p in known]
        ranked.sort(key=lambda p: (-score(p, 0.0), p))
        self._popular = ranked[:top]
