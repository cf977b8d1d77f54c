"""What training targets must never contain: banned absolute claims and invented numbers.

The corpus is checked against these rules so the model never learns to write a claim the
runtime guard would block. The lists are deliberately broader than the guard's: it is
cheaper to keep a word out of the training data than to mask it at decode time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# China Advertising Law Art. 9 absolute terms and common variants. "最" alone covers
# 最佳/最好/最低/最新…; bare characters are matched as substrings.
BANNED_ZH: tuple[str, ...] = (
    "最",
    "第一",
    "唯一",
    "顶级",
    "极品",
    "国家级",
    "世界级",
    "首个",
    "首选",
    "独家",
    "独一无二",
    "万能",
    "绝对",
    "永久",
    "史上",
    "空前",
    "冠军",
    "王牌",
    "领袖",
    "领导品牌",
    "极致",
    "无敌",
    "全网",
    "百分百",
    "100%",
    "根治",
    "治愈",
    "特效",
    "药到病除",
    "零风险",
    "包治",
    "秒杀",
    "巅峰",
    "至尊",
    "顶尖",
    "第一品牌",
    "遥遥领先",
    "销量第一",
    "正品保证",
    "假一赔",
)
BANNED_EN: tuple[str, ...] = (
    "best",
    "#1",
    "no. 1",
    "number one",
    "guaranteed",
    "guarantee",
    "cure",
    "cures",
    "perfect",
    "ultimate",
    "unbeatable",
    "world-class",
    "lowest price",
    "cheapest",
    "100%",
    "miracle",
    "flawless",
    "finest",
    "top-rated",
    "risk-free",
    "forever",
    "greatest",
    "unmatched",
    "unrivaled",
    "world's",
    "leading",
    "revolutionary",
    "clinically",
    "proven",
    "heal",
    "never fails",
    "only one",
    "first-ever",
)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_EN_WORD_CHARS = re.compile(r"[a-z]")


def normalize(text: str) -> str:
    """NFKC + lower case, so full-width digits and letters cannot slip past the checks."""
    return unicodedata.normalize("NFKC", text).lower()


def banned_terms(text: str) -> list[str]:
    """Every banned term found in ``text`` (zh as substrings, en on word boundaries)."""
    norm = normalize(text)
    found = [term for term in BANNED_ZH if term in norm]
    for term in BANNED_EN:
        if _EN_WORD_CHARS.match(term[0]) or _EN_WORD_CHARS.search(term[-1]):
            pattern = r"(?<![a-z0-9])" + re.escape(term) + r"(?![a-z0-9])"
            if re.search(pattern, norm):
                found.append(term)
        elif term in norm:
            found.append(term)
    return found


def numbers(text: str) -> list[str]:
    """Digit runs (with their decimal part) in ``text`` after NFKC normalisation."""
    return _NUMBER.findall(normalize(text))


def unsupported_numbers(text: str, facts: Iterable[str]) -> list[str]:
    """Numbers in ``text`` that do not occur verbatim in any fact string."""
    allowed = set()
    for fact in facts:
        allowed.update(numbers(fact))
    return [n for n in numbers(text) if n not in allowed]
