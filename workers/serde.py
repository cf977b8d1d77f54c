"""Avro codecs for the schemas in ``schemas/``.

Two wire formats:
- plain Avro (schemaless binary, the schema is the file in ``schemas/``): the default;
- the Confluent Schema Registry wire format (magic byte, schema id, Avro), through
  ``confluent_kafka.schema_registry``, when a registry URL is configured.
Decoding is strict: trailing bytes mean the writer used another schema, which is bad input.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import fastavro
from fastavro.types import Schema

from workers.errors import BadInput
from workers.settings import REPO_ROOT

SCHEMA_DIR = REPO_ROOT / "schemas"
SCHEMA_FILES = {
    "ProductCreated": "product_created.avsc",
    "UserBehavior": "user_behavior.avsc",
    "ContentRequest": "content_request.avsc",
    "GeneratedContent": "generated_content.avsc",
}


@cache
def load_schema(name: str, schema_dir: Path = SCHEMA_DIR) -> Schema:
    """Parse one schema by record name, e.g. ``load_schema("ProductCreated")``."""
    raw = json.loads((schema_dir / SCHEMA_FILES[name]).read_text(encoding="utf-8"))
    return fastavro.parse_schema(raw)


def schema_text(name: str, schema_dir: Path = SCHEMA_DIR) -> str:
    return (schema_dir / SCHEMA_FILES[name]).read_text(encoding="utf-8")


class Codec(Protocol):
    """The one serialization seam: bytes in, a record dict out, and back."""

    def encode(self, record: Mapping[str, Any], topic: str) -> bytes: ...

    def decode(self, data: bytes, topic: str) -> dict[str, Any]: ...


class PlainAvroCodec:
    """Schemaless Avro binary against a schema file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.schema = load_schema(name)

    def encode(self, record: Mapping[str, Any], topic: str = "") -> bytes:
        buf = io.BytesIO()
        try:
            fastavro.schemaless_writer(buf, self.schema, dict(record))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BadInput("encode", f"{self.name}: {exc}") from exc
        return buf.getvalue()

    def decode(self, data: bytes, topic: str = "") -> dict[str, Any]:
        buf = io.BytesIO(data)
        try:
            record = fastavro.schemaless_reader(buf, self.schema, None)
        except Exception as exc:
            raise BadInput(
                "decode", f"{self.name}: not valid Avro ({type(exc).__name__}: {exc})"
            ) from exc
        if buf.tell() != len(data):
            raise BadInput(
                "decode",
                f"{self.name}: {len(data) - buf.tell()} trailing bytes "
                "(written with another schema?)",
            )
        if not isinstance(record, dict):
            raise BadInput("decode", f"{self.name}: not a record")
        return record


class RegistryAvroCodec:
    """Confluent wire format with schemas registered in a Schema Registry."""

    def __init__(self, name: str, url: str, basic_auth: str | None = None) -> None:
        # Imported here: the registry client is only needed when a registry is configured.
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer

        conf: dict[str, str] = {"url": url}
        if basic_auth:
            conf["basic.auth.user.info"] = basic_auth
        # new_client also understands mock:// URLs (an in-process registry for tests).
        client = SchemaRegistryClient.new_client(conf)
        text = schema_text(name)
        self.name = name
        self._serializer = AvroSerializer(client, text)
        self._deserializer = AvroDeserializer(client, text)

    def encode(self, record: Mapping[str, Any], topic: str) -> bytes:
        from confluent_kafka.serialization import MessageField, SerializationContext

        out = self._serializer(dict(record), SerializationContext(topic, MessageField.VALUE))
        assert out is not None
        return bytes(out)

    def decode(self, data: bytes, topic: str) -> dict[str, Any]:
        from confluent_kafka.serialization import MessageField, SerializationContext

        try:
            record = self._deserializer(data, SerializationContext(topic, MessageField.VALUE))
        except Exception as exc:
            raise BadInput("decode", f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if not isinstance(record, dict):
            raise BadInput("decode", f"{self.name}: not a record")
        return record


def make_codec(name: str, registry_url: str | None = None, basic_auth: str | None = None) -> Codec:
    """Plain Avro unless a Schema Registry URL is configured."""
    if registry_url:
        return RegistryAvroCodec(name, registry_url, basic_auth)
    return PlainAvroCodec(name)
