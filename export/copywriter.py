"""The copy grammar: turn a ContentRequest into one target text, deterministically.

The grammar reads only what the prompt shows (``workers.prompt.item_fields``), so every
fact in a target is visible to the model in its prompt. Persona sets the order of the
facts; the channel sets how many fit. Phrases come from ``export.phrases``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from export import phrases as P
from export.lexicon import CATEGORIES, Category
from workers.domain import ContentRequest, Item, Locale
from workers.prompt import item_fields

# Maximum characters per channel (zh counts CJK characters one each).
LIMITS: dict[Locale, dict[str, int]] = {
    "zh": {"detail_page": 220, "feed_card": 60, "search_ad": 40, "push": 30},
    "en": {"detail_page": 600, "feed_card": 120, "search_ad": 90, "push": 70},
}
# How many fact clauses each channel wants at most.
FACT_BUDGET = {"detail_page": 6, "feed_card": 3, "search_ad": 1, "push": 1}
FREE_KEYS = frozenset(
    {
        "color",
        "material",
        "style",
        "size",
        "shoe_size",
        "skin_type",
        "scent",
        "shade",
        "finish",
        "author",
        "format",
        "age",
        "flavor",
        "life_stage",
    }
)
# Which fact kinds lead, per persona segment (lower rank first).
PERSONA_ORDER: dict[str, tuple[str, ...]] = {
    "price_sensitive": ("price", "benefit", "spec", "color", "free", "material", "brand", "style"),
    "tech_enthusiast": ("spec", "price", "material", "free", "benefit", "color", "brand", "style"),
    "quality_seeker": ("material", "brand", "spec", "free", "benefit", "price", "color", "style"),
    "trend_follower": ("color", "style", "material", "free", "benefit", "price", "spec", "brand"),
    "general": ("spec", "color", "benefit", "free", "material", "price", "brand", "style"),
}
_NOUNS: dict[str, Category] = {}
for _category in CATEGORIES:
    for _ptype in _category.types:
        _NOUNS[_ptype.noun[0]] = _category
        _NOUNS[_ptype.noun[1]] = _category


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str  # price | spec | color | material | style | free | brand | benefit
    text: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item as the prompt shows it."""

    title: str
    brand: str
    noun: str
    price: str
    currency: str
    attrs: tuple[tuple[str, str], ...]
    category: Category | None

    @property
    def short(self) -> str:
        # Books have no brand+noun name that reads well; their title is already short.
        if self.title.startswith("《") or (self.category and self.category.key == "books"):
            return self.title
        joiner = "" if _is_cjk(self.brand[-1:]) and _is_cjk(self.noun[:1]) else " "
        return f"{self.brand}{joiner}{self.noun}"


def _is_cjk(text: str) -> bool:
    return bool(text) and "\u4e00" <= text[0] <= "\u9fff"


def view(item: Item) -> ItemView:
    fields = dict(item_fields(item))
    price, _, currency = fields.get("price", "").partition(" ")
    reserved = {"title", "brand", "category", "price"}
    attrs = tuple((k, v) for k, v in item_fields(item) if k not in reserved)
    noun = fields.get("category", "")
    return ItemView(
        title=fields.get("title", ""),
        brand=fields.get("brand", ""),
        noun=noun,
        price=price,
        currency=currency,
        attrs=attrs,
        category=_NOUNS.get(noun),
    )


def _price_zh(rng: random.Random, v: ItemView) -> str:
    original = dict(v.attrs).get("original_price", "").partition(" ")[0]
    if original and rng.random() < 0.7:
        return rng.choice(P.ORIGINAL_ZH).format(op=original, p=v.price)
    return rng.choice(P.PRICE_ZH).format(p=v.price)


def _price_en(rng: random.Random, v: ItemView) -> str:
    original = dict(v.attrs).get("original_price", "").partition(" ")[0]
    if v.currency != "USD":
        return rng.choice(P.PRICE_EN_OTHER).format(p=v.price, c=v.currency)
    if original and rng.random() < 0.7:
        return rng.choice(P.ORIGINAL_EN).format(op=original, p=v.price)
    return rng.choice(P.PRICE_EN_USD).format(p=v.price)


