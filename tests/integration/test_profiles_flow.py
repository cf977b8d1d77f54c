"""The profiles worker against a real broker: behavior in, personalized requests out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.kafka_helpers import plain_avro_encode, produce, read_all
from tests.integration.profiles_support import (
    behavior,
    catalog,
    headers_of,
    make_config,
    read_requests,
    running,
    send_behavior,
    send_products,
    wait_for,
)
from workers.generator.requests import request_from_avro
from workers.kafka.dlq import dlq_facts
from workers.prompt import build_prompt
from workers.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _by_category(products: list[dict[str, Any]], leaf: str, locale: str = "en") -> list[str]:
    return [
        p["product_id"]
        for p in products
        if p["category_path"][-1] == leaf and p["locale"] == locale
    ]


def test_requests_follow_each_users_behavior(make_settings: Callable[..., Settings]) -> None:
    """Three users, three behaviors: each request names items that fit that user."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    phones = _by_category(products, "Headphones")
    keyboards = _by_category(products, "Keyboards")
    fryers = _by_category(products, "Appliances")
    bottles = _by_category(products, "Drinkware")
    cups_zh = _by_category(products, "杯具", "zh")
    with running(settings, cfg) as rw:
        send_products(settings, products)
        wait_for(lambda: rw.metrics().products == len(products), what="catalog loaded")
        events = [
            # alice: a burst of headphone and keyboard views
            *(
                behavior("alice", "view", pid, n)
                for n, pid in enumerate(phones + keyboards + phones)
            ),
            # bob: kitchen and drinkware
            *(behavior("bob", "view", pid, n) for n, pid in enumerate(fryers + bottles + fryers)),
            # carol (zh): puts a cup in her cart
            behavior("carol", "add_to_cart", cups_zh[0], 0, context={"locale": "zh"}),
        ]
        placed = send_behavior(settings, events)
        wait_for(lambda: rw.metrics().requests_emitted >= 3, what="three requests")
        got = read_requests(settings, expect=3)
        stats = rw.metrics()
    assert len(got) == 3, [r["reason"] for _, r in got]
    reqs = {key.decode(): rec for key, rec in got}
    assert set(reqs) == {"alice", "bob", "carol"}
    position = {e["event_id"]: pos for e, pos in zip(events, placed, strict=True)}

    def leaves(rec: dict[str, Any]) -> list[str]:
        return [i["category_path"][-1] for i in rec["items"]]

    assert leaves(reqs["alice"])[0] in ("Headphones", "Keyboards")
    assert set(leaves(reqs["alice"])) & {"Headphones", "Keyboards"}
    assert leaves(reqs["bob"])[0] in ("Appliances", "Drinkware")
    assert reqs["carol"]["channel"] == "push" and reqs["carol"]["locale"] == "zh"
    assert reqs["carol"]["reason"] == f"carted:{cups_zh[0]}"
    assert cups_zh[0] in [i["product_id"] for i in reqs["carol"]["items"]]
    for user, rec in reqs.items():
        req = request_from_avro(rec)
        assert req.kind == "recommendation" and req.user_id == user
        assert req.persona is not None and req.persona.top_categories
        assert (req.source.partition, req.source.offset) == position[req.source.event_id]
        assert req.source.topic == settings.topics.user_behavior
        assert all(i.price and i.title and i.brand for i in req.items)  # full attributes
        assert user not in build_prompt(req)
        assert req.persona.segment in build_prompt(req)
    assert stats.dead_lettered == 0 and stats.unexpected_errors == 0


