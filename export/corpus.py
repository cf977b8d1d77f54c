"""Seeded data-to-text training corpus: (ContentRequest, target copy) pairs.

Splits: two whole categories (``HOLDOUT_CATEGORIES``) and ~5% of the other products never
appear in training; ``eval_examples`` draws requests only from those, so held-out loss
measures copying of unseen products and unseen category vocabulary.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from export.catalog import Product, make_catalog, to_item
from export.copywriter import write_copy
from workers.domain import (
    Channel,
    ContentRequest,
    Kind,
    Locale,
    Persona,
    Provenance,
    Segment,
)
from workers.prompt import EOS, build_prompt
from workers.slots import delexicalize

_T = TypeVar("_T", bound=str)

DEFAULT_SEED = 20240611
PER_CATEGORY = 600
HOLDOUT_CATEGORIES: tuple[str, str] = ("toys", "luggage")
HOLDOUT_PRODUCT_SHARE = 0.05

_KIND_WEIGHTS: dict[Kind, float] = {"description": 0.4, "ad": 0.35, "recommendation": 0.25}
_CHANNEL_WEIGHTS: dict[Kind, dict[Channel, float]] = {
    "description": {"detail_page": 0.55, "feed_card": 0.25, "search_ad": 0.05, "push": 0.15},
    "ad": {"detail_page": 0.1, "feed_card": 0.35, "search_ad": 0.3, "push": 0.25},
    "recommendation": {"detail_page": 0.35, "feed_card": 0.4, "search_ad": 0.0, "push": 0.25},
}
# Short channels cannot name four titles with prices inside their length limit.
_REC_ITEMS: dict[Channel, tuple[tuple[int, ...], tuple[float, ...]]] = {
    "detail_page": ((1, 2, 3, 4), (0.2, 0.35, 0.3, 0.15)),
    "feed_card": ((1, 2), (0.6, 0.4)),
    "push": ((1,), (1.0,)),
    "search_ad": ((1,), (1.0,)),
}
_SEGMENT_WEIGHTS: dict[Segment, float] = {
    "general": 0.28,
    "price_sensitive": 0.18,
    "tech_enthusiast": 0.18,
    "quality_seeker": 0.18,
    "trend_follower": 0.18,
}


@dataclass(frozen=True, slots=True)
class Example:
    """One training or eval pair."""

    request: ContentRequest
    target: str

    @property
    def prompt(self) -> str:
        return build_prompt(self.request)

    @property
    def slotted(self) -> str:
        """The target with attribute values as slots ({1.price}): what the model learns to write.

        A small model then chooses *which* value to mention instead of copying it token by
        token; workers.slots.realize fills the values back in, verbatim.
        """
        return delexicalize(self.target, self.request) or self.target

    @property
    def text(self) -> str:
        """The training text: prompt, slotted copy, end of sequence."""
        return self.prompt + self.slotted + EOS


@dataclass(frozen=True, slots=True)
class Split:
    train: tuple[Product, ...]
    heldout_products: tuple[Product, ...]
    heldout_categories: tuple[Product, ...]


@cache  # pure and immutable; the training run, eval and tests all ask for the same split
def split_catalog(seed: int = DEFAULT_SEED, per_category: int = PER_CATEGORY) -> Split:
    """Deterministic train / held-out split of the catalog, by whole products."""
    train: list[Product] = []
    held_products: list[Product] = []
    held_categories: list[Product] = []
    for product in make_catalog(seed, per_category):
        if product.category.key in HOLDOUT_CATEGORIES:
            held_categories.append(product)
        elif random.Random(f"split:{seed}:{product.product_id}").random() < HOLDOUT_PRODUCT_SHARE:
            held_products.append(product)
        else:
            train.append(product)
    return Split(tuple(train), tuple(held_products), tuple(held_categories))


def _pick(rng: random.Random, weights: Mapping[_T, float]) -> _T:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def make_request(
    rng: random.Random, pool: Sequence[Product], index: int, prefix: str
) -> ContentRequest:
    """Draw one request (kind, locale, channel, persona, items) from ``pool``."""
    kind: Kind = _pick(rng, _KIND_WEIGHTS)
    channel: Channel = _pick(rng, _CHANNEL_WEIGHTS[kind])
    locale: Locale = rng.choice(("zh", "en"))
    segment: Segment = _pick(rng, _SEGMENT_WEIGHTS)
    count = 1
    if kind == "recommendation":
        counts, weights = _REC_ITEMS[channel]
        count = rng.choices(counts, weights=weights)[0]
    first = rng.choice(pool)
    chosen = [first]
    while len(chosen) < count:
        # Recommendations lean towards one category, as co-view based picks do.
        same = [p for p in pool if p.category.key == first.category.key]
        candidate = rng.choice(same if rng.random() < 0.6 else pool)
        if candidate not in chosen:
            chosen.append(candidate)
    return ContentRequest(
        request_id=f"{prefix}-{index:07d}",
        kind=kind,
        locale=locale,
        channel=channel,
        items=tuple(to_item(p, locale) for p in chosen),
        source=Provenance(
            topic=f"corpus.{prefix}", partition=0, offset=index, event_id=f"{prefix}-{index}"
        ),
        created_at_ms=1_700_000_000_000,
        persona=Persona(segment=segment),
    )


def generate(pool: Sequence[Product], count: int, seed: int, prefix: str) -> Iterator[Example]:
    """``count`` examples from ``pool``; example i depends only on (seed, prefix, i)."""
    index = 0
    produced = 0
    while produced < count:
        rng = random.Random(f"{prefix}:{seed}:{index}")
        request = make_request(rng, pool, index, prefix)
        target = write_copy(request, rng)
        index += 1
        if target is None:
            continue  # no shape fits this channel; draw another request
        produced += 1
        yield Example(request, target)


def train_examples(
    count: int, seed: int = DEFAULT_SEED, per_category: int = PER_CATEGORY
) -> list[Example]:
    """The training pairs (only non-held-out products)."""
    return list(generate(split_catalog(seed, per_category).train, count, seed, "train"))


def eval_examples(
    count: int = 200, seed: int = DEFAULT_SEED, per_category: int = PER_CATEGORY
) -> list[Example]:
    """Held-out requests with reference copy: half unseen products, half unseen categories."""
    split = split_catalog(seed, per_category)
    half = count // 2
    products = list(generate(split.heldout_products, half, seed, "eval-products"))
    categories = list(generate(split.heldout_categories, count - half, seed, "eval-categories"))
    return products + categories
