"""Tests for workers.guards._text."""

from __future__ import annotations

from workers.guards._text import fold, normalize, squeeze


def test_normalize_folds_width_and_controls() -> None:
    """Full-width characters fold to ASCII and control characters become single spaces."""
    assert normalize("Ｘ２００\x00\n  耳机") == "X200 耳机"


def test_normalize_keeps_chinese_comma_apart() -> None:
    """The Chinese comma becomes ", " so numbers on either side stay apart."""
    assert normalize("199，299") == "199, 299"


def test_fold_and_squeeze() -> None:
    """fold lower-cases; squeeze also drops whitespace and format characters."""
    assert fold("BEST Seller") == "best seller"
    assert squeeze("最 佳\u200b选择") == "最佳选择"
