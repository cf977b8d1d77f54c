"""Turn decoded input records into self-contained ContentRequests, and back to Avro."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from workers.domain import (
    CHANNELS,
    KINDS,
    LOCALES,
    SEGMENTS,
    Channel,
    ContentRequest,
    Item,
    Kind,
    Locale,
    Persona,
    Provenance,
    Segment,
)
from workers.envelope import Envelope
from workers.errors import BadInput

# What a product-created event asks for: a long description and a feed-card ad.
PRODUCT_OUTPUTS: tuple[tuple[Kind, Channel], ...] = (
    ("description", "detail_page"),
    ("ad", "feed_card"),
)
MAX_PRICE = Decimal("100000000")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _price_text(value: Any) -> str:
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise BadInput("validate", f"price is not a decimal: {value!r}") from exc
    if not price.is_finite() or price < 0 or price >= MAX_PRICE:
        raise BadInput("validate", f"price out of range: {value}")
    # Two decimals, exactly as a shop shows it; Avro decimal(12,2) already has scale 2.
    return str(price.quantize(Decimal("0.01")))


def _require(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadInput("validate", f"missing or empty field: {name}")
    return value


def item_from_product(record: Mapping[str, Any]) -> Item:
    """Build the generator's view of a product from a ProductCreated or Item record."""
    currency = _require(record, "currency").strip().upper()
    if not _CURRENCY.match(currency):
        raise BadInput("validate", f"currency is not an ISO 4217 code: {currency!r}")
    attributes = record.get("attributes") or {}
    return Item(
        product_id=_require(record, "product_id"),
        sku=str(record.get("sku") or ""),
        # An empty title is allowed: the copy then leans on brand and category.
        title=str(record.get("title") or ""),
        brand=str(record.get("brand") or ""),
        category_path=tuple(str(c) for c in record.get("category_path") or ()),
        price=_price_text(record.get("price")),
        currency=currency,
        attributes={str(k): str(v) for k, v in attributes.items()},
    )


def requests_from_product(record: Mapping[str, Any], env: Envelope) -> list[ContentRequest]:
    """A product-created event yields one description and one ad in the product's locale."""
    event_id = _require(record, "event_id")
    locale = record.get("locale")
    if locale not in LOCALES:
        raise BadInput("validate", f"unsupported locale: {locale!r}")
    item = item_from_product(record)
    source = Provenance(env.topic, env.partition, env.offset, event_id)
    return [
        ContentRequest(
            request_id=f"{event_id}:{kind}:{channel}",
            kind=kind,
            locale=locale,
            channel=channel,
            items=(item,),
            source=source,
            created_at_ms=int(env.timestamp_ms),
        )
        for kind, channel in PRODUCT_OUTPUTS
    ]


def request_from_avro(record: Mapping[str, Any]) -> ContentRequest:
    """Validate a decoded ContentRequest record."""
    kind, locale, channel = record.get("kind"), record.get("locale"), record.get("channel")
    if kind not in KINDS or locale not in LOCALES or channel not in CHANNELS:
        raise BadInput("validate", f"bad kind/locale/channel: {kind}/{locale}/{channel}")
    items = tuple(item_from_product(i) for i in record.get("items") or ())
    if not items:
        raise BadInput("validate", "a content request needs at least one item")
    persona_rec = record.get("persona")
    persona = None
    if persona_rec:
        segment = persona_rec.get("segment", "general")
        persona = Persona(
            segment=segment if segment in SEGMENTS else "general",
            top_categories=tuple(persona_rec.get("top_categories") or ()),
            top_brands=tuple(persona_rec.get("top_brands") or ()),
        )
    return ContentRequest(
        request_id=_require(record, "request_id"),
        kind=kind,
        locale=locale,
        channel=channel,
        items=items,
        source=Provenance(
            topic=str(record.get("source_topic", "")),
            partition=int(record.get("source_partition", -1)),
            offset=int(record.get("source_offset", -1)),
            event_id=_require(record, "source_event_id"),
        ),
        created_at_ms=int(_as_millis(record.get("created_at", 0))),
        persona=persona,
        user_id=record.get("user_id"),
        reason=record.get("reason"),
    )


def _as_millis(value: Any) -> int:
    if hasattr(value, "timestamp"):
        return int(value.timestamp() * 1000)
    return int(value or 0)


def request_to_avro(req: ContentRequest) -> dict[str, Any]:
    """The ContentRequest Avro record for a request (used by profiles and tests)."""
    persona: dict[str, Any] | None = None
    if req.persona is not None:
        persona = {
            "segment": req.persona.segment,
            "top_categories": list(req.persona.top_categories),
            "top_brands": list(req.persona.top_brands),
        }
    return {
        "request_id": req.request_id,
        "kind": req.kind,
        "locale": req.locale,
        "channel": req.channel,
        "items": [
            {
                "product_id": i.product_id,
                "sku": i.sku,
                "title": i.title,
                "brand": i.brand,
                "category_path": list(i.category_path),
                "price": i.price,
                "currency": i.currency,
                "attributes": dict(i.attributes),
            }
            for i in req.items
        ],
        "persona": persona,
        "user_id": req.user_id,
        "reason": req.reason,
        "source_topic": req.source.topic,
        "source_partition": req.source.partition,
        "source_offset": req.source.offset,
        "source_event_id": req.source.event_id,
        "created_at": req.created_at_ms,
    }


__all__ = [
    "PRODUCT_OUTPUTS",
    "Locale",
    "Segment",
    "item_from_product",
    "request_from_avro",
    "request_to_avro",
    "requests_from_product",
]
