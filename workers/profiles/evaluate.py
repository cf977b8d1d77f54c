"""Offline eval on a simulated population: ranking quality and personalization.

Ranking: leave-last-purchase-out. Every user's history up to (not including) their last
purchase builds the profiles and the item statistics through the worker's own engine; the
held-out purchase is the target. Two settings:
- ``seen``: the prefix keeps the views and cart of the target (the normal case: people buy
  what they looked at);
- ``unseen``: every event about the target is removed, so only co-occurrence, content
  similarity and popularity can find it.
The baseline is the popularity ranking of the same engine, minus already-bought items.

Personalization: requests for pairs of users with different latent archetypes must differ
in what they lead with: the persona segment and the chosen items.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from workers.domain import ContentRequest, Provenance, Segment
from workers.profiles.config import ProfilesConfig
from workers.profiles.engine import Codecs, ProfileEngine, State
from workers.profiles.persona import persona_of
from workers.profiles.recommend import Weights, recommend
from workers.profiles.records import Behavior
from workers.profiles.simulate import World, make_world
from workers.profiles.text_leads import TextLeads
from workers.profiles.triggers import Trigger
from workers.prompt import build_prompt
from workers.serde import PlainAvroCodec
from workers.settings import TopicSettings

K = 10


@dataclass(frozen=True, slots=True)
class Ranking:
    hit_rate: float
    ndcg: float
    mean_categories: float


@dataclass(frozen=True, slots=True)
class RankingResult:
    setting: str
    users: int
    ours: Ranking
    baseline: Ranking

    @property
    def lift(self) -> float:
        return self.ours.hit_rate / self.baseline.hit_rate if self.baseline.hit_rate else math.inf


@dataclass(frozen=True, slots=True)
class Personalization:
    pairs: int
    segment_differs: float
    items_differ: float
    segment_and_items_differ: float
    lead_differs: float
    prompt_differs: float
    prompts_with_user_id: int
    # The compared pairs themselves, for the text-level check (``text_leads``).
    request_pairs: tuple[tuple[ContentRequest, ContentRequest], ...] = field(
        default=(), repr=False, compare=False
    )
    # The same pairs' personalized ads for their lead items (``emit_ads``), when composed.
    ad_pairs: tuple[tuple[ContentRequest, ContentRequest], ...] = field(
        default=(), repr=False, compare=False
    )


@dataclass(slots=True)
class EvalReport:
    seed: int
    users: int
    products: int
    events: int
    rankings: list[RankingResult]
    segment_accuracy: float
    confusion: dict[str, dict[str, int]]
    personalization: Personalization
    notes: list[str] = field(default_factory=list)
    # Filled by ``copyflow profiles eval --texts N``: the generator's texts for N pairs.
    text_leads: TextLeads | None = None
    ad_text_leads: TextLeads | None = None


def _split(history: Sequence[Behavior]) -> tuple[list[Behavior], str] | None:
    """The prefix before the last purchase and that purchase's product, if usable."""
    last = max((i for i, e in enumerate(history) if e.type == "purchase"), default=-1)
    if last < 3:
        return None
    target = history[last].product_id
    prefix = list(history[:last])
    if target is None or any(e.type == "purchase" and e.product_id == target for e in prefix):
        return None  # bought before: excluded by rule, not a fair target
    return prefix, target


def train(world: World, prefixes: dict[str, list[Behavior]], cfg: ProfilesConfig) -> ProfileEngine:
    """Run every prefix through the worker's engine (dict-backed state, one partition)."""
    codec = PlainAvroCodec("ContentRequest")
    engine = ProfileEngine(cfg, State(), TopicSettings(), Codecs(codec, codec, codec), 1)
    for product in world.products:
        engine.state.catalog[product.entry["product_id"]] = product.entry
        engine.index.add(product.entry)
    for user_id, events in prefixes.items():
        for offset, event in enumerate(events):
            engine.apply(event, Provenance("sim", 0, offset, event.event_id), world.now_ms)
        engine.debouncer.cancel(user_id)  # triggers are not part of this eval
    engine.refresh(world.now_ms, force=True)
    return engine


