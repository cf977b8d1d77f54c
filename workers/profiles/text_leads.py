"""What a written recommendation text leads with, and how often two users' texts differ in it.

The profiles eval (``workers.profiles.evaluate``) shows that users of different latent
archetypes get requests that differ in persona and items. This reads the texts the real
generator writes for those requests: a text *leads with* the attribute it names first
(price, colour, a spec…; names such as title, brand and category are not attributes), of the
item it belongs to. Two texts differ in what they lead with when that (item, attribute)
differs; the stricter figures compare the attribute's key alone ("price" against "color"),
and the key of the first attribute other than a price (a recommendation names each item's
price first, whoever it is for; what follows is where the persona shows).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workers.domain import ContentRequest
from workers.prompt import item_fields

_NAMES = frozenset({"title", "brand", "category"})
_PRICES = frozenset({"price", "original_price", "currency"})


@dataclass(frozen=True, slots=True)
class Lead:
    """The first attribute a text names: the item it belongs to and its key."""

    product_id: str
    key: str


@dataclass(frozen=True, slots=True)
class TextLeads:
    pairs: int
    lead_differs: float  # (item, key) of the first attribute named
    lead_key_differs: float  # the key alone
    detail_key_differs: float  # the key of the first attribute that is not a price
    without_lead: int  # texts that name no attribute at all (template fallbacks included)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _position(text: str, value: str) -> int:
    """Where ``value`` first stands in ``text`` (whitespace and case ignored), or -1. A price
    may be written without its trailing zeros (199.00 as 199)."""
    at = text.find(_squash(value))
    if at < 0 and "." in value:
        short = value.rstrip("0").rstrip(".")
        if short:
            at = text.find(_squash(short))
    return at


def lead_of(text: str, request: ContentRequest, skip: frozenset[str] = frozenset()) -> Lead | None:
    """The attribute ``text`` names first (other than ``skip`` keys), or None if none."""
    squashed = _squash(text)
    best: tuple[int, Lead] | None = None
    for item in request.items:
        for key, value in item_fields(item):
            if key in _NAMES or key in skip:
                continue
            at = _position(squashed, item.price if key == "price" else value)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, Lead(item.product_id, key))
    return None if best is None else best[1]


def compare_leads(
    pairs: Sequence[tuple[ContentRequest, ContentRequest]], texts: dict[str, str]
) -> TextLeads:
    """Share of ``pairs`` whose texts (by request id) lead with different attributes."""
    leads = {
        request.request_id: lead_of(texts[request.request_id], request)
        for pair in pairs
        for request in pair
    }
    details = {
        request.request_id: lead_of(texts[request.request_id], request, _PRICES)
        for pair in pairs
        for request in pair
    }
    differs = key_differs = detail_differs = 0
    for a, b in pairs:
        la, lb = leads[a.request_id], leads[b.request_id]
        differs += la != lb
        key_differs += (la.key if la else None) != (lb.key if lb else None)
        da, db = details[a.request_id], details[b.request_id]
        detail_differs += (da.key if da else None) != (db.key if db else None)
    n = max(1, len(pairs))
    return TextLeads(
        pairs=len(pairs),
        lead_differs=differs / n,
        lead_key_differs=key_differs / n,
        detail_key_differs=detail_differs / n,
        without_lead=sum(lead is None for lead in leads.values()),
    )
