"""What a written text leads with, and the text-level personalization check on the real model."""

from __future__ import annotations

import pytest

from tests.unit.factories import item, request
from workers.domain import ContentRequest
from workers.profiles.text_leads import Lead, compare_leads, lead_of
from workers.settings import DEFAULT_MODEL_DIR


def _rec(request_id: str, *items_: object) -> ContentRequest:
    return request(request_id=request_id, kind="recommendation", items=tuple(items_))


HEADPHONES = item(
    product_id="P1", price="129.99", attributes={"battery": "35 hours", "color": "Black"}
)
SHOES = item(
    product_id="P2",
    title="Trail Running Shoes",
    brand="Stridex",
    category_path=("Sports", "Running Shoes"),
    price="119.00",
    attributes={"color": "Forest Green", "weight": "280g"},
)


def test_the_lead_is_the_first_attribute_named_not_a_name() -> None:
    req = _rec("r1", HEADPHONES, SHOES)
    text = "For you: Sonora headphones in Black ($129.99); Stridex Trail Running Shoes, 280g."
    assert lead_of(text, req) == Lead("P1", "color")
    # Price written without its trailing zeros still counts; brand and title do not.
    assert lead_of("Stridex Trail Running Shoes at $119, in Forest Green.", req) == Lead(
        "P2", "price"
    )
    assert lead_of("Sonora headphones by Sonora.", req) is None


def test_pairs_differ_by_item_and_key_and_the_stricter_by_key_alone() -> None:
    a, b, c = _rec("a", HEADPHONES), _rec("b", SHOES), _rec("c", SHOES)
    texts = {
        "a": "Only $129.99: the Sonora headphones.",  # P1 price
        "b": "Only $119.00: the Stridex shoes.",  # P2 price: other item, same key
        "c": "In Forest Green, the Stridex shoes.",  # P2 color
    }
    leads = compare_leads([(a, b), (b, c), (a, c)], texts)
    assert leads.pairs == 3 and leads.without_lead == 0
    assert leads.lead_differs == 1.0
    assert leads.lead_key_differs == pytest.approx(2 / 3)
    # After the price: a and b name nothing else, c names its colour first.
    assert leads.detail_key_differs == pytest.approx(2 / 3)


@pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "manifest.json").is_file(), reason=f"no model at {DEFAULT_MODEL_DIR}"
)
def test_the_eval_writes_texts_for_pairs_and_they_lead_differently() -> None:
    from workers.profiles.cli import _write_and_compare
    from workers.profiles.evaluate import render_markdown, run_eval

    report = run_eval(seed=5, users=400)
    pairs = report.personalization
    assert len(pairs.ad_pairs) == len(pairs.request_pairs)
    assert all(a.kind == "ad" and len(a.items) == 1 for pair in pairs.ad_pairs for a in pair)
    report.text_leads = _write_and_compare(pairs.request_pairs[:6])
    report.ad_text_leads = _write_and_compare(pairs.ad_pairs[:6])
    assert report.text_leads.pairs == report.ad_text_leads.pairs == 6
    assert report.text_leads.lead_differs >= 0.5
    text = render_markdown(report)
    assert "## Written recommendations (6 of those pairs" in text
    assert "## Written personalized ads (6 of those pairs" in text
