"""Bytes → validated behavior events and catalog entries; bad bytes are BadInput."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.unit.factories import product_record
from tests.unit.profiles.conftest import behavior_bytes
from workers.errors import BadInput
from workers.profiles.decode import (
    FAST_BEHAVIOR_READER,
    _read_behavior,
    behavior_from_record,
    decode_behavior,
    decode_product,
    millis,
)
from workers.profiles.records import Behavior
from workers.serde import PlainAvroCodec

BEHAVIOR = PlainAvroCodec("UserBehavior")
PRODUCT = PlainAvroCodec("ProductCreated")


def test_behavior_decodes_with_exact_millis_and_locale() -> None:
    """Timestamps keep exact milliseconds; the locale comes from the context map."""
    ev = decode_behavior(behavior_bytes(), BEHAVIOR)
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
        decode_behavior(behavior_bytes(**overrides), BEHAVIOR)


def test_search_and_erasure_need_no_product() -> None:
    """A search or an erasure without a product is valid; unknown locales become None."""
    ev = decode_behavior(behavior_bytes(type="search", product_id=None, query="q"), BEHAVIOR)
    assert ev.type == "search" and ev.query == "q"
    ev = decode_behavior(
        behavior_bytes(type="erase_user", product_id=None, context={"locale": "fr"}), BEHAVIOR
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
        decode_product(behavior_bytes(), PRODUCT)


def test_millis_accepts_datetimes_and_ints() -> None:
    """Aware and naive datetimes (taken as UTC) and plain ints convert exactly."""
    assert millis(datetime(1970, 1, 1, 0, 0, 1, 5000, tzinfo=UTC)) == 1005
    assert millis(datetime(1970, 1, 1, 0, 0, 2)) == 2000
    assert millis(42) == 42
    with pytest.raises(BadInput):
        millis("yesterday")


def _general(data: bytes) -> Behavior | str:
    """The general path's answer (fastavro + validation), or its error stage."""
    try:
        return behavior_from_record(BEHAVIOR.decode(data))
    except BadInput as exc:
        return exc.stage


def _fast(data: bytes) -> Behavior | str:
    try:
        return decode_behavior(data, BEHAVIOR)
    except BadInput as exc:
        return exc.stage


def test_fast_reader_is_used_for_the_current_schema() -> None:
    """The schema file has the layout the fast reader reads, so the hot path uses it."""
    assert FAST_BEHAVIOR_READER
    ev = _read_behavior(behavior_bytes(event_id="e" * 300, context={"k" * 70: "v" * 90}))
    assert ev.event_id == "e" * 300 and ev.locale is None and ev.ts_ms == 1_760_000_000_123


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"type": "search", "product_id": None, "query": "耳机 降噪"},
        {"type": "erase_user", "product_id": None, "context": {}},
        {"event_id": "0f9c8d7e-3b6a-4c21-9e8f-7a6b5c4d3e2f" * 3, "user_id": "用户-17"},
        {"timestamp": 0, "context": {"locale": "en", "a": "b", "locale ": "zh"}},
        {"timestamp": 253_402_300_799_999, "product_id": "", "type": "search"},
        {"query": "", "context": {f"k{i}": "v" for i in range(40)}},
    ],
)
def test_fast_reader_agrees_with_the_general_path(overrides: dict[str, Any]) -> None:
    """Valid values, long strings, big maps and edge timestamps decode exactly alike."""
    data = behavior_bytes(**overrides)
    assert _fast(data) == _general(data)
    assert isinstance(_fast(data), Behavior)


def test_fast_reader_agrees_on_mutated_bytes() -> None:
    """Flipped, cut, extended and overwritten bytes get the general path's answer: the
    same event, or bad input at the same stage; never a different event."""
    rng = random.Random(11)
    bases = [
        behavior_bytes(),
        behavior_bytes(type="search", product_id=None, query="q", context={"locale": "en"}),
        behavior_bytes(event_id="x" * 70, timestamp=-5),
    ]
    outcomes: set[str] = set()
    for n in range(3000):
        data = bytearray(rng.choice(bases))
        op = n % 4
        if op == 0:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif op == 1:
            del data[rng.randrange(len(data)) :]
        elif op == 2:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 3)))
        else:
            data[rng.randrange(len(data))] = rng.choice((0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF))
        value = bytes(data)
        general = _general(value)
        assert _fast(value) == general, value
        outcomes.add(general if isinstance(general, str) else "ok")
    assert outcomes == {"ok", "decode", "validate"}  # the mutations reached every outcome
