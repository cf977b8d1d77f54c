"""Attribute frames: a value slot must be worded as its own kind of attribute.

The copy grammar words each attribute key its own way (``export.phrases``): a screen is
"{v}大屏" or "a {v} display", a battery "{v}大电量" or "a {v} battery". A small model that
meets a key it has not seen borrows another key's wording: "{1.battery}大屏" (a 30-hour
battery sold as a big screen), "色温{1.brand}", "a snug fit for {1.material}". Every value is
the request's own, so the facts guard passes; the text still says something false.

So the words right before and right after each slot are looked up in the grammar's frames
(the text around ``{v}`` in every phrase, cut at punctuation; bare articles and words
that name no kind of value, such as "采用" or "just", are not frames). When the longest
frame found there belongs to other keys only, and none of the slot's own key's frames is
there, the draft is refused. A key the grammar does not know
has no frames, so any attribute wording around it is refused: the draft may name the
value plainly ("water resistance 5ATM"), or the writer falls back to the template.

A key the grammar knows can still hold another kind of value: the demo's `battery` holds
"35 hours", where the grammar's batteries are mAh, so "a {1.battery} cell" reads "a 35 hours
cell". When a value's unit is none of the units the grammar's values of that key have
(``export.lexicon``; "小时" is not "mAh", a size "10" is neither inches nor a letter), the
key's own frames do not hold for it either (``unlike_values``), nor does its key's name.

In English, "a" or "an" right before a value whose wording after it opens with "of", "per"
or "in" is dropped (``drop_needless_articles``; refused if still there) when no phrase of
the grammar puts an article there: the demo published "a 35 hours per charge" and "a 60
days of battery life".

Words of amount ("just", "up to", "room for", "可达") say how much of something a product
has, so the value after them must be an amount: a number with a unit. The demo published
"just Forest Green colorway", "up to organic cotton body", "room for dry skin" and "just 10"
(a shoe size): a slot whose value has no number with a unit (``value_units``) is refused
after one of these words. In English a bare number ("10") must also have a word
beside it that says what it counts: "a Blue colorway and 10." names nothing
("a 10 fit", "size 10" and "US 10" do). Nor may an attribute's
noun stand alone as a list item: "…and 60 days of battery life and a weight." says the
product has a weight, and nothing else.

The table is read from ``export.phrases`` itself, so the guard and the grammar never
drift apart; a test checks that every training target passes. Checked on the draft,
before its slots are filled, where the keys are still visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from workers.domain import Locale
from workers.guards._text import ZH_CLAUSE_EDGES, cut_zh_clause

_SLOT = re.compile(r"\{\d{1,2}\.([a-z0-9_]{1,24})\}")
# Where a frame's words end: the grammar joins phrases with punctuation and "和"/"and".
_ZH_CUT = re.compile(r"[，。、；：！？,.;:!?\s]")
_EN_CUT = re.compile(r"[,.;:!?]")
_EN_ARTICLES = frozenset({"", "a", "an", "the"})
_EN_TRAILING_ARTICLE = re.compile(r"\s+(?:a|an|the)$")
_EN_LEADING_ARTICLE = re.compile(r"^(?:a|an|the)\s+")
# Frames that say how a product has a value, not what kind of value it is ("采用20W",
# "适合黑色", "just 2kg" read oddly but claim no false type): they prove nothing either way.
_UNTYPED = frozenset(
    {"采用", "选用", "内置", "配有", "配备", "搭载", "支持", "适合", "适用", "适配", "专为"}
    | {"约", "共"}
    | {"just", "up to", "room for", "room for a", "a pick for", "a formula for"}
)


@dataclass(frozen=True, slots=True)
class FrameTable:
    """Frame words before and after ``{v}``, each with the keys whose phrases use it."""

    before: dict[str, frozenset[str]]
    after: dict[str, frozenset[str]]
    # Per key, the frames its own phrases use (before, after): asked for every slot.
    owned: dict[str, tuple[frozenset[str], frozenset[str]]]
    # English frames after a value, opening with "of", "per" or "in", that no phrase puts
    # "a" or "an" before ("{v} per charge", "{v} of playtime"): "a 35 hours per charge" is
    # no wording of the grammar's.
    no_article_after: frozenset[str] = frozenset()

    def own(self, key: str) -> tuple[frozenset[str], frozenset[str]]:
        """The frames ``key``'s own phrases use (before, after); none for an unknown key."""
        return self.owned.get(key, (frozenset(), frozenset()))


