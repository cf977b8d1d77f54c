"""Tests for workers.guards.numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workers.guards._text import normalize
from workers.guards.numbers import (
    cjk_numeral,
    currency_code,
    find_numbers,
    find_prices,
    find_quantities,
    numbers_in_data,
    parse_number,
    units_named_in,
)


@pytest.mark.parametrize(
    ("surface", "value"),
    [
        ("199", 199),
        ("199.00", 199),
        ("199.0", 199),
        ("1,299", 1299),
        ("1,299.50", "1299.5"),
        ("1.2万", 12000),
        ("3亿", 300_000_000),
    ],
)
def test_parse_number_normalises(surface: str, value: int | str) -> None:
    """Equal amounts parse to equal Decimals whatever the separators and multipliers."""
    assert parse_number(surface) == Decimal(value)


def test_full_width_digits_read_as_ascii() -> None:
    """Full-width digits fold to ASCII before reading."""
    assert find_numbers(normalize("１９９")) == [("199", Decimal(199))]


def test_chinese_comma_does_not_join_numbers() -> None:
    """ "199，299" is two numbers, not the thousands number 199,299."""
    values = [v for _, v in find_numbers(normalize("199，299"))]
    assert values == [Decimal(199), Decimal(299)]


@pytest.mark.parametrize(
    ("text", "value", "currencies"),
    [
        ("¥199", 199, {"CNY", "JPY"}),
        ("￥199.00", 199, {"CNY", "JPY"}),
        ("$1,299.99", "1299.99", {"USD"}),
        ("HK$88", 88, {"HKD"}),
        ("199元", 199, {"CNY"}),
        ("199 CNY", 199, {"CNY"}),
        ("USD 19.99", "19.99", {"USD"}),
        ("20 dollars", 20, {"USD"}),
    ],
)
def test_prices_read_value_and_currency(text: str, value: int | str, currencies: set[str]) -> None:
    """A currency mark on either side makes a price; symbols may mean several currencies."""
    prices, rest = find_prices(normalize(text))
    assert len(prices) == 1
    assert prices[0].value == Decimal(value)
    assert currencies <= prices[0].currencies
    assert not find_numbers(rest)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.5L", "1500 ml"),
        ("30小时", "30 hours"),
        ("两小时", "2h"),
        ("三年", "36个月"),
        ("2kg", "4斤"),
        ("1.5万mAh", "15000mAh"),
        ("35-hour", "35 hours"),
        ("two hours", "120 min"),
        ("5000万像素", "50MP"),
        ("65W", "65 W"),
    ],
)
def test_equal_quantities_share_a_key(a: str, b: str) -> None:
    """Quantities in convertible units compare after exact conversion."""
    (qa,), _ = find_quantities(normalize(a))
    (qb,), _ = find_quantities(normalize(b))
    assert qa.key == qb.key


@pytest.mark.parametrize(("a", "b"), [("1TB", "1024GB"), ("5000mAh", "5000mA"), ("15寸", "15cm")])
def test_unconvertible_quantities_differ(a: str, b: str) -> None:
    """Units without an exact, unambiguous factor are never equated."""
    (qa,), _ = find_quantities(normalize(a))
    (qb,), _ = find_quantities(normalize(b))
    assert qa.key != qb.key


@pytest.mark.parametrize("text", ["一款耳机", "2升级版", "3米色", "三折叠", "5 great", "十分好用"])
def test_words_that_start_like_units_are_not_quantities(text: str) -> None:
    """Classifiers and words that merely begin with a unit character are not quantities."""
    quantities, _ = find_quantities(normalize(text))
    assert quantities == []


def test_codes_are_not_read_as_numbers() -> None:
    """Digits glued to letters ("X200", "v2") are not bare numbers."""
    assert find_numbers("X200 v2 TK87") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("两", 2), ("十二", 12), ("二十", 20), ("一百五十", 150), ("三万", 30000), ("十", 10)],
)
def test_cjk_numerals(text: str, value: int) -> None:
    """Chinese numerals read to their values."""
    assert cjk_numeral(text) == value


def test_numbers_in_data_are_whole_numbers_only() -> None:
    """Data vouches for whole numbers and digits inside codes, never for number fragments."""
    values = numbers_in_data("129.99 1,299 iPhone15 X200")
    assert {Decimal("129.99"), Decimal(1299), Decimal(15), Decimal(200)} <= values
    assert Decimal(99) not in values
    assert Decimal(299) not in values


def test_units_named_in_keys() -> None:
    """Attribute keys name units in either language; single letters do not count."""
    assert units_named_in("battery_mah") == [("charge", Decimal(1))]
    assert units_named_in("容量(ml)") == [("volume", Decimal(1))]
    assert units_named_in("续航小时") == [("time", Decimal(3600))]
    assert units_named_in("size_m") == []


def test_currency_code_aliases() -> None:
    """Request currencies are upper-cased and RMB means CNY."""
    assert currency_code(" rmb ") == "CNY"
    assert currency_code("usd") == "USD"
