"""Pure text metrics used by the evaluation: coverage, distinct-n, n-gram units."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from workers.domain import ContentRequest
from workers.generator.coverage import attribute_values, mentions, units

__all__ = ["attribute_values", "distinct_n", "mean", "slot_recall", "units"]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams over all n-grams across ``texts`` (Li et al., 2016)."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        u = units(text)
        grams.extend(tuple(u[i : i + n]) for i in range(len(u) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


def slot_recall(text: str, reference: str, request: ContentRequest) -> tuple[int, int]:
    """(mentioned, wanted): of the attribute values the reference mentions, how many the
    text does."""
    wanted = [v for v in attribute_values(request) if mentions(reference, v)]
    return sum(mentions(text, v) for v in wanted), len(wanted)


def mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals) if vals else 0.0
