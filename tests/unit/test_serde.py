"""Avro codecs: round trips, strict decoding and compatibility with previous versions."""

from __future__ import annotations

import io
import json
from pathlib import Path

import fastavro
import pytest

from tests.unit.factories import product_record, request
from workers.errors import BadInput
from workers.generator.requests import request_to_avro
from workers.serde import SCHEMA_DIR, SCHEMA_FILES, PlainAvroCodec, make_codec

HISTORY = SCHEMA_DIR / "history"

SAMPLES = {
    "ProductCreated": product_record(),
    "UserBehavior": {
        "event_id": "e1",
        "user_id": "u1",
        "session_id": "s1",
        "type": "add_to_cart",
        "product_id": "P1",
        "query": None,
        "timestamp": 1_700_000_000_000,
        "context": {"device": "ios"},
    },
    "ContentRequest": request_to_avro(request()),
    "GeneratedContent": {
        "content_id": "c1",
        "kind": "ad",
        "locale": "zh",
        "channel": "feed_card",
        "text": "声悦降噪耳机，到手价399.00元",
        "product_ids": ["P1"],
        "user_id": None,
        "model_name": "m",
        "model_version": "1",
        "model_sha256": "0" * 64,
        "seed": 42,
        "source_topic": "product-created",
        "source_partition": 0,
        "source_offset": 7,
        "source_event_id": "e1",
        "guards": [{"name": "facts", "passed": True, "detail": ""}],
        "attempts": 1,
        "fallback": False,
        "latency_ms": 12.5,
        "created_at": 1_700_000_000_000,
    },
}


def _normalize(rec: dict) -> dict:
    return json.loads(json.dumps(rec, default=str))


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_round_trip(name: str) -> None:
    """Every schema encodes a sample and decodes it back unchanged."""
    codec = PlainAvroCodec(name)
    decoded = codec.decode(codec.encode(SAMPLES[name]))
    original = _normalize(SAMPLES[name])
    got = _normalize(decoded)
    for key in ("created_at", "emitted_at", "timestamp"):
        original.pop(key, None)
        got.pop(key, None)
    assert got == original


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_compatible_with_previous_version(name: str) -> None:
    """Data written with the previous schema version is readable with the current one."""
    stem = Path(SCHEMA_FILES[name]).stem
    previous = sorted(HISTORY.glob(f"{stem}.v*.avsc"))
    assert previous, f"no previous version of {name} in schemas/history/"
    old = fastavro.parse_schema(json.loads(previous[-1].read_text()))
    new = fastavro.parse_schema(json.loads((SCHEMA_DIR / SCHEMA_FILES[name]).read_text()))
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, old, SAMPLES[name])
    buf.seek(0)
    assert fastavro.schemaless_reader(buf, old, new) is not None


def test_garbage_is_bad_input() -> None:
    """Bytes that are not Avro of the schema raise BadInput at the decode stage."""
    codec = PlainAvroCodec("ProductCreated")
    with pytest.raises(BadInput) as info:
        codec.decode(b"\xff\xfe not avro at all")
    assert info.value.stage == "decode"


def test_trailing_bytes_are_bad_input() -> None:
    """A record followed by extra bytes was written with another schema: rejected."""
    codec = PlainAvroCodec("ProductCreated")
    with pytest.raises(BadInput, match="trailing"):
        codec.decode(codec.encode(product_record()) + b"\x00\x01")


def test_other_schema_is_bad_input() -> None:
    """A UserBehavior record on the product topic does not decode as ProductCreated."""
    behavior = PlainAvroCodec("UserBehavior").encode(SAMPLES["UserBehavior"])
    with pytest.raises(BadInput):
        PlainAvroCodec("ProductCreated").decode(behavior)


def test_encode_rejects_missing_field() -> None:
    """Encoding a record without a required field is refused, not silently defaulted."""
    rec = product_record()
    del rec["title"]
    with pytest.raises(BadInput):
        PlainAvroCodec("ProductCreated").encode(rec)


def test_make_codec_defaults_to_plain_avro() -> None:
    """Without a registry URL the codec is plain Avro."""
    assert isinstance(make_codec("ProductCreated"), PlainAvroCodec)


def test_registry_codec_uses_confluent_wire_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a registry URL the codec writes the magic byte and schema id (mock:// registry)."""
    codec = make_codec("ProductCreated", registry_url="mock://copyflow-test")
    data = codec.encode(product_record(), "product-created")
    assert data[0] == 0  # Confluent magic byte
    decoded = codec.decode(data, "product-created")
    assert decoded["product_id"] == "P1"
