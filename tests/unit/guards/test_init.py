"""Tests for workers.guards (check_all and passed)."""

from __future__ import annotations

from tests.unit.guards.factories import make_request, zh_request
from workers.guards import LENGTH_LIMITS, GuardResult, check_all, passed


def test_check_all_runs_every_guard_in_order() -> None:
    """check_all returns one verdict per guard, in a fixed order."""
    names = [r.name for r in check_all("Soft and light.", make_request())]
    assert names == ["form", "length", "compliance", "privacy", "facts", "pairing", "claims"]


def test_check_all_does_not_stop_at_the_first_failure() -> None:
    """Every failing guard reports, so the record explains every reason."""
    results = check_all("最佳耳机，仅需¥1<|eos|>", zh_request(channel="push"))
    failed = {r.name for r in results if not r.passed}
    assert failed == {"form", "compliance", "facts"}


def test_clean_copy_passes_in_both_locales() -> None:
    """Supported, compliant, short copy passes every guard."""
    assert passed(check_all("降噪蓝牙耳机 Q5，续航30小时，售价¥399。", zh_request(channel="push")))
    assert passed(check_all("Sonora H7: 35-hour battery, $129.99.", make_request(channel="push")))


def test_limits_pass_through() -> None:
    """A caller's length table reaches the length guard."""
    limits = dict(LENGTH_LIMITS)
    limits[("detail_page", "en")] = 3
    results = check_all("Soft and light.", make_request(), limits=limits)
    assert [r.name for r in results if not r.passed] == ["length"]


def test_passed_needs_verdicts() -> None:
    """passed is true only for a non-empty list of passing verdicts."""
    assert passed([GuardResult("a", True), GuardResult("b", True)])
    assert not passed([GuardResult("a", True), GuardResult("b", False, "why")])
    assert not passed([])
