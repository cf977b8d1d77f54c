"""Export a local causal LM checkpoint to one ONNX graph with past key/values.

The graph follows ``export.contract``: one graph for prefill (past length 0) and decode.
We use the TorchScript ("legacy") exporter: it traces our ``KVCacheWrapper`` once with
non-trivial shapes (batch 2, past 3, seq 4) so no dimension is specialised to 0 or 1.
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import onnx
import onnxruntime
import torch
import transformers
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, PreTrainedModel

from export import contract
from export import tokenizer as tok
from export.arch import Architecture, architecture
from export.compact import CompactDecoder, compact_supported, fill_gqa_inputs, name_layer_nodes
from export.corpus import DEFAULT_SEED, eval_examples
from export.inplace import check_inplace_parity, write_inplace_graph
from export.manifest import write_manifest
from export.onnx_dedup import dedupe_transposed_initializers
from export.onnx_fp16 import round_weights_to_fp16, store_weights_fp16
from export.parity import ParityReport, check_parity
from export.wrapper import KVCacheWrapper
from workers.prompt import PROMPT_FORMAT_VERSION

OPSET = 17
WEIGHT_DTYPES = ("float32", "float16")
GRAPHS = ("auto", "compact", "generic")
MAX_ONNX_BYTES = 30 * 1024 * 1024


def load_causal_lm(checkpoint_dir: str | Path) -> PreTrainedModel:
    """Load a local checkpoint in float32 with eager attention (never touches a hub)."""
    model = AutoModelForCausalLM.from_pretrained(
        str(checkpoint_dir),
        local_files_only=True,
        dtype=torch.float32,
        attn_implementation="eager",
    )
    model.eval()  # type: ignore[no-untyped-call]
    return model


def prepare_for_export(model: PreTrainedModel) -> PreTrainedModel:
    """Eager attention and eval mode: the additive 4D mask path is the one we export."""
    model.set_attn_implementation("eager")
    model.config.use_cache = True
    model.eval()  # type: ignore[no-untyped-call]
    return model


def _example_inputs(arch: Architecture, compact: bool) -> tuple[torch.Tensor, ...]:
    batch, past, seq = 2, 3, 4
    gen = torch.Generator().manual_seed(0)
    input_ids = torch.randint(0, arch.vocab_size, (batch, seq), generator=gen)
    mask = torch.ones(batch, past + seq, dtype=torch.int64)
    mask[1, :2] = 0  # left padding in the trace example
    positions = (mask.cumsum(1) - 1).clamp(min=0)[:, past:]
    cache_shape = (batch, arch.kv_heads, past, arch.head_dim)
    flat = [torch.randn(cache_shape, generator=gen) for _ in range(2 * arch.layers)]
    if compact:  # keep 2 of 4 positions: neither 1 nor seq, so the tracer keeps it an input
        return (input_ids, mask, positions, torch.tensor(2, dtype=torch.int64), *flat)
    return (input_ids, mask, positions, *flat)


def _dynamic_axes(layers: int, compact: bool) -> dict[str, dict[int, str]]:
    axes: dict[str, dict[int, str]] = {
        contract.INPUT_IDS: {0: "batch", 1: "seq"},
        contract.ATTENTION_MASK: {0: "batch", 1: "total_seq"},
        contract.POSITION_IDS: {0: "batch", 1: "seq"},
        contract.LOGITS: {0: "batch", 1: "kept_seq" if compact else "seq"},
    }
    for i in range(layers):
        for name in contract.past_names(i):
            axes[name] = {0: "batch", 2: "past_seq"}
        for name in contract.present_names(i):
            axes[name] = {0: "batch", 2: "total_seq"}
    return axes


def export_onnx(
    model: PreTrainedModel,
    path: str | Path,
    opset: int = OPSET,
    weights: str = "float32",
    graph: str = "auto",
    attention: str = "matmul",
) -> Architecture:
    """Write ``model`` to ``path`` as a single-file ONNX graph following the contract.

    ``graph="auto"`` writes the compact graph (``export.compact``) for the families it
    covers and transformers' own traced forward for the rest (GPT-2, say); ``"compact"``
    insists on the compact one and ``"generic"`` on the traced one.

    ``weights="float16"`` stores the weights as float16 (see ``export.onnx_fp16``); the
    caller must have rounded the torch model with ``round_weights_to_fp16`` first, or the
    weights stay float32 (the rewrite only takes exact float16 values).
    """
    if weights not in WEIGHT_DTYPES:
        raise ValueError(f"weights must be one of {WEIGHT_DTYPES}, got {weights!r}")
    if graph not in GRAPHS:
        raise ValueError(f"graph must be one of {GRAPHS}, got {graph!r}")
    model = prepare_for_export(model)
    arch = architecture(model)
    compact = use_compact_graph(model, graph)
    if attention != "matmul" and not compact:
        raise ValueError(f"attention={attention!r} needs the compact graph")
    wrapper: torch.nn.Module = (
        CompactDecoder(model, attention) if compact else KVCacheWrapper(model)
    ).eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about python-level shape reads inside transformers; the graph is
        # checked for dynamic shapes by the parity run instead.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            _example_inputs(arch, compact),
            str(path),
            dynamo=False,
            input_names=contract.input_names(arch.layers, logits_to_keep=compact),
            output_names=contract.output_names(arch.layers),
            dynamic_axes=_dynamic_axes(arch.layers, compact),
            opset_version=opset,
            do_constant_folding=True,
        )
    proto = onnx.load(str(path))
    changed = dedupe_transposed_initializers(proto) > 0
    if compact:
        changed = name_layer_nodes(proto) > 0 or changed
        changed = fill_gqa_inputs(proto) > 0 or changed
    if weights == "float16":
        changed = store_weights_fp16(proto) > 0 or changed
    if changed:
        onnx.save_model(proto, str(path))
    onnx.checker.check_model(proto)
    size = path.stat().st_size
    if size > MAX_ONNX_BYTES:
        raise ValueError(f"{path} is {size} bytes, over the {MAX_ONNX_BYTES} limit")
    return arch


def use_compact_graph(model: PreTrainedModel, graph: str) -> bool:
    """Whether ``export_onnx`` writes the compact graph for this model and choice."""
    reason = compact_supported(model)
    if graph == "compact" and reason is not None:
        raise ValueError(f"--graph compact: {reason}")
    return graph != "generic" and reason is None


def parity_prompts(tokenizer: Tokenizer, count: int, seed: int = DEFAULT_SEED) -> list[list[int]]:
    """Token ids of held-out request prompts: unseen products and unseen categories."""
    examples = eval_examples(count, seed)
    return [tokenizer.encode(e.prompt).ids for e in examples]


def _special_tokens(tokenizer: Tokenizer) -> dict[str, Any]:
    roles = tok.role_ids(tokenizer)
    names = {v: k for k, v in roles.items()}
    return {
        **{role: {"token": tokenizer.id_to_token(i), "id": i} for role, i in roles.items()},
        "control": {
            token: token_id
            for token, token_id in tok.special_ids(tokenizer).items()
            if token_id not in names
        },
        "all": tok.special_ids(tokenizer),
    }


def export_checkpoint(
    checkpoint_dir: str | Path,
    out_dir: str | Path,
    *,
    name: str = "copyflow-tiny",
    version: str = "1.0.0",
    parity_count: int = 64,
    max_new_tokens: int = 48,
    prompts: Sequence[Sequence[int]] | None = None,
    created_with: Sequence[str] = (),
    weights: str = "float32",
    graph: str = "auto",
) -> dict[str, Any]:
    """Export a local checkpoint (with tokenizer.json) into a model folder with a manifest.

    Raises ``ParityError`` when onnxruntime and torch disagree; the folder is left in place
    for inspection but its manifest records ``parity.ok = false``.
    """
    checkpoint_dir, out_dir = Path(checkpoint_dir), Path(out_dir)
    tokenizer_path = checkpoint_dir / "tokenizer.json"
    if not tokenizer_path.is_file():
        raise FileNotFoundError(f"{tokenizer_path} is required (the runtime tokenizes with it)")
    tokenizer = tok.load(tokenizer_path)
    model = load_causal_lm(checkpoint_dir)
    if weights == "float16":
        # The exported model *is* the rounded one: parity compares it with itself in torch.
        round_weights_to_fp16(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.iterdir():  # a model folder holds exactly what the manifest lists
        if stale.is_file():
            stale.unlink()
    onnx_path = out_dir / "model.onnx"
    compact = use_compact_graph(model, graph)
    arch = export_onnx(model, onnx_path, weights=weights, graph="compact" if compact else "generic")
    shutil.copyfile(tokenizer_path, out_dir / "tokenizer.json")
    # The HF config lets benchmarks rebuild the same torch model from the ONNX weights.
    shutil.copyfile(checkpoint_dir / "config.json", out_dir / "config.json")

    roles = tok.role_ids(tokenizer)
    if prompts is None:
        prompts = parity_prompts(tokenizer, parity_count)
    started = time.time()
    report = check_parity(
        model,
        onnx_path,
        prompts,
        eos_id=roles["eos"],
        pad_id=roles["pad"],
        max_new_tokens=max_new_tokens,
    )
    parity_seconds = round(time.time() - started, 1)
    files = {"onnx": "model.onnx", "tokenizer": "tokenizer.json", "config": "config.json"}
    inplace: dict[str, Any] | None = None
    if compact:  # the fused-attention twin for CPU decoding (export.inplace)
        inplace = write_inplace_graph(model, out_dir, weights)
        inplace_started = time.time()
        inplace_report = check_inplace_parity(
            model, out_dir, prompts, max_new_tokens=max_new_tokens
        )
        inplace["parity"] = {
            **inplace_report.as_dict(),
            "seconds": round(time.time() - inplace_started, 1),
        }
        files["onnx_inplace"] = inplace["file"]
    training = _read_json(checkpoint_dir / "training_report.json")
    body: dict[str, Any] = {
        "name": name,
        "version": version,
        "files": files,
        "architecture": arch.as_dict(),
        "onnx": {
            "opset": OPSET,
            "single_graph": True,
            "graph": "compact" if compact else "generic",
            "external_data": False,
            "dtype": "float32",
            "weights_dtype": weights,
            "inputs": contract.input_names(arch.layers, logits_to_keep=compact),
            "outputs": contract.output_names(arch.layers),
            "past_shape": ["batch", arch.kv_heads, "past_seq", arch.head_dim],
            "padding_side": "left",
            "position_ids": "clip(cumsum(attention_mask, axis=1) - 1, 0)",
            **({"inplace": inplace} if inplace is not None else {}),
        },
        "special_tokens": _special_tokens(tokenizer),
        "prompt_format_version": PROMPT_FORMAT_VERSION,
        "training": training,
        "eval": {
            "heldout": training.get("heldout") if training else None,
            "parity": {**report.as_dict(), "seconds": parity_seconds},
        },
        "created_with": list(created_with)
        or [f"python -m export.cli --from {checkpoint_dir} --out {out_dir}"],
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
    }
    manifest = write_manifest(out_dir, body)
    if not report.ok:
        raise ParityError(report)
    if inplace is not None and not inplace_report.ok:
        raise ParityError(inplace_report)
    return manifest


class ParityError(RuntimeError):
    def __init__(self, report: ParityReport) -> None:
        super().__init__(f"onnxruntime/torch parity failed: {report.as_dict()}")
        self.report = report


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
