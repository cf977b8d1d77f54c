"""Slots in a draft are filled from the request, exactly, and never guessed."""

from __future__ import annotations

from tests.unit.factories import item, request
from workers.slots import delexicalize, realize, slot_values


def test_values_come_from_the_request() -> None:
    """Brand, price number, currency and free attributes are slots of item 1."""
    values = slot_values(request())
    assert values["1.brand"] == "Sonora"
    assert values["1.price"] == "129.99"
    assert values["1.currency"] == "USD"
    assert values["1.battery_life"] == "35 hours"


def test_realize_fills_every_item() -> None:
    """Slots of several items resolve to each item's own values."""
    req = request(
        kind="recommendation",
        items=(item(), item(product_id="P2", title="Yoga Mat 6mm", price="29.99")),
    )
    text, unresolved = realize("Try the {2.title} for ${2.price} or {1.brand} at ${1.price}.", req)
    assert text == "Try the Yoga Mat 6mm for $29.99 or Sonora at $129.99."
    assert unresolved == []


def test_unknown_slots_stay_unresolved() -> None:
    """A slot the request does not have is reported, not invented."""
    text, unresolved = realize("Only {1.weight} and {3.price}.", request())
    assert unresolved == ["{1.weight}", "{3.price}"]
    assert "{1.weight}" in text


def test_values_are_not_expanded_again() -> None:
    """A value that looks like a slot is inserted literally (sanitized first anyway)."""
    req = request(items=(item(title="{1.price} deal"),))
    text, _ = realize("{1.title}", req)
    assert "129.99" not in text


def test_english_articles_follow_the_value() -> None:
    """'a {1.color}' becomes 'an Orange …' when the value starts with a vowel."""
    req = request(items=(item(attributes={"color": "Orange"}),))
    text, _ = realize("Comes in a {1.color} finish.", req)
    assert text == "Comes in an Orange finish."


def test_delexicalize_round_trips() -> None:
    """A reference copy becomes slots that realize back to exactly the same text."""
    req = request()
    text = "Sonora Noise Cancelling Headphones H7 with 35 hours of battery, only $129.99."
    delex = delexicalize(text, req)
    assert delex == "{1.brand} {1.title} with {1.battery_life} of battery, only ${1.price}."
    assert realize(delex, req)[0] == text


def test_delexicalize_respects_word_edges() -> None:
    """A one-letter value such as size M does not replace letters inside words."""
    req = request(items=(item(attributes={"size": "M"}),))
    delex = delexicalize("Size M. Made for Mornings.", req)
    assert delex == "Size {1.size}. Made for Mornings."


def test_a_cut_short_slot_is_unresolved() -> None:
    """A draft that ends inside a slot is reported, never published with a brace."""
    _, unresolved = realize("Only ${1.pri", request())
    assert unresolved


def test_articles_are_fixed_both_ways() -> None:
    """'an 50g' becomes 'a 50g' and 'a 8GB' becomes 'an 8GB' once values are filled in."""
    req = request(items=(item(attributes={"size": "M", "weight": "50g", "memory": "8GB"}),))
    text, _ = realize("With an {1.weight} jar and a {1.memory} chip.", req)
    assert text == "With a 50g jar and an 8GB chip."


def test_a_draft_without_slots_is_kept_with_articles_fixed() -> None:
    """No slot and no brace: nothing to fill, nothing unresolved, articles still fixed."""
    assert realize("Meet a Oatmeal classic.", request()) == ("Meet an Oatmeal classic.", [])
    assert realize("Meet a Oatmeal {classic.", request())[1] != []
