"""OnnxGenerator end to end on tiny real ONNX models: batching, seeds, stops, limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.engine.conftest import TEST_OPTIONS, ModelFactory
from tests.unit.engine.tiny_model import TinySpec, sample_prompts
from workers.engine import (
    GenerationRequest,
    GenerationResult,
    GeneratorConfig,
    InvalidRequestError,
    OnnxGenerator,
    SamplingParams,
)

SAMPLED = SamplingParams(
    do_sample=True, temperature=0.9, top_k=50, top_p=0.95, repetition_penalty=1.2
)
MODES = [SamplingParams(), SAMPLED]


def requests_for(
    sampling: SamplingParams, lengths: tuple[int, ...] = (9, 17, 5, 12, 3)
) -> list[GenerationRequest]:
    prompts = sample_prompts()
    return [
        GenerationRequest(
            prompt, seed=100 + i, max_new_tokens=lengths[i % len(lengths)], sampling=sampling
        )
        for i, prompt in enumerate(prompts)
    ]


def key(result: GenerationResult) -> tuple[object, ...]:
    return (result.token_ids, result.text, result.finish_reason, result.num_new_tokens)


@pytest.mark.parametrize("runner", ["tiny_generator", "bound_generator"])
@pytest.mark.parametrize("sampling", MODES, ids=["greedy", "sampled"])
def test_row_output_does_not_depend_on_batch(
    runner: str, sampling: SamplingParams, request: pytest.FixtureRequest
) -> None:
    """Each row decodes the same alone, in a batch of mixed lengths, and in reversed order."""
    generator: OnnxGenerator = request.getfixturevalue(runner)
    batch = requests_for(sampling)
    together = generator.generate(batch)
    reversed_together = generator.generate(batch[::-1])[::-1]
    for req, joint, joint_rev in zip(batch, together, reversed_together, strict=True):
        alone = generator.generate([req])[0]
        assert key(joint) == key(alone)
        assert key(joint_rev) == key(alone)
        assert joint.timing.batch_size == len(batch)


def test_host_and_bound_runners_agree(
    tiny_generator: OnnxGenerator, bound_generator: OnnxGenerator
) -> None:
    """session.run and IO binding (which compacts lazily) write the same texts."""
    batch = requests_for(SAMPLED)
    assert [key(r) for r in tiny_generator.generate(batch)] == [
        key(r) for r in bound_generator.generate(batch)
    ]


def test_same_seed_same_text_and_other_seeds_differ(tiny_generator: OnnxGenerator) -> None:
    """Sampling is reproducible per seed and actually varies across seeds."""
    prompt = sample_prompts()[1]
    base = GenerationRequest(prompt, seed=7, max_new_tokens=16, sampling=SAMPLED)
    first = tiny_generator.generate([base])[0]
    again = tiny_generator.generate([base])[0]
    assert key(first) == key(again)
    others = {
        tiny_generator.generate([replace(base, seed=seed)])[0].token_ids for seed in range(8, 14)
    }
    assert len(others | {first.token_ids}) > 1


def test_greedy_ignores_seed(tiny_generator: OnnxGenerator) -> None:
    """Without do_sample the seed has no effect."""
    prompt = sample_prompts()[0]
    outputs = {
        tiny_generator.generate([GenerationRequest(prompt, seed=s, max_new_tokens=8)])[0].token_ids
        for s in (1, 2, 3)
    }
    assert len(outputs) == 1


def test_max_new_tokens_is_respected_per_row(tiny_generator: OnnxGenerator) -> None:
    """Rows stop at their own max_new_tokens with finish_reason 'length'."""
    batch = requests_for(SAMPLED, lengths=(1, 4, 9, 2, 6))
    for req, result in zip(batch, tiny_generator.generate(batch), strict=True):
        if result.finish_reason == "length":
            assert len(result.token_ids) == req.max_new_tokens == result.num_new_tokens
        else:
            assert result.num_new_tokens <= req.max_new_tokens
        assert result.prompt_tokens == len(tiny_generator.tokenizer.encode(req.prompt))


def test_stop_token_ends_row_and_drops_it(tiny_folder: Path) -> None:
    """A stop id ends the row with finish_reason 'eos', its earlier tokens unchanged."""
    free = OnnxGenerator.from_folder(tiny_folder, TEST_OPTIONS)
    req = GenerationRequest(sample_prompts()[2], seed=3, max_new_tokens=20)
    reference = free.generate([req])[0].token_ids
    stop_at = 5
    stopper = OnnxGenerator.from_folder(
        tiny_folder, TEST_OPTIONS, GeneratorConfig(stop_token_ids=(reference[stop_at],))
    )
    others = requests_for(SamplingParams())
    result = stopper.generate([req, *others])[0]
    first_hit = reference.index(reference[stop_at])
    assert result.finish_reason == "eos"
    assert result.token_ids == reference[:first_hit]
    assert result.num_new_tokens == first_hit + 1


def test_eos_first_gives_empty_text(
    make_model_folder: ModelFactory, tiny_generator: OnnxGenerator
) -> None:
    """A model that wants EOS at once returns empty text, one new token, reason 'eos'."""
    folder = make_model_folder(logit_bias={tiny_generator.eos_id: 100.0})
    generator = OnnxGenerator.from_folder(folder, TEST_OPTIONS)
    for result in generator.generate(requests_for(SAMPLED)):
        assert (result.text, result.token_ids, result.num_new_tokens) == ("", (), 1)
        assert result.finish_reason == "eos"


def test_fp16_kv_model_generates_batch_invariant(make_model_folder: ModelFactory) -> None:
    """fp16 pasts/presents/logits are detected from the graph and decoded correctly."""
    generator = OnnxGenerator.from_folder(make_model_folder(TinySpec(fp16=True)), TEST_OPTIONS)
    assert generator.model.signature.kv_dtype.__name__ == "float16"
    batch = requests_for(SamplingParams())
    together = generator.generate(batch)
    for req, joint in zip(batch, together, strict=True):
        assert key(joint) == key(generator.generate([req])[0])


def test_invalid_requests_are_rejected(tiny_generator: OnnxGenerator) -> None:
    """Bad input raises InvalidRequestError naming the request, before any model run."""
    good = GenerationRequest("<|bos|><|copy|>", seed=1, max_new_tokens=3)
    with pytest.raises(InvalidRequestError, match="request 1"):
        tiny_generator.generate([good, replace(good, max_new_tokens=0)])
    with pytest.raises(InvalidRequestError, match="no tokens"):
        tiny_generator.check(replace(good, prompt=""))
    with pytest.raises(InvalidRequestError):
        SamplingParams(temperature=0.0)
    assert tiny_generator.generate([]) == []


def test_context_limit(make_model_folder: ModelFactory) -> None:
    """Prompts at the context limit are rejected; rows near it stop at the limit."""
    generator = OnnxGenerator.from_folder(
        make_model_folder(TinySpec(max_positions=96)), TEST_OPTIONS
    )
    prompts = sample_prompts()
    too_long = GenerationRequest(prompts[0], seed=1, max_new_tokens=4)  # 107 tokens
    with pytest.raises(InvalidRequestError, match="context"):
        generator.check(too_long)
    near = GenerationRequest(prompts[1], seed=1, max_new_tokens=50)  # 90 tokens
    result = generator.generate([near])[0]
    assert result.finish_reason == "length"
    assert result.prompt_tokens + len(result.token_ids) == 96


def test_model_identity_is_exposed(tiny_generator: OnnxGenerator) -> None:
    """Name, version, sha256 and providers are there for the output record."""
    assert tiny_generator.model_name == "tiny-test"
    assert tiny_generator.model_version == "0.0.1-test"
    assert len(tiny_generator.model_sha256) == 64
    assert tiny_generator.providers == ("CPUExecutionProvider",)


def test_padded_graph_vocab_ids_are_never_emitted(make_model_folder: ModelFactory) -> None:
    """Ids past the tokenizer's vocab exist only in the logits; a strong bias can't pick them."""
    spec = TinySpec(graph_vocab=448)
    generator = OnnxGenerator.from_folder(
        make_model_folder(spec, logit_bias={440: 50.0}), TEST_OPTIONS
    )
    assert generator.vocab_size == 448 > generator.tokenizer.vocab_size
    batch = [replace(r, banned_terms=("best",)) for r in requests_for(SAMPLED)]
    for result in generator.generate(batch):
        assert all(t < generator.tokenizer.vocab_size for t in result.token_ids)
