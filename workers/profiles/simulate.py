"""A simulated shop for the offline eval: a catalog and users with latent preferences.

Each user has an archetype (the segment we hope the profile recovers), two or three favourite
categories, a favourite brand, a price lean and maybe a taste for new products. Sessions
browse one category, cart the best-liked item, sometimes buy it, and sometimes go on to a
complementary category (phone → headphones). Item popularity is heavy-tailed, so the
popularity baseline is a fair opponent, not a straw man.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from workers.domain import Segment
from workers.profiles.records import Behavior, BehaviorType, CatalogEntry, category_key

DAY_MS = 86_400_000
FRESH_MS = 14 * DAY_MS
TAXONOMY: dict[str, tuple[str, ...]] = {
    "Electronics": ("Headphones", "Phones", "Laptops", "Wearables", "Cameras", "Keyboards"),
    "Home": ("Drinkware", "Dinnerware", "Bedding", "Lighting"),
    "Apparel": ("T-Shirts", "Jackets", "Sneakers"),
    "Beauty": ("Moisturizers", "Fragrance"),
    "Sports": ("Running Shoes", "Yoga", "Cycling"),
    "Kitchen": ("Appliances", "Cookware"),
}
COMPLEMENTS: dict[str, str] = {
    "Electronics/Phones": "Electronics/Headphones",
    "Electronics/Laptops": "Electronics/Keyboards",
    "Electronics/Cameras": "Electronics/Wearables",
    "Sports/Running Shoes": "Electronics/Wearables",
    "Sports/Yoga": "Apparel/T-Shirts",
    "Kitchen/Cookware": "Kitchen/Appliances",
    "Home/Dinnerware": "Home/Drinkware",
    "Apparel/Jackets": "Apparel/Sneakers",
    "Beauty/Moisturizers": "Beauty/Fragrance",
    "Sports/Cycling": "Apparel/T-Shirts",
}
ARCHETYPES: tuple[tuple[Segment, float], ...] = (
    ("general", 0.3),
    ("tech_enthusiast", 0.2),
    ("price_sensitive", 0.2),
    ("quality_seeker", 0.15),
    ("trend_follower", 0.15),
)


@dataclass(frozen=True, slots=True)
class SimProduct:
    entry: CatalogEntry
    category: str
    appeal: float  # latent popularity
    rel_price: float  # log price minus the category's mean
    created_at_ms: int


@dataclass(frozen=True, slots=True)
class SimUser:
    user_id: str
    archetype: Segment
    categories: dict[str, float]
    brands: frozenset[str]
    locale: str = "en"


@dataclass(slots=True)
class World:
    products: list[SimProduct]
    by_category: dict[str, list[SimProduct]]
    users: list[SimUser]
    now_ms: int
    histories: dict[str, list[Behavior]] = field(default_factory=dict)


def make_catalog(rng: random.Random, per_category: int, now_ms: int) -> list[SimProduct]:
    """Products for every leaf of the taxonomy, heavy-tailed appeal, ~10% new."""
    out: list[SimProduct] = []
    n = 0
    for root, leaves in TAXONOMY.items():
        root_brands = [f"{root[:3]}Brand{b}" for b in range(3)]
        for leaf in leaves:
            path = [root, leaf]
            brands = [*root_brands, *(f"{leaf[:4]}Co{b}" for b in range(3))]
            base = math.exp(rng.uniform(math.log(15), math.log(400)))
            for _ in range(per_category):
                rel = rng.gauss(0.0, 0.5)
                # A steady stream of launches inside the simulated month, older stock before.
                recent = rng.random() < 0.15
                age_days = rng.uniform(0, 30) if recent else rng.uniform(45, 365)
                pid = f"S{n:05d}"
                n += 1
                entry: CatalogEntry = {
                    "product_id": pid,
                    "sku": f"SKU-{pid}",
                    "title": f"{leaf} {pid}",
                    "brand": rng.choice(brands),
                    "category_path": path,
                    "price": f"{base * math.exp(rel):.2f}",
                    "currency": "USD",
                    "attributes": {"color": rng.choice(("Black", "White", "Blue"))},
                    "locale": "en",
                    "created_at": now_ms - int(age_days * DAY_MS),
                }
                appeal = rng.paretovariate(1.2)
                out.append(SimProduct(entry, category_key(path), appeal, rel, entry["created_at"]))
    return out


def _archetype(rng: random.Random) -> Segment:
    x = rng.random()
    for name, p in ARCHETYPES:
        if x < p:
            return name
        x -= p
    return "general"


def make_users(rng: random.Random, world_categories: list[str], count: int) -> list[SimUser]:
    tech = [c for c in world_categories if c.startswith("Electronics/")]
    users = []
    for i in range(count):
        archetype = _archetype(rng)
        pool = tech if archetype == "tech_enthusiast" else world_categories
        cats = rng.sample(pool, rng.choice((2, 3)))
        weights = [rng.gammavariate(1.0, 1.0) + 0.2 for _ in cats]
        total = sum(weights)
        users.append(
            SimUser(
                user_id=f"user-{i:05d}",
                archetype=archetype,
                categories={c: w / total for c, w in zip(cats, weights, strict=True)},
                brands=frozenset(),
            )
        )
    return users


def _utility(user: SimUser, product: SimProduct, ts_ms: int) -> float:
    u = float(product.appeal**0.8)
    if product.entry["brand"] in user.brands:
        u *= 4.0
    if user.archetype == "price_sensitive":
        u *= math.exp(-2.5 * product.rel_price)
    elif user.archetype == "quality_seeker":
        u *= math.exp(2.5 * product.rel_price)
    elif user.archetype == "trend_follower" and ts_ms - product.created_at_ms <= FRESH_MS:
        u *= 12.0
    return u


def _pick(
    rng: random.Random, user: SimUser, items: list[SimProduct], k: int, ts_ms: int
) -> list[SimProduct]:
    """``k`` products chosen by utility among those already launched at ``ts_ms``."""
    live = [p for p in items if p.created_at_ms <= ts_ms]
    weights = [_utility(user, p, ts_ms) for p in live]
    return rng.choices(live, weights=weights, k=k)


def _event(user: SimUser, n: int, kind: BehaviorType, pid: str | None, ts: int) -> Behavior:
    return Behavior(f"{user.user_id}-e{n}", user.user_id, kind, pid, None, ts, user.locale)


def simulate_history(rng: random.Random, user: SimUser, world: World) -> list[Behavior]:
    """A few sessions of browsing, carting and buying, oldest first, all before now."""
    events: list[Behavior] = []
    sessions = rng.randint(4, 9)
    ts = world.now_ms - 30 * DAY_MS
    cats = list(user.categories)
    cat_weights = list(user.categories.values())
    for _ in range(sessions):
        ts += int(rng.uniform(0.5, 3.2) * DAY_MS)
        explore = rng.random() < 0.1
        category = (
            rng.choice(list(world.by_category)) if explore else rng.choices(cats, cat_weights)[0]
        )
        for cat, buy_p in ((category, 0.55), (COMPLEMENTS.get(category), 0.35)):
            if cat is None:
                continue
            items = world.by_category[cat]
            seen = _pick(rng, user, items, rng.randint(2, 7), ts)
            for product in seen:
                ts += rng.randint(20_000, 120_000)
                events.append(_event(user, len(events), "view", product.entry["product_id"], ts))
            best = max(seen, key=lambda p: _utility(user, p, ts))
            if rng.random() < 0.6:
                ts += rng.randint(20_000, 60_000)
                events.append(
                    _event(user, len(events), "add_to_cart", best.entry["product_id"], ts)
                )
                if rng.random() < buy_p / 0.6:
                    ts += rng.randint(20_000, 60_000)
                    events.append(
                        _event(user, len(events), "purchase", best.entry["product_id"], ts)
                    )
            if cat == category and rng.random() > 0.5:
                break  # no complement this time
    return events


def make_world(seed: int = 7, users: int = 2000, per_category: int = 60) -> World:
    """A deterministic world for a seed."""
    rng = random.Random(seed)
    now_ms = 1_760_000_000_000
    products = make_catalog(rng, per_category, now_ms)
    by_category: dict[str, list[SimProduct]] = {}
    for p in products:
        by_category.setdefault(p.category, []).append(p)
    people = make_users(rng, list(by_category), users)
    # Favourite brands come from the user's own categories.
    people = [
        SimUser(
            u.user_id,
            u.archetype,
            u.categories,
            frozenset(rng.choice(by_category[c]).entry["brand"] for c in u.categories),
            u.locale,
        )
        for u in people
    ]
    world = World(products, by_category, people, now_ms)
    for user in people:
        world.histories[user.user_id] = simulate_history(rng, user, world)
    return world
