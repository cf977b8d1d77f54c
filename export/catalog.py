"""Deterministic product catalog: one locale-neutral Product, rendered as zh or en Items."""

from __future__ import annotations

import random
from dataclasses import dataclass

from export.compliance import banned_terms
from export.hanzi import LEVEL1, gb2312_hanzi
from export.lexicon import CATEGORIES, FREE_VALUES, Category, Pair, ProductType
from workers.domain import Item, Locale

# Roughly CNY per USD; only used to make en prices look plausible, never shown as a rate.
_CNY_PER_USD = 7.0


@dataclass(frozen=True, slots=True)
class Product:
    """One product with (zh, en) values for every field."""

    product_id: str
    category: Category
    ptype: ProductType
    brand: Pair
    title: Pair
    specs: tuple[tuple[str, Pair], ...]
    free: tuple[tuple[str, Pair], ...]
    price_cny: str
    price_usd: str
    original_cny: str | None
    original_usd: str | None


_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "ta",
    "vo",
    "sen",
    "li",
    "no",
    "ra",
    "ze",
    "qu",
    "fin",
    "mo",
    "tal",
    "ve",
    "dor",
    "si",
    "ban",
    "ko",
    "lu",
    "nex",
    "pi",
    "sol",
    "tri",
    "ul",
    "ya",
    "zen",
    "ar",
    "bel",
)
_CODE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXZ"


def random_brand(rng: random.Random) -> Pair:
    """An invented brand: 2-3 common hanzi for zh, 2-3 syllables for en.

    A few dozen fixed brands can be predicted from context instead of copied; random ones
    can only be copied from the prompt, which is the skill the model must learn. Random
    hanzi also give every common character a trained embedding, which is what lets titles
    of unseen categories be copied at all.
    """
    pool = gb2312_hanzi()[:LEVEL1]
    while True:
        zh = "".join(rng.choice(pool) for _ in range(rng.choice((2, 2, 3))))
        en = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
        if not banned_terms(zh) and not banned_terms(en):
            return zh, en


def random_series(rng: random.Random) -> str:
    """A model code such as "K7" or "ZR30" (digits are facts the copy may repeat)."""
    letters = "".join(rng.choice(_CODE_LETTERS) for _ in range(rng.choice((1, 2))))
    return f"{letters}{rng.randint(1, 99)}"


def _price_cny(rng: random.Random, low: int, high: int) -> int:
    value = rng.randint(low, high)
    return max(9, value - value % 10 + 9)  # prices end in 9, as shops write them


def _fmt_cny(value: int, rng: random.Random) -> str:
    return f"{value}.90" if rng.random() < 0.1 else f"{value}.00"


def _fmt_usd(cny: int) -> str:
    return f"{max(4, int(cny / _CNY_PER_USD))}.99"


def _free_values(category: Category, key: str) -> tuple[Pair, ...]:
    if key == "material":
        return category.materials
    if key in category.extra:
        return category.extra[key]
    return FREE_VALUES[key]


def _title(
    rng: random.Random,
    category: Category,
    ptype: ProductType,
    brand: Pair,
    specs: tuple[tuple[str, Pair], ...],
) -> Pair:
    if "book_title" in category.extra:
        name = rng.choice(category.extra["book_title"])
        return f"《{name[0]}》", name[1]
    series = random_series(rng) if category.series != ("",) and rng.random() < 0.3 else ""
    series = series or rng.choice(category.series)
    adjective = rng.choice(ptype.adjectives) if ptype.adjectives and rng.random() < 0.7 else None
    # A third of titles carry their headline spec, as real listings do ("… 20000mAh …").
    spec = specs[0][1] if specs and rng.random() < 0.33 else None
    zh = [brand[0], series]
    en = [brand[1], series]
    if spec:
        zh.append(spec[0])
        en.append(spec[1])
    zh.append((adjective[0] if adjective else "") + ptype.noun[0])
    if adjective:
        en.append(adjective[1])
    en.append(ptype.noun[1])
    return " ".join(p for p in zh if p), " ".join(p for p in en if p)


def make_product(rng: random.Random, category: Category, index: int) -> Product:
    """Draw one product of ``category``; all randomness comes from ``rng``."""
    ptype = rng.choice(category.types)
    brand = random_brand(rng) if rng.random() < 0.4 else rng.choice(category.brands)
    specs = tuple((key, rng.choice(values)) for key, values in ptype.specs)
    free = tuple((key, rng.choice(_free_values(category, key))) for key in ptype.free)
    cny = _price_cny(rng, *ptype.price_cny)
    original = None
    if rng.random() < 0.2:
        original = cny + max(10, int(cny * rng.uniform(0.15, 0.5)) // 10 * 10)
    return Product(
        product_id=f"P{index:06d}",
        category=category,
        ptype=ptype,
        brand=brand,
        title=_title(rng, category, ptype, brand, specs),
        specs=specs,
        free=free,
        price_cny=_fmt_cny(cny, rng),
        price_usd=_fmt_usd(cny),
        original_cny=f"{original}.00" if original else None,
        original_usd=_fmt_usd(original) if original else None,
    )


def make_catalog(seed: int, per_category: int) -> list[Product]:
    """``per_category`` products for every category, in a fixed order."""
    products: list[Product] = []
    for c_index, category in enumerate(CATEGORIES):
        rng = random.Random(f"catalog:{seed}:{category.key}")
        for i in range(per_category):
            products.append(make_product(rng, category, c_index * 100_000 + i))
    return products


def to_item(product: Product, locale: Locale) -> Item:
    """Render a product as the request Item the worker would receive for ``locale``."""
    side = 0 if locale == "zh" else 1
    attributes = {key: value[side] for key, value in product.specs}
    attributes.update({key: value[side] for key, value in product.free})
    currency = "CNY" if locale == "zh" else "USD"
    original = product.original_cny if locale == "zh" else product.original_usd
    if original:
        # The number alone, like Item.price: copy writes its own unit ("元", "$").
        attributes["original_price"] = original
    return Item(
        product_id=product.product_id,
        sku=f"{product.product_id}-{locale}",
        title=product.title[side],
        brand=product.brand[side],
        category_path=(product.category.name[side], product.ptype.noun[side]),
        price=product.price_cny if locale == "zh" else product.price_usd,
        currency=currency,
        attributes=attributes,
    )
