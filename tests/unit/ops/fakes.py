"""Small stand-ins for confluent-kafka clients, so Kafka-edge logic is tested without a broker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition


def kafka_exc(
    code: int = KafkaError._TIMED_OUT,
    *,
    fatal: bool = False,
    retriable: bool = False,
    abort: bool = False,
) -> KafkaException:
    """A KafkaException carrying a KafkaError with the given classification."""
    return KafkaException(
        KafkaError(code, "injected", fatal=fatal, retriable=retriable, txn_requires_abort=abort)
    )


@dataclass
class FakeProducer:
    """Records the transactional calls; ``fail`` maps a call name to errors raised in turn."""

    fail: dict[str, list[Exception]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    produced: list[tuple[str, bytes | None, bytes, Any]] = field(default_factory=list)
    committed: list[list[tuple[str, bytes | None, bytes, Any]]] = field(default_factory=list)
    _open: list[tuple[str, bytes | None, bytes, Any]] = field(default_factory=list)

    def _call(self, name: str) -> None:
        self.calls.append(name)
        errors = self.fail.get(name)
        if errors:
            raise errors.pop(0)

    def init_transactions(self, timeout: float | None = None) -> None:
        self._call("init_transactions")

    def begin_transaction(self) -> None:
        self._call("begin_transaction")
        self._open = []

    def produce(self, topic: str, value: bytes, key: bytes | None = None, **kw: Any) -> None:
        self._call("produce")
        self._open.append((topic, key, value, kw.get("headers")))
        self.produced.append((topic, key, value, kw.get("headers")))

    def send_offsets_to_transaction(
        self, offsets: Any, meta: Any, timeout: float | None = None
    ) -> None:
        self._call("send_offsets_to_transaction")

    def commit_transaction(self, timeout: float | None = None) -> None:
        self._call("commit_transaction")
        self.committed.append(self._open)
        self._open = []

    def abort_transaction(self, timeout: float | None = None) -> None:
        self._call("abort_transaction")
        self._open = []

    def flush(self, timeout: float | None = None) -> int:
        self.calls.append("flush")
        return 0

    def poll(self, timeout: float | None = None) -> int:
        return 0


@dataclass
class FakeMessage:
    """Just enough of confluent_kafka.Message."""

    _topic: str
    _partition: int
    _offset: int
    _value: bytes | None = b"v"
    _key: bytes | None = b"k"
    _error: KafkaError | None = None
    _headers: list[tuple[str, bytes]] | None = None
    _timestamp: int = 1_700_000_000_000

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def error(self) -> KafkaError | None:
        return self._error

    def headers(self) -> list[tuple[str, bytes]] | None:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return (1, self._timestamp)


def eof(topic: str, partition: int, offset: int) -> FakeMessage:
    return FakeMessage(topic, partition, offset, _error=KafkaError(KafkaError._PARTITION_EOF))


@dataclass
class FakeConsumer:
    """Hands out scripted ``consume()`` results; records seeks and pauses."""

    batches: list[list[FakeMessage]] = field(default_factory=list)
    assigned: list[TopicPartition] = field(default_factory=list)
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    watermarks: dict[tuple[str, int], tuple[int, int] | None] = field(default_factory=dict)
    committed_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    seeks: list[TopicPartition] = field(default_factory=list)
    paused: list[TopicPartition] = field(default_factory=list)
    seek_error: Exception | None = None
    on_consume: Callable[[], None] | None = None

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[FakeMessage]:
        if self.on_consume is not None:
            self.on_consume()
        return self.batches.pop(0) if self.batches else []

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = list(partitions)

    def assignment(self) -> list[TopicPartition]:
        return list(self.assigned)

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [
            TopicPartition(
                tp.topic, tp.partition, self.positions.get((tp.topic, tp.partition), -1001)
            )
            for tp in partitions
        ]

    def committed(
        self, partitions: list[TopicPartition], timeout: float | None = None
    ) -> list[TopicPartition]:
        return [
            TopicPartition(
                tp.topic, tp.partition, self.committed_offsets.get((tp.topic, tp.partition), -1001)
            )
            for tp in partitions
        ]

    def get_watermark_offsets(
        self, tp: TopicPartition, timeout: float | None = None, cached: bool = False
    ) -> tuple[int, int] | None:
        return self.watermarks.get((tp.topic, tp.partition), (0, 0))

    def seek(self, tp: TopicPartition) -> None:
        if self.seek_error is not None:
            raise self.seek_error
        self.seeks.append(tp)

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused.extend(partitions)

    def consumer_group_metadata(self) -> str:
        return "group-metadata"

    def commit(self, offsets: Any = None, asynchronous: bool = True) -> None:
        pass

    def close(self) -> None:
        pass
