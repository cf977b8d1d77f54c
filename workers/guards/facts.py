"""Facts guard: every number, price, quantity, brand and model name must come from the request.

What is read from the copy, in this order (each pass blanks what it read, so "¥199" is a
price and not also a bare 199, and "WH-1000XM5" is a model code and not also a 1000):

1. prices: a number with a currency mark ("¥199", "$1,299.99", "199元", "USD 19.99"); the
   value must be a price in the request, in a currency the mark can mean;
2. quantities: a number with a unit ("5000mAh", "65 W", "1.5L", "30小时", "两年", "two hours");
   the request must state the same amount, after exact unit conversion (1.5L == 1500 ml);
3. Latin names: a word is taken for a brand or model name when it is
   - a known brand (``brands.KNOWN_BRANDS``; a brand that is also a common word, like
     "Apple", only when capitalised),
   - or mixes letters and digits ("X200", "WH-1000XM5", "5G"),
   - or has a capital after its first letter ("iPhone", "AirPods", "USB", "OLED"), unless it
     is an all-capitals common word ("NEW"),
   - or is capitalised and not common English ("Sonora", "Bose", but not "Enjoy").
   Position in the sentence does not matter. A model that swaps in a brand from its
   training data most often puts it first ("Sonora headphones deliver..."), so sentence
   starts get no pass; ordinary words there are already common English. Lower-case words
   are never taken for names: copy does not write brands in lower case, and reading every
   lower-case word as a claim would fail all copy;
4. bare numbers: any other number must appear somewhere in the request (or be the number
   of items the model was shown);
5. Chinese brand names from the known list.

What the request supports: everything in its items (title, brand, every category level,
price, currency, attribute keys and values), in either locale, read generously (see
``numbers.numbers_in_data``). The persona is not a fact about the products, so a brand the
user likes does not support naming it. A name is supported when its letters and digits, with
separators dropped, equal a run of consecutive letter/digit pieces of one request field, so
"iPhone15" matches "iPhone 15" and "WH1000XM5" matches "WH-1000XM5", but "X20" does not match
"X200".

Not checked: colours, materials and other lower-case words ("navy" vs "black"), which are
facts but read like any word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from workers.domain import ContentRequest, Item
from workers.guards._text import ASCII_ALNUM, normalize
from workers.guards.brands import KNOWN_BRANDS, BrandGroups
from workers.guards.english import is_common_word
from workers.guards.numbers import (
    currency_code,
    currency_words,
    find_numbers,
    find_prices,
    find_quantities,
    numbers_in_data,
    units_named_in,
)
from workers.guards.result import GuardResult, listing
from workers.prompt import MAX_ITEMS

NAME = "facts"

# A name may span this many letter/digit pieces of a field: "WH-1000XM5" is WH|1000|XM|5.
MAX_NAME_PIECES = 4

_TOKEN = re.compile(rf"(?<![{ASCII_ALNUM}])[{ASCII_ALNUM}]+(?:-[{ASCII_ALNUM}]+)*")
_PIECE = re.compile(r"[A-Za-z]+|[0-9]+")
_HAS_LETTER = re.compile(r"[A-Za-z]")
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Support:
    """What one request vouches for, in the forms the passes compare."""

    numbers: frozenset[Decimal]
    prices: frozenset[tuple[Decimal, str]]
    quantities: frozenset[tuple[str, Decimal]]
    names: frozenset[str]  # case-folded, separators dropped
    cjk_brands: frozenset[str]


def _compact(token: str) -> str:
    return token.replace("-", "").casefold()


def _name_forms(field: str) -> set[str]:
    """Every way a name taken from ``field`` can be written, compacted."""
    forms = set()
    for token in _TOKEN.findall(field):
        forms.add(_compact(token))
        forms.update(part.casefold() for part in token.split("-"))
    pieces = [p.casefold() for p in _PIECE.findall(field)]
    for start in range(len(pieces)):
        for end in range(start + 1, min(start + MAX_NAME_PIECES, len(pieces)) + 1):
            forms.add("".join(pieces[start:end]))
    return forms


@dataclass(frozen=True, slots=True)
class _ItemFacts:
    """An item's fields in a hashable form, so the support of equal items is built once."""

    title: str
    brand: str
    category_path: tuple[str, ...]
    price: str
    currency: str
    attributes: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, item: Item) -> _ItemFacts:
        return cls(
            item.title,
            item.brand,
            tuple(item.category_path),
            item.price,
            item.currency,
            tuple(item.attributes.items()),
        )


