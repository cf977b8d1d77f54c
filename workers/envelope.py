"""What came off the wire, kept intact so a dead letter can carry the original bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Envelope:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int

    @classmethod
    def from_message(cls, msg: Any) -> Envelope:
        """Copy a confluent_kafka.Message (already checked for ``error()``)."""
        raw_headers = msg.headers() or []
        headers = tuple((k, v if isinstance(v, bytes) else b"") for k, v in raw_headers)
        _ts_type, ts = msg.timestamp()
        return cls(
            topic=msg.topic(),
            partition=msg.partition(),
            offset=msg.offset(),
            key=msg.key(),
            value=msg.value() or b"",
            headers=headers,
            timestamp_ms=int(ts),
        )