def _ranking(ranked: dict[str, list[str]], targets: dict[str, str], world: World) -> Ranking:
    category = {p.entry["product_id"]: p.category for p in world.products}
    hits = 0
    gain = 0.0
    cats = 0
    for user_id, items in ranked.items():
        target = targets[user_id]
        if target in items:
            hits += 1
            gain += 1.0 / math.log2(items.index(target) + 2)
        cats += len({category[p] for p in items})
    n = max(1, len(ranked))
    return Ranking(hits / n, gain / n, cats / n)


def evaluate_ranking(
    world: World, setting: str, cfg: ProfilesConfig, weights: Weights | None = None
) -> tuple[RankingResult, ProfileEngine, dict[str, str]]:
    prefixes: dict[str, list[Behavior]] = {}
    targets: dict[str, str] = {}
    for user in world.users:
        split = _split(world.histories[user.user_id])
        if split is None:
            continue
        prefix, target = split
        if setting == "unseen":
            prefix = [e for e in prefix if e.product_id != target]
        prefixes[user.user_id] = prefix
        targets[user.user_id] = target
    engine = train(world, prefixes, cfg)
    ours: dict[str, list[str]] = {}
    base: dict[str, list[str]] = {}
    popular = engine.index.popular()
    for user_id in targets:
        profile = engine.state.profiles.get(user_id)
        recs = recommend(profile, engine.signals, K, weights=weights)
        ours[user_id] = [r.product_id for r in recs]
        bought = set(profile["bought"]) if profile else set()
        base[user_id] = [p for p in popular if p not in bought][:K]
    result = RankingResult(
        setting, len(targets), _ranking(ours, targets, world), _ranking(base, targets, world)
    )
    return result, engine, targets


def _lead(req: ContentRequest) -> tuple[str, str, str]:
    first = req.items[0]
    segment = req.persona.segment if req.persona else "general"
    return segment, first.category_path[-1] if first.category_path else "", first.brand


def evaluate_personalization(
    world: World, engine: ProfileEngine, users: Sequence[str], seed: int, pairs: int = 3000
) -> Personalization:
    """Compose one request per user as a view burst would, then compare random pairs."""
    archetype = {u.user_id: u.archetype for u in world.users}
    requests: dict[str, ContentRequest] = {}
    ads: dict[str, ContentRequest] = {}
    for n, user_id in enumerate(users):
        source = Provenance("sim", 0, n, f"{user_id}-trigger")
        trigger = Trigger("view_burst", 1, "viewed", "feed_card", None, source, "en")
        made = engine.compose(user_id, trigger, world.now_ms)
        if made:
            requests[user_id] = made[0]
            if len(made) > 1:
                ads[user_id] = made[1]
    ids = sorted(requests)
    prompts = {u: build_prompt(r) for u, r in requests.items()}
    leaks = sum(1 for u, text in prompts.items() if u in text)
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    done = 0
    compared: list[tuple[ContentRequest, ContentRequest]] = []
    for _ in range(pairs * 20):
        if done >= pairs:
            break
        a, b = rng.sample(ids, 2)
        if archetype[a] == archetype[b]:
            continue
        done += 1
        ra, rb = requests[a], requests[b]
        compared.append((ra, rb))
        seg = _lead(ra)[0] != _lead(rb)[0]
        items = [i.product_id for i in ra.items] != [i.product_id for i in rb.items]
        counts["segment"] += seg
        counts["items"] += items
        counts["both"] += seg and items
        counts["lead"] += _lead(ra) != _lead(rb)
        counts["prompt"] += prompts[a] != prompts[b]
    n = max(1, done)
    return Personalization(
        pairs=done,
        segment_differs=counts["segment"] / n,
        items_differ=counts["items"] / n,
        segment_and_items_differ=counts["both"] / n,
        lead_differs=counts["lead"] / n,
        prompt_differs=counts["prompt"] / n,
        prompts_with_user_id=leaks,
        request_pairs=tuple(compared),
        ad_pairs=tuple(
            (ads[a.user_id], ads[b.user_id])
            for a, b in compared
            if a.user_id in ads and b.user_id in ads
        ),
    )


