"""Personalized requests: persona, full items, reason, provenance; user id only as metadata."""

from __future__ import annotations

from tests.unit.profiles.conftest import T0, entry
from workers.domain import Persona, Provenance
from workers.generator.requests import request_from_avro
from workers.profiles.compose import build_requests, encode_request, request_locale
from workers.profiles.records import new_profile
from workers.profiles.triggers import Trigger
from workers.prompt import build_prompt
from workers.serde import PlainAvroCodec

SRC = Provenance("user-behavior", 2, 41, "evt-9")
TRIGGER = Trigger("add_to_cart", 3, "carted:P1", "push", "P1", SRC, "en")
PERSONA = Persona("tech_enthusiast", ("Headphones",), ("Sonora",))


def test_recommendation_request_is_self_contained() -> None:
    """One recommendation with every item attribute, the persona, reason and source."""
    items = [entry("P1"), entry("P2", brand="Other")]
    [req] = build_requests("user-42", new_profile(T0), TRIGGER, items, PERSONA, T0)
    assert (req.kind, req.channel, req.locale) == ("recommendation", "push", "en")
    assert req.request_id == "evt-9:recommendation:push"
    assert [i.product_id for i in req.items] == ["P1", "P2"]
    assert req.items[0].attributes == {"color": "Black"} and req.items[1].brand == "Other"
    assert req.persona == PERSONA and req.reason == "carted:P1"
    assert req.source == SRC and req.user_id == "user-42" and req.created_at_ms == T0


def test_optional_ad_leads_with_the_first_item() -> None:
    """With ads on, a personalized feed-card ad for the lead item comes too."""
    reqs = build_requests(
        "u", new_profile(T0), TRIGGER, [entry("P1"), entry("P2")], PERSONA, T0, with_ad=True
    )
    assert [(r.kind, r.channel) for r in reqs] == [("recommendation", "push"), ("ad", "feed_card")]
    assert [i.product_id for i in reqs[1].items] == ["P1"] and reqs[
        1
    ].request_id == "evt-9:ad:feed_card"


def test_no_items_no_request() -> None:
    """Nothing to recommend means nothing to write."""
    assert build_requests("u", new_profile(T0), TRIGGER, [], PERSONA, T0) == []


def test_locale_comes_from_event_then_profile_then_item() -> None:
    """The event's locale wins, then the profile's last, then the lead item's."""
    profile = new_profile(T0)
    profile["loc"] = "zh"
    zh_item = [entry("P1", locale="zh")]
    no_locale = Trigger("purchase", 4, "bought:P1", "feed_card", "P1", SRC, None)
    assert request_locale(TRIGGER, profile, zh_item) == "en"
    assert request_locale(no_locale, profile, []) == "zh"
    assert request_locale(no_locale, new_profile(T0), zh_item) == "zh"
    assert request_locale(no_locale, new_profile(T0), []) == "en"


def test_encoded_request_round_trips_and_keeps_the_id_out_of_the_prompt() -> None:
    """Keyed by user id; decodes to the same request; the prompt never holds the id."""
    [req] = build_requests("user-secret-42", new_profile(T0), TRIGGER, [entry("P1")], PERSONA, T0)
    codec = PlainAvroCodec("ContentRequest")
    key, value = encode_request(req, codec, "content-requests")
    assert key == b"user-secret-42"
    back = request_from_avro(codec.decode(value))
    assert back == req
    prompt = build_prompt(back)
    assert "user-secret-42" not in prompt and "tech_enthusiast" in prompt
