"""Counters for everything the worker decides, logged at the loop boundary and returned."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class Metrics:
    """Plain counters; the worker logs them as ``profiles_stats`` and the CLI prints them."""

    products: int = 0
    behavior_events: int = 0
    applied: int = 0
    duplicates: int = 0
    # Records at or below the source offset a profile already holds: a redelivery after a
    # restart (the changelog got ahead of the committed offset), skipped whatever its age.
    replayed: int = 0
    ignored: int = 0
    out_of_order: int = 0
    unknown_product: int = 0
    future_clamped: int = 0
    heavy_user_events: int = 0
    erasures: int = 0
    erased_user_events: int = 0
    dead_lettered: int = 0
    unexpected_errors: int = 0
    triggers: int = 0
    coalesced: int = 0
    requests_emitted: int = 0
    requests_skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
