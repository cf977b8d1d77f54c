"""Bytes off the wire → validated records. Anything that cannot be used is ``BadInput``.

User-behavior values are the hot path (one per event, tens of thousands per second): plain
Avro values are read by ``_read_behavior``, a reader written for the UserBehavior field
layout that builds the ``Behavior`` directly, without a record dict, without the datetime
that the timestamp-millis logical type would make, and interning the product id once. It is
used only when the schema file has exactly the layout it reads (checked at import), and
only for values it reads completely; anything else (another layout, the registry wire
format, a value it cannot read) takes the general path through the codec and fastavro,
which also words every error. tests/unit/profiles/test_decode.py checks that both paths
agree, on valid values and on mutated bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.errors import BadInput
from workers.generator.requests import item_from_product
from workers.profiles.records import BEHAVIOR_TYPES, Behavior, CatalogEntry, entry_from_item
from workers.serde import Codec, PlainAvroCodec, load_schema

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
# These types are about one product; without one they mean nothing.
_NEEDS_PRODUCT = frozenset({"view", "click", "add_to_cart", "purchase"})
_LOCALES = frozenset({"zh", "en"})
_intern = sys.intern


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
    product_id = _intern(record.get("product_id") or "") or None
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


# The layout _read_behavior reads: (field name, Avro type with logical types dropped).
_BEHAVIOR_LAYOUT: tuple[tuple[str, Any], ...] = (
    ("event_id", "string"),
    ("user_id", "string"),
    ("session_id", "string"),
    ("type", ("enum", BEHAVIOR_TYPES)),
    ("product_id", ("null", "string")),
    ("query", ("null", "string")),
    ("timestamp", "long"),
    ("context", ("map", "string")),
)


def _layout_of(schema: Any) -> tuple[tuple[str, Any], ...] | None:
    """A parsed record schema's field layout in the form of ``_BEHAVIOR_LAYOUT``."""

    def shape(t: Any) -> Any:
        if isinstance(t, str):
            return t
        if isinstance(t, list):
            return tuple(shape(x) for x in t)
        if isinstance(t, dict):
            kind = t.get("type")
            if kind == "enum":
                return ("enum", tuple(t.get("symbols", ())))
            if kind == "map":
                return ("map", shape(t.get("values")))
            if kind in ("long", "string"):
                return kind
        return None

    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    return tuple((f.get("name"), shape(f.get("type"))) for f in schema.get("fields", ()))


FAST_BEHAVIOR_READER = _layout_of(load_schema("UserBehavior")) == _BEHAVIOR_LAYOUT


_MAX_VARINT_BYTES = 10  # a 64-bit long
# timestamp-millis that datetime can hold (the general path turns the value into one)
_MAX_TS_MS = 253_402_300_799_999


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    """The raw (still zig-zag encoded) varint at ``pos`` and the position after it."""
    b = data[pos]
    n = b & 0x7F
    shift = 7
    stop = pos + _MAX_VARINT_BYTES
    while b & 0x80:
        pos += 1
        if pos >= stop:
            raise ValueError("varint longer than a long")
        b = data[pos]
        n |= (b & 0x7F) << shift
        shift += 7
    return n, pos + 1


def _string(data: bytes, pos: int) -> tuple[str, int]:
    """The Avro string at ``pos`` and the position after it."""
    n = data[pos]
    if n & 0x80:
        n, pos = _uvarint(data, pos)
    else:
        pos += 1
    end = pos + (n >> 1)
    if n & 1 or end > len(data):
        raise ValueError("negative or overlong string length")
    return data[pos:end].decode(), end


def _optional_string(data: bytes, pos: int) -> tuple[str | None, int]:
    """A union [null, string] at ``pos``: branch byte 0x00 (null) or 0x02 (string)."""
    branch = data[pos]
    if branch == 2:
        return _string(data, pos + 1)
    if branch:
        raise ValueError("bad union branch")
    return None, pos + 1


def _read_behavior(data: bytes) -> Behavior:
    """Read a plain-Avro UserBehavior value into a Behavior. Raises (any exception) when it
    cannot vouch for the result: malformed, unusual or invalid values go the general way.

    The three leading strings are read inline when their length is one byte (under 64
    bytes; ``_string`` otherwise): a string running past the end leaves ``pos`` beyond
    it, and the next read (there always is one) raises."""
    n = data[0]
    if n & 0x81:  # a negative or multi-byte length
        event_id, pos = _string(data, 0)
    else:
        pos = 1 + (n >> 1)
        event_id = data[1:pos].decode()
    n = data[pos]
    if n & 0x81:
        user_id, pos = _string(data, pos)
    else:
        start = pos + 1
        pos = start + (n >> 1)
        user_id = data[start:pos].decode()
    n = data[pos]
    if n & 0x81:
        _session, pos = _string(data, pos)  # not needed, but it must be valid
    else:
        start = pos + 1
        pos = start + (n >> 1)
        data[start:pos].decode()  # must be valid UTF-8, as in _string
    n = data[pos]  # the type: an enum index, zig-zag encoded
    if n & 1:
        raise ValueError("negative enum index")
    kind = BEHAVIOR_TYPES[n >> 1]
    product_id, pos = _optional_string(data, pos + 1)
    query, pos = _optional_string(data, pos)
    ts_ms, pos = _uvarint(data, pos)
    ts_ms = (ts_ms >> 1) ^ -(ts_ms & 1)
    if not 0 <= ts_ms <= _MAX_TS_MS:
        raise ValueError("timestamp outside the datetime range")
    # context: blocks of string → string entries, ended by a zero count; only locale is used
    locale = None
    n = data[pos]
    pos += 1
    while n:
        if n & 0x81:
            raise ValueError("sized or long map block")  # negative count, or 64+ entries
        for _ in range(n >> 1):
            key, pos = _string(data, pos)
            value, pos = _string(data, pos)
            if key == "locale":
                locale = value
        n = data[pos]
        pos += 1
    if pos != len(data):
        raise ValueError("trailing bytes")
    if not (event_id.strip() and user_id.strip()) or (kind in _NEEDS_PRODUCT and not product_id):
        raise ValueError("invalid")  # the general path says which way
    return Behavior(
        event_id,
        user_id,
        kind,
        _intern(product_id) if product_id else None,
        query or None,
        ts_ms,
        locale if locale in _LOCALES else None,
    )


def decode_behavior(data: bytes, codec: Codec, topic: str = "") -> Behavior:
    """Decode and validate a user-behavior value."""
    if FAST_BEHAVIOR_READER and type(codec) is PlainAvroCodec and codec.name == "UserBehavior":
        try:
            return _read_behavior(data)
        except Exception:  # noqa: BLE001 - the general path below decides and says why
            pass
    return behavior_from_record(codec.decode(data, topic))


def decode_product(data: bytes, codec: Codec, topic: str = "") -> CatalogEntry:
    """Decode and validate a product-created value into a catalog entry."""
    record = codec.decode(data, topic)
    locale = record.get("locale")
    if locale not in _LOCALES:
        raise BadInput("validate", f"unsupported locale: {locale!r}")
    item = item_from_product(record)
    return entry_from_item(item, locale, millis(record.get("created_at", 0)))
