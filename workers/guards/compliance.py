"""Compliance guard: no absolute or unprovable claims, in either language.

The Chinese list follows Advertising Law Art. 9 (3) ("国家级", "最高级", "最佳" and the like),
Art. 9 (2) (state organs and their staff), Art. 16/17 (medical claims outside medical ads)
and the 极限词 lists that platforms enforce. The English list holds the equivalents plus claims
we cannot substantiate ("guaranteed", "clinically proven", "FDA approved").

The decode-time logits mask in the engine bans these exact surface strings by substring, so
each entry is the narrowest form that is really banned: "最" alone would also ban "最近"
(recently), "最终" (finally), "最初" (at first) and "最后" (last), which are fine; the
superlatives are listed one by one instead.

Matching here:
- a term with CJK characters matches as a substring of the text with whitespace and format
  characters removed (Chinese has no spaces, so "最 佳" is "最佳");
- an ASCII term matches case-insensitively and only at ASCII letter/digit boundaries, so
  "best" does not fire on "bestow" and "cure" does not fire on "secure" (the substring mask
  at decode time is stricter than this check, never looser);
- a space or hyphen inside an ASCII term matches any run of spaces and hyphens.

Both lists are checked on every text whatever its locale: zh copy may quote "NO.1" or
"best", and en copy may carry a Chinese product name.
"""

from __future__ import annotations

import re
from functools import cache

from workers.domain import ContentRequest, Locale
from workers.guards._text import ASCII_ALNUM, fold, squeeze
from workers.guards.result import GuardResult, listing

NAME = "compliance"

# fmt: off
_ZH_TERMS: tuple[str, ...] = (
    # Art. 9 (3): 最 + superlative. Not "最" alone, nor 最近/最终/最初/最后/最多/最少.
    "最佳", "最具", "最爱", "最赚", "最优", "最优秀", "最好", "最大", "最大程度", "最高",
    "最高级", "最高端", "最奢侈", "最低", "最低级", "最低价", "最底", "最便宜", "最流行",
    "最受欢迎", "最时尚", "最聚拢", "最符合", "最舒适", "最舒服", "最先", "最先进",
    "最先进科学", "最先进加工工艺", "最先享受", "最后一波", "最新", "最新技术", "最新科技",
    "最新科学", "最新发明", "最强", "最强大", "最快", "最轻", "最薄", "最小", "最长", "最短",
    "最实惠", "最划算", "最优惠", "最全", "最热", "最火", "最热销", "最畅销", "最专业",
    "最权威", "最安全", "最健康", "最环保", "最耐用", "最美", "最贵", "最值", "最值得",
    "最正宗", "最靠谱", "最顶级", "最牛", "最稳定", "最清晰", "最有效", "最适合", "最合适",
    "最满意", "最智能", "最完美", "最纯", "最新鲜", "最早", "最潮", "最酷", "最领先",
    # Art. 9 (3): level and rank words.
    "国家级", "国际级", "世界级", "全球级", "宇宙级", "第一", "全网第一", "全国第一",
    "行业第一", "销量第一", "排名第一", "第一品牌", "唯一", "独一无二", "独家", "独创",
    "绝无仅有", "史无前例", "前无古人", "前所未有", "空前", "无与伦比", "举世无双",
    "不二之选", "无可替代", "顶级", "顶尖", "尖端", "极品", "极致", "极佳", "绝佳", "终极",
    "至尊", "至臻", "巅峰", "登峰造极", "王牌", "之王", "王者", "领袖", "领先", "遥遥领先",
    "领导者", "领导品牌", "缔造者", "首个", "首选", "首家", "首款", "首发", "首创", "首席",
    "冠军", "销量冠军", "销冠", "NO.1", "TOP1", "填补国内空白",
    # Absolute promises.
    "100%", "百分百", "百分之百", "绝对", "永久", "永不", "万能", "无敌", "完美", "保证",
    "零风险", "零缺陷", "无副作用", "免检", "质量免检", "驰名商标",
    # Art. 9 (2): state organs, their staff, special supply.
    "国家领导人", "国家机关", "特供", "专供",
    # Art. 16/17: medical claims outside medical advertising.
    "根治", "治愈", "治疗", "疗效", "药到病除", "包治百病", "抗癌", "防癌", "祖传秘方",
    "神药", "特效药",
    # Manufactured urgency that platform rules ban.
    "万人疯抢", "全民疯抢", "抢疯了", "再不抢就没了", "仅此一次",
)

