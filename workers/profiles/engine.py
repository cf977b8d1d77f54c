"""The profiles stage, Kafka-free: envelopes in, records to produce out, state in mappings.

``app.py`` backs the mappings with faust tables (changelogged) and sends what comes out;
unit tests and the benchmark back them with plain dicts. Every table write is a plain
``mapping[key] = value`` after the value was changed, because that assignment is what a
faust table turns into a changelog record.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from hashlib import blake2b

import structlog

from workers.domain import ContentRequest, Provenance
from workers.envelope import Envelope
from workers.errors import BadInput
from workers.kafka.dlq import dead_letter_headers
from workers.profiles.catalog import CatalogIndex
from workers.profiles.compose import build_requests, encode_request
from workers.profiles.config import ProfilesConfig
from workers.profiles.cooc import (
    POPULARITY_WEIGHTS,
    add_pairs,
    add_popularity,
    co_key,
    get_or_new,
    popularity_at,
)
from workers.profiles.decode import decode_behavior, decode_product
from workers.profiles.logic import Outcome, apply_event
from workers.profiles.metrics import Metrics
from workers.profiles.persona import persona_of
from workers.profiles.recommend import TableSignals, recommend
from workers.profiles.records import Behavior, CatalogEntry, CoEntry, Profile, new_profile
from workers.profiles.triggers import Debouncer, Pending, Trigger, trigger_for
from workers.serde import Codec
from workers.settings import TopicSettings

log = structlog.get_logger("copyflow.profiles")


def erased_key(user_id: str) -> str:
    """How an erased user is remembered: a digest, so the erasure record itself does not
    keep the id in the clear (the set must outlive the profile to stop later content)."""
    return blake2b(user_id.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Produce:
    """One record to send."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(slots=True)
class State:
    """The durable state; in the worker each mapping is a faust table."""

    profiles: MutableMapping[str, Profile] = field(default_factory=dict)
    catalog: MutableMapping[str, CatalogEntry] = field(default_factory=dict)
    co: MutableMapping[str, CoEntry] = field(default_factory=dict)
    erased: MutableMapping[str, int] = field(default_factory=dict)  # erased_key → time


@dataclass(frozen=True, slots=True)
class Codecs:
    behavior: Codec
    product: Codec
    request: Codec


