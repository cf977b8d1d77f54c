"""Co-occurrence counts and decayed popularity per partition-prefixed product key."""

from __future__ import annotations

import random

from tests.unit.profiles.conftest import T0
from workers.profiles.cooc import (
    add_pairs,
    add_popularity,
    co_key,
    get_or_new,
    merged,
    popularity_at,
)
from workers.profiles.records import CoEntry, new_co_entry


def test_pairs_count_and_keep_the_strongest() -> None:
    """Counts add up; past the cap the weakest neighbour goes."""
    e = new_co_entry(T0)
    add_pairs(e, "v", ["A", "B"], cap=2)
    add_pairs(e, "v", ["A"], cap=2)
    add_pairs(e, "v", ["C"], cap=2)
    assert e["v"] == {"A": 2.0, "C": 1.0}  # among equals the older one goes
    add_pairs(e, "b", ["Z"], cap=2)
    assert e["b"] == {"Z": 1.0}


def test_popularity_decays_and_reanchors() -> None:
    """Popularity halves per half-life when read, and survives a far-future re-anchor."""
    e = new_co_entry(T0)
    add_popularity(e, 4.0, T0, half_life_ms=1000.0)
    assert popularity_at(e, T0 + 1000, 1000.0) == 2.0
    add_popularity(e, 1.0, T0 + 100_000, half_life_ms=1000.0)
    assert e["t0"] == T0 + 100_000
    assert abs(popularity_at(e, T0 + 100_000, 1000.0) - 1.0) < 1e-12


def test_merged_sums_partitions() -> None:
    """A product's counts are summed over the partitions a worker holds."""
    co: dict[str, CoEntry] = {}
    for p, n in ((0, 1.0), (2, 2.0)):
        e = get_or_new(co, co_key(p, "X"), T0)
        e["v"]["Y"] = n
        e["b"]["Z"] = n
        co[co_key(p, "X")] = e
    views, buys = merged(co, "X", 3)
    assert views == {"Y": 3.0} and buys == {"Z": 3.0}
    assert merged(co, "X", 1) == ({"Y": 1.0}, {"Z": 1.0})
    assert merged(co, "nothing", 3) == ({}, {})
    assert co_key(1, "P9") == "1:P9"


def test_eviction_matches_the_plain_rule_on_random_streams() -> None:
    """The C-level eviction drops what "first key with the least count" drops."""
    rng = random.Random(5)
    e = new_co_entry(T0)
    plain: dict[str, float] = {}
    for _ in range(3000):
        others = rng.sample([f"P{i}" for i in range(60)], rng.randint(1, 3))
        add_pairs(e, "v", others, cap=8)
        for other in others:
            plain[other] = plain.get(other, 0.0) + 1.0
        while len(plain) > 8:
            del plain[min(plain, key=plain.__getitem__)]
        assert list(e["v"].items()) == list(plain.items())
