"""Decoded records become validated, self-contained ContentRequests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.factories import envelope, product_record, request
from workers.errors import BadInput
from workers.generator.requests import request_from_avro, request_to_avro, requests_from_product


def test_product_yields_description_and_ad() -> None:
    """One product-created event asks for a description and an ad in its locale."""
    reqs = requests_from_product(product_record(), envelope(offset=9))
    assert [(r.kind, r.channel) for r in reqs] == [
        ("description", "detail_page"),
        ("ad", "feed_card"),
    ]
    assert all(
        r.locale == "zh" and r.source.offset == 9 and r.source.event_id == "evt-1" for r in reqs
    )
    assert reqs[0].items[0].price == "399.00"


def test_price_keeps_exact_decimal_text() -> None:
    """Prices are exact text with two decimals, never floats."""
    reqs = requests_from_product(product_record(price=Decimal("0.10")), envelope())
    assert reqs[0].items[0].price == "0.10"


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("price", Decimal("-1.00"), "out of range"),
        ("currency", "yuan", "ISO 4217"),
        ("product_id", "", "product_id"),
        ("event_id", " ", "event_id"),
        ("locale", "fr", "locale"),
    ],
)
def test_invalid_values_are_bad_input(field: str, value: object, match: str) -> None:
    """Values out of range are bad input for the dead-letter topic."""
    with pytest.raises(BadInput, match=match):
        requests_from_product(product_record(**{field: value}), envelope())


def test_empty_title_is_allowed() -> None:
    """An empty title is not an error: the copy leans on brand and category."""
    reqs = requests_from_product(product_record(title=""), envelope())
    assert reqs[0].items[0].title == ""


def test_content_request_round_trip() -> None:
    """A ContentRequest survives to_avro → from_avro unchanged."""
    req = request(user_id="u1", reason="viewed:P1")
    assert request_from_avro(request_to_avro(req)) == req


def test_content_request_without_items_is_bad_input() -> None:
    """A recommendation request with no items cannot be written."""
    rec = request_to_avro(request())
    rec["items"] = []
    with pytest.raises(BadInput, match="at least one item"):
        request_from_avro(rec)
