"""Slot roles: the drafts a model writes for products it has not seen, caught before publishing."""

from __future__ import annotations

import pytest

from workers.guards.slot_roles import slot_role_problems


@pytest.mark.parametrize(
    "draft",
    [
        "Everyday essential: the {1.title}. Yours for ${1.category}.",
        "The {1.brand} {1.category} with a {1.color} finish. By {1.price}! Shop now.",
        "It offers a {1.brand} finish and a {1.price} frame. Now ${1.price}.",
        "Designed by {1.category}. Now ${1.price}.",
        "From {1.title}. Only ${1.price}!",
        "The {1.title}, just ${1.price} or {1.original_price}.",
        "You get a weight of {1.color}, just {1.category} and a {1.brand}.",
        "It offers {1.category} of battery capacity. Now ${1.price}.",
        "The {1.title}. Designed by ${1.original_price}, now ${1.price}!",
        # Seen in the demo (unseen attribute keys): "by" with no maker, a bare value.
        "The {1.brand} {1.category} with a {1.color} finish. By a calm, cozy mood. ${1.price}!",
        "The {1.title}. From staple for your feet all day. Just ${1.price}!",
        "The {1.brand} {1.category} with a {1.color} finish and a {1.weight}. Just ${1.price}!",
        "It brings a {1.weight} and a {1.color} finish. Now ${1.price}.",
        "The {1.title} by {1.brand}. Only ${1.price}, down from now. Take a closer look.",
        "The {1.title} by {1.brand}. Was a great pick, now ${1.price}.",
        # Seen in the held-out eval: two items' brands run together into a product that
        # does not exist.
        "Picked for you: {1.title} at ${1.price}; {2.title} (${2.price}); "
        "{2.brand} {1.brand}, with a {1.color} colorway.",
        "The {1.title}. Was ${1.price}, now ${1.original_price}!",
    ],
)
def test_english_drafts_with_misplaced_slots_fail(draft: str) -> None:
    assert slot_role_problems(draft, "en")


@pytest.mark.parametrize(
    "draft",
    [
        "{1.title}，来自{1.category}，售价{1.price}元。",
        "{1.title}，采用{1.brand}，现价{1.price}元。",
        "{1.title}，颜色选{1.brand}，到手价¥{1.price}",
        "{1.title}，{1.price}出品，售价{1.price}元。",
        "{1.title}，只要{1.price}。",
        "{1.title}，雾蓝配色。功率{1.price}元。",
        "{1.title}，续航可达{1.category}，售价{1.price}元。",
        # Seen in the held-out eval: a price word before a name or an attribute.
        "{1.title}，原价{1.price}元。{1.brand}品质，现价{1.category}。",
        "{1.title}（{1.price}元），颜色选{1.color}；{1.brand} {1.category}只要{1.shoe_size}码。",
        "{1.title}，{1.price}元就能入手。{1.original_price}元降到手{1.age}。",
        # The current price called the original one: a discount that is not there.
        "{1.title}来了，原价{1.price}元，内置{1.battery}电池。",
    ],
)
def test_chinese_drafts_with_misplaced_slots_fail(draft: str) -> None:
    assert slot_role_problems(draft, "zh")


@pytest.mark.parametrize(
    ("draft", "locale"),
    [
        (
            "Meet the {1.title}: a {1.color} finish, by {1.brand}. "
            "Was ${1.original_price}, now ${1.price}!",
            "en",
        ),
        ("{1.title} by {1.author}. {1.price} {1.currency}.", "en"),
        ("{1.title}，来自{1.brand}，{1.color}外观，选用{1.material}，到手价{1.price}元。", "zh"),
        ("{1.title}｜{1.brand}品质｜¥{1.price}", "zh"),
        # Two items of one category share the first one's category slot.
        ("{1.brand}{1.category}（{1.price}元）；{2.brand}{1.category}只要{2.price}元。", "zh"),
        ("No slots here at all.", "en"),
    ],
)
def test_well_placed_slots_pass(draft: str, locale: str) -> None:
    assert slot_role_problems(draft, locale) == []  # type: ignore[arg-type]


def test_every_training_and_eval_target_places_its_slots_well() -> None:
    """The rules hold for all of the grammar's copy (no draft the model learned is refused)."""
    from export.corpus import eval_examples, train_examples

    examples = train_examples(6000) + eval_examples(200)
    bad = [e.slotted for e in examples if slot_role_problems(e.slotted, e.request.locale)]
    assert bad == []
