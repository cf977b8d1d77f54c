"""Tuning knobs of the profiles worker, from ``COPYFLOW_PROFILES_*``; built once in main()."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY_S = 86_400.0


class ProfilesConfig(BaseSettings):
    """Everything the profile, trigger and recommendation logic can be told from outside."""

    model_config = SettingsConfigDict(env_prefix="COPYFLOW_PROFILES_", extra="ignore")

    app_id: str = Field(default="copyflow-profiles", description="faust app id = consumer group")
    partitions: int | None = Field(
        default=None, description="changelog partitions; None = those of the behavior topic"
    )
    faust_loglevel: str = "warning"
    commit_interval_s: float = 2.8

    # Affinities.
    half_life_s: float = Field(default=7 * DAY_S, gt=0)
    max_affinities: int = Field(default=24, ge=1, description="kept per kind (category, brand)")
    fresh_days: float = Field(default=14.0, description="a product younger than this is 'new'")

    # Recent history, all bounded so a user with thousands of events stays small.
    recent_viewed: int = Field(default=20, ge=1)
    recent_carted: int = Field(default=10, ge=1)
    recent_bought: int = Field(default=20, ge=1)
    recent_event_ids: int = Field(default=32, ge=1, description="dedupe window per user")
    heavy_user_events: int = Field(default=1000, description="count users past this in a metric")
    max_future_skew_s: float = Field(default=300.0, description="later timestamps are clamped")

    # Item-to-item co-occurrence and popularity.
    co_window: int = Field(default=3, ge=1, description="previous distinct items paired with one")
    co_session_s: float = Field(default=1800.0, description="pairs only within this gap")
    max_neighbors: int = Field(default=40, ge=1)
    popularity_half_life_s: float = Field(default=3 * DAY_S, gt=0)

    # Triggers and coalescing.
    debounce_window_s: float = Field(default=10.0, ge=0)
    min_interval_s: float = Field(default=60.0, ge=0, description="least gap between requests")
    burst_views: int = Field(default=3, ge=1, description="views within the burst window")
    burst_window_s: float = Field(default=120.0, gt=0)
    flush_interval_s: float = Field(default=0.25, gt=0, description="how often due triggers go out")

    # Requests.
    items_per_request: int = Field(default=4, ge=1)
    emit_ads: bool = Field(default=False, description="also a personalized ad per trigger")
    # Share of a profile's weight that names a segment. A shopper with no lean already shows
    # some of each (a third of the weight lands in premium or luxury by construction of the
    # bands; tech is a large part of most catalogs; a few products are always new), so the
    # thresholds sit well above those base rates. The segment with the largest excess wins.
    segment_thresholds: dict[str, float] = {
        "tech_enthusiast": 0.7,
        "price_sensitive": 0.5,
        "quality_seeker": 0.65,
        "trend_follower": 0.35,
    }
    tech_categories: tuple[str, ...] = (
        "Electronics",
        "Computers",
        "Phones",
        "数码",
        "电脑",
        "手机",
    )

    # Housekeeping.
    index_refresh_s: float = Field(default=30.0, description="popularity ranking refresh")
    stats_log_interval_s: float = 30.0

    @property
    def half_life_ms(self) -> float:
        return self.half_life_s * 1000.0
