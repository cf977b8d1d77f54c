"""The ops transactional writer: retry what may pass, abort what must, stop when fenced."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, TopicPartition

from tests.unit.ops.fakes import FakeProducer, kafka_exc
from workers.errors import Fatal, Transient
from workers.ops.txn import OutRecord, TransactionalWriter


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries back off with sleeps; tests need not wait."""
    monkeypatch.setattr("workers.ops.txn.time.sleep", lambda _s: None)


def _writer(producer: FakeProducer) -> TransactionalWriter:
    return TransactionalWriter({}, "tx", producer=producer)


def test_init_fences_and_write_commits_records_and_offsets() -> None:
    """init_transactions runs once; a write is begin, produce, offsets, commit."""
    p = FakeProducer()
    w = _writer(p)
    w.write([OutRecord("out", b"k", b"v")], [TopicPartition("src", 0, 3)], "meta")
    assert p.calls == [
        "init_transactions",
        "begin_transaction",
        "produce",
        "send_offsets_to_transaction",
        "commit_transaction",
    ]
    assert w.transactions == 1 and p.committed == [[("out", b"k", b"v", [])]]


def test_retriable_init_is_retried() -> None:
    """A coordinator that is still loading is waited for, not treated as fatal."""
    p = FakeProducer(
        fail={
            "init_transactions": [
                kafka_exc(KafkaError.COORDINATOR_LOAD_IN_PROGRESS, retriable=True)
            ]
        }
    )
    _writer(p)
    assert p.calls.count("init_transactions") == 2


def test_abortable_commit_aborts_and_raises_transient() -> None:
    """A commit that needs an abort leaves nothing behind and says so."""
    p = FakeProducer(fail={"commit_transaction": [kafka_exc(abort=True)]})
    w = _writer(p)
    with pytest.raises(Transient, match="aborted"):
        w.write([OutRecord("out", None, b"v")])
    assert p.calls[-1] == "abort_transaction" and p.committed == []


def test_fenced_writer_is_fatal() -> None:
    """A second copy of the same replay fences this one: stop, do not abort and retry."""
    p = FakeProducer(fail={"produce": [kafka_exc(KafkaError._FENCED, fatal=True)]})
    with pytest.raises(Fatal):
        _writer(p).write([OutRecord("out", None, b"v")])
    assert "abort_transaction" not in p.calls
