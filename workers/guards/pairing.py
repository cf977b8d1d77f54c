"""Pairing guard: in a text about several items, each price follows the item it belongs to.

The facts guard proves that every price in a recommendation is *a* price of the request. It
cannot see "Lamp A for $15.99; Lamp B for $17.99" when A costs 17.99: every number is true,
the copy is false. Lists in copy name an item, then say its price, so this guard reads the
text in order and checks that the last item named before each price is one that costs it.

Items are recognised by their title or their brand (the short form "Qusen Lamp"); a brand
that several items share stands for each of them. A price that comes before any item is
named is a failure too: no reader can tell whose it is. Requests with one item pass: there
is nothing to mix up.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from workers.domain import ContentRequest
from workers.guards.result import GuardResult, listing
from workers.prompt import MAX_ITEMS, MAX_TITLE_CHARS, sanitize_value

PAIRING = "pairing"


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _find_all(text: str, needle: str) -> list[int]:
    positions: list[int] = []
    start = text.find(needle)
    while needle and start >= 0:
        positions.append(start)
        start = text.find(needle, start + 1)
    return positions


def _anchors(text: str, request: ContentRequest) -> list[tuple[int, int, frozenset[int]]]:
    """(start, end, item indexes) of every item name in ``text``, in text order.

    A name shared by several items (two editions of one book, two phones of one brand) stands
    for all of them. A name found inside a longer name belongs to the longer one.
    """
    spans: dict[tuple[int, int], set[int]] = {}
    for index, item in enumerate(request.items[:MAX_ITEMS]):
        names = (sanitize_value(item.title, MAX_TITLE_CHARS), sanitize_value(item.brand))
        for name in names:
            for start in _find_all(text, name):
                spans.setdefault((start, start + len(name)), set()).add(index)
    # A name inside a longer one is part of it: "Zentro" inside "Aoki X5 for Zentro X Case".
    outer = [
        (start, end, frozenset(who))
        for (start, end), who in sorted(spans.items())
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)
    ]
    return outer


def _price_mentions(text: str, request: ContentRequest) -> list[tuple[int, int, Decimal]]:
    """(start, end, amount) of every price of the request's items written in ``text``.

    A price is matched as written in the request ("15.99", "199.00"), not glued to other
    digits; "size 10" is not the price 10.00, and "115.99" does not contain 15.99.
    """
    found: set[tuple[int, int, Decimal]] = set()
    for item in request.items[:MAX_ITEMS]:
        amount = _amount(item.price)
        if amount is None or not item.price:
            continue
        pattern = r"(?<![\d.])" + re.escape(item.price) + r"(?![\d]|\.\d)"
        found |= {(m.start(), m.end(), amount) for m in re.finditer(pattern, text)}
    return sorted(found)


def check_pairing(text: str, request: ContentRequest) -> GuardResult:
    """Fail when a price follows the name of an item that does not cost it."""
    items = request.items[:MAX_ITEMS]
    if len(items) < 2:
        return GuardResult(PAIRING, True)
    prices = [_amount(item.price) for item in items]
    anchors = _anchors(text, request)
    problems: list[str] = []
    for start, end, amount in _price_mentions(text, request):
        # A price inside a name ("the 2024 Edition") is part of the name, not a price.
        if any(a_start <= start and end <= a_end for a_start, a_end, _ in anchors):
            continue
        before = [who for _, a_end, who in anchors if a_end <= start]
        if not before:
            problems.append(f"{amount} before any item is named")
            continue
        last = before[-1]
        if not any(prices[index] == amount for index in last):
            named = "/".join(str(index + 1) for index in sorted(last))
            costs = "/".join(str(prices[index]) for index in sorted(last))
            problems.append(f"{amount} after item {named}, which costs {costs}")
    if problems:
        return GuardResult(PAIRING, False, listing("price paired with the wrong item", problems))
    return GuardResult(PAIRING, True)
