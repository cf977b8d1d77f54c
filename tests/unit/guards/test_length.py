"""Tests for workers.guards.length."""

from __future__ import annotations

import pytest

from tests.unit.guards.factories import make_request, zh_request
from workers.domain import CHANNELS, LOCALES
from workers.guards.length import (
    LENGTH_LIMITS,
    check_form,
    check_length,
    length_units,
)


def test_table_covers_every_channel_and_locale() -> None:
    """There is one limit for each channel in each locale, as the brief sets them."""
    assert set(LENGTH_LIMITS) == {(c, loc) for c in CHANNELS for loc in LOCALES}
    assert LENGTH_LIMITS[("push", "zh")] == 30
    assert LENGTH_LIMITS[("detail_page", "en")] == 600


def test_zh_counts_width() -> None:
    """zh counts a CJK or full-width character as 1 and a half-width one as 0.5."""
    assert length_units("耳机", "zh") == 2
    assert length_units("Q5", "zh") == 1
    assert length_units("耳机 Q5，", "zh") == 4.5
    assert length_units("ＡＢ", "zh") == 2  # full-width Latin is wide


def test_en_counts_characters() -> None:
    """en counts characters, combining marks excepted."""
    assert length_units("Caf\u00e9", "en") == 4
    assert length_units("Cafe\u0301", "en") == 4


def test_zh_push_at_and_over_the_limit() -> None:
    """A zh push of exactly 30 passes and one of 30.5 fails, with the sizes in the detail."""
    request = zh_request(channel="push")
    assert check_length("耳" * 30, request).passed
    result = check_length("耳" * 30 + "a", request)
    assert not result.passed
    assert result.detail == "length 30.5 > 30 (push, zh)"


def test_en_feed_card_at_and_over_the_limit() -> None:
    """An en feed card of 140 characters passes and one of 141 fails."""
    request = make_request(channel="feed_card")
    assert check_length("a" * 140, request).passed
    assert not check_length("a" * 141, request).passed


def test_limits_can_be_overridden() -> None:
    """A caller's table replaces the default one."""
    limits = dict(LENGTH_LIMITS)
    limits[("push", "en")] = 5
    assert not check_length("Hello there", make_request(channel="push"), limits).passed


def test_surrounding_whitespace_is_not_counted() -> None:
    """Leading and trailing whitespace does not count toward the limit."""
    assert check_length("  " + "耳" * 30 + "  ", zh_request(channel="push")).passed


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\u3000",
        "line one\nline two",
        "tab\there",
        "zero\u200bwidth",
        "bidi\u202etext",
        "junk \ufffd",
        "private \ue000 use",
    ],
)
def test_form_rejects_empty_and_control_text(text: str) -> None:
    """Empty text and text with control, format or replacement characters fails."""
    assert not check_form(text, make_request()).passed


@pytest.mark.parametrize(
    "text",
    [
        "Great sound<|eos|>",
        "<|copy|>Nice",
        "text |> tail",
        "Nice</s>",
        "[UNK] headphones",
        "＜｜eos｜＞ full width",
    ],
)
def test_form_rejects_leftover_special_tokens(text: str) -> None:
    """Special-token fragments of any tokenizer family mean the decode went wrong."""
    result = check_form(text, make_request())
    assert not result.passed
    assert "special tokens" in result.detail


@pytest.mark.parametrize(
    ("text", "locale"),
    [("降噪耳机 Q5，售价¥399。", "zh"), ("Soft tee, $19.00.", "en"), ("A < B | C > D", "en")],
)
def test_form_passes_clean_text(text: str, locale: str) -> None:
    """Clean one-line copy in its own language passes."""
    assert check_form(text, make_request(locale=locale)).passed


def test_english_copy_drifting_into_chinese_fails_form() -> None:
    """A hot sample that slides into the other language is not published."""
    from tests.unit.factories import request
    from workers.guards.length import check_form

    req = request()
    drifted = "Black finish, 35 hours of play, by Sonora,T马上身。来自Headphones."
    result = check_form(drifted, req)
    assert not result.passed and "马上身" in result.detail
    assert check_form("Black finish, 35 hours of play, by Sonora.", req).passed


def test_chinese_values_in_english_copy_are_not_a_drift() -> None:
    """A Chinese brand or colour from the request may stand in English copy."""
    from tests.unit.factories import item, request
    from workers.guards.length import check_form

    req = request(items=(item(brand="声悦", attributes={"color": "曜石黑"}),))
    assert check_form("声悦 headphones in 曜石黑, 129.99 USD.", req).passed
    assert not check_form("声悦 headphones, 好听.", req).passed


def test_chinese_copy_may_hold_latin_and_full_width_marks() -> None:
    from tests.unit.factories import request
    from workers.guards.length import check_form

    req = request(locale="zh")
    assert check_form("Sonora 耳机｜续航35小时｜到手价129.99元", req).passed


def test_chinese_copy_drifting_into_english_fails_form() -> None:
    from tests.unit.factories import request
    from workers.guards.length import check_form

    req = request(locale="zh")
    drifted = check_form("好价来了！Sonora 耳机，现 is here，到手价129.99元", req)
    assert not drifted.passed and "is here" in drifted.detail
    brackets = check_form("Sonora 耳机，1.47英寸); 5ATM); 到手价129.99元", req)
    assert not brackets.passed and "ASCII" in brackets.detail


def test_english_words_that_are_request_values_may_stand_in_chinese_copy() -> None:
    from tests.unit.factories import item, request
    from workers.guards.length import check_form

    req = request(locale="zh", items=(item(attributes={"color": "matte black", "fit": "slim"}),))
    assert check_form("Sonora 耳机，matte black配色，slim版型，到手价129.99元", req).passed


def test_english_copy_with_unbalanced_brackets_fails_form() -> None:
    from tests.unit.factories import request
    from workers.guards.length import check_form

    req = request()
    assert not check_form("Sonora: 35 hours (Black), writing by 129.99 USD);", req).passed
    assert check_form("Sonora headphones (Black), 129.99 USD.", req).passed


def test_english_words_glued_across_a_full_stop_fail_form() -> None:
    from tests.unit.factories import request
    from workers.guards.length import check_form

    req = request()
    glued = check_form("Sonora in Black. By staple for new cooks.brandformat out. $129.99", req)
    assert not glued.passed and "cooks.brandformat" in glued.detail
    assert check_form("Sonora in Black. By Sonora. Now 129.99 USD.", req).passed
