"""handle(): one micro-batch through decode, the real model, guards and encode; no broker."""

from __future__ import annotations

import pytest

from tests.unit.factories import envelope, product_record, request
from workers.engine import RuntimeOptions
from workers.generator.factory import OnnxTextGenerator
from workers.generator.pipeline import DeadLetter, Output, Pipeline, handle
from workers.generator.requests import request_to_avro
from workers.guards import check_all, passed
from workers.serde import PlainAvroCodec
from workers.settings import DEFAULT_MODEL_DIR, TopicSettings


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    """The committed default model on the CPU, one thread (the machine is shared)."""
    generator = OnnxTextGenerator.from_folder(
        DEFAULT_MODEL_DIR, RuntimeOptions(allow_cuda=False, intra_op_num_threads=1), 16
    )
    return Pipeline(
        topics=TopicSettings(),
        product_codec=PlainAvroCodec("ProductCreated"),
        request_codec=PlainAvroCodec("ContentRequest"),
        content_codec=PlainAvroCodec("GeneratedContent"),
        generator=generator,
    )


def _product_env(offset: int, **overrides: object) -> object:
    value = PlainAvroCodec("ProductCreated").encode(product_record(**overrides))
    return envelope(value, offset=offset)


def test_product_yields_two_guarded_outputs(pipeline: Pipeline) -> None:
    """A product gives a description and an ad whose texts pass every guard."""
    outcomes = handle([_product_env(3)], pipeline)
    assert [type(o) for o in outcomes] == [Output, Output]
    codec = PlainAvroCodec("GeneratedContent")
    records = [codec.decode(o.value) for o in outcomes if isinstance(o, Output)]
    assert {r["kind"] for r in records} == {"description", "ad"}
    for rec in records:
        assert rec["source_offset"] == 3 and rec["source_event_id"] == "evt-1"
        assert rec["text"] and rec["model_sha256"] == pipeline.generator.model_sha256
        assert all(g["passed"] for g in rec["guards"] if not g["name"].startswith("draft."))
        assert "{" not in rec["text"]  # every slot was filled in


def test_bad_records_are_dead_lettered_and_good_ones_flow(pipeline: Pipeline) -> None:
    """Garbage and out-of-range records become dead letters; the good one still yields outputs."""
    batch = [
        envelope(b"\x00garbage", offset=1),
        _product_env(2),
        _product_env(3, price=product_record()["price"] * -1),
    ]
    outcomes = handle(batch, pipeline)
    dead = [o for o in outcomes if isinstance(o, DeadLetter)]
    outputs = [o for o in outcomes if isinstance(o, Output)]
    assert [(d.source.offset, d.stage) for d in dead] == [(1, "decode"), (3, "validate")]
    assert {o.source.offset for o in outputs} == {2}
    assert len(outputs) == 2


def test_same_event_same_content(pipeline: Pipeline) -> None:
    """Handling the same event twice gives identical text, seed and content id (replays)."""
    codec = PlainAvroCodec("GeneratedContent")
    first = [
        codec.decode(o.value) for o in handle([_product_env(5)], pipeline) if isinstance(o, Output)
    ]
    second = [
        codec.decode(o.value) for o in handle([_product_env(5)], pipeline) if isinstance(o, Output)
    ]
    for a, b in zip(first, second, strict=True):
        assert (a["content_id"], a["text"], a["seed"]) == (b["content_id"], b["text"], b["seed"])


def test_recommendation_request_is_keyed_by_user(pipeline: Pipeline) -> None:
    """A ContentRequest for a recommendation is published keyed by user id, text without the id."""
    req = request(kind="recommendation", channel="feed_card", user_id="user-123")
    env = envelope(
        PlainAvroCodec("ContentRequest").encode(request_to_avro(req)), topic="content-requests"
    )
    [out] = handle([env], pipeline)
    assert isinstance(out, Output)
    assert out.key == b"user-123"
    rec = PlainAvroCodec("GeneratedContent").decode(out.value)
    assert "user-123" not in rec["text"]
    assert passed(check_all(rec["text"], req))


def test_first_draft_is_greedy_and_other_seeds_sample(pipeline: Pipeline) -> None:
    """A first draft does not depend on its seed (greedy); a sampled job does."""
    from workers.generator.writer import PromptJob
    from workers.prompt import build_prompt
    from workers.slots import allowed_slots

    req = request()
    generator = pipeline.generator

    def job(seed: int, first: bool) -> PromptJob:
        return PromptJob(build_prompt(req), seed, 60, req.locale, allowed_slots(req), first)

    greedy = generator.generate([job(1, True), job(2, True)])
    sampled = generator.generate([job(s, False) for s in range(1, 7)])
    assert greedy[0] == greedy[1]
    assert len(set(sampled)) > 1