class ProfileEngine:
    """Catalog, profile and co-occurrence updates, triggers and request composition."""

    def __init__(
        self,
        cfg: ProfilesConfig,
        state: State,
        topics: TopicSettings,
        codecs: Codecs,
        partitions: int = 1,
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.topics = topics
        self.codecs = codecs
        self.partitions = max(1, partitions)
        self.metrics = Metrics()
        self.index = CatalogIndex()
        self.debouncer = Debouncer(cfg.debounce_window_s, cfg.min_interval_s)
        self.signals = TableSignals(state.catalog, state.co, self.index, self.partitions)
        self._ranked_at_ms = -1
        self._ranked_co_size = -1

    # -- inputs ---------------------------------------------------------------------------

    def on_product(self, env: Envelope) -> list[Produce]:
        """Store one product in the catalog; undecodable ones go to the dead-letter topic."""
        try:
            entry = decode_product(env.value, self.codecs.product, env.topic)
        except BadInput as exc:
            return [self._dead_letter(env, exc.stage, exc.reason)]
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the stream; it is counted
            return [self._unexpected(env, exc)]
        self.state.catalog[entry["product_id"]] = entry
        self.index.add(entry)
        self.metrics.products += 1
        return []

    def on_behavior(self, env: Envelope, now_ms: int) -> list[Produce]:
        """Fold one behavior event into state; may open or extend a trigger window."""
        self.metrics.behavior_events += 1
        try:
            event = decode_behavior(env.value, self.codecs.behavior, env.topic)
        except BadInput as exc:
            return [self._dead_letter(env, exc.stage, exc.reason)]
        try:
            source = Provenance(env.topic, env.partition, env.offset, event.event_id)
            self.apply(event, source, now_ms)
        except Exception as exc:  # noqa: BLE001 - see on_product
            return [self._unexpected(env, exc)]
        return []

    def flush(self, now_ms: int) -> list[Produce]:
        """Requests for every trigger window that has closed by ``now_ms``."""
        due = self.debouncer.due(now_ms)
        if not due:
            return []
        self.refresh(now_ms)
        out: list[Produce] = []
        for user_id, pending in due:
            try:
                out.extend(self._compose(user_id, pending, now_ms))
            except Exception:  # one user's bad state must not block the others
                self.metrics.unexpected_errors += 1
                self.metrics.requests_skipped += 1
                log.exception("profiles_compose_failed", reason=pending.trigger.reason)
        return out

    def refresh(self, now_ms: int, force: bool = False) -> None:
        """Re-sync the catalog index and the popularity ranking when they look stale."""
        catalog, co = self.state.catalog, self.state.co
        if len(catalog) != self.index.size:
            self.index.rebuild(catalog.values())
            force = True
        co_size = len(co)
        stale = now_ms - self._ranked_at_ms >= self.cfg.index_refresh_s * 1000
        grew = co_size > self._ranked_co_size * 1.1
        if not (force or stale or grew):
            return
        half_life = self.cfg.popularity_half_life_s * 1000.0
        popularity: dict[str, float] = {}
        for key, entry in list(co.items()):
            pid = key.split(":", 1)[1]
            popularity[pid] = popularity.get(pid, 0.0) + popularity_at(entry, now_ms, half_life)
        self.index.rank(popularity)
        self._ranked_at_ms = now_ms
        self._ranked_co_size = co_size

    def apply(self, event: Behavior, source: Provenance, now_ms: int) -> Outcome | None:
        """Fold one decoded event into state (the eval and the benchmark call this directly)."""
        state, metrics = self.state, self.metrics
        user_id = event.user_id
        if erased_key(user_id) in state.erased:
            metrics.erased_user_events += 1
            return None
        if event.type == "erase_user":
            self._erase(user_id, event.ts_ms)
            return None
        profile = state.profiles.get(user_id)
        if profile is None:
            profile = new_profile(event.ts_ms)
        entry = state.catalog.get(event.product_id) if event.product_id else None
        view = self.index.view_of(entry) if entry is not None else None
        search = self.index.match_query(event.query) if event.query else None
        outcome = apply_event(profile, event, view, now_ms, self.cfg, search)
        self._count(outcome)
        if outcome.status != "applied":
            return outcome
        state.profiles[user_id] = profile  # the changelog write
        self._update_co(event, outcome, source.partition)
        trigger = trigger_for(event, outcome, self.cfg, source)
        if trigger is not None:
            metrics.triggers += 1
            if not self.debouncer.offer(user_id, trigger, now_ms):
                metrics.coalesced += 1
        return outcome

    def compose(self, user_id: str, trigger: Trigger, now_ms: int) -> list[ContentRequest]:
        """The requests a trigger yields for a user now; [] when erased, unknown or no items."""
        state, cfg = self.state, self.cfg
        profile = state.profiles.get(user_id)
        if profile is None or erased_key(user_id) in state.erased:
            return []
        locale = trigger.locale or profile["loc"] or None
        recs = recommend(profile, self.signals, cfg.items_per_request, locale=locale)
        items = [e for r in recs if (e := state.catalog.get(r.product_id)) is not None]
        persona = persona_of(profile, cfg)
        return build_requests(
            user_id, profile, trigger, items, persona, now_ms, with_ad=cfg.emit_ads
        )

    # -- internals --------------------------------------------------------------------------

    def _count(self, outcome: Outcome) -> None:
        m = self.metrics
        if outcome.status == "duplicate":
            m.duplicates += 1
            return
        if outcome.status == "ignored":
            m.ignored += 1
            return
        m.applied += 1
        m.out_of_order += outcome.out_of_order
        m.unknown_product += outcome.unknown_product
        m.future_clamped += outcome.future_clamped
        m.heavy_user_events += outcome.heavy_user

    def _update_co(self, event: Behavior, outcome: Outcome, partition: int) -> None:
        pid = event.product_id
        weight = POPULARITY_WEIGHTS.get(event.type)
        if pid is None or weight is None:
            return
        co, cap, ts = self.state.co, self.cfg.max_neighbors, outcome.ts_ms
        key = co_key(partition, pid)
        entry = get_or_new(co, key, ts)
        add_popularity(entry, weight, ts, self.cfg.popularity_half_life_s * 1000.0)
        for kind, others in (("v", outcome.co_view_with), ("b", outcome.co_buy_with)):
            if not others:
                continue
            add_pairs(entry, kind, others, cap)
            for other in others:  # symmetric: the other item learns about this one too
                other_key = co_key(partition, other)
                other_entry = get_or_new(co, other_key, ts)
                add_pairs(other_entry, kind, (pid,), cap)
                co[other_key] = other_entry
        co[key] = entry

    def _erase(self, user_id: str, ts_ms: int) -> None:
        state = self.state
        if user_id in state.profiles:
            del state.profiles[user_id]  # a tombstone on the changelog
        state.erased[erased_key(user_id)] = ts_ms
        self.debouncer.cancel(user_id)
        self.metrics.erasures += 1
        log.info("profiles_user_erased")  # no id in logs either

    def _compose(self, user_id: str, pending: Pending, now_ms: int) -> list[Produce]:
        requests = self.compose(user_id, pending.trigger, now_ms)
        if not requests:
            self.metrics.requests_skipped += 1
            return []
        topic = self.topics.content_requests
        out = []
        for request in requests:
            key, value = encode_request(request, self.codecs.request, topic)
            out.append(Produce(topic, key, value))
        self.metrics.requests_emitted += len(out)
        persona = requests[0].persona
        log.info(
            "profiles_request_composed",
            request_id=requests[0].request_id,
            reason=pending.trigger.reason,
            coalesced=pending.coalesced,
            items=len(requests[0].items),
            segment=persona.segment if persona else None,
        )
        return out

    def _dead_letter(self, env: Envelope, stage: str, reason: str) -> Produce:
        self.metrics.dead_lettered += 1
        log.warning(
            "profiles_dead_letter",
            topic=env.topic,
            partition=env.partition,
            offset=env.offset,
            stage=stage,
            reason=reason,
        )
        headers = tuple(dead_letter_headers(env, stage, reason))
        return Produce(self.topics.dead_letter, env.key, env.value, headers)

    def _unexpected(self, env: Envelope, exc: Exception) -> Produce:
        self.metrics.unexpected_errors += 1
        log.exception(
            "profiles_unexpected_error",
            topic=env.topic,
            partition=env.partition,
            offset=env.offset,
        )
        return self._dead_letter(env, "profiles", f"unexpected {type(exc).__name__}: {exc}")