def facts(rng: random.Random, v: ItemView, locale: Locale, segment: str) -> list[Fact]:
    """Every fact clause for one item, ordered by the persona's emphasis."""
    table = P.ATTR_ZH if locale == "zh" else P.ATTR_EN
    generic = P.GENERIC_ZH if locale == "zh" else P.GENERIC_EN
    out: list[Fact] = []
    for key, value in v.attrs:
        if key == "original_price":
            continue
        kind = (
            key if key in ("color", "material", "style") else "free" if key in FREE_KEYS else "spec"
        )
        template = rng.choice(table.get(key, generic))
        out.append(Fact(kind, template.format(v=value, k=key.replace("_", " "))))
    price = _price_zh(rng, v) if locale == "zh" else _price_en(rng, v)
    out.append(Fact("price", price))
    brand = P.BRAND_ZH if locale == "zh" else P.BRAND_EN
    out.append(Fact("brand", rng.choice(brand).format(b=v.brand)))
    if v.category is not None:
        benefit = rng.choice(v.category.benefits)
        out.append(Fact("benefit", benefit[0] if locale == "zh" else benefit[1]))
    order = PERSONA_ORDER.get(segment, PERSONA_ORDER["general"])
    if segment == "general":
        rng.shuffle(out)  # balanced: no fixed lead, then a stable sort by a shuffled order
        order = tuple(rng.sample(order, len(order)))
    return sorted(out, key=lambda f: order.index(f.kind))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


_A_AN = re.compile(r"\b([Aa]) (?=(?:[AEIOaeio]|8|11\b|11[^0-9]|18\b|18[^0-9]|u(?!s)))")


def fix_articles(text: str) -> str:
    """'a Oatmeal finish' → 'an Oatmeal finish', 'a 8GB' → 'an 8GB'."""
    return _A_AN.sub(lambda m: m.group(1) + "n ", text)


def _en_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _the(name: str) -> str:
    return name if name.startswith("The ") else f"the {name}"


@dataclass(frozen=True, slots=True)
class Shape:
    """One attempt's richness: fact count, full or short name, opener on or off."""

    n_facts: int
    short_name: bool
    lead: bool


def _shapes(channel: str) -> list[Shape]:
    top = FACT_BUDGET[channel]
    return [
        Shape(n, short, lead)
        for n in range(top, -1, -1)
        for short in (False, True)
        for lead in (True, False)
    ]


def _split_price(fs: list[Fact]) -> tuple[list[Fact], Fact]:
    price = next(f for f in fs if f.kind == "price")
    return [f for f in fs if f.kind != "price"], price


def _single_zh(rng: random.Random, req: ContentRequest, v: ItemView, s: Shape, segment: str) -> str:
    fs = facts(rng, v, "zh", segment)
    others, price = _split_price(fs)
    price_first = fs[0].kind == "price"
    chosen = others[: s.n_facts]
    name = v.short if s.short_name else v.title
    lead = rng.choice(P.LEAD_ZH[segment]) if s.lead else ""
    channel, kind = req.channel, req.kind
    if channel == "search_ad":
        parts = [name, *[f.text for f in chosen], price.text]
        return "｜".join(parts)
    if channel == "push":
        body = "，".join(
            [price.text, *[f.text for f in chosen]]
            if price_first
            else [*[f.text for f in chosen], price.text]
        )
        text = f"{name}，{body}" if body else name
        return f"{lead}！{text}" if lead else text
    intro = rng.choice(P.INTRO_ZH).format(name=name)
    clauses = [f.text for f in chosen]
    if kind == "ad" or channel != "detail_page" or rng.random() < 0.8:
        clauses.insert(0 if price_first else len(clauses), price.text)
    sentences: list[str] = []
    first = [intro, *clauses[:2]]
    sentences.append("，".join(first))
    rest = clauses[2:]
    while rest:
        take = rng.choice((1, 2, 3))
        sentences.append("，".join(rest[:take]))
        rest = rest[take:]
    cta = rng.choice(P.CTA_ZH[kind]) if channel in ("detail_page", "feed_card") else ""
    end = "！" if kind == "ad" else "。"
    if cta:
        sentences.append(cta)
    text = "。".join(sentences) + end
    if lead:
        text = f"{lead}{rng.choice(('！', '：', '，'))}{text}"
    return text


