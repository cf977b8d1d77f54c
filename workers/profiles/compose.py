"""Personalized ContentRequests: persona, chosen items with full attributes, reason, source.

The user id rides along only as metadata (the record key and ``user_id``); the persona holds
features, and ``workers.prompt.build_prompt`` reads only kind, locale, channel, segment and
item attributes, so no id can reach the generated text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workers.domain import LOCALES, ContentRequest, Locale, Persona
from workers.generator.requests import request_to_avro
from workers.profiles.records import CatalogEntry, Profile, item_from_entry
from workers.profiles.triggers import Trigger
from workers.serde import Codec


def request_locale(trigger: Trigger, profile: Profile, items: Sequence[CatalogEntry]) -> Locale:
    """The event's locale, else the profile's last one, else the lead item's."""
    for candidate in (trigger.locale, profile["loc"], items[0]["locale"] if items else None):
        for locale in LOCALES:
            if candidate == locale:
                return locale
    return "en"


def build_requests(
    user_id: str,
    profile: Profile,
    trigger: Trigger,
    items: Sequence[CatalogEntry],
    persona: Persona,
    now_ms: int,
    *,
    with_ad: bool = False,
) -> list[ContentRequest]:
    """One recommendation request (and optionally an ad for the lead item); [] without items."""
    if not items:
        return []
    locale = request_locale(trigger, profile, items)
    event_id = trigger.source.event_id
    out = [
        ContentRequest(
            # Deterministic: a redelivered trigger yields the same id, so downstream dedupes.
            request_id=f"{event_id}:recommendation:{trigger.channel}",
            kind="recommendation",
            locale=locale,
            channel=trigger.channel,
            items=tuple(item_from_entry(e) for e in items),
            source=trigger.source,
            created_at_ms=now_ms,
            persona=persona,
            user_id=user_id,
            reason=trigger.reason,
        )
    ]
    if with_ad:
        out.append(
            ContentRequest(
                request_id=f"{event_id}:ad:feed_card",
                kind="ad",
                locale=locale,
                channel="feed_card",
                items=(item_from_entry(items[0]),),
                source=trigger.source,
                created_at_ms=now_ms,
                persona=persona,
                user_id=user_id,
                reason=trigger.reason,
            )
        )
    return out


def encode_request(request: ContentRequest, codec: Codec, topic: str) -> tuple[bytes, bytes]:
    """(key, value) for the requests topic: keyed by user id so one user's requests stay ordered."""
    record: dict[str, Any] = request_to_avro(request)
    key = (request.user_id or request.request_id).encode()
    return key, codec.encode(record, topic)
