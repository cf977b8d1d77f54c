"""Plain typed records that flow between stages. No Kafka, no Avro, no model here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Locale = Literal["zh", "en"]
Kind = Literal["description", "ad", "recommendation"]
Channel = Literal["detail_page", "feed_card", "push", "search_ad"]
Segment = Literal[
    "general", "price_sensitive", "tech_enthusiast", "quality_seeker", "trend_follower"
]

LOCALES: tuple[Locale, ...] = ("zh", "en")
KINDS: tuple[Kind, ...] = ("description", "ad", "recommendation")
CHANNELS: tuple[Channel, ...] = ("detail_page", "feed_card", "push", "search_ad")
SEGMENTS: tuple[Segment, ...] = (
    "general",
    "price_sensitive",
    "tech_enthusiast",
    "quality_seeker",
    "trend_follower",
)


@dataclass(frozen=True, slots=True)
class Item:
    """One product as the generator sees it; price is exact decimal text."""

    product_id: str
    sku: str
    title: str
    brand: str
    category_path: tuple[str, ...]
    price: str
    currency: str
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Persona:
    """Persona features only: never a name, an id or other personal data."""

    segment: Segment = "general"
    top_categories: tuple[str, ...] = ()
    top_brands: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a request came from, carried to the output record."""

    topic: str
    partition: int
    offset: int
    event_id: str


@dataclass(frozen=True, slots=True)
class ContentRequest:
    """Everything needed to write one text; self-contained so replays are exact."""

    request_id: str
    kind: Kind
    locale: Locale
    channel: Channel
    items: tuple[Item, ...]
    source: Provenance
    created_at_ms: int
    persona: Persona | None = None
    user_id: str | None = None
    reason: str | None = None
