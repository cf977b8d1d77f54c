"""Named training recipes: the sizes the manifests and the README quote."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.export
torch = pytest.importorskip("torch", reason="the export tests need torch (pip install .[export])")
transformers = pytest.importorskip("transformers", reason="the export tests need transformers")

from export.train import RECIPES, llama_config  # noqa: E402  (after the torch skip)

MAX_ONNX_BYTES = 30 * 1024 * 1024


def _params(name: str) -> int:
    recipe = RECIPES[name]
    config = llama_config(recipe, recipe.vocab_size, {"pad": 0, "bos": 1, "eos": 2})
    with torch.device("meta"):  # shapes only: nothing is allocated
        model = transformers.LlamaForCausalLM(config)
    return sum(p.numel() for p in model.parameters())


def test_tiny_is_the_committed_model_size() -> None:
    assert _params("tiny") == 3_159_744


def test_small_is_about_ten_million_and_fits_only_as_float16() -> None:
    params = _params("small")
    assert 9_500_000 < params < 30_000_000
    assert params * 4 > MAX_ONNX_BYTES  # float32 would not fit the budget
    assert params * 2 < MAX_ONNX_BYTES * 0.75  # float16 does, with room for the graph
