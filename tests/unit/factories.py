"""Factories for records used across unit tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from workers.domain import ContentRequest, Item, Persona, Provenance
from workers.envelope import Envelope


def product_record(**overrides: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "event_id": "evt-1",
        "product_id": "P1",
        "sku": "SKU-P1",
        "title": "降噪蓝牙耳机 Q5",
        "brand": "声悦",
        "category_path": ["数码", "耳机"],
        "price": Decimal("399.00"),
        "currency": "CNY",
        "attributes": {"续航": "30小时", "颜色": "黑色"},
        "locale": "zh",
        "created_at": 1_700_000_000_000,
        "emitted_at": 1_700_000_000_000,
    }
    rec.update(overrides)
    return rec


def envelope(value: bytes = b"", topic: str = "product-created", offset: int = 0) -> Envelope:
    return Envelope(topic, 0, offset, b"P1", value, (("trace", b"t1"),), 1_700_000_000_000)


def item(**overrides: Any) -> Item:
    fields: dict[str, Any] = {
        "product_id": "P1",
        "sku": "SKU-P1",
        "title": "Noise Cancelling Headphones H7",
        "brand": "Sonora",
        "category_path": ("Electronics", "Headphones"),
        "price": "129.99",
        "currency": "USD",
        "attributes": {"battery_life": "35 hours", "color": "Black"},
    }
    fields.update(overrides)
    return Item(**fields)


def request(**overrides: Any) -> ContentRequest:
    fields: dict[str, Any] = {
        "request_id": "evt-1:ad:feed_card",
        "kind": "ad",
        "locale": "en",
        "channel": "feed_card",
        "items": (item(),),
        "source": Provenance("product-created", 0, 5, "evt-1"),
        "created_at_ms": 1_700_000_000_000,
        "persona": Persona("price_sensitive"),
    }
    fields.update(overrides)
    return ContentRequest(**fields)
