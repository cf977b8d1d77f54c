"""Segments and persona features from profiles; never an id."""

from __future__ import annotations

from tests.unit.profiles.conftest import DAY_MS, T0, behavior, view_of
from workers.profiles.config import ProfilesConfig
from workers.profiles.logic import apply_event
from workers.profiles.persona import persona_of, segment_of, segment_signals
from workers.profiles.records import Profile, new_profile


def _profile(cfg: ProfilesConfig, views: list[tuple[str, str, str, int]]) -> Profile:
    """views: (category, brand, band, product age in days)."""
    p = new_profile(T0)
    for i, (cat, brand, band, age) in enumerate(views):
        view = view_of(f"P{i}", cat, brand, band, T0 - age * DAY_MS)
        apply_event(p, behavior("view", f"P{i}", ts_ms=T0 + i), view, T0, cfg)
    return p


def test_tech_enthusiast(cfg: ProfilesConfig) -> None:
    """Mostly electronics, any price: tech enthusiast."""
    p = _profile(
        cfg, [("Electronics/Phones", "A", b, 90) for b in ("mid", "budget", "premium")] * 3
    )
    assert segment_of(p, cfg) == "tech_enthusiast"


def test_price_sensitive(cfg: ProfilesConfig) -> None:
    """Mostly budget products across categories: price sensitive."""
    p = _profile(
        cfg, [(c, "A", "budget", 90) for c in ("Home/Cups", "Sports/Yoga", "Beauty/X")] * 3
    )
    assert segment_of(p, cfg) == "price_sensitive"


def test_quality_seeker(cfg: ProfilesConfig) -> None:
    """Mostly premium and luxury outside tech: quality seeker."""
    p = _profile(cfg, [(c, "A", "luxury", 90) for c in ("Home/Cups", "Apparel/Jackets")] * 4)
    assert segment_of(p, cfg) == "quality_seeker"


def test_trend_follower(cfg: ProfilesConfig) -> None:
    """Mostly products launched in the last days: trend follower."""
    p = _profile(cfg, [(c, "A", "mid", 3) for c in ("Home/Cups", "Apparel/Jackets")] * 4)
    assert segment_signals(p, cfg)["trend_follower"] == 1.0
    assert segment_of(p, cfg) == "trend_follower"


def test_too_little_evidence_is_general(cfg: ProfilesConfig) -> None:
    """Two views say too little: general, even if they are both electronics."""
    p = _profile(cfg, [("Electronics/Phones", "A", "mid", 90)] * 2)
    assert segment_of(p, cfg) == "general"


def test_mixed_tastes_are_general(cfg: ProfilesConfig) -> None:
    """No lean passes its threshold: general."""
    views = [
        ("Home/Cups", "A", "budget", 90),
        ("Sports/Yoga", "B", "mid", 90),
        ("Apparel/Jackets", "C", "premium", 90),
        ("Electronics/Phones", "D", "mid", 90),
    ] * 2
    assert segment_of(_profile(cfg, views), cfg) == "general"


def test_persona_names_top_leaves_and_brands(cfg: ProfilesConfig) -> None:
    """The persona lists leaf category names and brands by weight, and nothing else."""
    views = [("Electronics/Phones", "Acme", "mid", 90)] * 3 + [("Home/Cups", "Mugs", "mid", 90)]
    persona = persona_of(_profile(cfg, views), cfg)
    assert persona.top_categories == ("Phones", "Cups")
    assert persona.top_brands == ("Acme", "Mugs")
    assert "u1" not in repr(persona)
