"""End to end on the real broker: behavior → profiles worker → generator → recommendation text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.kafka_helpers import plain_avro_decode, read_all
from tests.integration.profiles_support import (
    behavior,
    catalog,
    make_config,
    running,
    send_behavior,
    send_products,
    wait_for,
)
from workers.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_recommendation_texts_name_items_that_fit_each_user(
    make_settings: Callable[..., Settings], running_worker: Any
) -> None:
    """Two users with different behavior get texts naming their own items, without their ids."""
    settings = make_settings()
    products = catalog()
    by_id = {p["product_id"]: p for p in products}
    phones = [p["product_id"] for p in products if p["category_path"][-1] == "Headphones"]
    fryers = [p["product_id"] for p in products if p["category_path"][-1] == "Appliances"]
    with (
        running(settings, make_config()) as profiles,
        running_worker(settings, topics=[settings.topics.content_requests]) as generator,
    ):
        send_products(settings, products)
        wait_for(lambda: profiles.metrics().products == len(products), what="catalog loaded")
        # Views build the profile; putting an item in the cart triggers the content.
        events = [
            *(behavior("user-ann", "view", pid, n) for n, pid in enumerate(phones * 3)),
            behavior("user-ann", "add_to_cart", phones[0], 99),
            *(behavior("user-ben", "view", pid, n) for n, pid in enumerate(fryers * 3)),
            behavior("user-ben", "add_to_cart", fryers[0], 99),
        ]
        send_behavior(settings, events)
        wait_for(lambda: generator.stats.published >= 2, timeout_s=90, what="two texts")
    msgs = read_all(settings.bootstrap_servers, settings.topics.recommendations, expect=2)
    texts = {m.key().decode(): plain_avro_decode("GeneratedContent", m.value()) for m in msgs}
    assert set(texts) == {"user-ann", "user-ben"}
    wanted = {"user-ann": "Headphones", "user-ben": "Appliances"}
    for user, rec in texts.items():
        assert rec["kind"] == "recommendation" and rec["user_id"] == user
        assert user not in rec["text"]
        items = [by_id[pid] for pid in rec["product_ids"]]
        # The first recommended item fits what the user looked at, and the text names it.
        assert items[0]["category_path"][-1] == wanted[user]
        named = [p for p in items if p["title"] in rec["text"] or p["brand"] in rec["text"]]
        assert named, f"{user}: no recommended item is named in {rec['text']!r}"
        assert all(g["passed"] for g in rec["guards"] if not g["name"].startswith("draft."))
    assert texts["user-ann"]["text"] != texts["user-ben"]["text"]
