"""Attribute frames: a slot worded as another kind of attribute is refused."""

from __future__ import annotations

import pytest

from workers.guards.frames import (
    build_table,
    cut_misworded,
    frame_problems,
    grammar_table,
    unit_of,
    unlike_values,
    value_units,
)
from workers.slots import slot_values


@pytest.mark.parametrize(
    ("draft", "locale", "said"),
    [
        # Seen in the demo: a battery sold as a big screen, a brand as a colour temperature.
        ("好物推荐！降噪蓝牙耳机 Q5来了，{1.battery}大屏。", "zh", "battery worded as screen"),
        ("认识一下{1.title}，{1.color}外观，色温{1.brand}。", "zh", "brand worded as color_temp"),
        ("EchoFox 头戴式耳机，容量{1.color}｜售价{1.price}元", "zh", "color worded as capacity"),
        ("品质好物！{1.title}，颜色选{1.material}。", "zh", "material worded as color"),
        ("Expect a snug fit for {1.material} construction.", "en", "material worded as fits"),
        ("The {1.title} with a weight of {1.color} finish.", "en", "color worded as weight"),
        ("Inside: an {1.color} colorway and size {1.weight}.", "en", "weight worded as shoe_size"),
        ("It offers {1.pieces} fit and more.", "en", "pieces worded as shoe_size"),
        # A key the grammar does not know has no frame of its own.
        ("{1.water_resistance}防水，{1.color}配色。", "zh", "water_resistance worded as"),
    ],
)
def test_slots_worded_as_another_attribute_fail(draft: str, locale: str, said: str) -> None:
    problems = frame_problems(draft, locale)  # type: ignore[arg-type]
    assert any(said in p for p in problems), problems


@pytest.mark.parametrize(
    ("draft", "locale"),
    [
        ("{1.title}来了，{1.battery}大电量，{1.screen}大屏，{1.color}外观。", "zh"),
        ("{1.title}，{1.volume}装，净含量{1.net_weight}，{1.size}尺寸。", "zh"),
        ("The {1.title}: a {1.color} finish, a {1.finish} finish, {1.material} build.", "en"),
        ("Expect a snug fit for {1.fits}, a weight of {1.weight} and size {1.shoe_size}.", "en"),
        # Plain wording for an unknown key, and frames that name no kind of value.
        ("water resistance {1.water_resistance}; modes: {1.modes}. By {1.brand}.", "en"),
        ("{1.title}，采用{1.power}，约{1.age}，共{1.modes}。", "zh"),
        ("Just {1.weight}. Now ${1.price}!", "en"),
        ("no slots here", "en"),
    ],
)
def test_slots_in_their_own_wording_pass(draft: str, locale: str) -> None:
    assert frame_problems(draft, locale) == []  # type: ignore[arg-type]


def test_english_frames_match_whole_words_only() -> None:
    # "bodyguard" is not the frame "body", "resize" not "size".
    assert frame_problems("The {1.color} bodyguard, resize {1.weight}.", "en") == []
    assert frame_problems("The {1.color} body.", "en")


def test_the_longest_frame_decides_and_a_shared_frame_admits_each_of_its_keys() -> None:
    table = build_table({"capacity": ("容量{v}",), "volume": ("容量{v}", "{v}装")}, "zh")
    assert table.before["容量"] == {"capacity", "volume"}
    assert frame_problems("容量{1.capacity}，容量{1.volume}", "zh", table) == []
    assert frame_problems("容量{1.color}", "zh", table) == [
        "color worded as capacity/volume: '容量' before {1.color}"
    ]


def test_frames_are_cut_at_punctuation_and_bare_articles_are_not_frames() -> None:
    table = build_table({"battery": ("{v}电池，电量充足", "a {v} battery")}, "zh")
    assert "电池" in table.after and "电池，电量充足" not in table.after
    en = build_table({"color": ("a {v} finish", "the {v}")}, "en")
    assert set(en.before) == set() and set(en.after) == {"finish"}


