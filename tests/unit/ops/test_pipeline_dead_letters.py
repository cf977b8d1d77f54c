"""Each class of bad input becomes a dead letter with its stage and class (pipeline.handle)."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import fastavro
import pytest

from tests.unit.factories import product_record
from workers.envelope import Envelope
from workers.generator.pipeline import DeadLetter, Output, Pipeline, handle
from workers.generator.writer import WrittenCopy, write_copy
from workers.serde import PlainAvroCodec, load_schema
from workers.settings import Settings


def _env(settings: Settings, value: bytes, topic: str | None = None) -> Envelope:
    return Envelope(topic or settings.topics.product_created, 0, 7, b"k", value, (), 0)


def _encode_unchecked(record: dict[str, object]) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, load_schema("ProductCreated"), record)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("value", "stage", "needle"),
    [
        (b"\x00\xff\xfe garbage", "decode", "Avro"),
        (_encode_unchecked(product_record(event_id="")), "validate", "event_id"),
        (_encode_unchecked(product_record(price=Decimal("-3.00"))), "validate", "out of range"),
        (_encode_unchecked(product_record(currency="dollars")), "validate", "ISO 4217"),
    ],
)
def test_bad_inputs_are_dead_lettered_as_bad_input(
    settings: Settings, canned_pipeline: Pipeline, value: bytes, stage: str, needle: str
) -> None:
    """Undecodable bytes, missing fields and out-of-range values: class bad_input, with a reason."""
    [outcome] = handle([_env(settings, value)], canned_pipeline)
    assert isinstance(outcome, DeadLetter)
    assert (outcome.stage, outcome.error_class) == (stage, "bad_input")
    assert needle in outcome.reason


def test_schema_mismatch_is_dead_lettered(settings: Settings, canned_pipeline: Pipeline) -> None:
    """A record written with another schema (a UserBehavior on the product topic) is refused."""
    other = PlainAvroCodec("UserBehavior").encode(
        {
            "event_id": "e",
            "user_id": "u",
            "session_id": "s",
            "type": "view",
            "product_id": "P",
            "query": None,
            "timestamp": 0,
            "context": {},
        }
    )
    [outcome] = handle([_env(settings, other)], canned_pipeline)
    assert isinstance(outcome, DeadLetter) and outcome.stage == "decode"


def test_unroutable_topic_is_dead_lettered(settings: Settings, canned_pipeline: Pipeline) -> None:
    """A record from a topic the pipeline has no decoder for goes to the DLQ at stage route."""
    [outcome] = handle([_env(settings, b"x", topic="elsewhere")], canned_pipeline)
    assert isinstance(outcome, DeadLetter) and outcome.stage == "route"


def test_unsatisfiable_request_is_unprocessable(
    settings: Settings,
    canned_pipeline: Pipeline,
    product_envelopes: Callable[..., list[Envelope]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When not even the template passes the guards, the input is dead-lettered whole."""
    real = write_copy

    def _failing(*args: object, **kw: object) -> list[WrittenCopy]:
        out = real(*args, **kw)  # type: ignore[arg-type]
        return [
            WrittenCopy(
                c.request, c.text, c.seed, c.attempts, True, c.guards, 0.0, publishable=False
            )
            if c.request.kind == "ad"
            else c
            for c in out
        ]

    monkeypatch.setattr("workers.generator.pipeline.write_copy", _failing)
    outcomes = handle(product_envelopes(1), canned_pipeline)
    # All or nothing per input: the description is not published without its ad.
    assert not [o for o in outcomes if isinstance(o, Output)]
    [dead] = outcomes
    assert isinstance(dead, DeadLetter)
    assert (dead.stage, dead.error_class) == ("guard", "unprocessable")
