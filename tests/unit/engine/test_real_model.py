"""The trained copyflow-tiny-v1 model, when its folder exists: batching must not change rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.engine.conftest import TEST_OPTIONS
from tests.unit.engine.tiny_model import sample_prompts
from workers.engine import GenerationRequest, OnnxGenerator, SamplingParams

REAL_MODEL = Path(__file__).resolve().parents[3] / "models" / "copyflow-tiny-v1"
BANNED = ("最佳", "第一", "唯一", "顶级", "best", "guaranteed", "#1")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (REAL_MODEL / "manifest.json").is_file(),
        reason=f"{REAL_MODEL} is not there yet (the model is exported by the training task)",
    ),
]


@pytest.fixture(scope="module")
def real_generator() -> OnnxGenerator:
    """The real model on CPU, sha256-verified."""
    return OnnxGenerator.from_folder(REAL_MODEL, TEST_OPTIONS)


@pytest.mark.parametrize(
    "sampling",
    [SamplingParams(), SamplingParams(do_sample=True, temperature=0.8, top_p=0.9)],
    ids=["greedy", "sampled"],
)
def test_real_model_batch_equals_single(
    real_generator: OnnxGenerator, sampling: SamplingParams
) -> None:
    """Rows of real prompts decode the same alone and in a mixed-length batch."""
    requests = [
        GenerationRequest(
            p, seed=11 + i, max_new_tokens=16 + 4 * i, sampling=sampling, banned_terms=BANNED
        )
        for i, p in enumerate(sample_prompts())
    ]
    together = real_generator.generate(requests)
    for request, joint in zip(requests, together, strict=True):
        alone = real_generator.generate([request])[0]
        assert (joint.token_ids, joint.finish_reason) == (alone.token_ids, alone.finish_reason)
        assert joint.num_new_tokens <= request.max_new_tokens
        assert not any(term in joint.text.lower() for term in BANNED)
