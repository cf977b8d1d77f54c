"""Bytes → validated behavior events and catalog entries; bad bytes are BadInput."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.unit.factories import product_record
from workers.errors import BadInput
from workers.profiles.decode import decode_behavior, decode_product, millis
from workers.serde import PlainAvroCodec

BEHAVIOR = PlainAvroCodec("UserBehavior")
PRODUCT = PlainAvroCodec("ProductCreated")


def _behavior_bytes(**overrides: Any) -> bytes:
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
    return BEHAVIOR.encode(rec)


def test_behavior_decodes_with_exact_millis_and_locale() -> None:
    """Timestamps keep exact milliseconds; the locale comes from the context map."""
    ev = decode_behavior(_behavior_bytes(), BEHAVIOR)
    assert (ev.event_id, ev.user_id, ev.type, ev.product_id) == ("e1", "u1", "view", "P1")
    assert ev.ts_ms == 1_760_000_000_123 and ev.locale == "zh"


def test_garbage_is_bad_input_at_decode() -> None:
    """Bytes that are not UserBehavior Avro fail at the decode stage."""
    with pytest.raises(BadInput) as info:
        decode_behavior(b"\x00garbage\xff", BEHAVIOR)
    assert info.value.stage == "decode"


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"type": "view", "product_id": None}, "without product_id"),
        ({"type": "purchase", "product_id": None}, "without product_id"),
        ({"user_id": ""}, "user_id"),
        ({"event_id": " "}, "event_id"),
    ],
)
def test_invalid_behavior_is_bad_input(overrides: dict[str, Any], match: str) -> None:
    """Events that cannot mean anything are rejected for the dead-letter topic."""
    with pytest.raises(BadInput, match=match):
        decode_behavior(_behavior_bytes(**overrides), BEHAVIOR)


def test_search_and_erasure_need_no_product() -> None:
    """A search or an erasure without a product is valid; unknown locales become None."""
    ev = decode_behavior(_behavior_bytes(type="search", product_id=None, query="q"), BEHAVIOR)
    assert ev.type == "search" and ev.query == "q"
    ev = decode_behavior(
        _behavior_bytes(type="erase_user", product_id=None, context={"locale": "fr"}), BEHAVIOR
    )
    assert ev.type == "erase_user" and ev.locale is None


def test_product_becomes_a_catalog_entry() -> None:
    """A product keeps its exact price text, attributes, locale and creation time."""
    e = decode_product(PRODUCT.encode(product_record(price=Decimal("0.10"))), PRODUCT)
    assert e["price"] == "0.10" and e["currency"] == "CNY" and e["locale"] == "zh"
    assert e["category_path"] == ["数码", "耳机"] and e["attributes"]["续航"] == "30小时"
    assert e["created_at"] == 1_700_000_000_000


def test_invalid_product_is_bad_input() -> None:
    """A product with a negative price or a behavior record in its place is rejected."""
    with pytest.raises(BadInput, match="out of range"):
        decode_product(PRODUCT.encode(product_record(price=Decimal("-1.00"))), PRODUCT)
    with pytest.raises(BadInput):
        decode_product(_behavior_bytes(), PRODUCT)


def test_millis_accepts_datetimes_and_ints() -> None:
    """Aware and naive datetimes (taken as UTC) and plain ints convert exactly."""
    assert millis(datetime(1970, 1, 1, 0, 0, 1, 5000, tzinfo=UTC)) == 1005
    assert millis(datetime(1970, 1, 1, 0, 0, 2)) == 2000
    assert millis(42) == 42
    with pytest.raises(BadInput):
        millis("yesterday")
