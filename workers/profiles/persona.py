"""Persona features from a profile: a segment and the top categories and brands. No ids."""

from __future__ import annotations

from workers.domain import Persona, Segment
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import decay_factor, shares, top_keys
from workers.profiles.records import Profile, category_leaf, category_root

# Below this much (decayed) weight a profile says too little to name a segment.
MIN_EVIDENCE = 3.0


def segment_signals(profile: Profile, cfg: ProfilesConfig) -> dict[Segment, float]:
    """Each segment's evidence as a share of the profile's weight, in [0, 1]."""
    cats = shares(profile["cat"])
    bands = shares(profile["band"])
    tech_roots = set(cfg.tech_categories)
    total = profile["total"]
    return {
        "tech_enthusiast": sum(v for k, v in cats.items() if category_root(k) in tech_roots),
        "price_sensitive": bands.get("budget", 0.0),
        "quality_seeker": bands.get("premium", 0.0) + bands.get("luxury", 0.0),
        "trend_follower": profile["fresh"] / total if total > 0 else 0.0,
    }


def segment_of(profile: Profile, cfg: ProfilesConfig) -> Segment:
    """The segment whose evidence most exceeds its threshold, else ``general``."""
    evidence = profile["total"] * decay_factor(profile["t0"], profile["ts"], cfg.half_life_ms)
    if evidence < MIN_EVIDENCE:
        return "general"
    best: Segment = "general"
    best_excess = 0.0
    for segment, value in segment_signals(profile, cfg).items():
        threshold = cfg.segment_thresholds.get(segment)
        if threshold is None:
            continue
        excess = value - threshold
        if excess >= best_excess:
            best, best_excess = segment, excess
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
