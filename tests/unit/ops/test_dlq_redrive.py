"""Redrive selects, refuses with reasons, and sends the original record with a trail."""

from __future__ import annotations

from tests.unit.ops.test_dlq_inspect import ROWS, row
from workers.ops.dlq_inspect import DeadLetterRow, Filters, facts_of
from workers.ops.dlq_redrive import plan_redrive, redrive_record


def _with(r: DeadLetterRow, *extra: tuple[str, bytes]) -> DeadLetterRow:
    headers = (*r.headers, *extra)
    return DeadLetterRow(
        r.partition, r.offset, r.timestamp_ms, r.key, r.value, headers, facts_of(headers)
    )


def test_plan_selects_matching_rows_for_known_topics() -> None:
    """Matching rows whose source topic exists are selected; the rest are refused with reasons."""
    plan = plan_redrive(ROWS, Filters(stage="validate"), {"product-created"})
    assert [r.offset for r in plan.selected] == [1, 2]
    assert [why for _, why in plan.refused] == ["source topic content-requests does not exist"]
    assert plan.by_topic() == {"product-created": 2}
    assert "would redrive (dry run" in plan.text("dlq", execute=False)


def test_truncated_and_looping_records_are_refused() -> None:
    """A value cut at dead-lettering, or a record redriven too often, never goes back."""
    cut = _with(row(5, "decode", "x"), ("copyflow.dlq.truncated_from", b"999000"))
    loop = _with(row(6, "decode", "x"), ("copyflow.redrive.count", b"3"))
    plan = plan_redrive([cut, loop], Filters(), {"product-created"}, max_redrives=3)
    assert plan.selected == []
    assert [why for _, why in plan.refused] == [
        "value was truncated when dead-lettered",
        "already redriven 3 times (--max-redrives)",
    ]


def test_redriven_record_is_the_original_plus_a_trail() -> None:
    """Same key and bytes, original headers without dlq facts, and the redrive count + origin."""
    once = _with(row(7, "decode", "x", value=b"\x00raw"), ("copyflow.redrive.count", b"1"))
    rec = redrive_record(once, "copyflow-dlq", now_ms=123)
    assert (rec.topic, rec.key, rec.value) == ("product-created", b"k", b"\x00raw")
    assert rec.headers == (
        ("trace", b"t"),
        ("copyflow.redrive.count", b"2"),
        ("copyflow.redrive.from", b"copyflow-dlq:0:7"),
        ("copyflow.redrive.at", b"123"),
    )
