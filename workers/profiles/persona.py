"""Persona features from a profile: a segment and the top categories and brands. No ids."""

from __future__ import annotations

from workers.domain import Persona, Segment
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import decay_factor, shares, top_keys
from workers.profiles.records import Profile, category_leaf, category_root

# Below this much (decayed) weight a profile says too little to name a segment.
MIN_EVIDENCE = 3.0
# Quality needs a clear lean to the top bands: half of a random shopper's weight is
# already "premium or luxury" or "budget or mid" by construction of the bands.
QUALITY_MARGIN = 0.15


def segment_signals(profile: Profile, cfg: ProfilesConfig) -> dict[Segment, float]:
    """Each segment's evidence as a share in [0, 1]."""
    cats = shares(profile["cat"])
    bands = shares(profile["band"])
    tech_roots = set(cfg.tech_categories)
    total = profile["total"]
    return {
        "tech_enthusiast": sum(v for k, v in cats.items() if category_root(k) in tech_roots),
        "price_sensitive": bands.get("budget", 0.0),
        "quality_seeker": bands.get("premium", 0.0) + bands.get("luxury", 0.0) - QUALITY_MARGIN,
        "trend_follower": profile["fresh"] / total if total > 0 else 0.0,
    }


def segment_of(profile: Profile, cfg: ProfilesConfig) -> Segment:
    """The strongest segment whose evidence passes the threshold, else ``general``."""
    evidence = profile["total"] * decay_factor(profile["t0"], profile["ts"], cfg.half_life_ms)
    if evidence < MIN_EVIDENCE:
        return "general"
    best: Segment = "general"
    best_value = cfg.segment_threshold
    for segment, value in segment_signals(profile, cfg).items():
        if value >= best_value:
            best, best_value = segment, value
    return best


def persona_of(profile: Profile, cfg: ProfilesConfig, top: int = 3) -> Persona:
    """The persona a request carries: features only, never the user id or raw events."""
    leaves: list[str] = []
    for key in top_keys(profile["cat"], top * 2):
        leaf = category_leaf(key)
        if leaf not in leaves:
            leaves.append(leaf)
    return Persona(
        segment=segment_of(profile, cfg),
        top_categories=tuple(leaves[:top]),
        top_brands=tuple(top_keys(profile["brand"], top)),
    )
