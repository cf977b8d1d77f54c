"""A transactional producer for the ops tools: records and offsets commit together or not at all.

Same rules as the generator loop (``workers.generator.loop``), which keeps its own copy so the
generator never depends on ops: retriable errors are retried (bounded), abortable ones abort
and raise ``Transient``, fatal ones (fenced by a newer instance) raise ``Fatal``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from confluent_kafka import KafkaException, Producer, TopicPartition

from workers.errors import Fatal, Transient

log = structlog.get_logger("copyflow.ops")

RETRIES = 5


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One record to write."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


def _retry(what: str, call: Callable[[], object]) -> None:
    for attempt in range(RETRIES + 1):
        try:
            call()
            return
        except KafkaException as exc:
            err = exc.args[0]
            if err.fatal():
                raise Fatal(f"{what}: {err}") from exc
            if attempt == RETRIES or not err.retriable() or err.txn_requires_abort():
                raise
            log.warning("txn_call_retry", call=what, attempt=attempt + 1, error=str(err))
            time.sleep(min(0.2 * 2**attempt, 5.0))


class TransactionalWriter:
    """``write(records, offsets, group_metadata)``: one transaction per call."""

    def __init__(
        self, conf: Mapping[str, Any], transactional_id: str, producer: Any | None = None
    ) -> None:
        self._producer = producer or Producer(
            {
                **conf,
                "transactional.id": transactional_id,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "compression.type": "lz4",
            }
        )
        # Fences an older writer with the same id (the same replay started twice).
        _retry("init_transactions", lambda: self._producer.init_transactions(30))
        self.transactions = 0

    def write(
        self,
        records: Sequence[OutRecord],
        offsets: Sequence[TopicPartition] = (),
        group_metadata: object | None = None,
    ) -> None:
        """Write ``records`` and, if given, commit ``offsets`` for the group, atomically."""
        p = self._producer
        in_txn = False
        try:
            p.begin_transaction()
            in_txn = True
            for r in records:
                while True:
                    try:
                        p.produce(r.topic, r.value, r.key, headers=list(r.headers))
                        break
                    except BufferError:
                        p.poll(0.1)
            if offsets:
                _retry(
                    "send_offsets_to_transaction",
                    lambda: p.send_offsets_to_transaction(list(offsets), group_metadata, 30),
                )
            _retry("commit_transaction", lambda: p.commit_transaction(60))
            self.transactions += 1
        except KafkaException as exc:
            err = exc.args[0]
            if err.fatal():
                raise Fatal(f"writer fenced or fatal: {err}") from exc
            if in_txn:
                try:
                    _retry("abort_transaction", lambda: p.abort_transaction(30))
                except KafkaException as abort_exc:
                    raise Fatal(f"cannot abort: {abort_exc.args[0]}") from abort_exc
            raise Transient(f"transaction aborted: {err}") from exc

    def close(self) -> None:
        self._producer.flush(10)
