"""Catalog attribute keys reach the model under its own keys; values never change."""

from __future__ import annotations

import pytest

from export.catalog import make_catalog, to_item
from tests.unit.factories import envelope, item, product_record, request
from workers.attribute_keys import ALIASES, RELATED, model_key
from workers.engine import RuntimeOptions
from workers.envelope import Envelope
from workers.generator.factory import OnnxTextGenerator
from workers.generator.requests import requests_from_product
from workers.generator.writer import write_copy
from workers.guards import check_all, passed
from workers.guards.frames import frame_problems, unlike_values
from workers.prompt import build_prompt, item_fields, sanitize_key
from workers.sample_catalog import sample_products
from workers.settings import DEFAULT_MODEL_DIR
from workers.slots import realize, slot_values


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        # Synonyms.
        ("display", "1.1 inch", "screen"),
        ("water_resistance", "5ATM", "waterproof"),
        ("water-resistance", "5ATM", "waterproof"),
        ("colour", "Blue", "color"),
        # A unit of another kind moves the value to the related key that holds it.
        ("battery", "35 hours", "battery_life"),
        ("battery", "60天", "battery_life"),
        ("battery_life", "5000mAh", "battery"),
        ("size", "50ml", "volume"),
        ("size", "10", "shoe_size"),
        ("capacity", "20000mAh", "battery"),
        ("capacity", "256GB", "storage"),
        # Chinese attribute names.
        ("续航", "30小时", "battery_life"),
        ("电池", "30小时", "battery_life"),
        ("颜色", "黑色", "color"),
        ("尺码", "42", "shoe_size"),
        # The key's own kind of value, or nothing to go by: unchanged.
        ("battery", "5000mAh", "battery"),
        ("size", "M", "size"),
        ("size", "28 inch", "size"),
        ("capacity", "5.8 Qt", "capacity"),
        # A load is not the product's weight: a capacity in kg stays a capacity.
        ("capacity", "8kg", "capacity"),
        ("bluetooth", "5.3", "bluetooth"),
    ],
)
def test_model_key(key: str, value: str, expected: str) -> None:
    assert model_key(key, value) == expected


def test_every_alias_is_a_key_of_the_grammar() -> None:
    from export.phrases import ATTR_EN, ATTR_ZH

    assert {*ALIASES.values(), *(k for keys in RELATED.values() for k in keys)} <= (
        set(ATTR_EN) & set(ATTR_ZH)
    )


def test_training_items_keep_their_keys() -> None:
    """The grammar's own items map to themselves, so every training prompt is unchanged."""
    checked = 0
    for product in make_catalog(seed=11, per_category=6):
        for locale in ("zh", "en"):
            it = to_item(product, locale)
            keys = {k for k, _ in item_fields(it)[4:]}
            assert keys == {sanitize_key(k) for k in it.attributes}, it.attributes
            checked += 1
    assert checked > 100


def test_prompt_and_slots_use_the_model_key_with_the_catalog_value() -> None:
    req = request(items=(item(attributes={"display": "1.1 inch", "water_resistance": "5ATM"}),))
    prompt = build_prompt(req)
    assert "<|attr|>screen=1.1 inch" in prompt and "<|attr|>waterproof=5ATM" in prompt
    assert "display" not in prompt
    assert slot_values(req)["1.screen"] == "1.1 inch"
    text, unresolved = realize("A {1.screen} display and {1.waterproof} water resistance.", req)
    assert (text, unresolved) == ("A 1.1 inch display and 5ATM water resistance.", [])
    # The values are the catalog's own: the facts guard checks them as before.
    assert passed(check_all(f"{req.items[0].title}: {text} Now $129.99.", req))


def test_a_key_the_item_already_has_is_not_taken_twice() -> None:
    """With both "display" and "screen" (or two synonyms), only one becomes "screen"."""
    both = item(attributes={"display": "1.1 inch", "screen": "6.1-inch"})
    assert dict(item_fields(both)[4:]) == {"display": "1.1 inch", "screen": "6.1-inch"}
    synonyms = item(attributes={"screen_size": "6.1-inch", "display": "1.1 inch"})
    assert dict(item_fields(synonyms)[4:]) == {"screen": "1.1 inch", "screen_size": "6.1-inch"}


def test_a_battery_in_hours_is_worded_as_hours() -> None:
    """ "35 hours" under "battery" is a battery life: its wording is not refused as unlike."""
    req = request(items=(item(attributes={"battery": "35 hours"}),))
    assert unlike_values(slot_values(req)) == frozenset()
    assert frame_problems("{1.title} with {1.battery_life} of playtime.", "en") == []


@pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").is_file(), reason=f"no model at {DEFAULT_MODEL_DIR}"
)
def test_sample_catalog_keys_get_model_copy() -> None:
    """The sample catalog's tracker says "display" and "water_resistance", keys the model
    never saw: it fell back to the template for both of its texts. Mapped, the model writes
    them, naming the water resistance in its own words, and every guard passes."""
    record = next(p for p in sample_products() if p["title"] == "Fitness Tracker Band F2")
    env = Envelope("catalog.product-created", 0, 0, None, b"", (), 0)
    requests = requests_from_product(record, env)
    generator = OnnxTextGenerator.from_folder(
        DEFAULT_MODEL_DIR, RuntimeOptions(allow_cuda=False, intra_op_num_threads=1), 16
    )
    written = write_copy(requests, generator, max_attempts=3, drafts=5)
    assert [w.fallback for w in written] == [False, False], [w.text for w in written]
    for w in written:
        assert passed(list(w.guards))
        assert "5ATM water resistance" in w.text or "5ATM防水" in w.text, w.text


@pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").is_file(), reason=f"no model at {DEFAULT_MODEL_DIR}"
)
def test_chinese_attribute_names_reach_the_copy() -> None:
    """A Chinese catalog's "续航" / "颜色". Unmapped, none of the model's drafts named the
    30-hour battery life (0 of 10); mapped, every draft does and the ad is published with it."""
    record = product_record()
    assert record["attributes"] == {"续航": "30小时", "颜色": "黑色"}
    requests = requests_from_product(record, envelope())
    assert "<|attr|>battery_life=30小时" in build_prompt(requests[0])
    generator = OnnxTextGenerator.from_folder(
        DEFAULT_MODEL_DIR, RuntimeOptions(allow_cuda=False, intra_op_num_threads=1), 16
    )
    drafts: list[str] = []
    written = write_copy(
        requests,
        generator,
        max_attempts=3,
        drafts=5,
        observe=lambda _a, _d, _r, text, _g: drafts.append(text),
    )
    assert sum("30小时" in d for d in drafts) >= len(drafts) * 0.9, drafts
    ad = next(w for w in written if w.request.kind == "ad")
    assert not ad.fallback and "30小时" in ad.text and passed(list(ad.guards)), ad.text
