"""The profile update: one behavior event folded into one user's profile, in place.

Decayed affinities without touching every entry on every event: a score is kept in units of
the profile's anchor time ``t0``. An event at time ``t`` with weight ``w`` adds
``w * 2 ** ((t - t0) / half_life)``; reading a score at time ``T`` multiplies by
``2 ** ((t0 - T) / half_life)``, the same factor for every entry, so shares and rankings need
no decay step at all. When the exponent grows large the profile is re-anchored (all scores
scaled once). An event that arrives late simply adds its smaller, already-decayed weight, so
out-of-order events need no special case beyond a metric.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import partial
from hashlib import blake2b
from typing import Literal, NamedTuple

from workers.profiles.config import ProfilesConfig
from workers.profiles.records import Behavior, ProductView, Profile

# How much one event says about a taste. Impressions say nothing (the user did not choose).
WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "click": 1.5,
    "add_to_cart": 3.0,
    "purchase": 5.0,
    "search": 0.5,
}
# Re-anchor before 2**64: far from float overflow (2**1023); whatever is that old relative to
# the newest event (64 half-lives) weighs less than 1e-19 of it anyway.
_REBASE_EXPONENT = 64.0
_NEGLIGIBLE_EXPONENT = -64.0
_VIEW_TYPES = frozenset({"view", "click"})
EID_CHARS = 14  # hex characters of one event digest

Status = Literal["applied", "duplicate", "ignored"]


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """Catalog names a search query mentions (see catalog.CatalogIndex.match_query)."""

    categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()


class Outcome(NamedTuple):
    """What one event did to a profile, for metrics, triggers and co-occurrence (a tuple:
    built once per event, so cheap construction matters)."""

    status: Status
    out_of_order: bool = False
    unknown_product: bool = False
    future_clamped: bool = False
    heavy_user: bool = False
    views_in_window: int = 0
    co_view_with: tuple[str, ...] = ()
    co_buy_with: tuple[str, ...] = ()
    ts_ms: int = 0


_IGNORED = Outcome("ignored")
DUPLICATE = Outcome("duplicate")  # also what a replayed record gets (engine)
# Outcome(*fields) without NamedTuple's Python-level __new__ (one per applied event).
_new_outcome = partial(tuple.__new__, Outcome)


def event_hash(event_id: str) -> str:
    """A stable 56-bit digest in hex, the same in every process (unlike ``hash``)."""
    return blake2b(event_id.encode(), digest_size=7).hexdigest()


def replayed(profile: Profile, partition: int, offset: int) -> bool:
    """Was the source record at ``partition``/``offset`` folded into ``profile`` already?

    The event-id window (``recent_event_ids``) only catches a duplicate among a user's
    last few events. After a hard kill the consumer restarts from its last committed
    offset while the profile comes back from its changelog, which can be seconds ahead;
    the records in between are redelivered, however many there are. Offsets within a
    partition only grow, and a user's events all come from one partition, so the offset
    watermark catches every one. A profile without one (older state) has nothing to skip.
    """
    off = profile.get("off")
    return type(off) is int and offset <= off and profile.get("part") == partition


def mark_source(profile: Profile, partition: int, offset: int) -> None:
    """Record the source record just folded in (the watermark ``replayed`` reads)."""
    profile["part"] = partition
    profile["off"] = offset


def seen_event(eids: str, digest: str) -> bool:
    """Is ``digest`` one of the fixed-width digests concatenated in ``eids``?

    One string instead of a list of ints: a quarter of the memory per profile. Only
    aligned matches count, so a digest straddling two others can never match.
    """
    i = eids.find(digest)
    while i != -1:
        if i % EID_CHARS == 0:
            return True
        i = eids.find(digest, i + 1)
    return False


def decay_factor(from_ms: int, to_ms: int, half_life_ms: float) -> float:
    """The multiplier that ages a score from ``from_ms`` to ``to_ms``."""
    return float(2.0 ** ((from_ms - to_ms) / half_life_ms))


def _rebase(profile: Profile, ts_ms: int, half_life_ms: float) -> None:
    factor = decay_factor(profile["t0"], ts_ms, half_life_ms)
    for name in ("cat", "brand", "band"):
        scores: dict[str, float] = profile[name]
        for key in scores:
            scores[key] *= factor
    profile["fresh"] *= factor
    profile["total"] *= factor
    profile["t0"] = ts_ms


def _bump(scores: dict[str, float], key: str, amount: float, cap: int) -> None:
    scores[key] = scores.get(key, 0.0) + amount
    if len(scores) > cap:
        # Drop the weakest taste; a new key that is itself the weakest goes straight away.
        del scores[min(scores, key=scores.__getitem__)]


def _remember(ids: list[str], stamps: list[int], pid: str, ts: int, cap: int) -> None:
    """Keep ``ids`` ordered by time, one entry per product, newest last, at most ``cap``."""
    if pid in ids:
        j = ids.index(pid)
        if stamps[j] >= ts:
            return  # a later interaction with this product is already recorded
        del ids[j], stamps[j]
    if not stamps or ts >= stamps[-1]:
        ids.append(pid)
        stamps.append(ts)
    else:
        i = bisect_right(stamps, ts)
        ids.insert(i, pid)
        stamps.insert(i, ts)
    if len(ids) > cap:
        del ids[0], stamps[0]


def _recent_before(
    ids: list[str], stamps: list[int], pid: str, ts: int, limit: int, within_ms: float
) -> tuple[str, ...]:
    """The last ``limit`` other products seen no earlier than ``within_ms`` before ``ts``."""
    out: list[str] = []
    for j in range(len(ids) - 1, -1, -1):
        if len(out) >= limit:
            break
        other, when = ids[j], stamps[j]
        if when > ts:
            continue
        if ts - when > within_ms:
            break
        if other != pid:
            out.append(other)
    return tuple(out)


def apply_event(
    profile: Profile,
    event: Behavior,
    product: ProductView | None,
    now_ms: int,
    cfg: ProfilesConfig,
    search: SearchMatch | None = None,
) -> Outcome:
    """Fold one event into ``profile`` (mutated in place); never raises for odd input.

    ``product`` is the catalog's view of ``event.product_id``, or None when the catalog does
    not know it (the event still counts for dedupe and recent items, not for affinities).
    """
    weight = WEIGHTS.get(event.type)
    if weight is None:
        return _IGNORED
    lim = cfg.limits
    eids = profile["eids"]
    digest = blake2b(event.event_id.encode(), digest_size=7).hexdigest()  # event_hash
    if digest in eids and seen_event(eids, digest):  # `in` first: most events are new
        return DUPLICATE
    eids += digest
    keep = lim.recent_event_ids * EID_CHARS
    profile["eids"] = eids[-keep:] if len(eids) > keep else eids

    ts = event.ts_ms
    clamped = ts > now_ms + lim.max_future_skew_ms
    if clamped:
        ts = now_ms  # a clock in the future would outweigh every real event
    out_of_order = ts < profile["ts"]
    if not out_of_order:
        profile["ts"] = ts
    n = profile["n"] = profile["n"] + 1
    if event.locale:
        profile["loc"] = event.locale

    half_life = lim.half_life_ms
    exponent = (ts - profile["t0"]) / half_life
    if exponent > _REBASE_EXPONENT:
        _rebase(profile, ts, half_life)
        exponent = 0.0
    amount = weight * 2.0**exponent if exponent > _NEGLIGIBLE_EXPONENT else 0.0

    pid = event.product_id
    cap = lim.max_affinities
    if product is not None and amount:
        # _bump inlined: three per event
        scores = profile["cat"]
        key = product.category
        scores[key] = scores.get(key, 0.0) + amount
        if len(scores) > cap:
            del scores[min(scores, key=scores.__getitem__)]
        key = product.brand
        if key:
            scores = profile["brand"]
            scores[key] = scores.get(key, 0.0) + amount
            if len(scores) > cap:
                del scores[min(scores, key=scores.__getitem__)]
        scores = profile["band"]
        key = product.band
        scores[key] = scores.get(key, 0.0) + amount
        if len(scores) > cap:
            del scores[min(scores, key=scores.__getitem__)]
        profile["total"] += amount
        if 0 <= ts - product.created_at_ms <= lim.fresh_ms:
            profile["fresh"] += amount
    elif search is not None and amount:
        for cat in search.categories:
            _bump(profile["cat"], cat, amount, cap)
        for brand in search.brands:
            _bump(profile["brand"], brand, amount, cap)

    co_view: tuple[str, ...] = ()
    co_buy: tuple[str, ...] = ()
    views_in_window = 0
    if pid is not None:
        kind = event.type
        if kind in _VIEW_TYPES:
            viewed, viewed_ts = profile["viewed"], profile["viewed_ts"]
            window = lim.co_window
            # A re-view of an item already in the session window adds no new pair.
            if pid not in viewed[-window - 1 :]:
                co_view = _recent_before(viewed, viewed_ts, pid, ts, window, lim.co_session_ms)
            _remember(viewed, viewed_ts, pid, ts, lim.recent_viewed)
            views_in_window = len(viewed_ts) - bisect_left(viewed_ts, ts - lim.burst_window_ms)
        elif kind == "add_to_cart":
            _remember(profile["carted"], profile["carted_ts"], pid, ts, lim.recent_carted)
        elif kind == "purchase":
            bought = profile["bought"]
            if pid not in bought:
                co_buy = tuple(reversed(bought[-lim.co_window :]))
            _remember(bought, profile["bought_ts"], pid, ts, lim.recent_bought)
            carted = profile["carted"]
            if pid in carted:  # bought, so no longer waiting in the cart
                j = carted.index(pid)
                del carted[j], profile["carted_ts"][j]

    return _new_outcome(
        (
            "applied",
            out_of_order,
            product is None and pid is not None,
            clamped,
            n > lim.heavy_user_events,
            views_in_window,
            co_view,
            co_buy,
            ts,
        )
    )


def scores_at(
    scores: dict[str, float], t0_ms: int, now_ms: int, half_life_ms: float
) -> dict[str, float]:
    """Scores decayed to ``now_ms`` (for display and absolute thresholds)."""
    factor = decay_factor(t0_ms, now_ms, half_life_ms)
    return {k: v * factor for k, v in scores.items()}


def top_keys(scores: dict[str, float], n: int) -> list[str]:
    """The ``n`` strongest keys, strongest first; ties broken by key for determinism."""
    return [k for k, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def shares(scores: dict[str, float]) -> dict[str, float]:
    """Scores as fractions of their sum (anchor-independent)."""
    total = sum(scores.values())
    if total <= 0:
        return {}
    return {k: v / total for k, v in scores.items()}
