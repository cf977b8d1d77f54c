"""The exactly-once audit's arithmetic: lost, duplicated and extra."""

from __future__ import annotations

from collections import Counter

from workers.ops.audit import AuditReport, tally


def test_tally_counts_lost_duplicated_and_extra() -> None:
    """Missing keys are lost, repeats are duplicates, unexpected keys are extra."""
    t = tally({"a", "b", "c"}, Counter({"a": 1, "b": 3, "z": 2}))
    assert (t.expected, t.seen, t.lost, t.duplicated, t.extra) == (3, 6, 1, 2, 2)
    assert not t.exact


def test_exact_when_everything_is_there_once() -> None:
    """One output per expected key and nothing else is exact; the report says so."""
    ok = tally({"a", "b"}, Counter({"a": 1, "b": 1}))
    report = AuditReport(ok, tally(set(), Counter()))
    assert report.exact
    assert "lost=0 duplicated=0 extra=0" in report.text()
