"""Pipelines for the ops tools: the generator choice, output routing and deterministic records."""

from __future__ import annotations

import time
from collections.abc import Callable

from workers.envelope import Envelope
from workers.generator.pipeline import DeadLetter, Output, handle
from workers.generator.writer import PromptJob
from workers.ops.fast_generators import (
    CannedTextGenerator,
    SlowTextGenerator,
    TemplateTextGenerator,
)
from workers.ops.pipelines import build_pipeline_with, make_generator
from workers.ops.settings import OpsSettings
from workers.serde import PlainAvroCodec
from workers.settings import Settings


def test_make_generator_selects_the_test_modes(settings: Settings) -> None:
    """generator=template and generator=canned never load a model."""
    assert isinstance(
        make_generator(settings, OpsSettings(generator="template")), TemplateTextGenerator
    )
    assert isinstance(
        make_generator(settings, OpsSettings(generator="canned")), CannedTextGenerator
    )
    slow = make_generator(settings, OpsSettings(generator="slow", slow_generate_s=0.2))
    assert isinstance(slow, SlowTextGenerator)
    started = time.monotonic()
    job = PromptJob("p", 1, 8, "en")
    assert slow.generate([job, job]) == ["New in store now."] * 2
    assert time.monotonic() - started >= 0.2  # one delay per call, not per job


def test_deterministic_pipeline_gives_identical_records(
    settings: Settings, product_envelopes: Callable[..., list[Envelope]]
) -> None:
    """With deterministic=True, handling the same input twice yields byte-identical records."""
    batch = product_envelopes(3)
    p = build_pipeline_with(settings, CannedTextGenerator(), deterministic=True)
    first = [o for o in handle(batch, p) if isinstance(o, Output)]
    second = [o for o in handle(batch[::-1], p) if isinstance(o, Output)]
    assert sorted((o.key, o.value, o.headers) for o in first) == sorted(
        (o.key, o.value, o.headers) for o in second
    )
    rec = PlainAvroCodec("GeneratedContent").decode(first[0].value)
    assert rec["latency_ms"] == 0.0
    assert int(rec["created_at"].timestamp() * 1000) == batch[0].timestamp_ms


def test_live_pipeline_stamps_the_current_time(
    settings: Settings, product_envelopes: Callable[..., list[Envelope]]
) -> None:
    """The default (live) pipeline keeps created_at as the time of writing."""
    p = build_pipeline_with(settings, CannedTextGenerator())
    out = next(o for o in handle(product_envelopes(1), p) if isinstance(o, Output))
    rec = PlainAvroCodec("GeneratedContent").decode(out.value)
    assert int(rec["created_at"].timestamp() * 1000) > 1_700_000_000_000 + 10**9


def test_topics_override_routes_every_kind(
    settings: Settings, product_envelopes: Callable[..., list[Envelope]]
) -> None:
    """A replay pipeline sends descriptions and ads to the topics it was given."""
    topics = settings.topics.model_copy(update={"descriptions": "side", "ads": "side"})
    p = build_pipeline_with(settings, CannedTextGenerator(), topics=topics)
    outs = handle(product_envelopes(2), p)
    assert {o.topic for o in outs if isinstance(o, Output)} == {"side"}
    assert not [o for o in outs if isinstance(o, DeadLetter)]
