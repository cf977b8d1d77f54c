"""The profiles stage, Kafka-free: envelopes in, records to produce out, state in mappings.

``app.py`` backs the mappings with faust tables (changelogged) and sends what comes out;
unit tests and the benchmark back them with plain dicts. Every table write is a plain
``mapping[key] = value`` after the value was changed, because that assignment is what a
faust table turns into a changelog record. Profiles and co-occurrence entries are changed in
place as events arrive and written once at the end of each call (``on_behavior_batch``): on
a faust table each write is a changelog record carrying the whole value, so a user with five
events in a batch costs one record, not five, and a popular product's entry one per batch.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any, cast

import structlog

from workers.domain import ContentRequest, Provenance
from workers.envelope import Envelope
from workers.errors import BadInput
from workers.kafka.dlq import dead_letter_headers
from workers.profiles import hot
from workers.profiles.catalog import CatalogIndex
from workers.profiles.compose import build_requests, encode_request
from workers.profiles.config import ProfilesConfig
from workers.profiles.cooc import (
    POPULARITY_WEIGHTS,
    add_pairs,
    add_popularity,
    evict_weakest,
    popularity_at,
)
from workers.profiles.decode import decode_behavior, decode_product
from workers.profiles.logic import DUPLICATE, Outcome, apply_event, mark_source, replayed
from workers.profiles.metrics import Metrics
from workers.profiles.persona import persona_of
from workers.profiles.recommend import TableSignals, recommend
from workers.profiles.records import (
    Behavior,
    CatalogEntry,
    CoEntry,
    Profile,
    new_co_entry,
    new_profile,
)
from workers.profiles.triggers import Debouncer, Pending, Trigger, trigger_for, trigger_strength
from workers.serde import Codec
from workers.settings import TopicSettings

log = structlog.get_logger("copyflow.profiles")


def erased_key(user_id: str) -> str:
    """How an erased user is remembered: a digest, so the erasure record itself does not
    keep the id in the clear (the set must outlive the profile to stop later content)."""
    return blake2b(user_id.encode(), digest_size=16).hexdigest()


def _write_all(mapping: MutableMapping[str, Any], values: dict[str, Any]) -> None:
    """``mapping[key] = value`` for each item of ``values``, in order."""
    if type(mapping) is dict:
        mapping.update(values)
        return
    write_all: Callable[[dict[str, Any]], None] | None = getattr(mapping, "write_all", None)
    if write_all is not None:
        write_all(values)
        return
    for key, value in values.items():
        mapping[key] = value


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
        compiled: bool | None = None,
    ) -> None:
        """``compiled``: run the per-event work in the compiled module (hot.py); None: when
        it is built and not switched off, False: the Python code here, True: it must."""
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
        # Values changed since the last write-back, and whether a batch defers it.
        self._dirty_profiles: dict[str, Profile] = {}
        self._dirty_co: dict[str, CoEntry] = {}
        self._in_batch = False
        self._hot: Any = None
        if compiled is None:
            compiled = hot.enabled()
        if compiled:
            if hot.module is None:
                raise RuntimeError(f"the compiled path is not built: {hot.implementation()}")
            try:
                self._hot = hot.module.HotEngine(self)
            except ValueError as exc:  # a config the C code cannot hold: the Python code
                log.warning("profiles_compiled_path_off", reason=str(exc))

    @property
    def implementation(self) -> str:
        """Which code runs this engine's per-event work: 'compiled' or 'python'."""
        return "compiled" if self._hot is not None else "python"

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

    def on_catalog_change(self, product_id: object, value: object) -> None:
        """Index a catalog change the table saw without ``on_product``: another worker's
        write arriving through the GlobalTable's changelog, or recovery. ``value`` None is
        a deleted key. A value that is not a catalog entry is counted, never raised."""
        if not isinstance(product_id, str):
            self.metrics.unexpected_errors += 1
            return
        if value is None:
            self.index.remove(product_id)
            return
        if not isinstance(value, dict) or value.get("product_id") != product_id:
            self.metrics.unexpected_errors += 1
            log.warning("profiles_catalog_change_ignored", reason="not a catalog entry")
            return
        try:
            self.index.add(cast(CatalogEntry, value))
        except (KeyError, TypeError, AttributeError):
            self.index.remove(product_id)
            self.metrics.unexpected_errors += 1
            log.warning("profiles_catalog_change_ignored", reason="malformed catalog entry")

    def resync_catalog(self) -> None:
        """Rebuild the catalog index from the table (after recovery)."""
        self.index.rebuild(self.state.catalog.values())
        self._ranked_at_ms = -1  # re-rank on the next flush

    def on_behavior(self, env: Envelope, now_ms: int) -> list[Produce]:
        """Fold one behavior event into state; may open or extend a trigger window."""
        return self.on_behavior_batch((env,), now_ms)

    def on_behavior_batch(
        self,
        envs: Sequence[Any],
        now_ms: int,
        envelope_of: Callable[[Any], Envelope] | None = None,
    ) -> list[Produce]:
        """Fold behavior events into state in order, then write each changed profile and
        co-occurrence entry to its table once. Returns the dead letters.

        ``envs`` are Envelopes, or with ``envelope_of`` the consumer records it copies
        into Envelopes: the compiled loop then reads the records as they are and makes
        an Envelope only for a dead letter (the batch edge's records, see app.py).

        On faust tables a write goes to the changelog partition of the current event, so
        the worker passes the events of one partition per call (see app.py).
        """
        # The compiled loop calls its own apply; one set on the instance (a test's stand-in)
        # is honoured by the loop here.
        if self._hot is not None and "apply" not in self.__dict__:
            produced: list[Produce] = self._hot.on_behavior_batch(envs, now_ms, envelope_of)
            return produced
        if envelope_of is not None:
            envs = [envelope_of(record) for record in envs]
        out: list[Produce] = []
        metrics, codec, apply = self.metrics, self.codecs.behavior, self.apply
        self._in_batch = True
        try:
            for env in envs:
                metrics.behavior_events += 1
                try:
                    event = decode_behavior(env.value, codec, env.topic)
                except BadInput as exc:
                    out.append(self._dead_letter(env, exc.stage, exc.reason))
                    continue
                try:
                    apply(event, env, now_ms)  # the provenance is built only for a trigger
                except Exception as exc:  # noqa: BLE001 - see on_product
                    out.append(self._unexpected(env, exc))
        finally:
            self._in_batch = False
            self.write_back()
        return out

    def write_back(self) -> None:
        """Write every profile and co-occurrence entry changed since the last call, in the
        order each was first changed: ``mapping[key] = value`` per key (on a faust table,
        the changelog write), done by the mapping in one call where it has a way to
        (a dict's ``update``; app.TableView's ``write_all``)."""
        if self._dirty_profiles:
            _write_all(self.state.profiles, self._dirty_profiles)
            self._dirty_profiles.clear()
        if self._dirty_co:
            _write_all(self.state.co, self._dirty_co)
            self._dirty_co.clear()

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

    def apply(self, event: Behavior, source: Provenance | Envelope, now_ms: int) -> Outcome | None:
        """Fold one decoded event into state (the eval and the benchmark call this directly).

        ``source`` is the event's provenance, or its envelope: then the provenance is built
        only when the event raises a trigger not absorbed by a stronger pending one.
        Outside ``on_behavior_batch`` the changed values are written before it returns.
        """
        if self._hot is not None and type(event) is Behavior:
            result: Outcome | None = self._hot.apply(event, source, now_ms)
            return result
        state, metrics = self.state, self.metrics
        user_id = event.user_id
        dirty = self._dirty_profiles
        profile = dirty.get(user_id)
        if profile is None:
            profile = state.profiles.get(user_id)
        # A user with a profile is not erased (erasure deletes it, and an erased user's
        # events never make a new one), so only users without one pay for the digest.
        if profile is None and erased_key(user_id) in state.erased:
            metrics.erased_user_events += 1
            return None
        if event.type == "erase_user":
            self._erase(user_id, event.ts_ms)
            return None
        if profile is None:
            # Anchored at the time apply_event gives the event: a clock far ahead is clamped
            # to now there, and an anchor left in the future overflows every later decay.
            ts = event.ts_ms
            profile = new_profile(
                now_ms if ts > now_ms + self.cfg.limits.max_future_skew_ms else ts
            )
        partition, offset = source.partition, source.offset
        if replayed(profile, partition, offset):
            metrics.replayed += 1
            return DUPLICATE
        product_id = event.product_id
        entry = state.catalog.get(product_id) if product_id else None
        view = self.index.view_of(entry) if entry is not None else None
        search = self.index.match_query(event.query) if event.query else None
        cfg = self.cfg
        outcome = apply_event(profile, event, view, now_ms, cfg, search)
        status = outcome.status
        if status != "applied":
            if status == "duplicate":
                metrics.duplicates += 1
            else:
                metrics.ignored += 1
            return outcome
        metrics.applied += 1
        mark_source(profile, partition, offset)
        if outcome.out_of_order:
            metrics.out_of_order += 1
        if outcome.unknown_product:
            metrics.unknown_product += 1
        if outcome.future_clamped:
            metrics.future_clamped += 1
        if outcome.heavy_user:
            metrics.heavy_user_events += 1
        dirty[user_id] = profile
        if product_id is not None:
            self._update_co(event, outcome, source.partition)
        strength = trigger_strength(event, outcome, cfg)
        if strength:
            metrics.triggers += 1
            debouncer = self.debouncer
            if debouncer.absorbs(user_id, strength):
                metrics.coalesced += 1
            else:
                if type(source) is not Provenance:
                    source = Provenance(
                        source.topic, source.partition, source.offset, event.event_id
                    )
                trigger = trigger_for(event, outcome, cfg, source)
                if trigger is not None and not debouncer.offer(user_id, trigger, now_ms):
                    metrics.coalesced += 1
        if not self._in_batch:
            self.write_back()
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

    def _update_co(self, event: Behavior, outcome: Outcome, partition: int) -> None:
        pid = event.product_id
        weight = POPULARITY_WEIGHTS.get(event.type)
        if pid is None or weight is None:
            return
        cap, ts = self.cfg.max_neighbors, outcome.ts_ms
        dirty, stored = self._dirty_co, self.state.co
        # Each entry: changed in this batch, stored, or new; then marked changed. Keys as
        # cooc.co_key makes them, inlined like the rest (several entries per event).
        key = f"{partition}:{pid}"
        entry = dirty.get(key)
        if entry is None:
            entry = stored.get(key)
            if entry is None:
                entry = new_co_entry(ts)
            dirty[key] = entry
        add_popularity(entry, weight, ts, self.cfg.popularity_half_life_s * 1000.0)
        for kind, others in (("v", outcome.co_view_with), ("b", outcome.co_buy_with)):
            if not others:
                continue
            add_pairs(entry, kind, others, cap)
            for other in others:  # symmetric: the other item learns about this one too
                key = f"{partition}:{other}"
                other_entry = dirty.get(key)
                if other_entry is None:
                    other_entry = stored.get(key)
                    if other_entry is None:
                        other_entry = new_co_entry(ts)
                    dirty[key] = other_entry
                counts = other_entry["v"] if kind == "v" else other_entry["b"]
                counts[pid] = counts.get(pid, 0) + 1  # add_pairs(other_entry, kind, (pid,))
                if len(counts) > cap:
                    evict_weakest(counts, cap)

    def _erase(self, user_id: str, ts_ms: int) -> None:
        state = self.state
        # The erasure record first: should the process die between the two writes, the
        # erase event is redelivered (its offset was not committed) and deletes the profile.
        state.erased[erased_key(user_id)] = ts_ms
        self._dirty_profiles.pop(user_id, None)
        if user_id in state.profiles:
            del state.profiles[user_id]  # a tombstone on the changelog
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
        # Per request, so debug: at thousands a second an info line each would cost more
        # than composing (the stats line every stats_log_interval_s carries the counts).
        log.debug(
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
