"""Which of a request's attribute values a text names, and the text units n-grams count.

Shared by the writer (it prefers the passing draft that names the most attributes) and the
evaluation (attribute coverage, distinct-n), so both read a text the same way.
"""

from __future__ import annotations

import re
from itertools import pairwise

from workers.domain import ContentRequest
from workers.prompt import item_fields

_WORD = re.compile(
    r"[A-Za-z0-9]+(?:[.\-'][A-Za-z0-9]+)*|[\u4e00-\u9fff]|[^\sA-Za-z0-9\u4e00-\u9fff]"
)


def units(text: str) -> list[str]:
    """Words for Latin text, single characters for Chinese; punctuation kept as units."""
    return _WORD.findall(text.lower())


def bigrams(text: str) -> frozenset[tuple[str, str]]:
    u = units(text)
    return frozenset(pairwise(u))


def _normalized(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def attribute_values(request: ContentRequest) -> list[str]:
    """The values a text could mention: brand, price number and free attributes."""
    values: list[str] = []
    for item in request.items:
        for key, value in item_fields(item):
            if key == "price":
                values.append(item.price)
            elif key not in ("title", "category"):
                values.append(value)
    return [v for v in values if v]


def mentions(text: str, value: str) -> bool:
    norm = _normalized(text)
    if _normalized(value) in norm:
        return True
    # Prices: 199.00 may be written 199.
    stripped = value.rstrip("0").rstrip(".") if "." in value else value
    return bool(stripped) and stripped in norm


def named_attributes(text: str, request: ContentRequest) -> int:
    """How many of the request's attribute values ``text`` names."""
    return sum(mentions(text, v) for v in attribute_values(request))
