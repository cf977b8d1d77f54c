"""Tests for workers.guards.compliance."""

from __future__ import annotations

import pytest

from tests.unit.guards.factories import make_request, zh_request
from workers.guards.compliance import (
    ALL_BANNED_TERMS,
    BANNED_TERMS,
    banned_terms_in,
    check_compliance,
)


@pytest.mark.parametrize(
    "text",
    [
        "这款耳机是最佳选择",
        "国家级品质",
        "销量第一的保温杯",
        "唯一一款支持快充的手环",
        "顶级音质，极致体验",
        "全网最低价",
        "最新技术加持",
        "100%纯棉",
        "永久保修",
        "根治失眠",
        "最 佳 选 择",  # spaced out to dodge a substring match
        "最\u200b佳",  # a zero-width space in between
        "ＮＯ．１的选择",  # full-width Latin folds to "NO.1"
    ],
)
def test_zh_banned_terms_fail(text: str) -> None:
    """Every Art. 9 style absolute term fails the guard, however it is spaced or widened."""
    result = check_compliance(text, zh_request())
    assert not result.passed
    assert result.detail.startswith("banned: ")


@pytest.mark.parametrize(
    "text",
    [
        "最近很多人在用",  # recently
        "最终效果以实物为准",  # finally
        "最初的设计灵感",  # at first
        "续航30小时，轻巧便携",
        "第二代产品",
        "一款降噪耳机",
    ],
)
def test_zh_ordinary_copy_passes(text: str) -> None:
    """Ordinary Chinese copy, including 最近/最终/最初, is not mistaken for a superlative."""
    assert check_compliance(text, zh_request()).passed


@pytest.mark.parametrize(
    "text",
    [
        "The best headphones you can buy.",
        "BEST seller",
        "Our #1 pick.",
        "The number one choice.",
        "No. 1 in comfort.",
        "Top-rated by runners.",
        "Top rated by runners.",
        "Satisfaction guaranteed.",
        "Cures dry skin overnight.",
        "A miracle cream.",
        "100% cotton.",
        "The perfect gift.",
        "World-class sound.",
        "Risk free trial.",
        "Clinically proven formula.",
        "FDA approved.",
        "The world’s first foldable kettle.",  # typographic apostrophe
    ],
)
def test_en_banned_terms_fail(text: str) -> None:
    """English superlatives and unprovable claims fail, in any case and with either dash."""
    assert not check_compliance(text, make_request()).passed


@pytest.mark.parametrize(
    "text",
    [
        "A secure fit for every run.",  # "cure" inside "secure"
        "Bestow a thoughtful gift.",  # "best" inside "bestow"
        "Procure supplies in bulk.",
        "Rated for 35 hours of play.",
        "The #10 bus stops nearby.",  # "#1" followed by a digit
        "It feels like a cloud.",
    ],
)
def test_en_word_boundaries_keep_ordinary_words(text: str) -> None:
    """English terms match whole words only, so words that contain them still pass."""
    assert check_compliance(text, make_request()).passed


def test_both_locales_are_checked_on_any_text() -> None:
    """A zh request's copy fails on an English term and an en request's on a Chinese one."""
    assert not check_compliance("这款耳机 best", zh_request()).passed
    assert not check_compliance("Headphones 最佳", make_request()).passed


def test_detail_lists_every_hit() -> None:
    """The detail names each banned term found, so the record explains the rejection."""
    assert banned_terms_in("最佳 and guaranteed") == ["最佳", "guaranteed"]


def test_lists_are_surface_strings() -> None:
    """The lists hold stripped, non-empty, unique strings: the decode-time mask uses them as is."""
    for locale, terms in BANNED_TERMS.items():
        assert terms, locale
        assert all(term == term.strip() and term for term in terms)
        assert len(set(terms)) == len(terms)
    assert set(ALL_BANNED_TERMS) == set(BANNED_TERMS["zh"]) | set(BANNED_TERMS["en"])


def test_brief_terms_are_listed() -> None:
    """The terms named in the design guide and the brief are all present."""
    zh = {
        "最佳",
        "最高级",
        "最高",
        "最低",
        "最优",
        "最好",
        "最先进",
        "最新技术",
        "国家级",
        "世界级",
        "第一",
        "唯一",
        "顶级",
        "极品",
        "极致",
        "首个",
        "首选",
        "独一无二",
        "全网第一",
        "万能",
        "100%",
        "绝对",
        "永久",
        "王牌",
        "销量冠军",
        "无敌",
        "根治",
        "治愈",
    }
    en = {
        "best",
        "#1",
        "number one",
        "no. 1",
        "top-rated",
        "guaranteed",
        "guarantee",
        "cure",
        "cures",
        "miracle",
        "100%",
        "perfect",
        "ultimate",
        "world-class",
        "unbeatable",
        "risk-free",
        "clinically proven",
        "FDA approved",
    }
    assert zh <= set(BANNED_TERMS["zh"])
    assert en <= set(BANNED_TERMS["en"])


def test_bare_zui_is_not_banned() -> None:
    """ "最" alone is not a term: it would ban 最近 (recently) at decode time too."""
    assert "最" not in ALL_BANNED_TERMS


def test_every_listed_term_is_found_in_running_text() -> None:
    """The one-pass pre-check never hides a term: each one is found inside a sentence."""
    for term in ALL_BANNED_TERMS:
        assert term in banned_terms_in(f"Nice {term} here"), term


def test_a_custom_term_list_is_checked_on_its_own() -> None:
    """Another list gets its own pre-check: its terms are found, the default ones are not."""
    assert banned_terms_in("a rare find", ("rare",)) == ["rare"]
    assert banned_terms_in("the best find", ("rare",)) == []
