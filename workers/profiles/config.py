"""Tuning knobs of the profiles worker, from ``COPYFLOW_PROFILES_*``; built once in main()."""

from __future__ import annotations

from functools import cached_property

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
    data_dir: str | None = Field(
        default=None, description="faust's data directory; None = a temporary one, removed"
    )
    # Larger batches mean fewer changelog records per event (one per changed key per
    # batch); a quarter second adds nothing a user notices to a debounced trigger.
    batch_max: int = Field(
        default=2000, ge=1, description="behavior events per batch (one table write per key)"
    )
    batch_within_s: float = Field(
        default=0.25, gt=0, description="a batch that is not full goes after this"
    )
    batch_edge: bool = Field(
        default=True,
        description="take behavior from faust's consumer in batches (faust_batch.py), "
        "not through its per-message agent path",
    )
    commit_interval_s: float = 2.8
    producer_linger_s: float = Field(
        default=0.005, ge=0, description="faust producer linger: records per produce request"
    )
    producer_max_batch_bytes: int = Field(
        default=262_144, ge=16_384, description="faust producer batch per partition"
    )
    # The engine keeps most of what it allocates (profiles, co entries, pending triggers),
    # so at Python's default of 700 a fetch of thousands of events pays dozens of
    # young-generation collections that rescan those survivors: 5-8% of the batch edge's
    # time in its benchmark, about half that at 20,000.
    gc_young_threshold: int = Field(
        default=20_000, ge=700, description="allocations between youngest-generation GCs"
    )
    session_timeout_s: float = Field(
        default=60.0, ge=6.0, description="a dead worker's partitions move after this"
    )

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

    @cached_property
    def limits(self) -> Limits:
        """The update function's constants, in milliseconds, read once (the hot path reads
        them per event, and a plain slots object is several times cheaper than a model)."""
        return Limits(self)


class Limits:
    """Per-event constants of ``logic.apply_event``, derived from a ``ProfilesConfig``."""

    __slots__ = (
        "burst_window_ms",
        "co_session_ms",
        "co_window",
        "fresh_ms",
        "half_life_ms",
        "heavy_user_events",
        "max_affinities",
        "max_future_skew_ms",
        "recent_bought",
        "recent_carted",
        "recent_event_ids",
        "recent_viewed",
    )

    def __init__(self, cfg: ProfilesConfig) -> None:
        self.burst_window_ms = cfg.burst_window_s * 1000.0
        self.co_session_ms = cfg.co_session_s * 1000.0
        self.co_window = cfg.co_window
        self.fresh_ms = cfg.fresh_days * DAY_S * 1000.0
        self.half_life_ms = cfg.half_life_s * 1000.0
        self.heavy_user_events = cfg.heavy_user_events
        self.max_affinities = cfg.max_affinities
        self.max_future_skew_ms = cfg.max_future_skew_s * 1000.0
        self.recent_bought = cfg.recent_bought
        self.recent_carted = cfg.recent_carted
        self.recent_event_ids = cfg.recent_event_ids
        self.recent_viewed = cfg.recent_viewed
