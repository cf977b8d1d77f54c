"""The compliance helpers that keep banned claims and invented numbers out of targets."""

from __future__ import annotations

import pytest

from export.compliance import banned_terms, numbers, unsupported_numbers

pytestmark = pytest.mark.export


def test_banned_zh_terms_are_found() -> None:
    """Absolute zh terms (Advertising Law Art. 9) are detected as substrings."""
    assert set(banned_terms("全网最低价，销量第一的顶级好物")) >= {"最", "第一", "顶级", "全网"}


def test_banned_en_terms_respect_word_boundaries() -> None:
    """'best' is caught but 'bestow' is not; '#1' is caught."""
    assert banned_terms("The best charger") == ["best"]
    assert banned_terms("We bestow a gift") == []
    assert "#1" in banned_terms("#1 seller")


def test_full_width_text_is_normalised() -> None:
    """Full-width digits and letters cannot slip past the checks."""
    assert numbers("仅需１９９.００元") == ["199.00"]
    assert banned_terms("ＢＥＳＴ deal") == ["best"]


def test_unsupported_numbers() -> None:
    """Numbers not present verbatim in the facts are reported."""
    assert unsupported_numbers("20000mAh，199.00元，3天", ["20000mAh", "199.00 CNY"]) == ["3"]
