"""Slot roles: a draft must use each slot where that kind of value belongs.

The slot grammar (workers.engine.slot_mask) lets a row write only its request's slots, but
not *where*: a small model facing attribute keys it has not seen writes "Yours for
${1.category}", "By {1.price}!" or "a {1.brand} finish". Every value is the request's own,
so the facts guard passes them, yet the text says something false. These rules hold for
every text in the training grammar (a test checks that) and catch those drafts:

- "by" and a sentence's opening "From" are followed by a slot (a maker), never by other words,
  and "was" / "down from" by a price;
- an article before a value slot is followed by the noun that says what the value is
  ("a {1.weight} frame", never "and a {1.weight}.");
- "$", "¥" and the Chinese price words (现价, 只要, 原价…) are followed by a price slot
  whenever a slot follows them;
- a price slot carries its currency: "$" before it in English, "¥" before or "元" after it
  in Chinese, or the currency slot after it; and "$" is followed by a price slot only;
- "by" / "from" (English) and "来自" (Chinese) name a brand or an author, and "出品" /
  "品质" follow a brand;
- the names of two items never run together into one (a title or brand right after another
  item's name);
- a name (title, brand, category) or a price is not a colour, material or size: it is not
  followed by "finish", "colorway", "build", "of", "per" and the like, nor preceded by "a",
  "just", "with", "选用" or "颜色选" (words that stand next to attribute values only).

The rules on the words *before* a slot are the decode mask's own (``workers.slots.slot_role``);
the others look after it. Checked on the draft before its slots are filled, where the roles
are still visible.
"""

from __future__ import annotations

import re

from workers.domain import Locale
from workers.slots import MAKER_KEYS, NOT_ATTRIBUTE_KEYS, PRICE_KEYS, role_admits, slot_role

_SLOT = r"\{\d{1,2}\.([a-z0-9_]{1,24})\}"

_EN_PRICE_OK = re.compile(r"\$" + _SLOT + r"|" + _SLOT + r" \{\d{1,2}\.currency\}")
_ZH_PRICE_OK = re.compile(r"¥" + _SLOT + r"|" + _SLOT + r"\s*元")
_ANY = re.compile(_SLOT)
_EN_DOLLAR = re.compile(r"\$(?!\{\d{1,2}\.(?:price|original_price)\})")
# "Designed by $7.99": "by" names a maker; a price after it ("down from $7.99" is fine).
_EN_BY_PRICE = re.compile(r"\bby\s+\$", re.IGNORECASE)
_ZH_MAKER_AFTER = re.compile(_SLOT + r"\s*(?:出品|品质)")
_EN_ATTRIBUTE_NOUN = re.compile(
    _SLOT + r"\s+(?:finish|colorway|color|body|build|construction|capacity|cooking surface|frame|"
    r"sizing|cell|diameter|styling|output)\b"
)
# "By a calm, cozy mood." / "By staple for your feet": "by" and a sentence's opening "From"
# always name a maker in the grammar's copy, so a slot (or, caught above, a price) follows.
_EN_BY_TEXT = re.compile(r"\b[Bb]y\s+(?!\{|\$)")
_EN_FROM_TEXT = re.compile(r"(?:^|[.!?:]\s+)From\s+(?!\{)")
# "Only $19.00, down from now.": "was" and "down from" always give the earlier price.
_EN_WAS_TEXT = re.compile(r"\b(?:[Ww]as|[Dd]own from)\s+(?!\$)")
# "…and a {1.weight}." — an article before a bare value needs the noun that says what it is.
_EN_BARE_VALUE = re.compile(r"\b[Aa]n?\s+" + _SLOT + r"\s*(?:[.!?,;]|\band\b|$)")
# Words that, in all of the grammar's copy, follow attribute values only.
_EN_ATTRIBUTE_WORD_AFTER = re.compile(_SLOT + r"\s+(?:of|and|per|in)\b")
_ZH_ATTRIBUTE_AFTER = re.compile(_SLOT + r"\s*(?:外观|配色|材质|用料|规格|尺寸)")
# "{2.brand} {1.brand}", "{1.title} {2.brand}": the names of two items run together make a
# product that does not exist ("Voulmo VOYA, with a Sky Blue colorway"). A category may follow
# another item's brand: two items of one category share the slot of the first one.
_NAMES_OF_TWO_ITEMS = re.compile(
    r"\{(\d{1,2})\.(?:title|brand|category)\}\s*\{(?!\1\.)\d{1,2}\.(?:title|brand)\}"
)


def slot_role_problems(draft: str, locale: Locale) -> list[str]:
    """What is wrong with where ``draft`` puts its slots (empty: nothing)."""
    if "{" not in draft and "$" not in draft:
        return []
    problems: list[str] = []
    price_ok = _EN_PRICE_OK if locale == "en" else _ZH_PRICE_OK
    placed = {m.start() for m in price_ok.finditer(draft)}
    placed |= {m.start() + 1 for m in price_ok.finditer(draft) if draft[m.start()] in "$¥"}
    for m in _ANY.finditer(draft):
        if m.group(1).encode() in PRICE_KEYS and m.start() not in placed:
            problems.append(f"price without its currency: {m.group(0)}")
    for m in _ANY.finditer(draft):
        # What the words before the slot allow: the decode mask's own rule.
        role = slot_role(draft[: m.start()].encode())
        if not role_admits(role, m.group(1).encode()):
            article = "an" if role is not None and role[0] in "aeiou" else "a"
            problems.append(f"not {article} {role}: {draft[max(0, m.start() - 12) : m.end()]}")
    if locale == "en":
        problems += [f"$ before {m.group(0)[1:12]}" for m in _EN_DOLLAR.finditer(draft)]
        problems += [f"a price as a maker: {m.group(0)}" for m in _EN_BY_PRICE.finditer(draft)]
        problems += [
            f"'{m.group(0).strip(' .!?:')}' names no maker"
            for m in [*_EN_BY_TEXT.finditer(draft), *_EN_FROM_TEXT.finditer(draft)]
        ]
        problems += [
            f"'{m.group(0).strip()}' gives no earlier price" for m in _EN_WAS_TEXT.finditer(draft)
        ]
        problems += [
            f"a value without its noun: {m.group(0)}" for m in _EN_BARE_VALUE.finditer(draft)
        ]
        makers: list[re.Match[str]] = []
        nouns = [*_EN_ATTRIBUTE_NOUN.finditer(draft), *_EN_ATTRIBUTE_WORD_AFTER.finditer(draft)]
    else:
        makers = list(_ZH_MAKER_AFTER.finditer(draft))
        nouns = list(_ZH_ATTRIBUTE_AFTER.finditer(draft))
    problems += [
        f"names of two items as one: {m.group(0)}" for m in _NAMES_OF_TWO_ITEMS.finditer(draft)
    ]
    problems += [
        f"not a maker: {m.group(0)}" for m in makers if m.group(1).encode() not in MAKER_KEYS
    ]
    problems += [
        f"a name or price used as an attribute: {m.group(0)}"
        for m in nouns
        if m.group(1).encode() in NOT_ATTRIBUTE_KEYS
    ]
    return problems
