"""Export a local causal LM checkpoint to one ONNX graph with past key/values.

The graph follows ``export.contract``: one graph for prefill (past length 0) and decode.
We use the TorchScript ("legacy") exporter: it traces our ``KVCacheWrapper`` once with
non-trivial shapes (batch 2, past 3, seq 4) so no dimension is specialised to 0 or 1.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch
from transformers import AutoModelForCausalLM, PreTrainedModel

from export import contract
from export.arch import Architecture, architecture
from export.onnx_dedup import dedupe_transposed_initializers
from export.wrapper import KVCacheWrapper

OPSET = 17
MAX_ONNX_BYTES = 30 * 1024 * 1024


def load_causal_lm(checkpoint_dir: str | Path) -> PreTrainedModel:
    """Load a local checkpoint in float32 with eager attention (never touches a hub)."""
    model = AutoModelForCausalLM.from_pretrained(
        str(checkpoint_dir),
        local_files_only=True,
        dtype=torch.float32,
        attn_implementation="eager",
    )
    model.eval()
    return model


def prepare_for_export(model: PreTrainedModel) -> PreTrainedModel:
    """Eager attention and eval mode: the additive 4D mask path is the one we export."""
    model.set_attn_implementation("eager")
    model.config.use_cache = True
    return model.eval()


def _example_inputs(arch: Architecture) -> tuple[torch.Tensor, ...]:
    batch, past, seq = 2, 3, 4
    gen = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, arch.vocab_size, (batch, seq), generator=gen)
    mask = torch.ones(batch, past + seq, dtype=torch.int64)
    mask[1, :2] = 0  # left padding in the trace example
    positions = (mask.cumsum(1) - 1).clamp(min=0)[:, past:]
    cache_shape = (batch, arch.kv_heads, past, arch.head_dim)
    flat = [torch.randn(cache_shape, generator=gen) for _ in range(2 * arch.layers)]
    return (input_ids, mask, positions, *flat)


def _dynamic_axes(layers: int) -> dict[str, dict[int, str]]:
    axes: dict[str, dict[int, str]] = {
        contract.INPUT_IDS: {0: "batch", 1: "seq"},
        contract.ATTENTION_MASK: {0: "batch", 1: "total_seq"},
        contract.POSITION_IDS: {0: "batch", 1: "seq"},
        contract.LOGITS: {0: "batch", 1: "seq"},
    }
    for i in range(layers):
        for name in contract.past_names(i):
            axes[name] = {0: "batch", 2: "past_seq"}
        for name in contract.present_names(i):
            axes[name] = {0: "batch", 2: "total_seq"}
    return axes


def export_onnx(model: PreTrainedModel, path: str | Path, opset: int = OPSET) -> Architecture:
    """Write ``model`` to ``path`` as a single-file ONNX graph following the contract."""
    model = prepare_for_export(model)
    arch = architecture(model)
    wrapper = KVCacheWrapper(model).eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about python-level shape reads inside transformers; the graph is
        # checked for dynamic shapes by the parity run instead.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            _example_inputs(arch),
            str(path),
            dynamo=False,
            input_names=contract.input_names(arch.layers),
            output_names=contract.output_names(arch.layers),
            dynamic_axes=_dynamic_axes(arch.layers),
            opset_version=opset,
            do_constant_folding=True,
        )
    proto = onnx.load(str(path))
    if dedupe_transposed_initializers(proto):
        onnx.save_model(proto, str(path))
    onnx.checker.check_model(proto)
    size = path.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise ValueError(f"{path} is {size} bytes, over the {MAX_ONNX_BYTES} limit")
    return arch