def _add(table: dict[str, set[str]], frame: str, key: str) -> None:
    table.setdefault(frame, set()).add(key)


def build_table(phrases: dict[str, tuple[str, ...]], locale: Locale) -> FrameTable:
    """Frames of ``phrases`` (key -> phrases with one ``{v}``), as ``FrameTable``."""
    before: dict[str, set[str]] = {}
    after: dict[str, set[str]] = {}
    with_article: set[str] = set()
    cut = _ZH_CUT if locale == "zh" else _EN_CUT
    for key, options in phrases.items():
        for phrase in options:
            head, _, tail = phrase.partition("{v}")
            head = cut.split(head)[-1]
            tail = cut.split(tail)[0]
            if locale == "en":
                head, tail = head.strip().lower(), tail.strip().lower()
                if head.rsplit(" ", 1)[-1] in ("a", "an"):
                    with_article.add(tail)
            for frame, side in ((head, before), (tail, after)):
                if frame not in _EN_ARTICLES and frame not in _UNTYPED:
                    _add(side, frame, key)
    keys = set(phrases)
    return FrameTable(
        {f: frozenset(k) for f, k in before.items()},
        {f: frozenset(k) for f, k in after.items()},
        {
            key: (
                frozenset(f for f, owners in before.items() if key in owners),
                frozenset(f for f, owners in after.items() if key in owners),
            )
            for key in keys
        },
        # Only frames that open with a preposition: "a 20W output" or "a floral fragrance" is
        # plain English even where the grammar writes no article.
        frozenset(f for f in after if f.split(" ")[0] in ("of", "per", "in")) - with_article
        if locale == "en"
        else frozenset(),
    )


@lru_cache(maxsize=2)
def grammar_table(locale: Locale) -> FrameTable:
    """The copy grammar's frames for ``locale`` (built once)."""
    # The grammar's phrase banks are plain data (no torch); the guard reads the same table
    # the training copy was written from.
    from export.phrases import ATTR_EN, ATTR_ZH

    return build_table(ATTR_ZH if locale == "zh" else ATTR_EN, locale)


_NOT_UNIT = re.compile(r"[\d.\s\-/×+~]")


def unit_of(value: str) -> str | None:
    """What a value is measured in ("20000mAh" -> "mah", "30小时" -> "小时", "10" -> ""), or
    None for a value with no number (a colour, a material)."""
    if not any(ch.isdigit() for ch in value):
        return None
    return _NOT_UNIT.sub("", value).lower()


@lru_cache(maxsize=1)
def grammar_units() -> dict[str, frozenset[str | None]]:
    """The units of the grammar's values, per attribute key with any numeric value (both
    locales; None stands for values without a number, such as a size "M")."""
    from export.lexicon import CATEGORIES, FREE_VALUES  # plain data, as for the frames

    units: dict[str, set[str | None]] = {}
    for category in CATEGORIES:
        specs = [spec for kind in category.types for spec in kind.specs]
        for key, values in [*specs, *category.extra.items(), *FREE_VALUES.items()]:
            for value in (v for pair in values for v in pair):
                units.setdefault(key, set()).add(unit_of(value))
    return {key: frozenset(found) for key, found in units.items() if found != {None}}


# What a unit measures. A unit outside this table (or one of the same kind as the
# grammar's: quarts for a capacity in litres) proves nothing against a value.
_DIMENSIONS: dict[str, str] = {
    **dict.fromkeys(("hours", "hour", "hrs", "h", "小时", "days", "day", "天"), "duration"),
    **dict.fromkeys(("minutes", "minute", "min", "mins", "分钟", "seconds", "s", "秒"), "duration"),
    **dict.fromkeys(("mah", "wh"), "charge"),
    **dict.fromkeys(("g", "kg", "lb", "lbs", "oz", "克", "千克", "公斤", "斤"), "mass"),
    **dict.fromkeys(
        ("mm", "cm", "m", "inch", "inches", "in", "英寸", "毫米", "厘米", "米"), "length"
    ),
    **dict.fromkeys(("ml", "l", "qt", "gal", "floz", "毫升", "升"), "volume"),
    **dict.fromkeys(("w", "kw", "瓦"), "power"),
    **dict.fromkeys(("gb", "tb", "mb"), "data"),
    "": "count",  # a bare number: "10" for a size the grammar gives in inches or letters
}


