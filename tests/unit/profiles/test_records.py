"""State shapes: JSON-native profiles and catalog entries, and the Item view of an entry."""

from __future__ import annotations

import json

from tests.unit.profiles.conftest import T0, entry
from workers.profiles.records import (
    PROFILE_VERSION,
    category_key,
    category_leaf,
    category_root,
    entry_from_item,
    interned,
    item_from_entry,
    new_profile,
)


def test_new_profile_is_json_native() -> None:
    """A fresh profile round-trips through JSON unchanged (what the changelog needs)."""
    p = new_profile(T0)
    assert json.loads(json.dumps(p)) == p and p["v"] == PROFILE_VERSION and p["t0"] == T0


def test_entry_and_item_convert_both_ways() -> None:
    """A catalog entry becomes an Item and back without losing an attribute."""
    e = entry("P7", price="12.50")
    item = item_from_entry(e)
    assert item.category_path == ("Electronics", "Headphones") and item.price == "12.50"
    assert entry_from_item(item, e["locale"], e["created_at"]) == e


def test_interned_shares_strings_and_keeps_values() -> None:
    """Interning keeps the value equal and makes equal strings one object."""
    a = interned(json.loads('{"viewed": ["P-' + "x" * 20 + '"], "n": 3, "cat": {"A/B": 1.5}}'))
    b = interned(json.loads('{"viewed": ["P-' + "x" * 20 + '"], "n": 3, "cat": {"A/B": 1.5}}'))
    assert a == b == {"viewed": ["P-" + "x" * 20], "n": 3, "cat": {"A/B": 1.5}}
    assert a["viewed"][0] is b["viewed"][0]
    assert next(iter(a["cat"])) is next(iter(b["cat"]))


def test_category_keys_keep_the_path() -> None:
    """Leaf names alone collide across roots, so keys hold the whole path."""
    key = category_key(["Home", "Accessories"])
    assert key == "Home/Accessories"
    assert category_leaf(key) == "Accessories" and category_root(key) == "Home"
