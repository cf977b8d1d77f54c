"""Tests for workers.guards.facts."""

from __future__ import annotations

import pytest

from tests.unit.guards.factories import make_item, make_request, make_zh_item, zh_request
from workers.domain import Persona
from workers.guards.facts import check_facts, looks_like_name, unsupported_facts

EN = make_request()
ZH = zh_request()

# ------------------------------------------------------------------ zh


@pytest.mark.parametrize(
    "text",
    [
        "降噪蓝牙耳机 Q5，续航30小时，蓝牙5.3，仅售¥399。",
        "声悦耳机，到手399元，曜石黑配色。",
        "售价￥３９９．００，续航３０小时",  # full width
        "一款耳机，两种心情。",  # 一款 is "a", no unit follows 两种
        "续航长达30个小时",
    ],
)
def test_zh_supported_copy_passes(text: str) -> None:
    """zh copy that only restates the item's numbers, price and names passes."""
    assert check_facts(text, ZH).passed, unsupported_facts(text, ZH)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("续航40小时", ["40小时"]),
        ("限时¥299", ["¥299"]),
        ("仅需$399", ["$399"]),  # right amount, wrong currency
        ("华为降噪耳机", ["华为"]),
        ("三年质保", ["三年"]),
        ("新款Q6上市", ["Q6"]),
        ("音质提升2倍", ["2倍"]),
        ("好评率98", ["98"]),
        ("支持Bluetooth", ["Bluetooth"]),
    ],
)
def test_zh_unsupported_facts_fail(text: str, bad: list[str]) -> None:
    """zh copy that adds a number, price, quantity, brand or model fails and names it."""
    assert unsupported_facts(text, ZH) == bad


def test_brand_in_other_locale_is_supported() -> None:
    """A request with brand "Sony" supports "索尼", and one with "华为" supports "Huawei"."""
    sony = zh_request(make_zh_item(brand="Sony"))
    assert check_facts("索尼降噪耳机", sony).passed
    huawei = make_request(make_item(brand="华为", title="Mate 60 Pro"))
    assert check_facts("Huawei Mate 60 Pro, now $129.99.", huawei).passed


def test_zh_numeral_with_unit_matches_digits() -> None:
    """ "两年" in copy is supported by "2年" in the data, and the other way round."""
    request = zh_request(make_zh_item(attributes={"质保": "2年", "续航": "两小时"}))
    assert check_facts("两年质保，续航2小时", request).passed


def test_unit_named_by_the_key_supports_a_quantity() -> None:
    """ "battery_mah": "5000" supports "5000mAh", but not "4000mAh" or "5000W"."""
    request = zh_request(make_zh_item(attributes={"battery_mah": "5000"}))
    assert check_facts("大电池5000mAh", request).passed
    assert not check_facts("大电池4000mAh", request).passed
    assert not check_facts("功率5000W", request).passed


def test_converted_units_are_supported() -> None:
    """ "1.5L" in the data supports "1500ml" in the copy."""
    request = zh_request(make_zh_item(title="电热水壶 1.5L", attributes={}))
    assert check_facts("容量1500ml", request).passed


# ------------------------------------------------------------------ en


@pytest.mark.parametrize(
    "text",
    [
        "Meet the Sonora Noise Cancelling Headphones H7: 35-hour battery and Bluetooth 5.3, "
        "now $129.99.",
        "Enjoy rich sound all day. Black never goes out of style.",
        "Stay focused with noise cancelling that blocks the world out.",
        "Crafted for comfort. Designed for long commutes. Yours for 129.99 USD.",
        "Don't miss out: the H7 is here.",
        "Looking for a gift? Three colors to choose from.",
        "Say goodbye to tangled cables and hello to freedom.",
        "Whether you're at home or on the go, it keeps the music going.",
    ],
)
def test_en_ordinary_and_supported_copy_passes(text: str) -> None:
    """Ordinary English, sentence starts included, and restated facts pass."""
    assert check_facts(text, EN).passed, unsupported_facts(text, EN)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("Enjoy Bose sound for $99.", ["$99", "Bose"]),
        ("SuperMax headphones for 299.", ["SuperMax", "299"]),
        ("Pulsefit headphones deliver.", ["Pulsefit"]),  # an unknown brand at sentence start
        ("Sonora H8 is here.", ["H8"]),
        ("Up to 40 hours of play.", ["40 hours"]),
        ("Made from Italian leather.", ["Italian"]),
        ("Works with your iPhone.", ["iPhone"]),
        ("With USB charging.", ["USB"]),
        ("An Apple-style design.", ["Apple-style"]),
        ("Now only $129.", ["$129"]),
        ("Comes as a 3-pack.", ["3-pack"]),  # a number inside a hyphenated word
        ("A 2-in-1 design.", ["2-in-1"]),
    ],
)
def test_en_unsupported_facts_fail(text: str, bad: list[str]) -> None:
    """English copy that adds a brand, model, amount or origin fails and names it."""
    assert unsupported_facts(text, EN) == bad