def dimension_of(unit: str | None) -> str | None:
    """What ``unit`` (``unit_of``) measures ("duration", "mass"...), or None when unknown."""
    return None if unit is None else _DIMENSIONS.get(unit)


def unlike_values(slot_values: Mapping[str, str]) -> frozenset[str]:
    """Slots (``"1.battery"``) whose value is not the kind of value the grammar's values of
    that key are: its unit measures something else ("35 hours" for a battery in mAh, a bare
    "10" for a size in inches or letters). A key whose grammar values are all words, or a
    unit this module cannot place, is never unlike."""
    units = grammar_units()
    unlike = set()
    for slot, value in slot_values.items():
        known = units.get(slot.partition(".")[2])
        unit = unit_of(value)
        if known is None or unit is None or unit in known:
            continue
        kind = dimension_of(unit)
        if kind is not None and kind not in {dimension_of(k) for k in known}:
            unlike.add(slot)
    return frozenset(unlike)


def value_units(slot_values: Mapping[str, str]) -> dict[str, str | None]:
    """Each attribute slot's unit (``unit_of``): None for a value with no number (a colour,
    a material), "" for a bare number (a shoe size "10"). Names and prices are not
    attributes and are left out. What the amount rules read (see the module doc)."""
    return {
        slot: unit_of(value)
        for slot, value in slot_values.items()
        if slot.partition(".")[2] not in _KEEP_KEYS
    }


# A unit no slot has: a slot missing from ``value_units`` (a name, a price) is an amount.
_NOT_AN_ATTRIBUTE = "-"


# Where an English list item ends: punctuation, the end, or the next "and"/"with".
_EN_ITEM_END = r"\s*(?:$|[,.;:!?)]|(?:and|with)(?![A-Za-z]))"
# A bare number between list joints names nothing: ", and {1.shoe_size}." / "with {1.keys},".
_EN_JOINT_BEFORE = re.compile(
    r"(?:^|[,;:(]|(?<![A-Za-z])(?:and|with|of|just|plus))\s*$", re.IGNORECASE
)
_EN_JOINT_AFTER = re.compile("^" + _EN_ITEM_END, re.IGNORECASE)
# An attribute's noun with an article and no value: "and a weight.", "a capacity, a …".
_EN_VALUELESS_NOUN = re.compile(
    r"(?<![A-Za-z])(?:a|an)\s+(?:weight|capacity|colou?r|size|material|screen|power|volume"
    r"|height|length|thickness|storage|battery|battery life|finish|scent|flavor|diameter)"
    + _EN_ITEM_END,
    re.IGNORECASE,
)
# Words that ask for an amount after them ("just 280g", "up to 35 hours", "可达30小时").
_EN_AMOUNT_WORDS = re.compile(r"(?<![A-Za-z])(?:just|up to|room for)\s+$", re.IGNORECASE)
_ZH_AMOUNT_WORDS = re.compile(r"(?:可达|高达|长达)\s*$")


def _valueless_nouns(draft: str) -> list[str]:
    return [
        f"an attribute with no value: {m.group(0).strip()}"
        for m in _EN_VALUELESS_NOUN.finditer(draft)
    ]


def _amount_problems(draft: str, locale: Locale, units: Mapping[str, str | None]) -> list[str]:
    """Slots holding no amount right after a word of amount, and (English) bare numbers
    between list joints (see the module doc)."""
    words = _EN_AMOUNT_WORDS if locale == "en" else _ZH_AMOUNT_WORDS
    problems = []
    for m in _SLOT.finditer(draft):
        unit = units.get(m.group(0)[1:-1], _NOT_AN_ATTRIBUTE)
        if unit not in (None, ""):
            continue
        before = draft[max(0, m.start() - 16) : m.start()]
        if w := words.search(before):
            problems.append(f"{w.group(0).strip()!r} before a value with no amount: {m.group(0)}")
        if (
            unit == ""
            and locale == "en"
            and _EN_JOINT_BEFORE.search(before)
            and _EN_JOINT_AFTER.search(draft[m.end() : m.end() + 16])
        ):
            problems.append(f"a bare number that names nothing: {m.group(0)}")
    return problems


