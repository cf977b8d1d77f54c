"""Bytes off the wire → validated records. Anything that cannot be used is ``BadInput``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.errors import BadInput
from workers.generator.requests import item_from_product
from workers.profiles.records import BEHAVIOR_TYPES, Behavior, CatalogEntry, entry_from_item
from workers.serde import Codec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
# These types are about one product; without one they mean nothing.
_NEEDS_PRODUCT = frozenset({"view", "click", "add_to_cart", "purchase"})
_LOCALES = frozenset({"zh", "en"})


def millis(value: Any) -> int:
    """Avro timestamp-millis arrives as an aware datetime; keep exact integer milliseconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int((value - _EPOCH) // _MS)
    if isinstance(value, int):
        return value
    raise BadInput("validate", f"not a timestamp: {value!r}")


def _text(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadInput("validate", f"missing or empty field: {name}")
    return value


def behavior_from_record(record: Mapping[str, Any]) -> Behavior:
    """Validate one decoded UserBehavior record."""
    kind = record.get("type")
    if kind not in BEHAVIOR_TYPES:
        raise BadInput("validate", f"unknown behavior type: {kind!r}")
    # Interned: the id lands in recent-item lists of many profiles; one copy serves them all.
    product_id = sys.intern(record.get("product_id") or "") or None
    if kind in _NEEDS_PRODUCT and product_id is None:
        raise BadInput("validate", f"{kind} without product_id")
    context = record.get("context") or {}
    locale = context.get("locale")
    return Behavior(
        event_id=_text(record, "event_id"),
        user_id=_text(record, "user_id"),
        type=kind,
        product_id=product_id,
        query=record.get("query") or None,
        ts_ms=millis(record.get("timestamp")),
        locale=locale if locale in _LOCALES else None,
    )


def decode_behavior(data: bytes, codec: Codec, topic: str = "") -> Behavior:
    """Decode and validate a user-behavior value."""
    return behavior_from_record(codec.decode(data, topic))


def decode_product(data: bytes, codec: Codec, topic: str = "") -> CatalogEntry:
    """Decode and validate a product-created value into a catalog entry."""
    record = codec.decode(data, topic)
    locale = record.get("locale")
    if locale not in _LOCALES:
        raise BadInput("validate", f"unsupported locale: {locale!r}")
    item = item_from_product(record)
    return entry_from_item(item, locale, millis(record.get("created_at", 0)))
