"""Factories for profile tests: events, catalog entries, a config with short windows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from workers.profiles.config import ProfilesConfig
from workers.profiles.records import Behavior, CatalogEntry, ProductView
from workers.serde import PlainAvroCodec

T0 = 1_760_000_000_000
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def behavior_bytes(**overrides: Any) -> bytes:
    """A plain-Avro UserBehavior value (a view of P1 by u1, locale zh), fields overridden."""
    rec: dict[str, Any] = {
        "event_id": "e1",
        "user_id": "u1",
        "session_id": "s1",
        "type": "view",
        "product_id": "P1",
        "query": None,
        "timestamp": 1_760_000_000_123,
        "context": {"locale": "zh", "device": "ios"},
    }
    rec.update(overrides)
    return PlainAvroCodec("UserBehavior").encode(rec)


def behavior(
    kind: str = "view",
    product_id: str | None = "P1",
    *,
    event_id: str | None = None,
    user_id: str = "u1",
    ts_ms: int = T0,
    query: str | None = None,
    locale: str | None = "en",
) -> Behavior:
    return Behavior(
        event_id or f"e-{kind}-{product_id}-{ts_ms}",
        user_id,
        kind,  # type: ignore[arg-type]
        product_id,
        query,
        ts_ms,
        locale,
    )


def entry(
    product_id: str = "P1",
    category: tuple[str, ...] = ("Electronics", "Headphones"),
    brand: str = "Sonora",
    price: str = "100.00",
    **overrides: Any,
) -> CatalogEntry:
    value: dict[str, Any] = {
        "product_id": product_id,
        "sku": f"SKU-{product_id}",
        "title": f"Item {product_id}",
        "brand": brand,
        "category_path": list(category),
        "price": price,
        "currency": "USD",
        "attributes": {"color": "Black"},
        "locale": "en",
        "created_at": T0 - 100 * DAY_MS,
    }
    value.update(overrides)
    return value  # type: ignore[return-value]


def view_of(
    product_id: str = "P1",
    category: str = "Electronics/Headphones",
    brand: str = "Sonora",
    band: str = "mid",
    created_at_ms: int = T0 - 100 * DAY_MS,
) -> ProductView:
    return ProductView(product_id, category, brand, band, created_at_ms)  # type: ignore[arg-type]


@pytest.fixture
def cfg() -> ProfilesConfig:
    """Defaults, but with windows short enough for tests."""
    return ProfilesConfig(debounce_window_s=5.0, min_interval_s=30.0)


@pytest.fixture
def make_behavior() -> Callable[..., Behavior]:
    return behavior