# Frames are short: the words right before or after a slot are all that is read.
_REACH = 48


def _head_form(head: str, locale: Locale) -> str:
    """The text before a slot as ``_ends_with`` reads it (normalized once per slot)."""
    head = head[-_REACH:]
    if locale == "zh":
        return head
    # "a weight of a {1.color} colorway": an article between frame and slot changes nothing.
    return _EN_TRAILING_ARTICLE.sub("", head.rstrip().lower())


def _tail_form(tail: str, locale: Locale) -> str:
    """The text after a slot as ``_starts_with`` reads it."""
    tail = tail[:_REACH]
    return tail if locale == "zh" else tail.lstrip().lower()


def _ends_with(head: str, frame: str, locale: Locale) -> bool:
    """Whether ``head`` (``_head_form``) ends with ``frame``, at a word in English."""
    if locale == "zh":
        return head.endswith(frame)
    return head.endswith(frame) and (len(head) == len(frame) or not head[-len(frame) - 1].isalnum())


def _starts_with(tail: str, frame: str, locale: Locale) -> bool:
    """Whether ``tail`` (``_tail_form``) starts with ``frame``, at a word in English."""
    if locale == "zh":
        return tail.startswith(frame)
    return tail.startswith(frame) and (len(tail) == len(frame) or not tail[len(frame)].isalnum())


def _foreign(
    found: list[str], frames: dict[str, frozenset[str]], own: frozenset[str], key: str
) -> str | None:
    """The longest frame found, when it belongs to other keys and no own frame is there."""
    if not found or any(frame in own for frame in found):
        return None
    longest = max(found, key=len)
    return None if key in frames[longest] else longest


def _misworded(
    draft: str, locale: Locale, table: FrameTable, unlike: Iterable[str] = ()
) -> list[tuple[re.Match[str], str]]:
    """Each mis-worded slot of ``draft`` with what is wrong with it; ``unlike`` slots
    (``"1.battery"``) have no wording of their own."""
    problems: list[tuple[re.Match[str], str]] = []
    unlike = frozenset(unlike)
    for m in _SLOT.finditer(draft):
        key = m.group(1)
        head = _head_form(draft[: m.start()], locale)
        tail = _tail_form(draft[m.end() :], locale)
        # The key's own name is its plainest wording ("{1.battery_life} battery life").
        name = key.replace("_", " ")
        unlike_value = m.group(0)[1:-1] in unlike
        if (
            locale == "en"
            and not unlike_value  # "a 35 hours battery capacity" is not plain naming
            and (_starts_with(tail, name, locale) or _ends_with(head, name, locale))
        ):
            continue
        if unlike_value:
            # Not the grammar's kind of value: no frame is its own, not even its key's.
            label, owner = f"{key} (a value unlike the grammar's {key})", ""
            own_before = own_after = frozenset[str]()
        else:
            label, owner = key, key
            own_before, own_after = table.own(key)
        found = [f for f in table.before if _ends_with(head, f, locale)]
        wrong = _foreign(found, table.before, own_before, owner)
        if wrong is not None:
            said = "/".join(sorted(table.before[wrong]))
            problems.append((m, f"{label} worded as {said}: {wrong!r} before {m.group(0)}"))
        found = [f for f in table.after if _starts_with(tail, f, locale)]
        wrong = _foreign(found, table.after, own_after, owner)
        if wrong is not None:
            said = "/".join(sorted(table.after[wrong]))
            problems.append((m, f"{label} worded as {said}: {m.group(0)} then {wrong!r}"))
    return problems


def frame_problems(
    draft: str,
    locale: Locale,
    table: FrameTable | None = None,
    unlike: Iterable[str] = (),
    units: Mapping[str, str | None] | None = None,
) -> list[str]:
    """Slots of ``draft`` worded as some other key's attribute (empty: none); ``unlike``:
    slots whose values are not the grammar's kind for their key (``unlike_values``);
    ``units``: the attribute slots' units (``value_units``), for the amount rules."""
    table = table or grammar_table(locale)
    problems = _dangling(draft, table) + _valueless_nouns(draft) if locale == "en" else []
    if "{" not in draft:
        return problems
    problems += _amount_problems(draft, locale, units or {})
    if locale == "en":
        problems += _needless_articles(draft, table)
    return problems + [problem for _, problem in _misworded(draft, locale, table, unlike)]