def test_the_grammar_table_has_both_sides_in_both_locales() -> None:
    for locale in ("zh", "en"):
        table = grammar_table(locale)  # type: ignore[arg-type]
        assert table.before and table.after
    assert grammar_table("zh").after["大屏"] == {"screen"}


def test_every_training_and_eval_target_words_its_slots_as_their_own() -> None:
    from export.corpus import eval_examples, train_examples

    examples = train_examples(6000) + eval_examples(200)
    bad = [
        (e.slotted, p)
        for e in examples
        if (
            p := frame_problems(
                e.slotted,
                e.request.locale,
                units=value_units(slot_values(e.request)),
            )
        )
    ]
    assert bad == []


def test_the_keys_own_name_is_its_own_wording() -> None:
    assert frame_problems("With {1.battery_life} battery life. Now ${1.price}.", "en") == []
    assert frame_problems("With {1.battery} battery life.", "en") == []
    assert frame_problems("With {1.run_time} battery life.", "en")


@pytest.mark.parametrize(
    ("draft", "left", "cut"),
    [
        (
            "好价来了：{1.title}，售价{1.price}元，{1.color}款。选用{1.shoe_size}床。欢迎选购。",
            "好价来了：{1.title}，售价{1.price}元，{1.color}款。欢迎选购。",
            ["选用{1.shoe_size}床"],
        ),
        (
            "{1.title}来了，售价{1.price}元。{1.material}材质。{1.category}厚度。",
            "{1.title}来了，售价{1.price}元。{1.material}材质。",
            ["{1.category}厚度"],
        ),
        (
            "{1.battery}大屏，{1.title}，售价{1.price}元",
            "{1.title}，售价{1.price}元",
            ["{1.battery}大屏"],
        ),
    ],
)
def test_a_chinese_clause_with_a_misworded_slot_is_cut(
    draft: str, left: str, cut: list[str]
) -> None:
    assert frame_problems(draft, "zh")
    assert cut_misworded(draft, "zh") == (left, cut)
    assert frame_problems(left, "zh") == []


@pytest.mark.parametrize(
    ("draft", "locale"),
    [
        # The clause holds the title or the price: cutting it would leave no copy.
        ("{1.title}{1.battery}大屏，售价{1.price}元", "zh"),
        ("{1.title}来了，售价{1.price}元{1.color}厚度。", "zh"),
        # Nothing would be left to publish.
        ("{1.battery}大屏", "zh"),
        # English attributes share one list sentence: the draft is refused, not cut.
        ("It offers a weight of {1.color} and a {1.material} body. Now ${1.price}.", "en"),
    ],
)
def test_a_clause_that_cannot_go_is_left_for_the_guard(draft: str, locale: str) -> None:
    assert cut_misworded(draft, locale) == (draft, [])  # type: ignore[arg-type]
    assert frame_problems(draft, locale)  # type: ignore[arg-type]


def test_every_training_target_is_left_as_it_is() -> None:
    from export.corpus import train_examples

    for e in train_examples(2000):
        assert cut_misworded(e.slotted, e.request.locale) == (e.slotted, [])


def test_an_article_between_frame_and_slot_changes_nothing() -> None:
    from workers.slots import role_admits, slot_role

    draft = "You get a weight of a {1.color} colorway."
    assert any("color worded as weight" in p for p in frame_problems(draft, "en"))
    role = slot_role(b"You get a weight of a ")
    assert role_admits(role, b"weight") and not role_admits(role, b"color")


@pytest.mark.parametrize(
    ("value", "unit"),
    [("20000mAh", "mah"), ("30小时", "小时"), ("1.47-inch", "inch"), ("10", ""), ("Blue", None)],
)
def test_unit_of_a_value(value: str, unit: str | None) -> None:
    assert unit_of(value) == unit


