"""Item-to-item co-view and co-purchase counts, and decayed popularity, per product.

Entries are keyed ``"<partition>:<product_id>"``: the worker that owns a behavior partition
is the only writer of that partition's keys, so each key's changelog lives in exactly one
partition and recovery can never mix two writers' values. Readers sum a product over the
partitions they hold (see ``merged``). With W workers each one sees the co-occurrence of
its 1/W of the users: a sample, which is what counts need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from operator import indexOf

from workers.profiles.logic import decay_factor
from workers.profiles.records import CoEntry, new_co_entry

# Popularity weight per behavior type: a purchase says more than a glance.
POPULARITY_WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "click": 1.0,
    "add_to_cart": 3.0,
    "purchase": 5.0,
}
_REBASE_EXPONENT = 64.0


def co_key(partition: int, product_id: str) -> str:
    return f"{partition}:{product_id}"


def add_pairs(entry: CoEntry, kind: str, others: Iterable[str], cap: int) -> None:
    """Count one co-occurrence of the entry's product with each of ``others``.

    Counts are ints (``1``, not ``1.0``): the same numbers, cheaper to serialize and
    shorter in the changelog. A value recovered from the earlier format holds floats,
    which the counting continues exactly (``1.0 + 1``)."""
    counts = entry["v"] if kind == "v" else entry["b"]
    for other in others:
        counts[other] = counts.get(other, 0) + 1
    if len(counts) > cap:
        evict_weakest(counts, cap)


def evict_weakest(counts: dict[str, float], cap: int) -> None:
    """Drop the weakest neighbours until ``counts`` holds at most ``cap``.

    Keep the strongest neighbours; an item-item list is only read from the top. Among
    equals the oldest goes: the first key holding the least count. Found with C-level
    scans (a full list meets this on nearly every new pair): a key function or a Python
    loop would cost a Python step per neighbour. Counts are whole counts, never below 1,
    and a list over its cap has just taken a new neighbour at 1: so the least count is 1,
    and the first 1 is found in one scan that stops there, without a list or ``min``.
    """
    while len(counts) > cap:
        try:
            i = indexOf(counts.values(), 1)
        except ValueError:  # no 1 at all (a list over a lowered cap): the general way
            values = list(counts.values())
            i = values.index(min(values))
        del counts[next(islice(counts, i, None))]


def add_popularity(entry: CoEntry, weight: float, ts_ms: int, half_life_ms: float) -> None:
    """Add a decayed popularity weight (same anchor trick as profile affinities)."""
    exponent = (ts_ms - entry["t0"]) / half_life_ms
    if exponent > _REBASE_EXPONENT:
        entry["pop"] *= decay_factor(entry["t0"], ts_ms, half_life_ms)
        entry["t0"] = ts_ms
        exponent = 0.0
    entry["pop"] += weight * 2.0**exponent


def popularity_at(entry: CoEntry, now_ms: int, half_life_ms: float) -> float:
    return entry["pop"] * decay_factor(entry["t0"], now_ms, half_life_ms)


def merged(
    co: Mapping[str, CoEntry], product_id: str, partitions: int
) -> tuple[dict[str, float], dict[str, float]]:
    """Co-view and co-purchase counts of one product summed over ``partitions``."""
    views: dict[str, float] = {}
    buys: dict[str, float] = {}
    for p in range(partitions):
        entry = co.get(co_key(p, product_id))
        if entry is None:
            continue
        if partitions == 1:
            return entry["v"], entry["b"]
        for k, v in entry["v"].items():
            views[k] = views.get(k, 0.0) + v
        for k, v in entry["b"].items():
            buys[k] = buys.get(k, 0.0) + v
    return views, buys


def get_or_new(co: Mapping[str, CoEntry], key: str, ts_ms: int) -> CoEntry:
    entry = co.get(key)
    return entry if entry is not None else new_co_entry(ts_ms)
