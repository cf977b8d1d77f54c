"""Dead-letter records keep the original headers and add the reason, stage and source."""

from __future__ import annotations

from tests.unit.factories import envelope
from workers.kafka.dlq import dead_letter_headers, dlq_facts


def test_headers_carry_reason_stage_and_source() -> None:
    """The facts can be read back from the headers, and original headers come first."""
    env = envelope(b"\x00bad", offset=41)
    headers = dead_letter_headers(env, "decode", "not valid Avro")
    assert headers[0] == ("trace", b"t1")
    facts = dlq_facts(headers)
    assert facts["reason"] == "not valid Avro"
    assert facts["stage"] == "decode"
    assert facts["source.topic"] == "product-created"
    assert facts["source.offset"] == "41"
    assert int(facts["timestamp"]) > 0
