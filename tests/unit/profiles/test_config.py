"""Profiles settings come from COPYFLOW_PROFILES_* and validate their ranges."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from workers.profiles.config import ProfilesConfig


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows and half-life are configurable from the environment."""
    monkeypatch.setenv("COPYFLOW_PROFILES_DEBOUNCE_WINDOW_S", "2.5")
    monkeypatch.setenv("COPYFLOW_PROFILES_HALF_LIFE_S", "3600")
    cfg = ProfilesConfig()
    assert cfg.debounce_window_s == 2.5 and cfg.half_life_ms == 3_600_000


def test_invalid_values_are_rejected() -> None:
    """A non-positive half-life cannot decay anything."""
    with pytest.raises(ValidationError):
        ProfilesConfig(half_life_s=0)