def _single_en(rng: random.Random, req: ContentRequest, v: ItemView, s: Shape, segment: str) -> str:
    fs = facts(rng, v, "en", segment)
    others, price = _split_price(fs)
    price_first = fs[0].kind == "price"
    chosen = others[: s.n_facts]
    name = v.short if s.short_name else v.title
    lead = rng.choice(P.LEAD_EN[segment]) if s.lead else ""
    channel, kind = req.channel, req.kind
    # Brand and benefit clauses are not noun phrases; they read as their own fragments.
    nps = [f.text for f in chosen if f.kind not in ("benefit", "brand")]
    benefits = [_cap(f.text) + "." for f in chosen if f.kind in ("benefit", "brand")]
    if channel == "search_ad":
        return fix_articles(" | ".join([name, *[_cap(f.text) for f in chosen], _cap(price.text)]))
    if channel == "push":
        bits = [name, *[f.text for f in chosen]]
        body = ", ".join(bits)
        body = f"{_cap(price.text)}: {body}" if price_first else f"{body}, {price.text}"
        return fix_articles(f"{lead}: {body}" if lead else _cap(body))
    sentences: list[str] = []
    if channel == "detail_page":
        sentences.append(rng.choice(P.INTRO_EN).format(name=name).replace("the The ", "The "))
        if nps:
            frame = rng.choice(
                (
                    "It brings {l}.",
                    "You get {l}.",
                    "Highlights include {l}.",
                    "Expect {l}.",
                    "Inside: {l}.",
                    "It offers {l}.",
                )
            )
            sentences.append(frame.format(l=_en_list(nps)))
    else:
        lead_np = f"{_cap(_the(name))} with {_en_list(nps)}." if nps else f"{_cap(_the(name))}."
        sentences.append(lead_np.replace("The The ", "The "))
    sentences.extend(benefits)
    if kind == "ad" or channel != "detail_page" or rng.random() < 0.8:
        price_sentence = _cap(price.text) + ("!" if kind == "ad" else ".")
        if price_first:
            sentences.insert(0, price_sentence)
        else:
            sentences.append(price_sentence)
    cta = rng.choice(P.CTA_EN[kind]) if channel in ("detail_page", "feed_card") else ""
    if cta:
        sentences.append(cta)
    text = " ".join(sentences)
    if lead:
        text = f"{lead}{rng.choice((': ', '! ', ' - '))}{text}"
    return fix_articles(text)


def _rec_zh(
    rng: random.Random, req: ContentRequest, vs: list[ItemView], s: Shape, segment: str
) -> str:
    items = []
    for v in vs:
        name = v.short if s.short_name else v.title
        fact = None
        if s.n_facts and req.channel == "detail_page":
            others, _ = _split_price(facts(rng, v, "zh", segment))
            fact = others[0].text if others else None
        phrase = rng.choice(P.REC_ITEM_ZH).format(name=name, price=v.price)
        items.append(f"{phrase}，{fact}" if fact else phrase)
    table = P.REC_INTRO_ZH if len(vs) > 1 else P.REC_ONE_ZH
    intro = rng.choice(table[segment]) if s.lead else rng.choice(P.REC_SHORT_ZH)
    if len(vs) == 1:
        body = rng.choice(P.REC_SINGLE_ZH).format(
            intro=intro, intro_short=rng.choice(P.REC_SHORT_ZH), item=items[0]
        )
    else:
        body = f"{intro}：" + "；".join(items)
    if req.channel == "push":
        return body
    cta = (
        rng.choice(P.CTA_ZH["recommendation"])
        if req.channel == "detail_page" or rng.random() < 0.5
        else ""
    )
    return f"{body}。{cta}。" if cta else f"{body}。"


def _rec_en(
    rng: random.Random, req: ContentRequest, vs: list[ItemView], s: Shape, segment: str
) -> str:
    items = []
    for v in vs:
        name = v.short if s.short_name else v.title
        template = P.REC_ITEM_EN_USD if v.currency == "USD" else P.REC_ITEM_EN_OTHER
        phrase = rng.choice(template).format(name=name, price=v.price, c=v.currency)
        if s.n_facts and req.channel == "detail_page":
            others, _ = _split_price(facts(rng, v, "en", segment))
            nps = [f.text for f in others if f.kind not in ("benefit", "brand")]
            if nps:
                phrase += f", with {nps[0]}"
        items.append(phrase)
    table = P.REC_INTRO_EN if len(vs) > 1 else P.REC_ONE_EN
    intro = rng.choice(table[segment]) if s.lead else "For you"
    body = f"{intro}: " + ("; ".join(items) if len(items) > 1 else items[0]) + "."
    if req.channel == "push":
        return fix_articles(body)
    cta = (
        rng.choice(P.CTA_EN["recommendation"])
        if req.channel == "detail_page" or rng.random() < 0.5
        else ""
    )
    return fix_articles(f"{body} {cta}" if cta else body)


def write_copy(request: ContentRequest, rng: random.Random) -> str | None:
    """The target text for ``request``, or None when no shape fits the channel limit."""
    segment = request.persona.segment if request.persona else "general"
    limit = LIMITS[request.locale][request.channel]
    views = [view(item) for item in request.items]
    for shape in _shapes(request.channel):
        if request.kind == "recommendation":
            render = _rec_zh if request.locale == "zh" else _rec_en
            text = render(rng, request, views, shape, segment)
        else:
            single = _single_zh if request.locale == "zh" else _single_en
            text = single(rng, request, views[0], shape, segment)
        if len(text) <= limit:
            return text
    return None