def test_a_value_unlike_the_grammars_has_no_wording_of_its_own() -> None:
    unlike = unlike_values(
        {
            "1.battery": "35 hours",
            "1.size": "10",
            "2.size": "M",
            "1.pieces": "a dozen",
            "1.capacity": "500ml",
            "1.color": "Blue",
        }
    )
    # The grammar's batteries are mAh and its sizes inches or letters (M); capacities are
    # ml, colours words; a value with no number ("a dozen") is not judged.
    assert unlike == {"1.battery", "1.size"}
    draft = "The {1.title} with a {1.battery} cell and a {1.size} frame. {1.capacity} capacity."
    assert frame_problems(draft, "en") == []
    problems = frame_problems(draft, "en", unlike=unlike)
    assert len(problems) == 2 and "{1.battery} then 'cell'" in problems[0]
    assert cut_misworded("{1.title}，{1.battery}大电量，{1.color}款。", "zh", unlike=unlike) == (
        "{1.title}，{1.color}款。",
        ["{1.battery}大电量"],
    )
    # Its key's name is no plain wording either: "a 35 hours battery capacity".
    assert frame_problems("A {1.battery} battery capacity.", "en", unlike=unlike)
    assert frame_problems("A {1.battery} battery capacity.", "en") == []


def test_no_training_request_holds_a_value_unlike_the_grammars() -> None:
    from export.corpus import train_examples
    from workers.slots import slot_values

    assert all(not unlike_values(slot_values(e.request)) for e in train_examples(2000))


def test_an_english_frame_with_no_value_after_it_fails() -> None:
    draft = "You get {1.color} color and a weight of a weight of frame. Now ${1.price}."
    assert frame_problems(draft, "en") == ["'a weight of' names no value"] * 2
    assert frame_problems("You get a weight of a {1.weight}.", "en") == []
    # Shorter frames ("size", "care for") are ordinary words elsewhere.
    assert frame_problems("One size fits all. Simple to care for. {1.title}.", "en") == []


def test_a_unit_of_the_same_kind_or_one_unknown_is_not_unlike() -> None:
    # Quarts are a volume like the grammar's litres; "ATM" is a unit this guard cannot place.
    assert (
        unlike_values({"1.capacity": "5.8 Qt", "1.waterproof": "5ATM", "1.weight": "2lb"}) == set()
    )
    assert unlike_values({"1.weight": "35 hours", "1.run_time": "500ml"}) == {
        "1.weight",
        "1.run_time",
    }


@pytest.mark.parametrize(
    "draft",
    [
        # Published by `make demo` before the rule.
        "The {1.title} with a {1.battery_life} per charge and {1.color} color. Now ${1.price}!",
        "The {1.brand} {1.category} with {1.color} color and a {1.battery_life} of battery life.",
        "It offers an {1.storage} of storage. Now ${1.price}.",
    ],
)
def test_an_article_the_wording_never_takes_fails(draft: str) -> None:
    assert any("an article its wording has none of" in p for p in frame_problems(draft, "en"))


@pytest.mark.parametrize(
    "draft",
    [
        "The {1.title} with {1.battery_life} per charge and a {1.battery} battery.",
        # Plain English where the grammar writes no article: only "of", "per", "in" count.
        "The {1.title} with a {1.power} output and a {1.scent} fragrance.",
    ],
)
def test_articles_the_wording_takes_pass(draft: str) -> None:
    assert not any("an article" in p for p in frame_problems(draft, "en"))


def test_the_stray_article_is_dropped_and_the_writer_says_so() -> None:
    from tests.unit.factories import request
    from workers.generator.writer import judge
    from workers.guards.frames import drop_needless_articles

    draft = "The {1.title} with a {1.battery_life} per charge and an {1.storage} of storage."
    mended, dropped = drop_needless_articles(draft, "en")
    assert mended == "The {1.title} with {1.battery_life} per charge and {1.storage} of storage."
    assert dropped == [
        "'a' before {1.battery_life} per charge",
        "'an' before {1.storage} of storage",
    ]
    assert drop_needless_articles("{1.title}，一个{1.color}。", "zh") == (
        "{1.title}，一个{1.color}。",
        [],
    )
    text, guards = judge(
        "The {1.title} with a {1.battery_life} per charge. Now ${1.price}!", request()
    )
    assert text == "The Noise Cancelling Headphones H7 with 35 hours per charge. Now $129.99!"
    assert guards[0].name == "slots" and guards[0].passed
    assert guards[0].detail == "dropped: 'a' before {1.battery_life} per charge"


