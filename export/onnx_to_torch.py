"""Rebuild the torch model that an ONNX export came from, for same-model baselines.

The exporter keeps module paths in node names (``/model/model/layers.0/self_attn/q_proj/
MatMul``), so each MatMul weight maps back to its torch parameter (transposed). The result is
checked against onnxruntime before use: a benchmark never compares against a wrong model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper


def _torch_name(node_name: str) -> str | None:
    # "/model/model/layers.0/mlp/up_proj/MatMul" -> "model.layers.0.mlp.up_proj.weight"
    parts = [p for p in node_name.split("/") if p]
    if len(parts) < 3 or parts[-1] != "MatMul" or parts[0] != "model":
        return None
    return ".".join(parts[1:-1]) + ".weight"


def _float32(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float32) if array.dtype == np.float16 else array


def onnx_state_dict(path: Path) -> dict[str, np.ndarray]:
    model = onnx.load(str(path))
    inits = {i.name: _float32(numpy_helper.to_array(i)) for i in model.graph.initializer}
    # Float16 storage (export --weights float16): a weight reaches its MatMul through a Cast.
    for node in model.graph.node:
        if node.op_type == "Cast" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    state: dict[str, np.ndarray] = {}
    for name, array in inits.items():
        if name.startswith("model."):
            state[name[len("model.") :]] = array  # norms and embeddings keep their names
    for node in model.graph.node:
        if node.op_type == "MatMul" and len(node.input) == 2 and node.input[1] in inits:
            torch_name = _torch_name(node.name)
            if torch_name is not None:
                state[torch_name] = inits[node.input[1]].T
        if node.op_type == "Gather" and node.input[0] in inits and "embed_tokens" in node.name:
            state["model.embed_tokens.weight"] = inits[node.input[0]]
    return state


def load_torch_model(model_dir: Path) -> Any:
    """A transformers causal LM with the ONNX model's weights (config from config.json)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
    state = onnx_state_dict(model_dir / "model.onnx")
    own = model.state_dict()
    loaded = {k: torch.from_numpy(np.array(v)) for k, v in state.items() if k in own}
    if getattr(config, "tie_word_embeddings", False):
        # The exporter keeps one copy of tied weights (lm_head, transposed for the MatMul).
        tied = loaded.get("model.embed_tokens.weight", loaded.get("lm_head.weight"))
        if tied is not None:
            loaded["model.embed_tokens.weight"] = tied
            if "lm_head.weight" in own:
                loaded["lm_head.weight"] = tied
    missing = [k for k in own if k not in loaded and "rotary" not in k]
    if missing:
        raise RuntimeError(f"cannot rebuild torch weights for: {missing[:5]}")
    model.load_state_dict(loaded, strict=False)
    model.eval()
    return model


def manifest(model_dir: Path) -> dict[str, Any]:
    return dict(json.loads((model_dir / "manifest.json").read_text()))
