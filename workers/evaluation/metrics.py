"""Pure text metrics used by the evaluation: coverage, distinct-n, n-gram units."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from workers.domain import ContentRequest
from workers.prompt import item_fields

_WORD = re.compile(
    r"[A-Za-z0-9]+(?:[.\-'][A-Za-z0-9]+)*|[\u4e00-\u9fff]|[^\sA-Za-z0-9\u4e00-\u9fff]"
)


def units(text: str) -> list[str]:
    """Words for Latin text, single characters for Chinese; punctuation kept as units."""
    return _WORD.findall(text.lower())


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams over all n-grams across ``texts`` (Li et al., 2016)."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        u = units(text)
        grams.extend(tuple(u[i : i + n]) for i in range(len(u) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


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


def _mentions(text: str, value: str) -> bool:
    norm = _normalized(text)
    if _normalized(value) in norm:
        return True
    # Prices: 199.00 may be written 199.
    stripped = value.rstrip("0").rstrip(".") if "." in value else value
    return bool(stripped) and stripped in norm


def slot_recall(text: str, reference: str, request: ContentRequest) -> tuple[int, int]:
    """(mentioned, wanted): of the attribute values the reference mentions, how many the
    text does."""
    wanted = [v for v in attribute_values(request) if _mentions(reference, v)]
    return sum(_mentions(text, v) for v in wanted), len(wanted)


def mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals) if vals else 0.0