def _judged(
    refused: tuple[str, ...],
    allowed: tuple[str, ...],
    said: str,
    units: dict[str, str | None] | None = None,
) -> None:
    """Each refused English draft gets exactly one problem, saying ``said``; each allowed
    one gets none."""
    for draft in refused:
        [problem] = frame_problems(draft, "en", units=units)
        assert said in problem, draft
    for draft in allowed:
        assert frame_problems(draft, "en", units=units) == [], draft


def test_a_word_of_amount_needs_an_amount_after_it() -> None:
    """The demo published "just Forest Green colorway", "up to organic cotton body", "room
    for dry skin" and "just 10" (a shoe size): after "just", "up to", "room for" or "可达" a
    value must be a number with a unit. Amounts, names and prices stay allowed."""
    units = value_units(
        {
            "1.color": "Forest Green",
            "1.material": "organic cotton",
            "1.skin_type": "dry skin",
            "1.shoe_size": "10",
            "1.weight": "280g",
            "1.battery_life": "35 hours",
            "1.price": "119.00",
            "1.brand": "Stridex",
        }
    )
    unmeasured = {slot for slot, unit in units.items() if unit in (None, "")}
    assert unmeasured == {"1.color", "1.material", "1.skin_type", "1.shoe_size"}
    _judged(
        (
            "The shoes with a 10 fit and just {1.color} colorway.",
            "Inside: up to {1.material} body.",
            "Expect room for {1.skin_type} and more.",
            "With 280g in weight and Just {1.shoe_size} US sizing.",
        ),
        (
            "Weighs just {1.weight}.",
            "Up to {1.battery_life} of playtime.",
            "Just ${1.price}.",
            "Adjust {1.color} to taste.",  # "adjust" is not "just"
        ),
        "before a value with no amount",
        units,
    )
    assert any("no amount" in p for p in frame_problems("续航可达{1.color}", "zh", units=units))
    assert frame_problems("续航可达{1.battery_life}", "zh", units=units) == []


def test_a_bare_number_needs_a_word_that_says_what_it_counts() -> None:
    """The demo published "a Blue colorway and 10." (a shoe size): a number without a unit
    between list joints names nothing. "a 10 fit", "size 10" and "87 keys" do."""
    units = value_units(
        {"1.shoe_size": "10", "1.keys": "87", "1.weight": "280g", "1.color": "Blue"}
    )
    assert {slot for slot, unit in units.items() if unit == ""} == {"1.shoe_size", "1.keys"}
    _judged(
        (
            "With a {1.color} colorway and {1.shoe_size}.",
            "With {1.keys}, a {1.color} finish.",
            "Inside: {1.shoe_size} and a {1.color} finish.",
        ),
        (
            "With a {1.shoe_size} fit and {1.weight}.",
            "Size {1.shoe_size}, {1.keys} keys.",
            "With a {1.color} finish and {1.weight}.",
        ),
        "bare number",
        units,
    )


def test_an_attributes_noun_alone_names_no_value() -> None:
    """The demo published "…and 60 days of battery life and a weight.": a bare attribute
    noun in a list says nothing. With its value beside it, it is ordinary wording."""
    _judged(
        (
            "With {1.color} color and {1.battery_life} of battery life and a weight.",
            "It offers a capacity, a {1.color} finish and more.",
        ),
        (
            "With a {1.weight} weight and a {1.color} finish.",
            "It offers a weight of {1.weight}.",
            "Take a look at the finish.",
        ),
        "an attribute with no value",
    )
