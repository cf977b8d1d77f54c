"""Tests for workers.guards.english."""

from __future__ import annotations

import pytest

from workers.guards.english import is_common_word


@pytest.mark.parametrize(
    "word",
    [
        "Enjoy",
        "Meet",
        "Crafted",
        "designed",
        "Shopping",
        "picks",
        "Bigger",
        "tidier",
        "Don",
        "NEW",
        "Three",
        "Perfectly",
        "Navy",
    ],
)
def test_common_words_and_inflections(word: str) -> None:
    """Ordinary words, their inflections and contraction stems are common in any case."""
    assert is_common_word(word)


@pytest.mark.parametrize(
    "word", ["Sonora", "Bose", "Brightly", "Kitchenly", "Pro", "Ultra", "Italian", "Bluetooth"]
)
def test_names_are_not_common(word: str) -> None:
    """Brand-like coinages, model tiers, origins and tech names are not common words."""
    assert not is_common_word(word)