def _dangling(draft: str, table: FrameTable) -> list[str]:
    """English frames of three words or more with no value after them ("a weight of a weight
    of frame"): in the grammar such a frame always introduces a slot (shorter ones, such as
    "care for", are ordinary words elsewhere)."""
    lowered = draft.lower()
    problems = []
    for frame in table.before:
        if frame.count(" ") < 2:
            continue
        for m in re.finditer(r"(?<![a-z])" + re.escape(frame) + r"(?![a-z])", lowered):
            rest = _EN_LEADING_ARTICLE.sub("", lowered[m.end() :].lstrip())
            if not rest.startswith("{"):
                problems.append(f"{frame!r} names no value")
    return problems


_EN_ARTICLE_BEFORE = re.compile(r"(?<![A-Za-z])[Aa]n?\s+$")


def _needless_article_spans(draft: str, table: FrameTable) -> list[tuple[int, int, str]]:
    """(start, end, what) of each "a " / "an " before a slot whose frame after it no phrase
    of the grammar puts an article before ("a {1.battery_life} per charge")."""
    spans = []
    for m in _SLOT.finditer(draft):
        article = _EN_ARTICLE_BEFORE.search(draft, 0, m.start())
        if article is None:
            continue
        tail = _tail_form(draft[m.end() :], "en")
        found = [f for f in table.after if _starts_with(tail, f, "en")]
        frame = max(found, key=len) if found else None
        if frame in table.no_article_after:
            start = m.start() - (len(article.group(0)))
            spans.append((start, m.start(), f"{article.group(0).strip()} {m.group(0)} {frame}"))
    return spans


def _needless_articles(draft: str, table: FrameTable) -> list[str]:
    """Slots with "a" / "an" before them that their wording never takes (see
    ``drop_needless_articles``, which mends them before this is asked)."""
    return [
        f"an article its wording has none of: {what}"
        for *_, what in _needless_article_spans(draft, table)
    ]


def drop_needless_articles(draft: str, locale: Locale) -> tuple[str, list[str]]:
    """An English ``draft`` without the "a" / "an" that the model borrowed before a value
    whose wording takes none ("with a {1.battery_life} per charge" -> "with
    {1.battery_life} per charge"), and what was dropped. The words stay the grammar's own;
    only the stray article goes."""
    if locale != "en" or "{" not in draft:
        return draft, []
    spans = _needless_article_spans(draft, grammar_table("en"))
    for start, end, _ in reversed(spans):
        draft = draft[:start] + draft[end:]
    return draft, [f"'{what.split(' ')[0]}' before {what.split(' ', 1)[1]}" for *_, what in spans]


# Clauses that hold these are the text's subject or price: cutting them leaves no copy.
_KEEP_KEYS = frozenset({"title", "brand", "price", "original_price", "currency"})


def cut_misworded(
    draft: str, locale: Locale, table: FrameTable | None = None, unlike: Iterable[str] = ()
) -> tuple[str, list[str]]:
    """A Chinese ``draft`` without the clauses whose attribute slot is mis-worded, and what
    was cut ("积木厚度" goes, "奇趣岛出品，ABS材质" stays). A clause that also holds a name or a
    price is not cut (nor is anything in English copy, whose attributes share one list);
    ``frame_problems`` then still refuses the draft."""
    if locale != "zh" or "{" not in draft:
        return draft, []
    table = table or grammar_table(locale)
    cut: list[str] = []
    for _ in range(3):  # a draft with more wrong clauses than that is not worth mending
        problems = _misworded(draft, locale, table, unlike)
        if not problems:
            break
        m = problems[0][0]
        start = max(draft.rfind(edge, 0, m.start()) for edge in ZH_CLAUSE_EDGES) + 1
        ends = [i for edge in ZH_CLAUSE_EDGES if (i := draft.find(edge, m.end())) >= 0]
        end = min(ends) if ends else len(draft)
        clause = draft[start:end]
        if any(k in _KEEP_KEYS for k in _SLOT.findall(clause)):
            break
        rest = cut_zh_clause(draft, start, end)
        if not _SLOT.search(rest):
            break
        draft = rest
        cut.append(clause)
    return draft, cut
