"""In-memory indexes over the catalog table: per category, price bands, names, popularity.

The catalog table (a faust GlobalTable) is the durable truth; this index is derived, cheap
to rebuild after recovery, and refreshed when the table's size says it is stale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

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
MATCHES_KEPT = 4096  # search queries whose matches CatalogIndex remembers


def _log_price(entry: CatalogEntry) -> float:
    try:
        price = float(entry["price"])
    except ValueError:
        return FALLBACK_MEAN_LOG_USD
    return math.log(max(price, 0.01))


class ProductMeta(NamedTuple):
    """What the index keeps per product: enough to rank and filter without the table."""

    category: str
    locale: str
    brand: str
    log_price: float
    currency: str


class Candidate(NamedTuple):
    """A content candidate of one category, with what its score needs."""

    product_id: str
    brand: str
    band: PriceBand
    prior: float  # 0.05 + popularity ** exponent


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
    """Products by category, price statistics per category, and a popularity ranking.

    Kept exactly in step with the catalog table: ``add`` replaces a product's earlier
    version (category, price, brand, locale may all change) and ``remove`` forgets one, so
    the worker can feed it every change its table sees (its own writes and, for the
    GlobalTable, every other worker's through the changelog). What is derived from a
    category's statistics (product views with their bands, content candidates) is dropped
    when that category changes and rebuilt on the next read.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._by_category: dict[str, list[str]] = {}
        self._log_sum: dict[str, float] = {}
        self._count: dict[str, int] = {}
        # product id → (category key, locale, brand, log price): what recommend reads per
        # candidate, so it never touches the catalog table for them.
        self._meta: dict[str, ProductMeta] = {}
        self._views: dict[str, ProductView] = {}
        self._brands: dict[str, str] = {}
        self._brand_refs: dict[str, int] = {}
        self._leaves: dict[str, set[str]] = {}
        self._popular: list[str] = []
        self._popularity: dict[str, float] = {}
        self._candidates: dict[tuple[str, int, float], list[Candidate]] = {}
        # query → its SearchMatch, while the leaves and brands stay as they are.
        self._matches: dict[str, SearchMatch] = {}

    @property
    def size(self) -> int:
        return len(self._meta)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._meta

    def add(self, entry: CatalogEntry) -> None:
        """Index one product; a re-sent product replaces its earlier version everywhere."""
        pid = entry["product_id"]
        cat = category_key(entry["category_path"])
        meta = ProductMeta(
            cat, entry["locale"], entry["brand"], _log_price(entry), entry["currency"]
        )
        old = self._meta.get(pid)
        if old == meta:
            self._views.pop(pid, None)  # created_at may differ; the view is cheap to redo
            return
        moved = old is None or old.category != cat
        if old is not None:
            self._forget(pid, old, keep_place=not moved)
        self._meta[pid] = meta
        if moved:
            ids = self._by_category.get(cat)
            if ids is None:
                ids = self._by_category[cat] = []
                leaf = category_leaf(cat)
                if len(leaf) >= MIN_NAME_CHARS:
                    self._leaves.setdefault(leaf.casefold(), set()).add(cat)
            ids.append(pid)  # ranked on the next ``rank``, like every new product
        self._log_sum[cat] = self._log_sum.get(cat, 0.0) + meta.log_price
        self._count[cat] = self._count.get(cat, 0) + 1
        brand = meta.brand
        self._brand_refs[brand] = self._brand_refs.get(brand, 0) + 1
        if len(brand) >= MIN_NAME_CHARS:
            self._brands[brand.casefold()] = brand
        self._changed(cat)

    def remove(self, product_id: str) -> None:
        """Forget a product (its key was deleted from the table)."""
        old = self._meta.pop(product_id, None)
        if old is not None:
            self._forget(product_id, old)

    def _forget(self, pid: str, old: ProductMeta, keep_place: bool = False) -> None:
        """Undo what ``add`` counted for ``old``. With ``keep_place`` the product is about
        to be added again to the same category: it keeps its ranked place in the list."""
        self._meta.pop(pid, None)
        self._views.pop(pid, None)
        cat = old.category
        count = self._count.get(cat, 0) - 1
        if keep_place:
            self._count[cat] = count
            self._log_sum[cat] = self._log_sum.get(cat, 0.0) - old.log_price
        elif count <= 0:
            self._by_category.pop(cat, None)
            self._count.pop(cat, None)
            self._log_sum.pop(cat, None)
            leaf = category_leaf(cat).casefold()
            cats = self._leaves.get(leaf)
            if cats is not None:
                cats.discard(cat)
                if not cats:
                    del self._leaves[leaf]
        else:
            ids = self._by_category.get(cat)
            if ids is not None and pid in ids:
                ids.remove(pid)
            self._count[cat] = count
            self._log_sum[cat] -= old.log_price
        refs = self._brand_refs.get(old.brand, 0) - 1
        if refs <= 0:
            self._brand_refs.pop(old.brand, None)
            folded = old.brand.casefold()
            if self._brands.get(folded) == old.brand:
                del self._brands[folded]
        else:
            self._brand_refs[old.brand] = refs
        self._changed(cat)

    def _changed(self, cat: str) -> None:
        """A category's members or price statistics changed: its derived data is stale."""
        if self._matches:  # the names a query can match may have changed too
            self._matches.clear()
        views = self._views
        if views:
            for pid in self._by_category.get(cat, ()):
                views.pop(pid, None)
        if self._candidates:
            for key in [k for k in self._candidates if k[0] == cat]:
                del self._candidates[key]

    def rebuild(self, entries: Iterable[CatalogEntry]) -> None:
        """Start again from the table (after recovery, or when it grew behind our back)."""
        self._reset()
        for entry in entries:
            self.add(entry)

    def band_of(self, entry: CatalogEntry) -> PriceBand:
        """Price band relative to the product's category; absolute (in USD) for tiny ones."""
        cat = category_key(entry["category_path"])
        return self._band(cat, _log_price(entry), entry["currency"])

    def _band(self, cat: str, log_price: float, currency: str) -> PriceBand:
        count = self._count.get(cat, 0)
        if count >= MIN_CATEGORY_SIZE:
            return band_for(log_price - self._log_sum[cat] / count)
        rate = USD_PER_UNIT.get(currency, 1.0)
        return band_for(log_price + math.log(rate) - FALLBACK_MEAN_LOG_USD)

    def meta(self, product_id: str) -> ProductMeta | None:
        """The indexed facts of a product; None when it is not in the catalog."""
        return self._meta.get(product_id)

    def candidates(self, category: str, depth: int, pop_exponent: float) -> list[Candidate]:
        """The ``depth`` most popular products of a category with brand, band and prior;
        cached until the category or the ranking changes."""
        key = (category, depth, pop_exponent)
        out = self._candidates.get(key)
        if out is None:
            meta, score = self._meta, self._popularity.get
            out = []
            for pid in self._by_category.get(category, ())[:depth]:
                m = meta[pid]
                band = self._band(category, m.log_price, m.currency)
                out.append(Candidate(pid, m.brand, band, 0.05 + score(pid, 0.0) ** pop_exponent))
            self._candidates[key] = out
        return out

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
        """Category leaves and brands named in a search query (substring, case-folded).
        Remembered per query until the catalog changes (a scan of every leaf and brand
        costs tens of microseconds; searches repeat), at most ``MATCHES_KEPT`` of them."""
        match = self._matches.get(query)
        if match is not None:
            return match
        text = query.casefold()
        cats = {c for leaf, keys in self._leaves.items() if leaf in text for c in keys}
        brands = tuple(sorted({b for low, b in self._brands.items() if low in text}))
        match = SearchMatch(tuple(sorted(cats)), brands)
        if len(self._matches) >= MATCHES_KEPT:
            self._matches.clear()
        self._matches[query] = match
        return match

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
        known = self._meta
        ranked = [p for p in self._popularity if p in known]
        ranked.sort(key=lambda p: (-score(p, 0.0), p))
        self._popular = ranked[:top]
        self._candidates.clear()  # order and priors changed
