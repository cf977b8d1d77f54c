"""Tests for workers.guards.privacy."""

from __future__ import annotations

import pytest

from tests.unit.guards.factories import make_request, zh_request
from workers.guards.privacy import check_privacy, id_needles


@pytest.mark.parametrize(
    "text",
    [
        "Hi u-88421973, these are for you.",
        "Picked for U-88421973.",  # case-insensitive
        "Your code 88421973 is ready.",  # a long run of the id alone
        "Ｕ-８８４２１９７３ picks",  # full width
    ],
)
def test_en_user_id_fails(text: str) -> None:
    """The user's id, whole or its long digit run, in any case or width, fails."""
    result = check_privacy(text, make_request())
    assert not result.passed
    assert result.detail == "personal data: user id"


def test_zh_user_id_next_to_cjk_fails() -> None:
    """An id glued to Chinese text is still found: CJK characters are a word boundary."""
    assert not check_privacy("用户u-88421973专享推荐", zh_request()).passed


@pytest.mark.parametrize(
    ("user_id", "text"),
    [
        ("u12", "Model u123 in stock."),  # id inside a longer word
        ("u-88421973", "Only 8842 left."),  # a short part of the id
        (None, "Picked for you."),
        ("---", "Picked for you --- today."),  # no letter or digit: cannot identify
    ],
)
def test_ordinary_copy_passes(user_id: str | None, text: str) -> None:
    """Text without the id, or with only short fragments of it, passes."""
    assert check_privacy(text, make_request(user_id=user_id)).passed


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Write to jane.doe@example.com today", "e-mail address"),
        ("致电13800138000咨询", "phone number"),
        ("Call +86 138 0013 8000 now", "phone number"),
    ],
)
def test_contact_data_fails(text: str, label: str) -> None:
    """E-mail addresses and phone numbers fail whoever they belong to."""
    result = check_privacy(text, make_request(user_id=None))
    assert not result.passed
    assert label in result.detail


def test_needles_hold_the_id_and_its_long_runs() -> None:
    """The id is searched whole and by letter/digit runs of six or more."""
    assert id_needles("U-88421973") == ["u-88421973", "88421973"]
    assert id_needles("   ") == []
    assert id_needles(None) == []
