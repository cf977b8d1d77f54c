"""Deterministic fallback copy, for requests whose every sampled draft failed a guard.

A fallback must be publishable for any request, however odd its data, so:

- it says only what the request says: titles, brands, categories, attribute values and
  exact prices, each through ``sanitize_value``, and cut only between words (a title cut
  inside "WH-1000XM5" would state a model that does not exist);
- it is rendered from richest to plainest: all attributes, fewer, none; full title, shorter
  title, brand and category, category; with the price, then without. Extra items and
  attributes go before the title is cut, and the title is cut before the price goes. The
  first candidate that passes ``check_all`` wins;
- a piece that holds a banned term or the user's id (a title "最佳耳机") is left out before
  rendering, and brand + category stand in for such a title;
- the last candidates use no request data at all. They come in variants that share no word
  (en) or character (zh), and the privacy guard matches an id only at word boundaries, so no
  user id can appear in all of them: one always passes at the default limits.

The wording variant is chosen by a hash of the request id, so a replay writes the same text.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation

from workers.domain import ContentRequest, Item, Kind, Locale
from workers.guards import check_all, passed
from workers.guards.brands import KNOWN_BRANDS, BrandGroups
from workers.guards.compliance import banned_terms_in
from workers.guards.length import LENGTH_LIMITS, LengthLimits, length_units, limit_for
from workers.guards.numbers import currency_code
from workers.guards.privacy import personal_data_in
from workers.prompt import MAX_TITLE_CHARS, sanitize_key, sanitize_value

MAX_ATTRIBUTES = 3
MAX_RECOMMENDED = 3

# Shorter renderings of a title, in length units, tried once the full one does not fit.
_TITLE_CUTS: dict[Locale, tuple[int, ...]] = {"zh": (20, 12), "en": (40, 24)}
_VALUE_UNITS: dict[Locale, int] = {"zh": 16, "en": 32}

# Characters that belong to one token: a cut between two of them could change a fact
# ("1.5L" → "1.", "WH-1000XM5" → "WH-10", "100%" → "100").
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9.,\-%'/]")
_TRAILING = " \t,.;:-/·、，。：；（(【[<"
_DANGLING = frozenset(
    {
        "a",
        "an",
        "and",
        "by",
        "for",
        "from",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "&",
        "+",
        "|",
    }
)

_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}
_MAX_PRICE_DIGITS = 15
_PLAIN_PRICE = re.compile(r"\d+(?:\.\d+)?")
_ISO_CODE = re.compile(r"[A-Z]{3}")

# Last resorts. Within a locale the variants share no word (en) or character (zh).
GENERIC: dict[Locale, tuple[str, ...]] = {
    "zh": ("精选好物，欢迎选购。", "为你推荐，来看看吧。"),
    "en": ("Take a look at today's picks.", "Fresh finds are waiting for you."),
}

Render = Callable[[str, Sequence[str], str | None], str]


def _variant(request_id: str, count: int) -> int:
    """A stable choice among ``count`` variants, from the request id alone."""
    digest = hashlib.sha256(request_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % count


def clip(text: str, max_units: float, locale: Locale) -> str:
    """``text`` cut to at most ``max_units``, only where no token is split."""
    if length_units(text, locale) <= max_units:
        return text
    best = at_space = 0
    used = 0.0
    for end in range(1, len(text)):
        used += length_units(text[end - 1], locale)
        if used > max_units:
            break
        if not (_TOKEN_CHARS.match(text[end - 1]) and _TOKEN_CHARS.match(text[end])):
            best = end
        if text[end].isspace():
            at_space = end
    # Chinese has no spaces between words, but titles put them between segments
    # ("耳机 Q5 旗舰版 商务通勤"): a cut there keeps words whole, if it keeps half the text.
    if at_space * 2 >= best:
        best = at_space
    words = text[:best].rstrip(_TRAILING).split(" ")
    # "Headphones for" reads as a mistake; a cut ends on a content word.
    while len(words) > 1 and words[-1].casefold() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(_TRAILING)


class _Pieces:
    """The request's data as safe, clean fragments for one locale."""

    def __init__(self, request: ContentRequest) -> None:
        self.locale: Locale = request.locale
        self.user_id = request.user_id

    def safe(self, text: str) -> bool:
        """Usable in copy on its own: non-empty, no banned term, no personal data."""
        if not text or banned_terms_in(text):
            return False
        return not personal_data_in(text, self.user_id)

    def clean(self, raw: str, max_units: float) -> str:
        return clip(sanitize_value(raw, sys.maxsize), max_units, self.locale)

    def names(self, item: Item) -> list[str]:
        """Ways to name ``item``, longest first; brand + category stand in for a bad title."""
        title = self.clean(item.title, MAX_TITLE_CHARS)
        options = []
        # A title that is unsafe as a whole is hostile data: none of its cuts are used either.
        if self.safe(title):
            options = [title] + [clip(title, cut, self.locale) for cut in _TITLE_CUTS[self.locale]]
        brand = self.clean(item.brand, _VALUE_UNITS[self.locale])
        leaf = item.category_path[-1] if item.category_path else ""
        category = self.clean(leaf, _VALUE_UNITS[self.locale])
        brand = brand if self.safe(brand) else ""
        category = category if self.safe(category) else ""
        options += [_join(brand, category), category, brand]
        return [o for o in dict.fromkeys(options) if o]

    def attributes(self, item: Item) -> list[str]:
        """Up to ``MAX_ATTRIBUTES`` "key value" phrases, in the prompt's key order."""
        reserved = {"title", "brand", "category", "price"}
        phrases = []
        ordered = sorted(item.attributes.items(), key=lambda kv: sanitize_key(kv[0]))
        for raw_key, raw_value in ordered:
            key = sanitize_key(raw_key)
            value = self.clean(raw_value, _VALUE_UNITS[self.locale])
            if not key or key in reserved or not value:
                continue
            reserved.add(key)
            label = key.replace("_", " ").strip()
            phrase = _join(label, value)
            if self.safe(phrase):
                phrases.append(phrase)
            if len(phrases) == MAX_ATTRIBUTES:
                break
        return phrases

    def price(self, item: Item) -> str | None:
        """The item's exact price with its currency, or None when it is not a plain amount."""
        raw = sanitize_value(item.price, sys.maxsize)
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
        # "1E+999999999" is a valid Decimal whose plain form would not fit in memory.
        if not value.is_finite() or value < 0 or value.adjusted() > _MAX_PRICE_DIGITS:
            return None
        amount = raw if _PLAIN_PRICE.fullmatch(raw) else format(value, "f")
        currency = currency_code(sanitize_value(item.currency))
        if currency in _SYMBOLS:
            text = f"{_SYMBOLS[currency]}{amount}"
        elif _ISO_CODE.fullmatch(currency):
            text = f"{amount} {currency}"
        else:
            text = amount
        return text if self.safe(text) else None


