"""DLQ inspection: filters, reason grouping, safe previews and the summary table."""

from __future__ import annotations

import pytest

from workers.envelope import Envelope
from workers.errors import BadInput
from workers.kafka.dlq import dead_letter_headers
from workers.ops.dlq_inspect import (
    DeadLetterRow,
    Filters,
    facts_of,
    format_summary,
    parse_offsets,
    preview,
    reason_pattern,
    summarize,
)


def row(
    offset: int, stage: str, reason: str, value: bytes = b"x", source: str = "product-created"
) -> DeadLetterRow:
    """A dead letter as the worker writes it."""
    env = Envelope(source, 2, 40 + offset, b"k", value, (("trace", b"t"),), 0)
    headers = (*dead_letter_headers(env, stage, reason), ("copyflow.dlq.class", b"bad_input"))
    return DeadLetterRow(0, offset, 0, b"k", value, tuple(headers), facts_of(headers))


ROWS = [
    row(0, "decode", "ProductCreated: not valid Avro (EOFError: )"),
    row(1, "validate", "price out of range: -3.00"),
    row(2, "validate", "price out of range: -7.50"),
    row(3, "validate", "missing or empty field: event_id", source="content-requests"),
]


def test_filters_select_by_stage_reason_source_and_offsets() -> None:
    """Every filter narrows the selection; reason matching ignores case."""
    assert [r.offset for r in ROWS if Filters(stage="validate").match(r)] == [1, 2, 3]
    assert [r.offset for r in ROWS if Filters(reason="PRICE").match(r)] == [1, 2]
    assert [r.offset for r in ROWS if Filters(source_topic="content-requests").match(r)] == [3]
    assert [r.offset for r in ROWS if Filters(offsets=parse_offsets("0:0-1,0:3")).match(r)] == [
        0,
        1,
        3,
    ]
    assert [r.offset for r in ROWS if Filters(error_class="unexpected").match(r)] == []


def test_parse_offsets_refuses_garbage() -> None:
    """Offsets must be PARTITION:OFFSET or PARTITION:FROM-TO, in order."""
    with pytest.raises(BadInput):
        parse_offsets("0:9-3")
    with pytest.raises(BadInput):
        parse_offsets("zero")


def test_reasons_group_by_pattern() -> None:
    """Reasons that differ only in numbers or quoted values count together."""
    assert reason_pattern("price out of range: -3.00") == reason_pattern(
        "price out of range: -7.50"
    )
    assert reason_pattern("unsupported locale: 'fr'") == "unsupported locale: '…'"


def test_summary_counts_and_samples() -> None:
    """Counts by stage, class, reason and source topic, and the first matching rows as samples."""
    s = summarize(ROWS, Filters(), samples=2)
    assert (s.total, s.matched) == (4, 4)
    assert s.by_stage == {"validate": 3, "decode": 1}
    assert s.by_class == {"bad_input": 4}
    assert s.by_reason["price out of range: -N"] == 2
    assert s.by_source_topic == {"product-created": 3, "content-requests": 1}
    assert [r.offset for r in s.samples] == [0, 1]
    table = format_summary(s, "copyflow-dlq")
    assert "4 dead letters, 4 match" in table and "product-created[2]@40" in table


def test_preview_never_prints_control_characters() -> None:
    """Hostile bytes are escaped and cut, so inspecting cannot mess up a terminal."""
    text = preview(b"\x1b[2J\x00ok\xff" + b"a" * 100, limit=10)
    assert "\x1b" not in text and "\x00" not in text and text.endswith("…")
