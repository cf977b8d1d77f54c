"""Tests for workers.guards.result."""

from __future__ import annotations

import dataclasses

import pytest

from workers.guards.result import GuardResult, listing


def test_listing_drops_duplicates_and_cuts_long_lists() -> None:
    """A listing keeps first occurrences in order and says how many it left out."""
    assert listing("unsupported", ["299", "SuperMax", "299"]) == "unsupported: 299, SuperMax"
    assert listing("x", [str(i) for i in range(10)], limit=3) == "x: 0, 1, 2 (+7 more)"


def test_guard_result_is_frozen() -> None:
    """A verdict cannot be changed after the fact."""
    result = GuardResult("facts", True)
    assert result.detail == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.passed = False  # type: ignore[misc]
