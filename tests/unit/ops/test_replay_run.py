"""Replay execution pieces that need no broker: resume ranges, kind filtering and the summary."""

from __future__ import annotations

from collections.abc import Callable

from workers.envelope import Envelope
from workers.generator.pipeline import DeadLetter, Pipeline, handle
from workers.ops.bounds import PartitionRange
from workers.ops.replay_plan import ReplayPlan
from workers.ops.replay_run import ReplayRunner, ReplaySummary, remaining_ranges


def _plan(kinds: tuple[str, ...] = ("description",), dlq: str | None = None) -> ReplayPlan:
    return ReplayPlan(
        "abc",
        "src",
        "product-created",
        "side",
        dlq,
        kinds,  # type: ignore[arg-type]
        (PartitionRange(0, 10, 20), PartitionRange(1, 0, 5)),
        "m",
        "v",
        0,
    )


def test_remaining_ranges_start_at_the_checkpoint() -> None:
    """Committed offsets shorten each range; offsets outside it are clamped."""
    assert remaining_ranges(_plan(), {0: 15, 1: 99}) == [
        PartitionRange(0, 15, 20),
        PartitionRange(1, 5, 5),
    ]
    assert remaining_ranges(_plan(), {0: 3}) == [PartitionRange(0, 10, 20), PartitionRange(1, 0, 5)]


def test_only_chosen_kinds_are_written(
    canned_pipeline: Pipeline, product_envelopes: Callable[..., list[Envelope]]
) -> None:
    """--kinds description writes descriptions only, even from a pipeline that makes ads too."""
    runner = ReplayRunner(_plan(), {}, canned_pipeline)
    records = runner._records(handle(product_envelopes(3), canned_pipeline))
    assert len(records) == 3 and {r.topic for r in records} == {"side"}
    assert runner.summary.generated == 3


def test_kind_filter_skips_generation_of_other_kinds(
    canned_pipeline: Pipeline, product_envelopes: Callable[..., list[Envelope]]
) -> None:
    """A pipeline with kinds={description} never asks the generator for ads."""
    canned_pipeline.kinds = frozenset({"description"})
    outcomes = handle(product_envelopes(4), canned_pipeline)
    gen = canned_pipeline.generator
    assert len(outcomes) == 4 and gen.jobs == 4  # type: ignore[attr-defined]
    canned_pipeline.kinds = frozenset({"recommendation"})
    assert handle(product_envelopes(2), canned_pipeline) == []


def test_dead_letters_go_to_the_replay_dlq_when_given(
    canned_pipeline: Pipeline, product_envelopes: Callable[..., list[Envelope]]
) -> None:
    """With --dlq a dead letter is written there with its facts; without, only counted."""
    bad = product_envelopes(1)[0]
    outcome = DeadLetter(Envelope(bad.topic, 0, 1, None, b"junk", (), 0), "decode", "not Avro")
    counted = ReplayRunner(_plan(), {}, canned_pipeline)
    assert counted._records([outcome]) == [] and counted.summary.dead_lettered == 1
    written = ReplayRunner(_plan(dlq="side-dlq"), {}, canned_pipeline)
    [record] = written._records([outcome])
    assert record.topic == "side-dlq" and record.value == b"junk"
    assert ("copyflow.dlq.stage", b"decode") in record.headers


def test_summary_text_has_every_counter() -> None:
    """The final summary names read, generated, dead-lettered, skipped, time and rate."""
    s = ReplaySummary(
        "abc", 10, read=8, generated=16, dead_lettered=1, skipped=2, elapsed_s=4.0, complete=True
    )
    text = s.text()
    for part in (
        "complete",
        "read=8",
        "generated=16",
        "dead_lettered=1",
        "skipped=2",
        "time=4.0s",
        "rate=2.0/s",
    ):
        assert part in text
    assert "resume" in ReplaySummary("abc", 10).text()