def _item_fields(item: _ItemFacts) -> list[str]:
    raw = [item.title, item.brand, *item.category_path, item.price, item.currency]
    for key, value in item.attributes:
        raw += [key, value]
    return [normalize(field) for field in raw]


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def build_support(request: ContentRequest, brands: BrandGroups = KNOWN_BRANDS) -> Support:
    """Collect what ``request``'s items state, read the way ``check_facts`` reads copy.

    Memoized on the items' data: a product's description and ad, and every re-sampled draft
    of one request, are checked against the same support.
    """
    return _support_of(tuple(_ItemFacts.of(item) for item in request.items), brands)


@lru_cache(maxsize=1024)
def _support_of(items: tuple[_ItemFacts, ...], brands: BrandGroups) -> Support:
    # The number of items the model was shown is a fact too ("3 picks for you").
    shown = min(len(items), MAX_ITEMS)
    numbers: set[Decimal] = {Decimal(shown)} if shown else set()
    prices: set[tuple[Decimal, str]] = set()
    quantities: set[tuple[str, Decimal]] = set()
    names: set[str] = set()
    corpus: list[str] = []
    for item in items:
        currency = currency_code(normalize(item.currency))
        names |= currency_words(currency)
        # Prices are read strictly: "129.99" vouches for 129.99, never for 99.
        exact = _decimal(normalize(item.price))  # "1E+3" is a price too, if an odd one
        if exact is not None:
            numbers.add(exact)
            prices.add((exact, currency))
        for field in _item_fields(item):
            corpus.append(field.casefold())
            names |= _name_forms(field)
            numbers |= numbers_in_data(field)
            found_prices, rest = find_prices(field)
            found_quantities, _ = find_quantities(rest)
            numbers |= {p.value for p in found_prices} | {q.value for q in found_quantities}
            prices |= {(p.value, c) for p in found_prices for c in p.currencies}
            quantities |= {q.key for q in found_quantities}
        for key, value in item.attributes:
            key, value = normalize(key), normalize(value)
            # "battery_mah": "5000" states 5000 mAh, "原价": "299" a price.
            if _BARE_NUMBER.fullmatch(value):
                amount = Decimal(value)
                quantities |= {(dim, amount * factor) for dim, factor in units_named_in(key)}
            if "price" in key.casefold() or "价" in key:
                prices |= {(v, currency) for _, v in find_numbers(value)}
    text = "\n".join(corpus)
    cjk: set[str] = set()
    table = _brand_table(brands)
    named = {i for needle in names & table.ascii_index.keys() for i in table.ascii_index[needle]}
    named |= {i for needle, i in table.cjk_needles if needle in text}
    for i in sorted(named):
        names |= table.groups[i].name_forms
        cjk |= table.groups[i].cjk
    return Support(
        frozenset(numbers),
        frozenset(prices),
        frozenset(quantities),
        frozenset(names),
        frozenset(cjk),
    )


@dataclass(frozen=True, slots=True)
class _BrandGroup:
    name_forms: frozenset[str]  # what naming any alias of the group vouches for
    cjk: frozenset[str]  # the group's folded non-ASCII aliases


@dataclass(frozen=True, slots=True)
class _BrandTable:
    groups: tuple[_BrandGroup, ...]
    # A request mentions a group when a name form of the request equals the letter/digit
    # pieces of one of its ASCII aliases, or its text holds one of its non-ASCII aliases.
    ascii_index: dict[str, tuple[int, ...]]
    cjk_needles: tuple[tuple[str, int], ...]
    words: frozenset[str]  # folded ASCII aliases that are one token ("bose", "thinkpad")
    cjk: tuple[str, ...]  # every folded non-ASCII alias, as the last pass looks for them


