"""The shapes of profile state: plain JSON-serializable dicts, typed with TypedDict.

State values are what the faust tables store and what their changelogs carry
(``value_serializer="json"``), so they use only dicts, lists, str, int and float: a value read
back after recovery has exactly the shape it had when written. Parallel lists (ids and
timestamps) instead of lists of pairs save a small list object per entry, which matters at
a million profiles.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypedDict

from workers.domain import Item

BehaviorType = Literal[
    "view", "click", "add_to_cart", "purchase", "search", "impression", "erase_user"
]
BEHAVIOR_TYPES: tuple[BehaviorType, ...] = (
    "view",
    "click",
    "add_to_cart",
    "purchase",
    "search",
    "impression",
    "erase_user",
)
PriceBand = Literal["budget", "mid", "premium", "luxury"]
PRICE_BANDS: tuple[PriceBand, ...] = ("budget", "mid", "premium", "luxury")
PROFILE_VERSION = 1


class Behavior(NamedTuple):
    """One decoded, validated user-behavior event (a tuple: cheap to build per event)."""

    event_id: str
    user_id: str
    type: BehaviorType
    product_id: str | None
    query: str | None
    ts_ms: int
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class ProductView:
    """What a profile update needs to know about a product (from the catalog table)."""

    product_id: str
    category: str
    brand: str
    band: PriceBand
    created_at_ms: int


class CatalogEntry(TypedDict):
    """One product in the catalog table: the full attributes a request carries."""

    product_id: str
    sku: str
    title: str
    brand: str
    category_path: list[str]
    price: str
    currency: str
    attributes: dict[str, str]
    locale: str
    created_at: int


class Profile(TypedDict):
    """One user's state. Affinity scores are in units of the anchor ``t0`` (see logic.py)."""

    v: int
    t0: int
    ts: int
    n: int
    cat: dict[str, float]
    brand: dict[str, float]
    band: dict[str, float]
    fresh: float
    total: float
    viewed: list[str]
    viewed_ts: list[int]
    carted: list[str]
    carted_ts: list[int]
    bought: list[str]
    bought_ts: list[int]
    eids: str  # the last event digests, fixed width, concatenated (see logic.seen_event)
    loc: str
    # The source record last folded in: a user's events come from one partition (keyed by
    # user), so a record at or below ``off`` there is a redelivery (see logic.replayed).
    part: int
    off: int


class CoEntry(TypedDict):
    """Item-to-item counts and decayed popularity for one product (per source partition)."""

    t0: int
    pop: float
    v: dict[str, float]
    b: dict[str, float]


def new_profile(ts_ms: int) -> Profile:
    """An empty profile anchored at ``ts_ms``."""
    return {
        "v": PROFILE_VERSION,
        "t0": ts_ms,
        "ts": 0,
        "n": 0,
        "cat": {},
        "brand": {},
        "band": {},
        "fresh": 0.0,
        "total": 0.0,
        "viewed": [],
        "viewed_ts": [],
        "carted": [],
        "carted_ts": [],
        "bought": [],
        "bought_ts": [],
        "eids": "",
        "loc": "",
        "part": -1,
        "off": -1,
    }


def interned(value: Any) -> Any:
    """``value`` with every dict key and string in it interned (recursively).

    Profiles decoded from the changelog would each hold their own copies of the same field
    names, product ids, categories and brands; interning shares them, which cuts a
    recovered profile's memory by about 40%.
    """
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(k): interned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interned(v) for v in value]
    return value


def new_co_entry(ts_ms: int) -> CoEntry:
    return {"t0": ts_ms, "pop": 0.0, "v": {}, "b": {}}


def category_key(path: list[str] | tuple[str, ...]) -> str:
    """The full path joined: leaf names alone collide across roots ("Accessories")."""
    return "/".join(path)


def category_leaf(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def category_root(key: str) -> str:
    return key.split("/", 1)[0]


def entry_from_item(item: Item, locale: str, created_at_ms: int) -> CatalogEntry:
    """The catalog table value for a validated product."""
    return {
        "product_id": item.product_id,
        "sku": item.sku,
        "title": item.title,
        "brand": item.brand,
        "category_path": list(item.category_path),
        "price": item.price,
        "currency": item.currency,
        "attributes": dict(item.attributes),
        "locale": locale,
        "created_at": created_at_ms,
    }


def item_from_entry(entry: CatalogEntry) -> Item:
    """The generator's view of a catalog entry: every attribute, exactly as listed."""
    return Item(
        product_id=entry["product_id"],
        sku=entry["sku"],
        title=entry["title"],
        brand=entry["brand"],
        category_path=tuple(entry["category_path"]),
        price=entry["price"],
        currency=entry["currency"],
        attributes=dict(entry["attributes"]),
    )