def test_detail_names_what_was_unsupported() -> None:
    """The detail lists the surfaces, as the record shows them."""
    result = check_facts("SuperMax for 299", EN)
    assert not result.passed
    assert result.detail == "unsupported: SuperMax, 299"


def test_common_word_brand_only_when_capitalised() -> None:
    """ "apple" is fruit and passes; "Apple" is the brand and fails unless the request names it."""
    assert check_facts("Tastes like apple pie.", EN).passed
    assert not check_facts("Pairs with Apple devices.", EN).passed


def test_price_normalisation() -> None:
    """199.00, 199, 199.0 and "1,299" match the item's exact price text."""
    request = make_request(make_item(price="199.00"))
    assert check_facts("Only $199, $199.0 or $199.00.", request).passed
    assert check_facts("Now $1,299.", make_request(make_item(price="1299.00"))).passed


def test_odd_price_text_is_supported_exactly() -> None:
    """A price stored as "1E+3" supports $1000 but a fragment of a price supports nothing."""
    assert check_facts("Now $1000.", make_request(make_item(price="1E+3"))).passed
    assert not check_facts("Just 99.", EN).passed  # 99 is only a fragment of 129.99


@pytest.mark.parametrize(
    ("title", "text", "ok"),
    [
        ("Apple iPhone 15 128GB", "iPhone15 with 128GB", True),
        ("Sony WH-1000XM5", "The WH1000XM5 is here", True),
        ("Sony WH-1000XM5", "The WH-1000XM4 is here", False),
        ("Router X200", "Router X20", False),
        ("Apple iPhone 15", "iPhone 15 Pro", False),
        ("Galaxy S24 Ultra", "Galaxy S24", True),
    ],
)
def test_model_codes(title: str, text: str, ok: bool) -> None:
    """Model codes match with or without separators, never as a different code or tier."""
    request = make_request(make_item(title=title, brand="Sony", attributes={}))
    assert check_facts(text, request).passed is ok, unsupported_facts(text, request)


def test_persona_brands_do_not_support_names() -> None:
    """A brand the user likes is not a fact about the products in the request."""
    request = make_request(persona=Persona(top_brands=("Bose",)))
    assert not check_facts("Love Bose? Try this.", request).passed


def test_item_count_is_supported() -> None:
    """The number of items shown to the model may be stated ("3 picks")."""
    request = make_request(make_item(), make_item(), make_item(), kind="recommendation")
    assert check_facts("3 picks for you.", request).passed


def test_numbers_from_any_item_field_are_supported() -> None:
    """Numbers in keys, values, titles and categories all count as request data."""
    item = make_item(title="Keyboard TK87", attributes={"keys": "87", "switch_life": "50 million"})
    assert check_facts("87 keys, 50 million presses, TK87.", make_request(item)).passed


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("X200", True),
        ("5G", True),
        ("iPhone", True),
        ("OLED", True),
        ("NEW", False),
        ("Enjoy", False),
        ("Sonora", True),
        ("vivo", True),
        ("apple", False),
        ("Apple", True),
        ("a", False),
        ("I", False),
        ("12", False),
    ],
)
def test_looks_like_name(word: str, name: bool) -> None:
    """The shape rule: codes, inner capitals and uncommon capitalised words are names."""
    from workers.guards.brands import KNOWN_BRANDS
    from workers.guards.facts import _brand_words

    assert looks_like_name(word, _brand_words(KNOWN_BRANDS)) is name


def test_support_is_built_from_each_requests_own_items() -> None:
    """Requests whose items differ in one value never share what they vouch for."""
    long_battery = make_request(make_item(attributes={"battery": "35 hours"}))
    short_battery = make_request(make_item(attributes={"battery": "20 hours"}))
    assert check_facts("35 hours of play.", long_battery).passed
    assert not check_facts("35 hours of play.", short_battery).passed
    assert check_facts("35 hours of play.", long_battery).passed


def test_a_brand_alias_in_the_request_supports_its_other_aliases() -> None:
    """An item by 索尼 vouches for "Sony"; an item by another brand does not."""
    sony = make_request(make_item(brand="索尼"))
    other = make_request(make_item(brand="Sonora"))
    assert check_facts("Sony sound, all day.", sony).passed
    assert not check_facts("Sony sound, all day.", other).passed
