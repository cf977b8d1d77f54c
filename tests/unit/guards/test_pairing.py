"""The pairing guard: in a list of items, each price follows the item that costs it."""

from __future__ import annotations

from hypothesis import given, settings

from tests.unit.guards.factories import make_item, make_request, make_zh_item, requests
from workers.guards.pairing import check_pairing
from workers.templates import fallback_text

LAMP = make_item(product_id="A", title="Qusen M2 Desk Lamp", brand="Qusen", price="17.99")
OTHER = make_item(product_id="B", title="Corner Living Desk Lamp", brand="Corner", price="15.99")
RECS = make_request(LAMP, OTHER, kind="recommendation")


def test_each_price_after_its_own_item_passes() -> None:
    text = "For you: Qusen M2 Desk Lamp ($17.99); Corner Living Desk Lamp at $15.99."
    assert check_pairing(text, RECS).passed


def test_a_swapped_price_fails_and_says_which() -> None:
    text = "For you: Qusen M2 Desk Lamp ($15.99); Corner Living Desk Lamp at $17.99."
    verdict = check_pairing(text, RECS)
    assert not verdict.passed
    assert "15.99 after item 1, which costs 17.99" in verdict.detail


def test_a_unique_brand_names_its_item() -> None:
    """'Qusen Desk Lamp at $15.99' names item 1 by brand, and 15.99 is item 2's price."""
    assert not check_pairing("Qusen Desk Lamp at $15.99.", RECS).passed
    assert check_pairing("Qusen Desk Lamp at $17.99; Corner lamp, $15.99.", RECS).passed


def test_a_price_before_any_name_fails() -> None:
    verdict = check_pairing("Only $17.99: Qusen M2 Desk Lamp.", RECS)
    assert not verdict.passed and "before any item is named" in verdict.detail


def test_shared_titles_stand_for_every_item_with_them() -> None:
    """Two editions of one book: the shared title may carry either price."""
    a = make_zh_item(product_id="A", title="《雨季之后》", brand="远方书局", price="39.00")
    b = make_zh_item(product_id="B", title="《雨季之后》", brand="青禾文库", price="29.90")
    req = make_request(a, b, kind="recommendation", locale="zh")
    assert check_pairing("《雨季之后》只要39.00元；《雨季之后》，到手29.90元。", req).passed


def test_a_name_inside_a_longer_name_belongs_to_the_longer() -> None:
    """Item 2's title contains item 1's brand; the title wins."""
    a = make_item(product_id="A", title="Zentro S1 Case", brand="Zentro", price="119.00")
    b = make_item(product_id="B", title="Aoki X5 Zentro X Case", brand="Aoki", price="79.00")
    req = make_request(a, b, kind="recommendation")
    assert check_pairing("Zentro S1 Case, 119.00; Aoki X5 Zentro X Case, 79.00.", req).passed


def test_one_item_and_lookalike_numbers_pass() -> None:
    """A single item cannot be mixed up; '117.99' and 'size 10' are not the listed prices."""
    assert check_pairing("Only $15.99! Corner Living Desk Lamp.", make_request(OTHER)).passed
    ten = make_item(product_id="C", title="Trail Sneakers", brand="Runix", price="10.00")
    req = make_request(LAMP, ten, kind="recommendation")
    assert check_pairing("Qusen M2 Desk Lamp, $117.99 value; size 10 shoes.", req).passed


@settings(max_examples=150, deadline=None)
@given(requests())
def test_the_template_never_mispairs(request) -> None:  # type: ignore[no-untyped-def]
    """The deterministic fallback lists name-then-price, so it always passes this guard."""
    assert check_pairing(fallback_text(request), request).passed


def test_a_shared_brand_stands_for_each_of_its_items() -> None:
    """Two Farshore items named by brand and noun: either price may follow 'Farshore'."""
    case = make_item(product_id="A", title="Farshore X3 Phone Case", brand="Farshore", price="9.99")
    phone = make_item(product_id="B", title="Farshore N9 Phone", brand="Farshore", price="848.99")
    req = make_request(case, phone, kind="recommendation")
    text = "Farshore X3 Phone Case for $9.99; Farshore Smartphone ($848.99)."
    assert check_pairing(text, req).passed
    assert not check_pairing("Farshore X3 Phone Case for $848.99.", req).passed