@cache
def _brand_table(brands: BrandGroups) -> _BrandTable:
    """Everything the guard reads from a brand list, computed once per list.

    The list is constant in production; normalising every alias on every check was most of
    this guard's cost (and the guard is most of the cost of writing a text).
    """
    groups = []
    ascii_index: dict[str, list[int]] = {}
    cjk_needles: list[tuple[str, int]] = []
    for index, group in enumerate(brands):
        forms: set[str] = set()
        cjk: set[str] = set()
        for alias in group:
            norm = normalize(alias)
            folded = norm.casefold()
            forms |= _name_forms(norm)
            if alias.isascii():
                ascii_index.setdefault("".join(_PIECE.findall(folded)), []).append(index)
            else:
                cjk_needles.append((folded, index))
                cjk.add(folded)
        groups.append(_BrandGroup(frozenset(forms), frozenset(cjk)))
    words = frozenset(
        normalize(alias).casefold()
        for group in brands
        for alias in group
        if alias.isascii() and _TOKEN.fullmatch(normalize(alias))
    )
    cjk_all = tuple(
        normalize(alias).casefold() for group in brands for alias in group if not alias.isascii()
    )
    return _BrandTable(
        tuple(groups),
        {needle: tuple(dict.fromkeys(ids)) for needle, ids in ascii_index.items()},
        tuple(cjk_needles),
        words,
        cjk_all,
    )


def _brand_words(brands: BrandGroups) -> frozenset[str]:
    return _brand_table(brands).words


def looks_like_name(part: str, brand_words: Iterable[str] = ()) -> bool:
    """Whether one hyphen-free Latin word would state a brand or model (see module doc)."""
    letters = "".join(ch for ch in part if ch.isalpha())
    if not letters:
        return False
    folded = part.casefold()
    if folded in brand_words:
        # "apple" is fruit, "Apple" a brand; "bose" in any case is a brand.
        return not (is_common_word(folded) and part.islower())
    if len(part) < 2:
        return False
    if any(ch.isdigit() for ch in part):
        return True
    if letters.isupper():
        return not is_common_word(folded)
    if any(ch.isupper() for ch in part[1:]):
        return True
    return part[0].isupper() and not is_common_word(folded)


def _name_supported(token: str, support: Support, brand_words: frozenset[str]) -> bool:
    if _compact(token) in support.names:
        return True
    for part in token.split("-"):
        if part.isdigit():
            # "3-pack" and "2-in-1" state numbers even though no part is a name.
            if Decimal(part) not in support.numbers:
                return False
        elif looks_like_name(part, brand_words) and part.casefold() not in support.names:
            return False
    return True


def unsupported_facts(
    text: str, request: ContentRequest, brands: BrandGroups = KNOWN_BRANDS
) -> list[str]:
    """The surfaces in ``text`` that state something ``request`` does not support."""
    support = build_support(request, brands)
    brand_words = _brand_words(brands)
    rest = normalize(text)
    bad: list[str] = []

    prices, rest = find_prices(rest)
    bad += [
        p.surface for p in prices if not any((p.value, c) in support.prices for c in p.currencies)
    ]

    quantities, rest = find_quantities(rest)
    bad += [q.surface for q in quantities if q.key not in support.quantities]

    # Names next, blanking every word with a letter so its digits are not read as numbers.
    kept: list[str] = []
    last = 0
    for match in _TOKEN.finditer(rest):
        token = match.group(0)
        if not _HAS_LETTER.search(token):
            continue
        if not _name_supported(token, support, brand_words):
            bad.append(token)
        kept.append(rest[last : match.start()])
        last = match.end()
    rest = " ".join([*kept, rest[last:]])

    bad += [surface for surface, value in find_numbers(rest) if value not in support.numbers]

    folded = normalize(text).casefold()
    bad += [
        alias
        for alias in _brand_table(brands).cjk
        if alias in folded and alias not in support.cjk_brands
    ]
    return bad


def check_facts(
    text: str, request: ContentRequest, brands: BrandGroups = KNOWN_BRANDS
) -> GuardResult:
    """Fail when the text states a number, price, unit, brand or model the request lacks."""
    bad = unsupported_facts(text, request, brands)
    if bad:
        return GuardResult(NAME, False, listing("unsupported", bad))
    return GuardResult(NAME, True)