_EN_TERMS: tuple[str, ...] = (
    # Superlatives and rank.
    "best", "bestseller", "bestselling", "#1", "number one", "number 1", "no. 1", "no.1",
    "top-rated", "top rated", "top-selling", "finest", "greatest", "cheapest", "lowest price",
    "highest quality", "ultimate", "world-class", "world class", "world's first",
    "first-ever", "industry-leading", "market-leading", "world-leading", "unbeatable",
    "unrivaled", "unrivalled", "unmatched", "unparalleled", "second to none", "perfect",
    # Absolute promises.
    "100%", "100 percent", "guarantee", "guaranteed", "guarantees", "risk-free", "risk free",
    "zero risk", "absolutely", "miracle", "miraculous",
    # Medical and authority claims that need evidence we do not have.
    "cure", "cures", "cured", "cure-all", "heals", "no side effects", "clinically proven",
    "scientifically proven", "doctor recommended", "FDA approved", "FDA-approved",
)
# fmt: on

BANNED_TERMS: dict[Locale, tuple[str, ...]] = {"zh": _ZH_TERMS, "en": _EN_TERMS}

# Both lists, de-duplicated in order: what the guard checks and what the mask should ban.
ALL_BANNED_TERMS: tuple[str, ...] = tuple(dict.fromkeys(_ZH_TERMS + _EN_TERMS))


@cache
def _ascii_pattern(term: str) -> re.Pattern[str]:
    """A case-folded pattern for one ASCII term, bounded only where it ends in a letter/digit."""
    body = r"[\s\-]+".join(re.escape(part) for part in re.split(r"[\s\-]+", term.casefold()))
    head = f"(?<![{ASCII_ALNUM}])" if term[0].isalnum() else ""
    tail = f"(?![{ASCII_ALNUM}])" if term[-1].isalnum() else ""
    return re.compile(f"{head}{body}{tail}")


@cache
def _squeezed(term: str) -> str:
    return squeeze(term)


@cache
def _any_term(terms: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """One pattern for all ASCII terms (on folded text) and one for the rest (on squeezed).

    An alternation matches somewhere exactly when one of its terms does, so these answer
    "is any term here?" in one pass; the per-term loop runs only for text that has a hit.
    """
    ascii_terms = [_ascii_pattern(t).pattern for t in terms if t.strip() and t.isascii()]
    other = [re.escape(_squeezed(t)) for t in terms if t.strip() and not t.isascii()]
    never = r"(?!)"
    return (
        re.compile("|".join(f"(?:{p})" for p in ascii_terms) or never),
        re.compile("|".join(other) or never),
    )


def banned_terms_in(text: str, terms: tuple[str, ...] = ALL_BANNED_TERMS) -> list[str]:
    """The banned terms that occur in ``text``, as listed (not as written in the text)."""
    folded = fold(text)
    squeezed = squeeze(text)
    any_ascii, any_other = _any_term(terms)
    if not any_ascii.search(folded) and not any_other.search(squeezed):
        return []
    hits: list[str] = []
    for term in terms:
        if not term.strip():
            continue
        if term.isascii():
            if _ascii_pattern(term).search(folded):
                hits.append(term)
        elif _squeezed(term) in squeezed:
            hits.append(term)
    return hits


def check_compliance(text: str, request: ContentRequest) -> GuardResult:
    """Fail when the text holds any banned term of either locale."""
    hits = banned_terms_in(text)
    if hits:
        return GuardResult(NAME, False, listing("banned", hits))
    return GuardResult(NAME, True)
