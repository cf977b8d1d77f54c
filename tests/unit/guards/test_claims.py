"""Category claims: benefits of another category are cut, or the text is refused."""

from __future__ import annotations

import pytest

from tests.unit.factories import item, request
from workers.domain import ContentRequest
from workers.guards.claims import CLAIMS, check_claims, grammar_claims, strip_claims


def _shoes(locale: str = "en") -> ContentRequest:
    path = ("Sports", "Running Shoes") if locale == "en" else ("鞋靴", "跑步鞋")
    return request(locale=locale, items=(item(category_path=path),))


def _unknown() -> ContentRequest:
    return request(items=(item(category_path=("Personal Care", "Electric Toothbrush")),))


def test_a_benefit_of_the_items_own_category_passes() -> None:
    text = "The Stridex Running Shoes in Forest Green. Light on your feet all day."
    assert grammar_claims().benefits["light on your feet all day"] == {"shoes"}
    assert check_claims(text, _shoes()).passed
    assert strip_claims(text, _shoes()) == (text, [])


def test_a_benefit_of_another_category_fails_with_the_phrase() -> None:
    result = check_claims("Running shoes. Clear vocals with rich detail. Shop now.", _shoes())
    assert result.name == CLAIMS and not result.passed
    assert "clear vocals with rich detail" in result.detail


def test_a_product_of_an_unknown_category_may_claim_no_benefit() -> None:
    assert _unknown().items[0].category_path[-1] not in grammar_claims().categories
    assert not check_claims("A toothbrush. Easy to clean. $39.99", _unknown()).passed
    assert check_claims("Electric Toothbrush P2 (color Rose). $39.99", _unknown()).passed


def test_recommendations_may_claim_what_any_of_their_items_is() -> None:
    two = request(
        kind="recommendation",
        items=(
            item(category_path=("Sports", "Running Shoes")),
            item(product_id="P2", category_path=("Electronics", "Headphones")),
        ),
    )
    assert check_claims("Picks: shoes, earbuds. Clear vocals with rich detail.", two).passed


@pytest.mark.parametrize(
    ("text", "locale", "left"),
    [
        (
            "The Stridex Running Shoes. Clear vocals with rich detail. Take a closer look.",
            "en",
            "The Stridex Running Shoes. Take a closer look.",
        ),
        (
            "Now $119.00. The shoes are here. Keeps your desk tidy and simple.",
            "en",
            "Now $119.00. The shoes are here.",
        ),
        ("Kara Shoes | Keeps your desk tidy and simple | $199.99", "en", "Kara Shoes | $199.99"),
        ("跑鞋来了，清洁打理方便，颜色选银色。", "zh", "跑鞋来了，颜色选银色。"),
        ("跑鞋｜清洗方便｜售价239.00元", "zh", "跑鞋｜售价239.00元"),
        # A benefit holding a comma of its own is cut whole, the stop after it kept.
        ("跑鞋来了，人声清晰，细节丰富。", "zh", "跑鞋来了。"),
        ("人声清晰，细节丰富，跑鞋来了。", "zh", "跑鞋来了。"),
    ],
)
def test_a_foreign_benefit_clause_is_cut_and_the_rest_passes(
    text: str, locale: str, left: str
) -> None:
    req = _shoes(locale)
    cut, removed = strip_claims(text, req)
    assert cut == left and removed
    assert check_claims(cut, req).passed


def test_a_benefit_inside_another_clause_is_not_cut() -> None:
    text = "Running shoes with clear vocals with rich detail inside. $99"
    assert strip_claims(text, _shoes()) == (text, [])
    assert not check_claims(text, _shoes()).passed


def test_a_text_that_is_only_a_benefit_is_not_cut_to_nothing() -> None:
    assert strip_claims("Easy to clean.", _unknown()) == ("Easy to clean.", [])


def test_every_training_and_eval_target_claims_only_its_own_category() -> None:
    from export.corpus import eval_examples, train_examples
    from workers.slots import realize

    examples = train_examples(6000) + eval_examples(200)
    bad = []
    for e in examples:
        text, _ = realize(e.slotted, e.request)
        if not check_claims(text, e.request).passed:
            bad.append(text)
    assert bad == []