def _join(left: str, right: str) -> str:
    """Join two fragments with a space between Latin edges ("battery 30h"), none at CJK ones."""
    if not left or not right:
        return left or right
    space = " " if left[-1].isascii() and right[0].isascii() else ""
    return f"{left}{space}{right}"


# ------------------------------------------------------------------ wording


def _zh_single(price_words: str) -> Render:
    def render(name: str, attrs: Sequence[str], price: str | None) -> str:
        parts = [name]
        if attrs:
            parts.append("、".join(attrs))
        parts.append(price_words.format(price) if price else "欢迎选购")
        return "，".join(parts) + "。"

    return render


def _en_single(price_words: str) -> Render:
    def render(name: str, attrs: Sequence[str], price: str | None) -> str:
        text = name + (f" ({', '.join(attrs)})" if attrs else "") + "."
        return text + (" " + price_words.format(price) if price else " Take a closer look.")

    return render


_SINGLE: dict[tuple[Locale, Kind], tuple[Render, ...]] = {
    ("zh", "description"): (_zh_single("售价{}"), _zh_single("现价{}")),
    ("zh", "ad"): (_zh_single("{}入手"), _zh_single("{}带回家")),
    ("en", "description"): (_en_single("Priced at {}."), _en_single("Now {}.")),
    ("en", "ad"): (_en_single("Yours for {}."), _en_single("Get it for {}.")),
}

_LIST_LEADS: dict[Locale, tuple[str, ...]] = {
    "zh": ("为你挑选：", "猜你喜欢："),
    "en": ("Picked for you: ", "You may also like: "),
}


def _render_list(locale: Locale, lead: str, entries: Sequence[tuple[str, str | None]]) -> str:
    if locale == "zh":
        shown = [f"{name} {price}" if price else name for name, price in entries]
        return lead + "、".join(shown) + "。"
    shown = [f"{name} ({price})" if price else name for name, price in entries]
    return lead + ", ".join(shown) + "."


# ------------------------------------------------------------------ candidates


def _single_candidates(request: ContentRequest, pieces: _Pieces) -> Iterator[str]:
    renders = _SINGLE[(request.locale, request.kind)]
    render = renders[_variant(request.request_id, len(renders))]
    for item in request.items:
        names = pieces.names(item)
        if not names:
            continue
        attrs = pieces.attributes(item)
        price = pieces.price(item)
        # The exact price outranks a whole title: cut the title before dropping the price.
        for with_price in (price, None) if price else (None,):
            for name in names:
                for count in range(len(attrs), -1, -1):
                    yield render(name, attrs[:count], with_price)
        return


def _list_candidates(request: ContentRequest, pieces: _Pieces) -> Iterator[str]:
    leads = _LIST_LEADS[request.locale]
    lead = leads[_variant(request.request_id, len(leads))]
    shown = []
    for item in request.items:
        names = pieces.names(item)
        if names:
            shown.append((names, pieces.price(item)))
        if len(shown) == MAX_RECOMMENDED:
            break
    if not shown:
        return
    levels = max(len(names) for names, _ in shown)
    for with_prices in (True, False):
        for level in range(levels):
            for count in range(len(shown), 0, -1):
                entries = [
                    (names[min(level, len(names) - 1)], price if with_prices else None)
                    for names, price in shown[:count]
                ]
                yield _render_list(request.locale, lead, entries)


def candidates(request: ContentRequest) -> Iterator[str]:
    """Every text ``fallback_text`` may choose from, richest first, generic last."""
    pieces = _Pieces(request)
    if request.kind == "recommendation":
        yield from _list_candidates(request, pieces)
    else:
        yield from _single_candidates(request, pieces)
    generic = GENERIC[request.locale]
    first = _variant(request.request_id, len(generic))
    yield from generic[first:] + generic[:first]


def fallback_text(
    request: ContentRequest,
    *,
    limits: LengthLimits = LENGTH_LIMITS,
    brands: BrandGroups = KNOWN_BRANDS,
) -> str:
    """A safe, fluent text for ``request`` that passes every guard, chosen deterministically.

    With the default limits one candidate always passes. With limits shorter than the
    generic texts nothing can; the shortest generic text is returned and the writer's own
    guard check keeps it from being published.
    """
    limit = limit_for(request, limits)
    for text in candidates(request):
        if length_units(text, request.locale) > limit:
            continue
        if passed(check_all(text, request, limits=limits, brands=brands)):
            return text
    return min(GENERIC[request.locale], key=len)