def test_burst_of_forty_views_yields_one_request(make_settings: Callable[..., Settings]) -> None:
    """Forty views in a burst coalesce into exactly one recommendation request."""
    settings = make_settings()
    products = catalog()
    cfg = make_config(debounce_window_s=2.0)
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    with running(settings, cfg) as rw:
        send_products(settings, products)
        wait_for(lambda: rw.metrics().products == len(products), what="catalog loaded")
        send_behavior(settings, [behavior("dave", "view", en[n % len(en)], n) for n in range(40)])
        wait_for(lambda: rw.metrics().applied == 40, what="40 views applied")
        wait_for(lambda: rw.metrics().requests_emitted >= 1, what="a request")
        time.sleep(cfg.debounce_window_s + 1.0)  # a second request would have come by now
        stats = rw.metrics()
    got = read_requests(settings, expect=2, timeout_s=5)
    assert len(got) == 1
    assert got[0][0] == b"dave" and got[0][1]["reason"].startswith("viewed:")
    assert stats.requests_emitted == 1 and stats.coalesced == stats.triggers - 1 >= 30


def test_erasure_deletes_the_profile_and_stops_content(
    make_settings: Callable[..., Settings],
) -> None:
    """erase_user tombstones the profile on the changelog; later behavior makes no content."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    with running(settings, cfg) as rw:
        send_products(settings, products)
        wait_for(lambda: rw.metrics().products == len(products), what="catalog loaded")
        send_behavior(settings, [behavior("erin", "add_to_cart", en[0], 0)])
        wait_for(lambda: rw.metrics().requests_emitted == 1, what="first request")
        assert rw.profile("erin") is not None
        send_behavior(settings, [behavior("erin", "erase_user", None, 1)])
        wait_for(lambda: rw.metrics().erasures == 1, what="erasure")
        assert rw.profile("erin") is None
        later = [
            behavior("erin", kind, en[2], 2 + n)
            for n, kind in enumerate(("add_to_cart", "purchase"))
        ]
        send_behavior(settings, later)
        wait_for(lambda: rw.metrics().erased_user_events == 2, what="later events ignored")
        time.sleep(cfg.debounce_window_s + 1.0)
        stats = rw.metrics()
        assert rw.profile("erin") is None
    assert stats.requests_emitted == 1
    assert len(read_requests(settings, expect=2, timeout_s=5)) == 1
    changelog = read_all(settings.bootstrap_servers, f"{cfg.app_id}-profiles-changelog", 2, 20)
    last = [m for m in changelog if m.key() == b'"erin"'][-1]
    assert last.value() is None  # the tombstone: compaction removes the profile for good


def test_bad_events_are_dead_lettered_and_good_ones_flow(
    make_settings: Callable[..., Settings],
) -> None:
    """Garbage and wrong-schema records go to the DLQ with bytes and headers; others count."""
    settings = make_settings()
    products = catalog()
    cfg = make_config()
    en = [p["product_id"] for p in products if p["locale"] == "en"]
    garbage = b"\x02\xffnot avro"
    wrong = plain_avro_encode("ProductCreated", products[0])
    with running(settings, cfg) as rw:
        send_products(settings, products)
        wait_for(lambda: rw.metrics().products == len(products), what="catalog loaded")
        good = behavior("finn", "add_to_cart", en[1], 0)
        produce(
            settings.bootstrap_servers,
            settings.topics.user_behavior,
            [
                (b"finn", garbage),
                (b"finn", wrong),
                (b"finn", plain_avro_encode("UserBehavior", good)),
            ],
        )
        unknown = behavior("finn", "view", "no-such-product", 1)
        send_behavior(settings, [unknown, unknown])  # unknown product, then a redelivery
        wait_for(lambda: rw.metrics().behavior_events == 5, what="five events")
        wait_for(lambda: rw.metrics().requests_emitted == 1, what="the good event's request")
        stats = rw.metrics()
    assert (stats.dead_lettered, stats.unknown_product, stats.duplicates) == (2, 1, 1)
    dead = read_all(settings.bootstrap_servers, settings.topics.dead_letter, expect=2)
    assert sorted(m.value() or b"" for m in dead) == sorted([garbage, wrong])
    for m in dead:
        facts = dlq_facts(headers_of(m))
        assert facts["stage"] in ("decode", "validate")
        assert facts["source.topic"] == settings.topics.user_behavior
        assert m.key() == b"finn"