def run_eval(seed: int = 7, users: int = 2000, weights: Weights | None = None) -> EvalReport:
    """Build the world, run both ranking settings and the personalization check."""
    # Ads too (``emit_ads``), for the text-level check; rankings do not depend on it.
    cfg = ProfilesConfig(emit_ads=True)
    world = make_world(seed=seed, users=users)
    seen, engine, targets = evaluate_ranking(world, "seen", cfg, weights)
    unseen, _, _ = evaluate_ranking(world, "unseen", cfg, weights)
    archetype = {u.user_id: u.archetype for u in world.users}
    confusion: dict[str, dict[str, int]] = {}
    correct = 0
    for user_id in targets:
        profile = engine.state.profiles[user_id]
        got: Segment = persona_of(profile, cfg).segment
        want = archetype[user_id]
        row = confusion.setdefault(want, {})
        row[got] = row.get(got, 0) + 1
        correct += got == want
    personalization = evaluate_personalization(world, engine, sorted(targets), seed)
    return EvalReport(
        seed=seed,
        users=len(world.users),
        products=len(world.products),
        events=sum(len(h) for h in world.histories.values()),
        rankings=[seen, unseen],
        segment_accuracy=correct / max(1, len(targets)),
        confusion=confusion,
        personalization=personalization,
    )


def render_markdown(report: EvalReport) -> str:
    """The report written under reports/."""
    lines = [
        "# Profiles offline eval",
        "",
        f"Simulated shop (seed {report.seed}): {report.users} users with latent preferences, "
        f"{report.products} products, {report.events} behavior events. "
        "Leave-last-purchase-out; every figure comes from the worker's own engine.",
        "",
        f"| setting | users | hit-rate@{K} | NDCG@{K} | popularity hit-rate@{K} "
        f"| popularity NDCG@{K} | lift (hit-rate) | categories in top {K} (ours / pop) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report.rankings:
        lines.append(
            f"| {r.setting} | {r.users} | {r.ours.hit_rate:.3f} | {r.ours.ndcg:.3f} "
            f"| {r.baseline.hit_rate:.3f} | {r.baseline.ndcg:.3f} | {r.lift:.1f}x "
            f"| {r.ours.mean_categories:.1f} / {r.baseline.mean_categories:.1f} |"
        )
    p = report.personalization
    lines += [
        "",
        "`seen`: the prefix keeps the views and cart of the target; `unseen`: every event about "
        "the target is removed, so only co-occurrence, content and popularity can find it.",
        "",
        f"## Personalization ({p.pairs} request pairs, users of different latent archetypes)",
        "",
        "| measure | share of pairs |",
        "|---|---|",
        f"| persona segment and chosen items both differ | {p.segment_and_items_differ:.1%} |",
        f"| lead differs (segment, lead item category, lead item brand) | {p.lead_differs:.1%} |",
        f"| persona segment differs | {p.segment_differs:.1%} |",
        f"| chosen items differ | {p.items_differ:.1%} |",
        f"| generator prompt (build_prompt) differs | {p.prompt_differs:.1%} |",
        "",
        f"Prompts containing the user id: {p.prompts_with_user_id}.",
        "",
        *_text_lead_lines("recommendations", report.text_leads),
        *_text_lead_lines("personalized ads", report.ad_text_leads),
        f"## Segment recovery (accuracy {report.segment_accuracy:.1%})",
        "",
        "| latent archetype | " + " | ".join(_SEGMENTS) + " |",
        "|---|" + "---|" * len(_SEGMENTS),
    ]
    for want in _SEGMENTS:
        row = report.confusion.get(want, {})
        lines.append(f"| {want} | " + " | ".join(str(row.get(g, 0)) for g in _SEGMENTS) + " |")
    lines += ["", *report.notes]
    return "\n".join(lines) + "\n"


def _text_lead_lines(what: str, leads: TextLeads | None) -> list[str]:
    if leads is None:
        return []
    return [
        f"## Written {what} ({leads.pairs} of those pairs, the default model, "
        "`copyflow profiles eval --texts`)",
        "",
        "| measure | share of pairs |",
        "|---|---|",
        f"| the texts lead with a different attribute (item and key) | {leads.lead_differs:.1%} |",
        f"| the texts lead with a different kind of attribute (key alone) "
        f"| {leads.lead_key_differs:.1%} |",
        f"| the first attribute other than a price is of a different kind "
        f"| {leads.detail_key_differs:.1%} |",
        "",
        f"Texts naming no attribute: {leads.without_lead}.",
        "",
    ]


_SEGMENTS: tuple[str, ...] = (
    "general",
    "price_sensitive",
    "tech_enthusiast",
    "quality_seeker",
    "trend_follower",
)
