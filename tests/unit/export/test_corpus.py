"""The training corpus: deterministic, compliant, factual, and split by whole products."""

from __future__ import annotations

import re

import pytest

from export.compliance import banned_terms, unsupported_numbers
from export.copywriter import LIMITS
from export.corpus import (
    HOLDOUT_CATEGORIES,
    Example,
    eval_examples,
    split_catalog,
    train_examples,
)
from workers.prompt import EOS, build_prompt, item_fields
from workers.slots import SLOT, realize

pytestmark = pytest.mark.export


def _facts(example: Example) -> list[str]:
    return [value for item in example.request.items for _, value in item_fields(item)]


def test_same_seed_same_corpus() -> None:
    """Two runs with one seed yield identical prompts and targets."""
    first = [(e.prompt, e.target) for e in train_examples(60, seed=3)]
    second = [(e.prompt, e.target) for e in train_examples(60, seed=3)]
    assert first == second


def test_other_seed_other_corpus() -> None:
    """A different seed changes the corpus."""
    assert [e.target for e in train_examples(20, seed=3)] != [
        e.target for e in train_examples(20, seed=4)
    ]


def test_targets_have_no_banned_terms(small_corpus: list[Example]) -> None:
    """No target contains an absolute or unprovable claim in either locale."""
    offenders = [(e.target, banned_terms(e.target)) for e in small_corpus if banned_terms(e.target)]
    assert offenders == []


def test_targets_use_only_numbers_from_attributes(small_corpus: list[Example]) -> None:
    """Every number in a target appears verbatim in the request's attributes."""
    offenders = [
        (e.target, unsupported_numbers(e.target, _facts(e)))
        for e in small_corpus
        if unsupported_numbers(e.target, _facts(e))
    ]
    assert offenders == []


def test_targets_fit_their_channel(small_corpus: list[Example]) -> None:
    """Targets respect the per-channel length limits."""
    for e in small_corpus:
        assert len(e.target) <= LIMITS[e.request.locale][e.request.channel], e.target


def test_recommendations_name_items_and_prices(small_corpus: list[Example]) -> None:
    """A recommendation names each item (title or brand + category) and its exact price."""
    recs = [e for e in small_corpus if e.request.kind == "recommendation"]
    assert recs
    for e in recs:
        for item in e.request.items:
            fields = dict(item_fields(item))
            named = fields["title"] in e.target or (
                fields["brand"] in e.target and fields["category"] in e.target
            )
            assert named and item.price in e.target, e.target
    assert any(len(e.request.items) > 1 for e in recs)


def test_training_text_is_prompt_copy_eos(small_corpus: list[Example]) -> None:
    """Training text = build_prompt(request) + slotted target + <|eos|> (prompt format v2)."""
    e = small_corpus[0]
    assert e.text == build_prompt(e.request) + e.slotted + EOS


def test_locales_use_their_language_and_currency(small_corpus: list[Example]) -> None:
    """zh items have Chinese titles priced in CNY; en items are ASCII titles in USD."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for e in small_corpus:
        for item in e.request.items:
            if e.request.locale == "zh":
                assert item.currency == "CNY" and cjk.search(item.title + item.category_path[-1])
            else:
                assert item.currency == "USD" and not cjk.search(item.title)


def test_every_kind_channel_and_persona_is_covered(small_corpus: list[Example]) -> None:
    """The corpus covers all kinds, channels and persona segments."""
    assert {e.request.kind for e in small_corpus} == {"description", "ad", "recommendation"}
    assert {e.request.channel for e in small_corpus} == {
        "detail_page",
        "feed_card",
        "push",
        "search_ad",
    }
    segments = {e.request.persona.segment for e in small_corpus if e.request.persona}
    assert len(segments) == 5


def test_price_sensitive_leads_with_price(small_corpus: list[Example]) -> None:
    """For price-sensitive single-item copy the price comes before every spec value."""
    checked = 0
    for e in small_corpus:
        r = e.request
        if r.persona is None or r.persona.segment != "price_sensitive":
            continue
        if r.kind == "recommendation" or r.channel == "search_ad":
            continue
        item = r.items[0]
        body = e.target.replace(item.title, "")  # titles may carry a spec ("… 20000mAh …")
        values = [v for k, v in item_fields(item)[4:] if v in body and k != "original_price"]
        if item.price in body and values:
            checked += 1
            assert body.index(item.price) < min(body.index(v) for v in values), e.target
    assert checked > 5


def test_holdout_is_by_whole_products_and_categories() -> None:
    """Held-out products and categories never appear in training."""
    split = split_catalog()
    train_ids = {p.product_id for p in split.train}
    assert train_ids.isdisjoint({p.product_id for p in split.heldout_products})
    assert {p.category.key for p in split.heldout_categories} == set(HOLDOUT_CATEGORIES)
    assert not {p.category.key for p in split.train} & set(HOLDOUT_CATEGORIES)


def test_eval_examples_come_with_references() -> None:
    """eval_examples returns held-out requests with non-empty reference copy."""
    examples = eval_examples(20)
    split = split_catalog()
    train_ids = {p.product_id for p in split.train}
    assert len(examples) == 20
    for e in examples:
        assert e.target
        assert all(item.product_id not in train_ids for item in e.request.items)


def test_slotted_targets_realize_to_the_reference(small_corpus: list[Example]) -> None:
    """Every training target is slotted, and filling the slots gives the reference copy."""
    for e in small_corpus:
        assert "{1." in e.slotted, e.slotted
        text, unresolved = realize(e.slotted, e.request)
        assert unresolved == [] and text == e.target, (e.slotted, e.target)


def test_slotted_targets_carry_no_literal_numbers(small_corpus: list[Example]) -> None:
    """Outside slots the model never learns to write a digit: every number is a slot."""
    for e in small_corpus:
        assert not re.search(r"\d", SLOT.sub("", e.slotted)), e.slotted


def test_every_target_passes_the_worker_guards() -> None:
    """The grammar writes only copy the worker would publish: no target fails a guard.

    (A lead phrase such as "Spec-packed picks for you" once read as an unknown model name.)
    """
    from workers.guards import check_all

    failures = [
        (g.name, g.detail, e.target)
        for e in [*train_examples(3000, seed=11), *eval_examples(200)]
        for g in check_all(e.target, e.request)
        if not g.passed
    ]
    assert failures == []
