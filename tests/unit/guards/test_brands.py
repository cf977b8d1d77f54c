"""Tests for workers.guards.brands."""

from __future__ import annotations

from workers.guards.brands import KNOWN_BRANDS


def test_groups_are_non_empty_and_unique() -> None:
    """Each group names a brand, and no alias belongs to two brands."""
    aliases = [alias for group in KNOWN_BRANDS for alias in group]
    assert all(KNOWN_BRANDS)
    assert len({a.casefold() for a in aliases}) == len(aliases)


def test_everyday_chinese_words_are_left_out() -> None:
    """Chinese brand names that are also everyday words would fail ordinary copy."""
    aliases = {alias for group in KNOWN_BRANDS for alias in group}
    assert not aliases & {"苹果", "美的", "荣耀", "联想", "小熊", "一加", "真我"}
